#!/bin/bash
# Scenario 12: the package under a real systemd. apt-get install: the unit runs, the install
# says how to read the token and prints the certificate's fingerprint, a dry run works over the
# API, and the package's pins command line lists it. HTTPS turned on with the conffile's one line answers with that fingerprint. A reinstall
# and an upgrade to a version 2 keep the token, the history and the settings. apt-get remove
# keeps the token and the history; apt-get purge leaves the file, user and group lists as they
# were before the install. lintian on the package: no errors, no warnings.
# Proves: what issue 11 promises a Debian user, on the init system the package is made for.
source "$(dirname "$0")/../lib/scenario.sh"

M=package
readonly CONF=/etc/pinsdaemon/pinsdaemon.conf
readonly TOKEN_FILE=/etc/pinsdaemon/api-token
readonly HTTPS_PORT=5443
SCENARIO_MACHINES+=("$M")
pins_boot $M || abort "container $M boots"

# Everything on the container's root file system outside scratch, cache and log space, and its
# users and groups: purge must bring this list back exactly. The package manager's own
# bookkeeping, systemd's timer stamps and the lab's mounts are left out.
file_list() {
    lab_exec $M bash -c '{
        find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /tmp -o -path /var/tmp -o \
            -path /var/cache -o -path /var/log -o -path /var/lib/apt -o -path /var/lib/dpkg -o \
            -path /var/lib/systemd/timers -o -path /srv/pinslab \) -prune -o -print
        getent passwd | cut -d: -f1 | sed "s/^/user: /"
        getent group | cut -d: -f1 | sed "s/^/group: /"
    } | LC_ALL=C sort'
}
file_list >"$SCENARIO_WORK/files-before" || abort "listing the container's files"

started=$SECONDS
pins_install $M "/srv/pinslab/deb/$(basename "$PINS_DEB")" || abort "apt-get install ./$(basename "$PINS_DEB")"
pass "apt-get install ./$(basename "$PINS_DEB") ($((SECONDS - started)) s)"
LOG=$(lab_dir $M)/install.log
sed -n '/^Setting up pinsdaemon/,$p' "$LOG" | grep '^pinsdaemon:\|^    ' | sed 's/^/  | /'
TOKEN=$(lab_exec $M cat $TOKEN_FILE)
pins_save_token $M "$TOKEN"
check "pinsdaemon.service is active" lab_unit_is $M pinsdaemon.service active
check "the install said it runs" grep -q '^pinsdaemon: pinsdaemon.service is running, listening on http://127.0.0.1:5180' "$LOG"
check "the install says how to read the token" grep -q "sudo cat $TOKEN_FILE" "$LOG"
PRINTED=$(grep -A1 'fingerprint' "$LOG" | grep -Eo '([0-9A-F]{2}:){31}[0-9A-F]{2}' | head -n 1)
check "the install prints the certificate's SHA-256 fingerprint" test -n "$PRINTED"
check "pinsdaemon-tls fingerprint prints the same" test "$(lab_exec $M pinsdaemon-tls fingerprint)" == "$PRINTED"

layout_ok() {
    local expected actual
    expected="root:root 755 /usr/libexec/pinsdaemon/system-upgrade.sh
root:root 440 /etc/sudoers.d/pinsdaemon
root:root 600 /etc/pinsdaemon/api-token
root:root 600 /etc/pinsdaemon/tls.key
root:root 644 /usr/lib/systemd/system/pinsdaemon-upgrade@.service
sysupdate-api:sysupdate-api 700 /var/lib/pinsdaemon
root:sysupdate-api 750 /var/lib/pinsdaemon-upgrade"
    actual=$(lab_exec $M stat -c '%U:%G %a %n' /usr/libexec/pinsdaemon/system-upgrade.sh /etc/sudoers.d/pinsdaemon \
        $TOKEN_FILE /etc/pinsdaemon/tls.key /usr/lib/systemd/system/pinsdaemon-upgrade@.service \
        /var/lib/pinsdaemon /var/lib/pinsdaemon-upgrade 2>&1)
    [[ $actual == "$expected" ]] || { diff <(echo "$expected") <(echo "$actual") | sed 's/^/  /'; return 1; }
}
check "layout: script, sudoers, token, key, template unit, state and runs directories with their owners and modes" layout_ok

JOB=$(pins_start $M dry-run) || abort "POST /upgrade {dryRun:true} starts a job"
pins_wait_finished $M "$JOB" || abort "dry run $JOB finishes"
pins_job $M "$JOB" "$SCENARIO_WORK/dry-run.json"
check "a dry run over the API: succeeded, supervisor systemd" \
    test "$(json "$SCENARIO_WORK/dry-run.json" '`${j.status} ${j.supervisor}`')" == "succeeded systemd"
pins_cli_lists_job() {
    local out
    out=$(lab_exec $M env PINS_URL=http://127.0.0.1:5180 PINS_TOKEN_FILE=$TOKEN_FILE pins jobs 2>&1)
    info "pins jobs: $(head -n 1 <<<"$out")"
    grep -q "^$JOB	succeeded	" <<<"$out"
}
check "the package's /usr/bin/pins lists the dry run (PINS_URL, PINS_TOKEN_FILE)" pins_cli_lists_job

# --- HTTPS: the conffile's one line, a restart ---------------------------------------------
lab_exec $M sed -i "s|^urls = .*|urls = http://127.0.0.1:5180;https://0.0.0.0:$HTTPS_PORT|" $CONF
check "systemctl restart pinsdaemon with HTTPS turned on" lab_exec $M systemctl restart pinsdaemon
pins_wait_healthy $M || abort "the daemon answers again"
served_fingerprint() {
    pins_client $M openssl s_client -connect "127.0.0.1:$HTTPS_PORT" </dev/null 2>/dev/null |
        openssl x509 -noout -fingerprint -sha256 | sed 's/^[^=]*=//'
}
SERVED=$(served_fingerprint)
info "printed at install: $PRINTED"
info "served on :$HTTPS_PORT: $SERVED"
check "the HTTPS listener serves the certificate whose fingerprint the install printed" test "$SERVED" == "$PRINTED"
https_jobs() {
    [[ $(pins_client $M curl -sk -o /dev/null -w '%{http_code}' --max-time 30 -H "@$(lab_dir $M)/auth-header" \
        "https://127.0.0.1:$HTTPS_PORT/jobs/$JOB") == 200 ]]
}
check "GET /jobs/{id} over HTTPS with the token answers 200" https_jobs
check "journalctl -u pinsdaemon shows the same fingerprint" \
    lab_exec $M sh -c "journalctl -u pinsdaemon --no-pager -o cat | grep -q 'with certificate SHA-256 fingerprint $PRINTED'"

# --- reinstall and upgrade keep token, history, settings -----------------------------------
kept() {
    local what=$1 ok=0
    [[ $(lab_exec $M cat $TOKEN_FILE) == "$TOKEN" ]] || { echo "  the token changed"; ok=1; }
    lab_exec $M grep -qx "urls = http://127.0.0.1:5180;https://0.0.0.0:$HTTPS_PORT" $CONF || { echo "  the settings changed"; ok=1; }
    pins_wait_healthy $M || ok=1
    [[ $(pins_status $M "$JOB") == succeeded ]] || { echo "  job $JOB is not in the history"; ok=1; }
    [[ $(served_fingerprint) == "$PRINTED" ]] || { echo "  the certificate changed"; ok=1; }
    lab_unit_is $M pinsdaemon.service active || { echo "  pinsdaemon.service is not active after the $what"; ok=1; }
    return $ok
}
check "apt-get install --reinstall" pins_install $M "/srv/pinslab/deb/$(basename "$PINS_DEB")" --reinstall
check "the reinstall kept the token, the settings, the history and the certificate; the daemon runs" kept reinstall
V2_DEB=/srv/pinslab/packages/self/pinsdaemon_${PINS_SELF_VERSION}_amd64.deb
check "apt-get install ./pinsdaemon_${PINS_SELF_VERSION}_amd64.deb (an upgrade)" pins_install $M "$V2_DEB"
check "dpkg: pinsdaemon is installed at $PINS_SELF_VERSION" \
    test "$(lab_exec $M dpkg-query -W -f='${db:Status-Abbrev}${Version}' pinsdaemon)" == "ii $PINS_SELF_VERSION"
check "the upgrade kept the token, the settings, the history and the certificate; the daemon runs" kept upgrade

# --- remove, then purge ---------------------------------------------------------------------
apt_get() {
    lab_exec $M env DEBIAN_FRONTEND=noninteractive apt-get "$@" >>"$SCENARIO_WORK/apt.log" 2>&1 ||
        { tail -n 15 "$SCENARIO_WORK/apt.log" | sed 's/^/  /'; return 1; }
}
check "apt-get remove pinsdaemon" apt_get remove -y pinsdaemon
removed_ok() {
    local ok=0
    pins_healthy $M && { echo "  the daemon still answers"; ok=1; }
    lab_exec $M test -e /etc/sudoers.d/pinsdaemon && { echo "  the sudoers file is still there"; ok=1; }
    lab_exec $M test -e /usr/lib/pinsdaemon/pinsdaemon && { echo "  the program is still there"; ok=1; }
    [[ $(lab_exec $M cat $TOKEN_FILE 2>/dev/null) == "$TOKEN" ]] || { echo "  the token is gone"; ok=1; }
    lab_exec $M test -d "/var/lib/pinsdaemon/jobs/$JOB" || { echo "  the history is gone"; ok=1; }
    return $ok
}
check "after apt-get remove: daemon stopped, program and sudoers gone, token and history kept" removed_ok
check "apt-get purge pinsdaemon" apt_get purge -y pinsdaemon
nothing_left() {
    local left
    file_list >"$SCENARIO_WORK/files-after" || return 1
    left=$(LC_ALL=C comm -13 "$SCENARIO_WORK/files-before" "$SCENARIO_WORK/files-after")
    [[ -z $left ]] || { echo "  left behind:"; sed 's/^/    /' <<<"$left" | head -n 40; return 1; }
}
check "after apt-get purge: the file, user and group lists are those from before the install" nothing_left

# --- lintian ---------------------------------------------------------------------------------
if ! command -v lintian >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends lintian >/dev/null 2>&1 ||
        abort "apt-get install lintian on this host"
fi
lintian_clean() {
    lintian --fail-on error,warning "$PINS_DEB" >"$SCENARIO_WORK/lintian.log" 2>&1
    local status=$?
    sed 's/^/  /' "$SCENARIO_WORK/lintian.log" | head -n 20
    return $status
}
check "lintian $(basename "$PINS_DEB"): no errors, no warnings" lintian_clean
