#!/usr/bin/env python3
"""Screenshots of a page in headless Chromium, taken when the page is ready
(suite `serve`, rows serve-screenshot and serve-mjpeg).

  cdp_shot.py --url URL --until JS [--size 1400x1000] [--clip CSS]
              [--interval MS] [--timeout S] --shot PNG [--shot PNG...]
              -- chromium FLAGS...

Starts the given Chromium command with --remote-debugging-pipe (the
DevTools protocol as NUL-terminated JSON on descriptors 3 and 4: Python's
standard library is enough, no WebSocket client), opens URL in a new
target of SIZE, waits until the expression JS is true (evaluated every
100 ms, TIMEOUT s at most), and writes one PNG screenshot per --shot,
INTERVAL ms apart (of the element CSS only, with --clip). Prints one line
per screenshot; exits 1 on a timeout or a protocol error.

Chromium's own `--screenshot` does not fit the demo page of `rtw serve`:
it shoots at the load event (before the M-JPEG image, which starts after
it, has a frame) or, with `--timeout`, stops the page first (aborting its
streams), and `--virtual-time-budget` waits for ever (virtual time stops
while a request is pending, and the demo page always has some).
"""

import argparse
import base64
import fcntl
import json
import os
import select
import subprocess
import sys
import time

parser = argparse.ArgumentParser()
parser.add_argument("--url", required=True)
parser.add_argument("--until", required=True)
parser.add_argument("--size", default="1400x1000")
parser.add_argument("--clip")
parser.add_argument("--interval", type=int, default=1000)
parser.add_argument("--timeout", type=float, default=30)
parser.add_argument("--shot", action="append", required=True)
parser.add_argument("command", nargs="+")
args = parser.parse_args()
width, height = (int(v) for v in args.size.split("x"))

# Descriptor 3: what Chromium reads; 4: what it writes.
to_chromium_r, to_chromium_w = os.pipe()
from_chromium_r, from_chromium_w = os.pipe()


def child_fds():
    # Above 10 first, so that neither lands on the other's place.
    a = fcntl.fcntl(to_chromium_r, fcntl.F_DUPFD, 10)
    b = fcntl.fcntl(from_chromium_w, fcntl.F_DUPFD, 10)
    os.dup2(a, 3)
    os.dup2(b, 4)


proc = subprocess.Popen(
    args.command + ["--remote-debugging-pipe", "about:blank"],
    stdin=subprocess.DEVNULL,
    stdout=subprocess.DEVNULL,
    stderr=subprocess.DEVNULL,
    # Kept open in the child: the two that child_fds() put in place.
    pass_fds=(3, 4),
    preexec_fn=child_fds,
)
os.close(to_chromium_r)
os.close(from_chromium_w)
writer = os.fdopen(to_chromium_w, "wb", buffering=0)
reader = os.fdopen(from_chromium_r, "rb", buffering=0)
buffered = b""
next_id = 0
deadline = time.monotonic() + args.timeout


def die(message):
    print(f"cdp_shot.py: {message}", file=sys.stderr)
    proc.kill()
    sys.exit(1)


def receive():
    """The next message from Chromium (bounded by the deadline)."""
    global buffered
    while b"\0" not in buffered:
        left = deadline - time.monotonic()
        if left <= 0:
            die(f"no answer within {args.timeout} s")
        ready, _, _ = select.select([reader], [], [], left)
        if ready:
            chunk = reader.read(65536)
            if not chunk:
                die("Chromium closed the DevTools pipe")
            buffered += chunk
    message, _, buffered = buffered.partition(b"\0")
    return json.loads(message)


def call(method, params=None, session=None):
    """Sends a command and returns its result (events on the way are
    dropped)."""
    global next_id
    next_id += 1
    message = {"id": next_id, "method": method, "params": params or {}}
    if session:
        message["sessionId"] = session
    writer.write(json.dumps(message).encode() + b"\0")
    while True:
        answer = receive()
        if answer.get("id") == next_id:
            if "error" in answer:
                die(f"{method}: {answer['error']}")
            return answer.get("result", {})


try:
    target = call("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    call(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        session,
    )
    call("Page.enable", {}, session)
    call("Page.navigate", {"url": args.url}, session)
    while True:
        result = call("Runtime.evaluate", {"expression": args.until, "returnByValue": True}, session)
        if result.get("result", {}).get("value") is True:
            break
        if time.monotonic() + 0.1 >= deadline:
            die(f"not ready within {args.timeout} s: {args.until}")
        time.sleep(0.1)
    params = {"format": "png"}
    if args.clip:
        rect = call(
            "Runtime.evaluate",
            {
                "expression": "(() => { const r = document.querySelector(%s).getBoundingClientRect();"
                " return {x: r.x, y: r.y, width: r.width, height: r.height}; })()" % json.dumps(args.clip),
                "returnByValue": True,
            },
            session,
        )["result"]["value"]
        params["clip"] = dict(rect, scale=1)
    for k, path in enumerate(args.shot):
        if k:
            time.sleep(args.interval / 1000)
        data = base64.b64decode(call("Page.captureScreenshot", params, session)["data"])
        with open(path, "wb") as f:
            f.write(data)
        print(f"{path}: {len(data)} bytes at {time.strftime('%H:%M:%S')}", flush=True)
    # Not waited for: Chromium closes the pipe as it goes.
    writer.write(json.dumps({"id": next_id + 1, "method": "Browser.close"}).encode() + b"\0")
finally:
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
