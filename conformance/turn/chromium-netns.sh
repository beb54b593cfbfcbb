#!/usr/bin/env bash
# Suite `turn`, Chromium row, the part that runs INSIDE a new network
# namespace (conformance/turn/run starts it with `unshare --net`, or
# `unshare -rn` when not root): only a loopback interface, brought up here,
# so nothing Chromium or the TURN server sends can leave the machine.
#
# Usage: chromium-netns.sh DIR PORT USER PASS -- SERVER_COMMAND...
#   DIR      where logs and the report go (report.json)
#   PORT     the TURN server's port on 127.0.0.1 (SERVER_COMMAND binds it)
#   USER, PASS  its credentials
# Environment: PY (python with the suite's helpers), HERE (this directory),
#   CHROMIUM_TIMEOUT (seconds for the whole page, default 40), TURN_TRANSPORT
#   (udp or tcp: the page's turn: URL's transport, default udp).
# Starts SERVER_COMMAND, waits until it prints `listening on` or answers a Binding request, serves
# chromium_page.html with report_server.py, runs headless Chromium with
# --allow-loopback-in-peer-connection on it, and waits for the page's
# report. Exit 0 when a report came (the caller judges it), 1 otherwise.
set -euo pipefail

dir="$1" port="$2" user="$3" pass="$4"
shift 4
[ "$1" = "--" ] && shift
limit="${CHROMIUM_TIMEOUT:-40}"

pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

ip link set lo up
ip -o link show | awk -F': ' '{print $2}' >"$dir/links.txt"
ip -o addr show | awk '{print $2, $4}' >"$dir/addrs.txt"
echo "namespace links: $(tr '\n' ' ' <"$dir/links.txt")"
if [ "$(cat "$dir/links.txt")" != "lo" ]; then
    echo "the namespace has interfaces other than lo" >&2
    exit 1
fi

timeout -k 5 $((limit + 20)) "$@" </dev/null >"$dir/server.out" 2>"$dir/server.err" &
pids+=($!)
ready=0
for _ in $(seq 100); do
    # Ready: `listening on` first (rtw), or an answered Binding request.
    if [[ "$(head -n 1 "$dir/server.out" 2>/dev/null)" == "listening on "* ]] ||
        "$PY" "$HERE/turntool.py" binding 127.0.0.1 "$port"; then
        ready=1
        break
    fi
    sleep 0.1
done
if [ "$ready" -ne 1 ]; then
    echo "the TURN server did not answer a Binding request on 127.0.0.1:$port" >&2
    tail -n 20 "$dir/server.err" >&2 || true
    exit 1
fi
echo "TURN server answering on 127.0.0.1:$port"

rm -f "$dir/report.json"
timeout -k 5 $((limit + 10)) "$PY" "$HERE/report_server.py" "$HERE/chromium_page.html" \
    "$dir/report.json" </dev/null >"$dir/http.out" 2>"$dir/http.err" &
pids+=($!)
http=""
for _ in $(seq 100); do
    line="$(head -n 1 "$dir/http.out" 2>/dev/null || true)"
    if [[ "$line" =~ ^listening\ on\ (127\.0\.0\.1:[0-9]+)$ ]]; then
        http="${BASH_REMATCH[1]}"
        break
    fi
    sleep 0.1
done
[ -n "$http" ] || { echo "report_server.py did not start" >&2; exit 1; }

# The page's query: the TURN URL (percent-encoded), the credentials.
enc() { "$PY" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
url="http://$http/?turn=$(enc "turn:127.0.0.1:$port?transport=${TURN_TRANSPORT:-udp}")&user=$(enc "$user")&pass=$(enc "$pass")&n=20"
echo "page $url"

profile="$dir/profile"
rm -rf "$profile"
mkdir -p "$profile"
timeout -k 5 "$limit" chromium --headless --no-sandbox --disable-gpu --disable-quic \
    --no-first-run --disable-background-networking --disable-component-update \
    --disable-sync --allow-loopback-in-peer-connection \
    --user-data-dir="$profile" --enable-logging=stderr --v=0 \
    "$url" </dev/null >"$dir/chromium.out" 2>"$dir/chromium.err" &
chromium_pid=$!
pids+=("$chromium_pid")

for _ in $(seq $((limit * 10))); do
    [ -s "$dir/report.json" ] && break
    kill -0 "$chromium_pid" 2>/dev/null || break
    sleep 0.1
done
if [ -s "$dir/report.json" ]; then
    echo "report received"
    exit 0
fi
echo "no report from the page within ${limit}s" >&2
tail -n 20 "$dir/chromium.err" >&2 || true
exit 1
