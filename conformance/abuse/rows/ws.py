#!/usr/bin/env python3
# abuse-limit: 150 900
"""Row abuse-ws: `rtw ws echo-server` against slow, silent and hostile
clients (see ../README.md for the checks and the documented defaults)."""

import asyncio
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import common  # noqa: E402
from common import check, info, lib  # noqa: E402

SUB = "ws echo-server"
TRICKLE = lib.upgrade_request(0, "dGhlIHNhbXBsZSBub25jZQ==")[:-2] + b"X-Trickle: " + b"a" * 4096


async def header_timeout(ctx):
    """A handshake one byte at a time is cut off after --header-timeout
    (default 10 s; CI: 2 s)."""
    t = ctx.scale(2, 10)
    f = [] if ctx.full else ctx.flags(SUB, [("--header-timeout", t)])
    server = ctx.server(SUB, f)
    await common.check_trickle(ctx, server.port, TRICKLE, "a WebSocket handshake", t, t * 1.5 + 1)


async def caps(ctx):
    """--max-connections and --max-connections-per-ip: 503 when full."""
    per_ip, total = 20, 50
    f = ctx.flags(SUB, [("--max-connections", total), ("--max-connections-per-ip", per_ip)])
    server = ctx.server(SUB, f)
    conns = []
    try:
        # Per source address: 30 from one address.
        a = await lib.open_many(server.port, 30, src=lambda i: "127.0.3.1")
        conns += a
        up, refused, other = sum(c.status == 101 for c in a), sum(c.status == 503 for c in a), \
            [c.status or c.error for c in a if c.status not in (101, 503)]
        check(up == per_ip and refused == 30 - per_ip,
              f"--max-connections-per-ip {per_ip}, 30 upgrades from 127.0.3.1: {up} x 101, "
              f"{refused} x 503 (bound: {per_ip} accepted, the rest 503)",
              f"{up} x 101, {refused} x 503, other {other}")
        srcs = common.sources(10, (3, 10))
        b = await lib.open_many(server.port, 40, src=lambda i: srcs[i % 10])
        conns += b
        up2, refused2 = sum(c.status == 101 for c in b), sum(c.status == 503 for c in b)
        check(up + up2 == total and refused2 == 40 - up2,
              f"--max-connections {total}, then 40 more from 10 addresses 127.0.3.10-19: "
              f"{up + up2} open in all, {refused2} x 503 (bound: {total} open, the rest 503)",
              f"{up + up2} open, {refused2} x 503")
    finally:
        for c in conns:
            c.close()


if __name__ == "__main__":
    common.main([header_timeout, caps])
