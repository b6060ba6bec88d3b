# shellcheck shell=bash
# Sourced first by every scenario under tests/system/scenarios/: the libraries, PASS/FAIL
# bookkeeping (tests/e2e/checks.sh) and cleanup. run.sh runs each scenario as a process of its
# own, with LAB_RUN_DIR, PINS_PUBLISH and PINS_PACKAGES set.
#
#   up NAME [NSPAWN ARGS...]   pins_up, or FAIL and end the scenario; the machine is powered
#                              off and removed when the scenario ends
#   background PID             a process the scenario started: killed when it ends
#   abort WHAT                 FAIL: WHAT, and end the scenario now
#   skip WHY                   SKIP: WHY (run.sh counts it), and end the scenario
#   info TEXT                  a line of context under the current check
set -uo pipefail

SYSTEM_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
# shellcheck source=tests/system/lib/lab.sh
source "$SYSTEM_LIB/lab.sh"
# shellcheck source=tests/system/lib/repo.sh
source "$SYSTEM_LIB/repo.sh"
# shellcheck source=tests/e2e/checks.sh
source "$SYSTEM_LIB/../../e2e/checks.sh"
# shellcheck source=tests/system/lib/pins.sh
source "$SYSTEM_LIB/pins.sh"

: "${LAB_RUN_DIR:?run the scenarios through tests/system/run.sh}"
lab_id_of_run
PASSED=0
FAILED=0
SCENARIO_MACHINES=()
SCENARIO_PIDS=()
# Per-scenario scratch space (client output, copies of the run's files), kept with the run
# directory when run.sh --keep is used.
SCENARIO_WORK=$LAB_RUN_DIR/work/$(basename "$0" .sh)
mkdir -p "$SCENARIO_WORK"

info() { echo "  $*"; }

up() {
    SCENARIO_MACHINES+=("$1")
    pins_up "$@" || abort "container $1 boots and PinsDaemon is installed and healthy in it"
}

background() { SCENARIO_PIDS+=("$1"); }

abort() {
    fail "$1"
    exit 1
}

skip() {
    echo "SKIP: $1"
    exit 0
}

scenario_end() {
    local status=$? pid name
    for pid in "${SCENARIO_PIDS[@]}"; do
        kill "$pid" 2>/dev/null
    done
    for name in "${SCENARIO_MACHINES[@]}"; do
        lab_down "$name"
    done
    if ((PASSED + FAILED == 0)) && ((status != 0)); then
        echo "FAIL: $(basename "$0" .sh) stopped before any check ran (status $status)"
        exit 1
    fi
    ((FAILED == 0 && status == 0))
    exit $?
}
trap scenario_end EXIT
trap 'exit 130' INT TERM
