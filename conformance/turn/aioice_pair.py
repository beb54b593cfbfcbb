#!/usr/bin/env python3
"""Two aioice agents (aiortc's ICE agent) that may only use relayed
candidates (TransportPolicy.RELAY) from one TURN server connect to each
other and exchange data. For suite `turn`.

  aioice_pair.py HOST PORT USER PASS [MESSAGES [TRANSPORT]]

TRANSPORT is udp (default) or tcp: how the agents reach the TURN server.

Prints each agent's candidates, the selected pairs and the messages; exits
0 iff both agents gathered a relayed candidate on the TURN server's relay
address, connected, and every message arrived intact both ways, within 40 s.
"""

import asyncio
import sys

import aioice
from aioice.ice import TransportPolicy


async def run(host, port, user, password, count, transport):
    def agent(controlling):
        return aioice.Connection(
            ice_controlling=controlling,
            components=1,
            turn_server=(host, port),
            turn_username=user,
            turn_password=password,
            turn_transport=transport,
            use_ipv6=False,
            transport_policy=TransportPolicy.RELAY,
        )

    a, b = agent(True), agent(False)
    ok = True
    try:
        await asyncio.gather(a.gather_candidates(), b.gather_candidates())
        for name, conn in (("a", a), ("b", b)):
            cands = conn.local_candidates
            for c in cands:
                print(f"{name} candidate: {c.to_sdp()}")
            relayed = [c for c in cands if c.type == "relay"]
            if not relayed or len(relayed) != len(cands):
                print(f"{name}: expected only relayed candidates, got {len(relayed)} of {len(cands)}")
                ok = False
            elif any(c.host != host for c in relayed):
                print(f"{name}: a relayed candidate is not on {host}")
                ok = False
        if not ok:
            return 1
        for src, dst in ((a, b), (b, a)):
            for c in src.local_candidates:
                await dst.add_remote_candidate(c)
            await dst.add_remote_candidate(None)
            dst.remote_username = src.local_username
            dst.remote_password = src.local_password
        await asyncio.gather(a.connect(), b.connect())
        for name, conn in (("a", a), ("b", b)):
            pair = conn._nominated.get(1)
            if pair is None:
                print(f"{name}: no nominated pair")
                ok = False
                continue
            print(f"{name} selected pair: local {pair.local_candidate.type} "
                  f"{pair.local_addr[0]}:{pair.local_addr[1]} -> remote "
                  f"{pair.remote_candidate.type} {pair.remote_addr[0]}:{pair.remote_addr[1]}")
            if pair.local_candidate.type != "relay" or pair.remote_candidate.type != "relay":
                ok = False
        received = 0
        for i in range(count):
            for name, src, dst in (("a->b", a, b), ("b->a", b, a)):
                msg = f"{name} message {i} ".encode() + bytes(range(256)) * 4
                await src.send(msg)
                got = await asyncio.wait_for(dst.recv(), 5)
                if got != msg:
                    print(f"{name} message {i}: got {len(got)} bytes, not the {len(msg)} sent")
                    ok = False
                else:
                    received += 1
        print(f"messages received intact: {received} of {2 * count}")
        return 0 if ok and received == 2 * count else 1
    finally:
        await a.close()
        await b.close()


def main(argv):
    host, port, user, password = argv[1], int(argv[2]), argv[3], argv[4]
    count = int(argv[5]) if len(argv) > 5 else 10
    transport = argv[6] if len(argv) > 6 else "udp"
    try:
        return asyncio.run(
            asyncio.wait_for(run(host, port, user, password, count, transport), 40))
    except (asyncio.TimeoutError, ConnectionError) as e:
        print(f"failed: {type(e).__name__}: {e}")
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
