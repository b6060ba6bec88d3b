#!/bin/bash
# Scenario 17: a fleet node under the packaged, hardened unit. The package installed as a user
# does; certificates from ops/fleet-certs.sh in /etc/pinsdaemon/fleet/ (the key owned by the
# daemon's user, 0600); the fleet enabled in the conffile, as controller and host, seeding
# itself. The node forms its one-node fleet with its replica and journal in the state directory,
# GET /fleet/hosts lists it up, reachable and named, with its summary; a rolling dry run of
# itself through POST /fleet/rollouts runs through sudo and its own systemd unit and completes;
# the host's summary then has the updates that dry run found; the daemon never restarted. Then
# with pinsdaemon.socket enabled too and Daemon:IdleExitAfter=3s: the node takes the socket's
# listener and stays up, idle, well past 3 s.
# Proves: the fleet works inside the unit's sandbox (ProtectSystem=strict, its user, its
# capabilities) and with socket activation, not only in a test process.
source "$(dirname "$0")/../lib/scenario.sh"

M=fleet
NODE=lab-1
up $M

# The certificates, made on "another machine" (the host), as the README says.
certs=$SCENARIO_WORK/certs
rm -rf "$certs"
check "ops/fleet-certs.sh makes the fleet's CA and the node's certificate" \
    bash -c '"$1" ca "$2" >/dev/null && "$1" node "$2" "$3" 127.0.0.1 >/dev/null' sh \
    "$PINS_REPO_ROOT/ops/fleet-certs.sh" "$certs" "$NODE"
lab_copy $M "$certs/ca.crt" /root/fleet/ca.crt
lab_copy $M "$certs/$NODE.crt" /root/fleet/$NODE.crt
lab_copy $M "$certs/$NODE.key" /root/fleet/$NODE.key
check "the certificates installed in /etc/pinsdaemon/fleet/ (key: sysupdate-api, 0600)" lab_exec $M bash -ec "
    install -d -o root -g root -m 0755 /etc/pinsdaemon/fleet
    install -o root -g root -m 0644 /root/fleet/ca.crt /root/fleet/$NODE.crt /etc/pinsdaemon/fleet/
    install -o sysupdate-api -g sysupdate-api -m 0600 /root/fleet/$NODE.key /etc/pinsdaemon/fleet/
    rm -r /root/fleet"

# The conffile's [Fleet] section, as an owner would fill it in (README, fleet setup).
lab_exec $M tee -a /etc/pinsdaemon/pinsdaemon.conf >/dev/null <<EOF

[Fleet]
Enabled = true
NodeName = $NODE
Hostname = 127.0.0.1
BindHostname = 127.0.0.1
Controller = true
Seeds:0 = 127.0.0.1:2552
Tls:CertificateFile = /etc/pinsdaemon/fleet/$NODE.crt
Tls:KeyFile = /etc/pinsdaemon/fleet/$NODE.key
Tls:CaFile = /etc/pinsdaemon/fleet/ca.crt
EOF
check "systemctl restart pinsdaemon with the fleet enabled" lab_exec $M systemctl restart pinsdaemon
pins_wait_healthy $M || abort "the daemon answers /healthz as a fleet node"
restarts_before=$(lab_exec $M systemctl show -p NRestarts --value pinsdaemon)

# GET /fleet/hosts: this node, up, reachable, named, with its summary.
hosts=$SCENARIO_WORK/hosts.json
hosts_are() {
    [[ $(pins_api $M GET /fleet/hosts) == 200 ]] && cp "$(pins_body $M)" "$hosts" &&
        [[ $(json "$hosts" "$1") == true ]]
}
node_listed='j.length === 1 && j[0].name === "'$NODE'" && j[0].status === "up" && j[0].reachable === true
    && j[0].roles.includes("controller") && j[0].roles.includes("host") && j[0].summary !== null'
check "GET /fleet/hosts lists $NODE: up, reachable, controller and host, with its summary" \
    wait_for 120 "$NODE in GET /fleet/hosts" hosts_are "$node_listed"
info "$(cat "$hosts")"

# A rolling dry run of the fleet, which is this node, through the controller's API.
code=$(pins_api $M POST /fleet/rollouts '{"dryRun": true, "hosts": "all", "canary": 0, "batchSize": 1, "maxFailures": 0, "reboot": "never"}')
info "POST /fleet/rollouts: $code $(head -c 300 "$(pins_body $M)")"
[[ $code == 202 ]] || abort "POST /fleet/rollouts answers 202"
pass "POST /fleet/rollouts answers 202"
rollout_id=$(json "$(pins_body $M)" j.rolloutId)
rollout=$SCENARIO_WORK/rollout.json
rollout_finished() {
    [[ $(pins_api $M GET "/fleet/rollouts/$rollout_id") == 200 ]] && cp "$(pins_body $M)" "$rollout" &&
        [[ -n $(json "$rollout" j.finishedAt) ]]
}
check "the rollout finishes" wait_for 180 "rollout $rollout_id to finish" rollout_finished
info "$(cat "$rollout")"
check "it completed: $NODE succeeded with a job of its own" test \
    "$(json "$rollout" 'j.status + " " + j.hosts.map(h => h.host + ":" + h.state).join(",")')" == "completed $NODE:succeeded"
job_id=$(json "$rollout" 'j.hosts[0].jobId')
job=$SCENARIO_WORK/job.json
pins_job $M "$job_id" "$job"
check "that job is a dry run that succeeded, run by systemd as its own unit" test \
    "$(json "$job" 'j.dryRun + " " + j.status + " " + j.supervisor')" == "true succeeded systemd"
check "the dry run ran through sudo and the root script ($(upgrade_unit dry-run "$job_id"))" \
    lab_exec $M test -s "$PINS_RUNS_DIR/dry-run-$job_id.out"

# The host's summary now has what its dry run found: the three test packages' version 2.
check "GET /fleet/hosts: $NODE has 3 updates waiting, from that dry run" \
    wait_for 60 "the summary's pending updates" hosts_are 'j[0].summary.pendingUpdates === 3 && j[0].summary.pendingUpdatesCheckedAt !== null'
info "$(cat "$hosts")"
check "the daemon never restarted (NRestarts $restarts_before)" test \
    "$(lab_exec $M systemctl show -p NRestarts --value pinsdaemon)" == "$restarts_before"
check "the rollout's replica and the agent's journal are in the state directory, the daemon's own" \
    lab_exec $M bash -c 'test -n "$(find /var/lib/pinsdaemon/fleet/ddata -name "*.ddata" -user sysupdate-api)" &&
        test "$(stat -c %U /var/lib/pinsdaemon/fleet/agent-journal.json)" == sysupdate-api'

# Socket activation on a fleet node: the service enabled too (so it starts at boot and joins),
# and Daemon:IdleExitAfter short. It takes the socket's listener and stays up when idle.
main_pid() { lab_exec $M systemctl show -p MainPID --value pinsdaemon; }
lab_exec $M mkdir -p /etc/systemd/system/pinsdaemon.service.d
printf '[Service]\nEnvironment=Daemon__IdleExitAfter=00:00:03\n' |
    lab_exec $M tee /etc/systemd/system/pinsdaemon.service.d/idle.conf >/dev/null
lab_exec $M systemctl daemon-reload
# As at boot: the socket first (systemd refuses to start it beside a running service), then the service.
lab_exec $M systemctl stop pinsdaemon
check "pinsdaemon.socket enabled and listening beside the service" lab_exec $M systemctl enable --now pinsdaemon.socket
check "pinsdaemon.service started after it" lab_exec $M systemctl start pinsdaemon
pins_wait_healthy $M || abort "the daemon answers on the socket's address (127.0.0.1:5180, which it could not bind itself)"
pid=$(main_pid)
# journalctl's lines of this daemon process only.
journal_of() { lab_exec $M journalctl -u pinsdaemon --no-pager -o cat _PID="$1"; }
journal_lacks() { ! journal_of "$1" | grep -qF -- "$2"; }
check "its journal has lines of its own" test -n "$(journal_of "$pid")"
check "it took the socket's listener (no \"address already in use\" of a bind of its own)" journal_lacks "$pid" "address already in use"
# Over three times Daemon:IdleExitAfter with no request: a daemon that exits when idle is gone by then.
active_for() {
    local entered now
    # Microseconds of CLOCK_MONOTONIC, which /proc/uptime's whole seconds follow.
    entered=$(lab_exec $M systemctl show -p ActiveEnterTimestampMonotonic --value pinsdaemon)
    now=$(lab_exec $M cat /proc/uptime)
    now=${now%%.*}
    ((entered > 0 && now - entered / 1000000 >= $1)) || [[ $(main_pid) != "$pid" ]]
}
wait_for 60 "the daemon to have been up 10 s" active_for 10
check "idle for over Daemon:IdleExitAfter, the fleet node is still up (pid $pid)" \
    test "$(main_pid) $(lab_exec $M systemctl is-active pinsdaemon)" == "$pid active"
check "and did not decide to exit (no Daemon:IdleExitAfter in its journal)" journal_lacks "$pid" "Daemon:IdleExitAfter"
check "GET /fleet/hosts still lists $NODE up and reachable" hosts_are 'j.length === 1 && j[0].status === "up" && j[0].reachable === true'
