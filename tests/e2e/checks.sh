# shellcheck shell=bash
# Shared by the end-to-end scripts: PASS/FAIL bookkeeping and a JSON reader.
# The sourcing script sets PASSED=0 FAILED=0 first and prints the totals at the end.

pass() {
    PASSED=$((PASSED + 1))
    echo "PASS: $*"
}
fail() {
    FAILED=$((FAILED + 1))
    echo "FAIL: $*"
}
# check "description" command...: PASS if the command succeeds.
check() {
    local what=$1
    shift
    if "$@"; then pass "$what"; else fail "$what"; fi
}
# refuse "description" command...: PASS if the command fails.
refuse() {
    local what=$1
    shift
    if "$@"; then fail "$what"; else pass "$what"; fi
}
# quiet command...: run it with its output discarded (the PASS/FAIL line stays visible).
quiet() { "$@" >/dev/null 2>&1; }

# json FILE EXPR: evaluate a JavaScript expression over the parsed file as "j".
json() {
    node -e 'const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
             const v = eval(process.argv[2]); process.stdout.write(v === undefined || v === null ? "" : String(v));' "$1" "$2"
}
