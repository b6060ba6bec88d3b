#!/bin/bash
# Scenario 4: the daemon is stopped before the run ends and started after it ended: the job is
# finished with every line.
# Also the status events of a run whose package output ends without a newline: every test
# package's postinst ends with an unterminated line and asks for a reboot, and rebootRequired
# must still come out true (a status event after an unterminated line used to be lost).
# Proves: the run's outcome and output are not lost when nobody is listening, and the daemon
# takes them from the run's files when it comes back.
source "$(dirname "$0")/../lib/scenario.sh"

M=down-while-ending
up $M
for package in pinslab-data pinslab-kernel; do
    pins_control $M $package unterminated=yes
done
held_apply_start $M reboot=yes unterminated=yes
UNIT=$(upgrade_unit apply "$JOB")

check "systemctl stop pinsdaemon succeeds" lab_exec $M systemctl stop pinsdaemon
check_run_outlived_daemon $M
pins_release $M pinslab-service
run_ended() { [[ $(pins_unit_state $M "$UNIT") != active* && $(pins_unit_state $M "$UNIT") != deactivating ]]; }
check "the run ends while the daemon is stopped" wait_for 300 "$UNIT to end" run_ended
check "systemctl start pinsdaemon succeeds" lab_exec $M systemctl start pinsdaemon
pins_wait_healthy $M || abort "the daemon answers again"
check "the job is finished as soon as the daemon is back (no client needed)" \
    pins_wait_finished $M "$JOB" 60

wait "$FOLLOW_PID"
info "ws-client: $(head -c 500 "$CLIENT/summary.json")"
check "the following client reconnected with ?after= and got every seq exactly once, then the end frame" \
    test "$(json "$CLIENT/summary.json" 'j.error === null && j.seqContiguous && j.reconnects.length > 0 && j.end !== null && j.end.status')" == succeeded
check "its lines equal the run's stdout and stderr byte for byte" pins_same_output $M apply "$JOB" "$CLIENT"

# A client that comes only now gets the whole job from the stored log.
REPLAY=$SCENARIO_WORK/replay
pins_follow $M "$JOB" "$REPLAY" 120
background "$FOLLOW_PID"
wait "$FOLLOW_PID"
check "a late client replays the whole job: seq 1 to the end frame" \
    test "$(json "$REPLAY/summary.json" 'j.error === null && j.firstSeq === 1 && j.reconnects.length === 0 && j.end !== null')" == true
check "the replay equals the run's stdout and stderr byte for byte" pins_same_output $M apply "$JOB" "$REPLAY"

pins_job $M "$JOB" "$SCENARIO_WORK/job.json"
info "job: $(head -c 400 "$SCENARIO_WORK/job.json")"
check "GET /jobs/{id}: succeeded, supervisor systemd" \
    test "$(json "$SCENARIO_WORK/job.json" '`${j.status} ${j.supervisor}`')" == "succeeded systemd"
check "rebootRequired is true although the package output ended without a newline" \
    test "$(json "$SCENARIO_WORK/job.json" j.rebootRequired)" == true
check "dpkg: every test package is installed at version 2" pins_versions_are $M 2
check "dpkg --audit is clean" pins_dpkg_clean $M
