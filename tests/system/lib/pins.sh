# shellcheck shell=bash
# tests/system/lib/pins.sh: PinsDaemon in a lab container, on top of lab.sh and repo.sh.
#
# Needs PINS_DEB (the amd64 package, pinsdaemon_<version>_amd64.deb) and PINS_PACKAGES (a
# directory made by repo_build).
#
#   pins_attach_host PORT TOKEN_FILE  the daemon installed on this host, as NAME "host"
#   pins_client NAME CMD..., pins_root NAME CMD...  run CMD where a client reaches NAME's
#                        daemon, or as root on NAME
#   pins_up NAME [NSPAWN ARGS...]   pins_boot, then pins_install of the amd64 package: its
#                        real units, running and healthy
#   pins_boot NAME [NSPAWN ARGS...]  a fresh container whose only apt source is the local
#                        repository, with version 1 of the test packages installed
#   pins_install NAME DEB [OPTIONS...]  apt-get install DEB in NAME (output in $(lab_dir NAME)/install.log)
#   pins_api NAME METHOD PATH [JSON]  one request with the token; prints the HTTP status, the
#                        body lands in $(pins_body NAME)
#   pins_start NAME dry-run|apply     POST /upgrade; prints the job id
#   pins_job NAME ID FILE            GET /jobs/ID into FILE
#   pins_wait_finished NAME ID [SECONDS]  until the job has a final status
#   pins_follow NAME ID DIR [SECONDS]  starts a WebSocket client following the job across
#                        daemon restarts (tests/e2e/ws-client.mjs --follow) in the background;
#                        sets FOLLOW_PID (the client's pid: wait for it, or kill it); DIR gets
#                        stdout and stderr (each line as it arrives) and, when it ends,
#                        summary.json
#   pins_control NAME PACKAGE KEY=VALUE...  what PACKAGE's postinst will do (lib/postinst.sh)
#   pins_wait_holding NAME PACKAGE [SECONDS], pins_release NAME PACKAGE
#   pins_dpkg_clean NAME             "dpkg --audit" says nothing and exits 0
#   pins_versions_are NAME VERSION   every test package is installed ("ii") at VERSION
#   pins_same_output NAME MODE ID DIR  DIR/stdout and DIR/stderr (lines a client got) equal
#                        the run's own output files, byte for byte
#
# NAME is a lab machine, or "host" for a daemon installed on this host (pins_attach_host).
# The client side (curl, node) runs on the host inside the container's network namespace
# (lab_net): the daemon listens on the container's own loopback, as installed, so no port is
# forwarded, no host port is taken, and the container needs no Node.js of its own.

PINS_PORT=5180
# Where the root script leaves a run's output (issue 10, DECISIONS.md).
PINS_RUNS_DIR=/var/lib/pinsdaemon-upgrade
PINS_FINAL_STATUSES=" succeeded failed cancelled timedOut interrupted "
PINS_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
PINS_REPO_ROOT=$(cd "$PINS_LIB/../../.." && pwd -P)
PINS_NODE=(node)
if [[ $(node -p 'typeof WebSocket' 2>/dev/null) != function ]]; then
    PINS_NODE=(node --experimental-websocket)
fi

# pins_attach_host PORT TOKEN_FILE: the functions below then reach, as NAME "host", the daemon
# this host runs on 127.0.0.1:PORT.
pins_attach_host() {
    local dir
    dir=$(lab_dir host)
    mkdir -p "$dir"
    echo "$1" >"$dir/port"
    pins_save_token host "$(cat "$2")"
}

pins_save_token() {
    local dir
    dir=$(lab_dir "$1")
    (
        umask 077
        printf '%s\n' "$2" >"$dir/token"
        printf 'Authorization: Bearer %s\n' "$2" >"$dir/auth-header"
    )
}

# Where a client reaches NAME's daemon, and where root runs a command on NAME.
pins_client() {
    local name=$1
    shift
    if [[ $name == host ]]; then "$@"; else lab_net "$name" "$@"; fi
}
pins_root() {
    local name=$1
    shift
    if [[ $name == host ]]; then "$@"; else lab_exec "$name" "$@"; fi
}
pins_port() { cat "$(lab_dir "$1")/port" 2>/dev/null || echo "$PINS_PORT"; }

pins_up() {
    pins_boot "$@" || return 1
    pins_install "$1" "/srv/pinslab/deb/$(basename "$PINS_DEB")" || return 1
    pins_save_token "$1" "$(lab_exec "$1" cat /etc/pinsdaemon/api-token)" || return 1
    pins_wait_healthy "$1"
}

# pins_boot NAME [NSPAWN ARGS...]: the container with the local repository as its only apt
# source and version 1 of the test packages, without PinsDaemon. The amd64 package is in
# /srv/pinslab/deb/, the self-upgrade repository (pinsdaemon version 2) in
# /srv/pinslab/packages/self/.
pins_boot() {
    local name=$1
    shift
    lab_up "$name" --bind-ro="$(dirname "$PINS_DEB"):/srv/pinslab/deb" \
        --bind-ro="$PINS_PACKAGES:/srv/pinslab/packages" "$@" || return 1
    lab_exec "$name" bash -s >"$(lab_dir "$name")/boot.log" 2>&1 <<'EOF' || { tail -n 12 "$(lab_dir "$name")/boot.log" >&2; return 1; }
set -eu
cat >/etc/apt/sources.list.d/pinslab.sources <<SOURCES
Types: deb
URIs: file:/srv/pinslab/packages/repo
Suites: ./
Trusted: yes
SOURCES
dpkg -i /srv/pinslab/packages/v1/*.deb
EOF
}

# pins_install NAME DEB [APT-GET OPTIONS...]: apt-get install DEB (a path inside the container)
# in NAME; its output is appended to $(lab_dir NAME)/install.log.
pins_install() {
    local name=$1 deb=$2 log
    shift 2
    log=$(lab_dir "$name")/install.log
    # apt reads a local package as user _apt: from a copy it can read.
    if ! lab_exec "$name" bash -c 'deb=$1; shift; cp -- "$deb" /var/cache/apt/archives/ &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" "/var/cache/apt/archives/${deb##*/}"' \
        sh "$deb" "$@" >>"$log" 2>&1; then
        tail -n 12 "$log" >&2
        lab_say "apt-get install $deb in $name failed (log: $log); its journal:"
        lab_exec "$name" journalctl -u pinsdaemon -n 20 --no-pager -o cat >&2
        return 1
    fi
}

pins_healthy() {
    pins_client "$1" curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$(pins_port "$1")/healthz" 2>/dev/null
}

pins_wait_healthy() {
    wait_for "${2:-120}" "PinsDaemon in $1 to answer /healthz" pins_healthy "$1"
}

pins_body() { echo "$(lab_dir "$1")/response.json"; }

pins_api() {
    local name=$1 method=$2 path=$3 body=${4-} dir args
    dir=$(lab_dir "$name")
    args=(-s -o "$dir/response.json" -w '%{http_code}' --max-time 30 -X "$method" -H "@$dir/auth-header")
    if [[ -n $body ]]; then
        args+=(-H 'Content-Type: application/json' --data "$body")
    fi
    pins_client "$name" curl "${args[@]}" "http://127.0.0.1:$(pins_port "$name")$path"
}

pins_start() {
    local name=$1 mode=$2 dry code
    case $mode in dry-run) dry=true ;; apply) dry=false ;; *) return 2 ;; esac
    code=$(pins_api "$name" POST /upgrade "{\"dryRun\":$dry}")
    if [[ $code != 202 ]]; then
        lab_say "POST /upgrade ($mode) answered $code: $(head -c 400 "$(pins_body "$name")")"
        return 1
    fi
    json "$(pins_body "$name")" j.jobId
}

pins_job() {
    local name=$1 id=$2 file=$3
    [[ $(pins_api "$name" GET "/jobs/$id") == 200 ]] && cp "$(pins_body "$name")" "$file"
}

# The job's status, or nothing if the daemon does not answer.
pins_status() {
    local file
    file=$(lab_dir "$1")/status.json
    pins_job "$1" "$2" "$file" 2>/dev/null && json "$file" j.status
}

pins_is_finished() {
    local status
    status=$(pins_status "$1" "$2") && [[ -n $status && $PINS_FINAL_STATUSES == *" $status "* ]]
}

pins_wait_finished() {
    wait_for "${3:-300}" "job $2 in $1 to finish" pins_is_finished "$1" "$2"
}

# shellcheck disable=SC2034  # FOLLOW_PID is read by the scenarios
pins_follow() {
    local name=$1 id=$2 out=$3 client
    mkdir -p "$out"
    client=("${PINS_NODE[@]}" "$PINS_REPO_ROOT/tests/e2e/ws-client.mjs" "ws://127.0.0.1:$(pins_port "$name")/logs/$id"
        --token-file "$(lab_dir "$name")/token" --follow --out "$out" --timeout "${4:-300}")
    if [[ $name == host ]]; then
        "${client[@]}" >"$out/summary.json" 2>"$out/client.err" &
        FOLLOW_PID=$!
    else
        lab_net_background "$name" "${client[@]}" >"$out/summary.json" 2>"$out/client.err"
        FOLLOW_PID=$LAB_BACKGROUND_PID
    fi
}

# A line the client has received: it is connected and streaming.
pins_client_has() {
    local out=$1 text=$2
    grep -qF -- "$text" "$out/stdout" 2>/dev/null
}

pins_control() {
    local name=$1 package=$2
    shift 2
    printf '%s\n' "$@" | lab_exec "$name" sh -c 'mkdir -p /etc/pinslab && cat >"/etc/pinslab/$1"' sh "$package"
}

# PACKAGE's postinst is alive and waiting for pins_release.
pins_holding() {
    lab_exec "$1" sh -c 'pid=$(cat "/run/pinslab/$1.holding" 2>/dev/null) && kill -0 "$pid" 2>/dev/null' sh "$2"
}

pins_wait_holding() {
    wait_for "${3:-300}" "$2's postinst in $1 to hold" pins_holding "$1" "$2"
}

pins_release() {
    lab_exec "$1" sh -c 'mkdir -p /run/pinslab && touch "/run/pinslab/$1.release"' sh "$2"
}

pins_dpkg_clean() {
    local out status
    out=$(lab_exec "$1" dpkg --audit 2>&1)
    status=$?
    if ((status != 0)) || [[ -n $out ]]; then
        echo "  dpkg --audit (exit $status):"
        sed 's/^/    /' <<<"$out"
        return 1
    fi
}

pins_versions_are() {
    local name=$1 version=$2 package state ok=0
    for package in "${REPO_PACKAGES[@]}"; do
        state=$(lab_exec "$name" dpkg-query -W -f='${db:Status-Abbrev}${Version}' "$package" 2>&1)
        if [[ $state != "ii $version" ]]; then
            echo "  $package: $state (expected: ii $version)"
            ok=1
        fi
    done
    return $ok
}

pins_unit_state() {
    lab_exec "$1" systemctl show -p ActiveState --value "$2" 2>/dev/null
}

# The run's output as root's script wrote it: MODE-ID.out (stdout) and .err (stderr).
pins_run_output() {
    local name=$1 mode=$2 id=$3 stream=$4 ext
    case $stream in stdout) ext=out ;; stderr) ext=err ;; *) return 2 ;; esac
    pins_root "$name" cat "$PINS_RUNS_DIR/$mode-$id.$ext"
}

# Line frames carry no "was there a newline at the end" bit: a run's last line without one
# arrives like any other, so the run's file gets the newline the client's copy has.
pins_same_output() {
    local name=$1 mode=$2 id=$3 out=$4 stream ok=0
    for stream in stdout stderr; do
        if ! pins_run_output "$name" "$mode" "$id" "$stream" >"$out/run.$stream"; then
            echo "  cannot read the run's $stream file in $PINS_RUNS_DIR"
            ok=1
            continue
        fi
        if [[ -s $out/run.$stream && $(tail -c 1 "$out/run.$stream" | od -An -c | tr -d ' ') != '\n' ]]; then
            echo >>"$out/run.$stream"
        fi
        touch "$out/$stream"
        if ! cmp -s "$out/run.$stream" "$out/$stream"; then
            echo "  $stream: the client's lines differ from the run's file ($(wc -c <"$out/$stream") vs $(wc -c <"$out/run.$stream") bytes):"
            diff "$out/run.$stream" "$out/$stream" | head -n 10 | cut -c1-200 | sed 's/^/    /'
            ok=1
        fi
    done
    echo "  stdout: $(wc -l <"$out/stdout") lines, stderr: $(wc -l <"$out/stderr") lines"
    return $ok
}
