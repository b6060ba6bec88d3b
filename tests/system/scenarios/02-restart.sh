#!/bin/bash
# Scenario 2: `systemctl restart pinsdaemon` during a slow postinst: the run goes on in its own
# unit. The client reconnects with `?after=`, and the lines it gets, put together, equal the
# run's output byte for byte, with no gap and no duplicate. The job ends `succeeded`, and dpkg
# is clean.
# Proves: restarting the daemon (an upgrade of the daemon, an admin, a settings change) no
# longer signals dpkg, and a client that follows a job across the restart loses nothing.
source "$(dirname "$0")/../lib/scenario.sh"

M=restart
up $M
held_apply_start $M
before=$(lab_exec $M systemctl show -p MainPID --value pinsdaemon)

check "systemctl restart pinsdaemon succeeds" lab_exec $M systemctl restart pinsdaemon
after=$(lab_exec $M systemctl show -p MainPID --value pinsdaemon)
info "daemon pid $before -> $after"
check "the daemon is a new process" test "$before" != "$after"
check_run_outlived_daemon $M
check_job_running_again $M
held_apply_finish $M
check "the client was told the daemon shut down (shutdown frame, close 1001)" \
    test "$(json "$CLIENT/summary.json" 'j.shutdownFrames > 0 && j.reconnects[0].closeCode === 1001')" == true
