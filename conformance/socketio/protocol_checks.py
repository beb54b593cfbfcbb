#!/usr/bin/env python3
"""Our own checks of the Engine.IO v4 protocol document
(https://socket.io/docs/v4/engine-io-protocol/), written from it, against a
Socket.IO server at URL/socket.io/ whose namespace / echoes `echo` (rtw
serve, or server.cjs).

Usage: python3 protocol_checks.py URL --ping-interval MS --ping-timeout MS
           [--margin MS]

Standard library only: http.client for polling, and a minimal RFC 6455
client (handshake, masked frames, reading frames) for the WebSocket checks.

The document requires HTTP 400 for a missing mandatory query parameter, an
unknown session id and a second concurrent GET (which also closes the
session); the JSON bodies {"code":N,"message":"..."} checked beside them are
the reference implementation's error codes (0 Transport unknown, 1 Session
ID unknown, 2 Bad handshake method, 3 Bad request, 5 Unsupported protocol
version), which the document does not list.

One line per check, `ok    NAME: what was seen` or `FAIL  NAME: why`; exit
0 iff no FAIL. Every wait is bounded.
"""
import base64
import hashlib
import http.client
import json
import os
import socket
import struct
import sys
import threading
import time
import urllib.parse

PATH = "/socket.io/"
SEP = "\x1e"
T = 5.0  # bound of one HTTP request or WebSocket read, seconds

failed = 0


def ok(name, seen):
    print(f"ok    {name}: {seen}", flush=True)


def fail(name, why):
    global failed
    failed += 1
    print(f"FAIL  {name}: {why}", flush=True)


def check(name, cond, seen, why=None):
    if cond:
        ok(name, seen)
    else:
        fail(name, why or f"unexpected: {seen}")
    return cond


# ---------------------------------------------------------------- HTTP


class Server:
    def __init__(self, url):
        u = urllib.parse.urlsplit(url)
        self.host = u.hostname
        self.port = u.port or 80

    def request(self, method, query, body=None, timeout=T, headers=None):
        """(status, body text) of one request on a connection of its own;
        (None, error) when the connection fails or times out."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            h = dict(headers or {})
            if body is not None:
                if isinstance(body, str):
                    body = body.encode()
                h.setdefault("Content-Type", "text/plain;charset=UTF-8")
            conn.request(method, PATH + "?" + query, body=body, headers=h)
            r = conn.getresponse()
            return r.status, r.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as e:
            return None, f"{type(e).__name__}: {e}"
        finally:
            conn.close()

    def handshake(self):
        status, body = self.request("GET", "EIO=4&transport=polling")
        if status != 200 or not body.startswith("0"):
            raise RuntimeError(f"handshake answered {status} {body!r}")
        return json.loads(body[1:])


def error_body(body):
    try:
        j = json.loads(body)
        return j if isinstance(j, dict) else None
    except ValueError:
        return None


class Polling:
    """One polling session; pings seen on GETs are answered unless told."""

    def __init__(self, server, answer_pings=True):
        self.s = server
        self.open = server.handshake()
        self.sid = self.open["sid"]
        self.q = f"EIO=4&transport=polling&sid={urllib.parse.quote(self.sid)}"
        self.answer_pings = answer_pings

    def post(self, body):
        return self.s.request("POST", self.q, body)

    def get(self, timeout=T):
        return self.s.request("GET", self.q, timeout=timeout)

    def collect(self, want, timeout=T):
        """GETs until `want` packets other than pings have come (or the
        time is up); returns (packets, raw bodies)."""
        deadline = time.monotonic() + timeout
        packets, bodies = [], []
        while len(packets) < want and time.monotonic() < deadline:
            status, body = self.get(timeout=max(0.1, deadline - time.monotonic()))
            if status != 200:
                bodies.append(f"{status} {body}")
                break
            bodies.append(body)
            for p in body.split(SEP):
                if p == "2":
                    if self.answer_pings:
                        self.post("3")
                elif p != "6":
                    packets.append(p)
        return packets, bodies


def sio_connect(p):
    """Socket.IO CONNECT to / over a polling session; the CONNECT packet."""
    status, body = p.post("40")
    if (status, body) != (200, "ok"):
        raise RuntimeError(f"POST 40 answered {status} {body!r}")
    packets, bodies = p.collect(1)
    if not packets or not packets[0].startswith("40"):
        raise RuntimeError(f"no CONNECT back: {bodies!r}")
    return packets[0]


# ----------------------------------------------------------- WebSocket


class WebSocket:
    """A minimal RFC 6455 client: handshake, masked frames, frame reading
    (control frames answered: ping -> pong)."""

    def __init__(self, server, query, timeout=T):
        self.sock = socket.create_connection((server.host, server.port), timeout=timeout)
        self.sock.settimeout(timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        req = (f"GET {PATH}?{query} HTTP/1.1\r\nHost: {server.host}:{server.port}\r\n"
               "Upgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
        self.sock.sendall(req.encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise RuntimeError(f"connection closed during the handshake: {self.buf!r}")
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        self.status_line = lines[0]
        if " 101 " not in lines[0] + " ":
            raise RuntimeError(f"no 101: {lines[0]!r}")
        headers = {k.strip().lower(): v.strip() for k, v in
                   (line.split(":", 1) for line in lines[1:] if ":" in line)}
        accept = base64.b64encode(hashlib.sha1(
            (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
        if headers.get("sec-websocket-accept") != accept:
            raise RuntimeError("bad Sec-WebSocket-Accept")
        self.closed = False

    def send_frame(self, opcode, payload):
        if isinstance(payload, str):
            payload = payload.encode()
        n = len(payload)
        head = bytes([0x80 | opcode])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack("!Q", n)
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + masked)

    def send_text(self, text):
        self.send_frame(1, text)

    def send_binary(self, data):
        self.send_frame(2, data)

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("connection closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv(self, timeout=T):
        """The next message: ("text", str) | ("binary", bytes) |
        ("close", code) | ("eof", None) | ("timeout", None)."""
        self.sock.settimeout(timeout)
        message, kind = b"", None
        try:
            while True:
                b0, b1 = self._read(2)
                opcode, fin = b0 & 0x0F, b0 & 0x80
                n = b1 & 0x7F
                if n == 126:
                    n = struct.unpack("!H", self._read(2))[0]
                elif n == 127:
                    n = struct.unpack("!Q", self._read(8))[0]
                mask = self._read(4) if b1 & 0x80 else None
                payload = self._read(n)
                if mask:
                    payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
                if opcode == 9:
                    self.send_frame(10, payload)
                    continue
                if opcode == 10:
                    continue
                if opcode == 8:
                    self.closed = True
                    code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                    return "close", code
                if opcode in (1, 2):
                    kind = "text" if opcode == 1 else "binary"
                message += payload
                if fin:
                    return (kind, message.decode()) if kind == "text" else (kind, message)
        except socket.timeout:
            return "timeout", None
        except (EOFError, OSError):
            self.closed = True
            return "eof", None

    def recv_packet(self, timeout=T, answer_pings=True):
        """The next Engine.IO message other than a ping (answered with a
        pong when told)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return "timeout", None
            kind, data = self.recv(left)
            if kind == "text" and data == "2":
                if answer_pings:
                    self.send_text("3")
                continue
            return kind, data

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


# -------------------------------------------------------------- checks


def guarded(name, fn):
    try:
        fn()
    except Exception as e:
        fail(name, f"{type(e).__name__}: {e}")


def check_handshake(s, interval, timeout):
    status, body = s.request("GET", "EIO=4&transport=polling")
    j = error_body(body[1:]) if body.startswith("0") else None
    good = (status == 200 and j is not None and isinstance(j.get("sid"), str) and j["sid"]
            and j.get("upgrades") == ["websocket"] and j.get("pingInterval") == interval
            and j.get("pingTimeout") == timeout
            and isinstance(j.get("maxPayload"), (int, float)) and not isinstance(j.get("maxPayload"), bool))
    check("handshake", good, f"200 {body!r}",
          f"{status} {body!r}: want 0{{sid (string), upgrades [\"websocket\"], "
          f"pingInterval {interval}, pingTimeout {timeout}, maxPayload (number)}}")


def check_error(s, name, method, query, code, message, body=None):
    status, text = s.request(method, query, body)
    j = error_body(text)
    good = status == 400 and j is not None and j.get("code") == code and j.get("message") == message
    check(name, good, f"{method} ?{query} -> {status} {text}",
          f"{method} ?{query} -> {status} {text!r}; want 400 {{\"code\":{code},\"message\":\"{message}\"}}")


def check_errors(s):
    status, text = s.request("GET", "transport=polling")
    check("missing-eio", status == 400, f"GET without EIO -> {status} {text}",
          f"GET without EIO -> {status} {text!r}; want 400")
    status, text = s.request("GET", "EIO=4")
    check("missing-transport", status == 400, f"GET without transport -> {status} {text}",
          f"GET without transport -> {status} {text!r}; want 400")
    check_error(s, "unsupported-version", "GET", "EIO=3&transport=polling", 5,
                "Unsupported protocol version")
    check_error(s, "unknown-transport", "GET", "EIO=4&transport=carrier-pigeon", 0,
                "Transport unknown")
    check_error(s, "unknown-sid-get", "GET", "EIO=4&transport=polling&sid=no-such-sid", 1,
                "Session ID unknown")
    check_error(s, "unknown-sid-post", "POST", "EIO=4&transport=polling&sid=no-such-sid", 1,
                "Session ID unknown", body="40")
    check_error(s, "bad-handshake-method", "POST", "EIO=4&transport=polling", 2,
                "Bad handshake method", body="40")
    # A WebSocket request without the Upgrade: the reference
    # implementation's code 3.
    check_error(s, "bad-request", "GET", "EIO=4&transport=websocket", 3, "Bad request")


def check_payloads(s):
    p = Polling(s)
    connect = sio_connect(p)
    ok("post-ok", "POST 40 -> 200 ok; CONNECT answered " + repr(connect))
    status, body = p.post('42["echo","a"]' + SEP + '42["echo","b"]')
    check("post-two-packets", (status, body) == (200, "ok"), f"POST of two packets -> {status} {body}")
    packets, bodies = p.collect(2)
    check("payload-separator", packets == ['42["echo","a"]', '42["echo","b"]'],
          f"both echoed in order, GET bodies {bodies!r}",
          f"packets {packets!r} from GET bodies {bodies!r}")
    joined = any(SEP in b and '42["echo","a"]' in b and '42["echo","b"]' in b for b in bodies)
    if joined:
        ok("payload-joined", "one GET returned both packets joined by \\x1e")
    else:
        ok("payload-joined", f"the packets came on separate GETs {bodies!r} (allowed)")
    # binary over polling: `b` + base64 both ways
    status, body = p.post('451-["echo",{"_placeholder":true,"num":0}]' + SEP + "bAQID")
    check("post-binary", (status, body) == (200, "ok"), f"POST with bAQID -> {status} {body}")
    packets, bodies = p.collect(2)
    want = ['451-["echo",{"_placeholder":true,"num":0}]', "bAQID"]
    check("binary-base64", packets == want, f"echo with the attachment as b+base64: {packets!r}",
          f"packets {packets!r} (bodies {bodies!r}), want {want!r}")


def check_one_get(s):
    p = Polling(s, answer_pings=False)
    first = {}

    def held():
        first["r"] = p.get(timeout=T)
        first["t"] = time.monotonic()

    t = threading.Thread(target=held, daemon=True)
    t.start()
    time.sleep(0.05)
    status, body = p.get(timeout=T)
    t.join(T + 1)
    status_after, body_after = p.get(timeout=2)
    first_r = first.get("r")
    check("second-get", status == 400, f"second concurrent GET -> {status} {body}",
          f"second concurrent GET -> {status} {body!r}; want 400")
    check("second-get-closes", status_after == 400,
          f"the session closed: the held GET ended {first_r!r}, a later GET -> {status_after} {body_after}",
          f"a later GET -> {status_after} {body_after!r}; want 400 (the session closed); held GET {first_r!r}")


def check_max_payload(s):
    p = Polling(s)
    sio_connect(p)
    limit = p.open["maxPayload"]
    big = "4" + "x" * int(limit)  # one byte over maxPayload
    status, body = p.post(big)
    status_after, body_after = p.get(timeout=2)
    after = [(status_after, body_after)]
    if status_after == 200 and "1" in body_after.split(SEP):
        # the close packet on the next GET, then the session is gone
        after.append(p.get(timeout=2))
    check("max-payload", status is not None and 400 <= status < 500,
          f"POST of {len(big)} bytes (maxPayload {limit}) -> {status} {body[:60]!r}",
          f"POST of {len(big)} bytes (maxPayload {limit}) -> {status} {body[:60]!r}; want a 4xx refusal")
    check("max-payload-closes", after[-1][0] == 400,
          f"the session closed: then GETs -> {after!r}",
          f"then GETs -> {after!r}; want 400 (or a close packet 1, then 400)")


def check_upgrade(s):
    p = Polling(s)
    sio_connect(p)
    held = {}

    def pending():
        held["r"] = p.get(timeout=T)

    t = threading.Thread(target=pending, daemon=True)
    t.start()
    time.sleep(0.05)
    ws = WebSocket(s, f"EIO=4&transport=websocket&sid={urllib.parse.quote(p.sid)}")
    try:
        ws.send_text("2probe")
        kind, data = ws.recv_packet()
        check("probe", (kind, data) == ("text", "3probe"), f"2probe -> {kind} {data!r}",
              f"2probe -> {kind} {data!r}; want text 3probe")
        t.join(T + 1)
        r = held.get("r")
        # the held GET may also carry a ping that came while it was held
        good = r is not None and r[0] == 200 and "6" in r[1].split(SEP)
        check("noop", good, f"the pending GET was answered {r!r}",
              f"the pending GET ended {r!r}; want 200 with a noop 6")
        if r is not None and r[0] == 200 and "2" in r[1].split(SEP):
            ws.send_text("3")
        ws.send_text("5")
        time.sleep(0.1)
        status, body = p.get(timeout=2)
        check("polling-after-upgrade", status == 400, f"GET with the sid -> {status} {body}",
              f"GET with the sid after the upgrade -> {status} {body!r}; want 400")
        ws.send_text('42["echo","up"]')
        kind, data = ws.recv_packet()
        check("ws-message", (kind, data) == ("text", '42["echo","up"]'),
              f"echo over the WebSocket: {kind} {data!r}")
        ws.send_text('451-["echo",{"_placeholder":true,"num":0}]')
        ws.send_binary(b"\x01\x02\x03")
        k1, d1 = ws.recv_packet()
        k2, d2 = ws.recv_packet()
        check("ws-binary", (k1, d1, k2, d2) == ("text", '451-["echo",{"_placeholder":true,"num":0}]',
                                                 "binary", b"\x01\x02\x03"),
              f"binary attachment sent as is: {k1} {d1!r}, {k2} {d2!r}",
              f"got {k1} {d1!r}, {k2} {d2!r}; want the header then a binary frame 01 02 03 (no prefix)")
    finally:
        ws.close()


def check_ws_only(s, interval, timeout):
    ws = WebSocket(s, "EIO=4&transport=websocket")
    try:
        kind, data = ws.recv(T)
        j = error_body(data[1:]) if kind == "text" and data.startswith("0") else None
        # `upgrades` lists the transports the session may upgrade to: a
        # session already on WebSocket has none to go to.
        good = (j is not None and isinstance(j.get("sid"), str)
                and isinstance(j.get("upgrades"), list) and "websocket" not in j["upgrades"]
                and j.get("pingInterval") == interval and j.get("pingTimeout") == timeout
                and isinstance(j.get("maxPayload"), (int, float)))
        check("ws-open", good, f"first frame {kind} {data!r}",
              f"first frame {kind} {data!r}; want text 0{{sid, upgrades (without websocket), pingInterval {interval}, "
              f"pingTimeout {timeout}, maxPayload}}")
        ws.send_text("40")
        kind, data = ws.recv_packet()
        check("ws-connect", kind == "text" and data.startswith("40{"), f"CONNECT answered {kind} {data!r}")
    finally:
        ws.close()


def check_heartbeat_polling(s, interval, timeout, margin):
    p = Polling(s, answer_pings=False)
    t0 = time.monotonic()
    # the first ping, on a held GET
    status, body = p.get(timeout=(interval + margin) / 1000 + T)
    t1 = time.monotonic()
    first = (t1 - t0) * 1000
    check("ping-interval-polling",
          status == 200 and body.split(SEP)[0] == "2" and abs(first - interval) <= margin,
          f"ping after {first:.0f} ms (pingInterval {interval} ± {margin})",
          f"GET after {first:.0f} ms -> {status} {body!r}; want 2 after {interval} ± {margin} ms")
    # answering keeps it alive past several intervals
    pings = 1
    p.post("3")
    last_pong = time.monotonic()
    deadline = time.monotonic() + 4 * (interval + timeout) / 1000
    alive = True
    while time.monotonic() < deadline:
        status, body = p.get(timeout=(interval + timeout + margin) / 1000 + 1)
        if status != 200 or "1" in body.split(SEP):
            alive = False
            break
        if "2" in body.split(SEP):
            pings += 1
            p.post("3")
            last_pong = time.monotonic()
    kept = (time.monotonic() - t1) * 1000
    check("pong-keeps-alive-polling", alive and pings >= 3,
          f"alive {kept:.0f} ms after the first ping, {pings} pings answered",
          f"after {kept:.0f} ms and {pings} pings: {status} {body!r}")
    # no pong: closed within pingInterval + pingTimeout (+ margin) of the last pong
    t_last = last_pong
    ends = []
    while time.monotonic() - t_last < (interval + timeout + margin) / 1000 + 2:
        status, body = p.get(timeout=(interval + timeout + margin) / 1000 + 2)
        ends.append((round((time.monotonic() - t_last) * 1000), status, body))
        if status != 200 or "1" in body.split(SEP):
            break
    closed_at = ends[-1][0] if ends else None
    status, body = ends[-1][1:] if ends else (None, "")
    closed = status == 400 or (status == 200 and "1" in body.split(SEP))
    if closed and status == 200:
        status2, body2 = p.get(timeout=2)
        closed = status2 == 400
        ends.append(("then", status2, body2))
    check("ping-timeout-polling", closed and closed_at <= interval + timeout + margin,
          f"closed {closed_at} ms after the last pong (limit {interval}+{timeout}+{margin}): {ends!r}",
          f"not closed in time: {ends!r}; limit {interval + timeout + margin} ms")


def check_heartbeat_ws(s, interval, timeout, margin):
    ws = WebSocket(s, "EIO=4&transport=websocket")
    try:
        t0 = time.monotonic()
        kind, data = ws.recv(T)
        if kind != "text" or not data.startswith("0"):
            fail("ping-interval-ws", f"no open packet: {kind} {data!r}")
            return
        kind, data = ws.recv((interval + margin) / 1000 + T)
        first = (time.monotonic() - t0) * 1000
        check("ping-interval-ws", (kind, data) == ("text", "2") and abs(first - interval) <= margin,
              f"ping after {first:.0f} ms (pingInterval {interval} ± {margin})",
              f"after {first:.0f} ms: {kind} {data!r}; want 2 after {interval} ± {margin} ms")
        ws.send_text("3")
        pings, t1 = 1, time.monotonic()
        last_pong = t1
        deadline = t1 + 4 * (interval + timeout) / 1000
        alive = True
        while time.monotonic() < deadline:
            kind, data = ws.recv(max(0.05, deadline - time.monotonic()))
            if kind == "timeout":
                break
            if (kind, data) == ("text", "2"):
                pings += 1
                ws.send_text("3")
                last_pong = time.monotonic()
            elif kind in ("close", "eof") or (kind, data) == ("text", "1"):
                alive = False
                break
        check("pong-keeps-alive-ws", alive and pings >= 3,
              f"alive {(time.monotonic() - t1) * 1000:.0f} ms after the first ping, {pings} pings answered",
              f"{kind} {data!r} after {pings} pings")
        t_last = last_pong
        seen = []
        while True:
            left = (interval + timeout + margin) / 1000 + 2 - (time.monotonic() - t_last)
            if left <= 0:
                break
            kind, data = ws.recv(left)
            seen.append((round((time.monotonic() - t_last) * 1000), kind, data))
            if kind in ("close", "eof", "timeout") or (kind, data) == ("text", "1"):
                break
        at, kind = (seen[-1][0], seen[-1][1]) if seen else (None, None)
        closed = kind in ("close", "eof") or (seen and seen[-1][1:] == ("text", "1"))
        check("ping-timeout-ws", closed and at <= interval + timeout + margin,
              f"closed {at} ms after the last pong (limit {interval}+{timeout}+{margin}): {seen!r}",
              f"not closed in time: {seen!r}; limit {interval + timeout + margin} ms")
    finally:
        ws.close()


def main():
    args = sys.argv[1:]
    opts = {"--ping-interval": None, "--ping-timeout": None, "--margin": "250"}
    rest = []
    i = 0
    while i < len(args):
        if args[i] in opts and i + 1 < len(args):
            opts[args[i]] = args[i + 1]
            i += 2
        else:
            rest.append(args[i])
            i += 1
    if len(rest) != 1 or opts["--ping-interval"] is None or opts["--ping-timeout"] is None:
        print(__doc__, file=sys.stderr)
        return 2
    s = Server(rest[0])
    interval, timeout = int(opts["--ping-interval"]), int(opts["--ping-timeout"])
    margin = int(opts["--margin"])

    guarded("handshake", lambda: check_handshake(s, interval, timeout))
    guarded("errors", lambda: check_errors(s))
    guarded("payloads", lambda: check_payloads(s))
    guarded("one-get", lambda: check_one_get(s))
    guarded("max-payload", lambda: check_max_payload(s))
    guarded("upgrade", lambda: check_upgrade(s))
    guarded("ws-only", lambda: check_ws_only(s, interval, timeout))
    guarded("heartbeat-polling", lambda: check_heartbeat_polling(s, interval, timeout, margin))
    guarded("heartbeat-ws", lambda: check_heartbeat_ws(s, interval, timeout, margin))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
