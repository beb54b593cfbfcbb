"""Python helpers shared by the conformance suites (`attacks`, `abuse`):
the Python counterpart of lib.sh. Standard library only.

- Reporting in the suites' line protocol: `check()` prints `@@pass NAME` or
  `@@fail NAME<TAB>REASON` (a suite's `run` turns them into `pass`/`fail`
  of lib.sh), `info()` an indented line shown as it is.
- Processes: `Server` starts `rtw SUB ...` on 127.0.0.1 port 0, reads the
  port from its `listening on` line, dies with this process
  (PR_SET_PDEATHSIG) and gives its VmRSS / VmHWM; `flags()` keeps only the
  flags its `--help` lists (one check says which are missing);
  `raise_nofile()`, `established()` (server-side ESTABLISHED sockets from
  /proc/net/tcp), `settle()`, `wait_closed()`.
- A WebSocket client written from RFC 6455 (handshake, masked frames) and
  RFC 7692 (permessage-deflate, raw deflate with zlib) on asyncio sockets:
  `ws_connect()`, `open_many()`, `frame()`, `Frames`, `send()`, `watch()`,
  `echo_ok()`.

Import it from a suite's script with
`sys.path.insert(0, <the conformance directory>)` then `import lib` or
`from lib import ...`.
"""

import asyncio
import base64
import ctypes
import hashlib
import os
import re
import resource
import select
import signal
import socket
import struct
import subprocess
import tempfile
import time
import zlib

MiB = 1 << 20
KiB = 1 << 10
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
HOST = "127.0.0.1"

# ---------------------------------------------------------------------------
# Reporting
# ---------------------------------------------------------------------------


def say(line=""):
    print(line, flush=True)


def info(line):
    say("      " + line)


def check(ok, name, reason):
    """One check of the suite: NAME carries the measured figure."""
    if ok:
        say(f"@@pass {name}")
    else:
        say(f"@@fail {name}\t{reason}")
    return ok


def times(r):
    return f"{r:.1f}" if r >= 1 else f"{r:.4f}"


def mib(n):
    return f"{n / MiB:.1f} MiB"


# ---------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------

_libc = ctypes.CDLL(None, use_errno=True)
PR_SET_PDEATHSIG = 1


def _die_with_parent():
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def raise_nofile():
    """The client's own descriptor limit: up to its hard limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


_help = {}


def help_text(rtw, sub):
    if sub not in _help:
        r = subprocess.run([rtw, *sub.split(), "--help"], capture_output=True,
                           timeout=10, stdin=subprocess.DEVNULL)
        _help[sub] = r.stdout.decode(errors="replace") + r.stderr.decode(errors="replace")
    return _help[sub]


def flags(rtw, sub, wanted):
    """Arguments for `rtw SUB` from WANTED [(flag, value or None)], keeping
    only the flags its --help lists, and one check that all of them exist:
    a missing flag fails (the attack then runs with the defaults, so its
    figure is still measured)."""
    text = help_text(rtw, sub)
    args, missing = [], []
    for flag, value in wanted:
        if re.search(r"(^|[\s,])" + re.escape(flag) + r"(?![\w-])", text):
            args.append(flag)
            if value is not None:
                args.append(str(value))
        else:
            missing.append(flag)
    shown = " ".join(f if v is None else f"{f} {v}" for f, v in wanted)
    if wanted:
        check(not missing, f"rtw {sub} accepts {shown}",
              f"not in `rtw {sub} --help`: {' '.join(missing)} (measured with the defaults instead)")
    return args


class Server:
    """`rtw SUB ... 127.0.0.1:0`, optionally under `prlimit --nofile=N:N`;
    with LISTEN (a flag, e.g. `--listen` for `rtw serve`) the address is
    that flag's value instead of the first argument."""

    def __init__(self, rtw, sub, args, nofile=None, listen=None):
        cmd = []
        if nofile is not None:
            cmd = ["prlimit", f"--nofile={nofile}:{nofile}", "--"]
        addr = [listen, f"{HOST}:0"] if listen else [f"{HOST}:0"]
        cmd += [rtw, *sub.split(), *addr, *args]
        self.cmd = cmd
        self.err = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=self.err, preexec_fn=_die_with_parent)
        _servers.append(self)
        self.port = None
        deadline = time.monotonic() + 10
        line = b""
        while time.monotonic() < deadline and b"\n" not in line:
            r, _, _ = select.select([self.proc.stdout], [], [], 0.2)
            if r:
                chunk = os.read(self.proc.stdout.fileno(), 256)
                if not chunk:
                    break
                line += chunk
        m = re.match(rb"listening on (?:[a-z]+://)?127\.0\.0\.1:(\d+)", line)
        if not m:
            self.stop()
            raise RuntimeError(f"{' '.join(cmd)} did not start: {line!r} {self.stderr()!r}")
        self.port = int(m.group(1))
        info(f"server: {' '.join(cmd)} (pid {self.proc.pid}, port {self.port})")
        time.sleep(0.3)

    def stderr(self):
        self.err.seek(0)
        return self.err.read()[-600:].decode(errors="replace")

    def status(self, field):
        """A /proc/PID/status field in bytes (VmRSS, VmHWM), 0 if gone."""
        try:
            with open(f"/proc/{self.proc.pid}/status") as f:
                for line in f:
                    if line.startswith(field + ":"):
                        return int(line.split()[1]) * 1024
        except OSError:
            pass
        return 0

    def rss(self):
        return self.status("VmRSS")

    def hwm(self):
        return self.status("VmHWM")

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass


_servers = []


def stop_all():
    for s in _servers:
        s.stop()


async def settle(server, at_least=1.0, at_most=10.0, still=1.0, step=0.25):
    """Wait until the server's RSS stops moving (less than 1 MiB over
    STILL seconds), at least AT_LEAST and at most AT_MOST seconds."""
    start = time.monotonic()
    history = []
    while True:
        now = time.monotonic() - start
        history.append((now, server.rss()))
        old = [r for t, r in history if t <= now - still]
        if now >= at_least and old and abs(history[-1][1] - old[-1]) < MiB:
            return history[-1][1]
        if now >= at_most:
            return history[-1][1]
        await asyncio.sleep(step)


def established(port):
    """Server-side TCP connections of 127.0.0.1:PORT in state ESTABLISHED
    (accepted or waiting in the accept queue), from /proc/net/tcp."""
    local = f"0100007F:{port:04X}"
    seen = set()  # (the file is read in pieces and may repeat a line)
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            parts = line.split()
            if parts[1] == local and parts[3] == "01":
                seen.add(parts[2])
    return len(seen)


# ---------------------------------------------------------------------------
# WebSocket client (RFC 6455, RFC 7692)
# ---------------------------------------------------------------------------


def accept_for(key):
    return base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()


def upgrade_request(port, key, ext=None, path="/attacks"):
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {HOST}:{port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
    ]
    if ext:
        lines.append(f"Sec-WebSocket-Extensions: {ext}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def mask_bytes(data, key):
    n = len(data)
    if n == 0:
        return b""
    k = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "little") ^ int.from_bytes(k, "little")).to_bytes(n, "little")


def frame(opcode, payload, fin=True, rsv1=False):
    """A client frame: masked with a fresh random key (RFC 6455 §5.3)."""
    b0 = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | opcode
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", b0, 0x80 | n)
    elif n < 1 << 16:
        head = struct.pack("!BBH", b0, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", b0, 0x80 | 127, n)
    key = os.urandom(4)
    return head + key + mask_bytes(payload, key)


def close_frame(code=1000):
    return frame(8, struct.pack("!H", code))


class Frames:
    """Incremental parser of server frames. Payloads are kept only when
    KEEP (control frames always), so a 64 MiB echo is counted, not held."""

    def __init__(self, keep=True):
        self.keep = keep
        self.head = bytearray()
        self.need = 0
        self.cur = None
        self.frames = []  # (fin, rsv1, opcode, length, payload or None)
        self.received = 0
        self.bad = None

    def feed(self, data):
        self.received += len(data)
        i, n = 0, len(data)
        while i < n:
            if self.cur is not None:
                take = min(self.need, n - i)
                if self.cur[4] is not None:
                    self.cur[4].extend(data[i:i + take])
                self.need -= take
                i += take
                if self.need == 0:
                    self._emit()
                continue
            self.head.append(data[i])
            i += 1
            h = self.head
            if len(h) < 2:
                continue
            if h[1] & 0x80:
                self.bad = "masked server frame"
            ln = h[1] & 0x7F
            size = 2 + (2 if ln == 126 else 8 if ln == 127 else 0)
            if len(h) < size:
                continue
            if ln == 126:
                ln = struct.unpack("!H", h[2:4])[0]
            elif ln == 127:
                ln = struct.unpack("!Q", h[2:10])[0]
            opcode = h[0] & 0x0F
            keep = self.keep or opcode >= 8
            self.cur = [bool(h[0] & 0x80), bool(h[0] & 0x40), opcode, ln,
                        bytearray() if keep else None]
            self.need = ln
            self.head = bytearray()
            if ln == 0:
                self._emit()

    def _emit(self):
        fin, rsv1, opcode, ln, payload = self.cur
        self.frames.append((fin, rsv1, opcode, ln, bytes(payload) if payload is not None else None))
        self.cur = None

    def close_code(self):
        """The code of the first close frame: int, 'none' (empty), or None."""
        for _, _, opcode, _, payload in self.frames:
            if opcode == 8:
                if len(payload) >= 2:
                    return struct.unpack("!H", payload[:2])[0]
                return "none"
        return None

    def message_done(self):
        """True once a complete data message (a frame with FIN) came."""
        return any(fin and op in (0, 1, 2) for fin, _, op, _, _ in self.frames)


class Conn:
    def __init__(self, sock=None, status=None, headers=None, rest=b"", error=None):
        self.sock = sock
        self.status = status
        self.headers = headers or {}
        self.frames = Frames()
        self.error = error
        self.sent = 0
        self.outcome = None  # how it ended: close code, 'eof', 'reset', ...
        self.send_error = None
        self.first_close = None
        self.ended_at = None
        if rest:
            self.frames.feed(rest)

    @property
    def deflate(self):
        return self.headers.get("sec-websocket-extensions", "")

    def close(self):
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
            self.sock = None


def parse_head(head):
    lines = head.decode("latin-1").split("\r\n")
    m = re.match(r"HTTP/1\.1 (\d{3})", lines[0])
    status = int(m.group(1)) if m else None
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    return status, headers


async def read_head(loop, sock, limit=65536):
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = await loop.sock_recv(sock, 4096)
        if not chunk:
            raise ConnectionError("EOF before the end of the response head" if buf else "EOF")
        buf += chunk
        if len(buf) > limit:
            raise ConnectionError("response head too long")
    head, rest = buf.split(b"\r\n\r\n", 1)
    return head, rest


async def ws_connect(port, src=None, ext=None, timeout=10.0, path="/attacks"):
    """Connect (from SRC), upgrade offering EXT; the Conn keeps the socket
    only after a valid 101, else records the status or error."""
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    try:
        if src:
            sock.bind((src, 0))
        await asyncio.wait_for(loop.sock_connect(sock, (HOST, port)), timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        req = upgrade_request(port, key, ext, path)
        try:
            await asyncio.wait_for(loop.sock_sendall(sock, req), timeout)
        except OSError:
            pass  # a server that refused at once: read its answer (503)
        head, rest = await asyncio.wait_for(read_head(loop, sock), timeout)
    except (OSError, asyncio.TimeoutError, ConnectionError) as e:
        sock.close()
        return Conn(error=type(e).__name__ + (f": {e}" if str(e) else ""))
    status, headers = parse_head(head)
    if status != 101 or headers.get("sec-websocket-accept") != accept_for(key):
        sock.close()
        return Conn(status=status, headers=headers,
                    error=None if status != 101 else "bad Sec-WebSocket-Accept")
    conn = Conn(sock, status, headers, rest)
    conn.sent = len(req)
    conn.frames.received += len(head) + 4
    return conn


async def open_many(port, n, src=lambda i: None, ext=None, concurrency=200, timeout=10.0,
                    path="/attacks"):
    sem = asyncio.Semaphore(concurrency)

    async def one(i):
        async with sem:
            return await ws_connect(port, src(i), ext, timeout, path)

    return await asyncio.gather(*(one(i) for i in range(n)))


def spread(first=10, per=100):
    """Source addresses 127.0.0.FIRST, ... PER connections each."""
    return lambda i: f"127.0.0.{first + i // per}"


async def send(conn, data):
    """Send; on failure record how the connection ended."""
    if conn.sock is None:
        return False
    try:
        await asyncio.get_running_loop().sock_sendall(conn.sock, data)
        conn.sent += len(data)
        return True
    except OSError as e:
        # How the connection ended is for watch() to find: the server's
        # close frame may still wait in the receive buffer.
        conn.send_error = type(e).__name__
        return False


async def watch(conn, until_message=False):
    """Read from CONN until the peer's close frame, EOF or an error (or,
    with UNTIL_MESSAGE, a complete data message); sets conn.outcome."""
    loop = asyncio.get_running_loop()
    while conn.sock is not None:
        code = conn.frames.close_code()
        if code is not None:
            conn.outcome = code
            break
        if until_message and conn.frames.message_done():
            return
        try:
            data = await loop.sock_recv(conn.sock, 1 << 20)
        except ConnectionResetError:
            conn.outcome = "reset"
            break
        except OSError as e:
            conn.outcome = type(e).__name__
            break
        if not data:
            conn.outcome = "eof"
            break
        conn.frames.feed(data)
    if conn.ended_at is None:
        conn.ended_at = time.monotonic()


def deflate_message(data, level=9):
    """A whole message compressed as RFC 7692 §7.2.1 says: raw deflate,
    sync flush, the trailing 00 00 ff ff removed."""
    c = zlib.compressobj(level, zlib.DEFLATED, -15)
    out = c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH)
    assert out.endswith(b"\x00\x00\xff\xff")
    return out[:-4]


def inflate_message(payload):
    d = zlib.decompressobj(-15)
    return d.decompress(payload + b"\x00\x00\xff\xff") + d.flush()


async def echo_ok(port, src=None, timeout=5.0):
    """A normal client (browser-like deflate offer): its text comes back."""
    conn = await ws_connect(port, src, "permessage-deflate; client_max_window_bits", timeout)
    if conn.status != 101:
        return False, f"upgrade: {conn.status or conn.error}"
    text = b"hello from a normal client after the attack"
    deflate = conn.deflate.startswith("permessage-deflate")
    payload = deflate_message(text) if deflate else text
    await send(conn, frame(1, payload, rsv1=deflate))
    try:
        await asyncio.wait_for(watch(conn, until_message=True), timeout)
    except asyncio.TimeoutError:
        conn.close()
        return False, f"no echo within {timeout:.0f} s"
    data = [(r, p) for fin, r, op, _, p in conn.frames.frames if op in (0, 1)]
    await send(conn, close_frame())
    conn.close()
    if not data:
        return False, f"no echo, connection ended: {conn.outcome}"
    got = b"".join(p for _, p in data)
    if data[0][0]:
        got = inflate_message(got)
    return got == text, f"echo was {got[:60]!r}"


async def wait_closed(port, expect_zero_within, step=0.25):
    """Poll the server's ESTABLISHED count until 0 or the bound; returns
    (count at the end, seconds taken)."""
    t0 = time.monotonic()
    while True:
        n = established(port)
        t = time.monotonic() - t0
        if n == 0 or t >= expect_zero_within:
            return n, t
        await asyncio.sleep(step)
