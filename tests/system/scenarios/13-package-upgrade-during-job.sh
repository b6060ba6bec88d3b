#!/bin/bash
# Scenario 13: the administrator upgrades the pinsdaemon package (apt-get install of version 2)
# while a job runs. The job is a dry run kept waiting for apt's lists lock, which the test holds
# as another package manager would (from the host, on the container's lock file); the upgrade
# needs no such lock. The package's prerm stops the old daemon, its postinst starts the new
# one, the run goes on in its own unit, and the new daemon re-attaches: the job ends
# `succeeded`, and a client following it gets every line once, byte for byte.
# Proves: upgrading the package never cuts off a running job.
source "$(dirname "$0")/../lib/scenario.sh"

M=package-upgrade
up $M

LOCK=$SCENARIO_WORK/apt-lock
mkdir -p "$LOCK"
release_lock() { touch "$LOCK/release"; }
at_end release_lock
perl "$SYSTEM_LIB/hold-apt-lists-lock.pl" "$LOCK" "/proc/$(lab_leader $M)/root/var/lib/apt/lists/lock" 2>"$LOCK/err" &
background $!
wait_for 120 "apt's lists lock in $M" test -e "$LOCK/locked" || abort "took apt's lists lock in $M"

JOB=$(pins_start $M dry-run) || abort "POST /upgrade {dryRun:true} starts a job"
CLIENT=$SCENARIO_WORK/client
pins_follow $M "$JOB" "$CLIENT"
background "$FOLLOW_PID"
waiting() { grep -q 'holds /var/lib/apt/lists/lock; retrying' "$CLIENT/stderr" 2>/dev/null; }
wait_for 120 "the dry run to wait for apt's lists lock" waiting ||
    abort "dry run $JOB waits for apt's lists lock, and a WebSocket client follows it"
pass "dry run $JOB waits for apt's lists lock, and a WebSocket client follows it"

before=$(lab_exec $M systemctl show -p MainPID --value pinsdaemon)
started=$SECONDS
check "apt-get install ./pinsdaemon_${PINS_SELF_VERSION}_amd64.deb while the job runs" \
    pins_install $M "/srv/pinslab/packages/self/pinsdaemon_${PINS_SELF_VERSION}_amd64.deb"
after=$(lab_exec $M systemctl show -p MainPID --value pinsdaemon)
info "package upgrade took $((SECONDS - started)) s; daemon pid $before -> $after"
check "dpkg: pinsdaemon is installed at $PINS_SELF_VERSION" \
    test "$(lab_exec $M dpkg-query -W -f='${db:Status-Abbrev}${Version}' pinsdaemon)" == "ii $PINS_SELF_VERSION"
check "the daemon is a new process" test "$before" != "$after"
state=$(pins_unit_state $M "$(upgrade_unit dry-run "$JOB")")
check "the run goes on in its own unit, $(upgrade_unit dry-run "$JOB") (${state:-unknown})" test "$state" == active
check_job_running_again $M

release_lock
wait "$FOLLOW_PID"
info "ws-client: $(head -c 400 "$CLIENT/summary.json")"
check "the client reconnected with ?after= and got every seq exactly once, then the end frame (succeeded)" \
    test "$(json "$CLIENT/summary.json" 'j.error === null && j.seqContiguous && j.reconnects.length > 0 && j.end !== null && j.end.status')" == succeeded
check "its lines equal the run's stdout and stderr byte for byte" pins_same_output $M dry-run "$JOB" "$CLIENT"
pins_job $M "$JOB" "$SCENARIO_WORK/job.json"
check "GET /jobs/{id}: succeeded, supervisor systemd" \
    test "$(json "$SCENARIO_WORK/job.json" '`${j.status} ${j.supervisor}`')" == "succeeded systemd"
check "dpkg --audit is clean" pins_dpkg_clean $M
