"""Suite `cluster`'s checks: two `rtw serve --hub stomp://...` nodes over one
RabbitMQ (started by `run`), real HTTP clients written here on sockets.

    python3 cluster.py --rtw PATH --stomp-port P

Prints `@@part NAME` when a row starts, `@@pass NAME` / `@@fail NAME<TAB>WHY`
per check and `@@done` last (`run` turns them into lib.sh's rows). Every wait
is bounded; the nodes die with this process (lib.Server).
"""

import argparse
import http.client
import json
import os
import signal
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import lib  # noqa: E402
from lib import check, info, say  # noqa: E402

HOST = "127.0.0.1"
WAIT = 30  # seconds: the longest any one wait may take


def part(name):
    say(f"@@part {name}")


# ---------------------------------------------------------------- nodes


class Node:
    """`rtw serve --listen 127.0.0.1:0 --hub URL`; restartable."""

    def __init__(self, rtw, hub, name):
        self.rtw, self.hub, self.name = rtw, hub, name
        self.server = None
        self.start()

    def start(self):
        t0 = time.monotonic()
        # The history (per topic, on each node) holds every message of a row,
        # so a resume never reaches back past it.
        self.server = lib.Server(self.rtw, "serve", ["--hub", self.hub, "--history", "10000"],
                                 listen="--listen")
        self.port = self.server.port
        info(f"node {self.name}: port {self.port}, up in {time.monotonic() - t0:.1f} s")

    def kill(self):
        self.server.proc.send_signal(signal.SIGKILL)
        self.server.proc.wait(10)

    def stop(self):
        """SIGTERM, then SIGKILL after 10 s."""
        self.server.proc.send_signal(signal.SIGTERM)
        try:
            self.server.proc.wait(10)
        except Exception:  # noqa: BLE001
            self.kill()


# ---------------------------------------------------------------- clients


class Publisher(threading.Thread):
    """POSTs `prefix-i` to NODE's topic, one after the other (a fresh
    connection after an error), keeping every (id, data) answered 200."""

    def __init__(self, node, topic, count, pace=0.0, prefix="m"):
        super().__init__(daemon=True)
        self.node, self.topic, self.count, self.pace, self.prefix = node, topic, count, pace, prefix
        self.acked = []
        self.errors = 0
        self.sent_at = {}  # data: when its POST was sent
        self.took = []  # seconds from each acknowledged POST's send to its 200
        self.stop_flag = threading.Event()

    def run(self):
        conn = None
        for i in range(self.count):
            if self.stop_flag.is_set():
                return
            data = f"{self.prefix}-{i}"
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(HOST, self.node.port, timeout=WAIT)
                t0 = time.monotonic()
                self.sent_at[data] = t0
                conn.request("POST", f"/topics/{self.topic}", body=data,
                             headers={"Content-Type": "text/plain"})
                r = conn.getresponse()
                body = r.read()
                if r.status == 200:
                    self.took.append(time.monotonic() - t0)
                    self.acked.append((json.loads(body)["id"], data))
                else:
                    self.errors += 1
            except (OSError, http.client.HTTPException):
                self.errors += 1
                conn = None
                time.sleep(0.05)
            if self.pace:
                time.sleep(self.pace)


class Sub(threading.Thread):
    """A subscriber on one node; `got` is every (id, data) it received.
    `kind` is sse, ws or longpoll; it starts after `since` (SSE: as
    Last-Event-ID) and ends when `stop()` is called, the connection ends,
    or `want` messages came."""

    def __init__(self, kind, node, topic, since=0, want=None):
        super().__init__(daemon=True)
        self.kind, self.node, self.topic, self.since, self.want = kind, node, topic, since, want
        self.got = []
        self.arrived = []  # when each of `got` came
        self.missed = []
        self.error = None
        self.stop_flag = threading.Event()
        self.sock = None

    def last(self):
        return self.got[-1][0] if self.got else self.since

    def enough(self):
        return self.stop_flag.is_set() or (self.want is not None and len(self.got) >= self.want)

    def stop(self):
        self.stop_flag.set()
        if self.sock is not None:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def run(self):
        try:
            getattr(self, self.kind)()
        except OSError as e:
            if not self.stop_flag.is_set():
                self.error = f"{type(e).__name__}: {e}"

    def connect(self, head):
        s = socket.create_connection((HOST, self.node.port), timeout=WAIT)
        self.sock = s
        s.sendall(head.encode())
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = s.recv(4096)
            if not chunk:
                raise OSError("closed before the response head")
            buf += chunk
        head, rest = buf.split(b"\r\n\r\n", 1)
        status = head.split(b" ", 2)[1]
        if status not in (b"200", b"101"):
            raise OSError(f"status {status.decode()}")
        return s, rest

    def sse(self):
        s, rest = self.connect(
            f"GET /topics/{self.topic}/events HTTP/1.1\r\nHost: {HOST}\r\n"
            f"Last-Event-ID: {self.since}\r\nConnection: close\r\n\r\n")
        # The body is chunked: events are read from the de-chunked text.
        raw, text = rest, b""
        while not self.enough():
            while True:  # de-chunk what is whole
                line_end = raw.find(b"\r\n")
                if line_end < 0:
                    break
                size = int(raw[:line_end].split(b";")[0], 16)
                if len(raw) < line_end + 2 + size + 2:
                    break
                text += raw[line_end + 2:line_end + 2 + size]
                raw = raw[line_end + 4 + size:]
                if size == 0:
                    s.close()
                    return
            while b"\n\n" in text:
                block, text = text.split(b"\n\n", 1)
                fields = {}
                for line in block.decode().split("\n"):
                    if ":" in line and not line.startswith(":"):
                        k, v = line.split(":", 1)
                        fields[k] = v[1:] if v.startswith(" ") else v
                if fields.get("event") == "missed":
                    self.missed.append(fields.get("data"))
                elif "data" in fields and "id" in fields:
                    self.got.append((int(fields["id"]), fields["data"]))
                    self.arrived.append(time.monotonic())
            if self.enough():
                break
            chunk = s.recv(65536)
            if not chunk:
                s.close()
                return
            raw += chunk
        s.close()

    def ws(self):
        key = "dGhlIHNhbXBsZSBub25jZQ=="
        s, rest = self.connect(
            f"GET /topics/{self.topic}/ws?since={self.since} HTTP/1.1\r\nHost: {HOST}:{self.node.port}\r\n"
            f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n")
        frames = lib.Frames()
        frames.feed(rest)
        seen = 0
        while not self.enough():
            for fin, _, opcode, _, payload in frames.frames[seen:]:
                seen += 1
                if opcode == 1:
                    m = json.loads(payload)
                    if "missed" in m:
                        self.missed.append(m["missed"])
                    else:
                        self.got.append((m["id"], m["data"]))
                elif opcode == 9:
                    s.sendall(lib.frame(10, payload))
                elif opcode == 8:
                    s.sendall(lib.close_frame(1000))  # the closing handshake's answer
                    s.close()
                    return
            if self.enough():
                break
            chunk = s.recv(65536)
            if not chunk:
                s.close()
                return
            frames.feed(chunk)
        try:
            s.sendall(lib.close_frame(1000))
        except OSError:
            pass
        s.close()

    def longpoll(self):
        conn = http.client.HTTPConnection(HOST, self.node.port, timeout=WAIT)
        while not self.enough():
            conn.request("GET", f"/topics/{self.topic}/longpoll?since={self.last()}&timeout=2")
            r = conn.getresponse()
            body = r.read()
            if r.status == 204:
                continue
            if r.status != 200:
                raise OSError(f"longpoll status {r.status}")
            if r.getheader("Rtw-Missed"):
                self.missed.append(r.getheader("Rtw-Missed"))
            for m in json.loads(body):
                self.got.append((m["id"], m["data"]))
        conn.close()


def metric(node, name):
    """The value of NAME on NODE's /metrics, or None."""
    conn = http.client.HTTPConnection(HOST, node.port, timeout=WAIT)
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    conn.close()
    for line in text.splitlines():
        if line.startswith(name + " "):
            return int(line.split()[1])
    return None


def wait_for(what, limit=WAIT):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if what():
            return True
        time.sleep(0.05)
    return False


def join(threads, limit=WAIT):
    deadline = time.monotonic() + limit
    for t in threads:
        t.join(max(0.1, deadline - time.monotonic()))
    return all(not t.is_alive() for t in threads)


def same(name, got, expected):
    """GOT is EXPECTED exactly (ids and data, in order)."""
    if got == expected:
        check(True, name, "")
        return
    ids = [i for i, _ in got]
    dups = len(ids) - len(set(ids))
    lost = sorted(set(expected) - set(got))
    extra = sorted(set(got) - set(expected))
    order = ids == sorted(ids)
    check(False, name, f"{len(got)} of {len(expected)}: {dups} duplicates, {len(lost)} lost "
                       f"(first {lost[:3]}), {len(extra)} unexpected (first {extra[:3]}), in order: {order}")


def covers(name, got, acked):
    """Every acknowledged message is in GOT, and GOT has no duplicate and is
    in order (GOT may also hold messages stored but not acknowledged)."""
    ids = [i for i, _ in got]
    lost = sorted(set(acked) - set(got))
    dups = len(ids) - len(set(ids))
    ok = not lost and dups == 0 and ids == sorted(ids)
    check(ok, name, f"{len(lost)} acknowledged lost (first {lost[:3]}), {dups} duplicates, "
                    f"in order: {ids == sorted(ids)}, {len(got)} received, {len(acked)} acknowledged")


def no_missed(name, subs):
    missed = [(s.kind, m) for s in subs for m in s.missed]
    check(not missed, name, f"missed ranges reported: {missed[:3]}")


# ---------------------------------------------------------------- rows


def ms(values, q):
    values = sorted(values)
    return 1000 * values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def fanout(a, b):
    part("cluster-fanout")
    subs = [Sub(kind, b, "fan", since=0, want=300) for kind in ("sse", "ws", "longpoll")]
    for s in subs:
        s.start()
    pub = Publisher(a, "fan", 300)
    pub.start()
    pub.join(WAIT * 2)
    check(len(pub.acked) == 300 and pub.errors == 0, "300 POSTs on node A answered 200",
          f"{len(pub.acked)} answered, {pub.errors} errors")
    ids = [i for i, _ in pub.acked]
    check(ids == sorted(ids) and len(set(ids)) == len(ids), "ids increase on node A", str(ids[:5]))
    join(subs)
    for s in subs:
        s.stop()
        same(f"{s.kind} on node B: every message, ids and data, in order", s.got, pub.acked)
        check(s.error is None, f"{s.kind} on node B: no error", str(s.error))
    info(f"ids {ids[0]}..{ids[-1]} (stream offsets + 1)")
    info(f"POST on A to its 200 (RabbitMQ's receipt and A's consumer): p50 {ms(pub.took, 0.5):.1f} ms, "
         f"p99 {ms(pub.took, 0.99):.1f} ms, max {ms(pub.took, 1):.1f} ms")
    sse = subs[0]
    lat = [at - pub.sent_at[d] for (_, d), at in zip(sse.got, sse.arrived) if d in pub.sent_at]
    info(f"POST sent on A to the SSE event on B: p50 {ms(lat, 0.5):.1f} ms, p99 {ms(lat, 0.99):.1f} ms, "
         f"max {ms(lat, 1):.1f} ms")


def move(a, b):
    part("cluster-move")
    pub = Publisher(a, "move", 300, pace=0.005)
    firsts = [Sub(kind, b, "move", since=0, want=80) for kind in ("sse", "ws", "longpoll")]
    for s in firsts:
        s.start()
    pub.start()
    join(firsts)
    for s in firsts:
        s.stop()
    check(all(len(s.got) >= 80 for s in firsts), "each subscriber got 80 on node B",
          str([len(s.got) for s in firsts]))
    seconds = [Sub(s.kind, a, "move", since=s.last(), want=300 - len(s.got)) for s in firsts]
    for s in seconds:
        s.start()
    pub.join(WAIT * 2)
    check(len(pub.acked) == 300, "300 POSTs on node A answered 200", f"{len(pub.acked)}, {pub.errors} errors")
    join(seconds)
    for first, second in zip(firsts, seconds):
        second.stop()
        how = "Last-Event-ID" if first.kind == "sse" else "since="
        same(f"{first.kind}: B then A resuming with {how}: no loss, no duplicate",
             first.got + second.got, pub.acked)


def kill(a, b):
    part("cluster-kill")
    pub = Publisher(a, "kill", 100_000, prefix="k")
    on_b = Sub("sse", b, "kill", since=0)
    on_a = [Sub(kind, a, "kill", since=0) for kind in ("sse", "ws")]
    for s in [on_b, *on_a]:
        s.start()
    pub.start()
    ok = wait_for(lambda: len(pub.acked) >= 150)
    check(ok, "node A acknowledged 150 POSTs", f"{len(pub.acked)}")
    a.kill()
    info(f"node A SIGKILLed after {len(pub.acked)} acknowledged POSTs")
    pub.stop_flag.set()
    pub.join(WAIT)
    acked = list(pub.acked)
    join(on_a, 5)
    # The subscribers of A move to B with the last id they saw.
    moved = [Sub(s.kind, b, "kill", since=s.last()) for s in on_a]
    for s in moved:
        s.start()
    last = acked[-1][0] if acked else 0
    wait_for(lambda: all(s.last() >= last for s in [on_b, *moved]))
    time.sleep(0.5)  # anything stored after the last acknowledged comes too
    for s in [on_b, *moved]:
        s.stop()
    join([on_b, *moved], 5)
    covers("SSE on node B: every acknowledged message, once, in order", on_b.got, acked)
    for first, second in zip(on_a, moved):
        covers(f"{first.kind} moved from the killed A to B: every acknowledged message, once, in order",
               first.got + second.got, acked)
    no_missed("no missed range reported", [on_b, *on_a, *moved])
    failed = metric(b, "rtw_serve_hub_publishes_failed_total")
    check(metric(b, "rtw_serve_hub_connected") == 1 and failed == 0,
          "node B's /metrics: rtw_serve_hub_connected 1, rtw_serve_hub_publishes_failed_total 0",
          f"connected {metric(b, 'rtw_serve_hub_connected')}, failed {failed}")
    a.start()
    check(a.server.alive(), "node A restarted", a.server.stderr())


def restart(a, b):
    part("cluster-restart")
    pub = Publisher(b, "restart", 100_000, pace=0.005, prefix="r")
    subs = [Sub(kind, a, "restart", since=0) for kind in ("sse", "ws", "longpoll")]
    for s in subs:
        s.start()
    pub.start()
    check(wait_for(lambda: len(pub.acked) >= 100), "node B acknowledged 100 POSTs", f"{len(pub.acked)}")
    a.stop()
    info(f"node A stopped (SIGTERM) at {len(pub.acked)} acknowledged")
    join(subs, 5)
    for s in subs:
        s.stop()
    time.sleep(1)
    before = pub.acked[-1][0]
    a.start()
    info(f"node A back at {len(pub.acked)} acknowledged")
    offset = metric(a, "rtw_serve_hub_stream_offset")
    check(metric(a, "rtw_serve_hub_connected") == 1 and offset >= before,
          "the new A's /metrics: connected, its stream offset at least the last id B answered before A started",
          f"offset {offset}, last id before the start {before}")
    back = [Sub(s.kind, a, "restart", since=s.last()) for s in subs]
    for s in back:
        s.start()
    time.sleep(1)
    pub.stop_flag.set()
    pub.join(WAIT)
    acked = list(pub.acked)
    check(pub.errors == 0, "node B answered every POST while A restarted", f"{pub.errors} errors")
    last = acked[-1][0]
    wait_for(lambda: all(s.last() >= last for s in back))
    for s in back:
        s.stop()
    join(back, 5)
    for first, second in zip(subs, back):
        covers(f"{first.kind} on A before and after its restart: every acknowledged message, once, in order",
               first.got + second.got, acked)
    no_missed("no missed range reported (the restarted node's history reaches back)", subs + back)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rtw", required=True)
    p.add_argument("--stomp-port", required=True, type=int)
    args = p.parse_args()
    hub = f"stomp://guest:guest@{HOST}:{args.stomp_port}/rtw.cluster"
    part("cluster-setup")
    try:
        a = Node(args.rtw, hub, "A")
        b = Node(args.rtw, hub, "B")
        check(True, "two rtw serve --hub nodes up (each caught up with the stream)", "")
    except RuntimeError as e:
        check(False, "two rtw serve --hub nodes up", str(e))
        say("@@done")
        return
    try:
        for row in (fanout, move, kill, restart):
            t0 = time.monotonic()
            row(a, b)
            info(f"{time.monotonic() - t0:.1f} s")
    finally:
        lib.stop_all()
    say("@@done")


if __name__ == "__main__":
    main()
