#!/bin/bash
# tests/e2e/run.sh: end-to-end test of the amd64 package on a Debian host without systemd
# (CI), as root. It changes the machine: it installs pinsdaemon_<version>_amd64.deb with
# apt-get, exercises it, then purges it (also when a check fails or the run is
# interrupted). It never runs the upgrade with --apply: only dry runs, which refresh the
# package lists and change no package.
#
#   tests/e2e/run.sh [--deb FILE]     (default: build the package with ops/deb/build.sh)
#
#   1. apt-get install ./pinsdaemon_…_amd64.deb: user, token, certificate, sudoers, unit
#   2. start it the way the package says without systemd (run-without-systemd), on free
#      loopback ports set in the conffile, HTTP and HTTPS
#   3. a dry run over HTTP, followed over a WebSocket (tests/e2e/ws-client.mjs): real
#      apt-get output, end frame and GET /jobs/{id} say succeeded with exit 0
#   4. HTTPS answers with the certificate whose fingerprint the install printed, and with
#      the administrator's own after pinsdaemon-tls import
#   5. the privilege boundary, checked as the service user: the eleven sudoers forms and
#      nothing else; a run started through sudo outlives the caller
#   6. reinstall while running (token kept, daemon back), apt-get remove (token and
#      history kept), apt-get purge: the file lists before and after are the same
#
# Without --deb, PINSDAEMON_PUBLISH (a linux-x64 self-contained publish) is packaged instead
# of publishing again.
#
# Prints PASS/FAIL per check and ends with "e2e: N passed, M failed"; exits 1 if any
# check failed.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(cd "$HERE/../.." && pwd -P)
readonly HERE REPO
readonly PACKAGE=pinsdaemon
readonly USER_NAME=sysupdate-api
readonly SCRIPT=/usr/libexec/pinsdaemon/system-upgrade.sh
readonly RUNNER=/usr/libexec/pinsdaemon/run-without-systemd
readonly SUDOERS=/etc/sudoers.d/pinsdaemon
readonly CONF=/etc/pinsdaemon/pinsdaemon.conf
readonly TEMPLATE_UNIT=/usr/lib/systemd/system/pinsdaemon-upgrade@.service
readonly RUNS_DIR=/var/lib/pinsdaemon-upgrade
readonly TOKEN_FILE=/etc/pinsdaemon/api-token
readonly TLS_KEY=/etc/pinsdaemon/tls.key
readonly STATE_DIR=/var/lib/pinsdaemon
readonly LIB_DIR=/usr/lib/pinsdaemon
readonly PID_FILE=/run/pinsdaemon/pinsdaemon.pid
readonly LOG_FILE=/var/log/pinsdaemon.log
# A dry run is apt-get update plus a simulation: seconds on a good mirror, minutes on
# a slow one. Generous, so a slow mirror is not reported as a daemon bug.
readonly JOB_TIMEOUT=600

DEB=""
case ${1-} in
    "") ;;
    --deb)
        DEB=${2:?--deb needs a file}
        DEB=$(realpath -- "$DEB")
        ;;
    *)
        echo "usage: tests/e2e/run.sh [--deb FILE]" >&2
        exit 64
        ;;
esac

PASSED=0
FAILED=0
INSTALLED=no
WORK=$(mktemp -d /tmp/pinsdaemon-e2e.XXXXXX)
readonly WORK
chmod 0755 "$WORK"

# shellcheck source=tests/e2e/checks.sh
source "$HERE/checks.sh"
info() { echo "e2e: $*"; }
as_user() { runuser -u "$USER_NAME" -- "$@"; }
apt_quiet() { DEBIAN_FRONTEND=noninteractive apt-get "$@" >>"$WORK/apt.log" 2>&1; }

finish() {
    local status=$?
    if [[ $INSTALLED == yes ]]; then
        if ((FAILED > 0)) && [[ -f $LOG_FILE ]]; then
            info "last lines of $LOG_FILE:"
            tail -n 40 "$LOG_FILE" | sed 's/^/    /'
        fi
        info "cleaning up: apt-get purge $PACKAGE"
        "$RUNNER" --stop >/dev/null 2>&1
        apt_quiet purge -y "$PACKAGE" || tail -n 20 "$WORK/apt.log"
    fi
    rm -rf -- "$WORK"
    if ((PASSED + FAILED == 0)); then
        FAILED=1
        echo "FAIL: e2e stopped before any check ran (status $status)"
    fi
    echo "e2e: $PASSED passed, $FAILED failed"
    ((FAILED == 0))
    exit $?
}
trap finish EXIT
trap 'exit 130' INT TERM

# --- 0. prerequisites of the test itself ----------------------------------------------
if ((EUID != 0)); then
    echo "e2e: must run as root (it installs the package)" >&2
    exit 1
fi
if [[ -d /run/systemd/system ]]; then
    echo "e2e: systemd is running here: this test drives the package without systemd (the lab, tests/system/, covers systemd)" >&2
    exit 1
fi
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if ((node_major < 20)); then
    echo "e2e: needs Node.js 20.10 or later for its WebSocket client" >&2
    exit 1
fi
NODE_WS=(node)
if [[ $(node -p 'typeof WebSocket') != function ]]; then
    NODE_WS=(node --experimental-websocket)
fi
if dpkg-query -W -f='${db:Status-Abbrev}' "$PACKAGE" 2>/dev/null | grep -q '^[a-z][a-zA-Z]'; then
    if [[ ${CI-} == true ]]; then
        info "$PACKAGE is installed; purging it first"
        "$RUNNER" --stop >/dev/null 2>&1
        apt_quiet purge -y "$PACKAGE" || { tail -n 20 "$WORK/apt.log"; exit 1; }
    else
        echo "e2e: $PACKAGE is installed here; apt-get purge it first (CI=true does that itself)" >&2
        exit 1
    fi
fi
if [[ -z $DEB ]]; then
    info "building the amd64 package (ops/deb/build.sh)"
    build_args=(--arch amd64 --out "$WORK")
    if [[ -n ${PINSDAEMON_PUBLISH-} ]]; then build_args+=(--publish-dir "$PINSDAEMON_PUBLISH"); fi
    DEB=$("$REPO/ops/deb/build.sh" "${build_args[@]}" 2>"$WORK/build.log" | tail -n 1) ||
        { tail -n 30 "$WORK/build.log"; exit 1; }
fi
[[ -f $DEB ]] || { echo "e2e: $DEB does not exist" >&2; exit 1; }
# The package's dependencies and the test's tools first, so that the file lists compared at
# the end differ by what the package itself creates, nothing else.
deps=$(dpkg-deb -f "$DEB" Depends | sed 's/([^)]*)//g; s/|[^,]*//g; s/,/ /g')
# shellcheck disable=SC2086  # one word per package
apt_quiet update && apt_quiet install -y --no-install-recommends $deps curl openssl ||
    { tail -n 20 "$WORK/apt.log"; exit 1; }

free_port() {
    node -e 'const s = require("net").createServer();
             s.listen(0, "127.0.0.1", () => { process.stdout.write(String(s.address().port)); s.close(); });'
}
HTTP_PORT=$(free_port)
HTTPS_PORT=$(free_port)
while [[ $HTTPS_PORT == "$HTTP_PORT" ]]; do HTTPS_PORT=$(free_port); done
readonly BASE=http://127.0.0.1:$HTTP_PORT
readonly WS_BASE=ws://127.0.0.1:$HTTP_PORT
readonly HTTPS_BASE=https://127.0.0.1:$HTTPS_PORT

# Everything on the machine outside scratch, cache and log space: purge must bring this
# list back exactly. The package manager's own bookkeeping is left out.
file_list() {
    {
        find /etc /usr /var /opt /srv /run -xdev \
            \( -path /var/cache -o -path /var/log -o -path /var/tmp -o -path /var/lib/apt -o \
            -path /var/lib/dpkg -o -path /var/lib/ucf -o -path /run/user -o -path /var/mail -o \
            -path /run/systemd/nspawn -o -path /var/lib/machines \) -prune -o -print
        getent passwd | cut -d: -f1 | sed 's/^/user: /'
        getent group | cut -d: -f1 | sed 's/^/group: /'
    } | LC_ALL=C sort
}
# sudo makes its timestamp directory on first use by anyone; the user's own entry in it is
# the package's to remove.
if [[ -d /run/sudo ]]; then install -d -m 0700 /run/sudo/ts; fi
file_list >"$WORK/files-before"

# --- 1. install ---------------------------------------------------------------------------
info "apt-get install $(basename "$DEB")"
INSTALLED=yes
cp -- "$DEB" "$WORK/"
if DEBIAN_FRONTEND=noninteractive apt-get install -y "$WORK/$(basename "$DEB")" >"$WORK/install1.log" 2>&1; then
    pass "apt-get install ./$(basename "$DEB") exits 0"
else
    fail "apt-get install ./$(basename "$DEB") exits 0"
    cat "$WORK/install1.log"
    exit 1
fi
sed -n '/^Setting up pinsdaemon/,$p' "$WORK/install1.log" | grep '^pinsdaemon:\|^    ' | sed 's/^/  | /'

check "the install output says how to read the token" grep -q "sudo cat $TOKEN_FILE" "$WORK/install1.log"
check "the install output says how to start the daemon without systemd" grep -qF "$RUNNER" "$WORK/install1.log"
PRINTED_FINGERPRINT=$(grep -A1 'fingerprint' "$WORK/install1.log" | grep -Eo '([0-9A-F]{2}:){31}[0-9A-F]{2}' | head -n 1)
check "the install output prints the certificate's SHA-256 fingerprint" test -n "$PRINTED_FINGERPRINT"
check "pinsdaemon-tls fingerprint prints it again" test "$(pinsdaemon-tls fingerprint)" == "$PRINTED_FINGERPRINT"

layout_ok() {
    local ok=0 path expected actual
    while read -r path expected; do
        actual=$(stat -c '%U:%G %a' "$path" 2>&1)
        [[ $actual == "$expected" ]] || { echo "  $path: $actual, expected $expected"; ok=1; }
    done <<EOF
$SCRIPT root:root 755
$(dirname "$SCRIPT") root:root 755
$SUDOERS root:root 440
$TOKEN_FILE root:root 600
$TLS_KEY root:root 600
$CONF root:root 644
$STATE_DIR $USER_NAME:$USER_NAME 700
$RUNS_DIR root:$USER_NAME 750
$TEMPLATE_UNIT root:root 644
$LIB_DIR root:root 755
$LIB_DIR/pinsdaemon root:root 755
EOF
    [[ -z $(find "$LIB_DIR" \( ! -user root -o -perm /022 \) -print -quit) ]] ||
        { echo "  $LIB_DIR has files not owned by root or writable by others"; ok=1; }
    ! dpkg -L "$PACKAGE" | grep -q '^/usr/local' || { echo "  the package ships files under /usr/local"; ok=1; }
    [[ -z $(find /usr/local -newer "$WORK/files-before" -print -quit) ]] || { echo "  something was written under /usr/local"; ok=1; }
    dpkg-query -W -f='${Conffiles}\n' "$PACKAGE" | grep -q "^ $CONF " || { echo "  $CONF is not a conffile"; ok=1; }
    visudo -cf "$SUDOERS" >/dev/null || { echo "  $SUDOERS does not parse"; ok=1; }
    return $ok
}
check "installed files have Debian's layout, owners and modes" layout_ok

# --- 2. start it without systemd, as the package says ---------------------------------------
sed -i "s|^urls = .*|urls = $BASE;$HTTPS_BASE|" "$CONF"
if "$RUNNER" >"$WORK/start.log" 2>&1; then
    pass "$RUNNER starts the daemon"
else
    fail "$RUNNER starts the daemon"
    cat "$WORK/start.log"
    exit 1
fi

healthy() {
    local i
    for ((i = 0; i < 60; i++)); do
        [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$BASE/healthz") == 200 ]] && return 0
        sleep 0.5
    done
    return 1
}
check "GET /healthz answers 200 without a token" healthy

daemon_runs_as_service_user() {
    local pid uid
    pid=$(cat "$PID_FILE") || return 1
    uid=$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status") || return 1
    [[ $uid == $(id -u "$USER_NAME") ]]
}
check "the daemon process runs as $USER_NAME" daemon_runs_as_service_user

TOKEN=$(tr -d '\r\n' <"$TOKEN_FILE")

# --- 3. a dry run over HTTP, followed over a WebSocket ---------------------------------------
unauthorized() {
    [[ $(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
        --data '{"dryRun":true}' "$BASE/upgrade") == 401 ]]
}
check "POST /upgrade without a token is refused with 401" unauthorized

# wait_for_end ID FILE: polls GET /jobs/{id} into FILE until the job is no longer running.
wait_for_end() {
    local id=$1 file=$2 status="" i
    for ((i = 0; i < JOB_TIMEOUT; i++)); do
        curl -s -o "$file" -H "Authorization: Bearer $TOKEN" "$BASE/jobs/$id"
        status=$(json "$file" 'j.status' 2>/dev/null)
        [[ $status == running || -z $status ]] || break
        sleep 1
    done
    echo "  job $id: $status"
    [[ $status == succeeded ]]
}

JOB_ID=""
start_dry_run() {
    local code
    code=$(curl -s -o "$WORK/post.json" -w '%{http_code}' -X POST \
        -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
        --data '{"dryRun":true}' "$BASE/upgrade")
    JOB_ID=$(json "$WORK/post.json" 'j.jobId' 2>/dev/null)
    echo "  POST /upgrade -> $code $(head -c 300 "$WORK/post.json")"
    [[ $code == 202 && -n $JOB_ID && $(json "$WORK/post.json" 'j.status') == started ]]
}
check "POST /upgrade {dryRun:true} answers 202 with a jobId and status started" start_dry_run

if [[ -n $JOB_ID ]]; then
    "${NODE_WS[@]}" "$HERE/ws-client.mjs" "$WS_BASE/logs/$JOB_ID" --token "$TOKEN" \
        --lines "$WORK/lines.txt" --timeout "$JOB_TIMEOUT" >"$WORK/ws.json" 2>"$WORK/ws.err"
    ws_status=$?
    echo "  ws-client: $(head -c 600 "$WORK/ws.json") $(head -c 300 "$WORK/ws.err")"
    check "WebSocket /logs/{id}: every seq in order, an end frame, close 1000" test "$ws_status" -eq 0

    real_apt_output() {
        grep -q 'Reading package lists' "$WORK/lines.txt" &&
            grep -Eq '^Inst |[0-9]+ upgraded, [0-9]+ newly installed' "$WORK/lines.txt"
    }
    check "the log carries real apt-get output (Reading package lists, Inst lines or the summary)" real_apt_output
    no_channel_lines() { ! grep -q '^pinsdaemon-status \|^pinsdaemon: channel ' "$WORK/lines.txt"; }
    check "status-channel lines stay out of the log" no_channel_lines

    job_ok() {
        local code
        code=$(curl -s -o "$WORK/job.json" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$BASE/jobs/$JOB_ID")
        echo "  GET /jobs/$JOB_ID -> $code $(head -c 400 "$WORK/job.json")"
        [[ $code == 200 && $(json "$WORK/job.json" 'j.status') == succeeded &&
            $(json "$WORK/job.json" 'j.exitCode') == 0 && $(json "$WORK/job.json" 'j.dryRun') == true &&
            $(json "$WORK/job.json" 'j.lineCount') == $(json "$WORK/ws.json" 'j.lastSeq') ]]
    }
    check "GET /jobs/{id}: succeeded, exitCode 0, dryRun true, lineCount = last seq" job_ok

    plan_matches_apt() {
        # The same simulation, run here as root on the lists the job just updated.
        local expected actual
        expected=$(apt-get -s upgrade --with-new-pkgs 2>/dev/null | grep -c '^Inst ')
        actual=$(json "$WORK/job.json" 'j.plan.filter(p => p.action === "upgrade" || p.action === "install").length')
        echo "  plan: $actual packages to install or upgrade; apt-get -s upgrade: $expected Inst lines"
        [[ -n $actual && $actual == "$expected" ]]
    }
    check "the job's plan matches apt-get -s upgrade on this machine" plan_matches_apt

    host_ok() {
        # Read by the service user from the real files: boot id, os-release, and the check just run.
        local code
        code=$(curl -s -o "$WORK/host.json" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$BASE/host")
        echo "  GET /host -> $code $(head -c 400 "$WORK/host.json")"
        [[ $code == 200 && $(json "$WORK/host.json" 'j.bootId') == "$(cat /proc/sys/kernel/random/boot_id)" &&
            $(json "$WORK/host.json" 'j.os.id') == "$(. /etc/os-release && echo "$ID")" &&
            $(json "$WORK/host.json" 'j.pendingUpdates.checkJobId') == "$JOB_ID" &&
            $(json "$WORK/host.json" 'j.pendingUpdates.count') == \
            $(json "$WORK/job.json" 'j.plan.filter(p => p.action === "upgrade" || p.action === "install").length') ]]
    }
    check "GET /host: this boot, this OS, and the dry run's updates as pending" host_ok

    apt_history_ok() {
        # apt's own log is world-readable on Debian: the service user reads every entry of it.
        local code logged
        logged=$(grep -c '^Start-Date: ' /var/log/apt/history.log 2>/dev/null)
        logged=${logged:-0}
        code=$(curl -s -o "$WORK/history.json" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$BASE/host/apt-history?limit=5")
        echo "  GET /host/apt-history -> $code; history.log has $logged entries; total $(json "$WORK/history.json" 'j.total'), skipped $(json "$WORK/history.json" 'j.skipped')"
        [[ $code == 200 && $(json "$WORK/history.json" 'j.total') -ge $logged &&
            $(json "$WORK/history.json" 'j.skipped') == 0 && $(json "$WORK/history.json" 'j.truncated') == false ]]
    }
    check "GET /host/apt-history: every entry of this machine's apt history, none skipped" apt_history_ok

    full_upgrade_plan_ok() {
        # The mode reaches the root script through its own sudoers form; the plan is apt's.
        local code id i expected actual
        code=$(curl -s -o "$WORK/post-full.json" -w '%{http_code}' -X POST \
            -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
            --data '{"dryRun":true,"mode":"full-upgrade","autoremove":true}' "$BASE/upgrade")
        id=$(json "$WORK/post-full.json" 'j.jobId' 2>/dev/null)
        [[ $code == 202 && -n $id ]] || { echo "  POST /upgrade full-upgrade -> $code $(head -c 300 "$WORK/post-full.json")"; return 1; }
        for ((i = 0; i < JOB_TIMEOUT * 10; i++)); do
            curl -s -o "$WORK/job-full.json" -H "Authorization: Bearer $TOKEN" "$BASE/jobs/$id"
            [[ $(json "$WORK/job-full.json" 'j.status') != running ]] && break
            sleep 0.1
        done
        expected=$( { apt-get -s full-upgrade; apt-get -s autoremove; } 2>/dev/null | grep -cE '^(Inst|Remv|Purg) ')
        actual=$(json "$WORK/job-full.json" 'j.plan && j.plan.filter(p => p.action !== "configure").length')
        echo "  full-upgrade job: $(json "$WORK/job-full.json" 'j.status') mode $(json "$WORK/job-full.json" 'j.mode'), plan $actual; apt-get -s full-upgrade and autoremove: $expected Inst/Remv/Purg lines"
        [[ $(json "$WORK/job-full.json" 'j.status') == succeeded && $(json "$WORK/job-full.json" 'j.mode') == full-upgrade &&
            $(json "$WORK/job-full.json" 'j.autoremove') == true && $actual == "$expected" ]]
    }
    check "a full-upgrade dry run with autoremove: its plan matches apt-get -s full-upgrade and -s autoremove on this machine" full_upgrade_plan_ok

    replay_ok() {
        "${NODE_WS[@]}" "$HERE/ws-client.mjs" "$WS_BASE/logs/$JOB_ID" --query-token "$TOKEN" \
            --timeout 60 >"$WORK/ws2.json" 2>&1 &&
            [[ $(json "$WORK/ws2.json" 'j.lines') == $(json "$WORK/ws.json" 'j.lines') ]]
    }
    check "a finished job replays in full over WebSocket with ?token=" replay_ok

    refuse "a WebSocket without a token is refused" \
        quiet "${NODE_WS[@]}" "$HERE/ws-client.mjs" "$WS_BASE/logs/$JOB_ID" --timeout 30
fi

# --- 4. HTTPS with the printed fingerprint -----------------------------------------------------
# A client that pins, as the CLI will: it accepts the connection only if the certificate's
# SHA-256 fingerprint is the one the install printed, then asks for the job list.
https_pinned() {
    node - "$HTTPS_BASE/jobs" "$TOKEN" "$1" <<'EOF'
const [url, token, pinned] = process.argv.slice(2);
const https = require("node:https");
const request = https.get(url, { headers: { Authorization: `Bearer ${token}` }, rejectUnauthorized: false }, (res) => {
    const seen = res.socket.getPeerCertificate().fingerprint256;
    const protocol = res.socket.getProtocol();
    if (seen !== pinned) { console.log(`  fingerprint ${seen} is not the pinned ${pinned}`); process.exit(1); }
    let body = "";
    res.on("data", (d) => (body += d));
    res.on("end", () => {
        console.log(`  GET ${url} over ${protocol}, certificate ${seen} -> ${res.statusCode}, ${JSON.parse(body).length} job(s)`);
        process.exit(res.statusCode === 200 ? 0 : 1);
    });
});
request.setTimeout(30000, () => { console.log("  timed out"); process.exit(1); });
request.on("error", (e) => { console.log(`  ${e.message}`); process.exit(1); });
EOF
}
check "HTTPS answers with the certificate whose fingerprint the install printed" https_pinned "$PRINTED_FINGERPRINT"
check "the daemon logged the fingerprint at start" grep -q "Listening on $HTTPS_BASE with certificate SHA-256 fingerprint $PRINTED_FINGERPRINT" "$LOG_FILE"

# The administrator's own certificate instead of the generated one.
make_pair() {
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "/CN=$1" \
        -keyout "$WORK/$1.key" -out "$WORK/$1.crt" >/dev/null 2>&1
}
make_pair own && make_pair other
OWN_FINGERPRINT=$(openssl x509 -in "$WORK/own.crt" -noout -fingerprint -sha256 | sed 's/^[^=]*=//')
refuse "pinsdaemon-tls import refuses a key that is not the certificate's" quiet pinsdaemon-tls import "$WORK/own.crt" "$WORK/other.key"
check "pinsdaemon-tls fingerprint still prints the package's certificate" test "$(pinsdaemon-tls fingerprint)" == "$PRINTED_FINGERPRINT"
check "pinsdaemon-tls import installs the administrator's certificate and key" quiet pinsdaemon-tls import "$WORK/own.crt" "$WORK/own.key"
check "pinsdaemon-tls fingerprint prints the imported certificate's" test "$(pinsdaemon-tls fingerprint)" == "$OWN_FINGERPRINT"
check "the imported key is root's, mode 0600" test "$(stat -c '%U %a' "$TLS_KEY")" == "root 600"
restart_daemon() { "$RUNNER" --stop >/dev/null && "$RUNNER" >>"$WORK/start.log" 2>&1; }
check "the daemon restarts with it" restart_daemon
check "HTTPS answers with the imported certificate" https_pinned "$OWN_FINGERPRINT"

plain_http_refused_with_setting() {
    local out
    out=$(runuser -u "$USER_NAME" -- env SettingsFile="$WORK/plain.conf" API_TOKEN="$TOKEN" Upgrade__UseSudo=false \
        Storage__Directory="$WORK/plain-state" timeout 60 "$LIB_DIR/pinsdaemon" 2>&1)
    local status=$?
    echo "  exit $status: $(grep -m1 'configuration error' <<<"$out")"
    [[ $status == 78 ]] && grep -q "AllowPlainHttpOnNetwork = true' under \[Network\] in $WORK/plain.conf" <<<"$out"
}
printf 'urls = http://0.0.0.0:%s\n' "$(free_port)" >"$WORK/plain.conf"
chmod 0644 "$WORK/plain.conf"
install -d -o "$USER_NAME" -m 0700 "$WORK/plain-state"
check "plain HTTP on a network address is refused (exit 78), naming the setting in the file" plain_http_refused_with_setting

# --- 5. the privilege boundary, as the service user ------------------------------------------
new_id() { cat /proc/sys/kernel/random/uuid; }

# The launcher returns at once; the run goes on in a session of its own (no systemd here)
# and writes its exit record when it ends.
sudo_dry_run() {
    local id name i
    id=$(new_id)
    name=dry-run-$id
    as_user sudo -n -- "$SCRIPT" --dry-run --job "$id" >"$WORK/sudo-dry-run.log" 2>&1 || {
        tail -n 20 "$WORK/sudo-dry-run.log"
        return 1
    }
    for ((i = 0; i < JOB_TIMEOUT * 10; i++)); do
        [[ -f $RUNS_DIR/$name.exit ]] && break
        sleep 0.1
    done
    echo "  run record: $(cat "$RUNS_DIR/$name.run" 2>/dev/null); exit record: $(cat "$RUNS_DIR/$name.exit" 2>/dev/null)"
    [[ $(stat -c '%U:%G %a' "$RUNS_DIR/$name.out") == "root:$USER_NAME 640" ]] || { echo "  $name.out: $(stat -c '%U:%G %a' "$RUNS_DIR/$name.out")"; return 1; }
    grep -q 'supervisor=detached' "$RUNS_DIR/$name.run" && grep -qx 'result=success exit_code=exited exit_status=0' "$RUNS_DIR/$name.exit" &&
        grep -qx 'phase simulate' "$RUNS_DIR/$name.status" &&
        # The same id twice is refused by the script itself.
        { as_user sudo -n -- "$SCRIPT" --dry-run --job "$id" >/dev/null 2>&1; (($? == 65)); }
}
check "as $USER_NAME: sudo -n $SCRIPT --dry-run --job ID starts a detached run that records its exit; the id cannot be used again" sudo_dry_run
refuse "as $USER_NAME: sudo -n $SCRIPT (no argument) is refused" quiet as_user sudo -n -- "$SCRIPT"
refuse "as $USER_NAME: sudo -n $SCRIPT --apply (no job id) is refused" quiet as_user sudo -n -- "$SCRIPT" --apply
refuse "as $USER_NAME: an upper-case job id is refused" quiet as_user sudo -n -- "$SCRIPT" --apply --job "$(new_id | tr a-f A-F)"
refuse "as $USER_NAME: a short job id is refused" quiet as_user sudo -n -- "$SCRIPT" --apply --job "$(new_id | cut -c2-)"
refuse "as $USER_NAME: an extra word is refused" quiet as_user sudo -n -- "$SCRIPT" --apply --job "$(new_id)" --evil
refuse "as $USER_NAME: a job id with a space is refused" quiet as_user sudo -n -- "$SCRIPT" --apply --job "$(new_id | sed 's/-/ /')"
refuse "as $USER_NAME: --worker is refused" quiet as_user sudo -n -- "$SCRIPT" --worker "apply-$(new_id)"
refuse "as $USER_NAME: --record-exit is refused" quiet as_user sudo -n -- "$SCRIPT" --record-exit "apply-$(new_id)"
refuse "as $USER_NAME: sudo -n /bin/sh is refused" quiet as_user sudo -n /bin/sh -c true
refuse "as $USER_NAME: sudo -n apt-get is refused" quiet as_user sudo -n apt-get --version

sudo_list_ok() {
    local listing commands id
    listing=$(as_user sudo -n -l 2>&1) || return 1
    # The commands after "may run the following commands", joined, split on commas.
    commands=$(sed -n '/may run the following commands/,$p' <<<"$listing" | tail -n +2 |
        tr '\n' ' ' | sed 's/([^)]*)//g; s/NOPASSWD://g' | tr ',' '\n' | sed 's/^ *//; s/ *$//' | grep -v '^$' | sort)
    printf '  may run: %s\n' "${commands//$'\n'/$'\n  may run: '}"
    id=$(printf '[0-9a-f]%.0s' {1..8})-$(printf '[0-9a-f]%.0s' {1..4})-$(printf '[0-9a-f]%.0s' {1..4})-$(printf '[0-9a-f]%.0s' {1..4})-$(printf '[0-9a-f]%.0s' {1..12})
    local mode options expected=()
    for mode in --apply --dry-run; do
        for options in "" "--autoremove " "--full-upgrade " "--full-upgrade --autoremove "; do
            expected+=("$SCRIPT $mode $options--job $id")
        done
    done
    expected+=("$SCRIPT --cancel --job $id" "$SCRIPT --reboot" "$SCRIPT --cancel-reboot")
    [[ $commands == "$(printf '%s\n' "${expected[@]}" | sort)" ]]
}
check "as $USER_NAME: sudo -n -l lists exactly the eleven forms (--dry-run|--apply [--full-upgrade] [--autoremove] --job ID, --cancel --job ID, --reboot, --cancel-reboot)" sudo_list_ok
# Never --reboot itself here: this is the host. sudo -l says whether it is allowed without running it.
refuse "as $USER_NAME: --reboot with an extra word is refused" quiet as_user sudo -n -l -- "$SCRIPT" --reboot now
refuse "as $USER_NAME: --autoremove before --full-upgrade is refused" quiet as_user sudo -n -- "$SCRIPT" --apply --autoremove --full-upgrade --job "$(new_id)"
refuse "as $USER_NAME: --full-upgrade with --cancel is refused" quiet as_user sudo -n -- "$SCRIPT" --cancel --full-upgrade --job "$(new_id)"

no_login_shell() {
    local shell
    shell=$(getent passwd "$USER_NAME" | cut -d: -f7)
    echo "  shell: $shell, password: $(passwd -S "$USER_NAME" | cut -d' ' -f2)"
    [[ $shell == /usr/sbin/nologin || $shell == /bin/false ]] &&
        [[ $(passwd -S "$USER_NAME" | cut -d' ' -f2) == L ]] &&
        ! su "$USER_NAME" -c true </dev/null >/dev/null 2>&1
}
check "$USER_NAME has no login shell and a locked password" no_login_shell

not_writable() {
    local path
    for path in "$SCRIPT" "$(dirname "$SCRIPT")" "$LIB_DIR" "$LIB_DIR/pinsdaemon" "$SUDOERS" /etc/sudoers.d "$CONF"; do
        if as_user test -w "$path"; then
            echo "  $path is writable by $USER_NAME"
            return 1
        fi
    done
    ! as_user touch "$(dirname "$SCRIPT")/e2e-probe" 2>/dev/null
}
check "the script, its directory, the daemon, sudoers and the settings are not writable by $USER_NAME" not_writable
refuse "the token file is not readable by $USER_NAME" quiet as_user cat "$TOKEN_FILE"
refuse "the TLS key is not readable by $USER_NAME" quiet as_user cat "$TLS_KEY"

# --- 6. reinstall, remove, purge ------------------------------------------------------------
if DEBIAN_FRONTEND=noninteractive apt-get install -y --reinstall "$WORK/$(basename "$DEB")" >"$WORK/install2.log" 2>&1; then
    pass "apt-get install --reinstall exits 0"
else
    fail "apt-get install --reinstall exits 0"
    cat "$WORK/install2.log"
fi
check "the reinstall kept the API token" test "$(tr -d '\r\n' <"$TOKEN_FILE")" == "$TOKEN"
check "the reinstall kept the (imported) certificate" test "$(pinsdaemon-tls fingerprint)" == "$OWN_FINGERPRINT"
check "the reinstall kept the edited conffile" grep -qx "urls = $BASE;$HTTPS_BASE" "$CONF"
check "the daemon that ran before the reinstall runs again" "$RUNNER" --status

second_job_ok() {
    local code id
    healthy || return 1
    code=$(curl -s -o "$WORK/post2.json" -w '%{http_code}' -X POST \
        -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
        --data '{"dryRun":true}' "$BASE/upgrade")
    id=$(json "$WORK/post2.json" 'j.jobId' 2>/dev/null)
    [[ $code == 202 && -n $id ]] || { echo "  POST /upgrade -> $code"; return 1; }
    # Wait for the end: removing the package under a running job would leave its sudo behind.
    wait_for_end "$id" "$WORK/job2.json"
}
check "after the reinstall the daemon accepts the same token and runs a dry run" second_job_ok
history_kept() {
    [[ -z $JOB_ID ]] || [[ $(curl -s -H "Authorization: Bearer $TOKEN" "$BASE/jobs/$JOB_ID" | json /dev/stdin 'j.status') == succeeded ]]
}
check "the first job is still in the history" history_kept

if DEBIAN_FRONTEND=noninteractive apt-get remove -y "$PACKAGE" >"$WORK/remove.log" 2>&1; then
    pass "apt-get remove exits 0"
else
    fail "apt-get remove exits 0"
    cat "$WORK/remove.log"
fi
removed_ok() {
    local ok=0
    curl -s -o /dev/null --max-time 2 "$BASE/healthz" && { echo "  the daemon still answers"; ok=1; }
    [[ -e $SUDOERS ]] && { echo "  $SUDOERS is still there"; ok=1; }
    [[ -e $SCRIPT || -e $LIB_DIR ]] && { echo "  the program is still there"; ok=1; }
    [[ $(tr -d '\r\n' <"$TOKEN_FILE" 2>/dev/null) == "$TOKEN" ]] || { echo "  the token is gone"; ok=1; }
    [[ -n $JOB_ID && -d $STATE_DIR/jobs/$JOB_ID ]] || { echo "  the history is gone"; ok=1; }
    return $ok
}
check "after apt-get remove: daemon stopped, program and sudoers gone, token and history kept" removed_ok

if DEBIAN_FRONTEND=noninteractive apt-get purge -y "$PACKAGE" >"$WORK/purge.log" 2>&1; then
    pass "apt-get purge exits 0"
else
    fail "apt-get purge exits 0"
    cat "$WORK/purge.log"
fi
INSTALLED=no
nothing_left() {
    file_list >"$WORK/files-after"
    local left
    left=$(LC_ALL=C comm -13 "$WORK/files-before" "$WORK/files-after")
    if [[ -n $left ]]; then
        echo "  left behind:"
        sed 's/^/    /' <<<"$left" | head -n 40
        return 1
    fi
    ! dpkg-query -W "$PACKAGE" >/dev/null 2>&1
}
check "after apt-get purge: the file, user and group lists are as before the install" nothing_left
