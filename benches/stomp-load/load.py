"""STOMP load: one publisher, N subscribers on one topic, over TCP on
loopback; messages delivered per CPU-second of the broker.

usage: load.py --url tcp://IP:PORT --pid PID [--subscribers 100]
               [--messages 2000] [--size 64] [--window 200]
               [--login L --passcode P --host H] [--name NAME]

The same client code for every broker: plain sockets under asyncio, STOMP 1.2
frames written by hand, no library. N subscribers each SUBSCRIBE (ack auto)
to /topic/load-<random> and confirm it with a receipt; then one publisher
sends --messages SEND frames of --size bytes, asking for a receipt every
--window messages and waiting for it before the next window (so the broker
is never handed an unbounded backlog). Subscribers count MESSAGE frames by
their NUL terminators (bodies hold no NUL, heart-beats are off). The broker's
CPU time is read from /proc/PID/stat (utime+stime) of PID and all its
descendants (RabbitMQ's beam.smp is a child of its start script) just before
the first SEND and just after the last subscriber has every message, so
setup and connection costs are not counted.

Prints one line of key=value pairs (name, delivered, wall_s, server_cpu_s,
per_cpu_s, per_wall_s) and exits non-zero if not every message arrived within
--timeout s.
"""

import argparse
import asyncio
import os
import sys
import time
import uuid
from urllib.parse import urlparse

TICK = os.sysconf("SC_CLK_TCK")


def descendants(root):
    """PID and all its descendants, from /proc."""
    children = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        children.setdefault(int(fields[1]), []).append(int(name))
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def cpu_seconds(root):
    total = 0
    for p in descendants(root):
        try:
            with open(f"/proc/{p}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICK


async def read_frame(reader):
    """One frame's bytes up to and with its NUL (no content-length needed:
    the frames read here have no NUL in their bodies)."""
    data = await reader.readuntil(b"\0")
    return data.lstrip(b"\r\n")


async def connect(host, port, a):
    reader, writer = await asyncio.open_connection(host, port, limit=1 << 20)
    writer.write(f"CONNECT\naccept-version:1.2\nhost:{a.host}\nlogin:{a.login}\n"
                 f"passcode:{a.passcode}\nheart-beat:0,0\n\n\0".encode())
    f = await read_frame(reader)
    if not f.startswith(b"CONNECTED"):
        raise SystemExit(f"CONNECT: {f[:200]!r}")
    return reader, writer


async def subscriber(host, port, a, dest, i, ready, counts, done_all):
    reader, writer = await connect(host, port, a)
    writer.write(f"SUBSCRIBE\nid:{i}\ndestination:{dest}\nack:auto\nreceipt:s{i}\n\n\0".encode())
    f = await read_frame(reader)
    if not f.startswith(b"RECEIPT"):
        raise SystemExit(f"SUBSCRIBE: {f[:200]!r}")
    ready.release()
    n = 0
    while n < a.messages:
        chunk = await reader.read(1 << 16)
        if not chunk:
            raise SystemExit(f"subscriber {i}: connection closed after {n} messages")
        n += chunk.count(b"\0")
        counts[i] = n
    done_all.release()
    writer.write(b"DISCONNECT\n\n\0")
    await writer.drain()
    writer.close()


async def run(a):
    u = urlparse(a.url)
    host, port = u.hostname, u.port
    dest = f"/topic/load-{uuid.uuid4().hex[:10]}"
    ready = asyncio.Semaphore(0)
    done_all = asyncio.Semaphore(0)
    counts = [0] * a.subscribers
    subs = [asyncio.create_task(subscriber(host, port, a, dest, i, ready, counts, done_all))
            for i in range(a.subscribers)]
    for _ in range(a.subscribers):
        await ready.acquire()
    reader, writer = await connect(host, port, a)
    body = (b"x" * a.size)
    cpu0 = cpu_seconds(a.pid)
    t0 = time.monotonic()
    for start in range(0, a.messages, a.window):
        end = min(a.messages, start + a.window)
        frames = []
        for k in range(start, end):
            extra = f"receipt:w{k}\n" if k == end - 1 else ""
            frames.append(f"SEND\ndestination:{dest}\ncontent-type:text/plain\n{extra}\n".encode()
                          + body + b"\0")
        writer.write(b"".join(frames))
        await writer.drain()
        f = await read_frame(reader)
        if not f.startswith(b"RECEIPT"):
            raise SystemExit(f"SEND: {f[:200]!r}")
    for _ in range(a.subscribers):
        await done_all.acquire()
    wall = time.monotonic() - t0
    cpu = cpu_seconds(a.pid) - cpu0
    writer.write(b"DISCONNECT\n\n\0")
    await writer.drain()
    writer.close()
    await asyncio.gather(*subs)
    delivered = a.messages * a.subscribers
    print(f"name={a.name} subscribers={a.subscribers} messages={a.messages} size={a.size} "
          f"delivered={delivered} wall_s={wall:.3f} server_cpu_s={cpu:.3f} "
          f"per_cpu_s={delivered / cpu if cpu > 0 else float('inf'):.0f} "
          f"per_wall_s={delivered / wall:.0f}", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--subscribers", type=int, default=100)
    ap.add_argument("--messages", type=int, default=2000)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--window", type=int, default=200)
    ap.add_argument("--login", default="guest")
    ap.add_argument("--passcode", default="guest")
    ap.add_argument("--host", default="/")
    ap.add_argument("--name", default="broker")
    ap.add_argument("--timeout", type=float, default=120)
    a = ap.parse_args()
    try:
        asyncio.run(asyncio.wait_for(run(a), a.timeout))
    except asyncio.TimeoutError:
        sys.exit(f"name={a.name}: not every message delivered within {a.timeout} s")


if __name__ == "__main__":
    main()
