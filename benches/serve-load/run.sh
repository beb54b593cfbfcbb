#!/usr/bin/env bash
# benches/serve-load/run.sh: `rtw serve` under load (issue 19, "Load
# held"). SSE and WebSocket subscribers of one topic, messages POSTed at a
# fixed rate; every subscriber must receive every message, in order, once.
# Prints a table: per node and transport, deliveries, losses, latency
# p50/p99/max and memory per subscriber; per node, CPU per delivery and
# memory per connection; RabbitMQ's CPU in the two-node mode; the client's.
# (benches/src/bin/serve_load/main.rs says how each is measured.)
#
# usage: benches/serve-load/run.sh [--nodes 1|2] [serve_load options]
#   --nodes 1 (default): one `rtw serve` with the in-process hub.
#   --nodes 2: a private RabbitMQ (conformance/stomp/rabbitmq.sh) and two
#     `rtw serve --hub stomp://127.0.0.1:PORT` nodes; the publisher POSTs to
#     node A, the subscribers are split evenly over A and B.
#   serve_load options: --sse N --ws N (defaults 10000 and 10000, the
#     issue's load), --rate N (100), --seconds N (60) or --messages N,
#     --drain SECS (60), --publishers N (16: the most POSTs in flight, each
#     on its own connection), --workers N, --sources N.
# RTW=path/to/rtw and SERVE_LOAD=path/to/serve_load pick the binaries
# (default target/release/*, built first unless SERVE_LOAD_NO_BUILD=1).
# Loopback only. Bounded: every process it starts runs under `timeout`,
# the client has a deadline per phase, and everything is killed on exit.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# shellcheck source=../../conformance/lib.sh
. "$root/conformance/lib.sh"

nodes=1
sse=10000
ws=10000
rate=100
seconds=60
messages=""
drain=60
publishers=16
pass=()
while [ $# -gt 0 ]; do
    case "$1" in
    --nodes) nodes="$2"; shift 2 ;;
    --sse) sse="$2"; shift 2 ;;
    --ws) ws="$2"; shift 2 ;;
    --rate) rate="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --messages) messages="$2"; shift 2 ;;
    --drain) drain="$2"; shift 2 ;;
    --publishers) publishers="$2"; shift 2 ;;
    --workers | --sources) pass+=("$1" "$2"); shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown option $1 (--help)" >&2; exit 2 ;;
    esac
done
case "$nodes" in 1 | 2) ;; *) echo "run.sh: --nodes 1 or 2" >&2; exit 2 ;; esac
[ -n "$messages" ] || messages=$((rate * seconds))

target="${CARGO_TARGET_DIR:-$root/target}"
rtw="${RTW:-$target/release/rtw}"
load="${SERVE_LOAD:-$target/release/serve_load}"
if [ "${SERVE_LOAD_NO_BUILD:-0}" != 1 ]; then
    (cd "$root" && cargo build --release -q -p rtw-cli -p rtw-benches --bin rtw --bin serve_load)
fi

# Descriptors: every server holds its subscribers, the workers the other
# ends. Raise the hard limit if this shell may (CAP_SYS_RESOURCE), then
# the soft one to it. rtw serve lowers --max-connections to the limit less
# 128 (rtw_tokio::listener: DESCRIPTOR_RESERVE and max_rejecting): say so
# and stop if a node would have to refuse some of the load.
[ "$(ulimit -Hn)" = unlimited ] || [ "$(ulimit -Hn)" -ge 65536 ] || ulimit -Hn 65536 2>/dev/null || true
hard="$(ulimit -Hn)"
ulimit -n "$hard"
per_node=$(((sse + ws + nodes - 1) / nodes + publishers))
room=$((hard - 128))
echo "# descriptors: hard limit $hard (ulimit -Hn), so at most $room connections per rtw serve; $per_node needed on node A (subscribers + the publisher's $publishers connections at most)"
if [ "$per_node" -gt "$room" ]; then
    echo "run.sh: a node needs $per_node connections but rtw serve can hold $room under the hard descriptor" \
        "limit $hard, which this shell cannot raise (no CAP_SYS_RESOURCE): raise it for the container" \
        "(e.g. --ulimit nofile=65536) or run fewer subscribers (--sse $((room * nodes - publishers - ws)) --ws $ws)" >&2
    exit 1
fi
read -r port_low port_high </proc/sys/net/ipv4/ip_local_port_range
echo "# ephemeral ports $port_low-$port_high ($((port_high - port_low + 1)) per source address); serve_load binds to several 127.0.0.x"

tmp="$(mktemp -d)"
servers=()
rabbit=""
cleanup() {
    for s in "${servers[@]}"; do
        kill "$s" 2>/dev/null || true
        wait "$s" 2>/dev/null || true
    done
    if [ -n "$rabbit" ]; then
        "$root/conformance/stomp/rabbitmq.sh" stop "$rabbit" || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Each process runs at most this long: connecting (50 a second at worst),
# publishing at a quarter of the asked rate, the drain, and a margin.
bound=$(((sse + ws) / 50 + 4 * messages / rate + drain + 180))
hub=()
if [ "$nodes" = 2 ]; then
    rabbit="$tmp/rabbitmq"
    "$root/conformance/stomp/rabbitmq.sh" start "$rabbit"
    # shellcheck disable=SC1091
    . "$rabbit/env"
    "$rtw" serve --help | grep -q -- '--hub' ||
        { echo "run.sh: this rtw serve has no --hub (the two-node mode needs it)" >&2; exit 1; }
    hub=(--hub "stomp://127.0.0.1:$STOMP_PORT")
fi

addrs=()
pids=()
for n in $(seq "$nodes"); do
    out="$tmp/serve$n.out"
    timeout -k 5 "$bound" "$rtw" serve --listen 127.0.0.1:0 "${hub[@]}" \
        --max-connections 65536 --max-connections-per-ip 65536 --max-streams 65536 \
        </dev/null >"$out" 2>"$tmp/serve$n.err" &
    servers+=($!)
    for _ in $(seq 600); do
        grep -q "listening on" "$out" 2>/dev/null && break
        kill -0 "${servers[-1]}" 2>/dev/null || break
        sleep 0.1
    done
    addr="$(sed -n 's|^listening on http://||p' "$out" | head -n 1)"
    if [ -z "$addr" ]; then
        echo "rtw serve (node $n) did not start:" >&2
        cat "$out" "$tmp/serve$n.err" >&2
        exit 1
    fi
    # `timeout` runs rtw as its child: the child is the server.
    addrs+=("$addr")
    pids+=("$(pgrep -P "${servers[-1]}" | head -n 1)")
done
watch=()
if [ -n "$rabbit" ]; then
    beam="$(pgrep -g "$RABBIT_PID" beam.smp | head -n 1)"
    [ -n "$beam" ] || { echo "run.sh: RabbitMQ's beam.smp not found" >&2; exit 1; }
    watch=(--watch "rabbitmq=$beam")
fi
# Which source the binary is: this tree's commit when it is the tree's own
# build, else its path (RTW=).
if [ -z "${RTW:-}" ]; then
    built="tree $(git -C "$root" describe --always --dirty 2>/dev/null || echo '?')"
else
    built="$rtw"
fi
echo "# $(date -u +%FT%TZ) $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); $("$rtw" --version | head -n 1) ($built); nodes ${addrs[*]} (pids ${pids[*]})"
[ -z "$rabbit" ] || echo "# RabbitMQ $(dpkg-query -W -f '${Version}' rabbitmq-server 2>/dev/null || echo '?'), STOMP on 127.0.0.1:$STOMP_PORT, beam.smp pid $beam"
nodes_arg="$(IFS=,; echo "${addrs[*]}")"
pids_arg="$(IFS=,; echo "${pids[*]}")"
timeout -k 5 "$bound" "$load" --addr "${addrs[0]}" --nodes "$nodes_arg" --server-pids "$pids_arg" \
    "${watch[@]}" --sse "$sse" --ws "$ws" --rate "$rate" --messages "$messages" --drain "$drain" \
    --publishers "$publishers" "${pass[@]}"
