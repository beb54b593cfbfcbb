// The official `socket.io-client` (npm) under Node against a Socket.IO v5
// server with the application of `rtw serve`'s `/socket.io/` (the table in
// crates/tokio/src/serve/socketio/mod.rs; conformance/socketio/server.cjs is
// the npm server with the same one). Every scenario goes through the
// client's own API.
//
// Usage: node client_scenarios.cjs NPM_DIR URL TRANSPORT
//            [--ping-interval MS] [--ping-timeout MS] [--server rtw|npm]
//   TRANSPORT: polling (transports ["polling"]), websocket (["websocket"])
//   or upgrade (the default ["polling", "websocket"]: the engine's transport
//   must become websocket).
//   --ping-interval/--ping-timeout: the server's values (they bound the
//   heartbeat scenario's waits; default 300/300).
//   --server rtw: also read the hub bridge's message back through plain
//   HTTP (GET URL/topics/T/poll), which only `rtw serve` has.
//
// One line per check, `ok    NAME: what was seen` or `FAIL  NAME: why`;
// exit 0 iff no FAIL. Every wait is bounded.
"use strict";
const path = require("path");
const http = require("http");
const assert = require("assert");

const [npmDir, url, transport, ...rest] = process.argv.slice(2);
if (!npmDir || !url || !["polling", "websocket", "upgrade"].includes(transport)) {
    console.error(
        "usage: node client_scenarios.cjs NPM_DIR URL polling|websocket|upgrade " +
            "[--ping-interval MS] [--ping-timeout MS] [--server rtw|npm]",
    );
    process.exit(2);
}
const option = (name, fallback) => {
    const i = rest.indexOf(name);
    return i >= 0 && i + 1 < rest.length ? rest[i + 1] : fallback;
};
const pingInterval = Number(option("--ping-interval", "300"));
const pingTimeout = Number(option("--ping-timeout", "300"));
const server = option("--server", "npm");
const { io } = require(path.join(npmDir, "node_modules", "socket.io-client"));

const WAIT = 5000; // ms, any one answer
let failures = 0;
const ok = (name, what) => console.log(`ok    ${name}: ${what}`);
const fail = (name, why) => {
    failures += 1;
    console.log(`FAIL  ${name}: ${String(why).replace(/\s+/g, " ")}`);
};
// check NAME FN: runs FN (async), `ok` with what it returns, `FAIL` with
// what it throws.
const check = async (name, fn) => {
    try {
        ok(name, await fn());
        return true;
    } catch (e) {
        fail(name, e && e.message ? e.message : e);
        return false;
    }
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const within = (ms, what, promise) =>
    Promise.race([
        promise,
        new Promise((_, reject) => setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms)),
    ]);
const once = (emitter, event, ms = WAIT) =>
    within(ms, `'${event}'`, new Promise((resolve) => emitter.once(event, (...args) => resolve(args))));
const rand = () => Math.random().toString(36).slice(2, 10);
const short = (v) => {
    const s = JSON.stringify(v, (k, x) => (isBinary(x) ? `<${hex(x).length / 2} bytes>` : x));
    return s && s.length > 160 ? s.slice(0, 157) + "..." : s;
};

// Binary values compared by their bytes, whatever the type the client hands
// back (Buffer, ArrayBuffer, a typed array).
const isBinary = (x) => Buffer.isBuffer(x) || x instanceof ArrayBuffer || ArrayBuffer.isView(x);
const hex = (x) =>
    Buffer.isBuffer(x)
        ? x.toString("hex")
        : x instanceof ArrayBuffer
          ? Buffer.from(x).toString("hex")
          : Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString("hex");
const normal = (v) => {
    if (isBinary(v)) return { $bytes: hex(v) };
    if (v && typeof v.toJSON === "function" && !isBinary(v)) v = v.toJSON();
    if (Array.isArray(v)) return v.map(normal);
    if (v && typeof v === "object") {
        const out = {};
        for (const k of Object.keys(v).sort()) out[k] = normal(v[k]);
        return out;
    }
    return v;
};
const same = (got, want, what) => {
    try {
        assert.deepStrictEqual(normal(got), normal(want));
    } catch {
        throw new Error(`${what}: got ${short(got)}, want ${short(want)}`);
    }
};

const transports = { polling: ["polling"], websocket: ["websocket"], upgrade: ["polling", "websocket"] }[transport];
const clients = [];
const client = (nsp = "/", opts = {}) => {
    const socket = io(url + (nsp === "/" ? "" : nsp), {
        forceNew: true,
        transports,
        upgrade: transport === "upgrade",
        reconnection: false,
        timeout: WAIT,
        ...opts,
    });
    clients.push(socket);
    // The transport the engine opened with, and whether it upgraded.
    const engine = socket.io.engine;
    socket.firstTransport = engine && engine.transport ? engine.transport.name : "?";
    socket.upgradeSeen = false;
    if (engine) engine.once("upgrade", () => (socket.upgradeSeen = true));
    return socket;
};
const connected = async (socket) => {
    if (socket.connected) return;
    const [err] = await within(
        WAIT,
        "connect",
        new Promise((resolve) => {
            socket.once("connect", () => resolve([null]));
            socket.once("connect_error", (e) => resolve([e]));
        }),
    );
    if (err) throw new Error(`connect_error: ${err.message}`);
};
const transportName = (socket) => socket.io.engine && socket.io.engine.transport && socket.io.engine.transport.name;
// For `upgrade`: waits until the engine runs over websocket.
const upgraded = async (socket) => {
    if (transport !== "upgrade" || transportName(socket) === "websocket") return;
    await once(socket.io.engine, "upgrade");
};
const ack = (socket, event, ...args) => socket.timeout(WAIT).emitWithAck(event, ...args);
// ackAll: every argument of the ack, not only the first.
const ackAll = (socket, event, ...args) =>
    new Promise((resolve, reject) =>
        socket.timeout(WAIT).emit(event, ...args, (err, ...answer) => (err ? reject(err) : resolve(answer))),
    );
// Events of EVENT on SOCKET collected from now on.
const collect = (socket, event) => {
    const seen = [];
    socket.on(event, (...args) => seen.push(args));
    return seen;
};
const until = async (ms, what, test) => {
    const end = Date.now() + ms;
    while (!test()) {
        if (Date.now() > end) throw new Error(`no ${what} within ${ms} ms`);
        await sleep(10);
    }
};
const httpGet = (target) =>
    within(
        WAIT,
        `answer to GET ${target}`,
        new Promise((resolve, reject) => {
            http.get(target, (res) => {
                let body = "";
                res.setEncoding("utf8");
                res.on("data", (c) => (body += c));
                res.on("end", () => resolve({ status: res.statusCode, body }));
            }).on("error", reject);
        }),
    );

async function main() {
    const auth = { token: `t-${rand()}`, n: 7, nested: { list: [1, "two", null] } };
    const a = client("/", { auth });

    // -- connect, and the transport asked for
    if (!(await check("connect", async () => {
        await connected(a);
        return `socket id ${a.id}, engine sid ${a.io.engine.id}, over ${transportName(a)}`;
    }))) {
        return;
    }
    await check("transport", async () => {
        if (transport === "upgrade") {
            await upgraded(a);
            if (a.firstTransport !== "polling") throw new Error(`the engine opened over ${a.firstTransport}`);
            if (!a.upgradeSeen) throw new Error("no 'upgrade' event from the engine");
            if (transportName(a) !== "websocket") throw new Error(`the engine runs over ${transportName(a)}`);
            return "opened over polling, the engine's 'upgrade' event, then over websocket";
        }
        if (transportName(a) !== transport) throw new Error(`the engine runs over ${transportName(a)}`);
        return `over ${transport}`;
    });

    await check("auth", async () => {
        const got = await ack(a, "auth");
        same(got, auth, "the ack of 'auth'");
        return `the CONNECT's auth acked back: ${short(got)}`;
    });

    await check("echo text", async () => {
        const args = ["hello", 42, true, null, { a: [1, 2, { b: "é ✓" }] }, [], ""];
        const got = once(a, "echo");
        a.emit("echo", ...args);
        same(await got, args, "echo");
        return `${args.length} arguments back (strings, numbers, null, nested objects)`;
    });

    await check("echo binary", async () => {
        const args = [
            Buffer.from([0, 1, 2, 255]),
            { nested: { bin: new Uint8Array([9, 8, 7]).buffer, text: "t" }, list: [Buffer.alloc(0), Buffer.from("x")] },
            "after",
        ];
        const got = once(a, "echo");
        a.emit("echo", ...args);
        same(await got, args, "echo");
        return "4 attachments back (Buffer, ArrayBuffer nested in objects and arrays, an empty one)";
    });

    await check("echo-ack", async () => {
        const args = ["x", 1, { bin: Buffer.from([1, 2, 3]) }, [Buffer.from("yz")]];
        const got = await ackAll(a, "echo-ack", ...args);
        same(got, args, "the ack of 'echo-ack'");
        return `acked with the same ${args.length} arguments (2 attachments)`;
    });

    await check("ask", async () => {
        const question = `question-${rand()}`;
        let asked = null;
        a.once(question, (...args) => {
            const cb = args.pop();
            asked = args;
            cb(`answer to ${args[0]}`, { bin: Buffer.from([4, 2]) });
        });
        const got = await ackAll(a, "ask", question, "q1", 2);
        same(asked, ["q1", 2], `the server's '${question}'`);
        same(got, ["answer to q1", { bin: Buffer.from([4, 2]) }], "the ack of 'ask'");
        return "the server emitted the question with an ack id, the client's callback answer came back as the ack";
    });

    // -- rooms: a (sender), b and c
    const b = client("/");
    const c = client("/");
    await check("rooms", async () => {
        await Promise.all([connected(b), connected(c)]);
        await Promise.all([upgraded(b), upgraded(c)]);
        const room = `room-${rand()}`;
        for (const s of [a, b, c]) same(await ackAll(s, "join", room), [], "the ack of 'join'");
        const seen = [a, b, c].map((s) => collect(s, "to-room"));
        const [count] = await ackAll(a, "to-room", room, "hi", { bin: Buffer.from([7]) });
        if (count !== 2) throw new Error(`to-room acked ${count}, want 2`);
        await until(WAIT, "'to-room' at both others", () => seen[1].length && seen[2].length);
        same(seen[1][0], ["hi", { bin: Buffer.from([7]) }], "b's to-room");
        same(seen[2][0], ["hi", { bin: Buffer.from([7]) }], "c's to-room");
        await sleep(200);
        if (seen[0].length) throw new Error("the sender received its own to-room");
        same(await ackAll(c, "leave", room), [], "the ack of 'leave'");
        const [count2] = await ackAll(a, "to-room", room, "again");
        if (count2 !== 1) throw new Error(`to-room after c left acked ${count2}, want 1`);
        await until(WAIT, "the second 'to-room' at b", () => seen[1].length === 2);
        same(seen[1][1], ["again"], "b's second to-room");
        await sleep(200);
        if (seen[2].length !== 1) throw new Error("c received to-room after it left the room");
        if (seen[0].length) throw new Error("the sender received its own to-room");
        return "3 joined: to-room reached the 2 others (binary too), not the sender, acked 2; after c left: only b, acked 1";
    });

    await check("refused namespace", async () => {
        const r = client("/private");
        const [err] = await within(
            WAIT,
            "connect_error",
            new Promise((resolve) => {
                r.once("connect_error", (e) => resolve([e]));
                r.once("connect", () => resolve([null]));
            }),
        );
        if (!err) throw new Error("connected to /private");
        if (err.message !== "refused") throw new Error(`connect_error's message ${JSON.stringify(err.message)}`);
        r.close();
        return `connect_error with message "refused"`;
    });

    // -- the hub bridge: a subscribes, b publishes
    const topic = `t-${rand()}`;
    let published = null;
    await check("hub bridge", async () => {
        await connected(b);
        const messages = collect(a, "message");
        same(await ackAll(a, "subscribe", topic), [{ topic }], "the ack of 'subscribe'");
        const data = `data ${rand()}`;
        const [answer] = await ackAll(b, "publish", topic, data);
        if (!answer || typeof answer.id !== "number") throw new Error(`the ack of 'publish': ${short(answer)}`);
        await until(WAIT, "'message' at the subscriber", () => messages.length);
        same(messages[0], [{ id: answer.id, data }], "the subscriber's message");
        published = { id: answer.id, data };
        return `publish acked {id: ${answer.id}}, the subscriber got message {id, data}`;
    });
    if (server === "rtw") {
        await check("hub poll view", async () => {
            if (!published) throw new Error("nothing was published (see hub bridge)");
            const target = `${url}/topics/${encodeURIComponent(topic)}/poll?since=0`;
            const res = await httpGet(target);
            if (res.status !== 200) throw new Error(`GET ${target}: ${res.status}`);
            const list = JSON.parse(res.body);
            if (!Array.isArray(list) || !list.some((m) => m.id === published.id && m.data === published.data)) {
                throw new Error(`GET ${target}: ${res.body.slice(0, 200)}`);
            }
            return `GET /topics/${topic}/poll has the message published through Socket.IO`;
        });
    }
    for (const s of [a, b, c]) s.close();

    // -- heartbeat timeout, then reconnection (a client of its own)
    const h = client("/", { reconnection: true, reconnectionDelay: 100, reconnectionDelayMax: 500, randomizationFactor: 0 });
    if (!(await check("heartbeat client", async () => {
        await connected(h);
        await upgraded(h);
        await ack(h, "echo-ack", "ready");
        return `connected over ${transportName(h)}`;
    }))) {
        return;
    }
    const oldSid = h.io.engine.id;
    const oldId = h.id;
    const margin = 1500;
    const bound = pingInterval + pingTimeout + margin;
    await check("heartbeat timeout", async () => {
        const engine = h.io.engine;
        let dropped = 0;
        const send = engine._sendPacket;
        if (typeof send !== "function") throw new Error("engine._sendPacket not found: cannot drop pongs");
        engine._sendPacket = function (type, ...more) {
            if (type === "pong") {
                dropped += 1;
                return;
            }
            return send.call(this, type, ...more);
        };
        const t0 = Date.now();
        const [reason] = await once(h, "disconnect", bound + 2000);
        const took = Date.now() - t0;
        if (reason === "ping timeout") {
            throw new Error(`the client's own ping timer ended the session after ${took} ms (the server never closed it)`);
        }
        if (!dropped) throw new Error(`disconnected (${reason}) after ${took} ms without a ping to answer`);
        if (took > bound) throw new Error(`the server closed the session after ${took} ms, bound ${bound} ms`);
        return `pongs dropped (${dropped}); the server closed the session after ${took} ms (bound pingInterval ${pingInterval} + pingTimeout ${pingTimeout} + ${margin}), disconnect reason "${reason}"`;
    });

    await check("reconnection", async () => {
        if (!h.connected) await once(h, "connect", 10000);
        await upgraded(h);
        const sid = h.io.engine.id;
        if (sid === oldSid) throw new Error(`the same engine sid ${sid}`);
        const got = once(h, "echo");
        h.emit("echo", "again", Buffer.from([1]));
        same(await got, ["again", Buffer.from([1])], "echo after reconnecting");
        return `the Manager reconnected by itself: engine sid ${oldSid} -> ${sid}, socket id ${oldId} -> ${h.id}, echo works over ${transportName(h)}`;
    });
}

const deadline = setTimeout(() => {
    fail("scenarios", "not finished within 90 s");
    process.exit(1);
}, 90000);
main()
    .catch((e) => fail("scenarios", e && e.stack ? e.stack : e))
    .finally(() => {
        clearTimeout(deadline);
        for (const s of clients) s.close();
        setTimeout(() => process.exit(failures ? 1 : 0), 50);
    });
