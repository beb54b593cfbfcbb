#!/usr/bin/env bash
# rabbitmq.sh start|consumers|stop DIR: a RabbitMQ node of our own (Debian's
# rabbitmq-server, installed by install.sh) with the STOMP and Web-STOMP
# plugins, on 127.0.0.1 only, every file under DIR:
#   - node name rtw-stomp-<pid>@localhost, HOME=DIR (its Erlang cookie);
#   - RABBITMQ_MNESIA_BASE=DIR/mnesia, RABBITMQ_LOG_BASE=DIR/log,
#     RABBITMQ_CONFIG_FILE=DIR/rabbitmq.conf, enabled plugins DIR/enabled_plugins;
#   - its own epmd on a port of ours (ERL_EPMD_PORT, bound to 127.0.0.1),
#     ended by `stop`, so a system epmd is neither used nor left behind;
#   - AMQP, STOMP (TCP), Web-STOMP (path /ws) and Erlang distribution on free
#     loopback ports.
# `start` returns when the STOMP port answers a CONNECT with CONNECTED (at
# most RABBITMQ_START_TIMEOUT s, default 90) and writes DIR/env, a file of
# shell assignments: STOMP_PORT, WS_PORT, AMQP_PORT, NODE, RABBIT_PID.
# RABBITMQ_EXTRA_ERL_ARGS: more emulator flags for the node (the load bench
# turns the schedulers' busy-waiting off with `+sbwt none ...` for a second
# row, so idle spinning is not counted as work).
# `consumers` prints how many consumers the node has (the suite waits for a
# subscription to be in place before it publishes to a topic).
# `stop` stops the node (rabbitmqctl stop, then its process group) and epmd.
# Runs as root: the node runs as the calling user, not Debian's `rabbitmq`.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../lib.sh
. "$here/../lib.sh"
sbin=/usr/lib/rabbitmq/bin
cmd="${1:-}"
dir="${2:-}"
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: rabbitmq.sh start|consumers|stop DIR" >&2; exit 2; }
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"

node_env() {
    export HOME="$dir"
    export RABBITMQ_NODENAME="$NODE"
    export RABBITMQ_MNESIA_BASE="$dir/mnesia"
    export RABBITMQ_LOG_BASE="$dir/log"
    export RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf"
    export RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins"
    export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
    export RABBITMQ_NODE_PORT="$AMQP_PORT"
    export RABBITMQ_DIST_PORT="$DIST_PORT"
    export RABBITMQ_PID_FILE="$dir/rabbit.pid"
    export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1} ${RABBITMQ_EXTRA_ERL_ARGS:-}"
    export RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
    export ERL_EPMD_PORT="$EPMD_PORT"
    export ERL_EPMD_ADDRESS=127.0.0.1
}

case "$cmd" in
start)
    [ -x "$sbin/rabbitmq-server" ] || { echo "rabbitmq.sh: $sbin/rabbitmq-server missing (run install.sh)" >&2; exit 1; }
    NODE="rtw-stomp-$$@localhost"
    AMQP_PORT="$(free_port)"
    STOMP_PORT="$(free_port)"
    WS_PORT="$(free_port)"
    DIST_PORT="$(free_port)"
    EPMD_PORT="$(free_port)"
    mkdir -p "$dir/mnesia" "$dir/log"
    printf '[rabbitmq_stomp,rabbitmq_web_stomp].\n' >"$dir/enabled_plugins"
    cat >"$dir/rabbitmq.conf" <<CONF
listeners.tcp.1 = 127.0.0.1:$AMQP_PORT
stomp.listeners.tcp.1 = 127.0.0.1:$STOMP_PORT
web_stomp.tcp.ip = 127.0.0.1
web_stomp.tcp.port = $WS_PORT
web_stomp.ws_path = /ws
log.file.level = warning
log.console = false
CONF
    node_env
    setsid "$sbin/rabbitmq-server" </dev/null >"$dir/server.out" 2>&1 &
    RABBIT_PID=$!
    cat >"$dir/env" <<ENV
NODE=$NODE
AMQP_PORT=$AMQP_PORT
STOMP_PORT=$STOMP_PORT
WS_PORT=$WS_PORT
DIST_PORT=$DIST_PORT
EPMD_PORT=$EPMD_PORT
RABBIT_PID=$RABBIT_PID
ENV
    deadline=$((SECONDS + ${RABBITMQ_START_TIMEOUT:-90}))
    while [ "$SECONDS" -lt "$deadline" ]; do
        if ! kill -0 "$RABBIT_PID" 2>/dev/null; then
            echo "rabbitmq.sh: rabbitmq-server exited" >&2
            tail -n 20 "$dir/server.out" >&2
            exit 1
        fi
        if python3 - "$STOMP_PORT" <<'PY' 2>/dev/null; then
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
s.settimeout(2)
s.sendall(b"CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\n\n\0")
data = s.recv(4096)
sys.exit(0 if data.startswith(b"CONNECTED") else 1)
PY
            exit 0
        fi
        sleep 0.5
    done
    echo "rabbitmq.sh: STOMP port $STOMP_PORT not answering within ${RABBITMQ_START_TIMEOUT:-90} s" >&2
    tail -n 20 "$dir/server.out" >&2
    exit 1
    ;;
consumers)
    # The number of consumers on the node (a STOMP subscription is one).
    # shellcheck disable=SC1091
    . "$dir/env"
    node_env
    timeout -k 2 20 "$sbin/rabbitmqctl" -n "$NODE" list_consumers -q --no-table-headers 2>/dev/null |
        grep -c . || true
    ;;
stop)
    [ -f "$dir/env" ] || exit 0
    # shellcheck disable=SC1091
    . "$dir/env"
    node_env
    timeout -k 5 30 "$sbin/rabbitmqctl" -n "$NODE" stop >/dev/null 2>&1 || true
    # The node's process group (setsid made RABBIT_PID its leader).
    kill -TERM -- "-$RABBIT_PID" 2>/dev/null || true
    for _ in $(seq 50); do
        kill -0 -- "-$RABBIT_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL -- "-$RABBIT_PID" 2>/dev/null || true
    # Our epmd, on our port only.
    timeout -k 2 10 epmd -port "$EPMD_PORT" -kill >/dev/null 2>&1 || true
    rm -f "$dir/env"
    ;;
*)
    echo "usage: rabbitmq.sh start|consumers|stop DIR" >&2
    exit 2
    ;;
esac
