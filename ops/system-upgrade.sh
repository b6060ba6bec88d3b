#!/bin/bash -p
# system-upgrade.sh: the only part of PinsDaemon that ever runs as root.
#
# The daemon (user sysupdate-api) runs it through sudo, and sudoers allows exactly
#   sudo -n -- /usr/libexec/pinsdaemon/system-upgrade.sh --dry-run|--apply [--full-upgrade] [--autoremove] --job ID
#   sudo -n -- /usr/libexec/pinsdaemon/system-upgrade.sh --cancel --job ID
#   sudo -n -- /usr/libexec/pinsdaemon/system-upgrade.sh --reboot | --cancel-reboot
# (each combination its own line in sudoers, the words in this order), where ID is the
# daemon's job id, a lowercase hyphenated UUID, so nothing the daemon sends over HTTP ever
# reaches a root command line but fixed words and a checked id.
#
# Forms:
#   --dry-run --job ID, --apply --job ID   the LAUNCHER (runs for under a second): checks
#       its arguments again, refuses an id already used and a second run while one is
#       active, creates RUNS_DIR and the run's files, writes the run record, and starts
#       the run outside the caller: as the unit pinsdaemon-upgrade@MODE-ID.service when
#       systemd is PID 1, otherwise as a worker in a session of its own (setsid).
#   --cancel --job ID   SIGTERM to that run's main process only. The worker stops before
#       dpkg starts and refuses (status event "cancel-refused") once it has.
#   --reboot            schedules a reboot in one minute with a wall message
#                       (shutdown -r +1), refused (exit 75) while a run is active.
#   --cancel-reboot     cancels a scheduled reboot (shutdown -c).
#   --worker MODE-ID    the run itself; started only by the unit or the launcher (never
#       allowed in sudoers).
#   --record-exit MODE-ID   the unit's ExecStopPost=: writes the exit record from
#       $SERVICE_RESULT, $EXIT_CODE and $EXIT_STATUS (never allowed in sudoers).
#   --dry-run, --apply  alone, run by root: in the foreground, status channel on stdout
#       (see below), exactly as before runs had files: for an admin at a shell.
#
#   dry-run  apt-get update, then apt-get -s upgrade --with-new-pkgs (simulation), or
#            apt-get -s full-upgrade with --full-upgrade; with --autoremove also
#            apt-get -s autoremove. Refreshes the package lists; installs, removes and
#            configures nothing.
#   apply    apt-get update, repair an interrupted dpkg (dpkg --configure -a) if
#            needed, download (apt-get --download-only), then
#            apt-get -y upgrade --with-new-pkgs (what "apt upgrade" does), or
#            apt-get -y full-upgrade (may install new dependencies and remove packages);
#            with --autoremove, after a successful upgrade, apt-get -y autoremove.
#
# A run's files, in RUNS_DIR (root:sysupdate-api 0750; files 0640), NAME = MODE-ID:
#   NAME.out, NAME.err   the run's stdout and stderr
#   NAME.status          status events, one a line (below): package output never reaches
#                        this file, so it can neither forge nor split an event
#   NAME.options         what the run does, written by the launcher before it starts:
#                        upgrade=upgrade|full-upgrade autoremove=yes|no
#   NAME.run             run record, one line written atomically by the launcher:
#                        supervisor=systemd unit=U | supervisor=detached pid=P, then
#                        boot_id= init_start= (PID 1's start time, in clock ticks after
#                        the kernel booted: a container's reboot keeps the kernel's boot
#                        id, but not its PID 1) mode= started= (seconds since the epoch)
#   NAME.exit            exit record, written atomically when the run has ended:
#                        result=R exit_code=exited|killed|dumped exit_status=N|SIGNAME
#                        (by ExecStopPost= under systemd, by the worker's EXIT trap when
#                        detached)
#
# Exit codes (sudo itself exits 1 when it refuses or fails, so none of ours is 1):
#     0  success (launcher: the run was started; cancel: the run was signalled)
#    64  usage: not one of the forms above, or not a lowercase hyphenated UUID
#    65  launcher: this job id was already used
#    66  cancel: no such run is active
#    70  gave up waiting for a lock: /var/lib/apt/lists/lock during update (retried
#        LISTS_LOCK_TRIES times), or the dpkg lock for longer than DPKG_LOCK_TIMEOUT
#    71  apt-get update failed (any failed fetch counts: APT::Update::Error-Mode=any)
#    72  dpkg was interrupted and "dpkg --configure -a" failed (apply only)
#    73  apt-get upgrade failed (apply), or the simulation failed (dry-run)
#    74  internal error of this script (temporary directory, runs directory, run files)
#    75  launcher: another run is active
#    76  --reboot, --cancel-reboot: shutdown failed
#    77  not running as root
#   129, 130, 143  stopped by SIGHUP, SIGINT, SIGTERM (forwarded to the running step)
#
# Status events (in NAME.status for a run; on stdout in the foreground, where the first
# stdout line announces a random nonce, "pinsdaemon: channel NONCE", and every event
# line after it is "pinsdaemon-status NONCE EVENT"; package output never sees the nonce):
#   mode dry-run|apply
#   phase check-dpkg|update|download|repair|install|simulate
#   apt <line>                        apt's -o APT::Status-Fd line (dlstatus:, pmstatus:, ...)
#   plan <line>                       a dry run's simulation line (Inst, Conf, Remv, Purg)
#   kept-back <packages...>           a dry run's packages the upgrade keeps back
#   autoremovable <packages...>       a dry run's packages no longer needed (apt autoremove)
#   upgraded <package> <old|-> <new>  what dpkg changed (from dpkg's database, not output)
#   removed <package> <old>           what dpkg removed (likewise)
#   dpkg-interrupted <packages...>    (before repair, or in a dry run)
#   cancel-refused                    a SIGTERM arrived while dpkg was running; ignored
#   stopped <SIGNAL> <phase>          a SIGTERM/SIGINT/SIGHUP stopped the run before dpkg
#   reboot-required <packages...>     (after an apply, when needed)
#   restart-service <unit>            (after an apply, from needrestart -b, when installed)
#   exit <code>                       (the last line, once the arguments were accepted)
# Messages for people, errors and retries are plain lines ("pinsdaemon: ...").
#
# Signals: SIGTERM (--cancel, or a stop of the unit) stops the run during check-dpkg,
# update, download and simulate, none of which change the system. During repair and
# install dpkg is changing the system: the signal is refused ("cancel-refused") and the
# run goes on to the end, because cutting dpkg off mid-way leaves packages half-installed.
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

readonly USAGE="usage: system-upgrade.sh --dry-run|--apply [--full-upgrade] [--autoremove] [--job ID] | --cancel --job ID | --reboot | --cancel-reboot"
readonly RUNS_DIR=/var/lib/pinsdaemon-upgrade
readonly RUNS_GROUP=sysupdate-api
readonly UNIT_PREFIX=pinsdaemon-upgrade@
# Finished runs whose files are kept; older ones are pruned by the launcher (the daemon
# cannot delete root's files). The daemon copies every line into its own history.
readonly KEEP_RUNS=20
readonly UUID_RE='^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
readonly NAME_RE='^(dry-run|apply)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'

usage() {
    echo "$USAGE" >&2
    exit 64
}

# Validate before anything else; nothing is echoed or passed on unchecked.
ACTION=""
MODE=""
JOB=""
NAME=""
# What the run does: apt-get upgrade or full-upgrade, and whether it removes what is no longer
# needed afterwards. Fixed words only, in a fixed order, after --dry-run or --apply.
# (Unset first: a variable of the same name from the environment would stay exported.)
unset UPGRADE AUTOREMOVE args next
UPGRADE=upgrade
AUTOREMOVE=no
args=("$@")
case ${args[0]-} in
    --worker | --record-exit)
        (($# == 2)) && [[ $2 =~ $NAME_RE ]] || usage
        ACTION=${1#--}
        NAME=$2
        MODE=${NAME%-*-*-*-*-*}
        JOB=${NAME#"$MODE"-}
        ;;
    --cancel)
        (($# == 3)) && [[ $2 == --job && $3 =~ $UUID_RE ]] || usage
        ACTION=cancel
        JOB=$3
        ;;
    --reboot | --cancel-reboot)
        (($# == 1)) || usage
        ACTION=${1#--}
        ;;
    --dry-run | --apply)
        MODE=${1#--}
        next=1
        if [[ ${args[next]-} == --full-upgrade ]]; then
            UPGRADE=full-upgrade
            next=$((next + 1))
        fi
        if [[ ${args[next]-} == --autoremove ]]; then
            AUTOREMOVE=yes
            next=$((next + 1))
        fi
        if (($# == next)); then
            ACTION=foreground
        elif (($# == next + 2)) && [[ ${args[next]} == --job && ${args[next + 1]} =~ $UUID_RE ]]; then
            ACTION=launch
            JOB=${args[next + 1]}
        else
            usage
        fi
        unset next
        ;;
    *) usage ;;
esac
unset args
[[ -z $MODE || -n $NAME ]] || NAME=$MODE-$JOB
readonly ACTION MODE JOB NAME

# The script's own path, for the detached worker (the cd / below would break a relative one).
SELF=$(cd -- "$(dirname -- "$0")" && pwd -P)/$(basename -- "$0")
readonly SELF

# ExecStopPost='s environment, read before the environment is cleared below.
if [[ $ACTION == record-exit ]]; then
    STOP_RESULT=${SERVICE_RESULT:-unknown}
    STOP_CODE=${EXIT_CODE:-unknown}
    STOP_STATUS=${EXIT_STATUS:-unknown}
fi

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
    # Machine-readable progress on descriptor 3, relayed to the daemon as status events.
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
# Where status events go: a descriptor on NAME.status for a run, stdout with the nonce
# in the foreground.
EVENTS_FD=""
NONCE=""

say() { printf 'pinsdaemon: %s\n' "$*"; }
warn() { printf 'pinsdaemon: %s\n' "$*" >&2; }
status() {
    if [[ -n $EVENTS_FD ]]; then
        printf '%s\n' "$*" >&"$EVENTS_FD"
    else
        printf 'pinsdaemon-status %s %s\n' "$NONCE" "$*"
    fi
}

finish() {
    local code=$1
    if [[ -n $STATUS_FD ]]; then
        # Close apt's status pipe and let its relay drain before the last event.
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
        # The step may have been cut off mid-line; a person reads this on its own line.
        echo
        warn "stopped by SIG$GOT_SIGNAL during phase $PHASE"
        status "stopped $GOT_SIGNAL $PHASE"
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
# The step runs in the background so a SIGTERM (--cancel, or a stop of the unit) can
# be forwarded to it instead of leaving apt running without us.
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

# Installed packages and their versions, from dpkg's database: what an apply changed is
# the difference before and after, never read from output a maintainer script can print.
installed_versions() {
    dpkg-query -W -f='${db:Status-Abbrev}\t${binary:Package}\t${Version}\n' 2>/dev/null |
        awk -F '\t' 'substr($1, 1, 2) == "ii" { print $2 "\t" $3 }' | sort
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

report_changes() {
    local package old new
    installed_versions >"$WORK_DIR/after"
    # Every package whose installed version is new or different, with its old version
    # ("-" for a package that was not installed: filled in by join -e, because read would
    # merge an empty field's two tabs and shift the new version into the old one's place).
    while IFS=$'\t' read -r package old new; do
        status "upgraded $package $old $new"
    done < <(join -t $'\t' -a 2 -e - -o 0,1.2,2.2 "$WORK_DIR/before" "$WORK_DIR/after" | awk -F '\t' '$2 != $3')
    # Every package that was installed and is no longer (full-upgrade's removals, autoremove).
    while IFS=$'\t' read -r package old; do
        status "removed $package $old"
    done < <(join -t $'\t' -v 1 "$WORK_DIR/before" "$WORK_DIR/after")
}

do_upgrade() {
    local status line list
    local -a upgrade=("$UPGRADE")
    # "upgrade" alone would keep back every package that needs a new dependency.
    [[ $UPGRADE == upgrade ]] && upgrade+=(--with-new-pkgs)
    if [[ $MODE == dry-run ]]; then
        # A simulation runs no maintainer script: its output is apt's alone, so its plan
        # lines are also sent as events. It is not dpkg either: a signal still stops it.
        phase simulate
        run_step "${APT_GET[@]}" -s "${upgrade[@]}" >"$WORK_DIR/simulation"
        status=$?
        cat -- "$WORK_DIR/simulation"
        ((status == 0)) || step_failed "$status" "apt-get -s $UPGRADE"
        if [[ $AUTOREMOVE == yes ]]; then
            # What autoremove would remove now; its Remv lines join the plan.
            run_step "${APT_GET[@]}" -s autoremove >"$WORK_DIR/autoremove"
            status=$?
            cat -- "$WORK_DIR/autoremove"
            ((status == 0)) || step_failed "$status" "apt-get -s autoremove"
            cat -- "$WORK_DIR/autoremove" >>"$WORK_DIR/simulation"
        fi
        # The indented lists after apt's headings: packages kept back, and those no longer needed.
        list=""
        while IFS= read -r line; do
            case $line in
                'Inst '* | 'Conf '* | 'Remv '* | 'Purg '*) status "plan $line"; list="" ;;
                'The following packages have been kept back:') list=kept-back ;;
                'The following package was automatically installed and is no longer required:' | \
                    'The following packages were automatically installed and are no longer required:') list=autoremovable ;;
                '  '*) [[ -n $list ]] && status "$list ${line#  }" ;;
                *) list="" ;;
            esac
        done <"$WORK_DIR/simulation"
        return 0
    fi

    # Download first, in a step of its own: until every package is here nothing on the
    # system has changed, so the run can still be cancelled.
    phase download
    run_step "${APT_GET[@]}" -y --download-only "${upgrade[@]}"
    status=$?
    ((status == 0)) || step_failed "$status" "apt-get --download-only $UPGRADE"

    installed_versions >"$WORK_DIR/before"
    phase install
    run_step "${APT_GET[@]}" -y "${upgrade[@]}"
    status=$?
    if ((status == 0)) && [[ $AUTOREMOVE == yes ]]; then
        # Only after a successful upgrade: what it left no longer needed goes too.
        run_step "${APT_GET[@]}" -y autoremove
        status=$?
        report_changes
        ((status == 0)) || step_failed "$status" "apt-get autoremove"
        return 0
    fi
    report_changes
    ((status == 0)) || step_failed "$status" "apt-get $UPGRADE"
}

report_restarts() {
    local line
    local -a pending
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

# The upgrade itself, for the foreground and for a worker.
upgrade() {
    local -a pending
    trap 'on_signal TERM' TERM
    trap 'on_signal INT' INT
    trap 'on_signal HUP' HUP

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
    # apt's status lines (descriptor 3 of each apt-get) become status events.
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

# --- runs: launcher, worker, exit record, cancel ---------------------------------------

run_file() { printf '%s/%s.%s' "$RUNS_DIR" "$1" "$2"; }

# What a run record says of the boot it started on: the kernel's boot id, and PID 1's start
# time (field 22 of /proc/1/stat, after the parenthesised command name). The daemon compares
# both with its own view: either differing means the system rebooted during the run.
boot_fields() {
    local stat
    local -a fields=()
    stat=$(</proc/1/stat) && read -ra fields <<<"${stat##*) }"
    printf 'boot_id=%s init_start=%s' "$(</proc/sys/kernel/random/boot_id)" "${fields[19]:-}"
}

# Writes $2 to $1 atomically (0640 root:group): readers see the old file or the new one.
write_atomically() {
    local target=$1 content=$2 tmp
    tmp=$(mktemp "$target.XXXXXX") || return 1
    printf '%s\n' "$content" >"$tmp" && chgrp "$GROUP" "$tmp" && chmod 0640 "$tmp" && mv -f -- "$tmp" "$target"
}

# The one key of a run record's or exit record's line.
record_field() {
    local file=$1 key=$2 word
    [[ -f $file ]] || return 1
    for word in $(head -c 4096 -- "$file"); do
        if [[ $word == "$key="* ]]; then
            printf '%s' "${word#"$key"=}"
            return 0
        fi
    done
    return 1
}

# True while the run NAME has a process or unit that can still write its files.
run_alive() {
    local name=$1 record unit pid state job
    record=$(run_file "$name" run)
    case $(record_field "$record" supervisor) in
        systemd)
            unit=$(record_field "$record" unit) || return 1
            [[ $unit == "$UNIT_PREFIX$name.service" ]] || return 1
            state=$(systemctl show -p ActiveState --value -- "$unit" 2>/dev/null)
            job=$(systemctl show -p Job --value -- "$unit" 2>/dev/null)
            [[ -n $job || $state == active || $state == activating || $state == deactivating || $state == reloading ]]
            ;;
        detached)
            pid=$(record_field "$record" pid) || return 1
            [[ $pid =~ ^[0-9]+$ ]] || return 1
            # The pid is ours only while its command line names this run.
            { tr '\0' '\n' <"/proc/$pid/cmdline"; } 2>/dev/null | grep -qxF -- "$name"
            ;;
        *)
            # No record yet: a launcher is writing it (launchers hold the launch lock).
            return 1
            ;;
    esac
}

# Any run, other than those whose exit is recorded, that is still alive.
active_run() {
    local record name
    for record in "$RUNS_DIR"/*.run; do
        [[ -f $record ]] || continue
        name=$(basename -- "$record" .run)
        [[ $name =~ $NAME_RE ]] || continue
        [[ -e $(run_file "$name" exit) ]] && continue
        if run_alive "$name"; then
            printf '%s' "$name"
            return 0
        fi
    done
    return 1
}

# Keeps the newest KEEP_RUNS finished runs' files; never an active run's.
prune_runs() {
    local record name
    local -a finished=()
    while IFS= read -r record; do
        name=$(basename -- "$record" .exit)
        [[ $name =~ $NAME_RE && $name != "$NAME" ]] && finished+=("$name")
    done < <(ls -1t -- "$RUNS_DIR"/*.exit 2>/dev/null)
    for name in "${finished[@]:KEEP_RUNS}"; do
        rm -f -- "$RUNS_DIR/$name".{out,err,status,run,exit,options}
    done
}

# RUNS_DIR, root-owned and not a symlink: a directory someone else controls could be
# swapped for a link under root's feet.
prepare_runs_dir() {
    GROUP=$RUNS_GROUP
    getent group "$GROUP" >/dev/null || GROUP=root
    if [[ -L $RUNS_DIR ]] || { [[ -e $RUNS_DIR ]] && [[ ! -d $RUNS_DIR || $(stat -c %u -- "$RUNS_DIR") != 0 ]]; }; then
        warn "$RUNS_DIR is not a directory owned by root; refusing to use it"
        exit 74
    fi
    mkdir -p -- "$RUNS_DIR" && chown "root:$GROUP" -- "$RUNS_DIR" && chmod 0750 -- "$RUNS_DIR" || {
        warn "cannot create $RUNS_DIR"
        exit 74
    }
}

launch() {
    local unit active file
    umask 027
    prepare_runs_dir
    # One launcher at a time: the busy check and the start below are one step.
    exec {LAUNCH_LOCK}>"$RUNS_DIR/.launch.lock" || exit 74
    flock -w 30 "$LAUNCH_LOCK" || {
        warn "another launcher holds $RUNS_DIR/.launch.lock"
        exit 75
    }
    if compgen -G "$RUNS_DIR/*-$JOB.*" >/dev/null; then
        warn "job id $JOB was already used"
        exit 65
    fi
    if active=$(active_run); then
        warn "another run is active: $active"
        exit 75
    fi
    if ! flock -n "$RUNS_DIR/.active.lock" true; then
        warn "another run holds $RUNS_DIR/.active.lock"
        exit 75
    fi
    for file in out err status; do
        install -m 0640 -o root -g "$GROUP" /dev/null "$(run_file "$NAME" "$file")" || exit 74
    done
    # What the worker does, from this command line only: it reads this root-owned file, never
    # anything the daemon can write.
    write_atomically "$(run_file "$NAME" options)" "upgrade=$UPGRADE autoremove=$AUTOREMOVE" || exit 74
    if [[ -d /run/systemd/system ]]; then
        unit=$UNIT_PREFIX$NAME.service
        # The record exists before the unit starts, so the worker knows ExecStopPost=
        # writes the exit record.
        write_atomically "$(run_file "$NAME" run)" \
            "supervisor=systemd unit=$unit $(boot_fields) mode=$MODE started=$(date +%s)" || exit 74
        if ! systemctl start --no-block -- "$unit"; then
            warn "systemctl start $unit failed"
            write_atomically "$(run_file "$NAME" exit)" "result=start-failed exit_code=exited exit_status=74"
            exit 74
        fi
    else
        # A session of its own: out of the caller's process group and terminal, so a
        # signal to the daemon's group (Ctrl-C, a kill of the group) never reaches it.
        # The launch lock is not passed on.
        setsid /bin/bash -p "$SELF" --worker "$NAME" \
            </dev/null >>"$(run_file "$NAME" out)" 2>>"$(run_file "$NAME" err)" {LAUNCH_LOCK}>&- &
        write_atomically "$(run_file "$NAME" run)" \
            "supervisor=detached pid=$! $(boot_fields) mode=$MODE started=$(date +%s)" || exit 74
    fi
    prune_runs
    exit 0
}

# shellcheck disable=SC2317  # called from the EXIT trap
record_detached_exit() {
    local code=$?
    cleanup
    # Under systemd, ExecStopPost= writes the record after every process has gone.
    [[ $(record_field "$(run_file "$NAME" run)" supervisor) == systemd ]] && return
    write_atomically "$(run_file "$NAME" exit)" "result=$( ((code == 0)) && echo success || echo exit-code) exit_code=exited exit_status=$code"
}

worker() {
    local file
    GROUP=$RUNS_GROUP
    getent group "$GROUP" >/dev/null || GROUP=root
    ((EUID == 0)) || {
        warn "must run as root"
        exit 77
    }
    for file in out err status; do
        [[ -f $(run_file "$NAME" "$file") && ! -L $(run_file "$NAME" "$file") ]] || {
            warn "$NAME has no run files: start it with --$MODE --job $JOB"
            exit 74
        }
    done
    [[ ! -e $(run_file "$NAME" exit) ]] || {
        warn "$NAME has already ended"
        exit 65
    }
    read_options || {
        warn "$NAME has no valid options file: start it with --$MODE --job $JOB"
        exit 74
    }
    exec {EVENTS_FD}>>"$(run_file "$NAME" status)" || exit 74
    # Held for the whole run: a second worker, or a launcher, sees this run is active.
    exec {ACTIVE_LOCK}>"$RUNS_DIR/.active.lock" || exit 74
    flock -n "$ACTIVE_LOCK" || {
        warn "another run is active"
        exit 75
    }
    trap record_detached_exit EXIT
    upgrade
}

# The launcher's NAME.options: fixed words only.
read_options() {
    local file
    file=$(run_file "$NAME" options)
    [[ -f $file && ! -L $file ]] || return 1
    UPGRADE=$(record_field "$file" upgrade) && AUTOREMOVE=$(record_field "$file" autoremove) || return 1
    [[ $UPGRADE == upgrade || $UPGRADE == full-upgrade ]] && [[ $AUTOREMOVE == yes || $AUTOREMOVE == no ]]
}

record_exit() {
    local value
    GROUP=$RUNS_GROUP
    getent group "$GROUP" >/dev/null || GROUP=root
    ((EUID == 0)) || exit 77
    # systemd's words and numbers only (success, exit-code, exited, killed, 143, TERM).
    for value in "$STOP_RESULT" "$STOP_CODE" "$STOP_STATUS"; do
        [[ $value =~ ^[A-Za-z0-9_-]{1,32}$ ]] || exit 64
    done
    [[ -f $(run_file "$NAME" run) ]] || exit 74
    write_atomically "$(run_file "$NAME" exit)" "result=$STOP_RESULT exit_code=$STOP_CODE exit_status=$STOP_STATUS" || exit 74
}

cancel() {
    local name record pid unit
    ((EUID == 0)) || {
        warn "must run as root (through sudo)"
        exit 77
    }
    for name in "dry-run-$JOB" "apply-$JOB"; do
        record=$(run_file "$name" run)
        [[ -f $record && ! -e $(run_file "$name" exit) ]] || continue
        run_alive "$name" || continue
        # SIGTERM to the main process only: the worker decides whether it may stop
        # (never while dpkg runs). dpkg itself is never signalled.
        case $(record_field "$record" supervisor) in
            systemd)
                unit=$(record_field "$record" unit)
                systemctl kill --kill-whom=main --signal=TERM -- "$unit" && exit 0
                ;;
            detached)
                pid=$(record_field "$record" pid)
                kill -TERM "$pid" 2>/dev/null && exit 0
                ;;
        esac
    done
    warn "no active run for job $JOB"
    exit 66
}

# The daemon refuses a reboot while a job runs; this holds for runs it does not know of.
schedule_reboot() {
    local active
    ((EUID == 0)) || {
        warn "must run as root (through sudo)"
        exit 77
    }
    if [[ -d $RUNS_DIR ]] && active=$(active_run); then
        warn "a run is active, not rebooting: $active"
        exit 75
    fi
    shutdown -r +1 "PinsDaemon: this machine reboots in one minute, as asked over its API (DELETE /reboot cancels)" || exit 76
}

cancel_reboot() {
    ((EUID == 0)) || {
        warn "must run as root (through sudo)"
        exit 77
    }
    shutdown -c "PinsDaemon: the reboot was cancelled over its API" || exit 76
}

case $ACTION in
    reboot) schedule_reboot ;;
    cancel-reboot) cancel_reboot ;;
    foreground)
        # 128 random bits, hex: the status channel's nonce. The first stdout line.
        NONCE=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
        readonly NONCE
        trap cleanup EXIT
        say "channel $NONCE"
        upgrade
        ;;
    launch)
        ((EUID == 0)) || {
            warn "must run as root (through sudo)"
            exit 77
        }
        launch
        ;;
    worker) worker ;;
    record-exit) record_exit ;;
    cancel) cancel ;;
esac
