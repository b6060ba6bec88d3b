#!/bin/bash
# ops/install.sh: install PinsDaemon on this Debian host. Run as root; safe to re-run
# (it upgrades the daemon in place and keeps the existing API token).
#
#   install.sh [--no-start] [--urls URLS] [--from-dir DIR]
#
#   --no-start      install everything but do not (re)start the daemon
#   --urls URLS     listen address(es) for the daemon, e.g. http://0.0.0.0:5180
#                   (default http://127.0.0.1:5180; put it behind TLS if not loopback)
#   --from-dir DIR  install an already published build from DIR instead of running
#                   "dotnet publish" (e.g. published for linux-arm64 on another machine)
#
# What it installs:
#   /usr/lib/pinsdaemon/                  the self-contained daemon (root-owned, read-only
#                                         for the service user), plus ops/ helper scripts
#   /usr/libexec/pinsdaemon/system-upgrade.sh  the only thing that runs as root (0755 root)
#   /etc/sudoers.d/pinsdaemon             the three commands sysupdate-api may run (0440)
#   /etc/systemd/system/pinsdaemon.service
#   /etc/systemd/system/pinsdaemon-upgrade@.service  one unit per upgrade run
#   /var/lib/pinsdaemon-upgrade/          the runs' files, root:sysupdate-api 0750
#   /etc/pinsdaemon/api-token             256-bit token, 0600 root (kept if present)
#   /var/lib/pinsdaemon/                  job history, sysupdate-api 0700
#   user and group sysupdate-api          system user, no home, no login shell
set -euo pipefail

# shellcheck source=ops/layout.sh
source "$(dirname "${BASH_SOURCE[0]}")/layout.sh"
readonly DEFAULT_URLS=http://127.0.0.1:5180

OPS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
readonly OPS_DIR
readonly REPO_DIR=${OPS_DIR%/ops}
readonly HOST_PROJECT=$REPO_DIR/src/PinsDaemon.Host/PinsDaemon.Host.csproj

say() { echo "install: $*"; }
die() {
    echo "install: error: $*" >&2
    exit 1
}

usage() {
    sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
}

START=yes
URLS=$DEFAULT_URLS
FROM_DIR=""
while (($# > 0)); do
    case $1 in
        --no-start) START=no ;;
        --urls)
            (($# >= 2)) || die "--urls needs a value"
            URLS=$2
            shift
            ;;
        --from-dir)
            (($# >= 2)) || die "--from-dir needs a value"
            FROM_DIR=$2
            shift
            ;;
        -h | --help)
            usage
            exit 0
            ;;
        *)
            usage >&2
            exit 64
            ;;
    esac
    shift
done
# The value lands on the unit's ExecStart= line: allow URL characters only, no spaces.
[[ $URLS =~ ^https?://[][A-Za-z0-9.:*+_-]+(/)?(\;https?://[][A-Za-z0-9.:*+_-]+(/)?)*$ ]] ||
    die "--urls '$URLS' is not a list of http(s)://host:port separated by ';'"

((EUID == 0)) || die "run as root (sudo ops/install.sh)"

# --- prerequisites ----------------------------------------------------------------------
check_prerequisites() {
    local missing=() cmd
    # command:package that provides it. systemctl is optional: without systemd the
    # daemon is started by run-without-systemd.sh.
    local needs=(apt-get:apt dpkg-query:dpkg sudo:sudo visudo:sudo curl:curl
        setpriv:util-linux setsid:util-linux flock:util-linux useradd:passwd install:coreutils)
    if [[ -z $FROM_DIR ]]; then
        needs+=("dotnet:the .NET 10 SDK (dotnet-sdk-10.0), or use --from-dir")
    fi
    for cmd in "${needs[@]}"; do
        if ! command -v "${cmd%%:*}" >/dev/null 2>&1; then
            missing+=("${cmd%%:*} (from ${cmd#*:})")
        fi
    done
    if [[ -z $FROM_DIR ]] && command -v dotnet >/dev/null 2>&1 &&
        ! dotnet --list-sdks 2>/dev/null | grep -q '^10\.'; then
        missing+=("a .NET 10 SDK (dotnet --list-sdks shows none), or use --from-dir")
    fi
    if ((${#missing[@]} > 0)); then
        echo "install: missing prerequisites:" >&2
        printf '  - %s\n' "${missing[@]}" >&2
        echo "install: e.g. apt-get update && apt-get install -y sudo curl" >&2
        exit 1
    fi
    # Check the files before changing anything (install_sudoers checks again, on the
    # exact bytes it installs).
    if ! visudo -cf "$OPS_DIR/sudoers" >/dev/null 2>&1; then
        visudo -cf "$OPS_DIR/sudoers" >&2 || true
        die "ops/sudoers does not pass visudo -c; nothing was changed"
    fi
    bash -n "$OPS_DIR/system-upgrade.sh" || die "ops/system-upgrade.sh has a syntax error; nothing was changed"
    # Our sudoers file is inert unless the main file reads the drop-in directory.
    grep -Eq '^[[:space:]]*[@#]includedir[[:space:]]+/etc/sudoers\.d[[:space:]]*$' /etc/sudoers ||
        die "/etc/sudoers does not contain '@includedir /etc/sudoers.d'"
}

# Refuse a path if it, or any directory above it, could be changed by someone other
# than root: whoever can write a directory on the way can swap what root will run.
check_root_only() {
    local path=$1 dir mode owner
    for dir in "$path" "$(realpath -m -- "$path")"; do
        while :; do
            if [[ -e $dir || -L $dir ]]; then
                owner=$(stat -c %u -- "$dir")
                mode=$(stat -c %a -- "$dir")
                [[ $owner == 0 ]] || die "$dir is owned by uid $owner, not root: refusing to install $path"
                if [[ ! -L $dir ]] && (((8#$mode & 8#022) != 0)); then
                    die "$dir is writable by group or others (mode $mode): refusing to install $path"
                fi
                # ls marks a POSIX ACL with "+", which could grant write access.
                if [[ $(ls -ld -- "$dir") =~ ^.{10}\+ ]]; then
                    die "$dir has an ACL: refusing to install $path"
                fi
            fi
            [[ $dir == / ]] && break
            dir=$(dirname -- "$dir")
        done
    done
}

detect_rid() {
    case $(uname -m) in
        x86_64) echo linux-x64 ;;
        aarch64 | arm64) echo linux-arm64 ;;
        *) die "unsupported machine $(uname -m): only x86_64 and aarch64 are supported" ;;
    esac
}

# --- daemon binaries ------------------------------------------------------------------------
STAGE=""
ARTIFACTS=""
cleanup() {
    if [[ -n $STAGE && -d $STAGE ]]; then
        rm -rf -- "$STAGE"
    fi
    if [[ -n $ARTIFACTS && -d $ARTIFACTS ]]; then
        rm -rf -- "$ARTIFACTS"
    fi
}
trap cleanup EXIT

stage_build() {
    local rid
    # Same file system as the target, so the final swap is a rename.
    STAGE=$(mktemp -d "$(dirname -- "$INSTALL_DIR")/.pinsdaemon.new.XXXXXX")
    if [[ -n $FROM_DIR ]]; then
        [[ -x $FROM_DIR/pinsdaemon ]] || die "--from-dir $FROM_DIR has no executable 'pinsdaemon'"
        say "copying the published daemon from $FROM_DIR"
        cp -a -- "$FROM_DIR/." "$STAGE/"
    else
        [[ -f $HOST_PROJECT ]] || die "$HOST_PROJECT not found (run install.sh from a checkout, or use --from-dir)"
        rid=$(detect_rid)
        say "publishing the daemon for $rid (self-contained); this takes a minute or two"
        # bin/ and obj/ go to a scratch directory: root must not leave root-owned build
        # output in a developer's checkout, nor race a build running there.
        ARTIFACTS=$(mktemp -d /tmp/pinsdaemon-build.XXXXXX)
        DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 \
            dotnet publish "$HOST_PROJECT" -c Release -r "$rid" --self-contained \
            --artifacts-path "$ARTIFACTS" -o "$STAGE" -v quiet -nologo ||
            die "dotnet publish failed"
        [[ -x $STAGE/pinsdaemon ]] || die "dotnet publish produced no executable 'pinsdaemon' in $STAGE"
    fi
    # The helper scripts travel with the daemon, so a host without the checkout can
    # still start it without systemd, or uninstall it.
    install -d -m 0755 "$STAGE/ops"
    install -m 0755 "$OPS_DIR/run-without-systemd.sh" "$OPS_DIR/uninstall.sh" "$STAGE/ops/"
    install -m 0644 "$OPS_DIR/layout.sh" "$STAGE/ops/"
    # Root-owned and read-only for everyone else: the service user must not be able
    # to change the code that runs as it.
    chown -R root:root "$STAGE"
    chmod -R u+rwX,go+rX,go-w "$STAGE"
    chmod 0755 "$STAGE"
}

# --- running daemon ---------------------------------------------------------------------
systemd_running() { [[ -d /run/systemd/system ]]; }

WAS_RUNNING_FALLBACK=no
stop_daemon() {
    if systemd_running; then
        if systemctl is-active --quiet "$SERVICE"; then
            say "stopping $SERVICE.service for the upgrade"
            systemctl stop "$SERVICE"
        fi
    elif [[ -f $UNIT_PATH ]] && "$OPS_DIR/run-without-systemd.sh" --status >/dev/null 2>&1; then
        say "stopping the daemon started by run-without-systemd.sh for the upgrade"
        "$OPS_DIR/run-without-systemd.sh" --stop
        WAS_RUNNING_FALLBACK=yes
    fi
}

swap_in_build() {
    local old
    if [[ -e $INSTALL_DIR ]]; then
        old=$(mktemp -d "$(dirname -- "$INSTALL_DIR")/.pinsdaemon.old.XXXXXX")
        mv -T -- "$INSTALL_DIR" "$old/pinsdaemon"
        mv -T -- "$STAGE" "$INSTALL_DIR"
        rm -rf -- "$old"
    else
        mv -T -- "$STAGE" "$INSTALL_DIR"
    fi
    STAGE=""
    say "installed the daemon in $INSTALL_DIR"
}

# --- user, script, sudoers, unit, token, state ----------------------------------------------
ensure_user() {
    if id "$SERVICE_USER" >/dev/null 2>&1; then
        say "user $SERVICE_USER exists"
        # Re-assert what the rest of the design relies on: no shell, no password.
        if [[ $(getent passwd "$SERVICE_USER" | cut -d: -f7) != /usr/sbin/nologin ]]; then
            usermod --shell /usr/sbin/nologin "$SERVICE_USER"
            say "set the login shell of $SERVICE_USER to /usr/sbin/nologin"
        fi
        if [[ $(passwd -S "$SERVICE_USER" | cut -d' ' -f2) != L ]]; then
            usermod --lock "$SERVICE_USER"
            say "locked the password of $SERVICE_USER"
        fi
    else
        useradd --system --user-group --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin --comment "PinsDaemon system upgrade API" "$SERVICE_USER"
        say "created system user $SERVICE_USER"
    fi
}

# install(1) to a temporary name in the target directory, then rename over the target:
# nobody ever sees a half-written file, and a failure leaves the old one in place.
install_file() {
    local src=$1 dest=$2 mode=$3 tmp
    tmp=$(mktemp "$(dirname -- "$dest")/.$(basename -- "$dest").XXXXXX")
    install -o root -g root -m "$mode" -- "$src" "$tmp"
    mv -f -T -- "$tmp" "$dest"
}

install_script() {
    check_root_only "$(dirname -- "$SCRIPT_PATH")"
    install -d -o root -g root -m 0755 "$(dirname -- "$SCRIPT_PATH")"
    check_root_only "$SCRIPT_PATH"
    install_file "$OPS_DIR/system-upgrade.sh" "$SCRIPT_PATH" 0755
    say "installed $SCRIPT_PATH (root:root 0755)"
}

# The script creates it too, at its first run; made here so the daemon finds it at once.
ensure_runs_dir() {
    check_root_only "$(dirname -- "$RUNS_DIR")"
    if [[ -L $RUNS_DIR ]] || { [[ -e $RUNS_DIR ]] && [[ ! -d $RUNS_DIR ]]; }; then
        die "$RUNS_DIR is not a directory: remove it first"
    fi
    install -d -o root -g "$SERVICE_USER" -m 0750 "$RUNS_DIR"
    chown root:"$SERVICE_USER" "$RUNS_DIR"
    chmod 0750 "$RUNS_DIR"
    say "runs' files in $RUNS_DIR (root:$SERVICE_USER 0750)"
}

install_sudoers() {
    local tmp
    check_root_only "$SUDOERS_PATH"
    [[ $(basename -- "$SCRIPT_PATH") == system-upgrade.sh ]] || die "sudoers names $SCRIPT_PATH literally"
    # sudo skips files in sudoers.d whose names contain a dot, so the temporary copy
    # is never live, even for a moment.
    tmp=$(mktemp /etc/sudoers.d/.pinsdaemon.XXXXXX)
    install -o root -g root -m 0440 -- "$OPS_DIR/sudoers" "$tmp"
    if ! visudo -cf "$tmp" >/dev/null 2>&1; then
        visudo -cf "$tmp" >&2 || true
        rm -f -- "$tmp"
        die "ops/sudoers does not pass visudo -c; $SUDOERS_PATH was left as it was"
    fi
    mv -f -T -- "$tmp" "$SUDOERS_PATH"
    if ! visudo -c >/dev/null; then
        rm -f -- "$SUDOERS_PATH"
        die "the sudoers configuration does not parse with $SUDOERS_PATH; removed it again"
    fi
    say "installed $SUDOERS_PATH (root:root 0440, checked with visudo)"
}

install_unit() {
    local rendered
    check_root_only "$TEMPLATE_UNIT_PATH"
    install_file "$OPS_DIR/pinsdaemon-upgrade@.service" "$TEMPLATE_UNIT_PATH" 0644
    say "installed $TEMPLATE_UNIT_PATH"
    check_root_only "$UNIT_PATH"
    rendered=$(mktemp)
    sed "s|^ExecStart=$INSTALL_DIR/pinsdaemon --urls .*\$|ExecStart=$INSTALL_DIR/pinsdaemon --urls $URLS|" \
        "$OPS_DIR/pinsdaemon.service" >"$rendered"
    grep -qxF "ExecStart=$INSTALL_DIR/pinsdaemon --urls $URLS" "$rendered" ||
        die "could not set --urls in the unit's ExecStart= line"
    install_file "$rendered" "$UNIT_PATH" 0644
    rm -f -- "$rendered"
    say "installed $UNIT_PATH (listening on $URLS)"
    if command -v systemctl >/dev/null 2>&1; then
        if systemd_running; then
            systemctl daemon-reload
        fi
        # Works without a running systemd too (it only creates the wants/ symlink), so
        # an image prepared in a container starts the daemon on its first real boot.
        systemctl enable "$SERVICE" >/dev/null 2>&1 || say "warning: systemctl enable $SERVICE failed"
    fi
}

ensure_token() {
    local tmp
    check_root_only "$TOKEN_PATH"
    install -d -o root -g root -m 0700 "$TOKEN_DIR"
    if [[ -s $TOKEN_PATH ]] && (($(tr -d '\r\n' <"$TOKEN_PATH" | wc -c) >= 32)); then
        chown root:root "$TOKEN_PATH"
        chmod 0600 "$TOKEN_PATH"
        say "kept the existing API token in $TOKEN_PATH"
        return
    fi
    tmp=$(mktemp "$TOKEN_DIR/.api-token.XXXXXX")
    # 32 random bytes = 256 bits, as 64 hex characters: no characters that need quoting.
    od -An -v -tx1 -N32 /dev/urandom | tr -d ' \n' >"$tmp"
    echo >>"$tmp"
    chmod 0600 "$tmp"
    mv -f -T -- "$tmp" "$TOKEN_PATH"
    say "generated a new 256-bit API token in $TOKEN_PATH (root:root 0600)"
}

ensure_state_dir() {
    install -d -o "$SERVICE_USER" -g "$SERVICE_USER" -m 0700 "$STATE_DIR"
    # After "uninstall --keep-history" the user may come back with another uid.
    chown -R "$SERVICE_USER:$SERVICE_USER" "$STATE_DIR"
    chmod 0700 "$STATE_DIR"
    say "job history in $STATE_DIR ($SERVICE_USER 0700)"
}

# --- start ----------------------------------------------------------------------------------
health_url() {
    local first=${URLS%%;*} rest host
    rest=${first#*://}
    host=${rest%%:*}
    case $host in
        0.0.0.0 | \* | + | "[::]") first=${first/"$host"/127.0.0.1} ;;
    esac
    echo "${first%/}/healthz"
}

wait_healthy() {
    local url i
    url=$(health_url)
    for ((i = 0; i < 60; i++)); do
        if curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; then
            say "the daemon answers at $url"
            return 0
        fi
        sleep 0.5
    done
    say "warning: $url did not answer within 30s (journalctl -u $SERVICE)"
    return 1
}

start_daemon() {
    if [[ $START == no ]]; then
        say "not starting the daemon (--no-start)"
        return 0
    fi
    if systemd_running; then
        systemctl restart "$SERVICE"
        say "started $SERVICE.service"
        wait_healthy || true
    elif [[ $WAS_RUNNING_FALLBACK == yes ]]; then
        "$INSTALL_DIR/ops/run-without-systemd.sh"
    else
        say "systemd is not running here, so the daemon was not started. Start it with:"
        echo "    $INSTALL_DIR/ops/run-without-systemd.sh              # background, log in /var/log/pinsdaemon.log"
        echo "    $INSTALL_DIR/ops/run-without-systemd.sh --foreground"
        echo "  which prepares /run/pinsdaemon/credentials/api-token (a copy of the token"
        echo "  owned by $SERVICE_USER, as LoadCredential= would) and runs:"
        echo "    $("$INSTALL_DIR/ops/run-without-systemd.sh" --print)"
    fi
}

print_summary() {
    cat <<EOF
install: done.
  URL:    ${URLS%%;*}
  token:  sudo cat $TOKEN_PATH
  try:    curl -s ${URLS%%;*}/healthz
          curl -s -X POST -H "Authorization: Bearer \$(sudo cat $TOKEN_PATH)" \\
               -H 'Content-Type: application/json' -d '{"dryRun":true}' ${URLS%%;*}/upgrade
EOF
}

main() {
    check_prerequisites
    check_root_only "$INSTALL_DIR"
    stage_build
    ensure_user
    install_script
    install_sudoers
    ensure_runs_dir
    ensure_token
    ensure_state_dir
    stop_daemon
    swap_in_build
    install_unit
    start_daemon
    print_summary
}

main
