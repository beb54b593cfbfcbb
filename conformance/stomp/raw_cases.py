"""Raw-frame cases of suite `stomp`, written from the STOMP 1.2 specification
(https://stomp.github.io/stomp-specification-1.2.html), over a plain TCP
socket: no STOMP library between the bytes and the broker.

usage: raw_cases.py tcp://IP:PORT [--login L --passcode P --host H] [--rabbitmq]

Prints `ok    NAME` or `FAIL  NAME: WHY` per check and exits non-zero if any
failed. --rabbitmq: the checks where RabbitMQ 3.10 is known not to follow the
specification (it keeps the connection after an ERROR frame; it closes on an
undefined escape without an ERROR; its ERROR frames lack receipt-id) print
`skip  NAME: WHY` instead, so the script can be checked against it.
"""

import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import WAIT, check, closed_after_error, finish, parse_args, skip  # noqa: E402


def unescape(v):
    out, i = [], 0
    table = {"r": "\r", "n": "\n", "c": ":", "\\": "\\"}
    while i < len(v):
        ch = v[i]
        if ch == "\\" and i + 1 < len(v) and v[i + 1] in table:
            out.append(table[v[i + 1]])
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


class Peer:
    """One connection, with a frame reader (content-length aware)."""

    def __init__(self, addr):
        self.s = socket.create_connection(addr, timeout=WAIT)
        self.buf = b""
        self.closed = False
        self.heartbeats = 0

    def send(self, data, pieces=None, pause=0.0):
        if pieces is None:
            self.s.sendall(data)
            return
        for i in range(0, len(data), pieces):
            self.s.sendall(data[i:i + pieces])
            if pause:
                time.sleep(pause)

    def _fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        self.s.settimeout(left)
        try:
            d = self.s.recv(65536)
        except socket.timeout:
            return False
        except OSError:
            self.closed = True
            return False
        if not d:
            self.closed = True
            return False
        self.buf += d
        return True

    def frame(self, timeout=WAIT):
        """The next frame as (command, [(name, value)], body), or None."""
        deadline = time.monotonic() + timeout
        while True:
            # EOLs between frames are heart-beats.
            while self.buf[:1] in (b"\n", b"\r"):
                if self.buf[:2] == b"\r\n":
                    self.buf = self.buf[2:]
                elif self.buf[:1] == b"\n":
                    self.buf = self.buf[1:]
                else:
                    break
                self.heartbeats += 1
            end = self.buf.find(b"\n\n")
            end2 = self.buf.find(b"\r\n\r\n")
            if end2 != -1 and (end == -1 or end2 < end):
                head, body_at = self.buf[:end2], end2 + 4
            elif end != -1:
                head, body_at = self.buf[:end], end + 2
            else:
                head = None
            if head is not None:
                lines = head.decode("utf-8", "replace").replace("\r\n", "\n").split("\n")
                command = lines[0]
                headers = []
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    if command in ("CONNECTED", "CONNECT"):
                        headers.append((name, value))
                    else:
                        headers.append((unescape(name), unescape(value)))
                length = next((int(v) for n, v in headers if n == "content-length"), None)
                if length is not None:
                    if len(self.buf) >= body_at + length + 1:
                        body = self.buf[body_at:body_at + length]
                        assert self.buf[body_at + length] == 0, "no NUL after content-length bytes"
                        self.buf = self.buf[body_at + length + 1:]
                        return command, headers, body
                else:
                    nul = self.buf.find(b"\0", body_at)
                    if nul != -1:
                        body = self.buf[body_at:nul]
                        self.buf = self.buf[nul + 1:]
                        return command, headers, body
            if not self._fill(deadline):
                return None

    def wait_closed(self, timeout=WAIT):
        deadline = time.monotonic() + timeout
        while not self.closed and time.monotonic() < deadline:
            if not self._fill(deadline):
                break
        return self.closed

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def header(frame, name):
    for n, v in frame[1]:
        if n == name:
            return v
    return None


def main():
    a, addr, tag = parse_args()

    def closed_check(name, closed):
        closed_after_error(name, closed, a.rabbitmq, f"still open after {WAIT} s")

    connect_frame = (f"CONNECT\naccept-version:1.2\nhost:{a.host}\nlogin:{a.login}\n"
                     f"passcode:{a.passcode}\n\n\0").encode()

    def connected(pieces=None, frame=connect_frame):
        p = Peer(addr)
        p.send(frame, pieces)
        f = p.frame()
        return p, f

    def subscribe(p, dest, sid="0"):
        p.send(f"SUBSCRIBE\nid:{sid}\ndestination:{dest}\nreceipt:sub-{sid}\n\n\0".encode())
        f = p.frame()
        return f is not None and f[0] == "RECEIPT" and header(f, "receipt-id") == f"sub-{sid}"

    # 1. A frame split into pieces of 1, 2, 3 and 7 bytes.
    for size in (1, 2, 3, 7):
        p, f = connected(pieces=size)
        check(f"split in {size}-byte pieces: CONNECT answered with CONNECTED 1.2",
              f is not None and f[0] == "CONNECTED" and header(f, "version") == "1.2", f"got {f}")
        dest = f"/topic/raw-{tag}-split{size}"
        subscribe(p, dest)
        body = b"piece by piece \xe2\x98\x83"
        p.send(f"SEND\ndestination:{dest}\ncontent-type:text/plain\n\n".encode() + body + b"\0",
               pieces=size, pause=0.001 if size < 3 else 0)
        m = p.frame()
        check(f"split in {size}-byte pieces: SEND delivered whole as MESSAGE",
              m is not None and m[0] == "MESSAGE" and m[2] == body, f"got {m}")
        p.close()

    # 2. NULs inside a body with content-length.
    p, f = connected()
    dest = f"/topic/raw-{tag}-nul"
    subscribe(p, dest)
    body = b"\0a\0\0b\0"
    p.send(f"SEND\ndestination:{dest}\ncontent-length:{len(body)}\n\n".encode() + body + b"\0")
    m = p.frame()
    check("content-length with NULs in the body: delivered byte for byte",
          m is not None and m[0] == "MESSAGE" and m[2] == body, f"got {m}")
    check("content-length with NULs: the MESSAGE carries content-length",
          m is not None and header(m, "content-length") == str(len(body)), f"got {m and m[1]}")
    # An empty body with content-length:0, then a frame right behind it.
    p.send(f"SEND\ndestination:{dest}\ncontent-length:0\n\n\0SEND\ndestination:{dest}\n\nnext\0".encode())
    m1, m2 = p.frame(), p.frame()
    check("content-length:0, then a second frame in the same write: both delivered",
          m1 is not None and m1[2] == b"" and m2 is not None and m2[2] == b"next", f"got {m1}, {m2}")
    p.close()

    # 3. EOLs before and after frames (heart-beats), LF and CRLF.
    p = Peer(addr)
    p.send(b"\n\r\n\n" + connect_frame + b"\n\r\n")
    f = p.frame()
    check("EOLs before and after CONNECT: CONNECTED", f is not None and f[0] == "CONNECTED", f"got {f}")
    dest = f"/topic/raw-{tag}-eol"
    p.send(b"\n\n" + f"SUBSCRIBE\nid:0\ndestination:{dest}\nreceipt:r1\n\n\0".encode() + b"\r\n\n")
    f = p.frame()
    check("EOLs around SUBSCRIBE: RECEIPT", f is not None and f[0] == "RECEIPT", f"got {f}")
    crlf = f"SEND\r\ndestination:{dest}\r\nreceipt:r2\r\n\r\ncrlf body\0".encode()
    p.send(b"\r\n" + crlf + b"\r\n\r\n")
    got = [p.frame(), p.frame()]
    cmds = sorted(x[0] for x in got if x)
    msg = next((x for x in got if x and x[0] == "MESSAGE"), None)
    check("CRLF line ends and EOLs around SEND: MESSAGE and RECEIPT",
          cmds == ["MESSAGE", "RECEIPT"] and msg is not None and msg[2] == b"crlf body", f"got {got}")
    p.close()

    # 4. Header escapes: \r \n \c \\ in a name and a value come back the same.
    p, f = connected()
    dest = f"/topic/raw-{tag}-esc"
    subscribe(p, dest)
    p.send(f"SEND\ndestination:{dest}\nx-esc:a\\cb\\nc\\\\d\\re\nx\\cn:v\n\nesc\0".encode())
    m = p.frame()
    check("header escapes \\c \\n \\\\ \\r in a value: decoded as ':' LF '\\' CR",
          m is not None and header(m, "x-esc") == "a:b\nc\\d\re", f"got {m and m[1]}")
    check("header escape \\c in a name: decoded as ':'",
          m is not None and header(m, "x:n") == "v", f"got {m and m[1]}")
    # A repeated header: the first value counts (STOMP 1.2 "Repeated Header Entries").
    p.send(f"SEND\ndestination:{dest}\nx-rep:first\nx-rep:second\n\nrep\0".encode())
    m = p.frame()
    check("repeated header: the first value is the one delivered",
          m is not None and header(m, "x-rep") == "first", f"got {m and m[1]}")
    p.close()

    # 5. An undefined escape (\t): a fatal error, ERROR then close.
    p, f = connected()
    p.send(f"SEND\ndestination:/topic/raw-{tag}-bad\nx-bad:a\\tb\n\nbad\0".encode())
    e = p.frame()
    closed = p.wait_closed()
    name = "undefined escape \\t in a header: ERROR, then the connection closed"
    if a.rabbitmq and e is None and closed:
        skip(name, "RabbitMQ 3.10 closes without an ERROR frame")
    else:
        check(name, e is not None and e[0] == "ERROR" and header(e, "message") is not None and closed,
              f"frame {e}, closed {closed}")
    p.close()

    # 6. A bad command: ERROR, then close.
    p, f = connected()
    p.send(b"BOGUS\nx:y\n\n\0")
    e = p.frame()
    check("bad command BOGUS: ERROR with a message header",
          e is not None and e[0] == "ERROR" and header(e, "message") is not None, f"got {e}")
    closed = p.wait_closed()
    name = "bad command: the connection is closed after the ERROR"
    closed_check(name, closed)
    p.close()

    # 7. A frame before CONNECT: ERROR (and close).
    p = Peer(addr)
    p.send(f"SEND\ndestination:/topic/raw-{tag}-pre\n\nx\0".encode())
    e = p.frame()
    closed = p.wait_closed()
    check("SEND before CONNECT: ERROR", e is not None and e[0] == "ERROR", f"got {e}")
    closed_check("SEND before CONNECT: the connection is closed after the ERROR", closed)
    p.close()

    # 8. Receipt on a bad frame: the ERROR carries receipt-id.
    p, f = connected()
    p.send(b"SUBSCRIBE\nreceipt:rr-1\n\n\0")
    e = p.frame()
    check("SUBSCRIBE without destination: ERROR", e is not None and e[0] == "ERROR", f"got {e}")
    name = "SUBSCRIBE without destination and with a receipt: the ERROR carries receipt-id"
    if a.rabbitmq and e is not None and header(e, "receipt-id") is None:
        skip(name, "RabbitMQ 3.10 leaves it out (the specification says SHOULD)")
    else:
        check(name, e is not None and header(e, "receipt-id") == "rr-1", f"got {e}")
    p.close()

    # 9. Version negotiation: no accept-version means STOMP 1.0; an
    # unsupported one means ERROR.
    p, f = connected(frame=f"CONNECT\nlogin:{a.login}\npasscode:{a.passcode}\n\n\0".encode())
    check("CONNECT without accept-version: CONNECTED as 1.0",
          f is not None and f[0] == "CONNECTED" and header(f, "version") in (None, "1.0"), f"got {f}")
    p.close()
    p, f = connected(frame=f"CONNECT\naccept-version:9.9\nhost:{a.host}\nlogin:{a.login}\npasscode:{a.passcode}\n\n\0".encode())
    closed = p.wait_closed()
    check("CONNECT with accept-version:9.9 only: ERROR naming the supported versions",
          f is not None and f[0] == "ERROR" and header(f, "version") is not None, f"got {f}")
    closed_check("CONNECT with accept-version:9.9 only: the connection is closed after the ERROR", closed)
    p.close()

    # 10. The STOMP command connects like CONNECT; heart-beats flow as EOLs.
    p, f = connected(frame=f"STOMP\naccept-version:1.2\nhost:{a.host}\nlogin:{a.login}\npasscode:{a.passcode}\nheart-beat:0,300\n\n\0".encode())
    check("STOMP command: CONNECTED", f is not None and f[0] == "CONNECTED", f"got {f}")
    hb = header(f, "heart-beat") if f else None
    sx = int(hb.split(",")[0]) if hb else 0
    check("heart-beat:0,300 asked: the server sends heart-beats", sx > 0, f"heart-beat {hb}")
    if sx > 0:
        p.frame(timeout=max(1.5, 4 * max(sx, 300) / 1000))
        check("heart-beats received as EOLs while idle", p.heartbeats >= 2, f"{p.heartbeats} EOLs")
    p.close()

    return finish("raw")


if __name__ == "__main__":
    sys.exit(main())
