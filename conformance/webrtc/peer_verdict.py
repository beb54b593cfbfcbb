#!/usr/bin/env python3
"""Judges rows rtw-chromium and rtw-firefox of suite `webrtc`.

  peer_verdict.py DIR FULL BROWSER [CONSENT_TIMEOUT]

DIR holds page.json (peer.html's report) and the stdout of the two
`rtw signal peer` processes, rtw-a.out (it answers the page's offer) and
rtw-b.out (started with --offer-to page), one JSON event per line. FULL=1
adds the ICE restart and consent checks (see peer.html). BROWSER names the
browser in the check names. CONSENT_TIMEOUT is rtw's --consent-timeout in
seconds (default 5).

How the page's connection with rtw-b ended (FULL=1): when the page ran with
close=browser, DIR/closed.json is the runner's record of ending the browser
(netns.sh end_browser): `lostBefore` (rtw-b had printed consent-lost before
the SIGTERM), `exitedMs` and `lostMs` (ms from the SIGTERM to the browser's
process group being gone and to rtw-b's consent-lost line, or null). rtw-b
must have kept consent until the SIGTERM, the browser must have ended
within 5 s, and consent-lost must come CONSENT_TIMEOUT after the page's last
datagram (rtw's `ms`, within -1 s/+2.5 s), which was at most 2.5 s before
the SIGTERM. Otherwise the page closed its RTCPeerConnection itself and
rtw-b must print consent-lost.

Prints one line per check, `ok<TAB>NAME` or `FAIL<TAB>NAME<TAB>WHY`, and
`time<TAB>TEXT` lines: the page's time to `connected` (performance.now(),
RTCPeerConnection created -> iceConnectionState `connected`), rtw's own
(`connected` event's ms, from its answer or offer), the restart, the time to
`disconnected` after stop-answering and rtw's consent-lost.
"""

import json
import os
import sys

d, full, browser = sys.argv[1], sys.argv[2] == "1", sys.argv[3]
consent_ms = int(float(sys.argv[4]) * 1000) if len(sys.argv) > 4 else 5000


def check(ok, name, why=""):
    print(("ok\t" + name) if ok else ("FAIL\t" + name + "\t" + why))
    return bool(ok)


def events(name):
    out = []
    try:
        with open(os.path.join(d, name + ".out")) as f:
            for line in f:
                try:
                    out.append(json.loads(line))
                except ValueError:
                    out.append({"event": "not-json", "line": line.strip()[:200]})
    except OSError:
        pass
    return out


def first(evs, kind, after=-1):
    for i, e in enumerate(evs):
        if i > after and e.get("event") == kind:
            return i, e
    return None, None


try:
    with open(os.path.join(d, "page.json")) as f:
        report = json.load(f)
except (OSError, ValueError) as e:
    check(False, f"the {browser} page reported", str(e))
    sys.exit(0)
check(report.get("ok") is True, f"the {browser} page finished without an error",
      f"{report.get('error')}; log tail: {' | '.join(report.get('log', [])[-6:])}")
for err in report.get("errors") or []:
    check(False, "no error from the signaling server", json.dumps(err))

for rtw, role in (("rtw-a", "answers the page's offer"), ("rtw-b", "offers (--offer-to page)")):
    evs = events(rtw)
    info = (report.get("remotes") or {}).get(rtw)
    tag = f"{rtw} ({role})"
    check(first(evs, "joined")[1] is not None, f"{tag}: rtw signal peer printed joined",
          f"events {[e.get('event') for e in evs]}")
    if not check(info is not None, f"{tag}: the page negotiated with it", "no such remote in the report"):
        continue
    if rtw == "rtw-a":
        check(first(evs, "answer-sent")[1] is not None, f"{tag}: rtw printed answer-sent", "none")
        sdp = (info.get("answers") or [{}])[0]
        check(sdp.get("setup") == "active" and sdp.get("trickle") and sdp.get("candidates") == 0,
              f"{tag}: rtw's answer has a=setup:active, a=ice-options:trickle and no candidates (they trickle)",
              json.dumps(sdp))
    else:
        check(first(evs, "offer-sent")[1] is not None and first(evs, "answer-received")[1] is not None,
              f"{tag}: rtw printed offer-sent and answer-received", f"events {[e.get('event') for e in evs]}")
        sdp = (info.get("offers") or [{}])[0]
        media = sdp.get("media") or []
        check(sdp.get("setup") == "actpass" and sdp.get("trickle") and len(media) == 1
              and "webrtc-datachannel" in media[0],
              f"{tag}: rtw's offer has a=setup:actpass, trickle, one m=application webrtc-datachannel",
              json.dumps(sdp))
    if check(info.get("connectedMs") is not None, f"{tag}: the page's iceConnectionState reached connected",
             f"states {info.get('states')}"):
        print(f"time\t{browser} <- {rtw}: {info['connectedMs']} ms to connected in the page ({info.get('role')})")
    _, conn = first(evs, "connected")
    if check(conn is not None, f"{tag}: rtw printed connected", f"events {[e.get('event') for e in evs]}"):
        print(f"time\t{rtw} -> {browser}: {conn.get('ms')} ms to connected in rtw (from its "
              f"{'answer' if rtw == 'rtw-a' else 'offer'})")
    check(info.get("candidateMessages", 0) >= 1 and info.get("endOfCandidates", 0) >= 1,
          f"{tag}: rtw trickled {info.get('candidateMessages')} candidate(s) one by one, then end-of-candidates",
          f"candidates {info.get('received')}, end-of-candidates {info.get('endOfCandidates')}")
    pair = info.get("pair") or {}
    rsel = ((pair.get("rtw") or {}).get("selected") or {})
    check(pair.get("same") is True,
          f"{tag}: rtw's selected pair ({rsel.get('local')} -> {rsel.get('remote')}) is the page's getStats() "
          f"pair swapped ({pair.get('pageLocal')} -> {pair.get('pageRemote')})",
          json.dumps(pair)[:400])
    if conn is not None and pair.get("pageLocal"):
        check(conn.get("local") == pair.get("pageRemote") and conn.get("remote") == pair.get("pageLocal"),
              f"{tag}: rtw's connected event names the same pair",
              f"event {conn}, page {pair.get('pageLocal')} -> {pair.get('pageRemote')}")
    if not full:
        continue
    if rtw == "rtw-a":
        offers, answers = info.get("offers") or [], info.get("answers") or []
        check(len(offers) >= 2 and offers[0].get("ufrag") != offers[-1].get("ufrag"),
              f"{tag}: the page's restart offer has new credentials",
              f"ufrags {[o.get('ufrag') for o in offers]}")
        check(len(answers) >= 2 and answers[0].get("ufrag") != answers[-1].get("ufrag"),
              f"{tag}: rtw answered the restart with new credentials",
              f"ufrags {[a.get('ufrag') for a in answers]}")
        ri, _ = first(evs, "restart")
        ci, conn2 = first(evs, "connected", ri if ri is not None else len(evs))
        check(ri is not None and conn2 is not None, f"{tag}: rtw printed restart, then connected again",
              f"events {[e.get('event') for e in evs]}")
        restart = info.get("restart") or {}
        if check(not restart.get("error") and restart.get("ms") is not None,
                 f"{tag}: the page selected a pair with the new credentials", str(restart.get("error"))):
            print(f"time\t{browser} <- {rtw}: ICE restart, {restart['ms']} ms from restartIce() to a pair "
                  f"with the new credentials" + (f"; rtw {conn2.get('ms')} ms" if conn2 else ""))
        after = info.get("pairAfterRestart") or {}
        check(after.get("same") is True, f"{tag}: after the restart rtw's pair is still the page's swapped",
              json.dumps(after)[:400])
        consent = info.get("consent") or {}
        check(first(evs, "stopped-answering")[1] is not None, f"{tag}: rtw printed stopped-answering", "none")
        ok = consent.get("state") == "disconnected" and not consent.get("error") and consent.get("ms", 1e9) <= 30000
        if check(ok, f"{tag}: after stop-answering the page's iceConnectionState is disconnected within 30 s "
                     f"({consent.get('ms')} ms)", f"{consent}"):
            print(f"time\t{browser} <- {rtw}: disconnected {consent['ms']} ms after stop-answering")
    elif report.get("closeBy") == "browser":
        closed = {}
        try:
            with open(os.path.join(d, "closed.json")) as f:
                closed = json.load(f)
        except (OSError, ValueError) as e:
            check(False, f"{tag}: the runner ended the {browser} process", str(e))
            continue
        by = closed.get("by")
        check(info.get("tClosed") is None, f"{tag}: the page left its RTCPeerConnection open; the runner closed "
              f"the page by {by}", f"the page closed it at {info.get('tClosed')} ms")
        check(closed.get("lostBefore") is False, f"{tag}: rtw kept consent while the page was open (no "
              f"consent-lost before the {by})", "consent-lost came before it")
        exited = closed.get("exitedMs")
        check(exited is not None and exited <= 5000, f"{tag}: {browser} ended (its whole process group) "
              f"{exited} ms after the SIGTERM", "not within 12 s" if exited is None else "more than 5 s")
        _, lost = first(evs, "consent-lost")
        after = closed.get("lostMs")
        silent = (lost or {}).get("ms")
        ok = (lost is not None and after is not None and isinstance(silent, int)
              and consent_ms - 1000 <= silent <= consent_ms + 2500 and after - silent >= -2500)
        if check(ok, f"{tag}: rtw printed consent-lost {after} ms after the {by}, {silent} ms after the "
                     f"page's last datagram (--consent-timeout {consent_ms / 1000:g})",
                 f"events {[e.get('event') for e in evs]}, closed {closed}; want the last datagram at most "
                 f"2500 ms before the SIGTERM and consent-lost {consent_ms - 1000}..{consent_ms + 2500} ms "
                 f"after it"):
            print(f"time\t{rtw}: consent-lost {after} ms after {by} ({silent} ms after the page's last "
                  f"datagram; --consent-timeout {consent_ms / 1000:g})")
    else:
        check(info.get("tClosed") is not None, f"{tag}: the page closed its RTCPeerConnection", "it did not")
        _, lost = first(evs, "consent-lost")
        if check(lost is not None, f"{tag}: rtw printed consent-lost after the page closed",
                 f"events {[e.get('event') for e in evs]}"):
            print(f"time\t{rtw}: consent-lost, {lost.get('ms')} ms after the page's last datagram "
                  f"(--consent-timeout {consent_ms / 1000:g})")
