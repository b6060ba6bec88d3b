#!/bin/bash
# run-without-systemd: run PinsDaemon as sysupdate-api where systemd is not PID 1
# (containers, CI), with the settings of the installed unit. The package installs it as
# /usr/libexec/pinsdaemon/run-without-systemd (from ops/run-without-systemd.sh).
#
#   run-without-systemd              start in the background (pidfile, log file)
#   run-without-systemd --foreground start in the foreground (Ctrl-C stops it)
#   run-without-systemd --stop       stop the background daemon
#   run-without-systemd --status     exit 0 if the background daemon runs
#   run-without-systemd --print      print the command line it would run
#
# It reads User=, Group=, UMask=, WorkingDirectory=, Environment=, ExecStart=,
# LoadCredential=, StateDirectory=, StateDirectoryMode= and TimeoutStopSec= from
# /usr/lib/systemd/system/pinsdaemon.service (drop-ins are not read), so the unit stays
# the one place they are written down, and does by hand what systemd would do:
#   LoadCredential=NAME:PATH  copies PATH (root-only) to /run/pinsdaemon/credentials/NAME,
#                             owned by the service user, mode 0400, expands %d to that
#                             directory, and removes the copy when the daemon stops;
#   StateDirectory=           creates /var/lib/NAME owned by the user;
#   User=, UMask=, Environment= an empty environment plus the unit's variables, the
#                             user's groups, setpriv to drop to the user (keeping the
#                             bounding set and allowing setuid: sudo must still work).
# The pidfile and log are root's, in root-owned directories: the daemon cannot point
# a later "--stop" at another process by rewriting its pidfile.
set -euo pipefail

# @LAYOUT@
readonly UNIT=$UNIT_PATH
readonly CRED_DIR=$RUN_DIR/credentials
readonly PID_FILE=$RUN_DIR/pinsdaemon.pid
# What systemd 252 on Debian gives a system service.
readonly SERVICE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

die() {
    echo "run-without-systemd: $*" >&2
    exit 1
}
say() { echo "run-without-systemd: $*"; }

usage() {
    sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
}

MODE=background
case ${1-} in
    "") ;;
    --foreground) MODE=foreground ;;
    --stop) MODE=stop ;;
    --status) MODE=status ;;
    --print) MODE=print ;;
    -h | --help)
        usage
        exit 0
        ;;
    *)
        usage >&2
        exit 64
        ;;
esac
if (($# > 1)); then
    usage >&2
    exit 64
fi

((EUID == 0)) || die "must run as root (it drops to the service user itself)"

# --- read the unit -------------------------------------------------------------------
UNIT_USER="" UNIT_GROUP="" UNIT_UMASK=0022 UNIT_WORKDIR=/ UNIT_STATE_DIR="" UNIT_STATE_MODE=0755
UNIT_STOP_TIMEOUT=90 UNIT_EXEC=""
UNIT_ENV=()
UNIT_CREDS=()

read_unit() {
    local line key value section=""
    [[ -r $UNIT ]] || die "$UNIT not found: install the pinsdaemon package first"
    while IFS= read -r line || [[ -n $line ]]; do
        line=${line%$'\r'}
        [[ $line =~ ^[[:space:]]*(#|;|$) ]] && continue
        if [[ $line =~ ^\[(.*)\]$ ]]; then
            section=${BASH_REMATCH[1]}
            continue
        fi
        [[ $section == Service ]] || continue
        key=${line%%=*}
        value=${line#*=}
        case $value in
            *\"* | *\'* | *\\*) die "$UNIT: $key= uses quoting or escapes, which this script does not parse" ;;
        esac
        case $key in
            User) UNIT_USER=$value ;;
            Group) UNIT_GROUP=$value ;;
            UMask) UNIT_UMASK=$value ;;
            WorkingDirectory) UNIT_WORKDIR=$value ;;
            Environment) UNIT_ENV+=("$value") ;;
            ExecStart) UNIT_EXEC=$value ;;
            LoadCredential) UNIT_CREDS+=("$value") ;;
            StateDirectory) UNIT_STATE_DIR=$value ;;
            StateDirectoryMode) UNIT_STATE_MODE=$value ;;
            TimeoutStopSec) UNIT_STOP_TIMEOUT=${value%s} ;;
        esac
    done <"$UNIT"
    [[ -n $UNIT_USER ]] || die "$UNIT has no User="
    [[ -n $UNIT_EXEC ]] || die "$UNIT has no ExecStart="
    [[ $UNIT_EXEC == /* ]] || die "$UNIT: ExecStart= must start with an absolute path (no prefixes like - or +)"
    [[ $UNIT_STOP_TIMEOUT =~ ^[0-9]+$ ]] || die "$UNIT: TimeoutStopSec= must be plain seconds"
    [[ $UNIT_UMASK =~ ^[0-7]{3,4}$ ]] || die "$UNIT: UMask= must be octal"
    [[ -z $UNIT_STATE_DIR || $UNIT_STATE_DIR =~ ^[A-Za-z0-9._-]+$ ]] || die "$UNIT: StateDirectory= must be one plain name"
    UNIT_GROUP=${UNIT_GROUP:-$UNIT_USER}
}

# %d is the only specifier the unit uses; refuse any other rather than guess.
expand() {
    local value=$1
    value=${value//%d/$CRED_DIR}
    [[ $value != *%* ]] || die "$UNIT: unsupported specifier in '$1'"
    printf '%s' "$value"
}

EXEC_ARGV=()
ENV_ARGV=()

build_command() {
    local home shell entry
    id "$UNIT_USER" >/dev/null 2>&1 || die "user $UNIT_USER does not exist: install the pinsdaemon package first"
    home=$(getent passwd "$UNIT_USER" | cut -d: -f6)
    shell=$(getent passwd "$UNIT_USER" | cut -d: -f7)
    ENV_ARGV=(
        "PATH=$SERVICE_PATH"
        "HOME=$home"
        "USER=$UNIT_USER"
        "LOGNAME=$UNIT_USER"
        "SHELL=$shell"
    )
    if ((${#UNIT_CREDS[@]} > 0)); then
        ENV_ARGV+=("CREDENTIALS_DIRECTORY=$CRED_DIR")
    fi
    for entry in "${UNIT_ENV[@]}"; do
        [[ $entry == *=* ]] || die "$UNIT: Environment=$entry is not NAME=VALUE"
        [[ $entry != *[[:space:]]* ]] || die "$UNIT: one variable per Environment= line, without spaces"
        ENV_ARGV+=("$(expand "$entry")")
    done
    read -r -a EXEC_ARGV <<<"$UNIT_EXEC"
    local i
    for i in "${!EXEC_ARGV[@]}"; do
        EXEC_ARGV[i]=$(expand "${EXEC_ARGV[i]}")
    done
    # --reuid/--regid/--init-groups is what User= and Group= do. No --no-new-privs and
    # no --bounding-set: the daemon must be able to run sudo.
    COMMAND=(
        setpriv --reuid="$UNIT_USER" --regid="$UNIT_GROUP" --init-groups --
        env -i "${ENV_ARGV[@]}" "${EXEC_ARGV[@]}"
    )
}

print_command() {
    printf 'cd %q && umask %s && ' "$UNIT_WORKDIR" "$UNIT_UMASK"
    printf '%q ' "${COMMAND[@]}"
    printf '\n'
}

# --- what systemd would prepare --------------------------------------------------------
prepare() {
    local cred name src tmp
    install -d -o root -g root -m 0755 "$RUN_DIR"
    rm -rf -- "$CRED_DIR"
    install -d -o "$UNIT_USER" -g "$UNIT_GROUP" -m 0500 "$CRED_DIR"
    for cred in "${UNIT_CREDS[@]}"; do
        name=${cred%%:*}
        src=${cred#*:}
        [[ $name =~ ^[A-Za-z0-9._-]+$ && $src == /* ]] || die "$UNIT: LoadCredential=$cred is not NAME:/ABSOLUTE/PATH"
        [[ -r $src ]] || die "credential source $src is missing: reinstall the pinsdaemon package (dpkg-reconfigure pinsdaemon)"
        tmp=$(mktemp "$CRED_DIR/.$name.XXXXXX")
        cat -- "$src" >"$tmp"
        chown "$UNIT_USER:$UNIT_GROUP" "$tmp"
        chmod 0400 "$tmp"
        mv -f -- "$tmp" "$CRED_DIR/$name"
    done
    if [[ -n $UNIT_STATE_DIR ]]; then
        install -d -o "$UNIT_USER" -g "$UNIT_GROUP" -m "$UNIT_STATE_MODE" "/var/lib/$UNIT_STATE_DIR"
        # As systemd does for StateDirectory=: ownership is adjusted recursively (never
        # through a symlink), so history left by an earlier install is readable again.
        chown -R -h "$UNIT_USER:$UNIT_GROUP" "/var/lib/$UNIT_STATE_DIR"
        chmod "$UNIT_STATE_MODE" "/var/lib/$UNIT_STATE_DIR"
    fi
}

# --- pidfile ---------------------------------------------------------------------------------
# A zombie has no /proc/PID/exe: it counts as gone (PID 1 may be slow to reap it).
alive() { readlink "/proc/$1/exe" >/dev/null 2>&1; }

# The exe link goes away while the threads are still exiting; wait for the process
# itself to be gone (or a zombie) before saying it stopped.
exited() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
    stat=${stat##*) }
    [[ ${stat%% *} == Z ]]
}

# Prints the pid if the pidfile names a live process running the unit's binary.
running_pid() {
    local pid exe
    [[ -r $PID_FILE ]] || return 1
    pid=$(<"$PID_FILE")
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
    # A binary replaced under a running daemon shows as ".../pinsdaemon (deleted)".
    [[ $exe == "${EXEC_ARGV[0]}" || $exe == */"${EXEC_ARGV[0]##*/} (deleted)" ]] || return 1
    printf '%s\n' "$pid"
}

# Where the daemon listens: --urls on ExecStart=, else "urls =" in the settings file
# (top level, before any [Section]), else the daemon's default. A plain-HTTP address is
# preferred for the check; an https:// one is checked without verifying its certificate
# (this only asks whether the daemon is up, and sends no token).
listen_urls() {
    local i entry file="" line
    for ((i = 1; i < ${#EXEC_ARGV[@]}; i++)); do
        if [[ ${EXEC_ARGV[i]} == --urls ]]; then
            printf '%s\n' "${EXEC_ARGV[i + 1]-}"
            return
        fi
    done
    for entry in "${ENV_ARGV[@]}"; do
        [[ $entry == SettingsFile=* ]] && file=${entry#SettingsFile=}
    done
    if [[ -n $file && -r $file ]]; then
        while IFS= read -r line || [[ -n $line ]]; do
            [[ $line =~ ^[[:space:]]*\[ ]] && break
            if [[ $line =~ ^[[:space:]]*urls[[:space:]]*=[[:space:]]*([^[:space:]]+) ]]; then
                printf '%s\n' "${BASH_REMATCH[1]}"
                return
            fi
        done <"$file"
    fi
    printf '%s\n' http://127.0.0.1:5180
}

HEALTH_URL=""
HEALTH_CURL_ARGS=()
set_health_url() {
    local urls first="" url host rest all
    urls=$(listen_urls)
    IFS=';' read -r -a all <<<"$urls"
    for url in "${all[@]}"; do
        if [[ $url == http://* ]]; then
            first=$url
            break
        fi
    done
    if [[ -z $first ]]; then
        first=${all[0]}
        HEALTH_CURL_ARGS=(--insecure)
    fi
    rest=${first#*://}
    host=${rest%%:*}
    case $host in
        0.0.0.0 | \* | + | "[::]") first=${first/"$host"/127.0.0.1} ;;
    esac
    HEALTH_URL=${first%/}/healthz
}

# Like systemd, start the daemon with nothing open but stdin, stdout and stderr: a
# descriptor inherited from the caller (a lock held by "flock ... run-without-systemd", a
# pipe) would otherwise stay open for as long as the daemon runs.
close_inherited_fds() {
    local fd
    for fd in /proc/"$BASHPID"/fd/*; do
        fd=${fd##*/}
        if ((fd > 2)); then
            eval "exec $fd>&-" 2>/dev/null || true
        fi
    done
}

start_background() {
    local pid url i
    if pid=$(running_pid); then
        die "already running (pid $pid); use --stop first"
    fi
    prepare
    touch "$LOG_FILE"
    chown root:root "$LOG_FILE"
    chmod 0640 "$LOG_FILE"
    # setsid: its own session, so the daemon outlives this shell and its terminal. The
    # log is opened here, by root, and handed over as stdout/stderr.
    (
        cd "$UNIT_WORKDIR"
        umask "$UNIT_UMASK"
        close_inherited_fds
        exec setsid "${COMMAND[@]}" </dev/null >>"$LOG_FILE" 2>&1
    ) &
    pid=$!
    echo "$pid" >"$PID_FILE"
    say "started pid $pid as $UNIT_USER; log: $LOG_FILE"

    # What Type=notify gives systemd: do not report success before the daemon serves.
    set_health_url
    url=$HEALTH_URL
    for ((i = 0; i < 60; i++)); do
        if ! alive "$pid"; then
            rm -f -- "$PID_FILE"
            tail -n 20 -- "$LOG_FILE" >&2 || true
            die "the daemon exited during startup; see $LOG_FILE"
        fi
        if command -v curl >/dev/null && curl -fsS "${HEALTH_CURL_ARGS[@]}" -o /dev/null --max-time 2 "$url" 2>/dev/null; then
            say "healthy at $url"
            return 0
        fi
        sleep 0.5
    done
    say "started, but $url did not answer within 30s; see $LOG_FILE"
}

stop_background() {
    local pid i
    if ! pid=$(running_pid); then
        say "not running"
        rm -f -- "$PID_FILE"
        rm -rf -- "$CRED_DIR"
        return 0
    fi
    kill -TERM "$pid"
    for ((i = 0; i < UNIT_STOP_TIMEOUT * 10; i++)); do
        exited "$pid" && break
        sleep 0.1
    done
    if ! exited "$pid"; then
        say "pid $pid still running after ${UNIT_STOP_TIMEOUT}s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f -- "$PID_FILE"
    # Like systemd, which removes the credentials when the service stops.
    rm -rf -- "$CRED_DIR"
    say "stopped pid $pid"
}

read_unit
build_command

case $MODE in
    print) print_command ;;
    status)
        if pid=$(running_pid); then
            say "running (pid $pid)"
        else
            say "not running"
            exit 3
        fi
        ;;
    stop) stop_background ;;
    foreground)
        if pid=$(running_pid); then
            die "already running in the background (pid $pid)"
        fi
        prepare
        (
            cd "$UNIT_WORKDIR"
            umask "$UNIT_UMASK"
            close_inherited_fds
            exec "${COMMAND[@]}"
        ) &
        child=$!
        # bash starts background children with SIGINT ignored, so Ctrl-C (or a TERM sent
        # to this script) is passed on as SIGTERM, the signal systemd would send. The
        # credential copy goes when the daemon does, as with systemd.
        trap 'kill -TERM "$child" 2>/dev/null || true' INT TERM
        status=0
        wait "$child" || status=$?
        while alive "$child"; do
            wait "$child" || status=$?
        done
        rm -rf -- "$CRED_DIR"
        exit "$status"
        ;;
    background) start_background ;;
esac
