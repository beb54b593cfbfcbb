#!/usr/bin/env bash
# Install the Autobahn TestSuite's `wstest` (autobahntestsuite==25.10.1, a
# Python 2.7-only program) on Debian bookworm. See README.md beside this file.
#
# Idempotent: if ~/.local/bin/wstest already runs, it exits within seconds.
# Needs root (or sudo) for the apt steps; network: Debian archive + PyPI only.
set -euo pipefail

AUTOBAHN_VERSION=25.10.1
PIP_VERSION=20.3.4
PIP_WHEEL="pip-${PIP_VERSION}-py2.py3-none-any.whl"

# Always the Debian interpreter by absolute path: a pyenv shim called
# `python2.7` may sit earlier on PATH and refuse to run.
PY2=/usr/bin/python2.7
WSTEST="${HOME}/.local/bin/wstest"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CONSTRAINTS="$HERE/constraints-py2.txt"

APT_SOURCE_FILE=/etc/apt/sources.list.d/rtw-bullseye-python2.sources
APT_PIN_FILE=/etc/apt/preferences.d/rtw-bullseye-python2

export PIP_NO_PYTHON_VERSION_WARNING=1
export PIP_DISABLE_PIP_VERSION_CHECK=1
export DEBIAN_FRONTEND=noninteractive

log() { printf '[autobahn/install] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
else
    SUDO=()
fi

wstest_works() {
    [ -x "$WSTEST" ] && "$WSTEST" --help >/dev/null 2>&1
}

report() {
    local version
    version="$("$WSTEST" --autobahnversion 2>&1)" || die "wstest --autobahnversion failed: $version"
    log "wstest is at: $WSTEST"
    printf '%s\n' "$version"
    log "wstest --help OK"
}

# ---------------------------------------------------------------------------
# 0. Fast path.
# ---------------------------------------------------------------------------
if wstest_works; then
    log "already installed"
    report
    exit 0
fi

# ---------------------------------------------------------------------------
# 1. Python 2.7 from Debian bullseye, pinned low. python2.7-dev and gcc are
#    there because one dependency (wsaccel, from autobahn[accelerate]) has no
#    cp27 Linux wheel and is compiled from its sdist.
# ---------------------------------------------------------------------------

# Print "URI<TAB>SIGNED_BY" of the first enabled `deb` entry for suite
# `bookworm`, reading one-line (*.list) and deb822 (*.sources) files.
find_bookworm_entry() {
    local f
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        awk '
            { sub(/#.*/, "") }
            $1 != "deb" { next }
            {
                line = $0; signed = ""
                if (match(line, /\[[^]]*\]/)) {
                    opts = substr(line, RSTART + 1, RLENGTH - 2)
                    line = substr(line, 1, RSTART - 1) substr(line, RSTART + RLENGTH)
                    n = split(opts, o, /[ \t]+/)
                    for (i = 1; i <= n; i++)
                        if (tolower(o[i]) ~ /^signed-by=/) { signed = o[i]; sub(/^[^=]*=/, "", signed) }
                }
                split(line, w, /[ \t]+/)
                # w[1]="deb" w[2]=URI w[3]=suite
                if (w[3] == "bookworm") { print w[2] "\t" signed; exit }
            }
        ' "$f" | head -n 1
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk '
            function flush() {
                if (types ~ /(^|[ \t])deb([ \t]|$)/ && tolower(enabled) != "no" &&
                    (" " suites " ") ~ /[ \t]bookworm[ \t]/ && uris != "") {
                    split(uris, u, /[ \t]+/)
                    if (signed ~ /[ \t]/) signed = ""   # inline key block: skip it
                    print u[1] "\t" signed
                    found = 1
                    exit
                }
                types = uris = suites = signed = enabled = ""; key = ""
            }
            /^#/ { next }
            /^[ \t]*$/ { flush(); next }
            /^[ \t]/ {               # continuation line
                if (key == "signed-by") signed = signed " " $0
                else if (key == "uris") uris = uris " " $0
                else if (key == "suites") suites = suites " " $0
                next
            }
            {
                key = tolower($0); sub(/:.*/, "", key)
                val = $0; sub(/^[^:]*:[ \t]*/, "", val); sub(/[ \t]+$/, "", val)
                if (key == "types") types = val
                else if (key == "uris") uris = val
                else if (key == "suites") suites = val
                else if (key == "signed-by") signed = val
                else if (key == "enabled") enabled = val
            }
            END { if (!found) flush() }
        ' "$f" | head -n 1
    done
}

install_python2() {
    if [ -x "$PY2" ] && "$PY2" -c 'import ssl, zlib' >/dev/null 2>&1 &&
        [ -f /usr/include/python2.7/Python.h ] && command -v gcc >/dev/null 2>&1; then
        log "python2.7 (+ headers, gcc) already installed: $("$PY2" --version 2>&1)"
        return
    fi

    local entry uri signed
    entry="$(find_bookworm_entry | head -n 1)"
    [ -n "$entry" ] || die "no 'deb ... bookworm' entry found in /etc/apt/sources.list{,.d/*.list,.d/*.sources}"
    uri="${entry%%$'\t'*}"
    signed="${entry#*$'\t'}"
    log "bookworm archive URI: $uri${signed:+ (Signed-By: $signed)}"

    {
        echo "# Added by conformance/autobahn/install.sh: python2.7 for Autobahn wstest."
        echo "Types: deb"
        echo "URIs: $uri"
        echo "Suites: bullseye"
        echo "Components: main"
        [ -z "$signed" ] || echo "Signed-By: $signed"
    } | "${SUDO[@]}" tee "$APT_SOURCE_FILE" >/dev/null

    # Priority 100 < 500 (bookworm): bullseye never wins an upgrade and only
    # supplies packages bookworm lacks (python2.7 and its private deps).
    cat <<'EOF' | "${SUDO[@]}" tee "$APT_PIN_FILE" >/dev/null
# Added by conformance/autobahn/install.sh: take from bullseye only what
# bookworm does not have (python2.7 for Autobahn wstest).
Package: *
Pin: release n=bullseye
Pin-Priority: 100
EOF

    log "apt-get update"
    "${SUDO[@]}" apt-get update -q
    log "apt-get install python2.7 python2.7-dev gcc libc6-dev"
    "${SUDO[@]}" apt-get install -y -q --no-install-recommends \
        python2.7 python2.7-dev gcc libc6-dev
    "$PY2" --version
}

# ---------------------------------------------------------------------------
# 2. pip for python2.7, bootstrapped from the last py2 pip wheel.
# ---------------------------------------------------------------------------
install_pip2() {
    if "$PY2" -m pip --version >/dev/null 2>&1; then
        log "pip for python2.7 already there: $("$PY2" -m pip --version)"
        return
    fi
    if ! python3 -m pip --version >/dev/null 2>&1; then
        log "python3 has no pip; installing python3-pip"
        "${SUDO[@]}" apt-get install -y -q --no-install-recommends python3-pip
    fi
    local dir
    dir="$(mktemp -d)"
    # shellcheck disable=SC2064
    trap "rm -rf '$dir'" EXIT
    log "downloading pip==${PIP_VERSION} wheel"
    python3 -m pip download -q --no-deps -d "$dir" "pip==${PIP_VERSION}"
    [ -f "$dir/$PIP_WHEEL" ] || die "expected $dir/$PIP_WHEEL after pip download"
    log "bootstrapping pip into python2.7 --user"
    "$PY2" "$dir/$PIP_WHEEL/pip" install -q --user --no-warn-script-location "$dir/$PIP_WHEEL"
    "$PY2" -m pip --version
}

# ---------------------------------------------------------------------------
# 3. autobahntestsuite. Its own requirements.txt pins the direct py2 stack;
#    constraints-py2.txt pins the transitive rest to a known-good set.
#    setuptools/wheel go first: pip 20.3 builds the setup.py-only sdists
#    (txaio, autobahn, wsaccel, PyHamcrest) in the user's own environment.
# ---------------------------------------------------------------------------
install_autobahn() {
    [ -f "$CONSTRAINTS" ] || die "missing $CONSTRAINTS"
    log "pip2 install --user setuptools wheel (build tooling)"
    "$PY2" -m pip install -q --user --no-warn-script-location -c "$CONSTRAINTS" \
        setuptools wheel
    log "pip2 install --user autobahntestsuite==${AUTOBAHN_VERSION}"
    "$PY2" -m pip install --user --no-warn-script-location -c "$CONSTRAINTS" \
        "autobahntestsuite==${AUTOBAHN_VERSION}"
    # Package present but console script lost (pip then says "already
    # satisfied" and does not recreate it): reinstall just that package.
    if ! wstest_works; then
        log "wstest missing or broken; reinstalling autobahntestsuite"
        "$PY2" -m pip install -q --user --no-warn-script-location --force-reinstall \
            --no-deps "autobahntestsuite==${AUTOBAHN_VERSION}"
    fi
}

install_python2
install_pip2
install_autobahn

wstest_works || die "$WSTEST does not run (try: $WSTEST --help)"
report
