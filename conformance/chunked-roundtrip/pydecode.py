#!/usr/bin/env python3
"""Decode a chunked body with Python's own http.client, an implementation
independent of rtw, and check its chunk sizes.

Usage: pydecode.py BODY-FILE MAX-CHUNK > payload

Exits non-zero if http.client rejects the body or a chunk is larger than
MAX-CHUNK bytes.
"""

import http.client
import io
import sys


class FakeSocket:
    def __init__(self, data):
        self.data = data

    def makefile(self, *args, **kwargs):
        return io.BytesIO(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + self.data)


def chunk_sizes(body):
    """Sizes from the chunk lines, walking the framing (RFC 9112 §7.1)."""
    pos = 0
    while True:
        end = body.index(b"\r\n", pos)
        size = int(body[pos:end].split(b";")[0], 16)
        yield size
        if size == 0:
            return
        pos = end + 2 + size + 2


def main():
    body = open(sys.argv[1], "rb").read()
    max_chunk = int(sys.argv[2])
    response = http.client.HTTPResponse(FakeSocket(body))
    response.begin()
    payload = response.read()
    largest = max(chunk_sizes(body))
    if largest > max_chunk:
        sys.exit("chunk of %d bytes, larger than %d" % (largest, max_chunk))
    sys.stdout.buffer.write(payload)


if __name__ == "__main__":
    main()
