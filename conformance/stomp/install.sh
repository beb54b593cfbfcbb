#!/usr/bin/env bash
# Installs the real peers of suite `stomp`, idempotently (seconds when all is
# there):
#   - RabbitMQ (Debian package `rabbitmq-server`, without its recommends);
#     the suite starts its own node with rabbitmq.sh (the STOMP and
#     Web-STOMP plugins, loopback ports, files under a temp dir), never the
#     system service;
#   - python3-venv, and a virtual environment with stomp.py (PyPI, pinned
#     below) at $STOMP_VENV (default ~/.cache/rtw/conformance-stomp-venv),
#     built with Debian's /usr/bin/python3 by absolute path;
#   - @stomp/stompjs and ws (npm, pinned below) in $STOMP_NPM_DIR (default
#     ~/.cache/rtw/conformance-stomp-npm), run with the machine's Node.
# The home is the passwd entry's when HOME is unset. Prints two lines last:
# the venv's python, then the npm directory. Needs root for apt-get, only
# when a package is missing; network: the Debian archive, PyPI and npm only.
set -euo pipefail

STOMPPY_VERSION=9.0.0
STOMPJS_VERSION=7.5.0
WS_VERSION=8.23.0
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
home="${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}"
venv="${STOMP_VENV:-$home/.cache/rtw/conformance-stomp-venv}"
npmdir="${STOMP_NPM_DIR:-$home/.cache/rtw/conformance-stomp-npm}"
py="$venv/bin/python"

log() { printf '[stomp/install] %s\n' "$*" >&2; }

# The package's service is not wanted: keep apt from starting it (a
# policy-rc.d of our own only while installing, when none is there).
if ! dpkg-query -W -f='${Status}' rabbitmq-server 2>/dev/null | grep -q "install ok installed"; then
    policy=/usr/sbin/policy-rc.d
    made_policy=0
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy"
        chmod +x "$policy"
        made_policy=1
    fi
    log "apt-get install rabbitmq-server"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    status=0
    apt-get install -y -qq --no-install-recommends rabbitmq-server >/dev/null || status=$?
    [ "$made_policy" -eq 1 ] && rm -f "$policy"
    [ "$status" -eq 0 ] || { log "ERROR: apt-get install rabbitmq-server: exit $status"; exit 1; }
fi
bash "$here/../../scripts/need-apt" python3-venv
for tool in /usr/lib/rabbitmq/bin/rabbitmq-server /usr/lib/rabbitmq/bin/rabbitmqctl; do
    [ -x "$tool" ] || { log "ERROR: $tool missing after install"; exit 1; }
done
for plugin in rabbitmq_stomp rabbitmq_web_stomp; do
    compgen -G "/usr/lib/rabbitmq/lib/rabbitmq_server-*/plugins/$plugin-*" >/dev/null ||
        { log "ERROR: plugin $plugin not shipped by rabbitmq-server"; exit 1; }
done
command -v node >/dev/null || { log "ERROR: node not on PATH"; exit 1; }
command -v npm >/dev/null || { log "ERROR: npm not on PATH"; exit 1; }
log "rabbitmq-server $(dpkg-query -W -f='${Version}' rabbitmq-server), node $(node --version)"

stomppy_ok() {
    [ -x "$py" ] &&
        [ "$("$py" -c 'import importlib.metadata as m; print(m.version("stomp.py"))' 2>/dev/null)" = "$STOMPPY_VERSION" ]
}
if stomppy_ok; then
    log "stomp.py $STOMPPY_VERSION already in $venv"
else
    log "creating $venv with stomp.py==$STOMPPY_VERSION"
    rm -rf "$venv"
    mkdir -p "$(dirname "$venv")"
    /usr/bin/python3 -m venv "$venv"
    "$py" -m pip install -q --disable-pip-version-check "stomp.py==$STOMPPY_VERSION"
    stomppy_ok || { log "ERROR: stomp.py $STOMPPY_VERSION not importable from $py"; exit 1; }
fi

npm_version() {
    node -e 'try { console.log(require(process.argv[1]).version) } catch (e) { console.log("") }' \
        "$npmdir/node_modules/$1/package.json"
}
if [ "$(npm_version @stomp/stompjs)" = "$STOMPJS_VERSION" ] && [ "$(npm_version ws)" = "$WS_VERSION" ]; then
    log "@stomp/stompjs $STOMPJS_VERSION and ws $WS_VERSION already in $npmdir"
else
    log "npm install @stomp/stompjs@$STOMPJS_VERSION ws@$WS_VERSION in $npmdir"
    rm -rf "$npmdir"
    mkdir -p "$npmdir"
    printf '{"name":"rtw-conformance-stomp","private":true}\n' >"$npmdir/package.json"
    (cd "$npmdir" && npm install --no-audit --no-fund --save-exact --loglevel=error \
        "@stomp/stompjs@$STOMPJS_VERSION" "ws@$WS_VERSION" >&2)
    [ "$(npm_version @stomp/stompjs)" = "$STOMPJS_VERSION" ] && [ "$(npm_version ws)" = "$WS_VERSION" ] ||
        { log "ERROR: @stomp/stompjs or ws not installed in $npmdir"; exit 1; }
fi
echo "$py"
echo "$npmdir"
