#!/usr/bin/env python3
# abuse-limit: 150 900
"""Row abuse-serve: `rtw serve` (every push transport over one hub)
against slow, silent and hostile clients.

Documented defaults (`rtw serve --help`, rtw-tokio's serve::Limits and
ws::Options tables, rtw-hub's Limits, rtw-tokio's listener):
- a request head within 10 s (--header-timeout), else the connection is
  closed; a body within 10 s (408);
- WebSocket: a peer quiet for 30 s is pinged (--ws-ping-interval) and
  closed 1011 when nothing comes back 30 s after (--ws-ping-timeout);
  SSE: a comment every 15 s on an idle stream; TCP keepalive after 60 s
  idle (--tcp-keepalive), probes 10 s apart; what is sent and stays
  unacknowledged for 120 s (--tcp-user-timeout) drops the connection;
- 10,000 connections, 1,000 per client address: 503 before the request
  is read; 10,000 streams (--max-streams: stream, iframe, SSE, WebSocket,
  M-JPEG): 503 (WebSocket: before the upgrade);
- a subscriber's queue holds 1,024 messages or 1 MiB: past it the hub
  evicts it (WebSocket close 1013 `evicted: resume with since=N`, SSE and
  streams ended); 16 MiB write buffer per WebSocket;
- a message is at most 64 KiB (--max-body; a WebSocket message over twice
  that closes 1009); a bad frame closes 1002;
- permessage-deflate is not negotiated: nothing is inflated.
"""

import asyncio
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import common  # noqa: E402
from common import check, lib  # noqa: E402

SUB = "serve"
MiB = lib.MiB
SSE_PATH = "/topics/t/events"
TRICKLE = b"GET /topics/t/events HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Trickle: " + b"a" * 4096


def serve(ctx, args):
    return ctx.server(SUB, args, listen="--listen")


async def header_timeout(ctx):
    """A request head one byte at a time is cut off after --header-timeout
    (default 10 s; CI: 2 s)."""
    t = ctx.scale(2, 10)
    f = [] if ctx.full else ctx.flags(SUB, [("--header-timeout", t)])
    server = serve(ctx, f)
    await common.check_trickle(ctx, server.port, TRICKLE, "an SSE request head", t, t * 1.5 + 1)


async def caps(ctx):
    """Connections per address and in all (503 before the request is
    read), streams (--max-streams: 503, a WebSocket before the upgrade)."""
    per_ip, total, streams = 20, 50, 40
    f = ctx.flags(SUB, [("--max-connections", total), ("--max-connections-per-ip", per_ip),
                        ("--max-streams", streams)])
    server = serve(ctx, f)
    socks = []
    try:
        a = await common.hold_many(server.port, 30, lambda i: common.sse_open(server.port, SSE_PATH, "127.0.4.1"))
        socks += [s for _, s in a if s]
        st = [x for x, _ in a]
        check(st.count(200) == per_ip and st.count(503) == 30 - per_ip,
              f"--max-connections-per-ip {per_ip}, 30 SSE subscribers from 127.0.4.1: "
              f"{st.count(200)} x 200, {st.count(503)} x 503 (bound: {per_ip} x 200, the rest 503)",
              f"statuses {sorted(map(str, st))}")
        srcs = common.sources(10, (4, 10))
        b = await lib.open_many(server.port, 30, src=lambda i: srcs[i % 10], path="/topics/t/ws")
        up, refused = sum(c.status == 101 for c in b), sum(c.status == 503 for c in b)
        check(up == streams - per_ip and refused == 30 - up,
              f"--max-streams {streams}: then 30 WebSocket upgrades from 127.0.4.10-19: {up} x 101, "
              f"{refused} x 503 (bound: {streams - per_ip} x 101, the rest 503 before the upgrade)",
              f"{up} x 101, {refused} x 503, other {[c.status or c.error for c in b if c.status not in (101, 503)]}")
        c = await common.hold_many(server.port, 20, lambda i: common.sse_open(server.port, SSE_PATH, srcs[i % 10]))
        socks += [s for _, s in c if s]
        st = [x for x, _ in c]
        check(st.count(503) == 20,
              f"--max-connections {total}: 20 more SSE requests from 127.0.4.10-19 with "
              f"{per_ip + up} open: {st.count(503)} x 503 (bound: 20 x 503)",
              f"statuses {sorted(map(str, st))}")
        for conn in b:
            conn.close()
    finally:
        for s in socks:
            s.close()


async def idle(ctx):
    """WebSocket subscribers that stay silent are pinged and closed 1011;
    one that answers stays; an idle SSE stream gets its keep-alive comment."""
    interval, timeout = ctx.scale(1, 30), ctx.scale(1, 30)
    f = [] if ctx.full else ctx.flags(SUB, [("--ws-ping-interval", interval),
                                            ("--ws-ping-timeout", timeout)])
    server = serve(ctx, f)
    names = " ".join(f) or "default settings"
    silent = await lib.open_many(server.port, 10, path="/topics/t/ws")
    alive = await lib.ws_connect(server.port, path="/topics/t/ws")
    _, sse = await common.sse_open(server.port, SSE_PATH)
    answerer = common.PingAnswerer(alive)
    bound = interval + timeout + ctx.scale(3, 10)
    t0 = time.monotonic()
    try:
        codes, last = {}, 0.0
        for c in silent:
            how, _, _, first, _ = await common.read_until_closed(c.sock, max(0.1, bound - (time.monotonic() - t0)))
            code = common.ws_close_code(first)
            k = f"close {code}" if code is not None else how
            codes[k] = codes.get(k, 0) + 1
            last = time.monotonic() - t0
        check(codes.get("close 1011") == 10,
              f"10 silent WebSocket subscribers, {names}: {codes} within {last:.1f} s "
              f"(bound: 1011 within {bound} s)", f"{codes}")
        pings = answerer.pings
        check(pings >= 1 and alive.sock is not None and alive.frames.close_code() is None,
              f"a WebSocket subscriber that answers pings: pinged {pings} times, still open "
              f"(bound: pinged, open)", f"pings {pings}, close {alive.frames.close_code()}")
        if ctx.full:
            how, secs, _, first, _ = await common.read_until_closed(sse, 17)
            check(b"\n:" in first or first.startswith(b":"),
                  f"an idle SSE subscriber: a keep-alive comment within {secs:.1f} s (bound: 15 s)",
                  f"{how}, {first[:80]!r}")
    finally:
        answerer.stop()
        alive.close()
        if sse:
            sse.close()
        for c in silent:
            c.close()


async def half_open(ctx):
    """Peers that vanish without a FIN or a reset (half-open TCP: the
    loopback of a private network namespace taken down under them). A
    WebSocket subscriber is pinged and closed after --ws-ping-interval +
    --ws-ping-timeout (30 + 30 s; CI: 1 + 1 s). An idle SSE subscriber has
    no ping: the kernel drops its connection once a keep-alive comment
    (every 15 s) or a keepalive probe has gone unacknowledged for
    --tcp-user-timeout (120 s; CI: 3 s, with --tcp-keepalive 1), and the
    server lets go of it at its next write."""
    f = [] if ctx.full else ctx.flags(SUB, [("--ws-ping-interval", 1), ("--ws-ping-timeout", 1),
                                            ("--tcp-keepalive", 1), ("--tcp-user-timeout", 3)])
    names = " ".join(f) or "default settings"
    ws_bound = ctx.scale(1 + 1 + 3, 30 + 30 + 10)
    sse_bound = ctx.scale(15 + 3 + 3, 120 + 15 + 15 + 5)

    async def ws(port):
        c = await lib.ws_connect(port, path="/topics/t/ws")
        if c.status != 101:
            raise RuntimeError(f"WebSocket upgrade: {c.status or c.error}")
        return c.sock

    async def sse(port):
        status, s = await common.sse_open(port, SSE_PATH)
        if s is None:
            raise RuntimeError(f"SSE: {status}")
        return s

    r = await common.half_open(ctx, SUB, f, [("WebSocket", ws), ("SSE", sse)],
                               max(ws_bound, sse_bound) + 5, listen="--listen")
    dropped, released = r["dropped"], r["released"]
    check(r["held"] == 2 and dropped.get("WebSocket", ws_bound + 1) <= ws_bound,
          f"half-open TCP, {names}: a WebSocket subscriber closed by the server "
          f"{dropped.get('WebSocket', 'never')} s after it vanished (bound: {ws_bound} s)", f"{r}")
    check(dropped.get("SSE", sse_bound + 1) <= sse_bound and released is not None
          and released <= sse_bound and r["alive"],
          f"half-open TCP, {names}: an idle SSE subscriber's connection dropped after "
          f"{dropped.get('SSE', 'never')} s, the server's descriptors all released after "
          f"{released if released is not None else 'never'} s (bound: {sse_bound} s)", f"{r}")


async def publisher(port, topic, seconds, size, every=0.0):
    """From a child process: POST SIZE-byte messages to TOPIC for SECONDS
    on one kept-alive connection, one every EVERY seconds (0: as fast as
    the answers come); how many were accepted (2xx)."""
    loop = asyncio.get_running_loop()
    s = await common.connect(port)
    body = b"m" * size
    req = (f"POST /topics/{topic} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
           f"Content-Length: {size}\r\n\r\n").encode() + body
    ok, buf, end = 0, b"", time.monotonic() + seconds
    while time.monotonic() < end:
        await loop.sock_sendall(s, req)
        while not re.search(rb"HTTP/1\.1 \d{3}[^\r]*\r\n(?:[^\r]*\r\n)*?\r\n", buf):
            chunk = await asyncio.wait_for(loop.sock_recv(s, 65536), 5)
            if not chunk:
                return ok
            buf += chunk
        m = re.search(rb"HTTP/1\.1 (\d{3})[^\r]*\r\n((?:[^\r]*\r\n)*?)\r\n", buf)
        length = re.search(rb"(?i)content-length: *(\d+)", m.group(2))
        n = int(length.group(1)) if length else 0
        while len(buf) < m.end() + n:
            buf += await asyncio.wait_for(loop.sock_recv(s, 65536), 5)
        buf = buf[m.end() + n:]
        ok += m.group(1).startswith(b"2")
        if every:
            await asyncio.sleep(every)
    s.close()
    return ok


async def never_readers(ctx):
    """A WebSocket and an SSE subscriber that never read, on a topic that
    gets 64 KiB messages: the hub evicts them (1 MiB queue), the server's
    memory stays bounded, and another WebSocket subscriber's round trip
    stays quick."""
    server = serve(ctx, [])
    base = await lib.settle(server, at_least=0.3, at_most=2)
    ws = await common.connect(server.port, rcvbuf=4096)
    loop = asyncio.get_running_loop()
    await loop.sock_sendall(ws, lib.upgrade_request(server.port, "dGhlIHNhbXBsZSBub25jZQ==",
                                                    path="/topics/flood/ws"))
    sse = await common.connect(server.port, rcvbuf=4096)
    await loop.sock_sendall(sse, b"GET /topics/flood/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    probe = await common.WsEcho.open(server.port, path="/topics/probe/ws")
    seconds = ctx.scale(5, 20)
    job = common.in_child(publisher, server.port, "flood", seconds, 60000, timeout=seconds + 20)
    lat, bad = await common.probe_latency(probe.round_trip, seconds, 0.02)
    published = await job
    peak = server.hwm() - base
    ends = {}
    for name, s in (("WebSocket", ws), ("SSE", sse)):
        how, secs, total, _, last = await common.read_until_closed(s, 5.0)
        if name == "WebSocket":
            code = common.ws_close_code_tail(last)
            end = f"close {code}" if code is not None else how
        else:
            # The response ends (its last chunk); the connection may stay.
            end = "stream ended" if last.endswith(b"\r\n0\r\n\r\n") else how
        ends[name] = (end, total)
        s.close()
    p99 = common.percentile(lat, 0.99)
    check(ends["WebSocket"][0] in ("close 1013", "eof", "reset") and ends["SSE"][0] != "open"
          and peak < 64 * MiB,
          f"a WebSocket and an SSE subscriber that never read, {published} messages of 60 KB "
          f"published in {seconds} s: WebSocket {ends['WebSocket'][0]} after "
          f"{ends['WebSocket'][1] / MiB:.1f} MiB, SSE {ends['SSE'][0]} after "
          f"{ends['SSE'][1] / MiB:.1f} MiB; server peak RSS +{peak / MiB:.1f} MiB "
          f"(bound: both ended (1013 / end of stream), < +64 MiB)",
          f"{ends}, +{peak / MiB:.1f} MiB")
    check(bad == 0 and p99 is not None and p99 < 0.25,
          f"meanwhile another WebSocket subscriber's publish round trip: p50 "
          f"{common.ms(common.percentile(lat, 0.5))}, p99 {common.ms(p99)}, {len(lat)} round trips, "
          f"{bad} failed (bound: p99 < 250 ms, none failed)", f"p99 {common.ms(p99)}, {bad} failed")
    probe.close()


async def write_timeout(ctx):
    """A WebSocket and an SSE subscriber that never read, not even after
    the hub evicts them: their sockets fill, the server's writes stall
    (then the hub's 1 MiB queue overflows: the close, or the stream's end,
    waits behind them), and --write-timeout (default 30 s; CI: 2 s) closes
    them; nothing is read from them. The messages come one every 5 ms,
    slower than a subscriber's task writes: the sockets fill before the
    queue overflows. (Published as fast as possible, the queue may
    overflow first: the close frame or the stream's end still fits in the
    socket, and the WebSocket close timeout (5 s) or the idle keep-alive
    connection's --header-timeout ends the connection instead.)"""
    t = ctx.scale(2, 30)
    f = [] if ctx.full else ctx.flags(SUB, [("--write-timeout", t)])
    server = serve(ctx, f)
    names = " ".join(f) or "default settings"
    loop = asyncio.get_running_loop()
    ws = await common.connect(server.port, rcvbuf=4096)
    await loop.sock_sendall(ws, lib.upgrade_request(server.port, "dGhlIHNhbXBsZSBub25jZQ==",
                                                    path="/topics/stall/ws"))
    sse = await common.connect(server.port, rcvbuf=4096)
    await loop.sock_sendall(sse, f"GET {SSE_PATH.replace('/t/', '/stall/')} HTTP/1.1\r\n"
                                 f"Host: 127.0.0.1\r\n\r\n".encode())
    seconds = ctx.scale(3, 5)
    bound = t + 3
    try:
        job = common.in_child(publisher, server.port, "stall", seconds, 60000, 0.005,
                              timeout=seconds + 20)
        closed = await asyncio.gather(*(common.wait_server_closed(server.port, s.getsockname()[1],
                                                                  bound + 5) for s in (ws, sse)))
        published = await job
        figures = ", ".join(f"{name} {'still open' if c is None else f'closed after {c:.1f} s'}"
                            for name, c in zip(("WebSocket", "SSE"), closed))
        check(all(c is not None and c <= bound for c in closed),
              f"a WebSocket and an SSE subscriber that never read, {names}, {published} messages "
              f"of 60 KB published over {seconds} s from t=0 (a POST every 5 ms): {figures}, nothing read "
              f"(bound: both closed by the server within {bound} s)", figures)
    finally:
        ws.close()
        sse.close()


async def flood(port, kind, seconds):
    """From a child process: 10 WebSocket connections flood KIND."""
    conns = await lib.open_many(port, 10, path="/topics/f/ws")
    up = [c for c in conns if c.status == 101]
    loop = asyncio.get_running_loop()
    chunks = {"pings": lib.frame(9, b"p" * 125) * 512,
              "fragments": lib.frame(1, b"x", fin=False) + lib.frame(0, b"x", fin=False) * 4096}
    sent, closed, t0 = 0, 0, time.monotonic()
    while time.monotonic() - t0 < seconds:
        if kind == "bad frames":
            c = await lib.ws_connect(port, path="/topics/f/ws")
            if c.sock is not None:
                await lib.send(c, lib.frame(3, b"bad"))
                _, _, _, first, _ = await common.read_until_closed(c.sock, 2.0)
                closed += common.ws_close_code(first) == 1002
                sent += 1
                c.close()
            continue
        for c in up:
            try:
                await asyncio.wait_for(loop.sock_sendall(c.sock, chunks[kind]), 0.2)
                sent += len(chunks[kind])
            except (asyncio.TimeoutError, OSError):
                pass
        if kind == "fragments":
            chunks[kind] = lib.frame(0, b"x", fin=False) * 4096
    for c in up:
        c.close()
    return sent, closed


async def floods(ctx):
    """Floods of pings, 1-byte fragments (a message over 128 KiB closes
    1009) and bad frames: RSS bounded, another client's round trip quick."""
    seconds = ctx.scale(4, 20)
    for kind in ("pings", "fragments", "bad frames"):
        server = serve(ctx, [])
        base = await lib.settle(server, at_least=0.3, at_most=2)
        probe = await common.WsEcho.open(server.port, path="/topics/probe/ws")
        job = common.in_child(flood, server.port, kind, seconds, timeout=seconds + 30)
        lat, bad = await common.probe_latency(probe.round_trip, seconds, 0.02)
        sent, closed = await job
        grew = server.hwm() - base
        # Pongs wait in the write buffer of a peer that does not read them.
        bound = (10 * 16 + 32) * MiB if kind == "pings" else 64 * MiB
        what = {"pings": f"10 WebSocket connections x {sent / MiB / 10:.0f} MiB of 125-byte pings",
                "fragments": f"10 WebSocket connections x {sent / MiB / 10:.1f} MiB of 1-byte fragments",
                "bad frames": f"{sent} WebSocket connections each sending a reserved opcode, "
                              f"{closed} closed 1002"}[kind]
        p99 = common.percentile(lat, 0.99)
        ok = grew < bound and bad == 0 and p99 is not None and p99 < 1.0
        if kind == "bad frames":
            ok = ok and closed == sent and sent > 0
        check(ok, f"{what}, {seconds} s: server peak RSS +{grew / MiB:.1f} MiB, another client's "
                  f"round trip p50 {common.ms(common.percentile(lat, 0.5))}, p99 {common.ms(p99)}, "
                  f"{bad} failed (bound: < +{bound / MiB:.0f} MiB"
                  f"{' (16 MiB write buffer each + 32)' if kind == 'pings' else ''}, p99 < 1 s, none failed)",
              f"+{grew / MiB:.1f} MiB, p99 {common.ms(p99)}, {bad} failed")
        probe.close()
        server.stop()


async def no_deflate(ctx):
    """permessage-deflate is not negotiated, so nothing can be inflated: an
    offer gets a 101 without the extension and a compressed frame 1002."""
    server = serve(ctx, [])
    c = await lib.ws_connect(server.port, ext="permessage-deflate; client_max_window_bits",
                             path="/topics/t/ws")
    try:
        ext = c.headers.get("sec-websocket-extensions")
        await lib.send(c, lib.frame(1, lib.deflate_message(b"a" * 60000), rsv1=True))
        _, _, _, first, _ = await common.read_until_closed(c.sock, 5.0)
        code = common.ws_close_code(first)
        check(c.status == 101 and ext is None and code == 1002,
              f"a permessage-deflate offer: {c.status} with extensions {ext!r}; a compressed (RSV1) "
              f"frame: close {code} (bound: 101 without the extension, then 1002)",
              f"status {c.status}, extensions {ext!r}, close {code}")
    finally:
        c.close()


if __name__ == "__main__":
    common.main([header_timeout, caps, idle, half_open, never_readers, write_timeout, floods, no_deflate])
