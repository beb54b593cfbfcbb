// benches/socketio-load/load.cjs: many socket.io-client connections against
// one Socket.IO server (rtw serve, or the npm server of
// conformance/socketio/server.cjs: the same application on namespace `/`).
//
// usage: node load.cjs NPM_DIR URL --clients N --seconds S [--rate R]
//            [--transport websocket|polling] [--senders K]
//            [--fanout-rate F] [--fanout-seconds S2] [--pid PID]
//            [--batch B] [--connect-timeout SECS]
//
// Phases, one after the other:
//   1. connect: N clients (forceNew, no reconnection), B at a time, until
//      all have their `connect` (bounded by --connect-timeout);
//   2. echo: for S seconds each client emits `echo` with a small payload R
//      times a second (each its own timer, phases spread) and counts the
//      `echo`s back; then waits (at most 10 s) for the last echoes;
//   3. fan-out: every client `join`s room `load` (acked), then K senders
//      emit `to-room` ("load", payload) F times a second each, for S2
//      seconds (default S), each delivered by the server to the N-1 others;
//      then waits (at most 10 s) for the last deliveries.
// With --pid, the server's VmRSS (/proc/PID/status) is read before the
// first connection and once all are connected, and its CPU time
// (utime+stime of /proc/PID/stat over CLK_TCK, 100 on Linux) at the start
// and end of each measured phase (echo, fan-out; the waits for the last
// events inside). The client's own CPU time is reported too, to tell when
// the client, not the server, is the bottleneck.
// Prints one JSON object on stdout; progress on stderr. Exits 1 when not
// every client connected.
"use strict";
const fs = require("fs");
const path = require("path");

const [npmDir, url, ...rest] = process.argv.slice(2);
if (!npmDir || !url) {
    console.error("usage: node load.cjs NPM_DIR URL --clients N --seconds S [--rate R] [--transport websocket|polling] [--senders K] [--fanout-rate F] [--fanout-seconds S2] [--pid PID]");
    process.exit(2);
}
const option = (name, fallback) => {
    const i = rest.indexOf(name);
    return i >= 0 ? rest[i + 1] : fallback;
};
const clients = Number(option("--clients", 1000));
const seconds = Number(option("--seconds", 20));
const rate = Number(option("--rate", 5));
const transport = option("--transport", "websocket");
const senders = Number(option("--senders", 4));
const fanoutRate = Number(option("--fanout-rate", 2));
const fanoutSeconds = Number(option("--fanout-seconds", seconds));
const pid = option("--pid", null);
const batch = Number(option("--batch", 50));
const connectTimeout = Number(option("--connect-timeout", 60)) * 1000;
const CLK_TCK = 100;

const { io } = require(path.join(npmDir, "node_modules", "socket.io-client"));
const log = (...a) => console.error("[load]", ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => Number(process.hrtime.bigint()) / 1e9;

const rssKiB = () => {
    if (!pid) return null;
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : null;
};
// The server's [user, system] CPU seconds.
const cpuTimes = () => {
    if (!pid) return null;
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the `(comm)`, which may hold spaces: state is field 3,
    // utime 14 and stime 15 (1-based), so 11 and 12 after the state.
    const after = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return [Number(after[11]) / CLK_TCK, Number(after[12]) / CLK_TCK];
};
// The server's CPU use from `start` (a cpuTimes()) to now.
const cpuSince = (start) => {
    if (start === null) return { server_cpu_s: null, server_user_s: null, server_sys_s: null };
    const [u, s] = cpuTimes();
    return { server_cpu_s: u - start[0] + s - start[1], server_user_s: u - start[0], server_sys_s: s - start[1] };
};
const clientCpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
};

// Waits until `done()` or `ms` passed, polling every 20 ms.
const until = async (done, ms) => {
    const end = Date.now() + ms;
    while (!done() && Date.now() < end) await sleep(20);
    return done();
};

const counts = { echoSent: 0, echoReceived: 0, fanoutSent: 0, fanoutAcked: 0, fanoutExpected: 0, fanoutReceived: 0, errors: 0, disconnects: 0 };
const sockets = [];

async function connectAll() {
    let connected = 0;
    let failed = 0;
    const start = now();
    for (let i = 0; i < clients; i += batch) {
        const waits = [];
        for (let j = i; j < Math.min(clients, i + batch); j++) {
            const socket = io(url, {
                transports: [transport],
                forceNew: true,
                reconnection: false,
                timeout: connectTimeout,
            });
            socket.on("echo", () => counts.echoReceived++);
            socket.on("to-room", () => counts.fanoutReceived++);
            socket.on("disconnect", () => counts.disconnects++);
            sockets.push(socket);
            waits.push(
                new Promise((resolve) => {
                    socket.once("connect", () => { connected++; resolve(); });
                    socket.once("connect_error", (e) => {
                        failed++;
                        if (failed <= 3) log(`connect_error: ${e.message}`);
                        resolve();
                    });
                }),
            );
        }
        const timer = sleep(connectTimeout);
        await Promise.race([Promise.all(waits), timer]);
        if (now() - start > connectTimeout / 1000) break;
    }
    return { connected, failed, seconds: now() - start };
}

async function echoPhase() {
    const payload = { pad: "0123456789abcdef0123456789abcdef" };
    const period = 1000 / rate;
    const timers = [];
    const cpu0 = cpuTimes();
    const client0 = clientCpu();
    const t0 = now();
    sockets.forEach((socket, i) => {
        let seq = 0;
        const first = setTimeout(() => {
            const tick = () => {
                counts.echoSent++;
                socket.emit("echo", { i, seq: seq++, ...payload });
            };
            tick();
            timers.push(setInterval(tick, period));
        }, (i * period) / sockets.length);
        timers.push(first);
    });
    await sleep(seconds * 1000);
    for (const t of timers) { clearTimeout(t); clearInterval(t); }
    const tSent = now();
    await until(() => counts.echoReceived >= counts.echoSent, 10000);
    const t1 = now();
    const cpu = cpuSince(cpu0);
    return {
        sent: counts.echoSent,
        received: counts.echoReceived,
        events: counts.echoSent + counts.echoReceived,
        wall_s: t1 - t0,
        drain_s: t1 - tSent,
        ...cpu,
        client_cpu_s: clientCpu() - client0,
    };
}

async function fanoutPhase() {
    let joined = 0;
    await Promise.all(
        sockets.map((socket) =>
            socket.timeout(30000).emitWithAck("join", "load").then(() => joined++, () => counts.errors++),
        ),
    );
    const members = joined;
    const from = sockets.slice(0, Math.min(senders, sockets.length));
    const period = 1000 / fanoutRate;
    const payload = { pad: "0123456789abcdef0123456789abcdef" };
    const timers = [];
    const cpu0 = cpuTimes();
    const client0 = clientCpu();
    const received0 = counts.fanoutReceived;
    const t0 = now();
    from.forEach((socket, k) => {
        let seq = 0;
        const first = setTimeout(() => {
            const tick = () => {
                counts.fanoutSent++;
                counts.fanoutExpected += members - 1;
                socket.emit("to-room", "load", { k, seq: seq++, ...payload }, (count) => {
                    counts.fanoutAcked++;
                    if (count !== members - 1) counts.errors++;
                });
            };
            tick();
            timers.push(setInterval(tick, period));
        }, (k * period) / from.length);
        timers.push(first);
    });
    await sleep(fanoutSeconds * 1000);
    for (const t of timers) { clearTimeout(t); clearInterval(t); }
    const tSent = now();
    await until(
        () => counts.fanoutReceived - received0 >= counts.fanoutExpected && counts.fanoutAcked >= counts.fanoutSent,
        10000,
    );
    const t1 = now();
    const cpu = cpuSince(cpu0);
    const received = counts.fanoutReceived - received0;
    return {
        members,
        senders: from.length,
        sent: counts.fanoutSent,
        expected: counts.fanoutExpected,
        received,
        acks: counts.fanoutAcked,
        // The server handles each sent event (and answers its ack) and
        // emits each delivery.
        events: counts.fanoutSent + counts.fanoutAcked + received,
        wall_s: t1 - t0,
        drain_s: t1 - tSent,
        ...cpu,
        client_cpu_s: clientCpu() - client0,
    };
}

(async () => {
    const overall = setTimeout(() => {
        log("overall timeout");
        process.exit(3);
    }, (connectTimeout + (seconds + fanoutSeconds + 60) * 1000));
    const rssBefore = rssKiB();
    log(`connecting ${clients} clients (${transport}) to ${url}`);
    const conn = await connectAll();
    await sleep(1000);
    const rssConnected = rssKiB();
    log(`connected ${conn.connected}/${clients} in ${conn.seconds.toFixed(1)} s; echo phase ${seconds} s at ${rate}/s per client`);
    const result = {
        url,
        transport,
        clients,
        connected: conn.connected,
        connect_failed: conn.failed,
        connect_s: conn.seconds,
        rss_before_kib: rssBefore,
        rss_connected_kib: rssConnected,
        rss_per_connection_kib:
            rssBefore === null || conn.connected === 0 ? null : (rssConnected - rssBefore) / conn.connected,
    };
    if (conn.connected === clients) {
        result.echo = await echoPhase();
        log(`echo: ${JSON.stringify(result.echo)}`);
        log(`fan-out phase ${fanoutSeconds} s: ${senders} senders at ${fanoutRate}/s each`);
        result.fanout = await fanoutPhase();
        log(`fan-out: ${JSON.stringify(result.fanout)}`);
        result.rss_end_kib = rssKiB();
        const e = result.echo;
        const f = result.fanout;
        result.delivered = e.received + f.received;
        result.events = e.events + f.events;
        result.wall_s = e.wall_s + f.wall_s;
        for (const k of ["server_cpu_s", "server_user_s", "server_sys_s"]) {
            result[k] = e[k] === null ? null : e[k] + f[k];
        }
        result.client_cpu_s = e.client_cpu_s + f.client_cpu_s;
    }
    result.errors = counts.errors;
    result.disconnects = counts.disconnects;
    clearTimeout(overall);
    for (const s of sockets) s.disconnect();
    console.log(JSON.stringify(result));
    await sleep(200);
    process.exit(conn.connected === clients ? 0 : 1);
})();
