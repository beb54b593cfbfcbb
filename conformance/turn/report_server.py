#!/usr/bin/env python3
"""A one-page HTTP server for suite `turn`'s Chromium row.

  report_server.py PAGE REPORT

Listens on 127.0.0.1 (an ephemeral port), prints `listening on
127.0.0.1:PORT`, serves PAGE for `GET /` (with any query), and writes the
body of the first `POST /report` to REPORT, then exits. Anything else is a
404. Bounded by the caller's `timeout`.
"""

import http.server
import os
import sys

PAGE, REPORT = sys.argv[1], sys.argv[2]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/" or self.path.startswith("/?"):
            with open(PAGE, "rb") as f:
                body = f.read()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
        else:
            body = b""
            self.send_response(404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        length = min(int(self.headers.get("Content-Length", "0")), 1 << 20)
        body = self.rfile.read(length)
        self.send_response(204)
        self.end_headers()
        if self.path == "/report":
            tmp = REPORT + ".part"
            with open(tmp, "wb") as f:
                f.write(body)
            os.replace(tmp, REPORT)
            self.server.done = True

    def log_message(self, fmt, *args):
        sys.stderr.write("report_server: " + fmt % args + "\n")


server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
server.done = False
print(f"listening on 127.0.0.1:{server.server_address[1]}", flush=True)
while not server.done:
    server.handle_request()
