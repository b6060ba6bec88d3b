#!/bin/bash
# Scenario 8: privilege boundary: `sudo -n -l -U sysupdate-api` lists exactly the eleven forms.
# A bare `--apply`, an upper-case id, a short id, an extra word, and an id with a space are all
# refused.
# sudo is asked with "sudo -l COMMAND", which says whether a command line is allowed without
# running it. The valid forms must be allowed, or the refusals would prove nothing.
# Proves: the daemon's user reaches root only through the eleven fixed forms (a "*" in sudoers
# matches spaces and extra arguments, which was shown to run "sh -c" as root).
source "$(dirname "$0")/../lib/scenario.sh"

# DECISIONS.md: the root script's path, and the id as one [0-9a-f] class per hex digit.
SCRIPT=/usr/libexec/pinsdaemon/system-upgrade.sh
hex() { local n=$1 out=""; while ((n-- > 0)); do out+='[0-9a-f]'; done; echo "$out"; }
ID_PATTERN="$(hex 8)-$(hex 4)-$(hex 4)-$(hex 4)-$(hex 12)"

M=sudo-boundary
up $M
ID=$(lab_exec $M cat /proc/sys/kernel/random/uuid)

listed_forms() {
    # The commands after "may run the following commands", joined, split on the commas.
    lab_exec $M sudo -n -l -U sysupdate-api | sed -n '/may run the following commands/,$p' | tail -n +2 |
        tr '\n' ' ' | sed 's/([^)]*)//g; s/NOPASSWD://g' | tr ',' '\n' | sed 's/^ *//; s/ *$//' | grep -v '^$' | sort
}
# The launch forms: --dry-run or --apply, optionally --full-upgrade and --autoremove in that order.
LAUNCH_OPTIONS=("" "--full-upgrade " "--autoremove " "--full-upgrade --autoremove ")
exactly_eleven() {
    local listed expected mode options
    listed=$(listed_forms)
    expected=$(for mode in --dry-run --apply; do
        for options in "${LAUNCH_OPTIONS[@]}"; do echo "$SCRIPT $mode $options--job $ID_PATTERN"; done
    done
        echo "$SCRIPT --cancel --job $ID_PATTERN"
        echo "$SCRIPT --reboot"
        echo "$SCRIPT --cancel-reboot")
    expected=$(sort <<<"$expected")
    sed 's/^/  listed: /' <<<"$listed"
    [[ $listed == "$expected" ]]
}
check "sudo -n -l -U sysupdate-api lists exactly the eleven forms, the id one [0-9a-f] class per digit" exactly_eleven

# "sudo -l COMMAND" as the service user: exit 0 if allowed, 1 if not; runs nothing.
allowed() { lab_exec $M runuser -u sysupdate-api -- sudo -n -l -- "$SCRIPT" "$@" >/dev/null 2>&1; }
# The reboot forms are checked with "sudo -l" only: nothing here reboots the container.
for form in --reboot --cancel-reboot; do
    if allowed "$form"; then pass "allowed: $form"; else fail "allowed: $form"; fi
done
valid=0
for form in --dry-run --apply --cancel "--dry-run --full-upgrade" "--apply --full-upgrade" "--dry-run --autoremove" "--apply --autoremove" \
    "--dry-run --full-upgrade --autoremove" "--apply --full-upgrade --autoremove"; do
    # shellcheck disable=SC2086  # the form is words
    if allowed $form --job "$ID"; then
        pass "allowed: $form --job <lowercase id>"
        valid=$((valid + 1))
    else
        fail "allowed: $form --job <lowercase id>"
    fi
done

if ((valid == 0)); then
    fail "refusals not checked: sudo refuses the valid forms too, so a refusal would prove nothing"
else
    refuse "refused: a bare --apply" allowed --apply
    refuse "refused: --apply --job <upper-case id>" allowed --apply --job "${ID^^}"
    refuse "refused: --apply --job <short id> (35 characters)" allowed --apply --job "${ID:1}"
    refuse "refused: --apply --job <id> extra (an extra word)" allowed --apply --job "$ID" extra
    refuse "refused: --apply --job <id with a space>" allowed --apply --job "${ID:0:20} ${ID:20}"
    refuse "refused: --apply --job * (a literal star)" allowed --apply --job '*'
    refuse "refused: --apply --autoremove --full-upgrade (another order)" allowed --apply --autoremove --full-upgrade --job "$ID"
    refuse "refused: --cancel --full-upgrade" allowed --cancel --full-upgrade --job "$ID"
    refuse "refused: --reboot now (an extra word)" allowed --reboot now
    refuse "refused: --reboot --job <id>" allowed --reboot --job "$ID"
    refuse "refused: /bin/sh" lab_exec $M runuser -u sysupdate-api -- sudo -n -l -- /bin/sh
fi

# sudo joins the arguments with spaces before matching, so "--job ID" as ONE argument matches
# the rule; the script must refuse it itself (usage: exit 64) and start nothing.
script_refuses_joined() {
    local status
    lab_exec $M runuser -u sysupdate-api -- sudo -n -- "$SCRIPT" --apply "--job $ID" >/dev/null 2>&1
    status=$?
    info "sudo -n -- $SCRIPT --apply '--job <id>' exited $status"
    ((status == 64)) && [[ $(pins_unit_state $M "$(upgrade_unit apply "$ID")") == inactive ]]
}
check "'--job <id>' as one argument passes sudo, and the script refuses it (exit 64), starting nothing" script_refuses_joined
