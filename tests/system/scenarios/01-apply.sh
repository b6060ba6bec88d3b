#!/bin/bash
# Scenario 1: a real apply over the API upgrades the test packages. It ends `succeeded`,
# reports `upgraded` and `rebootRequired`, and `dpkg --audit` is clean.
# Proves: the whole chain works under a real systemd: the unit, sudo, the root script, apt and
# dpkg against a real repository, and what the daemon reports matches what dpkg did.
source "$(dirname "$0")/../lib/scenario.sh"

M=apply
up $M
pins_control $M pinslab-kernel reboot=yes

JOB=$(pins_start $M apply) || abort "POST /upgrade {dryRun:false} starts a job"
pass "POST /upgrade {dryRun:false} starts job $JOB"

pins_follow $M "$JOB" "$SCENARIO_WORK/client"
background "$FOLLOW_PID"
wait "$FOLLOW_PID"
info "ws-client: $(head -c 400 "$SCENARIO_WORK/client/summary.json")"
check "the WebSocket client got every line once and in order, then the end frame" \
    test "$(json "$SCENARIO_WORK/client/summary.json" 'j.error === null && j.end !== null && j.seqContiguous')" == true

pins_job $M "$JOB" "$SCENARIO_WORK/job.json" || abort "GET /jobs/{id} answers 200"
info "job: $(head -c 600 "$SCENARIO_WORK/job.json")"
check "the job ended succeeded" test "$(json "$SCENARIO_WORK/job.json" j.status)" == succeeded

upgraded_ok() {
    local expected actual
    expected=$(printf '%s 1 2\n' "${REPO_PACKAGES[@]}")
    actual=$(json "$SCENARIO_WORK/job.json" '(j.upgraded ?? []).map(p => `${p.package} ${p.from} ${p.to}`).sort().join("\n")')
    info "upgraded: ${actual//$'\n'/, }"
    [[ $actual == "$expected" ]]
}
check "upgraded lists every test package, from 1 to 2" upgraded_ok
check "rebootRequired is true (pinslab-kernel's postinst asked for it)" \
    test "$(json "$SCENARIO_WORK/job.json" j.rebootRequired)" == true
check "rebootRequiredPackages names pinslab-kernel" \
    test "$(json "$SCENARIO_WORK/job.json" '(j.rebootRequiredPackages ?? []).join(" ")')" == pinslab-kernel
check "dpkg: every test package is installed at version 2" pins_versions_are $M 2
check "dpkg --audit is clean" pins_dpkg_clean $M
