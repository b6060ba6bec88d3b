#!/bin/bash
# tests/e2e/arm64.sh: proves the arm64 package works, on this x86-64 machine, under
# emulation (issue 3: "ARM64 is a claim we prove, not assume"), and that each package's
# binaries are built for its architecture.
#
#   tests/e2e/arm64.sh [--deb-dir DIR]   (DIR holds pinsdaemon_*_amd64.deb and _arm64.deb;
#                                         default: build both with ops/deb/build.sh)
#
#   1. installs what it needs (idempotent): the arm64 architecture in dpkg, Debian's
#      qemu-user (it provides /usr/bin/qemu-aarch64) and the arm64 multiarch libraries
#      libc6, libstdc++6, libssl3 and zlib1g (the loader is /lib/ld-linux-aarch64.so.1,
#      the libraries land in /usr/lib/aarch64-linux-gnu)
#   2. unpacks both packages with dpkg-deb -x; `file` and `readelf` check that every ELF
#      file in each is for its architecture
#   3. starts the arm64 package's daemon under qemu-aarch64 with ops/dev/fake-upgrade.sh,
#      waits for /healthz, runs one dry run, follows its WebSocket replay with
#      tests/e2e/ws-client.mjs and reads GET /jobs/{id}/log
#
# Runs as root (apt-get). Needs Node 20.10+ (global WebSocket behind
# --experimental-websocket), and the .NET 10 SDK unless --deb-dir is given; installs file
# and curl if missing. Prints PASS/FAIL per check and ends with "arm64: N passed, M
# failed"; exits 1 if any check failed.
#
# binfmt_misc is not used: in a container it is usually not mounted and cannot be
# registered without systemd, so the binary is started explicitly as
# "qemu-aarch64 ./pinsdaemon" with QEMU_LD_PREFIX=/ (the multiarch root).
#
# DOTNET_EnableWriteXorExecute=0 is required under qemu-user (seen with Debian 12's
# qemu 7.2): with W^X on (the default since .NET 7: JIT'd code and stubs are mapped
# twice, once writable and once executable), the emulated runtime runs wrong code.
# Seen: it aborts at startup with a NullReferenceException in
# "InvokeStub_OptionsFactory`1..ctor" while ASP.NET Core builds its middleware, or it
# stays up and answers every request, /healthz included, with a NullReferenceException.
# The x64 build of the same commit starts natively, and the arm64 build starts under
# qemu with W^X off, so this is the emulator's problem, not the daemon's: on real arm64
# hardware W^X stays on.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(cd "$HERE/../.." && pwd -P)
readonly HERE REPO
DEB_DIR=""
case ${1-} in
    "") ;;
    --deb-dir) DEB_DIR=$(realpath -- "${2:?--deb-dir needs a directory}") ;;
    *)
        echo "usage: tests/e2e/arm64.sh [--deb-dir DIR]" >&2
        exit 64
        ;;
esac
readonly FAKE_SCRIPT=$REPO/ops/dev/fake-upgrade.sh
readonly WS_CLIENT=$HERE/ws-client.mjs
# Seen: about 20 s to become healthy under emulation on 2 cores. Generous, for a busy
# machine.
readonly HEALTH_TIMEOUT=120
readonly JOB_TIMEOUT=120

PASSED=0
FAILED=0
DAEMON_PID=
WORK=$(mktemp -d /tmp/pinsdaemon-arm64.XXXXXX)
readonly WORK
readonly T0=$SECONDS

# shellcheck source=tests/e2e/checks.sh
source "$(dirname "${BASH_SOURCE[0]}")/checks.sh"
info() { echo "arm64: $*"; }

stop_daemon() {
    if [[ -n $DAEMON_PID ]]; then
        kill "$DAEMON_PID" 2>/dev/null || true

        for _ in $(seq 1 50); do
            kill -0 "$DAEMON_PID" 2>/dev/null || break
            sleep 0.2
        done
        kill -KILL "$DAEMON_PID" 2>/dev/null || true
        wait "$DAEMON_PID" 2>/dev/null || true
        DAEMON_PID=
    fi
}

show_daemon_log() {
    if [[ -f $WORK/daemon.log ]]; then
        local lines
        lines=$(wc -l <"$WORK/daemon.log")
        if ((lines <= 60)); then
            info "the daemon's log:"
            sed 's/^/    /' "$WORK/daemon.log"
        else
            info "the daemon's log, first and last 30 of $lines lines:"
            head -n 30 "$WORK/daemon.log" | sed 's/^/    /'
            echo "    ..."
            tail -n 30 "$WORK/daemon.log" | sed 's/^/    /'
        fi
    fi
}

finish() {
    local status=$?
    stop_daemon
    rm -rf "$WORK"
    info "total time $((SECONDS - T0)) s"
    echo "arm64: $PASSED passed, $FAILED failed"
    if ((FAILED > 0 || status != 0)); then exit 1; fi
    exit 0
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Stops here (counted as a failure) when a prerequisite is missing: nothing after it
# could say anything useful.
abort() {
    fail "$*"
    exit 1
}

# ---------------------------------------------------------------- 1. prerequisites
pkg_installed() {
    [[ $(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true) == installed ]]
}

install_prerequisites() {
    local wanted=(qemu-user libc6:arm64 libstdc++6:arm64 libssl3:arm64 zlib1g:arm64 file curl)
    local missing=() pkg
    if ! dpkg --print-foreign-architectures | grep -qx arm64; then
        info "dpkg --add-architecture arm64"
        dpkg --add-architecture arm64
    fi
    for pkg in "${wanted[@]}"; do
        pkg_installed "$pkg" || missing+=("$pkg")
    done
    if ((${#missing[@]} > 0)); then
        info "installing ${missing[*]}"
        apt-get update -qq
        # No recommends: qemu-user recommends qemu-user-binfmt, which wants binfmt_misc.
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$WORK/apt.log" 2>&1 \
            || { tail -n 20 "$WORK/apt.log"; return 1; }
    fi
}

if [[ $(id -u) -ne 0 ]]; then abort "run as root (it installs packages with apt-get)"; fi
check "prerequisites installed (qemu-user, arm64 libc6/libstdc++6/libssl3/zlib1g)" install_prerequisites
command -v qemu-aarch64 >/dev/null || abort "qemu-aarch64 is on PATH"
[[ -e /lib/ld-linux-aarch64.so.1 ]] || abort "the arm64 loader /lib/ld-linux-aarch64.so.1 exists"
command -v node >/dev/null || abort "node (20.10+) is on PATH"
info "$(qemu-aarch64 --version | head -n 1); node $(node --version)"

# ---------------------------------------------------------------- 2. the packages
if [[ -z $DEB_DIR ]]; then
    command -v dotnet >/dev/null || abort "dotnet (the .NET 10 SDK) is on PATH to build the packages"
    DEB_DIR=$WORK/debs
    for arch in amd64 arm64; do
        started=$SECONDS
        if "$REPO/ops/deb/build.sh" --arch "$arch" --out "$DEB_DIR" >"$WORK/build-$arch.log" 2>&1; then
            info "built the $arch package in $((SECONDS - started)) s"
        else
            tail -n 30 "$WORK/build-$arch.log" | sed 's/^/    /'
            abort "ops/deb/build.sh --arch $arch"
        fi
    done
fi

# every_elf_is DIR FILE-PATTERN READELF-MACHINE: every ELF file under DIR is for that machine,
# by `file` and by `readelf -h`; prints the main binary's description.
every_elf_is() {
    local dir=$1 pattern=$2 machine=$3 path count=0 bad=0
    while IFS= read -r -d '' path; do
        [[ $(head -c 4 "$path" | od -An -tx1 | tr -d ' ') == 7f454c46 ]] || continue
        count=$((count + 1))
        if ! file -b "$path" | grep -q -- "$pattern" ||
            [[ $(readelf -h "$path" | sed -n 's/^ *Machine: *//p') != "$machine" ]]; then
            info "$path: $(file -b "$path")"
            bad=$((bad + 1))
        fi
    done < <(find "$dir" -type f -print0)
    info "$(basename "$dir"): $count ELF files; pinsdaemon: $(file -b "$dir/usr/lib/pinsdaemon/pinsdaemon")"
    ((count > 10 && bad == 0))
}

for arch in amd64 arm64; do
    deb=$(find "$DEB_DIR" -maxdepth 1 -name "pinsdaemon_*_$arch.deb" | sort -V | tail -n 1)
    [[ -n $deb ]] || abort "$DEB_DIR holds a pinsdaemon_*_$arch.deb"
    dpkg-deb -x "$deb" "$WORK/$arch" || abort "dpkg-deb -x $(basename "$deb")"
    check "$(basename "$deb"): Architecture field is $arch" test "$(dpkg-deb -f "$deb" Architecture)" = "$arch"
done
check "every ELF file in the amd64 package is x86-64 (file, readelf)" \
    every_elf_is "$WORK/amd64" 'ELF 64-bit.*x86-64' 'Advanced Micro Devices X86-64'
if every_elf_is "$WORK/arm64" 'ELF 64-bit.*ARM aarch64' 'AArch64'; then
    pass "every ELF file in the arm64 package is ARM aarch64 (file, readelf)"
else
    abort "every ELF file in the arm64 package is ARM aarch64 (file, readelf)"
fi
readonly DAEMON_DIR=$WORK/arm64/usr/lib/pinsdaemon

# ---------------------------------------------------------------- 3. run under qemu
free_port() {
    node -e 'const s = require("net").createServer();
             s.listen(0, "127.0.0.1", () => { process.stdout.write(String(s.address().port)); s.close(); });'
}
PORT=$(free_port)
readonly PORT
readonly BASE=http://127.0.0.1:$PORT
readonly WS_BASE=ws://127.0.0.1:$PORT
# 32 random bytes in base64url without padding: 43 characters.
TOKEN=$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
readonly TOKEN
mkdir -p "$WORK/storage"

info "starting the arm64 package's daemon under qemu-aarch64 on $BASE"
HEALTH_T0=$SECONDS
(
    cd "$DAEMON_DIR"
    exec env API_TOKEN="$TOKEN" \
        Upgrade__UseSudo=false \
        Upgrade__ScriptPath="$FAKE_SCRIPT" \
        Storage__Directory="$WORK/storage" \
        QEMU_LD_PREFIX=/ \
        DOTNET_EnableWriteXorExecute=0 \
        qemu-aarch64 ./pinsdaemon --urls "$BASE"
) >"$WORK/daemon.log" 2>&1 &
DAEMON_PID=$!

wait_healthy() {
    local code=none
    while ((SECONDS - HEALTH_T0 < HEALTH_TIMEOUT)); do
        if ! kill -0 "$DAEMON_PID" 2>/dev/null; then
            info "the daemon exited before it became healthy"
            return 1
        fi
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$BASE/healthz" || true)
        [[ $code == 200 ]] && return 0
        sleep 0.5
    done
    info "no 200 from /healthz within $HEALTH_TIMEOUT s (last answer: HTTP $code)"
    return 1
}
if wait_healthy; then
    info "healthy after $((SECONDS - HEALTH_T0)) s under emulation"
    pass "GET /healthz is 200 (arm64 daemon under qemu)"
else
    show_daemon_log
    abort "GET /healthz is 200 (arm64 daemon under qemu)"
fi
check "the daemon process is qemu-aarch64 running pinsdaemon" \
    grep -q 'qemu-aarch64' "/proc/$DAEMON_PID/cmdline"

auth=(-H "Authorization: Bearer $TOKEN")

# One dry run.
code=$(curl -s -o "$WORK/upgrade.json" -D "$WORK/upgrade.headers" -w '%{http_code}' --max-time 60 \
    -X POST "$BASE/upgrade" "${auth[@]}" -H 'Content-Type: application/json' -d '{"dryRun": true}' || true)
JOB=
if [[ $code == 202 ]]; then
    JOB=$(json "$WORK/upgrade.json" 'j.jobId')
fi
if [[ $JOB =~ ^[0-9a-fA-F-]{36}$ ]]; then
    pass "POST /upgrade {\"dryRun\":true} is 202 with a jobId ($JOB)"
else
    info "got HTTP $code: $(cat "$WORK/upgrade.json" 2>/dev/null || true)"
    show_daemon_log
    abort "POST /upgrade {\"dryRun\":true} is 202 with a jobId"
fi
check "the 202 has Location: /jobs/$JOB" grep -qi "^location: /jobs/$JOB" "$WORK/upgrade.headers"

# Wait for the job to end.
status=running
job_t0=$SECONDS
while ((SECONDS - job_t0 < JOB_TIMEOUT)); do
    code=$(curl -s -o "$WORK/job.json" -w '%{http_code}' --max-time 30 "${auth[@]}" "$BASE/jobs/$JOB" || true)
    if [[ $code == 200 ]]; then
        status=$(json "$WORK/job.json" 'j.status')
        [[ $status != running ]] && break
    fi
    sleep 0.5
done
info "job $JOB: status $status after $((SECONDS - job_t0)) s"
if [[ $status == succeeded && $(json "$WORK/job.json" 'j.exitCode') == 0 && $(json "$WORK/job.json" 'j.dryRun') == true ]]; then
    pass "GET /jobs/{id}: succeeded, exit code 0, dry run"
else
    info "job: $(cat "$WORK/job.json" 2>/dev/null || true)"
    fail "GET /jobs/{id}: succeeded, exit code 0, dry run"
fi
LINE_COUNT=$(json "$WORK/job.json" 'j.lineCount' || true)

# What the demo script prints, in order, per stream (it runs the same way here).
# The status channel's lines (the nonce announcement and pinsdaemon-status lines) are not log lines.
sh "$FAKE_SCRIPT" --dry-run 2>"$WORK/expected-stderr" | grep -v -e '^pinsdaemon: channel ' -e '^pinsdaemon-status ' >"$WORK/expected-stdout"
EXPECTED_OUT=$(wc -l <"$WORK/expected-stdout")
EXPECTED_ERR=$(wc -l <"$WORK/expected-stderr")
EXPECTED_ALL=$((EXPECTED_OUT + EXPECTED_ERR))
check "lineCount is $EXPECTED_ALL (the demo script's lines)" test "${LINE_COUNT:-x}" = "$EXPECTED_ALL"

# The WebSocket replay of the finished job (the token in the query, as browsers do).
ws_rc=0
node --experimental-websocket --no-warnings "$WS_CLIENT" "$WS_BASE/logs/$JOB" \
    --query-token "$TOKEN" --lines "$WORK/ws-lines" --timeout 60 >"$WORK/ws.json" 2>"$WORK/ws.err" || ws_rc=$?
info "ws-client: $(cat "$WORK/ws.json" 2>/dev/null || true) $(cat "$WORK/ws.err" 2>/dev/null || true)"
check "WebSocket replay: seq 1..N contiguous, end frame, close 1000" test "$ws_rc" -eq 0
if [[ -s $WORK/ws.json ]]; then
    check "WebSocket end frame: status succeeded, exitCode 0, lastSeq $EXPECTED_ALL" \
        test "$(json "$WORK/ws.json" '[j.end?.status, j.end?.exitCode, j.end?.lastSeq].join(",")')" = "succeeded,0,$EXPECTED_ALL"
    check "WebSocket replay: $EXPECTED_OUT stdout and $EXPECTED_ERR stderr lines" \
        test "$(json "$WORK/ws.json" '[j.streams.stdout ?? 0, j.streams.stderr ?? 0].join(",")')" = "$EXPECTED_OUT,$EXPECTED_ERR"
else
    fail "WebSocket end frame: status succeeded, exitCode 0, lastSeq $EXPECTED_ALL"
    fail "WebSocket replay: $EXPECTED_OUT stdout and $EXPECTED_ERR stderr lines"
fi
# In seq order the stdout lines are exactly the script's stdout, in its order; the one
# stderr line is there too (where it falls between stdout lines is up to the pipes).
stdout_in_order() {
    [[ -f $WORK/ws-lines ]] || return 1
    grep -vxF -f "$WORK/expected-stderr" "$WORK/ws-lines" | diff -u "$WORK/expected-stdout" - \
        && grep -qxF -f "$WORK/expected-stderr" "$WORK/ws-lines"
}
check "WebSocket replay has the demo script's lines in order" stdout_in_order

# The polling form of the same log.
code=$(curl -s -o "$WORK/log.json" -w '%{http_code}' --max-time 30 "${auth[@]}" "$BASE/jobs/$JOB/log" || true)
check "GET /jobs/{id}/log is 200" test "$code" = 200
log_ok() {
    [[ -s $WORK/log.json ]] || return 1
    [[ $(json "$WORK/log.json" 'Array.isArray(j) && j.length === '"$EXPECTED_ALL"' &&
        j.every((l, i) => l.type === "line" && l.seq === i + 1 && typeof l.text === "string")') == true ]] || return 1
    json "$WORK/log.json" 'j.map(l => l.text).join("\n") + "\n"' | cmp -s - "$WORK/ws-lines"
}
check "GET /jobs/{id}/log is a JSON array of $EXPECTED_ALL lines, seq 1..N, same text as the replay" log_ok

stop_daemon
if ((FAILED > 0)); then show_daemon_log; fi
