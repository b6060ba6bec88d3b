#!/bin/bash
# Scenario 10: no system bus (a minimal system without dbus, or a dbus that failed). A user
# other than root then cannot ask systemd about a unit ("Failed to connect to bus"), so the
# daemon looks at a run's unit through its control group under /sys/fs/cgroup instead.
# First a run that is gone without an exit record: `interrupted`, `runnerLost`. Then the next
# apply, held in a postinst across a daemon restart: re-attached, `succeeded`, nothing lost.
# Proves: the daemon follows runs without D-Bus, and never takes a query that failed for a run
# that is alive (a lost run used to stay "running" forever, refusing every later job).
source "$(dirname "$0")/../lib/scenario.sh"

M=no-dbus
up $M
check "the system bus is stopped and masked" lab_exec $M systemctl mask --now dbus.socket dbus.service
# setpriv, not su or sudo: no PAM session, which might try the bus itself.
bus_refused() {
    ! lab_exec $M setpriv --reuid=sysupdate-api --regid=sysupdate-api --init-groups \
        systemctl show -p ActiveState pinsdaemon.service >/dev/null 2>&1
}
check "the daemon's user cannot ask systemd about a unit" bus_refused
check "systemctl restart pinsdaemon succeeds (the daemon needs no bus)" lab_exec $M systemctl restart pinsdaemon
pins_wait_healthy $M || abort "the daemon answers without a system bus"

# A run that is gone without an exit record, found by a daemon that was down meanwhile.
pins_control $M pinslab-service hold=yes
LOST=$(pins_start $M apply) || abort "POST /upgrade {dryRun:false} starts a job"
pins_wait_holding $M pinslab-service || abort "dpkg reaches pinslab-service's postinst, which holds"
UNIT=$(upgrade_unit apply "$LOST")
check "systemctl stop pinsdaemon succeeds" lab_exec $M systemctl stop pinsdaemon
check "SIGKILL to every process of the run's unit" lab_exec $M systemctl kill --kill-whom=all -s KILL "$UNIT"
run_ended() { [[ $(pins_unit_state $M "$UNIT") != active* && $(pins_unit_state $M "$UNIT") != deactivating ]]; }
check "the run's unit has ended" wait_for 60 "$UNIT to end" run_ended
check "its exit record is removed (as if ExecStopPost= never ran)" \
    lab_exec $M rm -- "$PINS_RUNS_DIR/apply-$LOST.exit"
check "systemctl start pinsdaemon succeeds" lab_exec $M systemctl start pinsdaemon
pins_wait_healthy $M || abort "the daemon answers again"
check "the lost run's job is finished (within the 30 s a just launched unit has to start)" \
    pins_wait_finished $M "$LOST" 90
pins_job $M "$LOST" "$SCENARIO_WORK/lost.json"
info "job: $(head -c 400 "$SCENARIO_WORK/lost.json")"
check "GET /jobs/{id}: interrupted, reason runnerLost" \
    test "$(json "$SCENARIO_WORK/lost.json" '`${j.status} ${j.reason}`')" == "interrupted runnerLost"

# The next apply repairs what the lost run left (dpkg --configure -a runs the held postinst
# again), across a daemon restart.
held_apply_start $M
check "systemctl restart pinsdaemon succeeds" lab_exec $M systemctl restart pinsdaemon
check_run_outlived_daemon $M
check_job_running_again $M
held_apply_finish $M
check "it ran dpkg --configure -a first" grep -q 'dpkg --configure -a' "$CLIENT/stdout"
