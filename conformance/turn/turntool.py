#!/usr/bin/env python3
"""Small TURN (RFC 8656) tools for suite `turn`, standard library only.

  turntool.py binding HOST PORT
      exit 0 once a Binding request gets a success response (readiness probe)
  turntool.py rest-cred SECRET USER [TTL]
      print a TURN REST API username (`expiry:user`) and its password
      base64(HMAC-SHA1(secret, username)), on one line
  turntool.py echo HOST PORT LOG
      a UDP echo peer: prints `listening on HOST:PORT`, sends every datagram
      back to its source and appends `SOURCE DATA` to LOG
  turntool.py policy HOST PORT USER PASS FAMILY EXPECT PEER...
      Allocate (long-term credentials, MD5; REQUESTED-ADDRESS-FAMILY FAMILY,
      4 or 6), then for each PEER: CreatePermission and ChannelBind, each
      answered with EXPECT (an error code such as 403, codes such as
      403,443, or `success`); then a
      Send indication to PEER:P where a UDP socket listens on the loopback
      address of PEER's family: it must arrive iff EXPECT is `success` (and
      the socket's answer must come back as a Data indication or ChannelData).
      One line per check; exit 0 iff every check holds.
  turntool.py channel HOST PORT USER PASS PEER NUMBER EXPECT
      Allocate, then ChannelBind channel NUMBER (hex, e.g. 0x5000) to PEER
      (IP:PORT): the answer must be EXPECT (`success` or an error code); on
      success, a ChannelData message on that channel must reach a socket
      listening at PEER, and its answer come back as ChannelData on NUMBER.

The messages are built here field by field (RFC 8489 §5, §14; RFC 8656 §18):
a client only needs the header, a few attributes, MESSAGE-INTEGRITY with the
long-term key MD5(user:realm:pass) and FINGERPRINT.
"""

import base64
import hashlib
import hmac
import ipaddress
import os
import select
import socket
import struct
import sys
import time
import zlib

COOKIE = 0x2112A442

BINDING, ALLOCATE, REFRESH, SEND, DATA, CREATE_PERMISSION, CHANNEL_BIND = (
    0x001, 0x003, 0x004, 0x006, 0x007, 0x008, 0x009)
REQUEST, INDICATION, SUCCESS, ERROR = 0x000, 0x010, 0x100, 0x110

USERNAME = 0x0006
MESSAGE_INTEGRITY = 0x0008
ERROR_CODE = 0x0009
CHANNEL_NUMBER = 0x000C
LIFETIME = 0x000D
XOR_PEER_ADDRESS = 0x0012
DATA_ATTR = 0x0013
REALM = 0x0014
NONCE = 0x0015
XOR_RELAYED_ADDRESS = 0x0016
REQUESTED_ADDRESS_FAMILY = 0x0017
REQUESTED_TRANSPORT = 0x0019
XOR_MAPPED_ADDRESS = 0x0020
FINGERPRINT = 0x8028

# Every wait of this tool is bounded by these.
RTO = 0.3
TRIES = 6


def msg_type(method, cls):
    """The 14-bit type: method bits M0-M11 around class bits C0 (bit 4), C1 (bit 8)."""
    return ((method & 0xF80) << 2) | ((method & 0x070) << 1) | (method & 0xF) | cls


def split_type(t):
    cls = t & 0x110
    method = ((t >> 2) & 0xF80) | ((t >> 1) & 0x070) | (t & 0xF)
    return method, cls


def attr(kind, value):
    pad = (4 - len(value) % 4) % 4
    return struct.pack("!HH", kind, len(value)) + value + b"\0" * pad


def xor_address(addr, tid):
    """XOR-*-ADDRESS value for (host, port)."""
    ip = ipaddress.ip_address(addr[0])
    port = addr[1] ^ (COOKIE >> 16)
    if ip.version == 4:
        raw = int(ip) ^ COOKIE
        return struct.pack("!BBHI", 0, 1, port, raw)
    mask = struct.pack("!I", COOKIE) + tid
    raw = bytes(a ^ b for a, b in zip(ip.packed, mask))
    return struct.pack("!BBH", 0, 2, port) + raw


def parse_xor_address(value, tid):
    family, port = value[1], struct.unpack("!H", value[2:4])[0] ^ (COOKIE >> 16)
    if family == 1:
        raw = struct.unpack("!I", value[4:8])[0] ^ COOKIE
        return (str(ipaddress.IPv4Address(raw)), port)
    mask = struct.pack("!I", COOKIE) + tid
    raw = bytes(a ^ b for a, b in zip(value[4:20], mask))
    return (str(ipaddress.IPv6Address(raw)), port)


def encode(method, cls, tid, attrs, key=None):
    """A message with ATTRS, then MESSAGE-INTEGRITY (if KEY) and FINGERPRINT.
    A value may be a function of the transaction ID (XOR-PEER-ADDRESS of an
    IPv6 address is XORed with it)."""
    body = b"".join(attr(k, v(tid) if callable(v) else v) for k, v in attrs)
    t = msg_type(method, cls)
    if key is not None:
        head = struct.pack("!HHI", t, len(body) + 24, COOKIE) + tid
        mac = hmac.new(key, head + body, hashlib.sha1).digest()
        body += attr(MESSAGE_INTEGRITY, mac)
    head = struct.pack("!HHI", t, len(body) + 8, COOKIE) + tid
    crc = (zlib.crc32(head + body) ^ 0x5354554E) & 0xFFFFFFFF
    body += attr(FINGERPRINT, struct.pack("!I", crc))
    return struct.pack("!HHI", t, len(body), COOKIE) + tid + body


def decode(data):
    """(method, class, tid, [(type, value)]) or None if not STUN."""
    if len(data) < 20 or data[0] & 0xC0:
        return None
    t, length, cookie = struct.unpack("!HHI", data[:8])
    if cookie != COOKIE or length + 20 > len(data):
        return None
    tid = data[8:20]
    attrs, i = [], 20
    while i + 4 <= 20 + length:
        k, n = struct.unpack("!HH", data[i:i + 4])
        attrs.append((k, data[i + 4:i + 4 + n]))
        i += 4 + n + (4 - n % 4) % 4
    method, cls = split_type(t)
    return method, cls, tid, attrs


def get(attrs, kind):
    for k, v in attrs:
        if k == kind:
            return v
    return None


def error_code(attrs):
    v = get(attrs, ERROR_CODE)
    if v is None:
        return None, ""
    # Some servers count NUL padding into the reason phrase: not shown.
    return (v[2] & 7) * 100 + v[3], v[4:].decode("utf-8", "replace").rstrip("\0")


class Client:
    """A TURN client over UDP with long-term credentials (MD5)."""

    def __init__(self, server, user, password):
        family = socket.AF_INET6 if ":" in server[0] else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.bind((server[0], 0))
        self.server = server
        self.user, self.password = user, password
        self.realm = self.nonce = None
        self.key = None
        self.pending = []  # non-response datagrams seen while waiting

    def transact(self, method, attrs, auth=True):
        """Send a request (retransmitted) and return the response
        (class, attrs), answering 401/438 once each with fresh credentials."""
        for _ in range(3):
            tid = os.urandom(12)
            full = list(attrs)
            if auth and self.key is not None:
                full += [(USERNAME, self.user.encode()), (REALM, self.realm),
                         (NONCE, self.nonce)]
            data = encode(method, REQUEST, tid, full, self.key if auth else None)
            resp = self._exchange(data, tid)
            if resp is None:
                raise SystemExit(f"no response to method 0x{method:03x} from {self.server}")
            _, cls, self.last_tid, rattrs = resp
            code, _ = error_code(rattrs)
            if cls == ERROR and code in (401, 438) and auth:
                realm, nonce = get(rattrs, REALM), get(rattrs, NONCE)
                if nonce is None or (code == 401 and self.key is not None
                                     and realm == self.realm and nonce == self.nonce):
                    return cls, rattrs
                if realm is not None:
                    self.realm = realm
                self.nonce = nonce
                self.key = hashlib.md5(
                    b"%s:%s:%s" % (self.user.encode(), self.realm, self.password.encode())
                ).digest()
                continue
            return cls, rattrs
        return cls, rattrs

    def _exchange(self, data, tid):
        rto = RTO
        for _ in range(TRIES):
            self.sock.sendto(data, self.server)
            deadline = time.monotonic() + rto
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                r, _, _ = select.select([self.sock], [], [], left)
                if not r:
                    break
                pkt, src = self.sock.recvfrom(65536)
                m = decode(pkt)
                if m and m[2] == tid and m[1] in (SUCCESS, ERROR):
                    return m
                self.pending.append(pkt)
            rto = min(rto * 2, 1.6)
        return None

    def indicate(self, method, attrs):
        self.sock.sendto(encode(method, INDICATION, os.urandom(12), attrs), self.server)

    def receive(self, timeout):
        """Datagrams from the server within TIMEOUT (after queued ones)."""
        out, self.pending = self.pending, []
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return out
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                return out
            out.append(self.sock.recvfrom(65536)[0])


def outcome(cls, attrs):
    if cls == SUCCESS:
        return "success"
    code, reason = error_code(attrs)
    return f"{code}" if not reason else f"{code} ({reason})"


def cmd_binding(host, port):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        tid = os.urandom(12)
        s.settimeout(0.2)
        for _ in range(3):
            s.sendto(encode(BINDING, REQUEST, tid, []), (host, int(port)))
            try:
                pkt, _ = s.recvfrom(2048)
            except (socket.timeout, ConnectionRefusedError):
                continue
            m = decode(pkt)
            if m and m[2] == tid and m[1] == SUCCESS:
                return 0
    return 1


def cmd_rest_cred(secret, user, ttl="3600"):
    username = f"{int(time.time()) + int(ttl)}:{user}"
    mac = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    print(username, base64.b64encode(mac).decode())
    return 0


def cmd_echo(host, port, log):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.bind((host, int(port)))
    print(f"listening on {host}:{s.getsockname()[1]}", flush=True)
    with open(log, "a", buffering=1) as out:
        while True:
            data, src = s.recvfrom(65536)
            s.sendto(data, src)
            text = data.decode("utf-8", "replace").rstrip("\n")
            out.write(f"{src[0]}:{src[1]} {text}\n")


def cmd_policy(host, port, user, password, family, expect, *peers):
    client = Client((host, int(port)), user, password)
    attrs = [(REQUESTED_TRANSPORT, bytes([17, 0, 0, 0]))]
    if family == "6":
        attrs.append((REQUESTED_ADDRESS_FAMILY, bytes([2, 0, 0, 0])))
    cls, rattrs = client.transact(ALLOCATE, attrs)
    if cls != SUCCESS:
        print(f"Allocate: {outcome(cls, rattrs)}")
        return 1
    relayed = parse_xor_address(get(rattrs, XOR_RELAYED_ADDRESS), client.last_tid)
    print(f"Allocate: success, relayed {relayed[0]}:{relayed[1]}")
    ok = True
    channel = 0x4000
    for peer in peers:
        # A listener on the loopback address of the peer's family (an
        # IPv4-mapped address is delivered to the IPv4 one, 0.0.0.0 to
        # 127.0.0.1), to see whether anything is relayed to it.
        ip = ipaddress.ip_address(peer)
        v4 = ip.version == 4 or ip.ipv4_mapped is not None
        lfam, laddr = (socket.AF_INET, "127.0.0.1") if v4 else (socket.AF_INET6, "::1")
        listener = socket.socket(lfam, socket.SOCK_DGRAM)
        listener.bind((laddr, 0))
        target = (peer, listener.getsockname()[1])
        peer_attr = (XOR_PEER_ADDRESS, lambda tid, target=target: xor_address(target, tid))

        cls, rattrs = client.transact(CREATE_PERMISSION, [peer_attr])
        got = outcome(cls, rattrs)
        good = got.split(" ")[0] in expect.split(",")
        ok &= good
        print(f"CreatePermission {peer}: {got}{'' if good else f' (expected {expect})'}")

        cls, rattrs = client.transact(
            CHANNEL_BIND, [(CHANNEL_NUMBER, struct.pack("!HH", channel, 0)), peer_attr])
        channel += 1
        got = outcome(cls, rattrs)
        good = got.split(" ")[0] in expect.split(",")
        ok &= good
        print(f"ChannelBind {peer}: {got}{'' if good else f' (expected {expect})'}")

        payload = b"probe to " + peer.encode()
        client.indicate(SEND, [peer_attr, (DATA_ATTR, payload)])
        r, _, _ = select.select([listener], [], [], 1.0)
        arrived = None
        if r:
            arrived = listener.recvfrom(65536)
        if expect == "success":
            if arrived is None or arrived[0] != payload:
                print(f"Send indication to {target[0]}:{target[1]}: nothing arrived (expected the payload)")
                ok = False
            else:
                src = arrived[1]
                print(f"Send indication to {target[0]}:{target[1]}: arrived from {src[0]}:{src[1]}")
                listener.sendto(b"back from " + peer.encode(), src)
                back = False
                for pkt in client.receive(2.0):
                    m = decode(pkt)
                    if m and m[0] == DATA and m[1] == INDICATION and \
                            get(m[3], DATA_ATTR) == b"back from " + peer.encode():
                        back = True
                    elif not m and len(pkt) >= 4 and pkt[4:].startswith(b"back from "):
                        back = True
                print(f"answer relayed back to the client: {'yes' if back else 'NO'}")
                ok &= back
        else:
            if arrived is None:
                print(f"Send indication to {target[0]}:{target[1]}: nothing relayed")
            else:
                print(f"Send indication to {target[0]}:{target[1]}: RELAYED from {arrived[1]}")
                ok = False
        listener.close()
    cls, rattrs = client.transact(REFRESH, [(LIFETIME, struct.pack("!I", 0))])
    print(f"Refresh LIFETIME 0: {outcome(cls, rattrs)}")
    return 0 if ok else 1


def cmd_channel(host, port, user, password, peer, number, expect):
    client = Client((host, int(port)), user, password)
    cls, rattrs = client.transact(ALLOCATE, [(REQUESTED_TRANSPORT, bytes([17, 0, 0, 0]))])
    if cls != SUCCESS:
        print(f"Allocate: {outcome(cls, rattrs)}")
        return 1
    peer_ip, peer_port = peer.rsplit(":", 1)
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind((peer_ip, int(peer_port)))
    target = (peer_ip, listener.getsockname()[1])
    channel = int(number, 16)
    cls, rattrs = client.transact(
        CHANNEL_BIND, [(CHANNEL_NUMBER, struct.pack("!HH", channel, 0)),
                       (XOR_PEER_ADDRESS, lambda tid: xor_address(target, tid))])
    got = outcome(cls, rattrs)
    ok = got.split(" ")[0] == expect
    print(f"ChannelBind 0x{channel:04x} to {target[0]}:{target[1]}: {got}"
          f"{'' if ok else f' (expected {expect})'}")
    if ok and cls == SUCCESS:
        payload = b"over channel " + number.encode()
        pad = (4 - len(payload) % 4) % 4
        client.sock.sendto(struct.pack("!HH", channel, len(payload)) + payload + b"\0" * pad,
                           client.server)
        r, _, _ = select.select([listener], [], [], 2.0)
        if not r:
            print("ChannelData to the peer: nothing arrived")
            ok = False
        else:
            data, src = listener.recvfrom(65536)
            print(f"ChannelData to the peer: {'arrived' if data == payload else 'WRONG DATA'}"
                  f" from {src[0]}:{src[1]}")
            ok &= data == payload
            listener.sendto(b"back", src)
            back = [p for p in client.receive(2.0)
                    if len(p) >= 8 and struct.unpack("!HH", p[:4]) == (channel, 4) and p[4:8] == b"back"]
            print(f"answer back as ChannelData on 0x{channel:04x}: {'yes' if back else 'NO'}")
            ok &= bool(back)
    cls, rattrs = client.transact(REFRESH, [(LIFETIME, struct.pack("!I", 0))])
    print(f"Refresh LIFETIME 0: {outcome(cls, rattrs)}")
    return 0 if ok else 1


def main(argv):
    commands = {"binding": cmd_binding, "rest-cred": cmd_rest_cred,
                "echo": cmd_echo, "policy": cmd_policy, "channel": cmd_channel}
    if len(argv) < 2 or argv[1] not in commands:
        print(__doc__, file=sys.stderr)
        return 2
    return commands[argv[1]](*argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
