#!/bin/bash
# tests/e2e/run.sh: end-to-end test of the installed daemon, run as root on Debian
# without systemd (CI). It changes the machine: it installs PinsDaemon with
# ops/install.sh, exercises it, then removes it with ops/uninstall.sh (also when a
# check fails or the run is interrupted). It never runs the upgrade with --apply: only
# dry runs, which refresh the package lists and change no package.
#
#   1. install, start the daemon as sysupdate-api (ops/run-without-systemd.sh), /healthz
#   2. a dry run over HTTP, followed over a WebSocket (tests/e2e/ws-client.mjs):
#      real apt-get output, end frame and GET /jobs/{id} say succeeded with exit 0
#   3. the privilege boundary, checked as the service user: the eleven sudoers forms
#      and nothing else; a run started through sudo outlives the caller
#   4. install again (token kept, daemon still serving), uninstall, nothing left
#
# PINSDAEMON_PUBLISH, when set, is a linux-x64 publish to install (install.sh --from-dir)
# instead of publishing again (.ci/run publishes once for this test and tests/system/).
#
# Prints PASS/FAIL per check and ends with "e2e: N passed, M failed"; exits 1 if any
# check failed.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(cd "$HERE/../.." && pwd -P)
readonly HERE REPO
readonly OPS=$REPO/ops
readonly USER_NAME=sysupdate-api
readonly SCRIPT=/usr/libexec/pinsdaemon/system-upgrade.sh
readonly SUDOERS=/etc/sudoers.d/pinsdaemon
readonly UNIT=/etc/systemd/system/pinsdaemon.service
readonly TEMPLATE_UNIT=/etc/systemd/system/pinsdaemon-upgrade@.service
readonly RUNS_DIR=/var/lib/pinsdaemon-upgrade
readonly TOKEN_FILE=/etc/pinsdaemon/api-token
readonly STATE_DIR=/var/lib/pinsdaemon
readonly INSTALL_DIR=/usr/lib/pinsdaemon
readonly PID_FILE=/run/pinsdaemon/pinsdaemon.pid
readonly LOG_FILE=/var/log/pinsdaemon.log
readonly BASE=http://127.0.0.1:5180
readonly WS_BASE=ws://127.0.0.1:5180
# A dry run is apt-get update plus a simulation: seconds on a good mirror, minutes on
# a slow one. Generous, so a slow mirror is not reported as a daemon bug.
readonly JOB_TIMEOUT=600

PASSED=0
FAILED=0
INSTALLED=no
UNINSTALLED=no
WORK=$(mktemp -d /tmp/pinsdaemon-e2e.XXXXXX)
readonly WORK

# shellcheck source=tests/e2e/checks.sh
source "$(dirname "${BASH_SOURCE[0]}")/checks.sh"
info() { echo "e2e: $*"; }
as_user() { runuser -u "$USER_NAME" -- "$@"; }

finish() {
    local status=$?
    if [[ $INSTALLED == yes && $UNINSTALLED == no ]]; then
        if ((FAILED > 0)) && [[ -f $LOG_FILE ]]; then
            info "last lines of $LOG_FILE:"
            tail -n 40 "$LOG_FILE" | sed 's/^/    /'
        fi
        info "cleaning up with ops/uninstall.sh"
        "$OPS/uninstall.sh" >"$WORK/uninstall-cleanup.log" 2>&1 || cat "$WORK/uninstall-cleanup.log"
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
    echo "e2e: must run as root (it installs the daemon and creates a system user)" >&2
    exit 1
fi
missing=()
for tool in sudo curl; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
if ((${#missing[@]} > 0)); then
    info "installing ${missing[*]} (needed by ops/install.sh)"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}") >"$WORK/apt.log" 2>&1 ||
        { cat "$WORK/apt.log"; exit 1; }
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
if [[ -e $UNIT || -e $SUDOERS ]] || id "$USER_NAME" >/dev/null 2>&1; then
    if [[ ${CI-} == true ]]; then
        info "a previous installation is present; removing it first"
        "$OPS/uninstall.sh" >/dev/null
    else
        echo "e2e: PinsDaemon is already installed here; run ops/uninstall.sh first (CI=true does that itself)" >&2
        exit 1
    fi
fi
if curl -s -o /dev/null --max-time 2 "$BASE/healthz"; then
    echo "e2e: something already answers on $BASE; stop it first" >&2
    exit 1
fi

INSTALL_ARGS=()
if [[ -n ${PINSDAEMON_PUBLISH-} ]]; then
    # .ci/run publishes once for this test and the system lab.
    INSTALL_ARGS+=(--from-dir "$PINSDAEMON_PUBLISH")
fi
if [[ -d /run/systemd/system ]]; then
    # This test drives the fallback path; keep systemd's copy from taking the port.
    INSTALL_ARGS+=(--no-start)
fi

# --- 1. install and start -------------------------------------------------------------
info "running ops/install.sh (without PINSDAEMON_PUBLISH it publishes the daemon: a few minutes on 2 cores)"
INSTALLED=yes
if "$OPS/install.sh" "${INSTALL_ARGS[@]}" >"$WORK/install1.log" 2>&1; then
    pass "ops/install.sh exits 0"
else
    fail "ops/install.sh exits 0"
    cat "$WORK/install1.log"
    exit 1
fi

layout_ok() {
    local ok=0
    [[ $(stat -c '%U:%G %a' "$SCRIPT") == "root:root 755" ]] || { echo "  $SCRIPT: $(stat -c '%U:%G %a' "$SCRIPT")"; ok=1; }
    [[ $(stat -c '%U:%G %a' "$SUDOERS") == "root:root 440" ]] || { echo "  $SUDOERS: $(stat -c '%U:%G %a' "$SUDOERS")"; ok=1; }
    [[ $(stat -c '%U:%G %a' "$TOKEN_FILE") == "root:root 600" ]] || { echo "  $TOKEN_FILE: $(stat -c '%U:%G %a' "$TOKEN_FILE")"; ok=1; }
    [[ $(stat -c '%U %a' "$STATE_DIR") == "$USER_NAME 700" ]] || { echo "  $STATE_DIR: $(stat -c '%U %a' "$STATE_DIR")"; ok=1; }
    [[ $(stat -c '%U:%G %a' "$RUNS_DIR") == "root:$USER_NAME 750" ]] || { echo "  $RUNS_DIR: $(stat -c '%U:%G %a' "$RUNS_DIR")"; ok=1; }
    [[ -f $TEMPLATE_UNIT ]] || { echo "  $TEMPLATE_UNIT missing"; ok=1; }
    [[ $(stat -c '%U:%G %a' "$INSTALL_DIR") == "root:root 755" ]] || { echo "  $INSTALL_DIR: $(stat -c '%U:%G %a' "$INSTALL_DIR")"; ok=1; }
    [[ -f $UNIT && -x $INSTALL_DIR/pinsdaemon ]] || { echo "  unit or binary missing"; ok=1; }
    [[ -z $(find "$INSTALL_DIR" \( ! -user root -o -perm /022 \) -print -quit) ]] || { echo "  $INSTALL_DIR has files not owned by root or writable by others"; ok=1; }
    visudo -cf "$SUDOERS" >/dev/null || { echo "  $SUDOERS does not parse"; ok=1; }
    return $ok
}
check "installed files have the intended owners and modes" layout_ok

if "$OPS/run-without-systemd.sh" >"$WORK/start.log" 2>&1; then
    pass "ops/run-without-systemd.sh starts the daemon"
else
    fail "ops/run-without-systemd.sh starts the daemon"
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

# --- 2. a dry run over HTTP, followed over a WebSocket -------------------------------------------
unauthorized() {
    [[ $(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
        --data '{"dryRun":true}' "$BASE/upgrade") == 401 ]]
}
check "POST /upgrade without a token is refused with 401" unauthorized

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
    check "progress frames arrived between the lines" test "$(json "$WORK/ws.json" 'j.progress')" -gt 0
    no_channel_lines() { ! grep -q '^pinsdaemon-status \|^pinsdaemon: channel ' "$WORK/lines.txt"; }
    check "status-channel lines stay out of the log" no_channel_lines

    end_frame_ok() {
        [[ $(json "$WORK/ws.json" 'j.end && j.end.status') == succeeded &&
            $(json "$WORK/ws.json" 'j.end && j.end.exitCode') == 0 ]]
    }
    check "the end frame says succeeded, exit code 0" end_frame_ok

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

# --- 3. the privilege boundary, as the service user --------------------------------------------
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
    for path in "$SCRIPT" "$(dirname "$SCRIPT")" "$INSTALL_DIR" "$INSTALL_DIR/pinsdaemon" "$SUDOERS" /etc/sudoers.d; do
        if as_user test -w "$path"; then
            echo "  $path is writable by $USER_NAME"
            return 1
        fi
    done
    ! as_user touch "$(dirname "$SCRIPT")/e2e-probe" 2>/dev/null
}
check "the script, its directory, the daemon and sudoers are not writable by $USER_NAME" not_writable
refuse "the token file is not readable by $USER_NAME" quiet as_user cat "$TOKEN_FILE"

# --- 4. install again, then uninstall --------------------------------------------------------------
if "$OPS/install.sh" "${INSTALL_ARGS[@]}" >"$WORK/install2.log" 2>&1; then
    pass "ops/install.sh runs a second time"
else
    fail "ops/install.sh runs a second time"
    cat "$WORK/install2.log"
fi
check "the second install kept the API token" test "$(tr -d '\r\n' <"$TOKEN_FILE")" == "$TOKEN"
if ! [[ -d /run/systemd/system ]] && ! "$OPS/run-without-systemd.sh" --status >/dev/null 2>&1; then
    "$OPS/run-without-systemd.sh" >>"$WORK/start.log" 2>&1
fi

second_job_ok() {
    local code id status="" i
    healthy || return 1
    code=$(curl -s -o "$WORK/post2.json" -w '%{http_code}' -X POST \
        -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
        --data '{"dryRun":true}' "$BASE/upgrade")
    id=$(json "$WORK/post2.json" 'j.jobId' 2>/dev/null)
    [[ $code == 202 && -n $id ]] || { echo "  POST /upgrade -> $code"; return 1; }
    # Wait for the end: uninstalling under a running job would leave its sudo behind.
    for ((i = 0; i < JOB_TIMEOUT; i++)); do
        curl -s -o "$WORK/job2.json" -H "Authorization: Bearer $TOKEN" "$BASE/jobs/$id"
        status=$(json "$WORK/job2.json" 'j.status' 2>/dev/null)
        [[ $status == running || -z $status ]] || break
        sleep 1
    done
    echo "  second dry run: $status"
    [[ $status == succeeded ]]
}
check "after the second install the daemon serves the same token and runs a dry run" second_job_ok

if "$OPS/uninstall.sh" >"$WORK/uninstall.log" 2>&1; then
    pass "ops/uninstall.sh exits 0"
else
    fail "ops/uninstall.sh exits 0"
    cat "$WORK/uninstall.log"
fi
UNINSTALLED=yes

nothing_left() {
    local ok=0 path
    if id "$USER_NAME" >/dev/null 2>&1; then echo "  user $USER_NAME still exists"; ok=1; fi
    for path in "$SUDOERS" "$SCRIPT" "$(dirname "$SCRIPT")" "$UNIT" "$TEMPLATE_UNIT" "$INSTALL_DIR" /etc/pinsdaemon "$STATE_DIR" "$RUNS_DIR" /run/pinsdaemon \
        /etc/systemd/system/multi-user.target.wants/pinsdaemon.service; do
        if [[ -e $path || -L $path ]]; then echo "  $path still exists"; ok=1; fi
    done
    if curl -s -o /dev/null --max-time 2 "$BASE/healthz"; then echo "  the daemon still answers"; ok=1; fi
    return $ok
}
check "after uninstall: no user, sudoers file, script, unit, daemon, token or history" nothing_left
