#!/usr/bin/env python3
"""The HTTP server of suite `webrtc`'s pages.

  report_server.py PAGES_DIR OUT_DIR

Listens on 127.0.0.1 (an ephemeral port) and prints `listening on
127.0.0.1:PORT` first. Serves the suite's pages and script from PAGES_DIR
(`GET /NAME.html` or `GET /NAME.js`, with any query; nothing else), and takes
each page's output:

  POST /report/NAME  the page's JSON report, written to OUT_DIR/NAME.json
                     (replaced atomically: a page may report again)
  POST /log/NAME     one line of the page's log, appended to OUT_DIR/NAME.log

NAME is 1 to 64 characters of [A-Za-z0-9._-]. Bodies are capped at 1 MiB.
Runs until killed; the caller bounds it with `timeout`.
"""

import http.server
import os
import re
import sys

PAGES, OUT = sys.argv[1], sys.argv[2]
NAME = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


class Handler(http.server.BaseHTTPRequestHandler):
    def reply(self, code, body=b"", kind="text/plain"):
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        path = self.path.split("?", 1)[0].lstrip("/")
        ext = os.path.splitext(path)[1]
        if NAME.match(path) and ext in TYPES and os.path.isfile(os.path.join(PAGES, path)):
            with open(os.path.join(PAGES, path), "rb") as f:
                self.reply(200, f.read(), TYPES[ext])
        else:
            self.reply(404)

    def do_POST(self):
        length = min(int(self.headers.get("Content-Length", "0") or 0), 1 << 20)
        body = self.rfile.read(length)
        parts = self.path.split("?", 1)[0].strip("/").split("/")
        if len(parts) != 2 or not NAME.match(parts[1]) or parts[0] not in ("report", "log"):
            self.reply(404)
            return
        target = os.path.join(OUT, parts[1])
        if parts[0] == "report":
            with open(target + ".json.part", "wb") as f:
                f.write(body)
            os.replace(target + ".json.part", target + ".json")
        else:
            with open(target + ".log", "ab") as f:
                f.write(body.replace(b"\n", b" ") + b"\n")
        self.reply(204)

    def log_message(self, fmt, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(f"listening on 127.0.0.1:{server.server_address[1]}", flush=True)
server.serve_forever()
