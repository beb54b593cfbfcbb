#!/usr/bin/env python3
# abuse-limit: 120 600
"""Row abuse-sse: `rtw sse serve` (the demo event stream) against slow,
silent and hostile clients.

Documented defaults (`rtw sse serve --help`, rtw-tokio's sse::KeepAlive,
rtw-tokio's listener):
- a request head within 10 s (--header-timeout), else the connection is
  closed; a body within 30 s (--body-timeout, 408), at most 64 KiB (413);
- an idle stream gets a comment line every 15 s (keep-alive); TCP
  keepalive after 60 s idle (--tcp-keepalive), probes 10 s apart; what
  is sent (a comment, a probe) and stays unacknowledged for 120 s
  (--tcp-user-timeout) drops the connection: a peer that vanished;
- 10,000 connections (--max-connections), 1,000 per client address
  (--max-connections-per-ip): more get 503 before the request is read;
- a client that reads nothing: the stream waits (hyper writes one event
  at a time, nothing queues), and once a write has waited 30 s
  (--write-timeout) the connection is closed.
"""

import asyncio
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import common  # noqa: E402
from common import check, lib  # noqa: E402

SUB = "sse serve"
MiB = lib.MiB
TRICKLE = b"GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Trickle: " + b"a" * 4096


async def header_timeout(ctx):
    """A request head one byte at a time is cut off after --header-timeout
    (default 10 s; CI: 2 s)."""
    t = ctx.scale(2, 10)
    f = [] if ctx.full else ctx.flags(SUB, [("--header-timeout", t)])
    server = ctx.server(SUB, f)
    await common.check_trickle(ctx, server.port, TRICKLE, "an SSE request head", t, t * 1.5 + 1)


async def caps(ctx):
    """Connections per address and in all: 503 before the request is read."""
    per_ip, total = 20, 50
    f = ctx.flags(SUB, [("--max-connections", total), ("--max-connections-per-ip", per_ip)])
    server = ctx.server(SUB, f)
    socks = []
    try:
        a = await common.hold_many(server.port, 30, lambda i: common.sse_open(server.port, "/events", "127.0.5.1"))
        socks += [s for _, s in a if s]
        st = [x for x, _ in a]
        check(st.count(200) == per_ip and st.count(503) == 30 - per_ip,
              f"--max-connections-per-ip {per_ip}, 30 subscribers from 127.0.5.1: {st.count(200)} x 200, "
              f"{st.count(503)} x 503 (bound: {per_ip} x 200, the rest 503)",
              f"statuses {sorted(map(str, st))}")
        srcs = common.sources(10, (5, 10))
        b = await common.hold_many(server.port, 40, lambda i: common.sse_open(server.port, "/events", srcs[i % 10]))
        socks += [s for _, s in b if s]
        st2 = [x for x, _ in b]
        check(st.count(200) + st2.count(200) == total and st2.count(503) == 40 - st2.count(200),
              f"--max-connections {total}, then 40 more from 10 addresses 127.0.5.10-19: "
              f"{st.count(200) + st2.count(200)} open in all, {st2.count(503)} x 503 "
              f"(bound: {total} open, the rest 503)", f"statuses {sorted(map(str, st2))}")
    finally:
        for s in socks:
            s.close()


async def idle(ctx):
    """An idle stream (no event due) gets its keep-alive comment within 15 s."""
    server = ctx.server(SUB, ["--interval-ms", "600000"])
    status, s = await common.sse_open(server.port, "/events")
    try:
        # The first event goes out at once; then nothing for 10 minutes.
        loop = asyncio.get_running_loop()
        t0, buf, comment = time.monotonic(), b"", None
        while time.monotonic() - t0 < 20 and comment is None:
            try:
                buf += await asyncio.wait_for(loop.sock_recv(s, 4096), 1)
            except asyncio.TimeoutError:
                continue
            if b"\n:" in buf.split(b"data:", 1)[-1]:
                comment = time.monotonic() - t0
        check(status == 200 and comment is not None and comment <= 16.5,
              f"an idle stream (--interval-ms 600000): a keep-alive comment after "
              f"{'none' if comment is None else f'{comment:.1f} s'} (bound: <= 15 s + 1.5)",
              f"status {status}, {buf[-120:]!r}")
    finally:
        if s:
            s.close()


async def half_open(ctx):
    """A subscriber that vanishes without a FIN or a reset (half-open TCP:
    the loopback of a private network namespace taken down under it), on
    an idle stream: the kernel drops the connection once a keep-alive
    comment (every 15 s) or a keepalive probe has gone unacknowledged for
    --tcp-user-timeout (120 s; CI: 3 s, with --tcp-keepalive 1), and the
    server lets go of it."""
    f = ["--interval-ms", "600000"] + ([] if ctx.full else ctx.flags(
        SUB, [("--tcp-keepalive", 1), ("--tcp-user-timeout", 3)]))
    bound = ctx.scale(15 + 3 + 3, 120 + 15 + 15 + 5)

    async def sse(port):
        status, s = await common.sse_open(port, "/events")
        if s is None:
            raise RuntimeError(f"SSE: {status}")
        return s

    await common.check_half_open(ctx, SUB, f, "an idle subscriber", sse, bound)


async def never_reader(ctx):
    """Subscribers that read nothing (4 KiB receive buffers) of a fast
    stream (--interval-ms 1): nothing queues in the server's memory, and
    another subscriber gets its events on time. Once the kernel's send
    buffer is full (up to 4 MiB: about 140 s at 1,000 events a second) a
    write waits, and the connection is closed --write-timeout later
    (default 30 s): checked with --full; at CI scale the writer's deadline
    is checked by the unit tests of crates/cli/src/sse/stall.rs."""
    wt = ctx.scale(2, 30)
    f = ["--interval-ms", "1"] + ([] if ctx.full else ctx.flags(SUB, [("--write-timeout", wt)]))
    server = ctx.server(SUB, f)
    base = await lib.settle(server, at_least=0.3, at_most=2)
    stuck = [await common.sse_open(server.port, "/events", rcvbuf=4096) for _ in range(10)]
    _, good = await common.sse_open(server.port, "/events", "127.0.5.99")
    loop = asyncio.get_running_loop()
    bound = ctx.scale(8, wt + 240)
    t0 = time.monotonic()
    gaps, last, events = [], time.monotonic(), 0
    checked = t0
    while time.monotonic() - t0 < bound:
        if ctx.full and time.monotonic() - checked > 1:
            checked = time.monotonic()
            if lib.established(server.port) <= 1:
                break
        try:
            data = await asyncio.wait_for(loop.sock_recv(good, 65536), 1)
        except asyncio.TimeoutError:
            data = b""
        now = time.monotonic()
        if data.count(b"data:"):
            events += data.count(b"data:")
            gaps.append(now - last)
            last = now
    open_left = lib.established(server.port) - 1
    secs = time.monotonic() - t0
    peak = server.hwm() - base
    ends = {}
    for _, s in stuck:
        how, _, total, _, _ = await common.read_until_closed(s, 3.0)
        ends[how] = ends.get(how, 0) + 1
        s.close()
    good.close()
    closed_ok = open_left == 0 if ctx.full else True
    check(closed_ok and peak < 32 * MiB,
          f"10 subscribers that never read, --interval-ms 1, {' '.join(f[2:]) or 'default settings'}: "
          f"{open_left} still open after {secs:.1f} s, then {ends}; server peak RSS "
          f"+{peak / MiB:.1f} MiB (bound: < +32 MiB{'; all closed' if ctx.full else ''})",
          f"{open_left} open, +{peak / MiB:.1f} MiB")
    p99 = common.percentile(gaps, 0.99)
    check(events > 0 and p99 is not None and p99 < 2,
          f"meanwhile another subscriber: {events} events, p99 gap between reads "
          f"{common.ms(p99)} (bound: events flowing, p99 < 2 s)", f"{events} events, p99 {common.ms(p99)}")


if __name__ == "__main__":
    common.main([header_timeout, caps, idle, half_open, never_reader])
