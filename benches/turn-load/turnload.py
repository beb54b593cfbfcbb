#!/usr/bin/env python3
"""Helpers of benches/turn-load/run (standard library only).

  turnload.py probe HOST PORT
      exit 0 once a STUN Binding request to HOST:PORT (UDP) is answered
      (at most 10 s of tries), 1 otherwise.

  turnload.py hold HOST PORT USER PASS N PID [SECONDS]
      memory per allocation of the TURN server PID: make 20 allocations
      (warm-up: the server's tables and first pages), read the server's
      VmRSS, make N more, each from its own UDP socket (its own 5-tuple;
      from 127.0.0.2 when HOST is 127.0.0.1),
      with long-term credentials (RFC 8489 §9.2, MD5 key, after the 401),
      wait a moment, read VmRSS again, and print one line
          allocations=N rss_before_kb=A rss_after_kb=B
      The sockets stay open until the line is printed. Fails (exit 1) when
      an allocation is refused or not answered: a short count would make
      the figure meaningless. SECONDS bounds the whole run (default 120).

  turnload.py uclient FILE
      the totals of a turnutils_uclient log: prints
          sent=S received=R
      from its last `tot_send_msgs=S, tot_recv_msgs=R` line (exit 1 if none).

  turnload.py table FILE
      the results table; FILE has `key=value ...` lines, each with server=
      (rtw or coturn) and load=: `memory` (allocations=, rss_before_kb=,
      rss_after_kb=), or a uclient load (relayed=, cpu_s=, wall_s=, sent=,
      received=, or failed= when uclient could not run it).
"""

import hashlib
import hmac
import os
import re
import resource
import socket
import struct
import sys
import time

MAGIC = 0x2112A442
BINDING_REQUEST = 0x0001
BINDING_SUCCESS = 0x0101
ALLOCATE_REQUEST = 0x0003
ALLOCATE_SUCCESS = 0x0103
ALLOCATE_ERROR = 0x0113
ATTR_USERNAME = 0x0006
ATTR_MESSAGE_INTEGRITY = 0x0008
ATTR_ERROR_CODE = 0x0009
ATTR_REALM = 0x0014
ATTR_NONCE = 0x0015
ATTR_REQUESTED_TRANSPORT = 0x0019


def attrs_bytes(attrs):
    out = b""
    for typ, value in attrs:
        out += struct.pack("!HH", typ, len(value)) + value
        out += b"\0" * ((4 - len(value) % 4) % 4)
    return out


def message(typ, tid, attrs, key=None):
    """A STUN message; with `key`, MESSAGE-INTEGRITY last (RFC 8489 §14.5)."""
    body = attrs_bytes(attrs)
    if key is None:
        return struct.pack("!HHI", typ, len(body), MAGIC) + tid + body
    head = struct.pack("!HHI", typ, len(body) + 24, MAGIC) + tid
    mac = hmac.new(key, head + body, hashlib.sha1).digest()
    return head + body + struct.pack("!HH", ATTR_MESSAGE_INTEGRITY, 20) + mac


def parse(data):
    """(type, tid, {attr: value}) of a STUN message, or None."""
    if len(data) < 20:
        return None
    typ, length, magic = struct.unpack("!HHI", data[:8])
    if magic != MAGIC or 20 + length > len(data):
        return None
    attrs = {}
    at = 20
    while at + 4 <= 20 + length:
        t, n = struct.unpack("!HH", data[at : at + 4])
        attrs.setdefault(t, data[at + 4 : at + 4 + n])
        at += 4 + n + ((4 - n % 4) % 4)
    return typ, data[8:20], attrs


def transact(sock, packet, tid, tries=4, wait=0.5):
    """Send `packet` until a message with `tid` comes back."""
    for _ in range(tries):
        sock.send(packet)
        deadline = time.monotonic() + wait
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            sock.settimeout(left)
            try:
                data = sock.recv(2048)
            except socket.timeout:
                break
            parsed = parse(data)
            if parsed and parsed[1] == tid:
                return parsed
        wait *= 2
    return None


def probe(host, port):
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect((host, port))
            tid = os.urandom(12)
            reply = transact(s, message(BINDING_REQUEST, tid, []), tid, tries=1, wait=0.2)
            if reply and reply[0] == BINDING_SUCCESS:
                return 0
        time.sleep(0.1)
    return 1


def allocate(host, port, user, password):
    """One UDP allocation from a new socket; returns the socket.

    The socket is bound on 127.0.0.2 when the server is on 127.0.0.1, so
    that its 5-tuple is none that turnutils_uclient left an allocation on
    (a reused port would get 437 Allocation Mismatch)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if host == "127.0.0.1":
        s.bind(("127.0.0.2", 0))
    s.connect((host, port))
    transport = [(ATTR_REQUESTED_TRANSPORT, bytes([17, 0, 0, 0]))]
    tid = os.urandom(12)
    reply = transact(s, message(ALLOCATE_REQUEST, tid, transport), tid)
    if not reply or reply[0] != ALLOCATE_ERROR:
        raise SystemExit(f"turnload: no 401 to the first Allocate ({reply and hex(reply[0])})")
    realm = reply[2].get(ATTR_REALM)
    nonce = reply[2].get(ATTR_NONCE)
    if realm is None or nonce is None:
        raise SystemExit("turnload: the 401 has no REALM or NONCE")
    key = hashlib.md5(user.encode() + b":" + realm + b":" + password.encode()).digest()
    creds = [(ATTR_USERNAME, user.encode()), (ATTR_REALM, realm), (ATTR_NONCE, nonce)]
    tid = os.urandom(12)
    reply = transact(s, message(ALLOCATE_REQUEST, tid, transport + creds, key), tid)
    if not reply or reply[0] != ALLOCATE_SUCCESS:
        code = ""
        if reply and ATTR_ERROR_CODE in reply[2]:
            raw = reply[2][ATTR_ERROR_CODE]
            code = f" {raw[2] * 100 + raw[3]} {raw[4:].decode(errors='replace')}"
        raise SystemExit(f"turnload: Allocate refused or unanswered:{code}")
    return s


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise SystemExit(f"turnload: no VmRSS for {pid}")


def hold(host, port, user, password, n, pid, seconds=120):
    deadline = time.monotonic() + seconds
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = n + 200
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
    held = [allocate(host, port, user, password) for _ in range(20)]
    time.sleep(0.5)
    before = rss_kb(pid)
    for _ in range(n):
        if time.monotonic() > deadline:
            raise SystemExit(f"turnload: {len(held) - 20} of {n} allocations in {seconds} s")
        held.append(allocate(host, port, user, password))
    time.sleep(1.0)
    after = rss_kb(pid)
    print(f"allocations={n} rss_before_kb={before} rss_after_kb={after}", flush=True)
    for s in held:
        s.close()
    return 0


def uclient(path):
    with open(path, errors="replace") as f:
        text = f.read()
    found = re.findall(r"tot_send_msgs=(\d+), tot_recv_msgs=(\d+)\s*$", text, re.M)
    if not found:
        return 1
    sent, received = found[-1]
    print(f"sent={sent} received={received}")
    return 0


def median(values):
    v = sorted(values)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def table(path):
    rows = []
    with open(path) as f:
        for line in f:
            rows.append(dict(p.split("=", 1) for p in line.split()))
    servers = ("rtw", "coturn")
    loads = []
    for r in rows:
        if r["load"] != "memory" and r["load"] not in loads:
            loads.append(r["load"])

    print("relayed packets per server CPU-second (each server on one CPU); one line per run")
    print(
        f"{'load':8} {'server':7} {'relayed':>9} {'CPU s':>7} {'wall s':>7} "
        f"{'pkts/CPU-s':>11} {'lost':>6}"
    )
    medians = {}
    for load in loads:
        for server in servers:
            runs = [r for r in rows if r["server"] == server and r["load"] == load]
            rates = []
            for r in runs:
                if "failed" in r:
                    why = r["failed"].replace("_", " ").replace("~", "=")
                    print(f"{load:8} {server:7} uclient failed: {why}")
                    continue
                cpu = float(r["cpu_s"])
                relayed = int(r["relayed"])
                rate = relayed / cpu if cpu > 0 else 0.0
                rates.append(rate)
                lost = int(r["sent"]) - int(r["received"])
                print(
                    f"{load:8} {server:7} {relayed:9d} {cpu:7.3f} {float(r['wall_s']):7.1f} "
                    f"{rate:11.0f} {lost:6d}"
                )
            if rates:
                medians[(load, server)] = median(rates)
    print("median relayed packets per server CPU-second, rtw/coturn:")
    for load in loads:
        rtw, cot = medians.get((load, "rtw")), medians.get((load, "coturn"))
        if rtw and cot:
            print(f"  {load}: rtw {rtw:.0f}, coturn {cot:.0f}: {rtw / cot:.2f}x")
        else:
            print(f"  {load}: n/a")
    print()
    print("memory per allocation (VmRSS growth over the allocations held)")
    per_alloc = {}
    for server in servers:
        r = next((r for r in rows if r["server"] == server and r["load"] == "memory"), None)
        if r is None:
            continue
        n = int(r["allocations"])
        grown = int(r["rss_after_kb"]) - int(r["rss_before_kb"])
        per_alloc[server] = grown * 1024 / n
        print(
            f"{server:7} {n:6d} allocations: {r['rss_before_kb']} -> {r['rss_after_kb']} KiB, "
            f"{per_alloc[server] / 1024:.2f} KiB each"
        )
    if per_alloc.get("rtw") and per_alloc.get("coturn"):
        print(
            f"rtw/coturn, memory per allocation: {per_alloc['rtw'] / per_alloc['coturn']:.2f}x "
            f"(coturn uses {per_alloc['coturn'] / per_alloc['rtw']:.1f}x rtw's)"
        )
    return 0


def main(argv):
    if len(argv) >= 4 and argv[1] == "probe":
        return probe(argv[2], int(argv[3]))
    if len(argv) in (8, 9) and argv[1] == "hold":
        seconds = int(argv[8]) if len(argv) == 9 else 120
        return hold(argv[2], int(argv[3]), argv[4], argv[5], int(argv[6]), int(argv[7]), seconds)
    if len(argv) == 3 and argv[1] == "uclient":
        return uclient(argv[2])
    if len(argv) == 3 and argv[1] == "table":
        return table(argv[2])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
