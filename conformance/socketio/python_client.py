#!/usr/bin/env python3
"""python-socketio (PyPI) client scenarios against a Socket.IO v5 server
with the application of `rtw serve`'s /socket.io/ (or server.cjs, the npm
server with the same application).

Usage: PY python_client.py URL TRANSPORT [--server rtw|npm]
  URL        e.g. http://127.0.0.1:8080 (Socket.IO at URL/socket.io/)
  TRANSPORT  polling | websocket | upgrade (polling, then upgraded: the
             Engine.IO client must end on websocket)
  --server   only names the server in the output

One line per check, `ok    NAME: what was seen` or `FAIL  NAME: why`; exit
0 iff no FAIL. Every wait is bounded (WAIT seconds).
"""
import sys
import threading
import time

import socketio

WAIT = 10.0


class Run:
    def __init__(self, label):
        self.label = label
        self.failed = 0

    def ok(self, name, seen):
        print(f"ok    {name}: {seen} ({self.label})", flush=True)

    def fail(self, name, why):
        self.failed += 1
        print(f"FAIL  {name}: {why} ({self.label})", flush=True)

    def check(self, name, cond, seen, why=None):
        if cond:
            self.ok(name, seen)
        else:
            self.fail(name, why or f"unexpected: {seen}")
        return cond


class Inbox:
    """Events received by one client, waited for with a bound."""

    def __init__(self):
        self.cond = threading.Condition()
        self.items = []

    def put(self, event, args):
        with self.cond:
            self.items.append((event, args))
            self.cond.notify_all()

    def wait_for(self, event, timeout=WAIT):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for i, (e, args) in enumerate(self.items):
                    if e == event:
                        del self.items[i]
                        return args
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)

    def has(self, event):
        with self.cond:
            return any(e == event for e, _ in self.items)


def transports_for(mode):
    return {"polling": ["polling"], "websocket": ["websocket"], "upgrade": None}[mode]


def client(url, mode, auth=None, answers=None):
    """A connected client whose events go to an Inbox; `answers` maps an
    event name to a function whose return value is the ack."""
    sio = socketio.Client(reconnection=False)
    inbox = Inbox()
    answers = answers or {}

    @sio.on("*")
    def any_event(event, *args):
        if event in answers:
            return answers[event](*args)
        inbox.put(event, list(args))

    @sio.on("disconnect")
    def on_disconnect(*reason):
        inbox.put("disconnect", list(reason))

    @sio.on("connect_error")
    def on_connect_error(data=None):
        inbox.put("connect_error", [data])

    # The catch-all does not see events with their own handler: add one per
    # answered event.
    for name, fn in answers.items():
        sio.on(name, fn)

    kwargs = {"auth": auth, "wait_timeout": WAIT}
    transports = transports_for(mode)
    if transports is not None:
        kwargs["transports"] = transports
    sio.connect(url, **kwargs)
    return sio, inbox


def wait_until(pred, timeout=WAIT, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    return pred()


def main():
    args = sys.argv[1:]
    server = "rtw"
    if "--server" in args:
        i = args.index("--server")
        server = args[i + 1]
        del args[i:i + 2]
    if len(args) != 2 or args[1] not in ("polling", "websocket", "upgrade"):
        print(__doc__, file=sys.stderr)
        return 2
    url, mode = args
    run = Run(f"{server}, {mode}")
    clients = []

    def guarded(name, fn):
        try:
            fn()
        except Exception as e:  # one scenario's failure does not stop the rest
            run.fail(name, f"{type(e).__name__}: {e}")

    # connect with auth, then `auth` acks it back
    state = {}

    def connect_auth():
        token = {"token": "py-secret", "n": 7}
        sio, inbox = client(url, mode, auth=token,
                            answers={"question": lambda *a: ["answer", *a]})
        clients.append(sio)
        state["a"] = (sio, inbox)
        run.check("connect", sio.connected, f"connected, sid {sio.get_sid()!r}")
        got = sio.call("auth", timeout=WAIT)
        run.check("auth", got == token, f"auth acked {got!r}", f"auth acked {got!r}, sent {token!r}")

    guarded("connect", connect_auth)
    if "a" not in state:
        print(f"{run.failed} failed", file=sys.stderr)
        return 1
    sio, inbox = state["a"]

    def transport():
        if mode == "upgrade":
            up = wait_until(lambda: sio.transport() == "websocket")
            run.check("transport", up, f"Engine.IO client upgraded to {sio.transport()}",
                      f"still on {sio.transport()} after {WAIT}s")
        else:
            run.check("transport", sio.transport() == mode, f"on {sio.transport()}")

    guarded("transport", transport)

    def echo_text():
        sio.emit("echo", ("hello", 42, {"k": ["v", None, True]}))
        got = inbox.wait_for("echo")
        want = ["hello", 42, {"k": ["v", None, True]}]
        run.check("echo", got == want, f"echo back {got!r}", f"got {got!r}, want {want!r}")

    guarded("echo", echo_text)

    def echo_binary():
        data = ("bin", b"\x01\x02\x03", {"nested": [b"\xff\x00", {"deep": b""}]})
        sio.emit("echo", data)
        got = inbox.wait_for("echo")
        want = ["bin", b"\x01\x02\x03", {"nested": [b"\xff\x00", {"deep": b""}]}]
        run.check("echo-binary", got == want, f"binary attachments back {got!r}",
                  f"got {got!r}, want {want!r}")

    guarded("echo-binary", echo_binary)

    def echo_ack():
        got = sio.call("echo-ack", ("a", 1, [2, b"\x07"]), timeout=WAIT)
        want = ("a", 1, [2, b"\x07"])
        run.check("echo-ack", tuple(got) == want if isinstance(got, tuple) else False,
                  f"acked {got!r}", f"acked {got!r}, want {want!r}")

    guarded("echo-ack", echo_ack)

    def ask():
        # The server emits `question`("x", 2) asking for our ack; our
        # handler's return value (a list: one argument) is the ack, which
        # the server passes back as the ack of `ask`.
        got = sio.call("ask", ("question", "x", 2), timeout=WAIT)
        want = ["answer", "x", 2]
        run.check("ask", got == want, f"server-to-client ack came back as {got!r}",
                  f"ask acked {got!r}, want {want!r}")

    guarded("ask", ask)

    def rooms():
        sio_b, inbox_b = client(url, mode)
        clients.append(sio_b)
        room = f"room-{time.monotonic_ns()}"
        ja = sio.call("join", room, timeout=WAIT)
        jb = sio_b.call("join", room, timeout=WAIT)
        run.check("join", ja is None and jb is None, "both joined (empty acks)",
                  f"join acks {ja!r} {jb!r}")
        count = sio.call("to-room", (room, "hi", b"\x05"), timeout=WAIT)
        got = inbox_b.wait_for("to-room")
        run.check("to-room", got == ["hi", b"\x05"] and count == 1,
                  f"other client got {got!r}, ack count {count!r}",
                  f"other got {got!r}, count {count!r}")
        time.sleep(0.3)
        run.check("to-room-not-sender", not inbox.has("to-room"), "the sender got nothing",
                  "the sender got its own to-room")
        lb = sio_b.call("leave", room, timeout=WAIT)
        count = sio.call("to-room", (room, "after"), timeout=WAIT)
        time.sleep(0.3)
        run.check("leave", lb is None and count == 0 and not inbox_b.has("to-room"),
                  f"after leave: count {count!r}, nothing delivered",
                  f"leave ack {lb!r}, count {count!r}, delivered {inbox_b.has('to-room')}")
        state["b"] = (sio_b, inbox_b)

    guarded("rooms", rooms)

    def publish():
        if "b" not in state:
            sio_b, inbox_b = client(url, mode)
            clients.append(sio_b)
            state["b"] = (sio_b, inbox_b)
        sio_b, inbox_b = state["b"]
        topic = f"py-{mode}-{time.monotonic_ns()}"
        sub = sio_b.call("subscribe", topic, timeout=WAIT)
        run.check("subscribe", sub == {"topic": topic}, f"acked {sub!r}")
        pub = sio.call("publish", (topic, "news"), timeout=WAIT)
        got = inbox_b.wait_for("message")
        ok = (isinstance(pub, dict) and isinstance(pub.get("id"), int)
              and got == [{"id": pub["id"], "data": "news"}])
        run.check("publish", ok, f"publish acked {pub!r}, subscriber got message {got!r}",
                  f"publish acked {pub!r}, subscriber got {got!r}")

    guarded("publish", publish)

    def refused():
        bad = socketio.Client(reconnection=False)
        seen = []

        @bad.on("connect_error", namespace="/forbidden")
        def on_error(data=None):
            seen.append(data)

        kwargs = {"namespaces": ["/forbidden"], "wait_timeout": WAIT}
        if transports_for(mode) is not None:
            kwargs["transports"] = transports_for(mode)
        try:
            bad.connect(url, **kwargs)
        except socketio.exceptions.ConnectionError as e:
            msg = seen[0] if seen else None
            text = f"{e}; connect_error {msg!r}"
            refused_seen = "refused" in str(e) or (isinstance(msg, dict) and msg.get("message") == "refused")
            run.check("refused-namespace", refused_seen, f"ConnectionError: {text}")
        else:
            run.fail("refused-namespace", "connected to /forbidden")
        finally:
            try:
                bad.disconnect()
            except Exception:
                pass

    guarded("refused-namespace", refused)

    def disconnect():
        sio.disconnect()
        reason = inbox.wait_for("disconnect")
        run.check("disconnect", not sio.connected and reason is not None,
                  f"disconnected (handler reason {reason!r})",
                  f"connected={sio.connected}, disconnect handler {reason!r}")

    guarded("disconnect", disconnect)

    for c in clients:
        try:
            c.disconnect()
        except Exception:
            pass
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
