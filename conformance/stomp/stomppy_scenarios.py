"""The STOMP scenarios of suite `stomp`, through stomp.py's own API (TCP).

usage: stomppy_scenarios.py tcp://IP:PORT [--login L --passcode P --host H] [--rabbitmq]

Prints one line per check, `ok    NAME` or `FAIL  NAME: WHY`, and exits
non-zero if any failed. Every wait is bounded (WAIT s). Destinations carry a
random suffix so that runs never see each other's messages. The same
scenarios are in stompjs_scenarios.mjs (stompjs over WebSocket).
"""

import os
import queue
import sys
import time

import stomp

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import WAIT, check, closed_after_error, finish, parse_args  # noqa: E402


class Collector(stomp.ConnectionListener):
    def __init__(self):
        self.messages = queue.Queue()
        self.receipts = queue.Queue()
        self.errors = queue.Queue()
        self.connected = queue.Queue()
        self.disconnected = queue.Queue()

    def on_connected(self, frame):
        self.connected.put(frame)

    def on_message(self, frame):
        self.messages.put(frame)

    def on_receipt(self, frame):
        self.receipts.put(frame.headers.get("receipt-id"))

    def on_error(self, frame):
        self.errors.put(frame)

    def on_disconnected(self):
        self.disconnected.put(True)


def get(q, timeout=WAIT):
    try:
        return q.get(timeout=timeout)
    except queue.Empty:
        return None


def drain(q, quiet=0.5, first=None):
    """Everything that arrives until `quiet` s pass with nothing new (the
    first item may take up to `first` s, for a wait that expects some)."""
    out = []
    while True:
        item = get(q, first if first is not None and not out else quiet)
        if item is None:
            return out
        out.append(item)


def wait_receipt(c, rid):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        got = get(c.receipts, max(0.01, deadline - time.monotonic()))
        if got == rid:
            return True
    return False


def main():
    a, host_port, tag = parse_args(
        rabbitmq_help="skip the check RabbitMQ 3.10 is known to fail (close after ERROR)")
    addr = [host_port]

    def connect(heartbeats=(0, 0)):
        conn = stomp.Connection12(addr, heartbeats=heartbeats, timeout=WAIT, vhost=a.host)
        c = Collector()
        conn.set_listener("c", c)
        conn.connect(a.login, a.passcode, wait=True)
        return conn, c

    # 1. CONNECT, version 1.2.
    conn, c = connect()
    f = get(c.connected, 0.1)
    check("connect: CONNECTED with version 1.2",
          conn.is_connected() and f is not None and f.headers.get("version") == "1.2",
          f"headers {f.headers if f else None}")

    # 2. Topic: subscribe, send with a receipt, message delivered.
    dest = f"/topic/rtw-{tag}-t"
    conn.subscribe(dest, id="s-topic", ack="auto", headers={"receipt": "r-sub"})
    check("subscribe with a receipt: RECEIPT", wait_receipt(c, "r-sub"))
    conn.send(dest, "hello topic", headers={"receipt": "r-send"})
    check("send with a receipt: RECEIPT", wait_receipt(c, "r-send"))
    m = get(c.messages)
    check("topic: the message is delivered to the subscriber",
          m is not None and m.body == "hello topic" and m.headers.get("subscription") == "s-topic"
          and m.headers.get("destination") == dest and "message-id" in m.headers,
          f"got {m.headers if m else None} {m.body if m else None!r}")

    # 3. A body with a NUL and UTF-8 (content-length set by stomp.py).
    body = "a\x00b é \u2603"
    conn.send(dest, body)
    m = get(c.messages)
    check("topic: a body with a NUL and UTF-8 arrives whole",
          m is not None and m.body == body, f"got {m.body if m else None!r}")
    conn.unsubscribe("s-topic", headers={"receipt": "r-unsub"})
    check("unsubscribe with a receipt: RECEIPT", wait_receipt(c, "r-unsub"))
    conn.send(dest, "after unsubscribe", headers={"receipt": "r-send2"})
    wait_receipt(c, "r-send2")
    check("unsubscribe: nothing more delivered", not drain(c.messages))

    # 4. Queue, ack=client-individual: ACK one, NACK the other -> redelivered.
    q = f"/queue/rtw-{tag}-ci"
    conn.subscribe(q, id="s-ci", ack="client-individual")
    conn.send(q, "ci-1")
    conn.send(q, "ci-2", headers={"receipt": "r-ci"})
    wait_receipt(c, "r-ci")
    got = [get(c.messages), get(c.messages)]
    check("client-individual: both messages delivered, each with an ack header",
          all(m is not None and "ack" in m.headers for m in got)
          and sorted(m.body for m in got) == ["ci-1", "ci-2"],
          f"got {[m.body if m else None for m in got]}")
    if all(got):
        one = next(m for m in got if m.body == "ci-1")
        two = next(m for m in got if m.body == "ci-2")
        conn.ack(one.headers["ack"])
        conn.nack(two.headers["ack"])
        r = get(c.messages)
        check("client-individual: the NACKed message is redelivered, the ACKed one is not",
              r is not None and r.body == "ci-2", f"got {r.body if r else None!r}")
        if r is not None:
            conn.ack(r.headers["ack"], receipt="r-ack")
            check("ack with a receipt: RECEIPT", wait_receipt(c, "r-ack"))
        check("client-individual: nothing else delivered", not drain(c.messages))
    conn.unsubscribe("s-ci")

    # 5. Queue, ack=client (cumulative): unacked messages come back to the
    # next consumer when the connection ends; acked ones do not.
    q = f"/queue/rtw-{tag}-cl"
    conn2, c2 = connect()
    conn2.subscribe(q, id="s-cl", ack="client")
    for i in range(3):
        conn.send(q, f"cl-{i}")
    got = [get(c2.messages) for _ in range(3)]
    check("client: three messages delivered in order",
          [m.body if m else None for m in got] == ["cl-0", "cl-1", "cl-2"],
          f"got {[m.body if m else None for m in got]}")
    if got[1] is not None:
        # Cumulative: acknowledges cl-0 and cl-1.
        conn2.ack(got[1].headers["ack"], receipt="r-cl-ack")
        wait_receipt(c2, "r-cl-ack")
    conn2.disconnect()
    conn3, c3 = connect()
    conn3.subscribe(q, id="s-cl2", ack="auto")
    got = drain(c3.messages, 1.0, first=WAIT)
    check("client: after the consumer leaves, only the unacked message is redelivered",
          [m.body for m in got] == ["cl-2"], f"got {[m.body for m in got]}")
    conn3.disconnect()

    # 6. Transactions: nothing delivered before COMMIT, nothing after ABORT.
    q = f"/queue/rtw-{tag}-tx"
    conn.subscribe(q, id="s-tx", ack="auto")
    tx = conn.begin()
    conn.send(q, "tx-1", headers={"transaction": tx})
    conn.send(q, "tx-2", headers={"transaction": tx})
    check("transaction: nothing delivered before COMMIT", not drain(c.messages))
    conn.commit(tx)
    got = [get(c.messages), get(c.messages)]
    check("transaction: both messages delivered after COMMIT",
          [m.body if m else None for m in got] == ["tx-1", "tx-2"],
          f"got {[m.body if m else None for m in got]}")
    tx = conn.begin()
    conn.send(q, "tx-aborted", headers={"transaction": tx})
    conn.abort(tx)
    conn.send(q, "after-abort")
    got = drain(c.messages, first=WAIT)
    check("transaction: nothing delivered after ABORT",
          [m.body for m in got] == ["after-abort"], f"got {[m.body for m in got]}")
    conn.unsubscribe("s-tx")

    # 7. DISCONNECT with a receipt (stomp.py waits for it).
    conn.disconnect(receipt="r-bye")
    check("disconnect with a receipt: RECEIPT, then closed",
          not conn.is_connected() and get(c.disconnected, WAIT) is not None)

    # 8. Heart-beats: 500 ms both ways, idle for 3 s, still connected and
    # delivering.
    conn, c = connect(heartbeats=(500, 500))
    f = get(c.connected, 0.1)
    hb = f.headers.get("heart-beat", "0,0") if f else "0,0"
    sx, sy = (int(x) for x in hb.split(","))
    check("heart-beat: the server agrees to both directions", sx > 0 and sy > 0, f"heart-beat {hb}")
    time.sleep(3)
    dest = f"/topic/rtw-{tag}-hb"
    conn.subscribe(dest, id="s-hb")
    conn.send(dest, "still here", headers={"receipt": "r-hb"})
    m = get(c.messages)
    check("heart-beat: after 3 s idle the connection is alive and delivers",
          conn.is_connected() and m is not None and m.body == "still here"
          and get(c.disconnected, 0) is None)
    conn.disconnect()

    # 9. Bad frames. SUBSCRIBE without destination and id: ERROR (a broker
    # may keep the connection: RabbitMQ does). An unknown command: ERROR,
    # then the connection is closed (STOMP 1.2 "ERROR").
    conn, c = connect()
    conn.send_frame("SUBSCRIBE", {"receipt": "r-bad"})
    e = get(c.errors)
    check("bad frame (SUBSCRIBE without destination): ERROR with a message header",
          e is not None and "message" in e.headers, "no ERROR")
    try:
        conn.disconnect()
    except Exception:
        pass
    conn, c = connect()
    conn.send_frame("BOGUS", {})
    e = get(c.errors)
    check("bad frame (unknown command BOGUS): ERROR with a message header",
          e is not None and "message" in e.headers, "no ERROR")
    closed = get(c.disconnected, WAIT) is not None
    name = "bad frame (unknown command): the server closes the connection"
    closed_after_error(name, closed, a.rabbitmq, f"still connected after {WAIT} s")
    try:
        conn.disconnect()
    except Exception:
        pass

    return finish("stomp.py")


if __name__ == "__main__":
    sys.exit(main())
