#!/usr/bin/env bash
# benches/socketio-load/run.sh: the same node script (load.cjs: many
# socket.io-client connections, an echo phase and a room fan-out phase)
# against `rtw serve` and then against the `socket.io` npm server
# (conformance/socketio/server.cjs, the same application) on this machine,
# one after the other; per server: events delivered per server CPU-second
# and the server's RSS growth per connection; then the ratios rtw/npm.
#
# usage: benches/socketio-load/run.sh [load.cjs options: --clients N
#            --seconds S --rate R --transport websocket|polling --senders K
#            --fanout-rate F --fanout-seconds S2]
#   defaults: --clients 1000 --seconds 20 (and load.cjs's --rate 5
#   --senders 4 --fanout-rate 2). RTW=path/to/rtw skips the build (default:
#   `cargo build --release -p rtw-cli`, target/release/rtw);
#   LOAD_ONLY=rtw|npm for one server.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
only="${LOAD_ONLY:-}"
tmp="$(mktemp -d)"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

args=("$@")
case " ${args[*]} " in *" --clients "*) ;; *) args+=(--clients 1000) ;; esac
case " ${args[*]} " in *" --seconds "*) ;; *) args+=(--seconds 20) ;; esac

# Every connection is a descriptor in the server and one in the client.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || ulimit -n 20000 2>/dev/null || true

if [ -z "${RTW:-}" ]; then
    (cd "$root" && cargo build --release -q -p rtw-cli)
    rtw="$root/target/release/rtw"
else
    rtw="$RTW"
fi
npmdir="$(bash "$root/conformance/socketio/install.sh" 2>/dev/null | tail -n 1)"
[ -d "$npmdir/node_modules/socket.io-client" ] || { echo "socket.io-client not installed in '$npmdir'" >&2; exit 1; }

# start NAME CMD...: starts a server printing `listening on http://..` first
# line, sets server_pid and url (bounded: 10 s).
start() {
    local name="$1"
    shift
    "$@" </dev/null >"$tmp/$name.out" 2>"$tmp/$name.err" &
    server_pid=$!
    url=""
    for _ in $(seq 100); do
        url="$(sed -n 's/^listening on \(http:[^ ]*\).*/\1/p' "$tmp/$name.out" 2>/dev/null | head -n 1)"
        [ -n "$url" ] && break
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    [ -n "$url" ] || { echo "$name did not start:" >&2; cat "$tmp/$name.err" >&2; exit 1; }
}
stop() {
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
}
# measure NAME: load.cjs against $url and $server_pid, its JSON in $tmp/NAME.json.
measure() {
    local name="$1"
    # The overall bound: connect (60 s) + both phases + their drains, with slack.
    timeout -k 5 600 node "$here/load.cjs" "$npmdir" "$url" --pid "$server_pid" "${args[@]}" \
        >"$tmp/$name.json" 2>"$tmp/$name.log" || {
        echo "load.cjs against $name failed:" >&2
        tail -n 5 "$tmp/$name.log" >&2
        cat "$tmp/$name.json" >&2
        exit 1
    }
}

echo "# $(date -u +%FT%TZ) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); node $(node --version); load.cjs ${args[*]}"
if [ "$only" != npm ]; then
    start rtw "$rtw" serve --listen 127.0.0.1:0 --max-connections 19000 --max-connections-per-ip 19000 \
        --max-streams 19000
    echo "# rtw: $("$rtw" --version 2>/dev/null || echo "$rtw") serve at $url (pid $server_pid), git $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')"
    measure rtw
    stop
fi
if [ "$only" != rtw ]; then
    start npm node "$root/conformance/socketio/server.cjs" "$npmdir"
    echo "# npm: socket.io $(node -p "require('$npmdir/node_modules/socket.io/package.json').version") server.cjs at $url (pid $server_pid)"
    measure npm
    stop
fi

node - "$tmp" "$only" <<'JS'
const fs = require("fs");
const [dir, only] = process.argv.slice(2);
const names = only === "rtw" ? ["rtw"] : only === "npm" ? ["npm"] : ["rtw", "npm"];
const r = {};
for (const n of names) r[n] = JSON.parse(fs.readFileSync(`${dir}/${n}.json`, "utf8"));
const fmt = (x, d = 0) => x.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d });
const perCpu = (x) => x.delivered / x.server_cpu_s;
const rows = [["server", "connections", "events delivered", "server CPU s", "events / server CPU s", "RSS delta / connection (KiB)"]];
for (const n of names) {
    const x = r[n];
    rows.push([n, fmt(x.connected), fmt(x.delivered), fmt(x.server_cpu_s, 2), fmt(perCpu(x)), fmt(x.rss_per_connection_kib, 1)]);
}
const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
for (const row of rows) console.log(row.map((c, i) => c.padStart(widths[i])).join("  "));
console.log("# per phase: delivered / server CPU s / wall s / client CPU s; sent and lost");
for (const n of names) {
    const x = r[n];
    for (const [phase, p] of [["echo", x.echo], ["fan-out", x.fanout]]) {
        const lost = phase === "echo" ? p.sent - p.received : p.expected - p.received;
        console.log(`#   ${n} ${phase}: ${fmt(p.received)} / ${fmt(p.server_cpu_s, 2)} s = ${fmt(p.received / p.server_cpu_s)} per CPU s; wall ${fmt(p.wall_s, 1)} s (drain ${fmt(p.drain_s, 2)} s), client CPU ${fmt(p.client_cpu_s, 2)} s; sent ${fmt(p.sent)}, lost ${fmt(lost)}`);
    }
    console.log(`#   ${n} server CPU: user ${fmt(x.server_user_s, 2)} s, system (kernel: syscalls, and on loopback the peer's TCP receive too) ${fmt(x.server_sys_s, 2)} s`);
    console.log(`#   ${n} RSS KiB: before ${fmt(x.rss_before_kib)}, ${fmt(x.connected)} connected ${fmt(x.rss_connected_kib)}, end ${fmt(x.rss_end_kib)}; connect ${fmt(x.connect_s, 1)} s; errors ${x.errors}, disconnects ${x.disconnects}`);
}
if (r.rtw && r.npm) {
    const cpu = perCpu(r.rtw) / perCpu(r.npm);
    const mem = r.npm.rss_per_connection_kib / r.rtw.rss_per_connection_kib;
    console.log(`rtw/npm: events per server CPU-second ${fmt(cpu, 2)}x; memory per connection ${fmt(mem, 2)}x smaller (goal >= 3x on both: ${cpu >= 3 && mem >= 3 ? "met" : "not met"})`);
}
JS
