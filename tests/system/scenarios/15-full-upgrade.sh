#!/bin/bash
# Scenario 15: a full-upgrade that needs a new dependency. pinslab-firmware 1 and
# pinslab-firmware-legacy 1 are installed; the repository offers pinslab-firmware 2, which
# depends on pinslab-firmware-blobs, a new package that conflicts with the legacy one (a
# firmware or kernel transition). A dry run with `mode: upgrade` (apt's upgrade, which installs
# new packages but removes none) keeps it back (`keptBack`); a `full-upgrade` dry run plans to
# install the new dependency and remove the old package, exactly what `apt-get -s full-upgrade`
# says on the same machine; a real `full-upgrade` apply does it and succeeds, dpkg clean.
# Proves: what Raspberry Pi's documentation asks owners to run (apt full-upgrade) works through
# the API under a real systemd, and a package that needs a new dependency is no longer held
# back forever.
source "$(dirname "$0")/../lib/scenario.sh"

M=full-upgrade
up $M
lab_exec $M bash -c 'dpkg -i /srv/pinslab/packages/full-v1/*.deb' >"$SCENARIO_WORK/setup.log" 2>&1 ||
    { cat "$SCENARIO_WORK/setup.log"; abort "pinslab-firmware 1 and pinslab-firmware-legacy 1 installed"; }

# start MODE DRY_RUN: POST /upgrade with that mode; prints the job id.
start() {
    local code
    code=$(pins_api $M POST /upgrade "{\"dryRun\":$2,\"mode\":\"$1\"}")
    if [[ $code != 202 ]]; then
        info "POST /upgrade ($1, dryRun $2) answered $code: $(head -c 300 "$(pins_body $M)")"
        return 1
    fi
    json "$(pins_body $M)" j.jobId
}

# finished ID FILE: waits for the job to end, then GET /jobs/ID into FILE.
finished() {
    pins_wait_finished $M "$1" 120 && pins_job $M "$1" "$2" && info "job: $(head -c 500 "$2")"
}

JOB=$(start upgrade true) || abort "POST /upgrade {dryRun:true, mode:upgrade} starts a job"
finished "$JOB" "$SCENARIO_WORK/upgrade-dry.json" || abort "the upgrade dry run ends"
check "the upgrade dry run succeeded, mode upgrade" \
    test "$(json "$SCENARIO_WORK/upgrade-dry.json" '`${j.status} ${j.mode}`')" == "succeeded upgrade"
check "keptBack names pinslab-firmware (its new version needs a new package)" \
    test "$(json "$SCENARIO_WORK/upgrade-dry.json" '(j.keptBack ?? []).includes("pinslab-firmware")')" == true
check "the upgrade plan leaves the firmware packages alone" \
    test "$(json "$SCENARIO_WORK/upgrade-dry.json" '(j.plan ?? []).filter(p => p.package.startsWith("pinslab-firmware")).length')" == 0

JOB=$(start full-upgrade true) || abort "POST /upgrade {dryRun:true, mode:full-upgrade} starts a job"
finished "$JOB" "$SCENARIO_WORK/full-dry.json" || abort "the full-upgrade dry run ends"
check "the full-upgrade dry run succeeded, mode full-upgrade" \
    test "$(json "$SCENARIO_WORK/full-dry.json" '`${j.status} ${j.mode}`')" == "succeeded full-upgrade"
firmware_plan=$(json "$SCENARIO_WORK/full-dry.json" '(j.plan ?? []).filter(p => p.package.startsWith("pinslab-firmware") && p.action !== "configure").map(p => `${p.package} ${p.action} ${p.from} ${p.to}`).sort().join(", ")')
info "plan for the firmware: $firmware_plan"
check "its plan upgrades pinslab-firmware 1 -> 2, installs pinslab-firmware-blobs, removes pinslab-firmware-legacy" \
    test "$firmware_plan" == "pinslab-firmware upgrade 1 2, pinslab-firmware-blobs install null 1, pinslab-firmware-legacy remove 1 null"
# The plan is apt's: the same packages and versions as apt-get -s full-upgrade on this machine
# (after the dry run's own apt-get update).
same_as_apt() {
    local ours apts
    ours=$(json "$SCENARIO_WORK/full-dry.json" '(j.plan ?? []).filter(p => p.action !== "configure").map(p => `${p.action === "remove" || p.action === "purge" ? "Remv" : "Inst"} ${p.package} ${p.to ?? ""}`).sort().join("\n")')
    apts=$(lab_exec $M apt-get -s -q full-upgrade | awk '/^Inst /{v=$3; if (v ~ /^\[/) v=$4; gsub(/[()]/, "", v); print "Inst", $2, v} /^Remv /{print "Remv", $2, ""}' | sort)
    info "plan: ${ours//$'\n'/, }"
    info "apt-get -s full-upgrade: ${apts//$'\n'/, }"
    [[ -n $ours && $ours == "$apts" ]]
}
check "the full-upgrade plan matches apt-get -s full-upgrade on the same machine" same_as_apt

JOB=$(start full-upgrade false) || abort "POST /upgrade {dryRun:false, mode:full-upgrade} starts a job"
finished "$JOB" "$SCENARIO_WORK/full-apply.json" || abort "the full-upgrade apply ends"
check "the full-upgrade apply succeeded, mode full-upgrade" \
    test "$(json "$SCENARIO_WORK/full-apply.json" '`${j.status} ${j.mode}`')" == "succeeded full-upgrade"
changed=$(json "$SCENARIO_WORK/full-apply.json" '[...(j.upgraded ?? []).map(p => `${p.package} ${p.from} ${p.to}`), ...(j.removed ?? []).map(p => `${p.package} ${p.from} removed`)].filter(p => p.startsWith("pinslab-firmware")).sort().join(", ")')
info "changed: $changed"
check "upgraded lists pinslab-firmware 1 -> 2 and pinslab-firmware-blobs (new), removed pinslab-firmware-legacy" \
    test "$changed" == "pinslab-firmware 1 2, pinslab-firmware-blobs null 1, pinslab-firmware-legacy 1 removed"
installed() {
    local state
    state=$(lab_exec $M dpkg-query -W -f='${db:Status-Abbrev}${Version}' "$1" 2>&1)
    info "dpkg -s $1: $state"
    [[ $state == "ii $2" ]]
}
check "dpkg: pinslab-firmware is installed at version 2" installed pinslab-firmware 2
check "dpkg: pinslab-firmware-blobs is installed (version 1)" installed pinslab-firmware-blobs 1
gone() { [[ $(lab_exec $M dpkg-query -W -f='${db:Status-Abbrev}' pinslab-firmware-legacy 2>/dev/null) != ii* ]]; }
check "dpkg: pinslab-firmware-legacy is removed" gone
check "dpkg: the other test packages are at version 2 too" pins_versions_are $M 2
check "dpkg --audit is clean" pins_dpkg_clean $M
