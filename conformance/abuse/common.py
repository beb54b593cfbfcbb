"""Shared code of suite `abuse`: the row modules' contract and the checks
that several servers share. Python 3 standard library only.

Contract of a row module (rows/NAME.py, run by `run` as row `abuse-NAME`):

    python3 -I rows/NAME.py --rtw PATH [--full]

(-I keeps rows/ off sys.path: rows/signal.py must not hide `signal`.)

- It starts its own servers (lib.Server, on 127.0.0.1 port 0, killed when
  it ends and with it: PR_SET_PDEATHSIG) and stays on 127.0.0.0/8.
- It prints one line per check, `@@pass NAME` or `@@fail NAME<TAB>REASON`
  (lib.check), where NAME carries the measured figure and its bound, e.g.
  `@@pass headers one byte a second, --header-timeout 2: cut off after
  2.1 s (bound: <= 4 s)`; any other line is shown as it is (indent
  informational lines with lib.info); `@@done` last (common.main prints it).
- Every wait is bounded. `run` kills a module after the limit its first
  lines declare, `# abuse-limit: CI FULL` (seconds at CI scale and with
  --full), 120 s without one; a module that did not print `@@done` fails.
- At CI scale (no --full) a module may shorten the servers' timers with
  their flags, and says which in the check's NAME; --full uses the
  documented defaults.

A module is `common.main([check_a, check_b, ...])` with `async def
check_a(ctx)` functions; each runs in turn under its own time bound
(ctx.bound), its servers stopped after it, an exception in it one failed
check.
"""

import argparse
import asyncio
import os
import re
import signal
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import lib  # noqa: E402  (conformance/lib.py, shared with suite `attacks`)
from lib import HOST, check, info, say  # noqa: E402,F401


class Ctx:
    """What a check gets: the rtw binary, the scale, and scale()."""

    def __init__(self, rtw, full):
        self.rtw = rtw
        self.full = full

    def scale(self, ci, full):
        """The figure for this run's scale."""
        return full if self.full else ci

    def flags(self, sub, wanted):
        """lib.flags: WANTED [(flag, value)] kept when `rtw SUB --help` has them."""
        return lib.flags(self.rtw, sub, wanted)

    def server(self, sub, args, **kw):
        return lib.Server(self.rtw, sub, args, **kw)


def main(checks, bound=None):
    """Run the module: parse --rtw/--full, run CHECKS in turn (each at most
    BOUND(ctx) seconds, default 60 at CI scale and 300 with --full), print
    `@@done`."""
    p = argparse.ArgumentParser()
    p.add_argument("--rtw", required=True)
    p.add_argument("--full", action="store_true")
    a = p.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    nofile = lib.raise_nofile()
    ctx = Ctx(a.rtw, a.full)
    info(f"client RLIMIT_NOFILE {nofile}; scale {'full' if a.full else 'CI'}")
    limit = bound(ctx) if bound else ctx.scale(60, 300)
    try:
        for c in checks:
            t0 = time.monotonic()
            try:
                asyncio.run(asyncio.wait_for(c(ctx), limit))
            except asyncio.TimeoutError:
                check(False, f"{c.__name__}: finished", f"did not finish within {limit} s")
            except Exception as e:  # one failed check, the others still run
                check(False, f"{c.__name__}: finished", f"{type(e).__name__}: {e}")
            finally:
                lib.stop_all()
                lib._servers.clear()
            info(f"({c.__name__}: {time.monotonic() - t0:.1f} s)")
    finally:
        lib.stop_all()
    say("@@done")


# ---------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------


def percentile(xs, q):
    """The Q-quantile (0..1) of XS, nearest rank; None when empty."""
    if not xs:
        return None
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, int(round(q * len(s) + 0.5)) - 1))]


def ms(x):
    return "none" if x is None else f"{x * 1000:.1f} ms"


def sources(n, first=(0, 10)):
    """N distinct source addresses 127.0.X.Y from FIRST (X, Y) on."""
    x, y = first
    out = []
    for _ in range(n):
        out.append(f"127.0.{x}.{y}")
        y += 1
        if y > 254:
            x, y = x + 1, 1
    return out


# ---------------------------------------------------------------------------
# Sockets
# ---------------------------------------------------------------------------


async def connect(port, src=None, rcvbuf=None, timeout=5.0):
    """A non-blocking TCP socket connected to 127.0.0.1:PORT from SRC; with
    RCVBUF a small receive buffer (set before connecting, so the window is
    small too)."""
    loop = asyncio.get_running_loop()
    s = socket.socket()
    s.setblocking(False)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    try:
        if src:
            s.bind((src, 0))
        await asyncio.wait_for(loop.sock_connect(s, (HOST, port)), timeout)
    except BaseException:
        s.close()
        raise
    return s


async def read_until_closed(s, limit, keep=1 << 16):
    """Read S until EOF, an error or LIMIT seconds: (how, seconds, total
    bytes, the first KEEP bytes, the last KEEP bytes); how is 'eof',
    'reset', an error name or 'open'."""
    loop = asyncio.get_running_loop()
    t0 = time.monotonic()
    first, last, total = b"", b"", 0
    how = "open"
    while True:
        left = limit - (time.monotonic() - t0)
        if left <= 0:
            break
        try:
            data = await asyncio.wait_for(loop.sock_recv(s, 1 << 16), left)
        except asyncio.TimeoutError:
            break
        except ConnectionResetError:
            how = "reset"
            break
        except OSError as e:
            how = type(e).__name__
            break
        if not data:
            how = "eof"
            break
        total += len(data)
        if len(first) < keep:
            first += data[:keep - len(first)]
        last = (last + data)[-keep:]
    return how, time.monotonic() - t0, total, first, last


def status_of(head):
    m = re.match(rb"HTTP/1\.[01] (\d{3})", head)
    return int(m.group(1)) if m else None


async def trickle(port, data, every, limit, src=None):
    """Send DATA one byte every EVERY seconds until the server closes or
    LIMIT seconds pass: (seconds until closed or None, bytes sent, the
    status the server answered or None)."""
    loop = asyncio.get_running_loop()
    s = await connect(port, src)
    t0 = time.monotonic()
    sent = 0
    got = b""
    closed = None
    try:
        while time.monotonic() - t0 < limit and sent < len(data):
            try:
                s.send(data[sent:sent + 1])
                sent += 1
            except OSError:
                closed = time.monotonic() - t0
                break
            try:
                chunk = await asyncio.wait_for(loop.sock_recv(s, 4096), every)
                got += chunk
                if not chunk:
                    closed = time.monotonic() - t0
                    break
            except asyncio.TimeoutError:
                pass
            except OSError:
                closed = time.monotonic() - t0
                break
    finally:
        s.close()
    return closed, sent, status_of(got)


async def check_trickle(ctx, port, data, what, timeout, bound):
    """One check: a head sent one byte at a time is cut off within BOUND s
    (TIMEOUT: the server's header timeout, for the name)."""
    every = 0.25
    closed, sent, status = await trickle(port, data, every, bound + 5)
    check(closed is not None and closed <= bound,
          f"{what} one byte every {every} s, header timeout {timeout} s: cut off after "
          f"{'never' if closed is None else f'{closed:.1f} s'} ({sent} bytes sent, answer "
          f"{status or 'none'}) (bound: <= {bound} s)",
          f"still open after {bound + 5} s" if closed is None else f"closed after {closed:.1f} s")


async def http_get(port, path, src=None, timeout=5.0, headers=""):
    """GET PATH: (status, the first bytes of the answer) or (None, error)."""
    loop = asyncio.get_running_loop()
    try:
        s = await connect(port, src, timeout=timeout)
    except (OSError, asyncio.TimeoutError) as e:
        return None, type(e).__name__
    try:
        req = f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n{headers}\r\n".encode()
        await loop.sock_sendall(s, req)
        buf = b""
        while b"\r\n\r\n" not in buf and len(buf) < 65536:
            chunk = await asyncio.wait_for(loop.sock_recv(s, 4096), timeout)
            if not chunk:
                break
            buf += chunk
        return status_of(buf), buf
    except (OSError, asyncio.TimeoutError) as e:
        return None, type(e).__name__
    finally:
        s.close()


async def hold_many(port, n, open_one, concurrency=100):
    """Open N connections with OPEN_ONE(i) -> (result, socket or None),
    at most CONCURRENCY at once."""
    sem = asyncio.Semaphore(concurrency)

    async def one(i):
        async with sem:
            return await open_one(i)

    return await asyncio.gather(*(one(i) for i in range(n)))


def ws_close_code(data):
    """The code of the first close frame in DATA (server frames, from any
    frame boundary), or None."""
    f = lib.Frames(keep=False)
    f.feed(data)
    return f.close_code()


def ws_close_code_tail(tail):
    """The close code at the end of TAIL, bytes read from the middle of a
    stream: the last `88 LEN CODE...` that ends TAIL."""
    for n in range(2, 126):
        if len(tail) >= n + 2 and tail[-n - 2] == 0x88 and tail[-n - 1] == n:
            return struct.unpack("!H", tail[-n:-n + 2])[0]
    if tail.endswith(b"\x88\x00"):
        return "none"
    return None


async def probe_latency(once, duration, every=0.05):
    """Call the coroutine ONCE() (one round trip, returns True on success)
    every EVERY seconds for DURATION seconds: (latencies in s, failures)."""
    lat, bad = [], 0
    end = time.monotonic() + duration
    while time.monotonic() < end:
        t0 = time.monotonic()
        try:
            ok = await once()
        except (OSError, asyncio.TimeoutError, ConnectionError):
            ok = False
        if ok:
            lat.append(time.monotonic() - t0)
        else:
            bad += 1
        await asyncio.sleep(every)
    return lat, bad


def latency_line(lat, bad):
    """LAT (seconds) and BAD (failures) of probe_latency as one figure."""
    return (f"p50 {ms(percentile(lat, 0.5))}, p99 {ms(percentile(lat, 0.99))}, "
            f"max {ms(max(lat) if lat else None)} over {len(lat)} round trips, {bad} failed")


async def rss_peak(server, duration):
    """The highest VmRSS of SERVER (lib.Server) over DURATION seconds,
    sampled every 0.1 s."""
    peak, t0 = 0, time.monotonic()
    while time.monotonic() - t0 < duration:
        peak = max(peak, server.rss())
        await asyncio.sleep(0.1)
    return peak


def server_side_state(port, client_port):
    """The state (hex, '01' ESTABLISHED) of the server's socket
    127.0.0.1:PORT to the client's port CLIENT_PORT, from /proc/net/tcp;
    None once it is gone."""
    local, remote = f"0100007F:{port:04X}", f":{client_port:04X}"
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            p = line.split()
            if p[1] == local and p[2].endswith(remote):
                return p[3]
    return None


async def wait_server_closed(port, client_port, limit):
    """Seconds until the server's socket to CLIENT_PORT leaves ESTABLISHED
    (the server closed it), or None after LIMIT seconds."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        if server_side_state(port, client_port) != "01":
            return time.monotonic() - t0
        await asyncio.sleep(0.1)
    return None


async def sse_open(port, path, src=None, rcvbuf=None):
    """An SSE subscriber of PATH: (status, socket kept open when 200), or
    (exception name, None) when it could not connect."""
    loop = asyncio.get_running_loop()
    try:
        s = await connect(port, src, rcvbuf)
    except (OSError, asyncio.TimeoutError) as e:
        return type(e).__name__, None
    try:
        await loop.sock_sendall(s, f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                   f"Accept: text/event-stream\r\n\r\n".encode())
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = await asyncio.wait_for(loop.sock_recv(s, 4096), 5)
            if not chunk:
                break
            buf += chunk
    except (OSError, asyncio.TimeoutError) as e:
        s.close()
        return type(e).__name__, None
    status = status_of(buf)
    if status != 200:
        s.close()
        return status, None
    return status, s


class PingAnswerer:
    """Answers every ping of a WebSocket (lib.ws_connect) with its pong
    (RFC 6455 §5.5.3) until the socket closes or stop(); `pings` counts
    them."""

    def __init__(self, conn):
        self.conn = conn
        self.pings = 0
        self.task = asyncio.ensure_future(self._run())

    async def _run(self):
        loop, c = asyncio.get_running_loop(), self.conn
        while c.sock is not None:
            data = await loop.sock_recv(c.sock, 65536)
            if not data:
                return
            c.frames.feed(data)
            for _, _, op, _, payload in c.frames.frames:
                if op == 9:
                    self.pings += 1
                    await lib.send(c, lib.frame(10, payload))
            del c.frames.frames[:]

    def stop(self):
        self.task.cancel()


class WsEcho:
    """A reading WebSocket client of an echo (or pub/sub) server for
    latency probes: send a short text, wait for a text back."""

    def __init__(self, conn):
        self.conn = conn
        self.loop = asyncio.get_running_loop()

    @classmethod
    async def open(cls, port, path="/", src=None, ext=None):
        conn = await lib.ws_connect(port, src, ext, path=path)
        if conn.status != 101:
            raise ConnectionError(f"upgrade: {conn.status or conn.error}")
        return cls(conn)

    async def round_trip(self, payload=b"ping-probe", timeout=5.0):
        c = self.conn
        before = len(c.frames.frames)
        if not await lib.send(c, lib.frame(1, payload)):
            return False
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if any(op in (0, 1, 2) for _, _, op, _, _ in c.frames.frames[before:]):
                del c.frames.frames[:]
                return True
            data = await asyncio.wait_for(self.loop.sock_recv(c.sock, 1 << 16),
                                          end - time.monotonic())
            if not data:
                return False
            c.frames.feed(data)
        return False

    def close(self):
        self.conn.close()


# ---------------------------------------------------------------------------
# Half-open TCP: a peer that vanishes without a FIN or a reset
# ---------------------------------------------------------------------------


def _enter_private_netns():
    """unshare(CLONE_NEWNET) for this process (root): a network namespace of
    its own, whose only interface is its own loopback, brought up."""
    import ctypes
    clone_newnet = 0x40000000
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(clone_newnet) != 0:
        e = ctypes.get_errno()
        raise OSError(e, f"unshare(CLONE_NEWNET): {os.strerror(e)} (needs root)")
    set_loopback(True)


def set_loopback(up):
    """Bring this network namespace's `lo` up or down (SIOCSIFFLAGS). Down,
    the routes to 127.0.0.0/8 go: every packet between the sockets on it
    is lost without an error to either side, as when a peer's machine
    vanishes from the network."""
    import fcntl
    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        ifreq = struct.pack("16sh14x", b"lo", 0)
        flags = struct.unpack("16sh14x", fcntl.ioctl(s, siocgifflags, ifreq))[1]
        flags = flags | iff_up if up else flags & ~iff_up
        fcntl.ioctl(s, siocsifflags, struct.pack("16sh14x", b"lo", flags))


def descriptors(pid):
    """How many file descriptors process PID holds."""
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


async def _half_open(rtw, sub, args, listen, openers, limit):
    server = lib.Server(rtw, sub, args, listen=listen)
    base = descriptors(server.proc.pid)
    socks = {}
    for name, opener in openers:
        socks[name] = await opener(server.port)
    t = time.monotonic()
    while descriptors(server.proc.pid) < base + len(socks) and time.monotonic() - t < 5:
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)
    held = descriptors(server.proc.pid) - base
    ports = {name: s.getsockname()[1] for name, s in socks.items()}
    set_loopback(False)
    t0 = time.monotonic()
    dropped, released = {}, None
    while time.monotonic() - t0 < limit:
        now = time.monotonic() - t0
        for name, port in ports.items():
            if name not in dropped and server_side_state(server.port, port) != "01":
                dropped[name] = round(now, 1)
        if released is None and descriptors(server.proc.pid) <= base:
            released = round(now, 1)
        if released is not None and len(dropped) == len(ports):
            break
        await asyncio.sleep(0.1)
    alive = server.alive()
    server.stop()
    for s in socks.values():
        s.close()
    return {"held": held, "dropped": dropped, "released": released, "alive": alive}


def half_open(ctx, sub, args, openers, limit, listen=None):
    """In a private network namespace (a forked child; needs root): start
    `rtw SUB ARGS`, open OPENERS ([(name, async fn(port) -> socket)]: the
    peers, each holding one connection), then take the namespace's
    loopback down so that the peers vanish without a FIN or a reset
    (half-open TCP), and watch for at most LIMIT seconds. Returns an
    awaitable of {"held": descriptors the peers held, "dropped": {name:
    seconds until the server's socket to it left ESTABLISHED (the server
    closed it, or the kernel dropped it)}, "released": seconds until the
    server's descriptor count was back to before the peers (it let go of
    every one), "alive": the server still running}."""

    async def run():
        _enter_private_netns()
        return await _half_open(ctx.rtw, sub, args, listen, openers, limit)

    return in_child(run, timeout=limit + 30)


async def check_half_open(ctx, sub, args, what, opener, bound, listen=None, shown=None):
    """The check of one peer that vanishes (half_open): WHAT (e.g. "a
    joined peer"), opened by OPENER, must have its connection dropped and
    every descriptor it held released by the server within BOUND seconds,
    the server still running. The check's line names SHOWN (default ARGS)
    as the flags."""
    r = await half_open(ctx, sub, args, [("peer", opener)], bound + 5, listen=listen)
    dropped, released = r["dropped"].get("peer"), r["released"]

    def secs(x):
        return "never" if x is None else f"{x} s"

    names = " ".join(str(a) for a in (args if shown is None else shown)) or "default settings"
    check(r["held"] >= 1 and dropped is not None and dropped <= bound and released is not None
          and released <= bound and r["alive"],
          f"half-open TCP, {names}: {what} dropped by the server {secs(dropped)} after it vanished, "
          f"the {r['held']} descriptor(s) it held released after {secs(released)} (bound: {bound} s)", f"{r}")


# ---------------------------------------------------------------------------
# Load from another process
# ---------------------------------------------------------------------------


def in_child(fn, *args, timeout=120.0):
    """Run the coroutine function FN(*ARGS) in a forked child process with
    its own event loop, so that a flood does not slow this process's
    latency probes (one Python thread cannot both flood and measure).
    Returns an awaitable of FN's result (picklable), or raises
    RuntimeError with the child's error; the child is killed after TIMEOUT
    seconds and dies with this process."""
    import multiprocessing

    mp = multiprocessing.get_context("fork")
    receiver, sender = mp.Pipe(duplex=False)

    def target():
        lib._die_with_parent()
        asyncio.events._set_running_loop(None)  # the parent's loop, inherited by fork
        try:
            sender.send(("ok", asyncio.run(fn(*args))))
        except BaseException as e:  # reported to the parent
            sender.send(("error", f"{type(e).__name__}: {e}"))

    child = mp.Process(target=target, daemon=True)
    child.start()

    async def result():
        loop = asyncio.get_running_loop()
        try:
            ready = await loop.run_in_executor(None, receiver.poll, timeout)
            if not ready:
                raise RuntimeError(f"{fn.__name__} did not finish within {timeout} s")
            how, value = receiver.recv()
            if how != "ok":
                raise RuntimeError(f"{fn.__name__}: {value}")
            return value
        finally:
            if child.is_alive():
                child.kill()
            child.join(5)

    return result()
