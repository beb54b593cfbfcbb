#!/usr/bin/env bash
# Installs the real peers of suite `socketio`, idempotently (seconds when all
# is there):
#   - socket.io (the Node server) and socket.io-client (npm, pinned below)
#     in $SOCKETIO_NPM_DIR (default ~/.cache/rtw/conformance-socketio-npm),
#     run with the machine's Node;
#   - python3-venv, and a virtual environment with python-socketio and its
#     synchronous client's transports, requests and websocket-client (PyPI,
#     pinned below) at $SOCKETIO_VENV (default
#     ~/.cache/rtw/conformance-socketio-venv), built with Debian's
#     /usr/bin/python3 by absolute path.
# The home is the passwd entry's when HOME is unset. Prints two lines last:
# the venv's python, then the npm directory. Needs root for apt-get, only
# when a package is missing; network: the Debian archive, PyPI and npm only.
set -euo pipefail

SOCKETIO_VERSION=4.8.1
SOCKETIO_CLIENT_VERSION=4.8.1
PYTHON_SOCKETIO_VERSION=5.14.2
REQUESTS_VERSION=2.32.4
WEBSOCKET_CLIENT_VERSION=1.8.0
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
home="${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}"
venv="${SOCKETIO_VENV:-$home/.cache/rtw/conformance-socketio-venv}"
npmdir="${SOCKETIO_NPM_DIR:-$home/.cache/rtw/conformance-socketio-npm}"
py="$venv/bin/python"

log() { printf '[socketio/install] %s\n' "$*" >&2; }

bash "$here/../../scripts/need-apt" python3-venv
command -v node >/dev/null || { log "ERROR: node not on PATH"; exit 1; }
command -v npm >/dev/null || { log "ERROR: npm not on PATH"; exit 1; }

pip_version() {
    "$py" -c 'import importlib.metadata as m, sys; print(m.version(sys.argv[1]))' "$1" 2>/dev/null || true
}
python_ok() {
    [ -x "$py" ] &&
        [ "$(pip_version python-socketio)" = "$PYTHON_SOCKETIO_VERSION" ] &&
        [ "$(pip_version requests)" = "$REQUESTS_VERSION" ] &&
        [ "$(pip_version websocket-client)" = "$WEBSOCKET_CLIENT_VERSION" ]
}
if python_ok; then
    log "python-socketio $PYTHON_SOCKETIO_VERSION already in $venv"
else
    log "creating $venv with python-socketio==$PYTHON_SOCKETIO_VERSION"
    rm -rf "$venv"
    mkdir -p "$(dirname "$venv")"
    /usr/bin/python3 -m venv "$venv"
    "$py" -m pip install -q --disable-pip-version-check \
        "python-socketio==$PYTHON_SOCKETIO_VERSION" "requests==$REQUESTS_VERSION" \
        "websocket-client==$WEBSOCKET_CLIENT_VERSION"
    python_ok || { log "ERROR: python-socketio and its transports not importable from $py"; exit 1; }
fi

npm_version() {
    node -e 'try { console.log(require(process.argv[1]).version) } catch (e) { console.log("") }' \
        "$npmdir/node_modules/$1/package.json"
}
npm_ok() {
    [ "$(npm_version socket.io)" = "$SOCKETIO_VERSION" ] &&
        [ "$(npm_version socket.io-client)" = "$SOCKETIO_CLIENT_VERSION" ]
}
if npm_ok; then
    log "socket.io and socket.io-client $SOCKETIO_VERSION already in $npmdir"
else
    log "npm install socket.io@$SOCKETIO_VERSION socket.io-client@$SOCKETIO_CLIENT_VERSION in $npmdir"
    rm -rf "$npmdir"
    mkdir -p "$npmdir"
    printf '{"name":"rtw-conformance-socketio","private":true}\n' >"$npmdir/package.json"
    (cd "$npmdir" && npm install --no-audit --no-fund --save-exact --loglevel=error \
        "socket.io@$SOCKETIO_VERSION" "socket.io-client@$SOCKETIO_CLIENT_VERSION" >&2)
    npm_ok || { log "ERROR: socket.io or socket.io-client not installed in $npmdir"; exit 1; }
fi
log "node $(node --version), socket.io $SOCKETIO_VERSION, python-socketio $PYTHON_SOCKETIO_VERSION"
echo "$py"
echo "$npmdir"
