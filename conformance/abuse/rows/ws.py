#!/usr/bin/env python3
# abuse-limit: 180 900
"""Row abuse-ws: `rtw ws echo-server` against slow, silent and hostile
clients.

Documented defaults (`rtw ws echo-server --help`, rtw-tokio's ws::Options
table, rtw-tokio's listener):
- the opening handshake within 10 s (--header-timeout), else the
  connection is dropped;
- a peer quiet for 30 s is pinged (--ping-interval) and closed with 1011
  when nothing comes back 30 s after (--ping-timeout); TCP keepalive after
  60 s idle (--tcp-keepalive), probes 10 s apart; what is sent and stays
  unacknowledged for 120 s (--tcp-user-timeout) drops the connection;
- 10,000 connections (--max-connections), 1,000 per client address
  (--max-connections-per-ip): more get 503 before any upgrade;
- 16 MiB write buffer per connection: a peer that does not read makes its
  echo wait (the server stops reading it), and it is closed once the
  server's writes to it made no progress for 30 s (--write-timeout);
- messages up to 64 MiB (--max-message), frames up to 16 MiB
  (--max-frame), 16 MiB inflated (--max-inflated-message), 256 MiB of
  unfinished messages across all connections (--message-memory, 1009),
  60 s per message (--message-timeout, 1008); a bad frame closes 1002;
- permessage-deflate: 64 MiB inflated per second and connection
  (--max-inflate-rate), a burst of one second; past it reading pauses.
"""

import asyncio
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import common  # noqa: E402
from common import check, info, lib  # noqa: E402

SUB = "ws echo-server"
MiB = lib.MiB
TRICKLE = lib.upgrade_request(0, "dGhlIHNhbXBsZSBub25jZQ==")[:-2] + b"X-Trickle: " + b"a" * 4096


async def header_timeout(ctx):
    """A handshake one byte at a time is cut off after --header-timeout
    (default 10 s; CI: 2 s)."""
    t = ctx.scale(2, 10)
    f = [] if ctx.full else ctx.flags(SUB, [("--header-timeout", t)])
    server = ctx.server(SUB, f)
    await common.check_trickle(ctx, server.port, TRICKLE, "a WebSocket handshake", t, t * 1.5 + 1)


async def caps(ctx):
    """--max-connections and --max-connections-per-ip: 503 when full."""
    per_ip, total = 20, 50
    f = ctx.flags(SUB, [("--max-connections", total), ("--max-connections-per-ip", per_ip)])
    server = ctx.server(SUB, f)
    conns = []
    try:
        a = await lib.open_many(server.port, 30, src=lambda i: "127.0.3.1")
        conns += a
        up, refused = sum(c.status == 101 for c in a), sum(c.status == 503 for c in a)
        other = [c.status or c.error for c in a if c.status not in (101, 503)]
        check(up == per_ip and refused == 30 - per_ip,
              f"--max-connections-per-ip {per_ip}, 30 upgrades from 127.0.3.1: {up} x 101, "
              f"{refused} x 503 (bound: {per_ip} accepted, the rest 503)",
              f"{up} x 101, {refused} x 503, other {other}")
        srcs = common.sources(10, (3, 10))
        b = await lib.open_many(server.port, 40, src=lambda i: srcs[i % 10])
        conns += b
        up2, refused2 = sum(c.status == 101 for c in b), sum(c.status == 503 for c in b)
        check(up + up2 == total and refused2 == 40 - up2,
              f"--max-connections {total}, then 40 more from 10 addresses 127.0.3.10-19: "
              f"{up + up2} open in all, {refused2} x 503 (bound: {total} open, the rest 503)",
              f"{up + up2} open, {refused2} x 503")
    finally:
        for c in conns:
            c.close()


async def idle(ctx):
    """Idle peers are pinged; one that answers stays, silent ones (a peer
    that vanished: nothing comes back) are closed with 1011."""
    interval, timeout = ctx.scale(1, 30), ctx.scale(1, 30)
    f = [] if ctx.full else ctx.flags(SUB, [("--ping-interval", interval),
                                            ("--ping-timeout", timeout)])
    server = ctx.server(SUB, f)
    names = " ".join(f) or "default settings"
    silent = await lib.open_many(server.port, 20)
    alive = await lib.ws_connect(server.port)
    bound = interval + timeout + ctx.scale(3, 10)
    answerer = common.PingAnswerer(alive)
    try:
        left, t = await lib.wait_closed(server.port, bound)
        # Only the live peer may still be there.
        codes = {}
        for c in silent:
            how, _, _, first, _ = await common.read_until_closed(c.sock, 1.0)
            code = common.ws_close_code(first)
            k = f"close {code}" if code is not None else how
            codes[k] = codes.get(k, 0) + 1
        check(left == 1 and codes.get("close 1011") == 20,
              f"20 silent peers, {names}: closed after {t:.1f} s, each with "
              f"{codes} (bound: 1011 within {bound} s)",
              f"{left - 1} still open, {codes}")
        pings = answerer.pings
        check(pings >= 1 and alive.sock is not None and alive.frames.close_code() is None,
              f"a peer that answers pings: pinged {pings} times, still open after {t:.1f} s "
              f"(bound: pinged, open)", f"pings {pings}, close {alive.frames.close_code()}")
    finally:
        answerer.stop()
        alive.close()
        for c in silent:
            c.close()


async def half_open(ctx):
    """A peer that vanishes without a FIN or a reset (half-open TCP: the
    loopback of a private network namespace taken down under it) is
    pinged and closed after --ping-interval + --ping-timeout (30 + 30 s;
    CI: 1 + 1 s), and the server lets go of it."""
    f = [] if ctx.full else ctx.flags(SUB, [("--ping-interval", 1), ("--ping-timeout", 1)])
    bound = ctx.scale(1 + 1 + 3, 30 + 30 + 10)

    async def peer(port):
        c = await lib.ws_connect(port)
        if c.status != 101:
            raise RuntimeError(f"upgrade: {c.status or c.error}")
        return c.sock

    await common.check_half_open(ctx, SUB, f, "a peer", peer, bound)


async def probe_client(port):
    probe = await common.WsEcho.open(port)
    await probe.round_trip()
    return probe


def lat_figure(lat, bad):
    return (f"p50 {common.ms(common.percentile(lat, 0.5))}, p99 {common.ms(common.percentile(lat, 0.99))}"
            f", {len(lat)} round trips, {bad} failed")


async def never_reader_flood(port, seconds):
    """From a child process: a client with a 4 KiB receive buffer sends
    1 MiB messages for SECONDS and never reads; how it ended."""
    loop = asyncio.get_running_loop()
    s = await common.connect(port, rcvbuf=4096)
    key = "dGhlIHNhbXBsZSBub25jZQ=="
    await loop.sock_sendall(s, lib.upgrade_request(port, key))
    msg = lib.frame(2, b"x" * MiB)
    sent, t0, err, stalled = 0, time.monotonic(), None, None
    while time.monotonic() - t0 < seconds:
        try:
            await asyncio.wait_for(loop.sock_sendall(s, msg), 0.5)
            sent += len(msg)
        except asyncio.TimeoutError:
            # The server stopped reading: its writes to us wait.
            stalled = stalled or time.monotonic() - 0.5
            continue
        except OSError as e:
            err = type(e).__name__
            break
    ended = time.monotonic()
    how, _, _, _, _ = await common.read_until_closed(s, 3.0)
    s.close()
    # Seconds from the first stall to the end (None: no stall, or open).
    after = ended - stalled if err and stalled else None
    return sent, err or how, after


async def never_reader(ctx):
    """A client that never reads: the server's write buffer is bounded
    (16 MiB) and the client is closed once the server's writes to it made
    no progress for --write-timeout (before any ping could: the pings are
    later), while another client's echo stays quick."""
    # At CI scale the write timeout is shortened and the pings pushed past
    # the run, so that only the write timeout can close the client; the
    # defaults (30 s; pings 30 s + 30 s) close it before the ping timeout.
    write_timeout = ctx.scale(2, 30)
    f = [] if ctx.full else ctx.flags(SUB, [("--write-timeout", write_timeout),
                                            ("--ping-interval", 300),
                                            ("--ping-timeout", 300)])
    server = ctx.server(SUB, f)
    names = " ".join(f) or "default settings"
    base = await lib.settle(server, at_least=0.3, at_most=2)
    probe = await probe_client(server.port)
    seconds = write_timeout + ctx.scale(6, 15)
    flood = common.in_child(never_reader_flood, server.port, seconds, timeout=seconds + 20)
    lat, bad = await common.probe_latency(probe.round_trip, seconds - 1, 0.02)
    sent, how, after = await flood
    peak = server.hwm() - base
    p99 = common.percentile(lat, 0.99)
    limit = write_timeout + ctx.scale(3, 10)
    took = "never" if after is None else f"{after:.1f} s"
    check(how != "open" and after is not None and after <= limit and peak < 96 * MiB,
          f"a client that never reads, {names}: sent {sent / MiB:.0f} MiB, then {how} "
          f"{took} after its writes stalled; server peak RSS +{peak / MiB:.0f} MiB (bound: "
          f"closed within {limit} s (write timeout {write_timeout} s), < 96 MiB: 16 MiB "
          f"write buffer + one 64 MiB message)",
          f"ended: {how} after {took}, peak +{peak / MiB:.0f} MiB")
    check(bad == 0 and p99 is not None and p99 < 0.25,
          f"meanwhile another client's echo: {lat_figure(lat, bad)} (bound: p99 < 250 ms, none failed)",
          f"p99 {common.ms(p99)}, {bad} failed")
    probe.close()


async def flood(port, kind, seconds):
    """From a child process: 10 connections flood KIND for SECONDS."""
    conns = await lib.open_many(port, 10)
    up = [c for c in conns if c.status == 101]
    loop = asyncio.get_running_loop()
    if kind == "pings":
        chunk = lib.frame(9, b"p" * 125) * 512
    elif kind == "fragments":
        # One message in 1-byte fragments, never finished (--message-timeout ends it).
        chunk = lib.frame(2, b"x", fin=False) + lib.frame(0, b"x", fin=False) * 4096
    else:
        # Bad frames: a reserved opcode, on a fresh connection each time.
        chunk = None
    sent, closed, t0 = 0, 0, time.monotonic()
    while time.monotonic() - t0 < seconds:
        if chunk is None:
            c = await lib.ws_connect(port)
            if c.sock is not None:
                await lib.send(c, lib.frame(3, b"bad"))
                how, _, _, first, _ = await common.read_until_closed(c.sock, 2.0)
                closed += common.ws_close_code(first) == 1002
                sent += 1
                c.close()
            continue
        for c in up:
            try:
                await asyncio.wait_for(loop.sock_sendall(c.sock, chunk if kind != "fragments" or sent else
                                                         chunk), 0.2)
                sent += len(chunk)
            except (asyncio.TimeoutError, OSError):
                pass
        if kind == "fragments":
            chunk = lib.frame(0, b"x", fin=False) * 4096
    for c in up:
        c.close()
    return len(up), sent, closed


async def floods(ctx):
    """Floods of pings, 1-byte fragments and bad frames, each against a
    fresh server: its RSS stays within the documented bounds and another
    client's echo stays quick. The fragments of unfinished messages count
    against --message-memory (256 MiB; CI: 32 MiB), the connection that
    would pass it is closed 1009."""
    seconds = ctx.scale(4, 20)
    memory = ctx.scale(32, 256) * MiB
    for kind in ("pings", "fragments", "bad frames"):
        f = []
        if kind == "fragments" and not ctx.full:
            f = ctx.flags(SUB, [("--message-memory", memory)])
        server = ctx.server(SUB, f)
        base = await lib.settle(server, at_least=0.3, at_most=2)
        probe = await probe_client(server.port)
        job = common.in_child(flood, server.port, kind, seconds, timeout=seconds + 30)
        lat, bad = await common.probe_latency(probe.round_trip, seconds, 0.02)
        up, sent, closed = await job
        grew = server.hwm() - base
        bound = memory + 32 * MiB if kind == "fragments" else 64 * MiB
        what = {"pings": f"10 connections x {sent / MiB / 10:.0f} MiB of 125-byte pings, never reading",
                "fragments": f"10 connections x {sent / MiB / 10:.1f} MiB of 1-byte fragments of one "
                             f"message, {' '.join(f) or 'default settings'}",
                "bad frames": f"{sent} connections each sending a reserved opcode, {closed} closed 1002"}[kind]
        p99 = common.percentile(lat, 0.99)
        ok = grew < bound and bad == 0 and p99 is not None and p99 < 1.0
        if kind == "bad frames":
            ok = ok and closed == sent and sent > 0
        check(ok, f"{what}, {seconds} s: server peak RSS +{grew / MiB:.1f} MiB, another client's echo "
                  f"{lat_figure(lat, bad)} (bound: < +{bound / MiB:.0f} MiB, p99 < 1 s, none failed)",
              f"+{grew / MiB:.1f} MiB, p99 {common.ms(p99)}, {bad} failed")
        probe.close()
        server.stop()


async def inflate_attack(port, conns, seconds):
    """From a child process: CONNS connections send 16 MiB messages of zeros
    compressed (16 KB each) at 1 MB/s in all, reading every echo."""
    atts = [await lib.ws_connect(port, ext="permessage-deflate") for _ in range(conns)]
    atts = [a for a in atts if a.deflate.startswith("permessage-deflate")]
    if not atts:
        raise RuntimeError("permessage-deflate was not negotiated")
    fr = lib.frame(2, lib.deflate_message(b"\0" * (16 * MiB)), rsv1=True)
    loop = asyncio.get_running_loop()
    end = time.monotonic() + seconds
    stats = {"sent": 0, "echoed": 0}

    async def attack(a):
        t0 = time.monotonic()
        while time.monotonic() < end:
            try:
                await asyncio.wait_for(loop.sock_sendall(a.sock, fr), max(0.01, end - time.monotonic()))
            except (asyncio.TimeoutError, OSError):
                break
            stats["sent"] += len(fr)
            ahead = stats["sent"] / 1e6 - (time.monotonic() - t0)
            if ahead > 0:
                await asyncio.sleep(ahead)

    async def drain(a):
        while time.monotonic() < end:
            try:
                d = await asyncio.wait_for(loop.sock_recv(a.sock, 1 << 20), 0.2)
            except asyncio.TimeoutError:
                continue
            except OSError:
                return
            if not d:
                return
            stats["echoed"] += len(d)

    await asyncio.gather(*(attack(a) for a in atts), *(drain(a) for a in atts))
    for a in atts:
        a.close()
    return len(atts), stats["sent"], stats["echoed"]


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def inflate_budget(ctx):
    """permessage-deflate: 3 connections sending 1 MB/s in all of data that
    inflates 1000x; another client's latency, without a budget
    (--max-inflate-rate 0) and with the default (64 MiB/s)."""
    seconds = ctx.scale(6, 20)
    figures = {}
    for label, f in (("--max-inflate-rate 0 (no budget, before)", ["--max-inflate-rate", "0"]),
                     ("the default budget (64 MiB/s)", [])):
        if f:
            f = ctx.flags(SUB, [("--max-inflate-rate", 0)])
        server = ctx.server(SUB, f)
        probe = await probe_client(server.port)
        job = common.in_child(inflate_attack, server.port, 3, seconds, timeout=seconds + 30)
        await asyncio.sleep(1)
        c0, t0 = cpu_seconds(server.proc.pid), time.monotonic()
        lat, bad = await common.probe_latency(probe.round_trip, seconds - 2, 0.02)
        cpu = (cpu_seconds(server.proc.pid) - c0) / (time.monotonic() - t0)
        n, sent, echoed = await job
        figures[label] = (lat, bad, cpu)
        info(f"{label}: {n} attackers sent {sent / 1e6:.1f} MB compressed "
             f"({sent / 1e6 / seconds:.2f} MB/s), read {echoed / 1e6:.1f} MB of echoes; "
             f"server CPU {cpu * 100:.0f} % of a core; another client: {lat_figure(lat, bad)}")
        probe.close()
        server.stop()
    (blat, bbad, bcpu), (alat, abad, acpu) = figures.values()
    p99 = common.percentile(alat, 0.99)
    check(abad == 0 and p99 is not None and p99 < 0.25 and acpu < 0.5,
          f"3 peers sending 1 MB/s of 16 MiB zero messages compressed 1000x: with the default "
          f"budget another client's echo {lat_figure(alat, abad)}, server CPU {acpu * 100:.0f} %; "
          f"without a budget {lat_figure(blat, bbad)}, CPU {bcpu * 100:.0f} % "
          f"(bound with the budget: p99 < 250 ms, none failed, CPU < 50 %)",
          f"p99 {common.ms(p99)}, {abad} failed, CPU {acpu * 100:.0f} %")


if __name__ == "__main__":
    common.main([header_timeout, caps, idle, half_open, never_reader, floods, inflate_budget])
