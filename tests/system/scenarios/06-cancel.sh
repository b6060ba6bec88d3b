#!/bin/bash
# Scenario 6: cancel during the download: `cancelled`. Cancel during dpkg: 409, and the run
# completes.
# apt reads a file: repository in place and downloads nothing, so here the repository is served
# over HTTP on the container's own loopback by lib/slow-repo.mjs, which holds each package
# download after its first 64 KiB until the test lets it go.
# Proves: cancel stops an apply that has not changed anything yet, and cannot cut dpkg off.
source "$(dirname "$0")/../lib/scenario.sh"

M=cancel
PORT=8080
HTTP=$SCENARIO_WORK/http
up $M
mkdir -p "$HTTP"
lab_net_background $M node "$SYSTEM_LIB/slow-repo.mjs" "$PINS_PACKAGES/repo" $PORT "$HTTP" >"$HTTP/server.log" 2>&1
background "$LAB_BACKGROUND_PID"
wait_for 30 "the HTTP repository to listen" test -e "$HTTP/listening" || abort "the slow HTTP repository listens on the container's loopback"
lab_exec $M sh -c 'cat >/etc/apt/sources.list.d/pinslab.sources' <<EOF_SOURCES
Types: deb
URIs: http://127.0.0.1:$PORT/
Suites: ./
Trusted: yes
EOF_SOURCES

# --- during the download
JOB=$(pins_start $M apply) || abort "POST /upgrade {dryRun:false} starts a job"
wait_for 120 "apt to start downloading a package" test -e "$HTTP/holding" ||
    abort "apt downloads a package from the HTTP repository"
pass "apply $JOB is downloading $(cat "$HTTP/holding")"
code=$(pins_api $M POST "/jobs/$JOB/cancel")
info "POST /jobs/$JOB/cancel -> $code $(head -c 200 "$(pins_body $M)")"
check "cancel during the download: 202 Accepted" test "$code" == 202
pins_wait_finished $M "$JOB" 120
pins_job $M "$JOB" "$SCENARIO_WORK/job.json"
info "job: $(head -c 400 "$SCENARIO_WORK/job.json")"
check "the job ends cancelled" test "$(json "$SCENARIO_WORK/job.json" j.status)" == cancelled
check "nothing was upgraded: every test package is still at version 1" pins_versions_are $M 1
check "dpkg --audit is clean" pins_dpkg_clean $M

# --- during dpkg
touch "$HTTP/release"
pins_control $M pinslab-service hold=yes
JOB2=$(pins_start $M apply) || abort "POST /upgrade {dryRun:false} starts the second job"
pins_wait_holding $M pinslab-service || abort "dpkg reaches pinslab-service's postinst, which holds"
pass "apply $JOB2 is inside pinslab-service's postinst"
code=$(pins_api $M POST "/jobs/$JOB2/cancel")
info "POST /jobs/$JOB2/cancel -> $code $(head -c 300 "$(pins_body $M)")"
check "cancel during dpkg: 409 Conflict" test "$code" == 409
check "dpkg goes on: still inside the postinst" pins_holding $M pinslab-service
pins_release $M pinslab-service
pins_wait_finished $M "$JOB2" 120
pins_job $M "$JOB2" "$SCENARIO_WORK/job2.json"
info "job: $(head -c 400 "$SCENARIO_WORK/job2.json")"
check "the run completes: succeeded" test "$(json "$SCENARIO_WORK/job2.json" j.status)" == succeeded
check "dpkg: every test package is installed at version 2" pins_versions_are $M 2
check "dpkg --audit is clean" pins_dpkg_clean $M
