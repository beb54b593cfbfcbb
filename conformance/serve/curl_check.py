#!/usr/bin/env python3
"""Judges what curl received from `rtw serve` (suite `serve`, row serve-curl).

  curl_check.py chunked FILE N     `curl -i --raw -N` of stream?since=0
  curl_check.py http10 FILE N      `curl --http1.0 -i -N` of stream?since=0
  curl_check.py sse FILE LAST N    `curl -N -H 'Last-Event-ID: LAST'` of events

FILE holds the response as curl wrote it (head and body, or the body only
for sse), cut by curl's --max-time: the streams never end by themselves.
The topic holds messages 1..N, each common.data_of(id).

  chunked: 200, `Transfer-Encoding: chunked`, no Content-Length; the raw
           body is exactly N chunks (RFC 9112 §7.1: hex size, CRLF, data,
           CRLF), one per message, each one JSON line {"id":k,"data":...}
           for k = 1..N in order; no last chunk (the stream is open).
  http10:  200, neither Content-Length nor Transfer-Encoding (the body ends
           when the connection does, RFC 1945 §7.2.2); the body is the N
           JSON lines, unchunked.
  sse:     events with id LAST+1..N in order, each with its data.

Prints `ok<TAB>CHECK<TAB>seen` or `FAIL<TAB>CHECK<TAB>why` lines; exits 1 on a failure.
"""

import json
import re
import sys

from common import Checks, data_of

check = Checks()


def split_head(raw):
    """(status line, {lower name: [values]}, body) of a response."""
    end = raw.find(b"\r\n\r\n")
    if end < 0:
        return None, {}, b""
    lines = raw[:end].decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    return lines[0], headers, raw[end + 4 :]


def message_line(line, k):
    """Why the JSON line is not message k, or None."""
    try:
        m = json.loads(line)
    except ValueError as e:
        return f"not JSON ({e}): {line[:80]!r}"
    if m != {"id": k, "data": data_of(k)}:
        return f"{m!r} is not message {k}"
    return None


def head_checks(kind, status, headers, want_status):
    check(f"{kind}: status", status is not None and re.match(want_status, status), repr(status))
    te = headers.get("transfer-encoding")
    cl = headers.get("content-length")
    return te, cl


def chunked(raw, n):
    status, headers, body = split_head(raw)
    te, cl = head_checks("chunked", status, headers, r"^HTTP/1\.1 200 ")
    check(
        "chunked: Transfer-Encoding: chunked, no Content-Length",
        te == ["chunked"] and cl is None,
        f"Transfer-Encoding {te}, Content-Length {cl}",
    )
    chunks, pos, problem = [], 0, None
    while pos < len(body):
        eol = body.find(b"\r\n", pos)
        if eol < 0:
            problem = f"an unterminated chunk-size line at byte {pos}: {body[pos:pos + 20]!r}"
            break
        size_line = body[pos:eol].decode("latin-1")
        if not re.fullmatch(r"[0-9A-Fa-f]+", size_line):
            problem = f"chunk-size line {size_line!r} at byte {pos} is not bare hex"
            break
        size = int(size_line, 16)
        if size == 0:
            problem = "a last chunk (size 0): the stream ended"
            break
        data = body[eol + 2 : eol + 2 + size]
        if len(data) < size or body[eol + 2 + size : eol + 4 + size] != b"\r\n":
            problem = f"chunk {len(chunks) + 1} ({size_line}) is cut short or lacks its CRLF"
            break
        chunks.append((size_line, data))
        pos = eol + 4 + size
    check("chunked: the raw body is whole chunks", problem is None,
          f"{len(chunks)} chunks, sizes {' '.join(s for s, _ in chunks[:5])}..." if problem is None else problem)
    check(f"chunked: {n} chunks, one per message", len(chunks) == n, f"{len(chunks)} chunks")
    why = None
    for k, (_, data) in enumerate(chunks, 1):
        text = data.decode("utf-8", "replace")
        if not text.endswith("\n") or "\n" in text[:-1]:
            why = f"chunk {k} is not exactly one line: {text[:80]!r}"
        else:
            why = message_line(text[:-1], k)
        if why:
            break
    check("chunked: chunk k is the JSON line of message k", why is None and chunks, why or "ids 1..%d with their data" % len(chunks))


def http10(raw, n):
    status, headers, body = split_head(raw)
    te, cl = head_checks("http10", status, headers, r"^HTTP/1\.[01] 200 ")
    check(
        "http10: neither Content-Length nor Transfer-Encoding",
        te is None and cl is None,
        f"Transfer-Encoding {te}, Content-Length {cl}",
    )
    lines = body.decode("utf-8", "replace").split("\n")
    tail = lines.pop()
    why = None if tail == "" else f"a partial last line {tail[:40]!r}"
    if why is None and len(lines) != n:
        why = f"{len(lines)} lines, want {n}"
    for k, line in enumerate(lines, 1):
        if why:
            break
        why = message_line(line, k)
    check(f"http10: the body is the {n} JSON lines, unchunked", why is None, why or f"{n} lines, ids 1..{n}")


def sse(raw, last, n):
    events, event = [], {}
    for line in raw.decode("utf-8", "replace").split("\n"):
        if line == "":
            if "data" in event or "id" in event:
                events.append(event)
            event = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            event[name] = event[name] + "\n" + value if name == "data" and name in event else value
    want = [{"id": str(k), "data": data_of(k)} for k in range(last + 1, n + 1)]
    got = [{"id": e.get("id"), "data": e.get("data")} for e in events]
    check(
        f"sse: Last-Event-ID: {last} resumes with ids {last + 1}..{n}",
        got == want,
        f"ids {[e['id'] for e in got]}" if got != want else f"{len(got)} events, ids {last + 1}..{n} with their data",
    )


with open(sys.argv[2], "rb") as f:
    raw = f.read()
if sys.argv[1] == "chunked":
    chunked(raw, int(sys.argv[3]))
elif sys.argv[1] == "http10":
    http10(raw, int(sys.argv[3]))
elif sys.argv[1] == "sse":
    sse(raw, int(sys.argv[3]), int(sys.argv[4]))
else:
    sys.exit(f"curl_check.py: unknown check {sys.argv[1]}")
check.exit()
