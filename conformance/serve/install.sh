#!/usr/bin/env bash
# Installs the real clients of suite `serve`, idempotently (seconds when all
# is there):
#   - Chromium (Debian package `chromium`) and Firefox ESR (`firefox-esr`),
#     both run headless on the demo page;
#   - curl (the raw chunked stream, the HTTP/1.0 stream, error statuses);
#   - ffmpeg (decodes the M-JPEG stream with its `mpjpeg` demuxer);
#   - python3 (the publisher, the report server of suite `webrtc` and the
#     verdict script use only its standard library).
# Needs root for apt-get, only when a package is missing; network: the
# Debian archive only. Prints the versions last.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { printf '[serve/install] %s\n' "$*" >&2; }

bash "$here/../../scripts/need-apt" chromium firefox-esr curl ffmpeg python3
for tool in chromium firefox-esr curl ffmpeg python3 timeout; do
    command -v "$tool" >/dev/null || { log "ERROR: $tool not on PATH after install"; exit 1; }
done
log "$(chromium --version 2>/dev/null | head -n 1)"
log "$(firefox-esr --version 2>/dev/null | head -n 1)"
log "$(curl --version | head -n 1 | cut -d' ' -f1-2)"
log "$(ffmpeg -version | head -n 1 | cut -d' ' -f1-3)"
log "$(python3 --version 2>&1)"
