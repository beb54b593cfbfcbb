#!/usr/bin/env bash
# Suite `webrtc`: the rows that run INSIDE a new network namespace
# (conformance/webrtc/run starts this with `unshare --net`, or `unshare -rn`
# when not root): only a loopback interface, brought up here, so nothing the
# browsers or the rtw servers send can leave the machine.
#
# Usage: netns.sh OUT_DIR [ROW...]
# Environment: RTW (the rtw binary). Prints `ok`/`FAIL` lines as it goes and
# writes OUT_DIR/counts at the end: `PASSED FAILED` on its first line, then
# one `ROW: N passed, N failed` line per row (run adds them to its own).
#
# The namespace gets a default route on lo (`default dev lo src
# 127.0.0.1`, and `::1` for IPv6): Firefox gathers only the candidates of
# its "default address" unless the page has camera or microphone
# permission, and finds that address by routing a UDP socket to a public
# one; without a route it gathers nothing. Packets to other addresses go
# nowhere (there is no other interface). Multicast (224.0.0.0/4) gets an
# unreachable route, so that mDNS names stay unresolved (row reflexive).
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../lib.sh
. "$here/../lib.sh"
out="$1"
shift
rtw="${RTW:?RTW must name the rtw binary}"
all_rows=(mesh relay reflexive rtw-chromium rtw-firefox demo)
[ "$#" -gt 0 ] && all_rows=("$@")

# Seconds one browser page may take (the pages give up a little earlier).
page_limit="${WEBRTC_PAGE_TIMEOUT:-40}"
secret=rtw-webrtc-conformance

# Background processes of the current row (pids of their `timeout`
# wrappers, which pass SIGTERM on to their process group).
pids=()
stop_all() {
    local pid
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    pids=()
}
trap stop_all EXIT

rows=()
row_name=""
row() {
    row_name="webrtc-$1"
    row_p0=$passed
    row_f0=$failed
    row_t0=$SECONDS
    dir="$out/$1"
    mkdir -p "$dir"
    echo "== $row_name"
}
end_row() {
    stop_all
    echo "   ($row_name: $((SECONDS - row_t0)) s)"
    rows+=("$(printf '%s: %d passed, %d failed' "$row_name" \
        $((passed - row_p0)) $((failed - row_f0)))")
}

# show FILE [N]: a file's last lines, indented, for a failure's context.
show() {
    if [ -s "$1" ]; then
        echo "      --- $(basename "$1")"
        tail -n "${2:-12}" "$1" | cut -c1-300 | sed 's/^/      /'
    fi
}

# bg NAME SECS CMD...: CMD in the background for at most SECS seconds,
# stdout to $dir/NAME.out, stderr to $dir/NAME.err.
bg() {
    local name="$1" secs="$2"
    shift 2
    timeout -k 3 "$secs" "$@" </dev/null >"$dir/$name.out" 2>"$dir/$name.err" &
    pids+=($!)
}

# listening NAME: waits (10 s at most) for `listening on IP:PORT` as the
# first line of $dir/NAME.out; sets `addr`. Passes or fails a check.
listening() {
    local name="$1" what="$2" line
    addr=""
    for _ in $(seq 100); do
        line="$(head -n 1 "$dir/$name.out" 2>/dev/null || true)"
        if [[ "$line" =~ ^listening\ on\ (127\.0\.0\.1:[0-9]+)$ ]]; then
            addr="${BASH_REMATCH[1]}"
            pass "$what prints \"listening on $addr\" first"
            return 0
        fi
        [ -n "$line" ] && break
        sleep 0.1
    done
    fail "$what prints \"listening on 127.0.0.1:PORT\" first" "first line: \"$line\""
    show "$dir/$name.err"
    return 1
}

# signal_serve ARGS...: `rtw signal serve` on 127.0.0.1 (a port of its own
# for each row, 8001 upwards: the namespace is ours); sets sig.
sig_port=8000
signal_serve() {
    sig_port=$((sig_port + 1))
    local port=$sig_port
    echo "   \$ rtw signal serve --listen 127.0.0.1:$port $*"
    bg signal $((page_limit + 30)) "$rtw" signal serve --listen "127.0.0.1:$port" -v "$@"
    listening signal "rtw signal serve" || return 1
    sig="ws://$addr/signal"
}

# pages_server: report_server.py for the pages; sets http.
pages_server() {
    bg http $((page_limit + 30)) python3 "$here/report_server.py" "$here" "$dir"
    listening http "report_server.py" >/dev/null || return 1
    http="$addr"
}

# chromium NAME URL: headless Chromium on URL with a profile of its own.
chromium_flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
    --disable-background-networking --disable-component-update --disable-sync
    --disable-background-timer-throttling --disable-renderer-backgrounding
    --allow-loopback-in-peer-connection --use-fake-device-for-media-stream
    --use-fake-ui-for-media-stream --enable-logging=stderr --v=0)
# Host candidates as IP addresses, not mDNS names; mdns=1 leaves them
# hidden (row reflexive).
mdns=0
# Set by row reflexive for its parts: a prefix of the check names, and the
# STUN server's -v log (mesh_verdict.py matches its requests to the pages).
check_prefix=""
stun_log=""
chromium() {
    local name="$1" url="$2" flags=("${chromium_flags[@]}")
    [ "$mdns" = 1 ] || flags+=(--disable-features=WebRtcHideLocalIpsWithMdns)
    rm -rf "$dir/$name.profile"
    mkdir -p "$dir/$name.profile"
    bg "$name" "$page_limit" chromium "${flags[@]}" --user-data-dir="$dir/$name.profile" "$url"
}

# firefox NAME URL: headless Firefox ESR on URL with a fresh profile whose
# user.js sends the page's console to stdout, allows loopback candidates
# with their real addresses and turns off first-run pages and updates.
firefox() {
    local name="$1" url="$2" profile="$dir/$1.profile"
    rm -rf "$profile"
    mkdir -p "$profile"
    cp "$here/user.js" "$profile/user.js"
    # mdns=1: host candidates hidden behind mDNS names (Firefox's default).
    [ "$mdns" = 1 ] && echo 'user_pref("media.peerconnection.ice.obfuscate_host_addresses", true);' >>"$profile/user.js"
    HOME="$dir" MOZ_HEADLESS=1 bg "$name" "$page_limit" firefox-esr --headless --no-remote \
        --profile "$profile" "$url"
}

# wait_reports SECS NAME...: waits until $dir/NAME.json exists for every
# NAME, or SECS pass.
wait_reports() {
    local secs="$1" name missing
    shift
    for _ in $(seq $((secs * 10))); do
        missing=0
        for name in "$@"; do [ -s "$dir/$name.json" ] || missing=1; done
        [ "$missing" -eq 0 ] && return 0
        sleep 0.1
    done
    return 1
}

# quiet_reports NAME...: waits until $dir/NAME.json (for every NAME) has
# not changed for 1 s, 5 s at most: mesh.html reports again when a selected
# pair changes after its first report.
quiet_reports() {
    local name sum last="" same=0
    for _ in $(seq 25); do
        sum="$(for name in "$@"; do cat "$dir/$name.json"; done | md5sum)"
        if [ "$sum" = "$last" ]; then
            same=$((same + 1))
            [ "$same" -ge 5 ] && return 0
        else
            same=0
            last="$sum"
        fi
        sleep 0.2
    done
}

# verdict CMD...: runs a verdict script; its `ok`/`FAIL` lines become checks
# and its `time` lines are printed (and kept in $out/times.txt).
verdict() {
    local res name why
    while IFS=$'\t' read -r res name why; do
        case "$res" in
            ok) pass "$check_prefix$name" ;;
            FAIL) fail "$check_prefix$name" "$why" ;;
            time) echo "   time  $check_prefix$name"; echo "$row_name	$check_prefix$name" >>"$out/times.txt" ;;
            *) fail "verdict output" "$res $name $why" ;;
        esac
    done < <("$@" 2>&1 || echo "FAIL	the verdict script ran	exit $?")
}

# ---------------------------------------------------------------------------
# The namespace.
# ---------------------------------------------------------------------------
ip link set lo up
ip route add default dev lo src 127.0.0.1
# Multicast stays unroutable, as without the default route: no mDNS query
# goes anywhere, so nothing resolves the browsers' `.local` names.
ip route add unreachable 224.0.0.0/4
ip -6 route add default dev lo src ::1 2>/dev/null || true
links="$(ip -o link show | awk -F': ' '{print $2}' | tr '\n' ' ')"
echo "   namespace links: $links; addresses: $(ip -o addr show | awk '{print $4}' | tr '\n' ' ')"
if [ "$links" != "lo " ]; then
    fail "network namespace with only lo" "links: $links"
    printf '%d %d\n' "$passed" "$failed" >"$out/counts"
    exit 1
fi

# mesh_start ROW N VIDEO POLICY SIGNAL_ARGS...: N pages of $browser
# (chromium or firefox) in one room of `rtw signal serve SIGNAL_ARGS`, all
# in $dir; sets mesh_t0. mesh_judge N VIDEO EXPECT T0: waits for the pages'
# reports and judges them with mesh_verdict.py. mesh_row ROW N VIDEO POLICY
# EXPECT SIGNAL_ARGS...: the two in a row.
browser=chromium
mesh_start() {
    local row="$1" n="$2" video="$3" policy="$4" i
    shift 4
    signal_serve "$@" || return 1
    pages_server || return 1
    mesh_t0=$SECONDS
    for i in $(seq "$n"); do
        "$browser" "p$i" "http://$http/mesh.html?sig=$sig&room=$row&peer=p$i&n=$n&msgs=50&video=$video&policy=$policy&timeout=$((page_limit - 5))"
    done
}
mesh_judge() {
    local n="$1" video="$2" expect="$3" t0="$4" i names=()
    for i in $(seq "$n"); do names+=("p$i"); done
    if wait_reports "$page_limit" "${names[@]}"; then
        pass "$check_prefix$n $browser pages reported ($((SECONDS - t0)) s)"
        quiet_reports "${names[@]}"
    else
        fail "$check_prefix$n $browser pages reported within $page_limit s" "missing: $(for i in "${names[@]}"; do [ -s "$dir/$i.json" ] || printf '%s ' "$i"; done)"
        for i in "${names[@]}"; do [ -s "$dir/$i.json" ] || show "$dir/$i.log" 8; done
        show "$dir/signal.err" 8
    fi
    verdict python3 "$here/mesh_verdict.py" "$dir" "$n" 50 "$video" "$expect" ${stun_log:+"$stun_log"}
}
mesh_row() {
    local row="$1" n="$2" video="$3" policy="$4" expect="$5"
    shift 5
    mesh_start "$row" "$n" "$video" "$policy" "$@" || return 1
    mesh_judge "$n" "$video" "$expect" "$mesh_t0"
}

# rtw_peer NAME ARGS...: `rtw signal peer` as NAME in room $room; waits
# (10 s at most) for its `joined` event.
rtw_peer() {
    local name="$1"
    shift
    echo "   \$ rtw signal peer --url $sig --room $room --peer $name $*"
    bg "$name" $((page_limit + 20)) "$rtw" signal peer --url "$sig" --room "$room" --peer "$name" \
        --timeout $((page_limit + 15)) "$@"
    for _ in $(seq 100); do
        if grep -q '"event":"joined"' "$dir/$name.out" 2>/dev/null; then
            pass "rtw signal peer $name joined room $room"
            return 0
        fi
        sleep 0.1
    done
    fail "rtw signal peer $name joined room $room" "no joined event within 10 s"
    show "$dir/$name.out"
    show "$dir/$name.err"
    return 1
}

# now_ms: the wall clock in milliseconds.
now_ms() { date +%s%3N; }

# group_alive PGID: whether a process (not a zombie) of that process group
# is left. A `bg` command's group is its `timeout` wrapper's pid (timeout
# makes a group of its own and passes signals on to all of it).
group_alive() {
    local f s st pg
    for f in /proc/[0-9]*/stat; do
        read -r s <"$f" 2>/dev/null || continue
        s="${s##*) }"
        read -r st _ pg _ <<<"$s"
        [ "$pg" = "$1" ] && [ "$st" != Z ] && return 0
    done
    return 1
}

# end_browser PGID: closes the page by ending the browser: SIGTERM to its
# `timeout` wrapper, which passes it on to the browser's process group
# (and SIGKILL 3 s later if anything is left), then waits (12 s at most)
# for the group to be gone and for rtw-b's `consent-lost` line. Writes
# $dir/closed.json for peer_verdict.py: whether rtw-b had lost consent
# before, and the ms from the SIGTERM to the browser's end and to
# consent-lost (polled every 50 ms).
end_browser() {
    local pgid="$1" before=false lines t_kill t_exit=null t_lost=null
    grep -q '"event":"consent-lost"' "$dir/rtw-b.out" 2>/dev/null && before=true
    lines="$(wc -l <"$dir/rtw-b.out")"
    echo "   \$ kill -TERM $pgid  (the $browser page's timeout wrapper: SIGTERM to $browser)"
    t_kill="$(now_ms)"
    kill -TERM "$pgid" 2>/dev/null || true
    for _ in $(seq 240); do
        if [ "$t_exit" = null ] && ! group_alive "$pgid"; then t_exit=$(($(now_ms) - t_kill)); fi
        if [ "$t_lost" = null ] && tail -n +"$((lines + 1))" "$dir/rtw-b.out" | grep -q '"event":"consent-lost"'; then
            t_lost=$(($(now_ms) - t_kill))
        fi
        [ "$t_exit" != null ] && [ "$t_lost" != null ] && break
        sleep 0.05
    done
    printf '{"by":"SIGTERM to %s","lostBefore":%s,"exitedMs":%s,"lostMs":%s}\n' \
        "$browser" "$before" "$t_exit" "$t_lost" >"$dir/closed.json"
}

# peer_row ROW FULL [CLOSE]: a $browser page (peer.html) and two rtw signal
# peers: rtw-a answers the page's offer, rtw-b offers to the page; FULL=1
# adds the ICE restart and the consent checks. CLOSE says how the page's
# connection with rtw-b ends for rtw-b to lose consent: `pc` (the page
# closes its RTCPeerConnection) or `browser` (after the page's report, the
# runner ends the browser process: end_browser). Judged by peer_verdict.py.
peer_row() {
    local row="$1" full="$2" close="${3:-pc}" t0 page_pgid
    room="$row"
    signal_serve || return 1
    pages_server || return 1
    rtw_peer rtw-a --consent-timeout 5 || return 1
    rtw_peer rtw-b --offer-to page --consent-timeout 5 || return 1
    t0=$SECONDS
    "$browser" page "http://$http/peer.html?sig=$sig&room=$room&peer=page&answerer=rtw-a&offerer=rtw-b&full=$full&close=$close&timeout=$((page_limit - 5))"
    page_pgid="${pids[-1]}"
    rm -f "$dir/closed.json"
    if wait_reports "$page_limit" page; then
        pass "the $browser page reported ($((SECONDS - t0)) s)"
    else
        fail "the $browser page reported within $page_limit s" "no report"
        show "$dir/page.log" 10
        show "$dir/page.err" 10
    fi
    if [ "$full" = 1 ] && [ "$close" = browser ]; then
        end_browser "$page_pgid"
    elif [ "$full" = 1 ]; then
        # rtw-b loses consent --consent-timeout (5 s) after the page closed.
        for _ in $(seq 150); do
            grep -q '"event":"consent-lost"' "$dir/rtw-b.out" 2>/dev/null && break
            sleep 0.1
        done
    fi
    if [ "$browser" = firefox ]; then
        if grep -q '^console.log: ".* page done"' "$dir/page.out"; then
            pass "the Firefox page's console reaches its stdout (devtools.console.stdout.content)"
        else
            fail "the Firefox page's console reaches its stdout" "no console.log line \"... page done\" in it"
            show "$dir/page.out" 5
        fi
    fi
    verdict python3 "$here/peer_verdict.py" "$dir" "$full" "$browser" 5
    grep -q . "$dir/rtw-a.err" "$dir/rtw-b.err" 2>/dev/null && { show "$dir/rtw-a.err" 5; show "$dir/rtw-b.err" 5; }
    return 0
}

for r in "${all_rows[@]}"; do
    case "$r" in
    mesh)
        row mesh
        mesh_row mesh 3 1 all host
        end_row
        ;;
    relay)
        row relay
        mesh_row relay 3 1 relay relay --turn 127.0.0.1:3479 --turn-secret "$secret" \
            --turn-allow-loopback-peers
        end_row
        ;;
    reflexive)
        row reflexive
        rdir="$dir"
        bg stun $((page_limit + 30)) "$rtw" stun server -v 127.0.0.1:3478
        if listening stun "rtw stun server"; then
            # Two Chromium pages (host candidates as IP addresses) and two
            # Firefox pages (hidden behind mDNS names) at the same time,
            # each pair in a room and a directory of its own; one STUN
            # server for both, whose -v lines name each request's source
            # (mesh_verdict.py matches them to the pages' host ports).
            stun_args=(--ice-server stun:127.0.0.1:3478)
            dir="$rdir/chromium"
            mkdir -p "$dir"
            chromium_ok=0
            mesh_start reflexive 2 0 all "${stun_args[@]}" && chromium_ok=1
            chromium_t0=${mesh_t0:-$SECONDS}
            dir="$rdir/firefox" mdns=1 browser=firefox
            mkdir -p "$dir"
            firefox_ok=0
            mesh_start reflexive 2 0 all "${stun_args[@]}" && firefox_ok=1
            stun_log="$rdir/stun.err"
            if [ "$chromium_ok" = 1 ]; then
                dir="$rdir/chromium" browser=chromium check_prefix="chromium: "
                mesh_judge 2 0 stun-host "$chromium_t0"
            fi
            if [ "$firefox_ok" = 1 ]; then
                dir="$rdir/firefox" browser=firefox check_prefix="firefox: "
                mesh_judge 2 0 srflx "$mesh_t0"
            fi
            dir="$rdir" check_prefix="" mdns=0 browser=chromium stun_log=""
            stop_all
            count="$(grep -c 'Binding Request .* -> Binding SuccessResponse' "$dir/stun.err" || true)"
            if [ "$count" -gt 0 ]; then
                pass "rtw stun server answered $count Binding requests"
            else
                fail "rtw stun server answered Binding requests" "none in its -v output"
            fi
        fi
        end_row
        ;;
    rtw-chromium)
        row rtw-chromium
        peer_row rtw-chromium 1 browser
        end_row
        ;;
    rtw-firefox)
        row rtw-firefox
        browser=firefox
        peer_row rtw-firefox 1
        browser=chromium
        end_row
        ;;
    demo)
        # The demo page `rtw signal serve` gives at / (crates/cli/src/signal/
        # demo.html), in three Chromium processes joining one room from
        # its query string, with rtw's STUN server beside it: each page's
        # console must show both other peers' data channel open, their
        # greeting sent over it, and their video playing.
        row demo
        if signal_serve --stun 127.0.0.1:3481; then
            demo_addr="${sig#ws://}"
            demo_addr="${demo_addr%/signal}"
            for p in d1 d2 d3; do
                chromium "$p" "http://$demo_addr/?room=demo&peer=$p&say=hello-from-$p"
            done
            demo_done() {
                local p o
                for p in d1 d2 d3; do
                    for o in d1 d2 d3; do
                        [ "$p" = "$o" ] && continue
                        grep -q "\"$o: hello-from-$o\"" "$dir/$p.err" 2>/dev/null || return 1
                        grep -q "\"$o: video playing\"" "$dir/$p.err" 2>/dev/null || return 1
                    done
                done
            }
            for _ in $(seq $((page_limit * 10))); do
                demo_done && break
                sleep 0.1
            done
            for p in d1 d2 d3; do
                for o in d1 d2 d3; do
                    [ "$p" = "$o" ] && continue
                    for line in "$o: ICE connected" "$o connected" "$o: hello-from-$o" "$o: video playing"; do
                        if grep -q "\"$line\"" "$dir/$p.err" 2>/dev/null; then
                            pass "demo page $p shows \"$line\""
                        else
                            fail "demo page $p shows \"$line\"" "not in its console"
                            show "$dir/$p.err" 6
                        fi
                    done
                done
            done
        fi
        end_row
        ;;
    *)
        echo "netns.sh: no row $r" >&2
        ;;
    esac
done

{
    printf '%d %d\n' "$passed" "$failed"
    printf '%s\n' "${rows[@]}"
} >"$out/counts"
