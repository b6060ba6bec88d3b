# shellcheck shell=bash
# Sourced first by every scenario under tests/system/scenarios/: the libraries, PASS/FAIL
# bookkeeping (tests/e2e/checks.sh) and cleanup. run.sh runs each scenario as a process of its
# own, with LAB_RUN_DIR, PINS_DEB and PINS_PACKAGES set.
#
#   up NAME [NSPAWN ARGS...]   pins_up, or FAIL and end the scenario; the machine is powered
#                              off and removed when the scenario ends
#   background PID             a process the scenario started: killed when it ends
#   at_end FUNCTION            run FUNCTION when the scenario ends, last registered first,
#                              before the processes are killed and the machines removed
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
SCENARIO_AT_END=()
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
at_end() { SCENARIO_AT_END+=("$1"); }

abort() {
    fail "$1"
    exit 1
}

skip() {
    echo "SKIP: $1"
    exit 0
}

scenario_end() {
    local status=$? pid name i
    for ((i = ${#SCENARIO_AT_END[@]} - 1; i >= 0; i--)); do
        "${SCENARIO_AT_END[i]}"
    done
    for pid in "${SCENARIO_PIDS[@]}"; do
        kill "$pid" 2>/dev/null
    done
    # run.sh starts each scenario as the leader of a process group of its own: whatever the
    # scenario started and forgot ends here, and cannot hold run.sh's output pipe open.
    if [[ $(ps -o pgid= -p $$ | tr -d ' ') == "$$" ]]; then
        trap '' TERM
        kill -TERM -- "-$$" 2>/dev/null
    fi
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

# --- an apply held in a postinst, for the scenarios that disturb the daemon mid-dpkg ----------

# The package whose postinst holds; scenario 14 holds pinslab-after instead.
HELD=pinslab-service

upgrade_unit() { echo "pinsdaemon-upgrade@$1-$2.service"; }

# held_apply_start NAME: starts an apply whose $HELD postinst holds (lib/postinst.sh),
# follows it with a WebSocket client, and returns once dpkg is inside that postinst and the
# client has received the line printed just before the hold. Sets JOB and CLIENT (the
# client's directory); FOLLOW_PID is the client.
held_apply_start() {
    local name=$1
    shift
    pins_control "$name" "$HELD" hold=yes lines=20 lines_after=20 "$@"
    JOB=$(pins_start "$name" apply) || abort "POST /upgrade {dryRun:false} starts a job"
    CLIENT=$SCENARIO_WORK/client
    pins_follow "$name" "$JOB" "$CLIENT"
    background "$FOLLOW_PID"
    pins_wait_holding "$name" "$HELD" || abort "dpkg reaches $HELD's postinst, which holds"
    wait_for 60 "the client to receive the line before the hold" \
        pins_client_has "$CLIENT" "$HELD 2: holding until" ||
        abort "the WebSocket client follows the job up to the postinst's hold"
    pass "apply $JOB is inside $HELD's postinst, and a WebSocket client follows it"
}

# check_run_outlived_daemon NAME: after something was done to the daemon, the run is still in
# its own unit and still inside the postinst.
check_run_outlived_daemon() {
    local name=$1 state
    state=$(pins_unit_state "$name" "$(upgrade_unit apply "$JOB")")
    info "$(upgrade_unit apply "$JOB"): ${state:-unknown}"
    check "the run goes on in its own unit, $(upgrade_unit apply "$JOB")" test "$state" == active
    check "dpkg is still inside $HELD's postinst" pins_holding "$name" "$HELD"
}

# check_job_running_again NAME: the (new) daemon re-attached to the run.
check_job_running_again() {
    local name=$1
    pins_wait_healthy "$name" || abort "the daemon answers again"
    pins_job "$name" "$JOB" "$SCENARIO_WORK/job-reattached.json" || abort "GET /jobs/{id} answers 200 after the daemon came back"
    info "job: $(head -c 300 "$SCENARIO_WORK/job-reattached.json")"
    check "GET /jobs/{id}: running again, supervisor systemd" \
        test "$(json "$SCENARIO_WORK/job-reattached.json" '`${j.status} ${j.supervisor}`')" == "running systemd"
}

# held_apply_finish NAME: lets the postinst go on, then checks what a user would: the client
# reconnected with ?after= and got every line exactly once, those lines equal the run's output
# byte for byte, the job succeeded and dpkg is clean.
held_apply_finish() {
    local name=$1
    pins_release "$name" "$HELD"
    wait "$FOLLOW_PID"
    info "ws-client: $(head -c 500 "$CLIENT/summary.json")"
    check "the client reconnected with ?after= (last seq it had) and went on" \
        test "$(json "$CLIENT/summary.json" 'j.reconnects.length > 0 && j.reconnects.every(r => r.after > 0)')" == true
    check "the client got every seq exactly once and in order, then the end frame (succeeded)" \
        test "$(json "$CLIENT/summary.json" 'j.error === null && j.seqContiguous && j.end !== null && j.end.status')" == succeeded
    check "the client's lines, put together, equal the run's stdout and stderr byte for byte" \
        pins_same_output "$name" apply "$JOB" "$CLIENT"
    pins_wait_finished "$name" "$JOB" 120
    pins_job "$name" "$JOB" "$SCENARIO_WORK/job.json"
    check "GET /jobs/{id}: succeeded, lineCount = the last seq the client got" \
        test "$(json "$SCENARIO_WORK/job.json" '`${j.status} ${j.lineCount}`')" == "succeeded $(json "$CLIENT/summary.json" j.lastSeq)"
    check "dpkg: every test package is installed at version 2" pins_versions_are "$name" 2
    check "dpkg --audit is clean" pins_dpkg_clean "$name"
}
