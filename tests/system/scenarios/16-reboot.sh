#!/bin/bash
# Scenario 16: a reboot over the API. With `Host:AllowReboot = true` in the package's settings
# file, `POST /reboot` answers 202 and systemd schedules the reboot (logind's scheduled
# shutdown); `DELETE /reboot` cancels it and nothing stays scheduled. A second `POST /reboot`
# then really reboots the container a minute later: a new boot id, the daemon starts again by
# itself, `GET /host` shows the new boot, and the job history still lists the jobs from before.
# Proves: the reboot button does what it says, can be taken back, and the daemon comes back
# from it knowing its past.
source "$(dirname "$0")/../lib/scenario.sh"

M=reboot
up $M
allow_reboot() {
    printf '\n[Host]\nAllowReboot = true\n' | lab_exec $M tee -a /etc/pinsdaemon/pinsdaemon.conf >/dev/null &&
        lab_exec $M systemctl restart pinsdaemon && pins_wait_healthy $M
}
allow_reboot || abort "Host:AllowReboot = true in /etc/pinsdaemon/pinsdaemon.conf, the daemon restarted"

JOB=$(pins_start $M dry-run) || abort "POST /upgrade {dryRun:true} starts a job"
pins_wait_finished $M "$JOB" 120 || abort "the dry run before the reboot ends"
pass "dry run $JOB before the reboot"

# systemd 252 keeps a scheduled shutdown in this file while it is pending (shutdown -r +1).
SCHEDULED=/run/systemd/shutdown/scheduled
scheduled() { lab_exec $M test -e $SCHEDULED; }
not_scheduled() { ! scheduled; }

code=$(pins_api $M POST /reboot)
info "POST /reboot: $code $(head -c 200 "$(pins_body $M)")"
check "POST /reboot answers 202 with rebootAt" \
    test "$code $(json "$(pins_body $M)" 'j.rebootAt ? "at" : "none"')" == "202 at"
check "a reboot is scheduled ($SCHEDULED: $(lab_exec $M cat $SCHEDULED 2>/dev/null | tr '\n' ' '))" scheduled
code=$(pins_api $M DELETE /reboot)
info "DELETE /reboot: $code $(head -c 200 "$(pins_body $M)")"
check "DELETE /reboot answers 200 with rebootAt null" \
    test "$code $(json "$(pins_body $M)" 'j.rebootAt === null')" == "200 true"
check "nothing is scheduled any more" wait_for 30 "$SCHEDULED to be removed" not_scheduled
audited() {
    local journal
    journal=$(lab_exec $M journalctl -u pinsdaemon --no-pager -o cat)
    grep -q 'Reboot accepted for' <<<"$journal" && grep -q 'Reboot cancel accepted for' <<<"$journal"
}
check "both were audited (the journal: Reboot accepted, Reboot cancel accepted)" audited

boot_before=$(lab_boot_id $M)
host_before=$SCENARIO_WORK/host-before.json
# get_host FILE: GET /host into FILE.
get_host() { [[ $(pins_api $M GET /host) == 200 ]] && cp "$(pins_body $M)" "$1"; }
get_host "$host_before" || abort "GET /host answers 200"
code=$(pins_api $M POST /reboot)
check "POST /reboot again answers 202" test "$code" == 202
info "rebootAt $(json "$(pins_body $M)" j.rebootAt), boot $boot_before"

check "the container reboots (a new boot id, up to multi-user)" lab_wait_reboot $M "$boot_before" 180
info "boot id $boot_before -> $(lab_boot_id $M); nspawn started again after $(tail -n 1 "$(lab_dir $M)/reboots" 2>/dev/null) s"
check "the daemon starts by itself after the reboot" pins_wait_healthy $M

host_after=$SCENARIO_WORK/host-after.json
get_host "$host_after" || abort "GET /host answers 200 after the reboot"
info "GET /host before: $(json "$host_before" '`bootedAt ${j.bootedAt}, uptime ${j.uptimeSeconds}`')"
info "GET /host after:  $(json "$host_after" '`bootedAt ${j.bootedAt}, uptime ${j.uptimeSeconds}`')"
check "GET /host: bootedAt is later than before the reboot" \
    test "$(node -e 'const [a, b] = process.argv.slice(1).map(f => JSON.parse(require("fs").readFileSync(f, "utf8")));
        process.stdout.write(String(Date.parse(b.bootedAt) > Date.parse(a.bootedAt) && b.uptimeSeconds < a.uptimeSeconds + 60))' \
        "$host_before" "$host_after")" == true
check "GET /host: no reboot pending (rebootRequired false)" test "$(json "$host_after" j.rebootRequired)" == false

listed() {
    [[ $(pins_api $M GET /jobs) == 200 ]] &&
        [[ $(json "$(pins_body $M)" "j.some(x => x.jobId === '$JOB')") == true ]]
}
check "GET /jobs still lists the dry run from before the reboot" listed
pins_job $M "$JOB" "$SCENARIO_WORK/job.json"
check "GET /jobs/{id}: it is still succeeded" test "$(json "$SCENARIO_WORK/job.json" j.status)" == succeeded
