#!/bin/bash
# Scenario 11: socket activation. With pinsdaemon.socket enabled instead of the service, no
# daemon runs until a client connects; the first connection starts it and is served; after
# Daemon:IdleExitAfter (3 s here) with no job, connection or session it exits cleanly (exit 0,
# result success) while the socket stays; the next connection starts it again. A client that
# connects just as the daemon exits (once it logged that it is exiting) is served, not dropped.
# Proves: zero cost between uses under a real systemd, and no client lost to the idle exit.
source "$(dirname "$0")/../lib/scenario.sh"

M=socket
up $M

# The daemon's main pid, 0 when none runs.
main_pid() { lab_exec $M systemctl show -p MainPID --value pinsdaemon; }
# One request, printing connect and first-byte times (seconds), as a client sees them.
timed_health() {
    lab_net $M curl -fsS -o /dev/null --max-time 60 -w '%{time_connect} %{time_starttransfer}' \
        "http://127.0.0.1:$(pins_port $M)/healthz"
}
said_why() { lab_exec $M journalctl -u pinsdaemon --no-pager -o cat | grep -q 'Daemon:IdleExitAfter'; }
racer_done() { ! kill -0 "$racer" 2>/dev/null; }
unit_property() { lab_exec $M systemctl show -p "$1" --value pinsdaemon; }
exited_cleanly() {
    local state
    state="$(unit_property ActiveState) $(unit_property Result) $(unit_property ExecMainStatus)"
    info "ActiveState Result ExecMainStatus: $state"
    [[ $state == "inactive success 0" ]]
}

lab_exec $M systemctl disable --now pinsdaemon.service >/dev/null 2>&1
lab_exec $M install -m 0644 /srv/pinslab/ops/pinsdaemon.socket /etc/systemd/system/pinsdaemon.socket
lab_exec $M mkdir -p /etc/systemd/system/pinsdaemon.service.d
printf '[Service]\nEnvironment=Daemon__IdleExitAfter=00:00:03\n' |
    lab_exec $M tee /etc/systemd/system/pinsdaemon.service.d/idle.conf >/dev/null
lab_exec $M systemctl daemon-reload
check "systemctl enable --now pinsdaemon.socket" lab_exec $M systemctl enable --now pinsdaemon.socket
check "the socket listens and no daemon process runs" \
    test "$(lab_exec $M systemctl is-active pinsdaemon.socket) $(main_pid)" == "active 0"

times=$(timed_health)
check "the first connection starts the daemon and is answered" test -n "$times"
info "first request after activation: connect ${times% *} s, first byte ${times#* } s"
first=$(main_pid)
check "pinsdaemon.service runs (pid $first), started by the socket" test "$first" -gt 0

check "the daemon exits once idle for Daemon:IdleExitAfter" lab_wait_unit $M pinsdaemon inactive 60
check "it exited cleanly (exit 0, result success)" exited_cleanly
check "it said why, naming Daemon:IdleExitAfter" said_why
check "the socket stays and still listens" lab_unit_is $M pinsdaemon.socket active

check "the next connection starts it again and is answered" test -n "$(timed_health)"
second=$(main_pid)
check "a new daemon process ($first -> $second)" test "$second" -gt 0 -a "$second" != "$first"

# Connect at the moment the daemon has decided to exit: the gate is closed, the host is stopping.
lab_exec $M bash -c 'journalctl -u pinsdaemon -f -n 0 -o cat | grep -m1 -q "Daemon:IdleExitAfter"
    curl -fsS -o /dev/null --max-time 60 -w "%{http_code}" "http://127.0.0.1:$0/healthz"' "$(pins_port $M)" \
    >"$SCENARIO_WORK/during-exit" 2>&1 &
racer=$!
background $racer
wait_for 90 "the client that connected during the exit to finish" racer_done
wait $racer
racer_status=$?
info "client during the exit: $(cat "$SCENARIO_WORK/during-exit") (curl exit $racer_status)"
check "a client connecting while the daemon exits is served (200)" \
    test "$racer_status $(cat "$SCENARIO_WORK/during-exit")" == "0 200"
third=$(main_pid)
info "daemon pid after that client: ${third:-none}"
check "that client was served by a daemon started for it ($second -> $third)" test "$third" -gt 0 -a "$third" != "$second"
