"""What raw_cases.py and stomppy_scenarios.py share: the bound on every wait,
the report lines (`ok    NAME`, `FAIL  NAME: WHY`, `skip  NAME: WHY`) with the
count of failures, and the command line (a tcp://IP:PORT URL, the
credentials, --rabbitmq).

Each script puts its own folder first on sys.path and imports this file.
"""

import argparse
import sys
import uuid
from urllib.parse import urlparse

# Every wait of a check is bounded by this many seconds.
WAIT = 5.0

failed = 0


def check(name, cond, why=""):
    """Prints `ok    NAME` if cond holds, else `FAIL  NAME: WHY` and counts it."""
    global failed
    if cond:
        print(f"ok    {name}", flush=True)
    else:
        failed += 1
        print(f"FAIL  {name}: {why}", flush=True)


def skip(name, why):
    """Prints `skip  NAME: WHY`: a check not made against this server."""
    print(f"skip  {name}: {why}", flush=True)


def closed_after_error(name, closed, rabbitmq, why):
    """STOMP 1.2 "ERROR": the server MUST close the connection after it.
    RabbitMQ 3.10 does not, so with --rabbitmq an open connection is a skip."""
    if rabbitmq and not closed:
        skip(name, "RabbitMQ 3.10 keeps the connection after ERROR")
    else:
        check(name, closed, why)


def finish(label):
    """Prints `LABEL: N failed` and returns the exit status (1 if any failed)."""
    print(f"{label}: {failed} failed")
    return 1 if failed else 0


def parse_args(rabbitmq_help=None):
    """The shared command line: URL [--login L --passcode P --host H]
    [--rabbitmq]. Returns the arguments, (host, port) and a random tag for
    destination names, so that runs never see each other's messages."""
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--login", default="guest")
    ap.add_argument("--passcode", default="guest")
    ap.add_argument("--host", default="/")
    ap.add_argument("--rabbitmq", action="store_true", help=rabbitmq_help)
    a = ap.parse_args()
    u = urlparse(a.url)
    if u.scheme != "tcp" or not u.port:
        sys.exit("URL must be tcp://IP:PORT")
    return a, (u.hostname, u.port), uuid.uuid4().hex[:10]
