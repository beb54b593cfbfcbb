#!/usr/bin/env python3
"""Publishes messages FIRST..LAST to a topic of `rtw serve` (suite `serve`).

  publish.py BASE TOPIC FIRST LAST [PACE_MS]

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

base, topic, first, last = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
pace = int(sys.argv[5]) / 1000 if len(sys.argv) > 5 else 0
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
