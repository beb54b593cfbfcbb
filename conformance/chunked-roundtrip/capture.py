#!/usr/bin/env python3
"""Capture chunked request bodies exactly as independent clients send them.

Usage: capture.py OUTDIR COUNT

Listens on 127.0.0.1 (an ephemeral port, printed as the first line of
stdout), accepts COUNT connections one after the other, and for connection
number I (from 0) writes:

  OUTDIR/I.raw      the request body's bytes as received: the chunked coding
  OUTDIR/I.decoded  the same body decoded by Python's own http.client
  OUTDIR/I.error    only if something went wrong

Python's decoder also finds where the body ends, so nothing past it is
captured. The reply is an empty 200 response. Every wait is bounded.
"""

import http.client
import io
import os
import socket
import sys

TIMEOUT = 20.0


class Recorder:
    """What http.client.HTTPResponse reads from: a made-up response head
    declaring a chunked body, then the request body, recorded as read."""

    def __init__(self, reader):
        self.head = io.BytesIO(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        self.head_len = len(self.head.getvalue())
        self.reader = reader
        self.raw = bytearray()

    def _in_head(self):
        return self.head.tell() < self.head_len

    def readline(self, limit=-1):
        if self._in_head():
            return self.head.readline(limit)
        line = self.reader.readline(limit)
        self.raw += line
        return line

    def read(self, n=-1):
        data = self.reader.read(n)
        self.raw += data
        return data

    def readinto(self, buf):
        n = self.reader.readinto(buf)
        self.raw += bytes(memoryview(buf)[:n])
        return n

    def close(self):
        pass

    def flush(self):
        pass


class FakeSocket:
    def __init__(self, fp):
        self.fp = fp

    def makefile(self, *args, **kwargs):
        return self.fp


def capture(conn, out_prefix):
    conn.settimeout(TIMEOUT)
    reader = conn.makefile("rb")
    request_line = reader.readline(65537)
    if not request_line:
        raise ValueError("connection closed before the request line")
    headers = {}
    while True:
        line = reader.readline(65537)
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() != "chunked":
        raise ValueError("request is not chunked: %r" % headers)
    if headers.get("expect", "").lower() == "100-continue":
        conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
    recorder = Recorder(reader)
    response = http.client.HTTPResponse(FakeSocket(recorder))
    response.begin()
    decoded = response.read()
    with open(out_prefix + ".raw", "wb") as f:
        f.write(recorder.raw)
    with open(out_prefix + ".decoded", "wb") as f:
        f.write(decoded)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


def main():
    out_dir, count = sys.argv[1], int(sys.argv[2])
    os.makedirs(out_dir, exist_ok=True)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(TIMEOUT)
    print(listener.getsockname()[1], flush=True)
    for i in range(count):
        conn, _ = listener.accept()
        prefix = os.path.join(out_dir, str(i))
        try:
            capture(conn, prefix)
        except Exception as e:  # recorded for the suite to report
            with open(prefix + ".error", "w") as f:
                f.write("%s: %s\n" % (type(e).__name__, e))
        finally:
            conn.close()


if __name__ == "__main__":
    main()
