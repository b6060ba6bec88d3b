#!/bin/bash
# Scenario 18: scheduled checks under socket activation. The package turns checks on
# (Schedule:CheckEvery) and enables pinsdaemon-check.timer into pinsdaemon.socket.wants: it runs
# only while the socket does. With the socket enabled and no daemon running, the timer (its
# schedule shortened by a drop-in; its wiring is the package's) starts pinsdaemon.service,
# which takes the socket and runs the check that fell due while nothing ran: a dry run with
# trigger "schedule", no client involved, whose findings GET /host reports; then the daemon
# exits idle again. Turning socket activation off stops the timer with it.
# Proves: a check happens on a board whose daemon is not running between uses, and only there.
source "$(dirname "$0")/../lib/scenario.sh"

M=schedule
up $M

check "the package's settings turn scheduled checks on (CheckEvery = 1.00:00:00)" \
    lab_exec $M grep -qx 'CheckEvery = 1.00:00:00' /etc/pinsdaemon/pinsdaemon.conf
check "the package enabled pinsdaemon-check.timer, wanted by pinsdaemon.socket" \
    lab_exec $M test -L /etc/systemd/system/pinsdaemon.socket.wants/pinsdaemon-check.timer
check "the timer does not run while the daemon is a plain service" \
    test "$(lab_exec $M systemctl is-active pinsdaemon-check.timer)" != active
check "the running daemon planned its first check a period after its first start" \
    lab_exec $M test -s /var/lib/pinsdaemon/schedule.json

lab_exec $M systemctl disable --now pinsdaemon.service >/dev/null 2>&1
lab_exec $M mkdir -p /etc/systemd/system/pinsdaemon.service.d /etc/systemd/system/pinsdaemon-check.timer.d
printf '[Service]\nEnvironment=Daemon__IdleExitAfter=00:00:03\n' |
    lab_exec $M tee /etc/systemd/system/pinsdaemon.service.d/idle.conf >/dev/null
printf '[Timer]\nOnCalendar=\nOnActiveSec=3s\nRandomizedDelaySec=0\n' |
    lab_exec $M tee /etc/systemd/system/pinsdaemon-check.timer.d/soon.conf >/dev/null
# A check that fell due while no daemon ran.
printf '{"lastCheckAt":"2026-01-01T00:00:00+00:00","nextCheckAt":"2026-01-02T00:00:00+00:00"}\n' |
    lab_exec $M tee /var/lib/pinsdaemon/schedule.json >/dev/null
lab_exec $M systemctl daemon-reload

check "systemctl enable --now pinsdaemon.socket" lab_exec $M systemctl enable --now pinsdaemon.socket
check "starting the socket started pinsdaemon-check.timer" lab_unit_is $M pinsdaemon-check.timer active

check_id() {
    lab_exec $M journalctl -u pinsdaemon --no-pager -o cat |
        sed -n 's/.*Scheduled check \([0-9a-f-]\{36\}\) started.*/\1/p' | head -n 1
}
has_check() { [[ -n $(check_id) ]]; }
check "the timer started the daemon, and it started the due check without any client" \
    wait_for 120 "the scheduled check to start" has_check
id=$(check_id)
info "scheduled check: $id"
check "the check finishes" pins_wait_finished $M "$id" 300
job=$SCENARIO_WORK/check.json
pins_job $M "$id" "$job"
check "it is a succeeded dry run with trigger schedule" \
    test "$(json "$job" '[j.status, j.dryRun, j.trigger].join(" ")')" == "succeeded true schedule"
check "GET /host reports what it found" \
    test "$(pins_api $M GET /host)|$(json "$(pins_body $M)" 'j.pendingUpdates && j.pendingUpdates.checkJobId')" == "200|$id"
lab_exec $M cat /var/lib/pinsdaemon/schedule.json >"$SCENARIO_WORK/schedule.json"
check "the next check is due a day (and a random delay) after this one" \
    test "$(json "$SCENARIO_WORK/schedule.json" 'Date.parse(j.nextCheckAt) - Date.parse(j.lastCheckAt) >= 86400000')" == true
check "the daemon exits once idle again" lab_wait_unit $M pinsdaemon inactive 60

lab_exec $M systemctl disable --now pinsdaemon.socket >/dev/null 2>&1
check "with socket activation off, the timer stops with the socket" \
    test "$(lab_exec $M systemctl is-active pinsdaemon-check.timer)" != active
