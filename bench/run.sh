#!/bin/bash
# bench/run.sh: PinsDaemon's benchmark harness (issues 4 and 7). One command: builds the
# daemon (Release, self-contained, as ops/install.sh publishes it), the bare ASP.NET Core
# baseline and the C# client, installs webhook and openssh-server if missing, starts an sshd
# of its own on loopback, runs every measure several times and prints one markdown table.
#
#   bench/run.sh                      full run: 5 runs (~10 min on 2 cores)
#   bench/run.sh --quick              2 runs, fewer trigger samples, the 1M-line job once
#   bench/run.sh --runs 3             client options are passed on (see bench/README.md):
#                                     --runs N --subscribers N --trigger-iterations N
#                                     --million-runs N --settle-ms N --warmup-jobs N
#   bench/run.sh --env NAME=VALUE     experiment: start the daemon AND the bare app with this
#                                     extra environment (e.g. DOTNET_gcServer=0); repeatable
#   bench/run.sh --publish-arg ARG    experiment: extra "dotnet publish" argument for the daemon
#                                     AND the bare app (e.g. -p:PublishReadyToRun=true)
#   bench/run.sh --keep               keep the scratch directory (logs, builds) afterwards
#   bench/run.sh --builds DIR         reuse the builds in DIR (a kept scratch directory)
#   bench/run.sh --no-wait            do not wait for the machine to be idle first
#
# The table is also written to bench/results/<UTC time>.md, raw per-run values to .json.
# Must run as root (sshd, apt-get). Servers listen on 127.0.0.1 only, on free ports.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(cd "$HERE/.." && pwd -P)
readonly HERE REPO
readonly RID=linux-x64

say() { echo "bench: $*" >&2; }
die() {
    say "$*"
    exit 1
}

KEEP=no
WAIT_IDLE=yes
BUILDS=""
CLIENT_ARGS=()
PUBLISH_ARGS=()
while (($# > 0)); do
    case $1 in
        --keep) KEEP=yes ;;
        --no-wait) WAIT_IDLE=no ;;
        --quick) CLIENT_ARGS+=(--quick) ;;
        --runs | --subscribers | --trigger-iterations | --million-runs | --settle-ms | --warmup-jobs | --env)
            (($# >= 2)) || die "$1 needs a value"
            CLIENT_ARGS+=("$1" "$2")
            shift
            ;;
        --publish-arg)
            (($# >= 2)) || die "$1 needs a value"
            PUBLISH_ARGS+=("$2")
            shift
            ;;
        --builds)
            (($# >= 2)) || die "$1 needs a value"
            BUILDS=$(cd "$2" && pwd -P) || die "--builds $2: no such directory"
            shift
            ;;
        -h | --help)
            sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *) die "unknown option '$1' (see --help)" ;;
    esac
    shift
done

((EUID == 0)) || die "run as root: the harness starts sshd and may apt-get install webhook and openssh-server"

WORK=$(mktemp -d /tmp/pinsdaemon-bench.XXXXXX)
readonly WORK
SSHD_PID=""

cleanup() {
    local pid
    if [[ -n $SSHD_PID ]] && kill -0 "$SSHD_PID" 2>/dev/null; then
        kill "$SSHD_PID" 2>/dev/null || true
        wait "$SSHD_PID" 2>/dev/null || true
    fi
    # Servers the client started and did not stop (it was interrupted): only our own pids,
    # and only if they still run a binary from this scratch directory or webhook.
    if [[ -f $WORK/run/servers.pids ]]; then
        while read -r pid; do
            [[ $pid =~ ^[0-9]+$ ]] || continue
            case $(readlink "/proc/$pid/exe" 2>/dev/null) in
                "$WORK"/* | /usr/bin/webhook) kill -TERM "$pid" 2>/dev/null || true ;;
            esac
        done <"$WORK/run/servers.pids"
    fi
    if [[ $KEEP == yes ]]; then
        say "kept $WORK"
    else
        rm -rf -- "$WORK"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- baselines' packages -------------------------------------------------------------
need=()
command -v webhook >/dev/null || need+=(webhook)
[[ -x /usr/sbin/sshd ]] || need+=(openssh-server)
command -v ssh >/dev/null || need+=(openssh-client)
command -v ssh-keygen >/dev/null || need+=(openssh-client)
command -v jq >/dev/null || need+=(jq)
# systemd-socket-activate (Debian's systemd package) passes a listening socket as systemd does.
command -v systemd-socket-activate >/dev/null || need+=(systemd)
if ((${#need[@]} > 0)); then
    say "installing ${need[*]}"
    # Wait for the dpkg lock rather than fail: other jobs on the machine may be using apt.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        -o DPkg::Lock::Timeout=300 "${need[@]}" >"$WORK/apt.log" 2>&1 ||
        die "apt-get install ${need[*]} failed; see $WORK/apt.log"
fi

# --- build ------------------------------------------------------------------------------
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# The daemon is built from a snapshot of the working tree, with bin/obj in scratch space:
# other people build in src/ at the same time, and a half-saved file must not end up in
# one build and not the other.
snapshot() {
    local item
    rm -rf -- "$WORK/snapshot"
    mkdir -p "$WORK/snapshot"
    for item in src Directory.Build.props Directory.Packages.props global.json NuGet.config nuget.config; do
        [[ -e $REPO/$item ]] || continue
        tar -C "$REPO" --exclude=bin --exclude=obj -cf - "$item" | tar -C "$WORK/snapshot" -xf -
    done
}

publish_daemon() {
    local attempt
    for attempt in 1 2 3 4 5; do
        snapshot
        if dotnet publish "$WORK/snapshot/src/PinsDaemon.Host/PinsDaemon.Host.csproj" -c Release -r "$RID" --self-contained "${PUBLISH_ARGS[@]}" \
            --artifacts-path "$WORK/artifacts-daemon" -o "$WORK/daemon" -nologo -v quiet >"$WORK/build-daemon.log" 2>&1; then
            return 0
        fi
        say "building the daemon failed (attempt $attempt; someone may be mid-edit), retrying in 60 s:"
        grep -E 'error' "$WORK/build-daemon.log" | sort -u | head -5 >&2 || true
        sleep 60
    done
    die "the daemon does not build; see $WORK/build-daemon.log (use --keep to keep it)"
}

if [[ -n $BUILDS ]]; then
    say "reusing the builds in $BUILDS"
    for dir in daemon bare akka; do
        [[ -d $BUILDS/$dir ]] || die "--builds $BUILDS has no $dir/"
        cp -a "$BUILDS/$dir" "$WORK/$dir"
    done
else
    say "building the daemon (Release, self-contained $RID) from a snapshot of the working tree"
    publish_daemon
    [[ -x $WORK/daemon/pinsdaemon ]] || die "the publish produced no $WORK/daemon/pinsdaemon"
    say "building the bare ASP.NET Core baseline"
    dotnet publish "$HERE/BareAspNet/BareAspNet.csproj" -c Release -r "$RID" --self-contained "${PUBLISH_ARGS[@]}" \
        --artifacts-path "$WORK/artifacts-bench" -o "$WORK/bare" -nologo -v quiet >"$WORK/build-bare.log" 2>&1 ||
        die "building bench/BareAspNet failed: $(grep -E 'error' "$WORK/build-bare.log" | sort -u | head -5)"
    say "building the ASP.NET Core + Akka.Hosting + one actor baseline"
    dotnet publish "$HERE/AkkaAspNet/AkkaAspNet.csproj" -c Release -r "$RID" --self-contained "${PUBLISH_ARGS[@]}" \
        --artifacts-path "$WORK/artifacts-bench" -o "$WORK/akka" -nologo -v quiet >"$WORK/build-akka.log" 2>&1 ||
        die "building bench/AkkaAspNet failed: $(grep -E 'error' "$WORK/build-akka.log" | sort -u | head -5)"
fi
say "building the client"
dotnet publish "$HERE/PinsDaemon.Bench/PinsDaemon.Bench.csproj" -c Release \
    --artifacts-path "$WORK/artifacts-bench" -o "$WORK/client" -nologo -v quiet >"$WORK/build-client.log" 2>&1 ||
    die "building bench/PinsDaemon.Bench failed: $(grep -E 'error' "$WORK/build-client.log" | sort -u | head -5)"

# The bare app is only a fair floor if the runtime is configured like the daemon's.
gc_settings() {
    jq -S -c '.runtimeOptions.configProperties // {} | with_entries(select(.key | startswith("System.GC")))' "$1"
}
DAEMON_GC=$(gc_settings "$WORK/daemon/pinsdaemon.runtimeconfig.json")
align_gc() {
    local config=$1 theirs
    theirs=$(gc_settings "$config")
    [[ $theirs == "$DAEMON_GC" ]] && return 0
    # The baselines import the repository's Directory.Build.props, so this only happens when
    # the daemon's GC is configured in its own csproj: copy the daemon's System.GC.* settings.
    say "aligning $(basename "$config")'s GC settings ($theirs) with the daemon's ($DAEMON_GC)"
    jq --argjson gc "$DAEMON_GC" '.runtimeOptions.configProperties |= ((. // {} | with_entries(select(.key | startswith("System.GC") | not))) + $gc)' \
        "$config" >"$config.tmp"
    mv "$config.tmp" "$config"
    [[ $(gc_settings "$config") == "$DAEMON_GC" ]] || die "could not align the GC settings of $config"
}
align_gc "$WORK/bare/bare-aspnet.runtimeconfig.json"
align_gc "$WORK/akka/akka-aspnet.runtimeconfig.json"
say "GC settings (daemon = baselines): $DAEMON_GC"

# --- sshd on loopback ---------------------------------------------------------------------
free_port() {
    local port
    while :; do
        port=$((20000 + RANDOM % 20000))
        [[ -z $(ss -Hltn "sport = :$port") ]] && break
    done
    echo "$port"
}

SSH_DIR=$WORK/ssh
mkdir -m 0700 "$SSH_DIR"
ssh-keygen -q -t ed25519 -N '' -C pinsdaemon-bench-host -f "$SSH_DIR/host_ed25519"
ssh-keygen -q -t ed25519 -N '' -C pinsdaemon-bench-client -f "$SSH_DIR/client_ed25519"
cp "$SSH_DIR/client_ed25519.pub" "$SSH_DIR/authorized_keys"
SSH_PORT=$(free_port)
cat >"$SSH_DIR/sshd_config" <<EOF
# The harness's own sshd: loopback, one port, key authentication for root only.
Port $SSH_PORT
ListenAddress 127.0.0.1
HostKey $SSH_DIR/host_ed25519
PidFile $SSH_DIR/sshd.pid
AuthorizedKeysFile $SSH_DIR/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowUsers root
UsePAM no
# The keys live under /tmp, which is world-writable.
StrictModes no
PrintMotd no
PrintLastLog no
UseDNS no
EOF
# sshd's privilege-separation directory (normally made by its systemd unit).
install -d -m 0755 /run/sshd
/usr/sbin/sshd -D -e -f "$SSH_DIR/sshd_config" 2>"$SSH_DIR/sshd.log" &
SSHD_PID=$!
for ((i = 0; i < 100; i++)); do
    [[ -n $(ss -Hltn "sport = :$SSH_PORT") ]] && break
    kill -0 "$SSHD_PID" 2>/dev/null || die "sshd did not start: $(cat "$SSH_DIR/sshd.log")"
    sleep 0.05
done
ssh -n -F /dev/null -i "$SSH_DIR/client_ed25519" -p "$SSH_PORT" -o StrictHostKeyChecking=no \
    -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR root@127.0.0.1 true ||
    die "ssh to the harness's sshd on port $SSH_PORT failed: $(cat "$SSH_DIR/sshd.log")"
say "sshd on 127.0.0.1:$SSH_PORT (pid $SSHD_PID)"

# --- a quiet machine ------------------------------------------------------------------------
# Busy CPU time (all processes) over one second, in percent of one core.
busy_percent() {
    local a b
    read -r -a a < <(head -1 /proc/stat)
    sleep 1
    read -r -a b < <(head -1 /proc/stat)
    local busy=$(((b[1] + b[2] + b[3] + b[6] + b[7]) - (a[1] + a[2] + a[3] + a[6] + a[7])))
    echo $((busy * 100 / $(getconf CLK_TCK)))
}
if [[ $WAIT_IDLE == yes ]]; then
    for ((i = 0; i < 120; i++)); do
        busy=$(busy_percent)
        ((busy < 25)) && break
        ((i % 15 == 0)) && say "the machine is busy (${busy}% of a core in use by other processes); waiting up to 2 min for it to settle"
    done
    ((busy < 25)) || say "still ${busy}% busy: running anyway; the load average is in the report"
fi

# --- run --------------------------------------------------------------------------------
COMMIT=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
[[ -z $BUILDS ]] || COMMIT="$COMMIT (builds reused from $BUILDS)"
if [[ -n $(git -C "$REPO" status --porcelain -- src 2>/dev/null) ]]; then
    COMMIT="$COMMIT + uncommitted changes in src/"
fi
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$HERE/results"
say "running; servers' logs go to $WORK/run (use --keep to keep them)"
"$WORK/client/pinsdaemon-bench" \
    --daemon "$WORK/daemon/pinsdaemon" \
    --bare "$WORK/bare/bare-aspnet" \
    --akka "$WORK/akka/akka-aspnet" \
    --webhook "$(command -v webhook)" \
    --scripts "$HERE/scripts" \
    --work "$WORK/run" \
    --ssh-port "$SSH_PORT" --ssh-key "$SSH_DIR/client_ed25519" --ssh-user root \
    --output "$HERE/results/$STAMP.md" --json "$HERE/results/$STAMP.json" \
    --label "commit $COMMIT; Release, self-contained $RID (as ops/install.sh publishes it)${PUBLISH_ARGS[*]:+, publish args: ${PUBLISH_ARGS[*]}}" \
    "${CLIENT_ARGS[@]}"
say "table written to bench/results/$STAMP.md"
