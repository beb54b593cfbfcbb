#!/usr/bin/env python3
# abuse-limit: 150 900
"""Row abuse-signal: `rtw signal serve` (signaling rooms over WebSocket at
/signal) against slow, silent and hostile clients.

Documented defaults (`rtw signal serve --help`, crates/cli/src/signal/serve.rs):
- the request head (the upgrade) within 10 s (--header-timeout), else closed;
- a room joined within 10 s of the upgrade (--join-timeout), else close 1008;
- a quiet peer is pinged after 30 s (--ping-interval) and closed (1011) 30 s
  later (--ping-timeout) if nothing comes back; TCP keepalive after 60 s
  idle, 6 probes 10 s apart (rtw-tokio listener);
- 10,000 connections, 1,000 per client address: over them 503 before any
  upgrade; 16 peers per room (--room-size), more get `room-full`;
- 1 MiB queued for a peer that does not read (--outbox-bytes) beyond its
  WebSocket's 1 MiB write buffer, 256 MiB for all (--total-outbox-bytes):
  the peer past it is cut off (close 1008 if it can still take it, and the
  connection dropped 2 s later);
- 50 messages per second per connection, bursts of 100 (--rate): more get
  `rate-limited`; messages up to 64 KiB (--max-message-size).
"""

import os
import sys

# This file's name is the standard library's `signal`: its directory must
# not be on the path when asyncio and common.py import that module.
_here = os.path.dirname(os.path.abspath(__file__))
sys.path = [p for p in sys.path if os.path.abspath(p or ".") != _here]

import asyncio  # noqa: E402
import base64  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402

sys.path.insert(0, os.path.join(_here, ".."))
import common  # noqa: E402
from common import check, info, lib  # noqa: E402

SUB = "signal serve"
MiB = lib.MiB


class Peer:
    """A signaling client: WebSocket at /signal (RFC 6455), JSON text
    messages; it answers pings unless DEAF."""

    def __init__(self, sock, rest):
        self.sock = sock
        self.loop = asyncio.get_running_loop()
        self.frames = lib.Frames()
        self.frames.feed(rest)
        self.deaf = False
        self.closed = None

    @classmethod
    async def open(cls, port, src=None, rcvbuf=None):
        """The upgraded Peer, or (status, error) when refused."""
        loop = asyncio.get_running_loop()
        s = await common.connect(port, src, rcvbuf)
        key = base64.b64encode(os.urandom(16)).decode()
        await loop.sock_sendall(s, lib.upgrade_request(port, key, None, path="/signal"))
        try:
            head, rest = await asyncio.wait_for(lib.read_head(loop, s), 5)
        except (OSError, ConnectionError, asyncio.TimeoutError) as e:
            s.close()
            return None, type(e).__name__
        status, _ = lib.parse_head(head)
        if status != 101:
            s.close()
            return None, status
        return cls(s, rest), 101

    async def send(self, obj):
        await self.loop.sock_sendall(self.sock, lib.frame(1, json.dumps(obj).encode()))

    async def next(self, timeout=5.0):
        """The next JSON message (pings answered), or None at a close/EOF."""
        end = time.monotonic() + timeout
        while True:
            while self.frames.frames:
                fin, _, op, _, payload = self.frames.frames.pop(0)
                if op == 9 and not self.deaf:
                    await self.loop.sock_sendall(self.sock, lib.frame(10, payload))
                elif op == 8:
                    self.closed = self.frames_close(payload)
                    return None
                elif op == 1:
                    return json.loads(payload)
            left = end - time.monotonic()
            if left <= 0:
                raise asyncio.TimeoutError()
            data = await asyncio.wait_for(self.loop.sock_recv(self.sock, 1 << 16), left)
            if not data:
                self.closed = self.closed or "eof"
                return None
            self.frames.feed(data)

    @staticmethod
    def frames_close(payload):
        return int.from_bytes(payload[:2], "big") if len(payload) >= 2 else "none"

    async def join(self, room, peer):
        await self.send({"type": "join", "room": room, "peer": peer})
        while True:
            m = await self.next()
            if m is None or m.get("type") in ("joined", "error"):
                return m

    def port(self):
        return self.sock.getsockname()[1]

    def close(self):
        self.sock.close()


async def prober(port, room="probe"):
    """Two reading peers in ROOM; a round trip is C -> D -> C (D sends each
    `data` back)."""
    c, _ = await Peer.open(port, "127.0.11.1")
    d, _ = await Peer.open(port, "127.0.11.2")
    await c.join(room, "c")
    await d.join(room, "d")

    async def echo():
        while True:
            m = await d.next(3600)
            if m is None:
                return
            if m.get("type") == "data":
                await d.send({"type": "data", "to": "c", "data": m["data"]})

    task = asyncio.ensure_future(echo())

    async def once():
        token = os.urandom(6).hex()
        await c.send({"type": "data", "to": "d", "data": token})
        while True:
            m = await c.next(5)
            if m is None:
                return False
            if m.get("type") == "data" and m.get("data") == token:
                return True

    def close():
        task.cancel()
        c.close()
        d.close()

    return once, close


# ---------------------------------------------------------------------------


async def slow_head_and_join(ctx):
    """The upgrade one byte at a time is cut off at --header-timeout; an
    upgraded connection that does not join is closed 1008 at
    --join-timeout."""
    t = ctx.scale(2, 10)
    f = [] if ctx.full else ctx.flags(SUB, [("--header-timeout", t), ("--join-timeout", t)])
    server = ctx.server(SUB, f, listen="--listen")
    upgrade = lib.upgrade_request(server.port, "dGhlIHNhbXBsZSBub25jZQ==", None, "/signal")[:-2] + \
        b"X-Trickle: " + b"a" * 4096

    async def no_join():
        p, _ = await Peer.open(server.port)
        t0 = time.monotonic()
        try:
            await p.next(t + 5)
        except asyncio.TimeoutError:
            return "open", None
        finally:
            p.close()
        return p.closed, time.monotonic() - t0

    what = "default 10 s" if ctx.full else f"{t} s"
    (closed, sent, status), (code, secs) = await asyncio.gather(
        common.trickle(server.port, upgrade, 0.25, t + 6), no_join())
    check(closed is not None and closed <= t * 1.5 + 1,
          f"the upgrade one byte every 0.25 s, --header-timeout {what}: cut off after "
          f"{'never' if closed is None else f'{closed:.1f} s'} ({sent} bytes sent, answer {status or 'none'}) "
          f"(bound: <= {t * 1.5 + 1} s)", f"closed after {closed}")
    check(code == 1008 and secs is not None and t - 0.5 <= secs <= t + 2,
          f"an upgraded connection that never joins, --join-timeout {what}: close {code} after "
          f"{'never' if secs is None else f'{secs:.1f} s'} (bound: 1008 within {t - 0.5}-{t + 2} s)",
          f"{code} after {secs}")


async def silent_peers(ctx):
    """Joined peers that do not answer pings (vanished, half-open) are
    closed after --ping-interval + --ping-timeout; one that answers stays."""
    iv, to = ctx.scale((1, 1), (30, 30))
    f = [] if ctx.full else ctx.flags(SUB, [("--ping-interval", iv), ("--ping-timeout", to)])
    server = ctx.server(SUB, f, listen="--listen")
    deaf = []
    for i in range(10):
        p, _ = await Peer.open(server.port, rcvbuf=4096)
        await p.join("quiet", f"deaf{i}")
        p.deaf = True
        deaf.append(p)
    live, _ = await Peer.open(server.port)
    await live.join("quiet", "live")
    bound = iv + to + 3

    async def keep_live():
        t0 = time.monotonic()
        try:
            while time.monotonic() - t0 < bound + 1:
                m = await live.next(bound + 1 - (time.monotonic() - t0))
                if m is None:
                    return f"closed {live.closed}"
        except asyncio.TimeoutError:
            pass
        return "open"

    ts, state = await asyncio.gather(
        asyncio.gather(*(common.wait_server_closed(server.port, p.port(), bound) for p in deaf)), keep_live())
    closed = [x for x in ts if x is not None]
    what = "defaults 30 s + 30 s" if ctx.full else f"--ping-interval {iv} --ping-timeout {to}"
    check(len(closed) == len(deaf),
          f"{what}: 10 joined peers that neither read nor answer pings: {len(closed)} closed by the server, the "
          f"last after {max(closed) if closed else 0:.1f} s (bound: all within {bound} s)",
          f"{len(deaf) - len(closed)} still ESTABLISHED")
    check(state == "open",
          f"{what}: a peer that answers pings is kept {bound + 1} s ({state})", state)
    for p in deaf + [live]:
        p.close()


async def half_open(ctx):
    """A joined peer that vanishes without a FIN or a reset (half-open TCP:
    the loopback of a private network namespace taken down under it) is
    pinged and closed after --ping-interval + --ping-timeout (30 + 30 s;
    CI: 1 + 1 s), and the server lets go of it."""
    iv, to = ctx.scale((1, 1), (30, 30))
    f = [] if ctx.full else ctx.flags(SUB, [("--ping-interval", iv), ("--ping-timeout", to)])
    bound = iv + to + ctx.scale(3, 10)

    async def peer(port):
        p, status = await Peer.open(port)
        if p is None:
            raise RuntimeError(f"upgrade: {status}")
        joined = await p.join("gone", "vanishing")
        if not joined or joined.get("type") != "joined":
            raise RuntimeError(f"join: {joined}")
        return p.sock

    await common.check_half_open(ctx, SUB, f, "a joined peer", peer, bound, listen="--listen")


async def caps(ctx):
    """--max-connections / --max-connections-per-ip: 503 before the
    upgrade; --room-size: room-full."""
    per_ip, total = 5, 20
    f = ctx.flags(SUB, [("--max-connections", total), ("--max-connections-per-ip", per_ip), ("--room-size", 3)])
    server = ctx.server(SUB, f, listen="--listen")
    held = []

    async def one(src):
        p, status = await Peer.open(server.port, src)
        if p:
            held.append(p)
        return status

    try:
        a = await common.hold_many(server.port, per_ip + 3, lambda i: one("127.0.12.1"), concurrency=1)
        check(a.count(101) == per_ip and a.count(503) == 3,
              f"--max-connections-per-ip {per_ip}: {per_ip + 3} upgrades from 127.0.12.1: {a.count(101)} x 101, "
              f"{a.count(503)} x 503 (bound: {per_ip} upgraded, 3 x 503)", f"{a}")
        srcs = common.sources(5, (12, 10))
        b = await common.hold_many(server.port, total - per_ip + 4, lambda i: one(srcs[i // per_ip]), concurrency=1)
        check(a.count(101) + b.count(101) == total and b.count(503) == 4,
              f"--max-connections {total}: then {total - per_ip + 4} from 127.0.12.10-14: "
              f"{a.count(101) + b.count(101)} upgraded in all, {b.count(503)} x 503 (bound: {total}, 4 x 503)",
              f"{b}")
        answers = []
        for i, p in enumerate(held[:4]):
            m = await p.join("small", f"p{i}")
            answers.append(m.get("type") if m and m.get("type") != "error" else (m or {}).get("code"))
        check(answers == ["joined", "joined", "joined", "room-full"],
              f"--room-size 3: four joins get {answers} (bound: 3 joined, then room-full)", f"{answers}")
    finally:
        for p in held:
            p.close()


async def slow_reader(ctx):
    """A peer that never reads while another sends it 60 KiB messages:
    cut off past --outbox-bytes (1 MiB, default) beyond its 1 MiB
    WebSocket buffer; memory bounded; other peers keep their latency."""
    server = ctx.server(SUB, [], listen="--listen")
    base = server.rss()
    a, _ = await Peer.open(server.port, "127.0.13.1", rcvbuf=4096)
    await a.join("slow", "a")
    b, _ = await Peer.open(server.port, "127.0.13.2")
    await b.join("slow", "b")
    once, close = await prober(server.port)
    dur = ctx.scale(8, 20)
    blob = "x" * (60 * 1024)
    sent = {"n": 0, "limited": 0}

    async def send_to_a():
        t0 = time.monotonic()
        while time.monotonic() - t0 < dur:
            try:
                await asyncio.wait_for(b.send({"type": "data", "to": "a", "data": blob}), 2)
                sent["n"] += 1
            except (OSError, asyncio.TimeoutError):
                return
            # Read what b is told (peer-left, rate-limited) without waiting.
            try:
                while True:
                    m = await b.next(0.015)
                    if m and m.get("code") == "rate-limited":
                        sent["limited"] += 1
            except asyncio.TimeoutError:
                pass

    async def a_chatters():
        # a goes on sending (and never reads): that must not keep it alive.
        t0 = time.monotonic()
        while time.monotonic() - t0 < dur:
            try:
                await asyncio.wait_for(a.send({"type": "data", "to": "b", "data": "still here"}), 1)
            except (OSError, asyncio.TimeoutError):
                return
            await asyncio.sleep(0.5)

    (lat, bad), _, _, when, peak = await asyncio.gather(
        common.probe_latency(once, dur), send_to_a(), a_chatters(), common.wait_server_closed(server.port, a.port(), dur),
        common.rss_peak(server, dur))
    close()
    peak = max(peak, server.hwm())
    info(f"b sent {sent['n']} messages of 60 KiB to a in {dur} s ({sent['limited']} answered rate-limited)")
    check(when is not None,
          f"a peer that never reads (4 KiB receive buffer) but sends every 0.5 s, --outbox-bytes 1 MiB (default): "
          f"cut off, its "
          f"connection closed by the server {'never' if when is None else f'{when:.1f} s'} after the sending "
          f"began (bound: within {dur} s)", "still ESTABLISHED")
    check(peak - base < 64 * MiB,
          f"server memory: VmRSS {lib.mib(base)} -> peak {lib.mib(peak)} (+{lib.mib(peak - base)}; bound: < 1 MiB "
          f"outbox + 1 MiB WebSocket buffer + 62 MiB)", f"+{lib.mib(peak - base)}")
    p99 = common.percentile(lat, 0.99)
    check(lat and bad == 0 and p99 < 0.5 and common.percentile(lat, 0.5) < 0.05,
          f"two reading peers of another room meanwhile (data c -> d -> c): {common.latency_line(lat, bad)} "
          f"(bound: p50 < 50 ms, p99 < 500 ms, none failed)", common.latency_line(lat, bad))
    a.close()
    b.close()


async def flood_room(port, dur, n_clients):
    """N_CLIENTS peers of room `flood` each sending small messages to the
    room as fast as they can for DUR seconds (in a child process), reading
    what they are told: (sent, rate-limited answers)."""
    out = {"sent": 0, "limited": 0, "closes": []}

    async def one(i):
        p, _ = await Peer.open(port, f"127.0.14.{10 + i}")
        await p.join("flood", f"f{i}")
        t0 = time.monotonic()
        frame = lib.frame(1, json.dumps({"type": "data", "data": "flood"}).encode())
        reader = asyncio.ensure_future(read(p))
        try:
            while time.monotonic() - t0 < dur:
                await asyncio.wait_for(p.loop.sock_sendall(p.sock, frame * 50), 2)
                out["sent"] += 50
                await asyncio.sleep(0.001)
        except (OSError, asyncio.TimeoutError):
            pass
        reader.cancel()
        out["closes"].append(p.closed)
        p.close()

    async def read(p):
        while True:
            m = await p.next(3600)
            if m is None:
                return
            if m.get("code") == "rate-limited":
                out["limited"] += 1

    await asyncio.gather(*(one(i) for i in range(n_clients)))
    return out


async def floods(ctx):
    """Peers flooding their room past --rate (50 per second, default):
    answered rate-limited, memory bounded, other peers served."""
    server = ctx.server(SUB, [], listen="--listen")
    base = server.rss()
    once, close = await prober(server.port)
    dur = ctx.scale(6, 15)
    (lat, bad), out, peak = await asyncio.gather(
        common.probe_latency(once, dur), common.in_child(flood_room, server.port, dur, 4), common.rss_peak(server, dur))
    close()
    peak = max(peak, server.hwm())
    allowed = 4 * (50 * dur + 100)
    closes = [c for c in out["closes"] if c is not None]
    info(f"4 peers sent {out['sent']} messages in {dur} s; {out['limited']} rate-limited answers read "
         f"(at most one per second each), the peers' ends: {out['closes']}")
    check(out["sent"] > allowed and out["limited"] > 0 and closes == [1008] * 4,
          f"--rate 50 (default): {out['sent']} messages from 4 peers in {dur} s (at most {allowed} allowed), "
          f"{out['limited']} answered rate-limited, the peers that went on flooding closed {closes} "
          f"(bound: rate-limited, then 1008 for each)", f"{out}")
    check(peak - base < 64 * MiB,
          f"server memory under the flood: VmRSS {lib.mib(base)} -> peak {lib.mib(peak)} "
          f"(+{lib.mib(peak - base)}; bound: < 64 MiB)", f"+{lib.mib(peak - base)}")
    p99 = common.percentile(lat, 0.99)
    check(lat and bad == 0 and p99 < 0.5 and common.percentile(lat, 0.5) < 0.05,
          f"two reading peers of another room meanwhile: {common.latency_line(lat, bad)} (bound: p50 < 50 ms, p99 < 500 ms, none failed)",
          common.latency_line(lat, bad))


if __name__ == "__main__":
    common.main([slow_head_and_join, silent_peers, half_open, caps, slow_reader, floods])
