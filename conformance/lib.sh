# Helpers for conformance suites; source it from a suite's `run`.
#
# A suite counts its checks with `pass NAME` and `fail NAME REASON` and ends
# with `summary`, which prints the line the top-level runner reads,
# `N passed, N failed`, and returns non-zero if anything failed.

passed=0
failed=0

# pass NAME: one check succeeded.
pass() {
    passed=$((passed + 1))
    printf 'ok    %s\n' "$1"
}

# fail NAME REASON: one check failed.
fail() {
    failed=$((failed + 1))
    printf 'FAIL  %s: %s\n' "$1" "$2"
}

# summary: the last line of every suite's output.
summary() {
    printf '%d passed, %d failed\n' "$passed" "$failed"
    [ "$failed" -eq 0 ]
}

# rtw_bin: the rtw binary under test: $RTW (set by conformance/run), else the
# release build in the workspace's target directory.
rtw_bin() {
    if [ -n "${RTW:-}" ]; then
        printf '%s\n' "$RTW"
        return
    fi
    local root
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    printf '%s\n' "${CARGO_TARGET_DIR:-$root/target}/release/rtw"
}

# require TOOL...: fail (not skip) the suite's prerequisites when missing.
# Returns non-zero if any tool is missing.
require() {
    local tool missing=0
    for tool in "$@"; do
        if command -v "$tool" >/dev/null 2>&1; then
            pass "tool $tool is installed"
        else
            fail "tool $tool is installed" "not found on PATH"
            missing=1
        fi
    done
    return "$missing"
}
