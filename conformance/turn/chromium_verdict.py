#!/usr/bin/env python3
"""Judges the Chromium page's report for suite `turn`.

  chromium_verdict.py REPORT RELAY_LOW RELAY_HIGH TRANSPORT

TRANSPORT (udp or tcp) is how the page reached the TURN server: each
selected local candidate's relayProtocol.

Prints one line per check, `ok<TAB>NAME` or `FAIL<TAB>NAME<TAB>WHY`.
"""

import json
import sys

report = json.load(open(sys.argv[1]))
low, high = int(sys.argv[2]), int(sys.argv[3])
transport = sys.argv[4]


def check(ok, name, why=""):
    print(("ok\t" + name) if ok else ("FAIL\t" + name + "\t" + why))


check(report.get("ok") is True and not report.get("error"), "the page finished without an error",
      f"{report.get('error')}; page log: {'; '.join(report.get('log', []))}")
check(report.get("echoed") == report.get("sent") == 20, "20 RTCDataChannel messages echoed in order",
      f"sent {report.get('sent')}, echoed {report.get('echoed')}")
for side in ("a", "b"):
    cands = report.get("gathered", {}).get(side, [])
    types = [c.split(" typ ")[1].split(" ")[0] for c in cands if " typ " in c]
    check(bool(types) and set(types) == {"relay"}, f"pc {side} gathered only relay candidates ({len(types)})",
          f"types {types}")
    sel = (report.get("selected") or {}).get(side)
    if not sel:
        check(False, f"pc {side}: getStats() has a selected candidate pair", "none")
        continue
    loc, rem = sel["local"], sel["remote"]
    check(loc["type"] == "relay" and rem["type"] == "relay",
          f"pc {side} selected pair (getStats): local {loc['type']} {loc['address']}:{loc['port']}, "
          f"remote {rem['type']} {rem['address']}:{rem['port']}",
          "both must be relay")
    check(loc.get("relayProtocol") == transport,
          f"pc {side} reached the TURN server over {transport} (relayProtocol)",
          f"relayProtocol {loc.get('relayProtocol')}")
    check(loc["address"] == "127.0.0.1" and low <= loc["port"] <= high,
          f"pc {side}'s relayed address is the server's (127.0.0.1:{low}-{high})",
          f"{loc['address']}:{loc['port']}")
