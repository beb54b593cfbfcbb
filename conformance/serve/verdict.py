#!/usr/bin/env python3
"""Judges the report the demo page of `rtw serve` POSTs (suite `serve`).

  verdict.py REPORT.json N [--columns a,b,...] [--cuts K]
             [--reason expect|deadline] [--rtwjs-transport NAME]
             [--empty a,b,...] [--min-opens COLUMN=K]

The page (crates/tokio/src/serve/assets/index.html, `?report=`) sends
window.rtwDemo's state: for each column (transport) the ids it received and
their data, in the order they came, without de-duplication. For each
column judged (default: all eight), every id 1..N must be there exactly
once and in order, nothing else, each with common.data_of(id). The page's
cut count must be K (default 1: `?cut_at=` cut every connection once), the
reason of the report the one given (default expect: every column reached
N), with --rtwjs-transport the rtw.js column's transport that name, and
the columns named by --empty (transports the server refuses) must have
received nothing, and with --min-opens sse=K the page's count of that
column's open events (rtwDemo.opens.sse: the EventSource's first open and
each reconnection the browser made by itself) must be K or more.

Prints one line per check, `ok<TAB>CHECK<TAB>what was seen` or
`FAIL<TAB>CHECK<TAB>why`; exits 1 if any failed, 2 if the report is unreadable.
"""

import argparse
import json
import sys

from common import Checks, data_of

COLUMNS = ["poll", "longpoll", "stream", "iframe", "sse", "ws", "stomp", "rtwjs"]

parser = argparse.ArgumentParser()
parser.add_argument("report")
parser.add_argument("n", type=int)
parser.add_argument("--columns", default=",".join(COLUMNS))
parser.add_argument("--cuts", type=int, default=1)
parser.add_argument("--reason", default="expect")
parser.add_argument("--rtwjs-transport")
parser.add_argument("--empty", default="")
parser.add_argument("--min-opens", action="append", default=[])
args = parser.parse_args()

try:
    with open(args.report, encoding="utf-8") as f:
        report = json.load(f)
except (OSError, ValueError) as e:
    print(f"FAIL\treport\tunreadable: {e}")
    sys.exit(2)

check = Checks()


def describe(ids, n):
    """Why ids is not 1..n, once each, in order."""
    want = set(range(1, n + 1))
    missing = sorted(want - set(ids))
    extra = sorted({i for i in ids if i not in want})
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    out_of_order = next((k for k in range(1, len(ids)) if ids[k] < ids[k - 1]), None)
    parts = [f"{len(ids)} ids"]
    if missing:
        parts.append(f"missing {missing[:10]}{'...' if len(missing) > 10 else ''}")
    if repeated:
        parts.append(f"repeated {repeated[:10]}{'...' if len(repeated) > 10 else ''}")
    if extra:
        parts.append(f"unexpected {extra[:10]}")
    if out_of_order is not None:
        parts.append(f"out of order at position {out_of_order}: {ids[out_of_order - 1]} then {ids[out_of_order]}")
    return ", ".join(parts)


n = args.n
check(
    "report reason",
    report.get("reason") == args.reason,
    f"{report.get('reason')!r} after {report.get('elapsedMs')} ms ({report.get('userAgent', '?')})",
)
check("cuts", report.get("cuts") == args.cuts, f"{report.get('cuts')} (want {args.cuts})")
if args.rtwjs_transport:
    check(
        "rtw.js transport",
        report.get("rtwjsTransport") == args.rtwjs_transport,
        f"{report.get('rtwjsTransport')!r} (want {args.rtwjs_transport!r})",
    )
received = report.get("received") or {}
data = report.get("data") or {}
errors = report.get("errors") or {}
for column in args.columns.split(","):
    ids = [int(i) for i in received.get(column) or []]
    texts = data.get(column) or []
    check(
        f"{column}: ids 1..{n} once each, in order",
        ids == list(range(1, n + 1)),
        f"{len(ids)} ids, 1..{n} (errors/reconnects seen by the page: {errors.get(column)})"
        if ids == list(range(1, n + 1))
        else describe(ids, n),
    )
    wrong = [(i, t) for i, t in zip(ids, texts) if t != data_of(i)]
    check(
        f"{column}: data of every message",
        len(texts) == len(ids) and not wrong,
        f"{len(texts)} texts as published"
        if len(texts) == len(ids) and not wrong
        else f"{len(wrong)} differ, first: id {wrong[0][0]} {wrong[0][1]!r} (want {data_of(wrong[0][0])!r})"
        if wrong
        else f"{len(texts)} texts for {len(ids)} ids",
    )
opens = report.get("opens") or {}
for spec in args.min_opens:
    column, _, k = spec.partition("=")
    check(
        f"{column}: opened {k} times or more",
        isinstance(opens.get(column), int) and opens[column] >= int(k),
        f"{opens.get(column)} open events (want >= {k}; errors/reconnects seen by the page: {errors.get(column)})",
    )
for column in filter(None, args.empty.split(",")):
    ids = received.get(column) or []
    check(
        f"{column}: refused, received nothing",
        not ids,
        f"{len(ids)} ids (errors seen by the page: {errors.get(column)})",
    )
check.exit()
