#!/usr/bin/env python3
"""Attack drivers of suite `attacks` (see README.md beside this file).

    python3 attack.py ROW --rtw PATH [--full]

ROW is one of: ws-unfinished, ws-idle-deflate, ws-window-bits,
ws-half-open, ws-conn-cap, sse-slowloris (each starts its own `rtw` servers), or
`sdp N` (prints a BUNDLEd offer of N media sections on stdout).

Python 3 standard library only. The WebSocket client (RFC 6455 handshake
and masked framing, RFC 7692 permessage-deflate with raw deflate) is
written here from the RFCs. Everything stays on 127.0.0.0/8, every wait
is bounded, and every server started here dies with this process
(PR_SET_PDEATHSIG, and a kill in `finally`).

Output: `@@pass NAME`, `@@fail NAME<TAB>REASON` for the suite's checks,
informational lines indented, `@@done` last when the helper finished.
"""

import argparse
import asyncio
import os
import re
import signal
import socket
import sys
import time
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from lib import (  # noqa: E402 (the shared helpers, conformance/lib.py)
    MiB,
    KiB,
    HOST,
    say,
    info,
    check,
    times,
    mib,
    raise_nofile,
    flags,
    Server,
    stop_all,
    settle,
    established,
    frame,
    close_frame,
    ws_connect,
    open_many,
    spread,
    send,
    watch,
    deflate_message,
    inflate_message,
    echo_ok,
    wait_closed,
)


# ---------------------------------------------------------------------------
# Row 1: permessage-deflate, a compressed message never finished
# ---------------------------------------------------------------------------


def unfinished_fragments(count, size=MiB):
    """COUNT fragments of one compressed message of zeros: the reproduction
    of the report (compressobj(9, DEFLATED, -15), each fragment
    compress(SIZE zeros) + flush(Z_SYNC_FLUSH)). The first carries RSV1
    and opcode 2, the rest are continuations, none has FIN."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    zeros = b"\0" * size
    payloads = [c.compress(zeros) + c.flush(zlib.Z_SYNC_FLUSH) for _ in range(count)]
    return payloads


async def unfinished_run(rtw, label, n, server_flags, window, wire=None):
    """N connections each send the unfinished message; returns figures."""
    server = Server(rtw, "ws echo-server", server_flags)
    try:
        base = await settle(server, at_least=0.3, at_most=2)
        conns = await open_many(server.port, n, ext="permessage-deflate")
        up = [c for c in conns if c.status == 101 and c.deflate.startswith("permessage-deflate")]
        info(f"{label}: {len(up)} of {n} upgraded with permessage-deflate; baseline VmRSS {mib(base)}")
        payloads = wire or unfinished_fragments(63)
        watchers = [asyncio.ensure_future(watch(c)) for c in up]

        async def attack(c):
            for i, p in enumerate(payloads):
                if not await send(c, frame(2 if i == 0 else 0, p, fin=False, rsv1=(i == 0))):
                    break

        t0 = time.monotonic()
        await asyncio.gather(*(attack(c) for c in up))
        sent = sum(c.sent for c in up)
        held = await settle(server, at_least=1.5, at_most=window)
        peak = server.hwm()
        # Let the watchers see closes already sent.
        await asyncio.sleep(0.3)
        still = [c for c in up if c.outcome is None]
        outcomes = {}
        for c in up:
            k = str(c.outcome) if c.outcome is not None else "open"
            outcomes[k] = outcomes.get(k, 0) + 1
        info(f"{label}: {sent} bytes sent in {time.monotonic() - t0:.1f} s; "
             f"VmRSS {mib(held)} (+{mib(held - base)}), peak +{mib(peak - base)}; "
             f"connections: {outcomes}")
        return dict(server=server, base=base, held=held, peak=peak, up=up, still=still,
                    outcomes=outcomes, watchers=watchers, sent=sent, t0=t0, n=n)
    except BaseException:
        server.stop()
        raise


def finish(run):
    for w in run["watchers"]:
        w.cancel()
    for c in run["up"]:
        c.close()
    run["server"].stop()


async def row_deflate_unfinished(rtw, full):
    n = 40 if full else 20
    per_conn = 63 * MiB  # what one connection makes the server hold
    wire = unfinished_fragments(63)
    info(f"each connection: 63 fragments, {sum(len(p) + 14 for p in wire)} bytes on the wire, "
         f"63 MiB of zeros once inflated, no FIN")

    # (a) The attack of the report against the default settings.
    budget = 256 * MiB
    run = await unfinished_run(rtw, f"{n} connections, defaults", n, [], 20 if full else 10, wire)
    try:
        growth = run["peak"] - run["base"]
        check(growth < budget + 64 * MiB,
              f"{n} unfinished deflate messages, default settings: server VmRSS grew "
              f"{growth / MiB:.0f} MiB at peak (held {(run['held'] - run['base']) / MiB:.0f} MiB) "
              f"for {run['sent']} bytes sent (bound: < 256 MiB --message-memory + 64 MiB)",
              f"{growth / MiB:.0f} MiB")
        fit = (budget + 64 * MiB) // per_conn
        bad_codes = {k: v for k, v in run["outcomes"].items()
                     if k not in ("open", "1008", "1009", "eof", "reset")}
        check(len(run["still"]) <= fit and not bad_codes,
              f"connections beyond the budget closed: {len(run['still'])} of {n} still open "
              f"(bound: <= {fit}), outcomes {run['outcomes']}",
              f"{len(run['still'])} still open" + (f", unexpected close codes {bad_codes}" if bad_codes else ""))
        good, why = await echo_ok(run["server"].port)
        check(good, "a fresh normal client gets its echo during the attack", why)
    finally:
        finish(run)

    # (b) The total budget itself: messages allowed to inflate past the
    # budget, so only --message-memory stops them.
    m = 40 if full else 8
    mem = 128 * MiB
    f = flags(rtw, "ws echo-server", [("--max-inflated-message", 100 * MiB), ("--message-memory", mem)])
    run = await unfinished_run(rtw, f"{m} connections, --message-memory 128 MiB", m, f, 20 if full else 10, wire)
    try:
        growth = run["peak"] - run["base"]
        check(growth < mem + 64 * MiB,
              f"--max-inflated-message 100 MiB --message-memory 128 MiB, {m} connections: "
              f"server VmRSS grew {growth / MiB:.0f} MiB at peak (bound: < 128 + 64 MiB)",
              f"{growth / MiB:.0f} MiB")
        closed_codes = sum(v for k, v in run["outcomes"].items() if k in ("1008", "1009"))
        need = m - (mem // per_conn) - 1
        check(closed_codes >= need,
              f"connections over --message-memory closed with 1008/1009: {closed_codes} of {m} "
              f"(bound: >= {need}), outcomes {run['outcomes']}",
              f"{closed_codes} closed with 1008/1009")
        good, why = await echo_ok(run["server"].port)
        check(good, "a fresh normal client gets its echo with the budget spent", why)
    finally:
        finish(run)

    # (c) --message-timeout: an unfinished message is dropped in time.
    k = 3
    timeout = 2
    f = flags(rtw, "ws echo-server", [("--message-timeout", timeout), ("--max-inflated-message", 100 * MiB)])
    run = await unfinished_run(rtw, f"{k} connections, --message-timeout {timeout}", k, f, 4, wire)
    try:
        bound = timeout + 3
        deadline = run["t0"] + bound
        while time.monotonic() < deadline and any(c.outcome is None for c in run["up"]):
            await asyncio.sleep(0.1)
        open_ = [c for c in run["up"] if c.outcome is None]
        ends = [c.ended_at - run["t0"] for c in run["up"] if c.ended_at is not None]
        last = f"{max(ends):.1f} s" if ends and not open_ else f"> {bound} s"
        first = min(ends) if ends else None
        await asyncio.sleep(1)
        after = run["server"].rss()
        early = first is not None and first < timeout - 1
        check(not open_ and not early,
              f"--message-timeout {timeout}: {k - len(open_)} of {k} unfinished messages' connections "
              f"closed ({run['outcomes']}), the first {first or 0:.1f} s and the last {last} after the "
              f"first fragment (bound: between {timeout - 1} and {bound} s)",
              f"{len(open_)} still open after {bound} s" if open_ else
              f"closed after {first:.1f} s, before the timeout: not by it")
        check(after - run["base"] < 64 * MiB,
              f"--message-timeout {timeout}: held memory released: VmRSS {mib(after)}, "
              f"+{mib(after - run['base'])} over the baseline after the closes "
              f"(+{mib(run['peak'] - run['base'])} at peak; bound: < 64 MiB)",
              f"+{mib(after - run['base'])}")
    finally:
        finish(run)


# ---------------------------------------------------------------------------
# Row 2: idle connections that negotiated permessage-deflate
# ---------------------------------------------------------------------------


async def idle_memory(rtw, n, ext):
    server = Server(rtw, "ws echo-server", [])
    conns = []
    try:
        base = await settle(server, at_least=0.3, at_most=2)
        t0 = time.monotonic()
        conns = await open_many(server.port, n, spread(10, 100), ext)
        up = [c for c in conns if c.status == 101]
        deflated = [c for c in up if c.deflate.startswith("permessage-deflate")]
        rss = await settle(server, at_least=1.0, at_most=8)
        per = (rss - base) / max(len(up), 1)
        info(f"offer {ext or '(none)'}: {len(up)} of {n} upgraded in {time.monotonic() - t0:.1f} s, "
             f"{len(deflated)} with permessage-deflate; VmRSS {mib(base)} -> {mib(rss)}: "
             f"{per / KiB:.1f} KiB per connection")
        failures = {}
        for c in conns:
            if c.status != 101:
                k = str(c.status or c.error)
                failures[k] = failures.get(k, 0) + 1
        if failures:
            info(f"not upgraded: {failures}")
        return len(up), len(deflated), per
    finally:
        for c in conns:
            c.close()
        server.stop()


async def row_deflate_idle(rtw, full):
    n = 5000 if full else 2000
    up_d, deflated, per_d = await idle_memory(rtw, n, "permessage-deflate; client_max_window_bits")
    up_p, _, per_p = await idle_memory(rtw, n, None)
    check(up_d == n and deflated == n and up_p == n,
          f"{n} idle connections from 127.0.0.10-{10 + (n - 1) // 100}, 100 per address: "
          f"{up_d} upgraded with deflate offered ({deflated} negotiated it), {up_p} without",
          "not every connection upgraded, so the figures below are not comparable")
    ratio = per_d / per_p if per_p > 0 else float("inf")
    check(ratio <= 1.5,
          f"idle memory: {per_d / KiB:.1f} KiB per connection with permessage-deflate, "
          f"{per_p / KiB:.1f} KiB without: {ratio:.1f}x (bound: <= 1.5x)",
          f"{ratio:.1f}x")


# ---------------------------------------------------------------------------
# Row 3: server_max_window_bits=8 and a message that inflates 1,000 times
# ---------------------------------------------------------------------------


async def bomb_exchange(port, ext, message, read, wait):
    """Upgrade offering EXT, send MESSAGE compressed (or RSV1 anyway when
    deflate was declined), read the answer (when READ) until a whole
    message, a close or WAIT seconds; then close. Returns (conn, note)."""
    conn = await ws_connect(port, None, ext)
    if conn.status != 101:
        return conn, f"upgrade refused: {conn.status or conn.error}"
    accepted = conn.deflate.startswith("permessage-deflate")
    payload = deflate_message(message)
    note = f"extension response: {conn.deflate or '(none: deflate declined)'}; "
    note += f"{len(message)} bytes sent as {len(payload)} compressed"
    conn.frames.keep = False
    await send(conn, frame(2, payload, rsv1=True))
    if read:
        try:
            await asyncio.wait_for(watch(conn, until_message=True), wait)
        except asyncio.TimeoutError:
            note += f"; still receiving after {wait} s"
    else:
        await asyncio.sleep(wait)
    if accepted is False:
        note += f"; RSV1 frame without deflate answered with close {conn.frames.close_code()}"
    return conn, note


async def finish_exchange(conn, read_more=2.0):
    """Close our side and count what else the server sends (bounded)."""
    if conn.sock is None:
        return
    await send(conn, close_frame())
    conn.first_close = conn.frames.close_code()
    conn.frames.frames = [f for f in conn.frames.frames if f[2] != 8]
    try:
        await asyncio.wait_for(watch(conn), read_more)
    except asyncio.TimeoutError:
        pass
    conn.close()


async def row_window_bits(rtw, full):
    bomb = b"\0" * (64 * MiB)
    ext8 = "permessage-deflate; server_max_window_bits=8"

    # (a) A reading client: bytes out per byte in. Then (a2) the same
    # offer with a message under the inflation limit, so only the echo's
    # compression (or declining the offer) keeps the answer small.
    for message, label, wait in ((bomb, "64 MiB", 20), (b"\0" * (8 * MiB), "8 MiB", 10)):
        server = Server(rtw, "ws echo-server", [])
        try:
            conn, note = await bomb_exchange(server.port, ext8, message, read=True, wait=wait)
            info(note)
            await finish_exchange(conn)
            out, inn = conn.frames.received, conn.sent
            ratio = out / inn if inn else 0
            check(out <= 1.1 * inn + 1024,
                  f"offer {ext8}, {label} of zeros sent compressed ({inn} bytes in): the server "
                  f"sent {out} bytes back: {times(ratio)} bytes out per byte in "
                  f"(bound: <= 1.1 x in + 1 KiB); "
                  f"close {conn.first_close or conn.frames.close_code()}",
                  f"{ratio:.1f}x")
        finally:
            server.stop()

    # (b) A client that never reads: what the server queues.
    server = Server(rtw, "ws echo-server", [])
    try:
        base = await settle(server, at_least=0.3, at_most=2)
        conn, note = await bomb_exchange(server.port, ext8, bomb, read=False, wait=3)
        held = await settle(server, at_least=0.5, at_most=5)
        peak = server.hwm()
        conn.close()
        check(peak - base < 48 * MiB,
              f"same offer and message, the client never reads: server VmRSS +{mib(held - base)} "
              f"held, +{mib(peak - base)} at peak (bound: < 48 MiB: 16 MiB "
              f"--max-inflated-message + 32 MiB)",
              f"+{mib(peak - base)}")
    finally:
        server.stop()

    # (c) A normal offer: the echo of a compressible message stays compressed.
    server = Server(rtw, "ws echo-server", [])
    try:
        text = b"".join(b'{"seq":%d,"event":"tick","payload":"the quick brown fox"}\n' % i
                        for i in range(16000))
        ext = "permessage-deflate; client_max_window_bits"
        conn = await ws_connect(server.port, None, ext)
        if conn.status != 101 or not conn.deflate.startswith("permessage-deflate"):
            check(False, "normal offer: permessage-deflate negotiated",
                  f"{conn.status or conn.error}, extensions {conn.deflate!r}")
        else:
            payload = deflate_message(text)
            await send(conn, frame(1, payload, rsv1=True))
            try:
                await asyncio.wait_for(watch(conn, until_message=True), 10)
            except asyncio.TimeoutError:
                pass
            data = [(r, p) for _, r, op, _, p in conn.frames.frames if op in (0, 1)]
            got = b"".join(p for _, p in data)
            compressed = bool(data) and data[0][0]
            same = bool(data) and (inflate_message(got) if compressed else got) == text
            await finish_exchange(conn, 1.0)
            out, inn = conn.frames.received, conn.sent
            check(compressed and same and out <= 1.1 * inn + 1024,
                  f"normal offer, a {len(text)}-byte text sent as {len(payload)} compressed: echo "
                  f"{'compressed' if compressed else 'NOT compressed'}, {out} bytes out for {inn} in: "
                  f"{out / inn:.2f}x (bound: <= 1.1 x in + 1 KiB)",
                  f"echo {'intact' if same else 'wrong or missing'}, {out / inn:.2f}x")
    finally:
        server.stop()


# ---------------------------------------------------------------------------
# Rows 4 and 5: silent peers, connection caps
# ---------------------------------------------------------------------------


async def row_half_open(rtw, full):
    n = 20
    if full:
        f, bound = [], 150
    else:
        f = flags(rtw, "ws echo-server", [("--ping-interval", 1), ("--ping-timeout", 1)])
        bound = 6
    server = Server(rtw, "ws echo-server", f)
    conns = []
    try:
        conns = await open_many(server.port, n)
        up = sum(c.status == 101 for c in conns)
        info(f"{up} of {n} upgraded; the client now neither reads nor answers pings")
        left, t = await wait_closed(server.port, bound)
        what = " ".join(f) or "default settings"
        check(up == n and left == 0,
              f"{n} silent peers, {what}: {left} of {n} still ESTABLISHED at the server after "
              f"{t:.1f} s (bound: 0 within {bound} s)",
              f"{left} still open")
    finally:
        for c in conns:
            c.close()
        server.stop()


async def idle_closed(server, conns, names, bound):
    """The accepted idle CONNS (which never answer pings) are closed by
    the server within BOUND seconds; then a new client gets its echo."""
    open_now = established(server.port)
    left, t = await wait_closed(server.port, bound)
    check(left == 0,
          f"accepted idle connections that never answer pings, {names}: {open_now} open, "
          f"{left} still ESTABLISHED after {t:.1f} s (bound: 0 within {bound} s)",
          f"{left} still open")
    for c in conns:
        c.close()
    good, why = await echo_ok(server.port)
    check(good, "after them, a new client from the same address gets its echo", why)


def tally(conns):
    up = sum(c.status == 101 for c in conns)
    refused = sum(c.status == 503 for c in conns)
    other = {}
    for c in conns:
        if c.status not in (101, 503):
            k = str(c.status or c.error)
            other[k] = other.get(k, 0) + 1
    return up, refused, other


async def row_conn_cap(rtw, full):
    n = 5000 if full else 1500
    # (a) One source address, the default per-address cap, default
    # timers (so no connection is closed while they are counted).
    server = Server(rtw, "ws echo-server", [])
    conns = []
    try:
        t0 = time.monotonic()
        conns = await open_many(server.port, n)
        up, refused, other = tally(conns)
        info(f"{n} upgrades from 127.0.0.1 in {time.monotonic() - t0:.1f} s: {up} x 101, "
             f"{refused} x 503, other {other or 'none'}")
        check(up <= 1000 and refused == n - up,
              f"{n} idle connections from one address, default settings: {up} accepted "
              f"(bound: <= 1000, --max-connections-per-ip default), {refused} answered 503",
              f"{up} accepted, {refused} x 503, other {other}")
        if full:
            await idle_closed(server, conns, "default settings", 150)
    finally:
        for c in conns:
            c.close()
        server.stop()

    # (a') CI: the same attack against short timers.
    if not full:
        f = flags(rtw, "ws echo-server", [("--ping-interval", 1), ("--ping-timeout", 1)])
        server = Server(rtw, "ws echo-server", f)
        conns = []
        try:
            conns = await open_many(server.port, n)
            up, refused, other = tally(conns)
            info(f"{n} upgrades from 127.0.0.1: {up} x 101, {refused} x 503, other {other or 'none'}")
            await idle_closed(server, conns, " ".join(f) or "default settings", 6)
        finally:
            for c in conns:
                c.close()
            server.stop()

    # (b) The total cap, connections spread over addresses.
    cap = 300
    m = 400
    f = flags(rtw, "ws echo-server", [("--max-connections", cap), ("--max-connections-per-ip", 10000)])
    server = Server(rtw, "ws echo-server", f)
    conns = []
    try:
        conns = await open_many(server.port, m, spread(2, 100))
        up = sum(c.status == 101 for c in conns)
        refused = sum(c.status == 503 for c in conns)
        check(up <= cap and refused == m - up,
              f"--max-connections {cap}, {m} connections from 127.0.0.2-5: {up} accepted "
              f"(bound: <= {cap}), {refused} answered 503",
              f"{up} accepted, {refused} x 503")
    finally:
        for c in conns:
            c.close()
        server.stop()


# ---------------------------------------------------------------------------
# Row 6: `rtw sse serve`, request headers one byte at a time
# ---------------------------------------------------------------------------

TRICKLE = b"GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Trickle: " + b"a" * 100000


async def sse_get(port, src, timeout):
    """A normal EventSource-like request: (status, first event line, secs)."""
    loop = asyncio.get_running_loop()
    t0 = time.monotonic()
    sock = socket.socket()
    sock.setblocking(False)
    sock.bind((src, 0))
    status, event = None, None
    try:
        async def go():
            nonlocal status, event
            await loop.sock_connect(sock, (HOST, port))
            await loop.sock_sendall(sock, b"GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                          b"Accept: text/event-stream\r\n\r\n")
            buf = b""
            while True:
                chunk = await loop.sock_recv(sock, 4096)
                if not chunk:
                    return
                buf += chunk
                m = re.match(rb"HTTP/1\.1 (\d{3})", buf)
                if m:
                    status = int(m.group(1))
                d = re.search(rb"\ndata:[^\r\n]*", buf)
                if d:
                    event = d.group(0).strip().decode()
                    return
        await asyncio.wait_for(go(), timeout)
    except (OSError, asyncio.TimeoutError):
        pass
    finally:
        sock.close()
    return status, event, time.monotonic() - t0


async def row_sse_slowloris(rtw, full):
    if full:
        n, every, f, bound = 2000, 3.0, [], 61.0
    else:
        n, every = 1100, 0.5
        f = flags(rtw, "sse serve", [("--header-timeout", 1)])
        bound = 5.0
    server = Server(rtw, "sse serve", f, nofile=1024)
    socks = []
    try:
        loop = asyncio.get_running_loop()
        t0 = time.monotonic()
        closed = {}
        sem = asyncio.Semaphore(500)

        async def connect(i):
            s = socket.socket()
            s.setblocking(False)
            try:
                async with sem:
                    await asyncio.wait_for(loop.sock_connect(s, (HOST, server.port)), 5)
                    await loop.sock_sendall(s, TRICKLE[:1])
            except (OSError, asyncio.TimeoutError) as e:
                s.close()
                closed[i] = ("connect " + type(e).__name__, time.monotonic())
                return None
            return s

        socks = await asyncio.gather(*(connect(i) for i in range(n)))
        connected = sum(s is not None for s in socks)
        t1 = time.monotonic()
        info(f"{connected} of {n} connected from 127.0.0.1 in {t1 - t0:.1f} s (the others found "
             f"the accept queue full), each sending one header byte every {every:g} s")

        async def reader(i, s):
            first = b""
            try:
                while True:
                    data = await loop.sock_recv(s, 4096)
                    if not data:
                        break
                    first = first or data
            except OSError:
                pass
            m = re.match(rb"HTTP/1\.1 (\d{3})", first)
            closed.setdefault(i, (m.group(1).decode() if m else "closed", time.monotonic()))

        async def trickle():
            k = 1
            while True:
                await asyncio.sleep(every)
                for i, s in enumerate(socks):
                    if s is not None and i not in closed:
                        try:
                            s.send(TRICKLE[k:k + 1])
                        except OSError:
                            closed.setdefault(i, ("send failed", time.monotonic()))
                k += 1

        tasks = [asyncio.ensure_future(reader(i, s)) for i, s in enumerate(socks) if s is not None]
        tasks.append(asyncio.ensure_future(trickle()))
        try:
            client_bound = (30.0 if full else 5.0)
            status, event, secs = await sse_get(server.port, "127.0.0.9", client_bound)
            check(status == 200 and event is not None,
                  f"meanwhile a client from 127.0.0.9 gets {status or 'nothing'} and "
                  f"{event or 'no event'} in {secs:.1f} s (bound: 200 and an event within "
                  f"{client_bound:g} s)",
                  f"status {status}, event {event}")
            end = (t0 if full else t1) + bound
            while time.monotonic() < end and any(i not in closed for i in range(n)):
                await asyncio.sleep(0.2)
            still = sum(1 for i in range(n) if i not in closed)
            how = {}
            for why, when in closed.values():
                how[why] = how.get(why, 0) + 1
            info(f"how they ended: {how or 'none did'} (a status: the server's answer before closing)")
            since = "the start" if full else "the last connect"
            check(still == 0,
                  f"{n} trickling connections ({connected} connected) under --nofile=1024, "
                  f"{' '.join(f) or 'default settings'}: {still} still open "
                  f"{time.monotonic() - (t0 if full else t1):.1f} s after {since} "
                  f"(bound: 0 after {bound:g} s)",
                  f"{still} still open")
        finally:
            for t in tasks:
                t.cancel()
        emfile = server.stderr().count("Too many open files")
        if emfile:
            info(f"server stderr mentions EMFILE ({emfile} times in its last 600 bytes)")
    finally:
        for s in socks:
            if s is not None:
                s.close()
        server.stop()


# ---------------------------------------------------------------------------
# Row 7's input
# ---------------------------------------------------------------------------


def sdp_offer(n):
    """A BUNDLEd offer of N short audio sections: one group naming every
    mid, ICE credentials and the connection line at session level, each
    section a mid and two rtpmaps; the DTLS fingerprint and setup role
    only in the last section, which lends them to the whole group (RFC
    8843), so a checker looking them up through the group for every
    section walks the group for each."""
    mids = " ".join(str(i) for i in range(n))
    out = [
        "v=0",
        "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
        "s=-",
        "c=IN IP4 0.0.0.0",
        "t=0 0",
        f"a=group:BUNDLE {mids}",
        "a=ice-ufrag:Vq7a",
        "a=ice-pwd:pJCLjOuBrTTj2b8zGWN4ZzNN",
    ]
    for i in range(n):
        out += [
            "m=audio 9 UDP/TLS/RTP/SAVPF 0 8",
            f"a=mid:{i}",
            "a=rtpmap:0 PCMU/8000",
            "a=rtpmap:8 PCMA/8000",
        ]
    out += [
        "a=fingerprint:sha-256 19:E2:1C:3B:4B:9F:81:E6:B8:5C:F4:A5:A8:D8:73:04"
        ":BB:05:2F:70:9F:04:A9:0E:05:E9:26:33:E8:70:88:A2",
        "a=setup:actpass",
    ]
    return "\r\n".join(out) + "\r\n"


# ---------------------------------------------------------------------------

ROWS = {
    "ws-unfinished": row_deflate_unfinished,
    "ws-idle-deflate": row_deflate_idle,
    "ws-window-bits": row_window_bits,
    "ws-half-open": row_half_open,
    "ws-conn-cap": row_conn_cap,
    "sse-slowloris": row_sse_slowloris,
}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("row", choices=[*ROWS, "sdp"])
    p.add_argument("n", nargs="?", type=int)
    p.add_argument("--rtw")
    p.add_argument("--full", action="store_true")
    a = p.parse_args()
    if a.row == "sdp":
        sys.stdout.write(sdp_offer(a.n))
        return
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    nofile = raise_nofile()
    info(f"client RLIMIT_NOFILE {nofile}")
    try:
        asyncio.run(ROWS[a.row](a.rtw, a.full))
    except RuntimeError as e:
        check(False, f"{a.row}: server", str(e))
    finally:
        stop_all()
    say("@@done")


if __name__ == "__main__":
    main()
