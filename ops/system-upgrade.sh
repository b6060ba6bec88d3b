#!/bin/bash -p
# system-upgrade.sh: the only part of PinsDaemon that ever runs as root.
#
# The daemon (user sysupdate-api) runs it through sudo, and sudoers allows exactly
#   sudo -n -- /usr/local/bin/system-upgrade.sh --dry-run
#   sudo -n -- /usr/local/bin/system-upgrade.sh --apply
# so nothing the daemon sends over HTTP ever reaches a root command line.
#
#   --dry-run  apt-get update, then apt-get -s upgrade --with-new-pkgs (simulation).
#              Refreshes the package lists; installs, removes and configures nothing.
#   --apply    apt-get update, repair an interrupted dpkg (dpkg --configure -a) if
#              needed, download (apt-get --download-only), then
#              apt-get -y upgrade --with-new-pkgs (what "apt upgrade" does).
#
# Exit codes (sudo itself exits 1 when it refuses or fails, so none of ours is 1):
#     0  success
#    64  usage: not exactly one argument, or not --dry-run / --apply
#    70  gave up waiting for a lock: /var/lib/apt/lists/lock during update (retried
#        LISTS_LOCK_TRIES times), or the dpkg lock for longer than DPKG_LOCK_TIMEOUT
#    71  apt-get update failed (any failed fetch counts: APT::Update::Error-Mode=any)
#    72  dpkg was interrupted and "dpkg --configure -a" failed (--apply only)
#    73  apt-get upgrade failed (--apply), or the simulation failed (--dry-run)
#    74  internal error of this script (cannot create its temporary directory)
#    77  not running as root
#   129, 130, 143  stopped by SIGHUP, SIGINT, SIGTERM (forwarded to the running step)
#
# Status channel to the daemon (see ScriptChannel.cs): sudo closes every descriptor but
# 0-2, so apt's status descriptor cannot reach the daemon on its own pipe. The first
# stdout line announces a random nonce, "pinsdaemon: channel NONCE"; every status line
# after it is "pinsdaemon-status NONCE EVENT". Package output never sees the nonce, so it
# cannot forge status lines. Events:
#   mode dry-run|apply
#   phase check-dpkg|update|download|repair|install|simulate
#   apt <line>                        apt's -o APT::Status-Fd line (dlstatus:, pmstatus:, ...)
#   dpkg-interrupted <packages...>    (before repair, or in a dry run)
#   cancel-refused                    a SIGTERM arrived while dpkg was running; ignored
#   reboot-required <packages...>     (after an apply, when needed)
#   restart-service <unit>            (after an apply, from needrestart -b, when installed)
#   exit <code>                       (the last line, once the argument was accepted)
# Messages for people, errors and retries are plain lines ("pinsdaemon: ...").
#
# Signals: SIGTERM (relayed by sudo when the daemon cancels a job or times it out) stops
# the run during check-dpkg, update, download and simulate, none of which change the
# system. During repair and install dpkg is changing the system: the signal is refused
# ("cancel-refused") and the run goes on to the end, because cutting dpkg off mid-way
# leaves packages half-installed.
#
# Dry run and an interrupted dpkg: a dry run must not change the system, so it only
# reports that dpkg was interrupted and that --apply would run "dpkg --configure -a"
# first, then simulates the upgrade anyway (apt-get -s takes no lock and does not
# refuse on an interrupted dpkg). It still exits 0: the preview succeeded, and the
# "dpkg-interrupted" marker tells the caller what the apply will do.
#
# "#!/bin/bash -p": privileged mode, so bash ignores BASH_ENV, ENV, SHELLOPTS and
# exported functions even if this is started as root without sudo's env_reset.

set -u

readonly USAGE="usage: system-upgrade.sh --dry-run | --apply"

# Validate before anything else; the argument is never echoed or passed on.
if (($# != 1)); then
    echo "$USAGE" >&2
    exit 64
fi
case $1 in
    --dry-run) MODE=dry-run ;;
    --apply) MODE=apply ;;
    *)
        echo "$USAGE" >&2
        exit 64
        ;;
esac
readonly MODE

# Start from an empty environment: APT_CONFIG, DPKG_ADMINDIR, TMPDIR and friends
# would redirect apt and dpkg. sudo's env_reset already does this; this also holds
# when root runs the script by hand.
for var in $(compgen -e); do
    # SHELLOPTS and BASHOPTS are read-only: un-export them, or every bash that apt
    # starts (maintainer scripts) would inherit this script's "set -u".
    unset "$var" 2>/dev/null || export -n "${var?}"
done
unset var

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root
# Fixed, English messages: the lock detection below greps apt's and dpkg's text.
export LC_ALL=C.UTF-8
# Never ask anything: debconf, apt-listchanges, apt-listbugs and ucf all default to
# prompting, and there is nobody on the other side of the pipe.
export DEBIAN_FRONTEND=noninteractive
export APT_LISTCHANGES_FRONTEND=none
export APT_LISTBUGS_FRONTEND=none
export UCF_FORCE_CONFFOLD=1
# List services that need a restart, never restart them: mode "a" could restart
# this very daemon (or its sudo session) in the middle of the upgrade.
export NEEDRESTART_MODE=l
# The daemon runs with UMask=0077; dpkg and maintainer scripts expect 022, or newly
# created directories under /etc and /usr end up unreadable for everyone but root.
umask 022
exec </dev/null
cd / || exit 74

# How long to wait for other package managers (unattended-upgrades, apt-daily, a
# person in a shell). The lists lock is not covered by DPkg::Lock::Timeout, so
# update is retried: LISTS_LOCK_TRIES x LISTS_LOCK_DELAY is about 5 minutes.
readonly LISTS_LOCK_TRIES=30
readonly LISTS_LOCK_DELAY=10
readonly DPKG_LOCK_TIMEOUT=300
readonly DPKG_LOCK_TRIES=30
readonly DPKG_LOCK_DELAY=10

readonly APT_GET=(
    apt-get
    # Machine-readable progress on descriptor 3, relayed to the daemon as status lines.
    -o APT::Status-Fd=3
    # Machine-readable progress on descriptor 3, relayed to the daemon as status lines.
    -o APT::Status-Fd=3
    -o "DPkg::Lock::Timeout=$DPKG_LOCK_TIMEOUT"
    # Keep the local version of a changed conffile and take the maintainer's
    # default where there is one, instead of asking.
    -o "Dpkg::Options::=--force-confdef"
    -o "Dpkg::Options::=--force-confold"
    # dpkg writes straight to our stdout/stderr instead of through a pty, so the
    # daemon keeps the two streams apart.
    -o "Dpkg::Use-Pty=0"
)

PHASE=start
CHILD_PID=""
GOT_SIGNAL=""
WORK_DIR=""
STATUS_FD=""
STATUS_PID=""
# 128 random bits, hex: the status channel's nonce.
NONCE=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
readonly NONCE

say() { printf 'pinsdaemon: %s\n' "$*"; }
warn() { printf 'pinsdaemon: %s\n' "$*" >&2; }
status() { printf 'pinsdaemon-status %s %s\n' "$NONCE" "$*"; }

finish() {
    local code=$1
    if [[ -n $STATUS_FD ]]; then
        # Close apt's status pipe and let its relay drain before the last line.
        exec {STATUS_FD}>&-
        wait "$STATUS_PID" 2>/dev/null
    fi
    status "exit $code"
    exit "$code"
}

phase() {
    PHASE=$1
    status "phase $PHASE"
}

# Phases in which dpkg changes the system: a signal must not stop them.
# shellcheck disable=SC2317  # called from the signal traps
in_dpkg_phase() { [[ $PHASE == repair || $PHASE == install ]]; }

# shellcheck disable=SC2317  # called from the EXIT trap
cleanup() {
    if [[ -n $WORK_DIR ]]; then
        rm -rf -- "$WORK_DIR"
    fi
}

# shellcheck disable=SC2317  # called from the signal traps
on_signal() {
    if in_dpkg_phase; then
        status "cancel-refused"
        warn "ignoring SIG$1: dpkg is changing the system and must not be cut off; the upgrade goes on to the end"
        return
    fi
    GOT_SIGNAL=$1
    if [[ -n $CHILD_PID ]]; then
        kill -s "$1" "$CHILD_PID" 2>/dev/null
    fi
}

check_interrupted() {
    local number
    if [[ -n $GOT_SIGNAL ]]; then
        case $GOT_SIGNAL in
            HUP) number=1 ;;
            INT) number=2 ;;
            *) number=15 ;;
        esac
        # The step may have been cut off mid-line; markers must start a line.
        echo
        warn "stopped by SIG$GOT_SIGNAL during phase $PHASE"
        finish $((128 + number))
    fi
}

# Wait for a background child; a trapped signal interrupts "wait", so wait again
# until the child is really gone (its status is what we report).
wait_child() {
    local pid=$1 status
    wait "$pid"
    status=$?
    while ((status > 128)) && kill -0 "$pid" 2>/dev/null; do
        wait "$pid"
        status=$?
    done
    return "$status"
}

# Run one step: stdout goes straight through; stderr goes through too, and is also
# kept in $STEP_ERR so a lock failure can be told apart from a real failure.
# The step runs in the background so a SIGTERM from the daemon (relayed by sudo)
# can be forwarded to it instead of leaving apt running without us.
run_step() {
    local status tail_pid
    : >"$STEP_ERR"
    "$@" 2>>"$STEP_ERR" 3>&"$STATUS_FD" &
    CHILD_PID=$!
    tail -q -s 0.2 -n +1 --pid="$CHILD_PID" -f -- "$STEP_ERR" >&2 &
    tail_pid=$!
    wait_child "$CHILD_PID"
    status=$?
    CHILD_PID=""
    wait_child "$tail_pid"
    check_interrupted
    return "$status"
}

pause() {
    sleep "$1" &
    CHILD_PID=$!
    wait_child "$CHILD_PID"
    CHILD_PID=""
    check_interrupted
}

step_hit_lock() {
    grep -qE 'Could not get lock|Unable to lock|lock was locked by another process|database is locked by another process' "$STEP_ERR"
}

# Packages dpkg left half-done (unpacked, half-configured, awaiting or pending
# triggers), which "dpkg --configure -a" finishes, and its update journal, whose
# presence makes apt refuse to run with "dpkg was interrupted".
interrupted_packages() {
    dpkg-query -W -f='${db:Status-Abbrev} ${binary:Package}\n' 2>/dev/null |
        awk 'substr($0, 2, 1) ~ /^[UFWt]$/ { print $NF }'
    if compgen -G '/var/lib/dpkg/updates/[0-9]*' >/dev/null; then
        echo "(dpkg-journal)"
    fi
}

do_update() {
    local attempt status
    phase update
    for ((attempt = 1; ; attempt++)); do
        # Error-Mode=any: without it apt-get update exits 0 when a repository
        # could not be fetched and the upgrade would run on stale lists.
        run_step apt-get -o APT::Status-Fd=3 -o APT::Update::Error-Mode=any update
        status=$?
        if ((status == 0)); then
            return 0
        fi
        if ! step_hit_lock; then
            warn "apt-get update failed (exit $status)"
            finish 71
        fi
        if ((attempt >= LISTS_LOCK_TRIES)); then
            warn "giving up: /var/lib/apt/lists/lock still held by another process after $attempt attempts ($((LISTS_LOCK_TRIES * LISTS_LOCK_DELAY))s)"
            finish 70
        fi
        warn "another apt process holds /var/lib/apt/lists/lock; retrying in ${LISTS_LOCK_DELAY}s (attempt $attempt of $LISTS_LOCK_TRIES)"
        pause "$LISTS_LOCK_DELAY"
    done
}

do_repair() {
    local attempt status
    phase repair
    say "dpkg was interrupted; running dpkg --configure -a before upgrading"
    for ((attempt = 1; ; attempt++)); do
        # dpkg has no lock timeout of its own, so it is retried like the lists lock.
        run_step dpkg --force-confdef --force-confold --configure -a
        status=$?
        if ((status == 0)); then
            say "dpkg --configure -a finished"
            return 0
        fi
        if ! step_hit_lock; then
            warn "dpkg --configure -a failed (exit $status); the system needs a manual repair"
            finish 72
        fi
        if ((attempt >= DPKG_LOCK_TRIES)); then
            warn "giving up: the dpkg lock is still held by another process after $attempt attempts ($((DPKG_LOCK_TRIES * DPKG_LOCK_DELAY))s)"
            finish 70
        fi
        warn "another process holds the dpkg lock; retrying in ${DPKG_LOCK_DELAY}s (attempt $attempt of $DPKG_LOCK_TRIES)"
        pause "$DPKG_LOCK_DELAY"
    done
}

# A failed apt-get step: a lock held too long (70), or anything else (73).
step_failed() {
    local status=$1 what=$2
    if step_hit_lock; then
        warn "giving up: the dpkg lock was held by another process for more than ${DPKG_LOCK_TIMEOUT}s"
        finish 70
    fi
    warn "$what failed (exit $status)"
    finish 73
}

do_upgrade() {
    local status
    if [[ $MODE == dry-run ]]; then
        phase simulate
        run_step "${APT_GET[@]}" -s upgrade --with-new-pkgs
        status=$?
        ((status == 0)) || step_failed "$status" "apt-get -s upgrade"
        return 0
    fi

    # Download first, in a step of its own: until every package is here nothing on the
    # system has changed, so the run can still be cancelled.
    phase download
    run_step "${APT_GET[@]}" -y --download-only upgrade --with-new-pkgs
    status=$?
    ((status == 0)) || step_failed "$status" "apt-get --download-only upgrade"

    phase install
    run_step "${APT_GET[@]}" -y upgrade --with-new-pkgs
    status=$?
    ((status == 0)) || step_failed "$status" "apt-get upgrade"
}

report_restarts() {
    local line
    if [[ -e /run/reboot-required ]]; then
        mapfile -t pending < <(sort -u /run/reboot-required.pkgs 2>/dev/null)
        status "reboot-required ${pending[*]}"
        say "a reboot is required${pending[*]:+ (for ${pending[*]})}"
    fi
    if command -v needrestart >/dev/null; then
        # Batch mode only lists: NEEDRESTART_MODE=l above means nothing is restarted.
        while IFS= read -r line; do
            [[ $line == NEEDRESTART-SVC:* ]] && status "restart-service ${line#NEEDRESTART-SVC: }"
        done < <(needrestart -b 2>/dev/null)
    fi
}

main() {
    local -a pending
    trap 'on_signal TERM' TERM
    trap 'on_signal INT' INT
    trap 'on_signal HUP' HUP
    trap cleanup EXIT

    # The first stdout line: the status channel's nonce (see the top of this file).
    say "channel $NONCE"
    status "mode $MODE"
    if ((EUID != 0)); then
        warn "must run as root (through sudo)"
        finish 77
    fi
    if ! WORK_DIR=$(mktemp -d /tmp/system-upgrade.XXXXXXXX); then
        warn "cannot create a temporary directory"
        finish 74
    fi
    STEP_ERR=$WORK_DIR/stderr
    # apt's status lines (descriptor 3 of each apt-get) become channel lines on stdout.
    exec {STATUS_FD}> >(while IFS= read -r line; do status "apt $line"; done)
    STATUS_PID=$!

    phase check-dpkg
    mapfile -t pending < <(interrupted_packages)
    if ((${#pending[@]} > 0)); then
        status "dpkg-interrupted ${pending[*]}"
        say "dpkg was interrupted earlier; unfinished: ${pending[*]}"
    fi

    do_update

    if ((${#pending[@]} > 0)); then
        if [[ $MODE == apply ]]; then
            do_repair
        else
            say "dpkg was interrupted; --apply would run dpkg --configure -a first; this dry run changes nothing"
        fi
    fi

    do_upgrade

    if [[ $MODE == apply ]]; then
        report_restarts
    fi
    finish 0
}

main
