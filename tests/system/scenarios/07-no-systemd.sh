#!/bin/bash
# Scenario 7: without systemd (the CI host itself): the detached run survives a SIGKILL of the
# daemon's process group, and the daemon re-attaches.
# A dry run only: never --apply on the host. The package is installed on this host with
# apt-get and started by its run-without-systemd (what a container without systemd uses),
# under PINSDAEMON_HOST_LOCK when set, and purged at the end.
# To catch the run mid-way, the test holds apt's lists lock (lib/hold-apt-lists-lock.pl) as
# another package manager would: the script's apt-get update waits and retries every 10 s.
# Proves: where systemd is not PID 1, the run lives in a session of its own, outside the
# daemon's process group, and a restarted daemon picks it up and loses no line.
source "$(dirname "$0")/../lib/scenario.sh"
# shellcheck source=ops/layout.sh
source "$PINS_REPO_ROOT/ops/layout.sh"

[[ -d /run/systemd/system ]] &&
    skip "systemd runs this host, so the root script would start a unit here, not a detached session"

if [[ -n ${PINSDAEMON_HOST_LOCK-} ]]; then
    exec {host_lock}>"$PINSDAEMON_HOST_LOCK"
    flock -w 1800 "$host_lock" || abort "took the host-install lock $PINSDAEMON_HOST_LOCK"
fi
if dpkg-query -W -f='${db:Status-Abbrev}' "$SERVICE" 2>/dev/null | grep -q '^[a-z][a-zA-Z]'; then
    if [[ ${CI-} == true ]]; then
        "$RUN_WITHOUT_SYSTEMD" --stop >/dev/null 2>&1
        DEBIAN_FRONTEND=noninteractive apt-get purge -y "$SERVICE" >"$SCENARIO_WORK/purge-before.log" 2>&1
    else
        abort "the pinsdaemon package is installed on this host: apt-get purge it first (CI=true does it)"
    fi
fi

# A free port on the host's loopback.
PORT=""
for candidate in $(shuf -i 20000-29999 -n 50); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then
        PORT=$candidate
        break
    fi
done
[[ -n $PORT ]] || abort "found a free port on 127.0.0.1"

uninstall() {
    "$RUN_WITHOUT_SYSTEMD" --stop >/dev/null 2>&1
    DEBIAN_FRONTEND=noninteractive apt-get purge -y "$SERVICE" >"$SCENARIO_WORK/purge.log" 2>&1 || {
        fail "apt-get purge pinsdaemon removes the daemon from this host"
        cat "$SCENARIO_WORK/purge.log"
    }
}
at_end uninstall
# apt reads a local package as user _apt: from a copy it can read.
DEB_COPY=$(mktemp -d /tmp/pinslab-deb.XXXXXX)
chmod 0755 "$DEB_COPY"
cp -- "$PINS_DEB" "$DEB_COPY/"
remove_copy() { rm -rf -- "$DEB_COPY"; }
at_end remove_copy
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$DEB_COPY/$(basename "$PINS_DEB")" \
    >"$SCENARIO_WORK/install.log" 2>&1 ||
    { tail -n 30 "$SCENARIO_WORK/install.log"; abort "apt-get install ./$(basename "$PINS_DEB") on this host"; }
sed -i "s|^urls = .*|urls = http://127.0.0.1:$PORT|" "$SETTINGS_PATH"
"$RUN_WITHOUT_SYSTEMD" >"$SCENARIO_WORK/start.log" 2>&1 ||
    { tail -n 30 "$SCENARIO_WORK/start.log"; abort "$RUN_WITHOUT_SYSTEMD starts the daemon"; }
pins_attach_host "$PORT" "$TOKEN_PATH"
pins_wait_healthy host || abort "the daemon answers on 127.0.0.1:$PORT"
pass "the package installed on this host and running without systemd on 127.0.0.1:$PORT"

LOCK=$SCENARIO_WORK/apt-lock
mkdir -p "$LOCK"
release_lock() { touch "$LOCK/release"; }
at_end release_lock
perl "$SYSTEM_LIB/hold-apt-lists-lock.pl" "$LOCK" 2>"$LOCK/err" &
LOCK_PID=$!
background $LOCK_PID
wait_for 120 "apt's lists lock" test -e "$LOCK/locked" || abort "took apt's lists lock on this host"

JOB=$(pins_start host dry-run) || abort "POST /upgrade {dryRun:true} starts a job"
CLIENT=$SCENARIO_WORK/client
pins_follow host "$JOB" "$CLIENT"
background "$FOLLOW_PID"
waiting() { grep -q 'holds /var/lib/apt/lists/lock; retrying' "$CLIENT/stderr" 2>/dev/null; }
wait_for 120 "the dry run to wait for apt's lists lock" waiting ||
    abort "dry run $JOB waits for apt's lists lock, and a WebSocket client follows it"
pass "dry run $JOB waits for apt's lists lock, and a WebSocket client follows it"

DAEMON_PID=$(cat "$RUN_DIR/pinsdaemon.pid")
[[ $DAEMON_PID =~ ^[0-9]+$ && $(ps -o pgid= -p "$DAEMON_PID" | tr -d ' ') == "$DAEMON_PID" ]] ||
    abort "the daemon (pid file $RUN_DIR/pinsdaemon.pid) leads its own process group"
kill -KILL -- "-$DAEMON_PID"
daemon_gone() { ! kill -0 "$DAEMON_PID" 2>/dev/null || [[ $(ps -o stat= -p "$DAEMON_PID") == Z* ]]; }
check "SIGKILL to the daemon's process group ends the daemon" wait_for 30 "the daemon to die" daemon_gone
run_alive() { pgrep -f -- "system-upgrade\.sh .*$JOB" >/dev/null; }
check "the run is still alive (system-upgrade.sh with the job id)" run_alive
pgrep -a -f -- "system-upgrade\.sh .*$JOB" | cut -c1-160 | sed 's/^/  /'

"$RUN_WITHOUT_SYSTEMD" >>"$SCENARIO_WORK/start.log" 2>&1 ||
    { tail -n 30 "$SCENARIO_WORK/start.log"; abort "$RUN_WITHOUT_SYSTEMD starts the daemon again"; }
pins_wait_healthy host || abort "the daemon answers again"
pins_job host "$JOB" "$SCENARIO_WORK/job-reattached.json" || abort "GET /jobs/{id} answers 200 after the restart"
info "job: $(head -c 300 "$SCENARIO_WORK/job-reattached.json")"
check "GET /jobs/{id}: running again, supervisor detached" \
    test "$(json "$SCENARIO_WORK/job-reattached.json" '`${j.status} ${j.supervisor}`')" == "running detached"

release_lock
wait "$FOLLOW_PID"
info "ws-client: $(head -c 400 "$CLIENT/summary.json")"
check "the client reconnected with ?after= and got every seq exactly once, then the end frame (succeeded)" \
    test "$(json "$CLIENT/summary.json" 'j.error === null && j.seqContiguous && j.reconnects.length > 0 && j.end !== null && j.end.status')" == succeeded
check "its lines equal the run's stdout and stderr byte for byte" pins_same_output host dry-run "$JOB" "$CLIENT"
pins_job host "$JOB" "$SCENARIO_WORK/job.json"
check "GET /jobs/{id}: succeeded, supervisor detached" \
    test "$(json "$SCENARIO_WORK/job.json" '`${j.status} ${j.supervisor}`')" == "succeeded detached"
