#!/usr/bin/env python3
# abuse-limit: 150 900
"""Row abuse-stomp: `rtw stomp broker` (STOMP 1.2 over TCP, and over
WebSocket) against slow, silent and hostile clients.

Documented defaults (`rtw stomp broker --help`, rtw-stomp's BrokerConfig and
BrokerLimits, rtw-tokio's stomp::broker table):
- CONNECT within 10 s of the connection (connect_timeout), else ERROR and
  close; the WebSocket handshake within 10 s (rtw-ws handshake_timeout);
- heart-beats 10000,10000: a client that negotiated them and is silent for
  twice its interval gets ERROR "heart-beat timeout" and is closed; TCP
  keepalive after 60 s idle, 6 probes 10 s apart (rtw-tokio listener);
- 10,000 connections per listener, 1,000 per client address: over them a
  STOMP ERROR "too many connections" on TCP, 503 on WebSocket, then close;
- 4 MiB unsent per connection (max_unsent_bytes), 256 MiB for all: a topic
  subscriber past it gets ERROR "slow consumer" and is closed, the socket
  dropped 1 s later (CLOSE_LINGER) even if it never reads (over WebSocket
  after rtw-ws's 16 MiB write buffer is full, without a close handshake it
  could not answer); a write that makes no progress for 30 s
  (WRITE_TIMEOUT) closes it too;
- frames: rtw-stomp Limits (header and body sizes), a bad frame gets ERROR
  and close.
"""

import asyncio
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import common  # noqa: E402
from common import check, info, lib  # noqa: E402

SUB = "stomp broker"
MiB = lib.MiB


def connect_frame(hb="0,0"):
    return f"CONNECT\naccept-version:1.2\nhost:h\nheart-beat:{hb}\n\n\0".encode()


class Stomp:
    """A STOMP 1.2 client on a non-blocking socket (frames parsed by NUL)."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.loop = asyncio.get_running_loop()

    @classmethod
    async def open(cls, port, src=None, hb="0,0", rcvbuf=None, timeout=5.0):
        s = cls(await common.connect(port, src, rcvbuf, timeout))
        await s.send(connect_frame(hb))
        return s, await s.frame(timeout)

    async def send(self, data):
        await self.loop.sock_sendall(self.sock, data)

    async def frame(self, timeout=5.0):
        """The next frame (heart-beat EOLs skipped), b'' at EOF."""
        end = time.monotonic() + timeout
        while True:
            self.buf = self.buf.lstrip(b"\r\n")
            if b"\0" in self.buf:
                f, _, self.buf = self.buf.partition(b"\0")
                return f
            left = end - time.monotonic()
            if left <= 0:
                raise asyncio.TimeoutError()
            data = await asyncio.wait_for(self.loop.sock_recv(self.sock, 1 << 16), left)
            if not data:
                return b""
            self.buf += data

    def port(self):
        return self.sock.getsockname()[1]

    def close(self):
        self.sock.close()


def command(frame):
    return frame.split(b"\n", 1)[0].decode(errors="replace") if frame else "EOF"


def header(frame, name):
    for line in frame.split(b"\n\n", 1)[0].split(b"\n")[1:]:
        k, _, v = line.partition(b":")
        if k.decode(errors="replace") == name:
            return v.decode(errors="replace")
    return None


async def prober(port, topic):
    """A reading client subscribed to TOPIC; its round trip is a SEND to
    TOPIC until the MESSAGE comes back."""
    c, first = await Stomp.open(port)
    if command(first) != "CONNECTED":
        raise ConnectionError(f"probe client: {command(first)}")
    await c.send(f"SUBSCRIBE\nid:0\ndestination:{topic}\n\n\0".encode())

    async def once():
        await c.send(f"SEND\ndestination:{topic}\n\nprobe\0".encode())
        while True:
            f = await c.frame(5.0)
            if command(f) == "MESSAGE":
                return True
            if command(f) in ("ERROR", "EOF"):
                return False

    return c, once


# ---------------------------------------------------------------------------


async def slow_connect(ctx):
    """A CONNECT frame one byte at a time (TCP), and a WebSocket upgrade one
    byte at a time (--ws), are cut off after 10 s (the defaults)."""
    tcp = ctx.server(SUB, [], listen="--tcp")
    ws = ctx.server(SUB, [], listen="--ws")
    data = connect_frame() + b"x" * 200

    async def trickle_connect():
        c = Stomp(await common.connect(tcp.port))
        t0 = time.monotonic()
        sent, got, closed = 0, b"", None
        try:
            while time.monotonic() - t0 < 16 and closed is None:
                try:
                    c.sock.send(data[sent:sent + 1])
                    sent += 1
                except OSError:
                    closed = time.monotonic() - t0
                    break
                try:
                    chunk = await asyncio.wait_for(c.loop.sock_recv(c.sock, 4096), 0.25)
                    got += chunk
                    if not chunk:
                        closed = time.monotonic() - t0
                except asyncio.TimeoutError:
                    pass
                except OSError:
                    closed = time.monotonic() - t0
        finally:
            c.close()
        return closed, sent, got

    upgrade = lib.upgrade_request(ws.port, "dGhlIHNhbXBsZSBub25jZQ==")[:-2] + b"X-Trickle: " + b"a" * 4096
    (closed, sent, got), (wclosed, wsent, status) = await asyncio.gather(
        trickle_connect(), common.trickle(ws.port, upgrade, 0.25, 16))
    msg = header(got.split(b"\0")[0], "message") if got else None
    check(closed is not None and 9 <= closed <= 13 and command(got) == "ERROR",
          f"STOMP over TCP, CONNECT one byte every 0.25 s, connect_timeout 10 s (default): "
          f"{command(got)} {msg!r} and closed after "
          f"{'never' if closed is None else f'{closed:.1f} s'} ({sent} bytes sent) (bound: 9-13 s, ERROR)",
          f"closed after {closed} s, answer {got[:60]!r}")
    check(wclosed is not None and wclosed <= 13,
          f"STOMP over WebSocket, upgrade one byte every 0.25 s, handshake timeout 10 s (default): "
          f"cut off after {'never' if wclosed is None else f'{wclosed:.1f} s'} ({wsent} bytes sent, "
          f"answer {status or 'none'}) (bound: <= 13 s)",
          "still open after 16 s" if wclosed is None else f"closed after {wclosed:.1f} s")


async def heart_beats(ctx):
    """Heart-beats: a live client is beaten and kept; a silent one (the
    peer that vanished, half-open) gets ERROR and is closed after twice its
    interval; one that neither reads nor sends is closed too."""
    hb = ctx.scale(1000, 10000)
    f = [] if ctx.full else ["--heart-beat", f"{hb},{hb}"]
    what = "default 10000,10000" if ctx.full else f"--heart-beat {hb},{hb}"
    server = ctx.server(SUB, f, listen="--tcp")
    secs = hb / 1000
    bound = 2 * secs + max(2.5, secs / 2)

    async def live():
        c, first = await Stomp.open(server.port, hb=f"{hb},{hb}")
        beats, t0 = 0, time.monotonic()
        try:
            while time.monotonic() - t0 < bound + 1:
                await c.send(b"\n")
                try:
                    data = await asyncio.wait_for(c.loop.sock_recv(c.sock, 4096), secs / 2)
                    if not data:
                        return beats, "closed"
                    beats += data.count(b"\n")
                except asyncio.TimeoutError:
                    pass
            return beats, "open"
        finally:
            c.close()

    async def silent():
        c, first = await Stomp.open(server.port, hb=f"{hb},{hb}")
        t0 = time.monotonic()
        try:
            while True:
                f = await c.frame(bound + 3)
                if command(f) in ("ERROR", "EOF"):
                    return command(f), header(f, "message"), time.monotonic() - t0
        except asyncio.TimeoutError:
            return "open", None, None
        finally:
            c.close()

    async def deaf():
        # Neither reads nor sends: its server socket must leave ESTABLISHED.
        cs = []
        for _ in range(10):
            c, _ = await Stomp.open(server.port, hb=f"{hb},{hb}", rcvbuf=4096)
            cs.append(c)
        ts = await asyncio.gather(*(common.wait_server_closed(server.port, c.port(), bound + 3) for c in cs))
        for c in cs:
            c.close()
        return ts

    (beats, state), (cmd, msg, t), ts = await asyncio.gather(live(), silent(), deaf())
    check(state == "open" and beats >= int((bound + 1) / secs) - 2,
          f"{what}: a client that beats every {secs / 2:.1f} s is kept {bound + 1:.1f} s "
          f"({state}) and got {beats} heart-beats (bound: open, >= {int((bound + 1) / secs) - 2})",
          f"{state}, {beats} beats")
    check(cmd == "ERROR" and t is not None and t <= bound,
          f"{what}: a silent client (half-open peer) gets {cmd} {msg!r} after "
          f"{'never' if t is None else f'{t:.1f} s'} (bound: ERROR within {bound:.1f} s: twice the interval and slack)",
          f"{cmd} after {t}")
    closed = [x for x in ts if x is not None]
    check(len(closed) == len(ts),
          f"{what}: 10 clients that neither read nor send: {len(closed)} closed by the server, the "
          f"last after {max(closed) if closed else 0:.1f} s (bound: all within {bound + 3:.1f} s)",
          f"{len(ts) - len(closed)} still ESTABLISHED")


async def half_open(ctx):
    """A client with heart-beats that vanishes without a FIN or a reset
    (half-open TCP: the loopback of a private network namespace taken down
    under it) is closed after twice its heart-beat interval (--heart-beat
    10000,10000; CI: 1000,1000), and the broker lets go of it; one without
    heart-beats is dropped by the TCP timers."""
    hb = ctx.scale(1000, 10000)
    f = [] if ctx.full else ["--heart-beat", f"{hb},{hb}"]
    bound = 2 * hb / 1000 + max(2.5, hb / 2000)

    async def client(port):
        c, first = await Stomp.open(port, hb=f"{hb},{hb}")
        if command(first) != "CONNECTED":
            raise RuntimeError(f"CONNECT: {first[:80]!r}")
        return c.sock

    await common.check_half_open(ctx, SUB, f, "a client with heart-beats", client, bound, listen="--tcp")

    # Without heart-beats only TCP notices: a keepalive probe that goes
    # unacknowledged for --tcp-user-timeout (probes after --tcp-keepalive
    # 60 s idle; 120 s; CI: 1 s and 3 s).
    timers = [] if ctx.full else ctx.flags(SUB, [("--tcp-keepalive", 1), ("--tcp-user-timeout", 3)])
    quiet_bound = ctx.scale(1 + 3 + 3, 60 + 120 + 20)

    async def quiet(port):
        c, first = await Stomp.open(port, hb="0,0")
        if command(first) != "CONNECTED":
            raise RuntimeError(f"CONNECT: {first[:80]!r}")
        return c.sock

    await common.check_half_open(ctx, SUB, timers, "a client without heart-beats", quiet, quiet_bound,
                                 listen="--tcp")


async def caps(ctx):
    """--max-connections / --max-connections-per-ip: ERROR then close on
    TCP, 503 on WebSocket."""
    total, per_ip = ctx.scale((40, 10), (10000, 1000))
    f = ["--max-connections", str(total), "--max-connections-per-ip", str(per_ip)]
    shown = " ".join(f) if not ctx.full else f"defaults {total} / {per_ip} (given explicitly)"
    for kind in ("tcp", "ws"):
        server = ctx.server(SUB, f, listen=f"--{kind}")
        held = []

        async def one(src):
            if kind == "tcp":
                try:
                    c, first = await Stomp.open(server.port, src=src, timeout=10)
                except (OSError, asyncio.TimeoutError) as e:
                    return type(e).__name__, None
                if command(first) == "CONNECTED":
                    held.append(c)
                else:
                    c.close()
                return command(first), header(first, "message")
            conn = await lib.ws_connect(server.port, src)
            if conn.sock is not None:
                held.append(conn)
            return str(conn.status or conn.error), None

        try:
            refused = "ERROR" if kind == "tcp" else "503"
            ok = "CONNECTED" if kind == "tcp" else "101"
            a = await common.hold_many(server.port, per_ip + 3, lambda i: one("127.0.4.1"))
            n_ok = sum(r == ok for r, _ in a)
            n_ref = sum(r == refused for r, _ in a)
            msgs = {m for r, m in a if r == refused}
            check(n_ok == per_ip and n_ref == 3,
                  f"{kind}, {shown}: {per_ip + 3} connections from 127.0.4.1: {n_ok} x {ok}, "
                  f"{n_ref} x {refused} {sorted(x for x in msgs if x)} "
                  f"(bound: {per_ip} accepted, 3 refused)",
                  f"{n_ok} accepted, {n_ref} refused, others {[r for r, _ in a if r not in (ok, refused)][:5]}")
            need = total - per_ip
            srcs = common.sources(need // per_ip + 2, (4, 10))
            b = await common.hold_many(server.port, need + 5, lambda i: one(srcs[i // per_ip]))
            n_ok2 = sum(r == ok for r, _ in b)
            n_ref2 = sum(r == refused for r, _ in b)
            check(n_ok + n_ok2 == total and n_ref2 == 5,
                  f"{kind}, {shown}: then {need + 5} more from {len(srcs)} addresses 127.0.4.10+: "
                  f"{n_ok + n_ok2} open in all, {n_ref2} x {refused} (bound: {total} open, 5 refused)",
                  f"{n_ok + n_ok2} open, {n_ref2} refused")
        finally:
            for c in held:
                c.close()


async def publish(port, dur, body_size, src, destination):
    """Flood DESTINATION with SEND frames of BODY_SIZE bytes for DUR
    seconds (in a child process): bytes sent."""
    c, _ = await Stomp.open(port, src=src)
    body = b"x" * body_size
    frame = b"SEND\ndestination:%s\ncontent-length:%d\n\n" % (destination.encode(), len(body)) + body + b"\0"
    sent, t0 = 0, time.monotonic()
    try:
        while time.monotonic() - t0 < dur:
            await asyncio.wait_for(c.send(frame * 8), 2)
            sent += 8 * len(frame)
    except (OSError, asyncio.TimeoutError):
        pass
    c.close()
    return sent


async def slow_consumer(ctx):
    """A topic subscriber that never reads while a publisher floods: ERROR
    slow consumer at max_unsent_bytes (4 MiB, default), its socket dropped;
    the broker's memory stays bounded and a reading client keeps its
    latency."""
    server = ctx.server(SUB, ["--stats-interval", "1"], listen="--tcp")
    base = server.rss()
    sub, first = await Stomp.open(server.port, rcvbuf=4096)
    await sub.send(b"SUBSCRIBE\nid:0\ndestination:/topic/flood\n\n\0")
    probe, once = await prober(server.port, "/topic/probe")
    await asyncio.sleep(0.3)
    dur = ctx.scale(6, 15)
    flood = common.in_child(publish, server.port, dur, 16 * 1024, "127.0.5.2", "/topic/flood")
    (lat, bad), sent, when, peak = await asyncio.gather(
        common.probe_latency(once, dur), flood,
        common.wait_server_closed(server.port, sub.port(), dur), common.rss_peak(server, dur))
    await asyncio.sleep(1.2)  # one more --stats-interval line
    slow = re.findall(r"slow (\d+)", server.stderr())
    peak = max(peak, server.hwm())
    info(f"flood: {sent / MiB:.0f} MiB of SEND (16 KiB bodies) to /topic/flood in {dur} s; the broker's "
         f"slow-consumer count {slow[-1] if slow else 'not printed'}")
    check(when is not None and slow and int(slow[-1]) >= 1,
          f"a subscriber that never reads (4 KiB receive buffer), max_unsent_bytes 4 MiB (default): "
          f"counted a slow consumer ({slow[-1] if slow else 'none'}) and closed by the server "
          f"{'never' if when is None else f'{when:.1f} s'} after the flood began (bound: within {dur} s; "
          f"its ERROR frame waits behind the bytes it never reads, and the socket is dropped 1 s later)",
          f"{'still ESTABLISHED' if when is None else 'closed'}, slow consumers {slow[-1] if slow else 'none'}")
    growth = peak - base
    check(growth < 64 * MiB,
          f"broker memory during the flood: VmRSS {lib.mib(base)} -> peak {lib.mib(peak)} "
          f"(+{lib.mib(growth)}; bound: < 4 MiB max_unsent_bytes + 60 MiB)",
          f"+{lib.mib(growth)}")
    p99 = common.percentile(lat, 0.99)
    check(lat and bad == 0 and p99 < 0.5 and common.percentile(lat, 0.5) < 0.05,
          f"a reading client meanwhile (SEND to its own topic until MESSAGE): {common.latency_line(lat, bad)} "
          f"(bound: p50 < 50 ms, p99 < 500 ms, none failed)", common.latency_line(lat, bad))
    for c in (sub, probe):
        c.close()


async def ws_slow_consumer(ctx):
    """STOMP over WebSocket: a subscriber that never reads while a publisher
    floods its topic is closed too (rtw-ws's 16 MiB write buffer, then
    max_unsent_bytes 4 MiB, then ERROR and the 1 s linger); memory bounded."""
    server = ctx.server(SUB, ["--stats-interval", "1"], listen="--ws")
    base = server.rss()
    loop = asyncio.get_running_loop()
    s = await common.connect(server.port, rcvbuf=4096)
    key = "dGhlIHNhbXBsZSBub25jZQ=="
    await loop.sock_sendall(s, lib.upgrade_request(server.port, key, None, "/"))
    head, _ = await asyncio.wait_for(lib.read_head(loop, s), 5)
    await loop.sock_sendall(s, lib.frame(1, connect_frame()))
    await loop.sock_sendall(s, lib.frame(1, b"SUBSCRIBE\nid:0\ndestination:/topic/flood\n\n\0"))
    await asyncio.sleep(0.3)
    dur = ctx.scale(6, 15)
    pub = await lib.ws_connect(server.port, "127.0.5.3", None)
    body = b"x" * (16 * 1024)
    frame = lib.frame(1, b"SEND\ndestination:/topic/flood\n\n" + body + b"\0")
    await lib.send(pub, lib.frame(1, connect_frame()))

    async def flood():
        t0, sent = time.monotonic(), 0
        while time.monotonic() - t0 < dur:
            if not await asyncio.wait_for(lib.send(pub, frame * 8), 2):
                break
            sent += 8 * len(frame)
        return sent

    sent, when, peak = await asyncio.gather(flood(), common.wait_server_closed(server.port, s.getsockname()[1], dur),
                                            common.rss_peak(server, dur))
    peak = max(peak, server.hwm())
    pub.close()
    s.close()
    check(when is not None,
          f"STOMP over WebSocket, a subscriber that never reads (4 KiB receive buffer): closed by the server "
          f"{'never' if when is None else f'{when:.1f} s'} after the flood began ({sent / MiB:.0f} MiB sent; "
          f"bound: within {dur} s)", "still ESTABLISHED")
    check(peak - base < 64 * MiB,
          f"STOMP over WebSocket, broker memory: VmRSS {lib.mib(base)} -> peak {lib.mib(peak)} "
          f"(+{lib.mib(peak - base)}; bound: < 16 MiB WebSocket write buffer + 4 MiB max_unsent_bytes + 44 MiB)",
          f"+{lib.mib(peak - base)}")


async def flood_all(port, dur):
    """Heart-beat EOLs, SEND frames to a topic without subscribers and
    connections with a bad frame, for DUR seconds (in a child process)."""
    counts = {"eol": 0, "send": 0, "bad": 0, "bad_error": 0}

    async def eols():
        c, _ = await Stomp.open(port, src="127.0.6.1", hb="1000,1000")
        t0 = time.monotonic()
        chunk = b"\n" * 65536
        try:
            while time.monotonic() - t0 < dur:
                await asyncio.wait_for(c.send(chunk), 2)
                counts["eol"] += len(chunk)
        except (OSError, asyncio.TimeoutError):
            pass
        c.close()

    async def bad():
        t0 = time.monotonic()
        while time.monotonic() - t0 < dur:
            try:
                c, first = await Stomp.open(port, src="127.0.6.3")
                await c.send(b"NOT-A-COMMAND\n\n\0")
                f = await c.frame(3)
                counts["bad"] += 1
                counts["bad_error"] += command(f) == "ERROR"
                c.close()
            except (OSError, asyncio.TimeoutError):
                counts["bad"] += 1

    sends, *_ = await asyncio.gather(publish(port, dur, 1024, "127.0.6.2", "/topic/nobody"), eols(), bad())
    counts["send"] = sends
    return counts


async def floods(ctx):
    """Heart-beat EOLs, SEND frames to a topic nobody reads, and bad frames,
    as fast as a client process goes: memory bounded, a reading client
    served."""
    server = ctx.server(SUB, [], listen="--tcp")
    base = server.rss()
    probe, once = await prober(server.port, "/topic/probe")
    dur = ctx.scale(6, 15)
    (lat, bad_probe), counts, peak = await asyncio.gather(
        common.probe_latency(once, dur), common.in_child(flood_all, server.port, dur), common.rss_peak(server, dur))
    hwm = max(server.hwm(), peak)
    info(f"in {dur} s: {counts['eol'] / MiB:.0f} MiB of heart-beat EOLs, {counts['send'] / MiB:.0f} MiB of "
         f"SEND frames (1 KiB bodies) to a topic without subscribers, {counts['bad']} connections with a bad frame")
    check(counts["bad"] > 0 and counts["bad_error"] == counts["bad"],
          f"bad frames: {counts['bad_error']} of {counts['bad']} answered with ERROR and closed",
          f"{counts['bad'] - counts['bad_error']} not answered with ERROR")
    check(hwm - base < 64 * MiB,
          f"broker memory under the floods: VmRSS {lib.mib(base)} -> peak {lib.mib(hwm)} "
          f"(+{lib.mib(hwm - base)}; bound: < 64 MiB)", f"+{lib.mib(hwm - base)}")
    p99 = common.percentile(lat, 0.99)
    check(lat and bad_probe == 0 and p99 < 0.5 and common.percentile(lat, 0.5) < 0.05,
          f"a reading client meanwhile: {common.latency_line(lat, bad_probe)} (bound: p50 < 50 ms, p99 < 500 ms, none failed)",
          common.latency_line(lat, bad_probe))
    probe.close()
    check(server.alive(), "the broker is still running after the floods", "it exited")


if __name__ == "__main__":
    common.main([slow_connect, heart_beats, half_open, caps, slow_consumer, ws_slow_consumer, floods])
