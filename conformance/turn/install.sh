#!/usr/bin/env bash
# Installs the real peers of suite `turn`, idempotently (seconds when all is
# there):
#   - coturn (Debian package `coturn`): turnserver, turnutils_uclient,
#     turnutils_peer;
#   - Chromium (Debian package `chromium`);
#   - iproute2 (`ip`, to bring up loopback in the test's network namespace),
#     util-linux (`unshare`), openssl (a self-signed certificate for TLS);
#   - python3-venv, and a virtual environment with aioice (PyPI, pinned
#     below) at $TURN_VENV (default ~/.cache/rtw/conformance-turn-venv; the
#     passwd entry's home when HOME is unset),
#     built with Debian's /usr/bin/python3 by absolute path (a pyenv shim
#     earlier on PATH is not used).
# Prints the venv's python as its last line. Needs root for apt-get, only
# when a package is missing; network: the Debian archive and PyPI only.
set -euo pipefail

AIOICE_VERSION=0.13.0
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
home="${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}"
venv="${TURN_VENV:-$home/.cache/rtw/conformance-turn-venv}"
py="$venv/bin/python"

log() { printf '[turn/install] %s\n' "$*" >&2; }

bash "$here/../../scripts/need-apt" coturn chromium iproute2 util-linux openssl python3-venv
for tool in turnserver turnutils_uclient turnutils_peer chromium ip unshare openssl; do
    command -v "$tool" >/dev/null || { log "ERROR: $tool not on PATH after install"; exit 1; }
done
log "coturn $(dpkg-query -W -f='${Version}' coturn), $(chromium --version 2>/dev/null | head -n 1)"

aioice_ok() {
    [ -x "$py" ] &&
        [ "$("$py" -c 'import importlib.metadata as m; print(m.version("aioice"))' 2>/dev/null)" = "$AIOICE_VERSION" ]
}
if aioice_ok; then
    log "aioice $AIOICE_VERSION already in $venv"
else
    log "creating $venv with aioice==$AIOICE_VERSION"
    rm -rf "$venv"
    mkdir -p "$(dirname "$venv")"
    /usr/bin/python3 -m venv "$venv"
    "$py" -m pip install -q --disable-pip-version-check "aioice==$AIOICE_VERSION"
    aioice_ok || { log "ERROR: aioice $AIOICE_VERSION not importable from $py"; exit 1; }
fi
echo "$py"
