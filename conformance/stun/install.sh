#!/usr/bin/env bash
# Installs the real peers of suite `stun`: coturn (Debian package `coturn`:
# `turnserver`, `turnutils_stunclient`, `turnutils_uclient`). Idempotent:
# does nothing when `turnserver` and `turnutils_stunclient` are on PATH.
# Needs root (apt-get); the suite itself does not.
set -euo pipefail

if command -v turnserver >/dev/null 2>&1 && command -v turnutils_stunclient >/dev/null 2>&1; then
    echo "coturn is installed: $(command -v turnserver)"
    exit 0
fi

bash "$(dirname "$0")/../../scripts/need-apt" coturn
command -v turnserver
command -v turnutils_stunclient
