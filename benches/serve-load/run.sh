#!/usr/bin/env bash
# benches/serve-load/run.sh: one `rtw serve`, SSE and WebSocket subscribers
# on one topic, messages published at a fixed rate by POST: every
# subscriber must receive every message; printed per transport: delivery
# latency p50/p99/max and the server's memory per subscriber
# (src/bin/serve_load.rs says how each is measured).
#
# usage: benches/serve-load/run.sh [--sse N] [--ws N] [--messages N] [--rate N]
#   (defaults 5000, 5000, 1000, 100); RTW=path/to/rtw (default
#   target/release/rtw). Builds the release binaries first unless
#   SERVE_LOAD_NO_BUILD=1. Loopback only; bounded (timeouts everywhere).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# shellcheck source=../../conformance/lib.sh
. "$root/conformance/lib.sh"
rtw="$(rtw_bin)"
load="${CARGO_TARGET_DIR:-$root/target}/release/serve_load"
if [ "${SERVE_LOAD_NO_BUILD:-0}" != 1 ]; then
    (cd "$root" && cargo build --release -q -p rtw-cli -p rtw-benches --bin rtw --bin serve_load)
fi
tmp="$(mktemp -d)"
server=""
cleanup() {
    if [ -n "$server" ]; then
        kill "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
# The server holds every subscriber and the client's end of each: raise
# the descriptor limit for both (the client raises its own too).
ulimit -n "$(ulimit -Hn)"
port="$(free_port)"
timeout -k 5 900 "$rtw" serve --listen "127.0.0.1:$port" \
    --max-connections 30000 --max-connections-per-ip 30000 \
    </dev/null >"$tmp/serve.out" 2>"$tmp/serve.err" &
server=$!
for _ in $(seq 100); do
    grep -q "listening on" "$tmp/serve.out" 2>/dev/null && break
    kill -0 "$server" 2>/dev/null || break
    sleep 0.1
done
if ! grep -q "listening on http://127.0.0.1:$port" "$tmp/serve.out"; then
    echo "rtw serve did not start:" >&2
    cat "$tmp/serve.out" "$tmp/serve.err" >&2
    exit 1
fi
# `timeout` runs rtw as its child: the child's memory is the server's.
pid="$(pgrep -P "$server" | head -n 1)"
echo "# $(date -u +%FT%TZ) $(nproc) cores; rtw $("$rtw" --version 2>/dev/null | head -n 1); rtw serve pid $pid on 127.0.0.1:$port"
timeout -k 5 600 "$load" --addr "127.0.0.1:$port" --server-pid "$pid" "$@"
