#!/usr/bin/env python3
"""Judges the mesh pages' reports for suite `webrtc` (rows mesh, relay,
reflexive).

  mesh_verdict.py DIR N MSGS VIDEO EXPECT [STUN_LOG]

DIR holds p1.json .. pN.json (one report per page, from mesh.html); every
page must have connected to each of the N-1 others, received MSGS data
channel messages from each in order, and (VIDEO=1) decoded frames of each
remote video. EXPECT is what the selected pairs must show:
  host     both candidates `host` on 127.0.0.1
  relay    both candidates `relay` (and every candidate gathered `relay`)
  stun-host  (Chromium, host candidates as IP addresses, a STUN server as
           the only ICE server) every candidate gathered is `host` on
           127.0.0.1, none `srflx`: the server-reflexive address the STUN
           server answers is the host address itself, and a candidate equal
           to its base is redundant and pruned (RFC 8445 §5.1.3); each
           selected pair is host/host on 127.0.0.1
  srflx    every page gathered a `srflx` candidate for 127.0.0.1 beside its
           `host` ones, whose addresses are hidden behind mDNS names
           (`UUID.local`, which nothing in the namespace resolves); so each
           selected pair is the local `host` candidate and the remote one's
           127.0.0.1 address, learnt as `srflx` (from the STUN server,
           through signaling) or as `prflx` (from its connectivity checks;
           its address may be redacted in getStats(), then its port must be
           that of the remote's srflx candidate),
           and at least one end of each connection uses the `srflx` one
With STUN_LOG (the `-v` output of `rtw stun server`, one line per request,
`IP:PORT: Binding Request ... -> Binding SuccessResponse ...`), `joined` must
have handed out that STUN server as the only ICE server, and the server must
have answered a Binding request from a host candidate's port of every
connection end (127.0.0.1:PORT, PORT that of a gathered UDP host candidate).
Both ends of each pair must agree (A's local is B's remote and back; ports
only when the local address is an mDNS name).

Prints one line per check, `ok<TAB>NAME` or `FAIL<TAB>NAME<TAB>WHY`, and
`time<TAB>TEXT` lines with the times to `connected` (performance.now(),
RTCPeerConnection created -> iceConnectionState `connected`).
"""

import json
import os
import statistics
import sys

d, n, msgs, video, expect = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1", sys.argv[5]
stun_log = sys.argv[6] if len(sys.argv) > 6 else None
pages = [f"p{i}" for i in range(1, n + 1)]


def check(ok, name, why=""):
    print(("ok\t" + name) if ok else ("FAIL\t" + name + "\t" + why))
    return ok


def typ(line):
    parts = line.split()
    return parts[parts.index("typ") + 1] if "typ" in parts else ""


def addr(line):
    parts = line.split()
    return parts[4] if len(parts) > 5 else ""


def port(line):
    parts = line.split()
    return parts[5] if len(parts) > 5 else ""


def proto(line):
    parts = line.split()
    return parts[2].lower() if len(parts) > 5 else ""


# The sources of the Binding requests the STUN server answered.
stun_sources = set()
if stun_log is not None:
    try:
        with open(stun_log) as f:
            for line in f:
                if "Binding Request" in line and "-> Binding SuccessResponse" in line:
                    stun_sources.add(line.split(": ", 1)[0])
    except OSError as e:
        check(False, "the STUN server's -v log", str(e))


reports = {}
for p in pages:
    try:
        with open(os.path.join(d, p + ".json")) as f:
            reports[p] = json.load(f)
    except (OSError, ValueError) as e:
        check(False, f"{p} reported", str(e))
if len(reports) != n:
    sys.exit(0)

times = []
uses_srflx = set()
for p in pages:
    r = reports[p]
    if expect == "relay":
        turn = [s for s in r.get("iceServers") or []
                if any(str(u).startswith("turn:") for u in ([s.get("urls")] if isinstance(s.get("urls"), str)
                                                              else s.get("urls") or []))]
        user = str(turn[0].get("username", "")) if turn else ""
        check(bool(turn) and user.endswith(":" + p) and user.split(":")[0].isdigit() and turn[0].get("credential"),
              f"{p}: `joined` handed out a turn: server with TURN REST credentials ({user})",
              f"iceServers {r.get('iceServers')}")
    if stun_log is not None:
        urls = [u for s in r.get("iceServers") or []
                for u in ([s.get("urls")] if isinstance(s.get("urls"), str) else s.get("urls") or [])]
        check(urls == ["stun:127.0.0.1:3478"], f"{p}: `joined` handed out rtw stun server as the only ICE server",
              f"iceServers {r.get('iceServers')}")
    rem = r.get("remotes", {})
    others = [q for q in pages if q != p]
    check(r.get("ok") is True and sorted(rem) == others,
          f"{p}: finished with the {n - 1} other pages",
          f"error {r.get('error')}, remotes {sorted(rem)}; log tail: {' | '.join(r.get('log', [])[-8:])}")
    for q in others:
        i = rem.get(q)
        if not i:
            continue
        name = f"{p} <- {q} ({i.get('role')})"
        check(i.get("connectedMs") is not None, f"{name}: iceConnectionState connected",
              f"states {i.get('states')}")
        if i.get("connectedMs") is not None:
            times.append(i["connectedMs"])
            print(f"time\t{p} <- {q}: {i['connectedMs']} ms to connected ({i.get('role')})")
        check(i.get("got") == msgs and i.get("inOrder") is True and i.get("sent") == msgs,
              f"{name}: {msgs} DataChannel messages each way, received in order",
              f"sent {i.get('sent')}, got {i.get('got')}, in order {i.get('inOrder')}")
        if video:
            check((i.get("framesDecoded") or 0) > 0, f"{name}: remote video frames decoded ({i.get('framesDecoded')})",
                  "framesDecoded 0")
        gathered, received = i.get("gathered", []), i.get("received", [])
        check(len(gathered) > 0 and len(received) > 0 and i.get("endOfCandidates") is True,
              f"{name}: candidates trickled one by one ({len(gathered)} sent, {len(received)} received, "
              f"end-of-candidates)", f"gathered {gathered}, received {received}, eoc {i.get('endOfCandidates')}")
        types = sorted({typ(c) for c in gathered})
        if expect == "relay":
            check(types == ["relay"], f"{name}: gathered only relay candidates", f"types {types}")
        if stun_log is not None:
            ports = sorted({port(c) for c in gathered if typ(c) == "host" and proto(c) == "udp"})
            seen = [q for q in ports if f"127.0.0.1:{q}" in stun_sources]
            check(bool(seen), f"{name}: rtw stun server answered a Binding request from its host candidate "
                              f"127.0.0.1:{seen[0] if seen else '?'}",
                  f"host ports {ports}, requests from {sorted(stun_sources)}")
        if expect == "stun-host":
            check(len(gathered) > 0 and all(typ(c) == "host" and addr(c) == "127.0.0.1" for c in gathered),
                  f"{name}: gathered only host candidates on 127.0.0.1, no srflx (equal to host: pruned, "
                  f"RFC 8445 §5.1.3): {', '.join(sorted({addr(c) + ' ' + typ(c) for c in gathered}))}",
                  f"gathered {gathered}")
        if expect == "srflx":
            srflx = [c for c in gathered if typ(c) == "srflx"]
            check(any(addr(c) == "127.0.0.1" for c in srflx) and "host" in types,
                  f"{name}: gathered host and srflx candidates for 127.0.0.1 ({len(srflx)} srflx)",
                  f"gathered {gathered}")
        sel = i.get("selected")
        if not check(bool(sel and sel.get("local") and sel.get("remote")), f"{name}: getStats() has a selected pair",
                     f"{sel}"):
            continue
        loc, rm = sel["local"], sel["remote"]
        desc = f"local {loc['type']} {loc['address']}:{loc['port']}, remote {rm['type']} {rm['address']}:{rm['port']}"
        if expect in ("host", "stun-host"):
            check(loc["type"] == rm["type"] == "host" and loc["address"] == rm["address"] == "127.0.0.1",
                  f"{name}: selected pair {desc}", "both must be host on 127.0.0.1")
        elif expect == "relay":
            check(loc["type"] == rm["type"] == "relay", f"{name}: selected pair {desc}", "both must be relay")
        else:
            # getStats() may hide a prflx remote's address (Firefox:
            # "(redacted)") when it was learnt from a check before the
            # remote's candidate came through signaling; its port then
            # names the remote's srflx candidate for 127.0.0.1.
            redacted = rm["type"] == "prflx" and rm["address"] in ("(redacted)", "", None) and any(
                typ(c) == "srflx" and addr(c) == "127.0.0.1" and port(c) == str(rm["port"]) for c in received)
            check(loc["type"] == "host" and loc["address"].endswith(".local")
                  and (rm["address"] == "127.0.0.1" or redacted) and rm["type"] in ("srflx", "prflx"),
                  f"{name}: selected pair {desc}" + (" (the remote's srflx 127.0.0.1 candidate, same port)"
                                                     if redacted else ""),
                  "local must be host (an mDNS name), remote srflx or prflx on 127.0.0.1")
            if rm["type"] == "srflx":
                uses_srflx.add(tuple(sorted((p, q))))
        other = (reports[q].get("remotes", {}).get(p) or {}).get("selected")
        if other and other.get("local") and other.get("remote"):
            key = (lambda c: c["port"]) if expect == "srflx" else (lambda c: (c["address"], c["port"]))
            same = key(loc) == key(other["remote"]) and key(rm) == key(other["local"])
            check(same, f"{name}: {q} selected the same pair, addresses swapped",
                  f"{q} has local {other['local']}, remote {other['remote']}")
if expect == "srflx":
    for a in pages:
        for b in pages:
            if a < b:
                check((a, b) in uses_srflx, f"{a} and {b}: one end's selected remote candidate is the srflx one",
                      "neither")
# The later joiner offers: each page offered to the peers that were in the
# room when it joined (`peers` of `joined`) and answered the others.
for a in pages:
    for b in pages:
        if a < b:
            ra = (reports[a].get("remotes", {}).get(b) or {}).get("role")
            rb = (reports[b].get("remotes", {}).get(a) or {}).get("role")
            later, first = (a, b) if b in (reports[a].get("peersAtJoin") or []) else (b, a)
            roles = {a: ra, b: rb}
            check(roles[later] == "offerer" and roles[first] == "answerer",
                  f"{a} and {b}: the later joiner ({later}) offered, {first} answered",
                  f"{a} {ra}, {b} {rb}, peers at join: {a} {reports[a].get('peersAtJoin')}, "
                  f"{b} {reports[b].get('peersAtJoin')}")
if times:
    print(f"time\tto connected: min {min(times)} ms, median {statistics.median(times):.0f} ms, "
          f"max {max(times)} ms over {len(times)} connection ends")
