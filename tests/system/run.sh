#!/bin/bash
# tests/system/run.sh: PinsDaemon under a real systemd. Boots Debian 12 (systemd 252 as PID 1)
# in systemd-nspawn containers, installs the amd64 package with apt-get (its real units), and
# runs the scenarios of issues 10, 11 and 15 against a local apt repository of test packages.
#
#   tests/system/run.sh [--keep] [SCENARIO...]
#
#   SCENARIO  a number (2) or a name (restart) of a file in tests/system/scenarios/;
#             all of them when none is given
#   --keep    leave the containers running and the run directory in place, to look around
#             (tests/system/lab shell MACHINE enters one; tests/system/lab down RUN_DIR ends it)
#
# Environment:
#   PINSDAEMON_DEB        the amd64 package to install (.ci/run builds it once for lintian,
#                         the e2e test and this lab); without it, this script builds one into
#                         its run directory with ops/deb/build.sh, from:
#   PINSDAEMON_PUBLISH    a self-contained linux-x64 publish of src/PinsDaemon.Host; without
#                         it, this script publishes into its run directory
#   PINSDAEMON_HOST_LOCK  a lock file to hold while a scenario installs onto this host
#                         (scenario 7), for machines where others install at the same time
#   LAB_CACHE             where root filesystems are cached (/var/cache/pinsdaemon-lab)
#
# Runs as root. Installs what it needs (systemd-container, mmdebstrap, apt-utils,
# libfile-fcntllock-perl). Prints
# PASS/FAIL per check, a summary with each scenario's time, and "system: N passed, M failed,
# K skipped"; exits 1 if a check failed. Where the lab cannot run (not root, no nspawn, no
# overlay file system) it says why and skips: it never reports a pass for what did not run.
set -uo pipefail

SYSTEM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(cd "$SYSTEM_DIR/../.." && pwd -P)
readonly SYSTEM_DIR REPO
# shellcheck source=tests/system/lib/lab.sh
source "$SYSTEM_DIR/lib/lab.sh"
# shellcheck source=tests/system/lib/repo.sh
source "$SYSTEM_DIR/lib/repo.sh"
# shellcheck source=tests/e2e/checks.sh
source "$REPO/tests/e2e/checks.sh"

PASSED=0
FAILED=0
SKIPPED=0
T0=$SECONDS

say() { echo "system: $*"; }
usage() { sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; }

KEEP=no
SELECTED=()
while (($# > 0)); do
    case $1 in
        --keep) KEEP=yes ;;
        -h | --help)
            usage
            exit 0
            ;;
        -*)
            usage >&2
            exit 64
            ;;
        *) SELECTED+=("$1") ;;
    esac
    shift
done

# The scenario files to run, in order.
SCENARIOS=()
for file in "$SYSTEM_DIR"/scenarios/[0-9][0-9]-*.sh; do
    base=$(basename "$file" .sh)
    number=$((10#${base%%-*}))
    if ((${#SELECTED[@]} == 0)); then
        SCENARIOS+=("$file")
        continue
    fi
    for want in "${SELECTED[@]}"; do
        if [[ $want == "$number" || $want == "${base%%-*}" || $want == "${base#*-}" || $want == "$base" ]]; then
            SCENARIOS+=("$file")
            break
        fi
    done
done
if ((${#SCENARIOS[@]} == 0)); then
    echo "system: no scenario matches: ${SELECTED[*]} (see $SYSTEM_DIR/scenarios/)" >&2
    exit 64
fi

summary() {
    echo "system: $PASSED passed, $FAILED failed, $SKIPPED skipped"
}

skip_all() {
    local file
    for file in "${SCENARIOS[@]}"; do
        echo "SKIP: $(basename "$file" .sh): $1"
        SKIPPED=$((SKIPPED + 1))
    done
    summary
    exit 0
}

# --- can the lab run here? ---------------------------------------------------------------
((EUID == 0)) || skip_all "not root (systemd-nspawn, mounts and cgroups need root)"
if ! lab_install_deps; then
    fail "installing the lab's host packages (systemd-container, mmdebstrap, apt-utils)"
    summary
    exit 1
fi
if why=$(lab_unavailable); then
    skip_all "$why"
fi
# Scenario 7 holds apt's lock the way apt takes it (an fcntl lock), from Perl.
if ! perl -MFile::FcntlLock -e 1 2>/dev/null &&
    ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends libfile-fcntllock-perl >&2; then
    fail "installing libfile-fcntllock-perl"
    summary
    exit 1
fi
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if ((node_major < 20)); then
    fail "Node.js 20.10 or later for the WebSocket client (found: $(node --version 2>/dev/null || echo none))"
    summary
    exit 1
fi

# --- this run's directory, the root filesystem, the daemon, the repository -----------------
lab_new_run || exit 1
export LAB_RUN_DIR LAB_CACHE
if [[ $KEEP == yes ]]; then
    export LAB_KEEP=1
fi

finish() {
    local status=$?
    if [[ $KEEP == yes ]]; then
        say "kept $LAB_RUN_DIR and its containers; end them with: $SYSTEM_DIR/lab down $LAB_RUN_DIR"
    else
        lab_down_all
        rm -rf -- "$LAB_RUN_DIR"
    fi
    if ((PASSED + FAILED + SKIPPED == 0)); then
        echo "FAIL: the system lab stopped before any check ran (status $status)"
        FAILED=1
    fi
    summary
    ((FAILED == 0))
    exit $?
}
trap finish EXIT
trap 'exit 130' INT TERM

started=$SECONDS
if lab_rootfs >/dev/null; then
    ROOTFS_TIME=$((SECONDS - started))
    pass "Debian 12 root filesystem ready (${ROOTFS_TIME} s)"
else
    fail "building the Debian 12 root filesystem with mmdebstrap"
    exit 1
fi

started=$SECONDS
if [[ -n ${PINSDAEMON_DEB-} ]]; then
    if [[ -f $PINSDAEMON_DEB && $(dpkg-deb -f "$PINSDAEMON_DEB" Package 2>/dev/null)_$(dpkg-deb -f "$PINSDAEMON_DEB" Architecture 2>/dev/null) == pinsdaemon_amd64 ]]; then
        PINS_DEB=$(cd "$(dirname "$PINSDAEMON_DEB")" && pwd -P)/$(basename "$PINSDAEMON_DEB")
        say "installing the package $PINS_DEB"
    else
        fail "PINSDAEMON_DEB=$PINSDAEMON_DEB is not the amd64 pinsdaemon package"
        exit 1
    fi
else
    build=("$REPO/ops/deb/build.sh" --arch amd64 --out "$LAB_RUN_DIR/deb")
    if [[ -n ${PINSDAEMON_PUBLISH-} ]]; then
        build+=(--publish-dir "$PINSDAEMON_PUBLISH")
        say "packaging the daemon published in $PINSDAEMON_PUBLISH"
    else
        say "publishing the daemon (linux-x64, self-contained) and packaging it; set PINSDAEMON_DEB or PINSDAEMON_PUBLISH to reuse one"
    fi
    if PINS_DEB=$("${build[@]}" 2>"$LAB_RUN_DIR/build.log" | tail -n 1) && [[ -f $PINS_DEB ]]; then
        pass "ops/deb/build.sh --arch amd64: $(basename "$PINS_DEB") ($((SECONDS - started)) s)"
    else
        tail -n 30 "$LAB_RUN_DIR/build.log"
        fail "ops/deb/build.sh --arch amd64"
        exit 1
    fi
fi
export PINS_DEB

export PINS_PACKAGES=$LAB_RUN_DIR/packages
if repo_build "$PINS_PACKAGES"; then
    pass "local apt repository: ${REPO_PACKAGES[*]}, version 1 to install, version 2 offered"
else
    fail "building the local apt repository (dpkg-deb, apt-ftparchive)"
    exit 1
fi
# Only the package scenarios (a name containing "package") upgrade pinsdaemon itself.
if [[ ${SCENARIOS[*]} == *package* ]]; then
    started=$SECONDS
    if repo_build_self "$PINS_PACKAGES" "$PINS_DEB"; then
        pass "self-upgrade repository: pinsdaemon $REPO_SELF_VERSION, pinslab-after 2 depending on it ($((SECONDS - started)) s)"
    else
        fail "building the self-upgrade repository (dpkg-deb -R, apt-ftparchive)"
        exit 1
    fi
    export PINS_SELF_VERSION=$REPO_SELF_VERSION
fi
say "run directory $LAB_RUN_DIR, machines named $LAB_ID-*"

# --- the scenarios ---------------------------------------------------------------------------
TIMINGS=()
for file in "${SCENARIOS[@]}"; do
    name=$(basename "$file" .sh)
    log=$LAB_RUN_DIR/$name.log
    echo "== scenario $name"
    started=$SECONDS
    # A process group of its own (setsid), which the scenario ends when it ends.
    setsid -w bash "$file" 2>&1 | tee "$log"
    status=${PIPESTATUS[0]}
    took=$((SECONDS - started))
    passed=$(grep -c '^PASS: ' "$log")
    failed=$(grep -c '^FAIL: ' "$log")
    skipped=$(grep -c '^SKIP: ' "$log")
    if ((status != 0 && failed == 0)); then
        echo "FAIL: $name exited with status $status without reporting a failed check"
        failed=1
    fi
    PASSED=$((PASSED + passed))
    FAILED=$((FAILED + failed))
    SKIPPED=$((SKIPPED + skipped))
    if ((failed > 0)); then
        result=FAIL
    elif ((skipped > 0 && passed == 0)); then
        result=SKIP
    else
        result=PASS
    fi
    TIMINGS+=("$(printf '  %-30s %-4s %3d passed %2d failed %4d s' "$name" "$result" "$passed" "$failed" "$took")")
done

echo "== system lab: $((SECONDS - T0)) s in all"
printf '%s\n' "${TIMINGS[@]}"
