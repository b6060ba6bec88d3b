#!/bin/bash
# Scenario 3: SIGKILL to every process in the daemon's cgroup during the postinst (what the
# OOM killer or a crash of the whole unit does): the same result as a restart. systemd starts
# the daemon again (Restart=on-failure); the run goes on in its own unit, the client
# reconnects with `?after=` and loses nothing, the job ends `succeeded`, dpkg is clean.
source "$(dirname "$0")/../lib/scenario.sh"

M=cgroup-kill
up $M
held_apply_start $M
restarts() { lab_exec $M systemctl show -p NRestarts --value pinsdaemon; }
before=$(restarts)

check "systemctl kill -s KILL pinsdaemon (every process of its cgroup)" \
    lab_exec $M systemctl kill --kill-whom=all -s KILL pinsdaemon
restarted() { [[ $(restarts) -gt $before && $(lab_exec $M systemctl is-active pinsdaemon) == active ]]; }
check "systemd starts the daemon again by itself (Restart=on-failure)" \
    wait_for 120 "pinsdaemon to be restarted by systemd" restarted
check_run_outlived_daemon $M
check_job_running_again $M
held_apply_finish $M
