#!/usr/bin/env bash
# Installs what suite `attacks` needs beyond bash and python3: GNU time
# (Debian package `time`, for `/usr/bin/time -f %M`). Idempotent: does
# nothing when /usr/bin/time is there. `prlimit` (util-linux) and `timeout`
# (coreutils) are part of every Debian-based system; the suite checks them.
# Needs root (apt-get); the suite itself does not.
set -euo pipefail

if [ -x /usr/bin/time ]; then
    echo "GNU time is installed: /usr/bin/time"
    exit 0
fi

bash "$(dirname "$0")/../../scripts/need-apt" time
test -x /usr/bin/time && echo "GNU time installed: /usr/bin/time"
