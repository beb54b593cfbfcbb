#!/usr/bin/env bash
# Installs the real peers of suite `webrtc`, idempotently (seconds when all
# is there):
#   - Chromium (Debian package `chromium`) and Firefox ESR (`firefox-esr`),
#     both run headless;
#   - iproute2 (`ip`, to bring up loopback in the test's network namespace)
#     and util-linux (`unshare`);
#   - python3 (the report server and the verdict scripts use only its
#     standard library).
# Needs root for apt-get, only when a package is missing; network: the
# Debian archive only.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { printf '[webrtc/install] %s\n' "$*" >&2; }

bash "$here/../../scripts/need-apt" chromium firefox-esr iproute2 util-linux python3
for tool in chromium firefox-esr ip unshare python3 timeout; do
    command -v "$tool" >/dev/null || { log "ERROR: $tool not on PATH after install"; exit 1; }
done
log "$(chromium --version 2>/dev/null | head -n 1), $(firefox-esr --version 2>/dev/null | head -n 1)"
