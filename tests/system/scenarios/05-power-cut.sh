#!/bin/bash
# Scenario 5: power cut (kill the container's PID 1) during the postinst, then boot again: the
# job is `interrupted` with `rebootDuringRun`. The next apply repairs dpkg
# (`dpkg --configure -a`) and succeeds.
# Proves: after a power loss the daemon tells what happened instead of guessing, and the next
# apply leaves the system clean.
source "$(dirname "$0")/../lib/scenario.sh"

M=power-cut
up $M
# A container's reboot does not reboot the kernel, and the daemon's sandboxed unit sees the
# kernel's boot id (a fresh /proc), the same across container boots. The run record also keeps
# PID 1's start time, which every boot changes: the daemon must tell the reboot from that, with
# its unit exactly as installed.
check "the daemon's unit runs as installed, without drop-ins" \
    test -z "$(lab_exec $M systemctl show -p DropInPaths --value pinsdaemon.service)"
pins_control $M pinslab-service hold=yes
JOB=$(pins_start $M apply) || abort "POST /upgrade {dryRun:false} starts a job"
pins_wait_holding $M pinslab-service || abort "dpkg reaches pinslab-service's postinst, which holds"
pass "apply $JOB is inside pinslab-service's postinst"
boot_before=$(lab_exec $M cat /proc/sys/kernel/random/boot_id)

check "power cut: SIGKILL to the container's PID 1" lab_power_cut $M
check "the machine boots again" lab_boot $M
boot_after=$(lab_exec $M cat /proc/sys/kernel/random/boot_id)
info "boot id $boot_before -> $boot_after"
check "the boot id changed" test "$boot_before" != "$boot_after"
pins_wait_healthy $M || abort "the daemon starts after the boot"

half_done() { ! pins_dpkg_clean $M >/dev/null; }
check "dpkg was cut off: dpkg --audit reports the unfinished package" half_done
check "the job is finished once the daemon is up" pins_wait_finished $M "$JOB" 60
pins_job $M "$JOB" "$SCENARIO_WORK/job.json"
info "job: $(head -c 500 "$SCENARIO_WORK/job.json")"
check "GET /jobs/{id}: interrupted, reason rebootDuringRun" \
    test "$(json "$SCENARIO_WORK/job.json" '`${j.status} ${j.reason}`')" == "interrupted rebootDuringRun"

# The next apply: the postinst no longer holds.
pins_control $M pinslab-service
JOB2=$(pins_start $M apply) || abort "POST /upgrade {dryRun:false} starts the next job"
pins_follow $M "$JOB2" "$SCENARIO_WORK/next"
background "$FOLLOW_PID"
wait "$FOLLOW_PID"
info "ws-client: $(head -c 300 "$SCENARIO_WORK/next/summary.json")"
check "the next apply succeeds" \
    test "$(json "$SCENARIO_WORK/next/summary.json" 'j.error === null && j.end !== null && j.end.status')" == succeeded
check "it ran dpkg --configure -a first" grep -q 'dpkg --configure -a' "$SCENARIO_WORK/next/stdout"
check "dpkg: every test package is installed at version 2" pins_versions_are $M 2
check "dpkg --audit is clean" pins_dpkg_clean $M
