#!/usr/bin/env bash
# benches/stomp-load/run.sh: one publisher, 100 subscribers on one topic over
# TCP on loopback, messages delivered per server CPU-second, for RabbitMQ
# (a node of our own, conformance/stomp/rabbitmq.sh) and, when the binary has
# `stomp broker`, `rtw stomp broker`; the same client (load.py) for both, in
# one run. Installs RabbitMQ through conformance/stomp/install.sh.
#
# usage: benches/stomp-load/run.sh [--subscribers N] [--messages N] [--size N]
#   RTW=path/to/rtw (default target/release/rtw; build it with
#   `cargo build --release -p rtw-cli`); LOAD_ONLY=rtw|rabbitmq for one;
#   RABBITMQ_EXTRA_ERL_ARGS="+sbwt none +sbwtdcpu none +sbwtdio none" to run
#   RabbitMQ without its schedulers' busy-waiting.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
conf="$root/conformance/stomp"
# shellcheck source=../../conformance/lib.sh
. "$root/conformance/lib.sh"
rtw="$(rtw_bin)"
only="${LOAD_ONLY:-}"
tmp="$(mktemp -d)"
rtw_pid=""
rabbit=0
cleanup() {
    if [ -n "$rtw_pid" ]; then
        kill "$rtw_pid" 2>/dev/null || true
        wait "$rtw_pid" 2>/dev/null || true
    fi
    [ "$rabbit" -eq 1 ] && "$conf/rabbitmq.sh" stop "$tmp/rabbit" >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "# $(date -u +%FT%TZ) $(nproc) cores; load.py $*"
results=()
if [ "$only" != rtw ]; then
    "$conf/install.sh" >/dev/null
    rabbit=1
    "$conf/rabbitmq.sh" start "$tmp/rabbit"
    # shellcheck disable=SC1091
    . "$tmp/rabbit/env"
    echo "# RabbitMQ $(dpkg-query -W -f='${Version}' rabbitmq-server), node $NODE, STOMP 127.0.0.1:$STOMP_PORT${RABBITMQ_EXTRA_ERL_ARGS:+, erl $RABBITMQ_EXTRA_ERL_ARGS}"
    line="$(timeout -k 5 300 python3 "$here/load.py" --url "tcp://127.0.0.1:$STOMP_PORT" \
        --pid "$RABBIT_PID" --name rabbitmq "$@")"
    echo "$line"
    results+=("$line")
    "$conf/rabbitmq.sh" stop "$tmp/rabbit"
    rabbit=0
fi
if [ "$only" != rabbitmq ]; then
    if [ -x "$rtw" ] && "$rtw" stomp broker --help >/dev/null 2>&1; then
        port="$(free_port)"
        "$rtw" stomp broker --tcp "127.0.0.1:$port" </dev/null >"$tmp/rtw.out" 2>"$tmp/rtw.err" &
        rtw_pid=$!
        for _ in $(seq 100); do
            grep -q "listening on" "$tmp/rtw.out" 2>/dev/null && break
            sleep 0.1
        done
        echo "# rtw $("$rtw" --version 2>/dev/null || true), stomp broker 127.0.0.1:$port"
        line="$(timeout -k 5 300 python3 "$here/load.py" --url "tcp://127.0.0.1:$port" \
            --pid "$rtw_pid" --name rtw "$@")"
        echo "$line"
        results+=("$line")
    else
        echo "# $rtw has no \`stomp broker\`: rtw row left out"
    fi
fi
if [ "${#results[@]}" -eq 2 ]; then
    python3 - "${results[@]}" <<'PY'
import sys
rows = [dict(kv.split("=", 1) for kv in line.split()) for line in sys.argv[1:]]
by = {r["name"]: float(r["per_cpu_s"]) for r in rows}
print(f"# rtw / rabbitmq, delivered per server CPU-second: {by['rtw'] / by['rabbitmq']:.2f}x")
PY
fi
