// The `socket.io` npm server with the application of `rtw serve`'s
// `/socket.io/` on namespace `/` (crates/tokio/src/serve/socketio/mod.rs),
// so that the same clients and checks run against both servers:
//   echo -> emits echo back; echo-ack -> acks with the same arguments;
//   auth -> acks [the CONNECT's auth or null];
//   ask (name, args...) -> emits name(args...) asking for an ack, then acks
//     the ask with the client's answer;
//   subscribe (topic[, since]) -> ack [{topic}], then each published
//     message emitted as message {id, data};
//   publish (topic, data) -> ack [{id}];
//   join / leave (room) -> ack [];
//   to-room (room, args...) -> to-room(args...) to every other socket of
//     the room, ack [count];
//   any other event asking for an ack -> ack [{error: "unknown event"}].
// Every other namespace is refused with CONNECT_ERROR {message: "refused"}.
//
// Usage: node server.cjs NPM_DIR [--port N] [--ping-interval MS]
//            [--ping-timeout MS]
// Prints `listening on http://127.0.0.1:PORT` once it listens (port 0, the
// default, picks a free one) and runs until killed.
"use strict";
const path = require("path");
const http = require("http");

const [npmDir, ...rest] = process.argv.slice(2);
if (!npmDir) {
    console.error("usage: node server.cjs NPM_DIR [--port N] [--ping-interval MS] [--ping-timeout MS]");
    process.exit(2);
}
const option = (name, fallback) => {
    const i = rest.indexOf(name);
    return i >= 0 ? Number(rest[i + 1]) : fallback;
};
const { Server } = require(path.join(npmDir, "node_modules", "socket.io"));

const httpServer = http.createServer();
const io = new Server(httpServer, {
    pingInterval: option("--ping-interval", 25000),
    pingTimeout: option("--ping-timeout", 20000),
    maxHttpBufferSize: 1e6,
});

// The hub: message ids increasing per topic, and a bounded history.
const topics = new Map();
const topic = (name) => {
    if (!topics.has(name)) topics.set(name, { last: 0, history: [], subscribers: new Set() });
    return topics.get(name);
};
const publish = (name, data) => {
    const t = topic(name);
    const message = { id: ++t.last, data };
    t.history.push(message);
    if (t.history.length > 1000) t.history.shift();
    for (const socket of t.subscribers) socket.emit("message", message);
    return message.id;
};

io.of(/^\/.+/).use((socket, next) => next(new Error("refused")));

io.on("connection", (socket) => {
    const subscribed = [];
    socket.on("disconnect", () => {
        for (const name of subscribed) topic(name).subscribers.delete(socket);
    });
    socket.onAny((event, ...args) => {
        const ack = typeof args[args.length - 1] === "function" ? args.pop() : null;
        const answer = (...values) => ack && ack(...values);
        switch (event) {
            case "echo":
                socket.emit("echo", ...args);
                return;
            case "echo-ack":
                answer(...args);
                return;
            case "auth":
                answer(Object.keys(socket.handshake.auth).length ? socket.handshake.auth : null);
                return;
            case "ask": {
                const [name, ...question] = args;
                if (typeof name !== "string") return answer({ error: "ask: an event name" });
                socket.emit(name, ...question, (...reply) => answer(...reply));
                return;
            }
            case "subscribe": {
                const [name, since] = args;
                if (typeof name !== "string") return answer({ error: "subscribe: a topic name" });
                const t = topic(name);
                t.subscribers.add(socket);
                subscribed.push(name);
                answer({ topic: name });
                if (typeof since === "number") {
                    for (const m of t.history) if (m.id > since) socket.emit("message", m);
                }
                return;
            }
            case "publish": {
                const [name, data] = args;
                if (typeof name !== "string" || data === undefined) {
                    return answer({ error: "publish: a topic name and data" });
                }
                answer({ id: publish(name, typeof data === "string" ? data : JSON.stringify(data)) });
                return;
            }
            case "join":
            case "leave": {
                const [room] = args;
                if (typeof room !== "string") return answer({ error: "a room name" });
                if (event === "join") socket.join(room);
                else socket.leave(room);
                answer();
                return;
            }
            case "to-room": {
                const [room, ...payload] = args;
                if (typeof room !== "string") return answer({ error: "a room name" });
                const others = io.of("/").adapter.rooms.get(room) || new Set();
                const count = [...others].filter((id) => id !== socket.id).length;
                socket.to(room).emit("to-room", ...payload);
                answer(count);
                return;
            }
            default:
                answer({ error: "unknown event" });
        }
    });
});

httpServer.listen(option("--port", 0), "127.0.0.1", () => {
    console.log(`listening on http://127.0.0.1:${httpServer.address().port}`);
});
