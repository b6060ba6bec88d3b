#!/bin/bash
# ops/uninstall.sh: remove everything ops/install.sh put on this host. Run as root;
# safe to re-run.
#
#   uninstall.sh [--keep-history]
#
#   --keep-history  keep the job history in /var/lib/pinsdaemon (owned by the uid the
#                   service user had; a later install takes it over again)
#
# Stops the daemon (systemd service, or the one started by run-without-systemd.sh),
# then removes the units, the sudoers file, /usr/libexec/pinsdaemon (the script),
# /usr/lib/pinsdaemon, /etc/pinsdaemon (the token), /run/pinsdaemon, the log of
# run-without-systemd.sh, the job history and the runs' files
# (/var/lib/pinsdaemon-upgrade) unless --keep-history, and the user and group
# sysupdate-api. A run still going on is left to finish: it is apt, not the daemon.
set -euo pipefail

# shellcheck source=ops/layout.sh
source "$(dirname "${BASH_SOURCE[0]}")/layout.sh"

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
readonly HERE

say() { echo "uninstall: $*"; }
die() {
    echo "uninstall: error: $*" >&2
    exit 1
}

KEEP_HISTORY=no
case ${1-} in
    "") ;;
    --keep-history) KEEP_HISTORY=yes ;;
    -h | --help)
        sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "usage: uninstall.sh [--keep-history]" >&2
        exit 64
        ;;
esac
(($# <= 1)) || die "usage: uninstall.sh [--keep-history]"
((EUID == 0)) || die "run as root (sudo ops/uninstall.sh)"

remove() {
    local path
    for path in "$@"; do
        if [[ -e $path || -L $path ]]; then
            rm -rf -- "$path"
            say "removed $path"
        fi
    done
}

stop_daemon() {
    # The fallback first: it needs the unit file to know what it started.
    if [[ -f $UNIT_PATH && -x $HERE/run-without-systemd.sh ]]; then
        "$HERE/run-without-systemd.sh" --stop | sed 's/^/uninstall: /'
    fi
    if command -v systemctl >/dev/null 2>&1 && [[ -f $UNIT_PATH ]]; then
        if [[ -d /run/systemd/system ]]; then
            systemctl disable --now "$SERVICE" >/dev/null 2>&1 || true
            say "stopped and disabled $SERVICE.service"
        else
            # Offline: only removes the wants/ symlink that install.sh created.
            systemctl disable "$SERVICE" >/dev/null 2>&1 || true
        fi
    fi
}

live_pids_of() {
    local pid stat
    for pid in $(pgrep -u "$1" || true); do
        stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
        stat=${stat##*) }
        [[ ${stat%% *} == Z ]] || printf ' %s' "$pid"
    done
}

remove_user() {
    local pids i
    if ! id "$SERVICE_USER" >/dev/null 2>&1; then
        return 0
    fi
    # Never kill by user name blindly: report what is left and let an admin decide.
    # A daemon that was just stopped may take a moment to be reaped.
    for ((i = 0; i < 50; i++)); do
        pgrep -u "$SERVICE_USER" >/dev/null || break
        sleep 0.1
    done
    pids=$(live_pids_of "$SERVICE_USER")
    if [[ -n $pids ]]; then
        die "processes of $SERVICE_USER are still running (pids:$pids); stop them and run uninstall.sh again"
    fi
    userdel "$SERVICE_USER" || die "userdel $SERVICE_USER failed; run uninstall.sh again"
    say "removed user $SERVICE_USER"
    if getent group "$SERVICE_USER" >/dev/null; then
        groupdel "$SERVICE_USER"
        say "removed group $SERVICE_USER"
    fi
}

main() {
    stop_daemon
    remove "$UNIT_PATH" "$TEMPLATE_UNIT_PATH" "/etc/systemd/system/multi-user.target.wants/$SERVICE.service"
    if [[ -d /run/systemd/system ]]; then
        systemctl daemon-reload
        systemctl reset-failed "$SERVICE" >/dev/null 2>&1 || true
    fi
    # Sudoers before the script: never leave a rule that points at a missing file
    # someone else could create.
    remove "$SUDOERS_PATH" "$SCRIPT_PATH" "$(dirname -- "$SCRIPT_PATH")" "$INSTALL_DIR" "$TOKEN_DIR" "$RUN_DIR" "$LOG_FILE"
    if [[ $KEEP_HISTORY == yes ]]; then
        if [[ -d $STATE_DIR ]]; then say "kept the job history in $STATE_DIR and $RUNS_DIR (--keep-history)"; fi
    else
        remove "$STATE_DIR" "$RUNS_DIR"
    fi
    remove_user
    say "done"
}

main
