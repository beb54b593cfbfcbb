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

# free_port: a port that nobody has bound now, for TCP and UDP on every
# address, for a peer that binds it itself (wstest, coturn). It is drawn below
# the kernel's ephemeral range (ip_local_port_range), so the many outgoing
# connections of the suites running beside it cannot take it in the moment
# between this check and the peer's bind: a port the kernel handed out to a
# connection makes the peer's listen fail with "Address already in use".
free_port() {
    python3 - <<'PY'
import random, socket
low = 32768
try:
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        low = int(f.read().split()[0])
except (OSError, ValueError, IndexError):
    pass
floor = 10000 if low > 11000 else 1024
for _ in range(200):
    port = random.randrange(floor, low)
    try:
        for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
            with socket.socket(socket.AF_INET, kind) as s:
                s.bind(("0.0.0.0", port))
    except OSError:
        continue
    print(port)
    break
else:
    raise SystemExit("free_port: no free port below the ephemeral range")
PY
}
