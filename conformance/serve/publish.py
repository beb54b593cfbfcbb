#!/usr/bin/env python3
"""Publishes messages FIRST..LAST to a topic of `rtw serve` (suite `serve`).

  publish.py BASE TOPIC FIRST LAST [PACE_MS] [--after-clients N]

With --after-clients N it first waits (30 s at most; exit 3 after) until N
TCP connections to BASE's port are established (/proc/net/tcp{,6}, the
server's side): the browser's page is up, its streams open. Without it a
page opened at the same time may come late enough to find every message
already there, and the demo page's cut at 50 (a setTimeout) would then
follow its report at 100.

POSTs common.data_of(n) as text/plain; charset=utf-8 to BASE/topics/TOPIC
for n = FIRST..LAST, PACE_MS milliseconds apart (default 0), and checks that
each answer is 200 {"id": n}: the topic must be fresh, so that its ids are
the message numbers. Prints one line per message; exits 1 at the first
mismatch. Every request is bounded (5 s).
"""

import json
import sys
import time
import urllib.parse
import urllib.request

from common import data_of

argv = sys.argv[1:]
clients = 0
if "--after-clients" in argv:
    i = argv.index("--after-clients")
    clients = int(argv[i + 1])
    del argv[i : i + 2]
base, topic, first, last = argv[0], argv[1], int(argv[2]), int(argv[3])
pace = int(argv[4]) / 1000 if len(argv) > 4 else 0


def established(port):
    """TCP connections in state ESTABLISHED whose local port is port."""
    n = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    local, state = line.split()[1], line.split()[3]
                    if state == "01" and int(local.rsplit(":", 1)[1], 16) == port:
                        n += 1
        except OSError:
            pass
    return n


if clients:
    port = urllib.parse.urlsplit(base).port
    t0 = time.monotonic()
    while (n := established(port)) < clients:
        if time.monotonic() - t0 > 30:
            print(f"only {n} connections to port {port} after 30 s, want {clients}", flush=True)
            sys.exit(3)
        time.sleep(0.05)
    print(f"{n} connections to port {port} after {time.monotonic() - t0:.1f} s", flush=True)
url = f"{base.rstrip('/')}/topics/{urllib.parse.quote(topic, safe='')}"
for n in range(first, last + 1):
    request = urllib.request.Request(
        url,
        data=data_of(n).encode(),
        headers={"Content-Type": "text/plain; charset=utf-8"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        body = response.read()
        answer = json.loads(body)
    if response.status != 200 or answer.get("id") != n:
        print(f"message {n}: answered {response.status} {body!r}, expected id {n}", flush=True)
        sys.exit(1)
    print(f"published {n}", flush=True)
    if pace and n < last:
        time.sleep(pace)
