//! Observability of the servers: `GET /metrics` of `rtw serve`, `--metrics`
//! of `rtw ws echo-server`, `rtw sse serve`, `rtw stomp broker`,
//! `rtw turn server` and `rtw signal serve` (Prometheus text format
//! 0.0.4), and `--log-format json` (one JSON object a line on stderr).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, ChildStderr, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rtw_tokio::ws::Message;

const TIMEOUT: Duration = Duration::from_secs(20);

const CONTENT_TYPE: &str = "content-type: text/plain; version=0.0.4; charset=utf-8";

/// An `rtw` server, killed on drop, with its first stdout lines read.
struct Server {
    child: Child,
    lines: Vec<String>,
}

impl Server {
    /// Starts `rtw ARGS` (with `env` set) and reads `lines` lines of stdout
    /// within [`TIMEOUT`]; the rest of stdout is drained.
    fn start(args: &[&str], env: &[(&str, &str)], lines: usize) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_rtw"));
        command
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("rtw starts");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            for _ in 0..lines {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                let _ = tx.send(line.trim().to_owned());
            }
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });
        let mut server = Server {
            child,
            lines: Vec::new(),
        };
        for _ in 0..lines {
            let line = rx
                .recv_timeout(TIMEOUT)
                .unwrap_or_else(|_| panic!("rtw {args:?}: not {lines} lines in time"));
            server.lines.push(line);
        }
        server
    }

    /// Starts `rtw ARGS --metrics 127.0.0.1:0` (with `env` set): the server,
    /// its listening address (stdout line 1) and its metrics address (line 2).
    fn with_metrics(args: &[&str], env: &[(&str, &str)]) -> (Server, SocketAddr, SocketAddr) {
        let args: Vec<&str> = args
            .iter()
            .copied()
            .chain(["--metrics", "127.0.0.1:0"])
            .collect();
        let server = Server::start(&args, env, 2);
        let addr = server.addr(0, "listening on ");
        let metrics = server.addr(1, "metrics on http://");
        (server, addr, metrics)
    }

    /// The address after `prefix` in stdout line `n`, up to a `/`.
    fn addr(&self, n: usize, prefix: &str) -> SocketAddr {
        let rest = self.lines[n]
            .strip_prefix(prefix)
            .unwrap_or_else(|| panic!("line {:?}", self.lines[n]));
        rest.split('/').next().unwrap().parse().unwrap()
    }

    /// Kills it and gives what it wrote on stderr.
    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let mut stderr: ChildStderr = self.child.stderr.take().unwrap();
        let mut text = String::new();
        stderr.read_to_string(&mut text).unwrap();
        text
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `METHOD PATH` with `body` and `Connection: close`: the response's head
/// (lowercase) and body.
fn http(addr: SocketAddr, head: &str, body: &str) -> (String, String) {
    let mut tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(TIMEOUT)).unwrap();
    write!(
        tcp,
        "{head} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    tcp.read_to_string(&mut out).unwrap();
    let (head, body) = out.split_once("\r\n\r\n").unwrap();
    (head.to_ascii_lowercase(), body.to_owned())
}

/// `GET /metrics`: checks the status, the content type and the text's
/// form (HELP and TYPE once per family, each sample `name{labels} value`),
/// and gives the text.
fn scrape(addr: SocketAddr) -> String {
    let (head, body) = http(addr, "GET /metrics", "");
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains(CONTENT_TYPE), "{head}");
    let mut families = std::collections::HashSet::new();
    let mut typed = std::collections::HashSet::new();
    for line in body.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let name = rest.split(' ').next().unwrap();
            assert!(families.insert(name.to_owned()), "HELP twice: {line}");
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let name = rest.split(' ').next().unwrap();
            assert!(typed.insert(name.to_owned()), "TYPE twice: {line}");
        } else {
            let (series, value) = line.rsplit_once(' ').unwrap();
            value
                .parse::<f64>()
                .unwrap_or_else(|_| panic!("not a value: {line}"));
            let name = series.split('{').next().unwrap();
            assert!(typed.contains(name), "sample before its TYPE: {line}");
            if let Some(labels) = series.strip_prefix(name).filter(|l| !l.is_empty()) {
                assert!(labels.starts_with('{') && labels.ends_with('}'), "{line}");
            }
        }
    }
    assert_eq!(families, typed);
    body
}

/// The value of the sample `series` in `text`.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no {series} in\n{text}"))
        .parse()
        .unwrap()
}

#[test]
fn rtw_serve_answers_metrics() {
    let server = Server::start(&["serve", "--listen", "127.0.0.1:0"], &[], 1);
    let addr = server.addr(0, "listening on http://");
    let before = scrape(addr);
    assert_eq!(
        sample(
            &before,
            "rtw_serve_messages_published_total{transport=\"http\"}"
        ),
        0.0
    );
    let (head, body) = http(addr, "POST /topics/news", "hello");
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert_eq!(body, r#"{"id":1}"#);
    let (_, body) = http(addr, "GET /topics/news/poll?since=0", "");
    assert_eq!(body, r#"[{"id":1,"data":"hello"}]"#);
    let after = scrape(addr);
    assert_eq!(
        sample(
            &after,
            "rtw_serve_messages_published_total{transport=\"http\"}"
        ),
        1.0
    );
    assert_eq!(
        sample(
            &after,
            "rtw_serve_messages_delivered_total{transport=\"poll\"}"
        ),
        1.0
    );
    assert_eq!(
        sample(
            &after,
            "rtw_serve_bytes_delivered_total{transport=\"poll\"}"
        ),
        r#"[{"id":1,"data":"hello"}]"#.len() as f64
    );
    assert_eq!(
        sample(
            &after,
            "rtw_serve_messages_received_total{transport=\"http\"}"
        ),
        1.0
    );
    assert_eq!(
        sample(&after, "rtw_serve_bytes_received_total{transport=\"http\"}"),
        5.0
    );
    server.stop();
}

#[test]
fn echo_server_metrics_and_json_logs() {
    let (server, addr, metrics) = Server::with_metrics(
        &["ws", "echo-server", "127.0.0.1:0", "--log-format", "json"],
        &[("RTW_LOG", "debug")],
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (mut ws, _) =
            tokio::time::timeout(TIMEOUT, rtw_tokio::ws::connect(&format!("ws://{addr}/")))
                .await
                .unwrap()
                .unwrap();
        for text in ["one", "three"] {
            ws.send(Message::text(text)).await.unwrap();
            let echo = tokio::time::timeout(TIMEOUT, ws.next())
                .await
                .unwrap()
                .unwrap()
                .unwrap();
            assert_eq!(echo, Message::text(text));
        }
        let open = scrape(metrics);
        assert_eq!(sample(&open, "rtw_ws_echo_connections_open"), 1.0);
        ws.close().await.unwrap();
        while let Ok(Some(Ok(_))) = tokio::time::timeout(TIMEOUT, ws.next()).await {}
    });
    // The connection's end is counted once the server's task ends.
    let text = scrape_when(metrics, "still open", |text| {
        sample(text, "rtw_ws_echo_connections_open") == 0.0
    });
    assert_eq!(sample(&text, "rtw_ws_echo_connections_accepted_total"), 1.0);
    assert_eq!(sample(&text, "rtw_ws_echo_messages_in_total"), 2.0);
    assert_eq!(sample(&text, "rtw_ws_echo_messages_out_total"), 2.0);
    assert_eq!(sample(&text, "rtw_ws_echo_bytes_out_total"), 8.0);
    assert_eq!(sample(&text, "rtw_ws_echo_errors_total"), 0.0);
    let (head, _) = http(metrics, "GET /elsewhere", "");
    assert!(head.starts_with("http/1.1 404"), "{head}");

    let stderr = server.stop();
    let mut events = Vec::new();
    for line in stderr.lines().filter(|l| !l.trim().is_empty()) {
        let event: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(event["level"].is_string(), "{line}");
        assert!(event["timestamp"].is_string(), "{line}");
        events.push(event);
    }
    let accepted = events
        .iter()
        .find(|e| e["fields"]["message"] == "connection accepted")
        .unwrap_or_else(|| panic!("no accepted connection logged:\n{stderr}"));
    assert!(
        accepted["fields"]["peer"]
            .as_str()
            .unwrap()
            .starts_with("127.0.0.1:")
    );
    assert!(
        events
            .iter()
            .any(|e| e["fields"]["message"] == "connection closed"),
        "{stderr}"
    );
}

#[test]
fn sse_serve_metrics_count_events() {
    let (server, addr, metrics) = Server::with_metrics(
        &[
            "sse",
            "serve",
            "127.0.0.1:0",
            "--interval-ms",
            "10",
            "--count",
            "3",
        ],
        &[],
    );
    let (head, body) = http(addr, "GET /events", "");
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(body.contains("event 3"), "{body}");
    let text = scrape(metrics);
    assert_eq!(sample(&text, "rtw_sse_messages_out_total"), 3.0);
    assert_eq!(sample(&text, "rtw_sse_connections_accepted_total"), 1.0);
    server.stop();
}

/// Reads from `tcp` until `needle` has come (STOMP frames end with NUL).
fn read_until(tcp: &mut TcpStream, needle: &str) -> String {
    let mut seen = Vec::new();
    let mut buf = [0; 1024];
    while !String::from_utf8_lossy(&seen).contains(needle) {
        let n = tcp.read(&mut buf).unwrap();
        assert!(
            n > 0,
            "closed before {needle:?}: {:?}",
            String::from_utf8_lossy(&seen)
        );
        seen.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&seen).into_owned()
}

#[test]
fn stomp_broker_metrics_follow_its_stats() {
    let (server, addr, metrics) =
        Server::with_metrics(&["stomp", "broker", "--tcp", "127.0.0.1:0"], &[]);
    let mut tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(TIMEOUT)).unwrap();
    let connect = b"CONNECT\naccept-version:1.2\nhost:h\n\n\0";
    tcp.write_all(connect).unwrap();
    let connected = read_until(&mut tcp, "\0");
    assert!(connected.starts_with("CONNECTED\n"), "{connected}");
    let send = b"SEND\ndestination:/topic/a\nreceipt:r1\n\nhi\0";
    tcp.write_all(send).unwrap();
    let receipt = read_until(&mut tcp, "\0");
    assert!(receipt.contains("receipt-id:r1"), "{receipt}");
    let sent = (connected.len() + receipt.len()) as f64;
    let text = scrape_when(metrics, "not counted", |text| {
        sample(text, "rtw_stomp_broker_messages_received_total") == 1.0
            && sample(text, "rtw_stomp_broker_bytes_sent_total") == sent
    });
    assert_eq!(sample(&text, "rtw_stomp_broker_sessions"), 1.0);
    assert_eq!(
        sample(&text, "rtw_stomp_broker_connections_accepted_total"),
        1.0
    );
    assert_eq!(
        sample(&text, "rtw_stomp_broker_bytes_received_total"),
        (connect.len() + send.len()) as f64
    );
    assert_eq!(sample(&text, "rtw_stomp_broker_slow_consumers_total"), 0.0);
    server.stop();
}

#[test]
fn turn_server_metrics_follow_a_relay() {
    let (server, turn, metrics) = Server::with_metrics(
        &[
            "turn",
            "server",
            "--listen",
            "127.0.0.1:0",
            "--realm",
            "r",
            "--user",
            "a:b",
            "--allow-loopback-peers",
        ],
        &[],
    );
    let text = scrape(metrics);
    assert_eq!(sample(&text, "rtw_turn_allocations"), 0.0);
    assert_eq!(sample(&text, "rtw_turn_allocations_created_total"), 0.0);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let peer = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let peer_addr = peer.local_addr().unwrap();
        let config = rtw_tokio::turn::ClientConfig::new("a", "b");
        let mut client =
            tokio::time::timeout(TIMEOUT, rtw_tokio::turn::Client::allocate(turn, config))
                .await
                .unwrap()
                .unwrap();
        client.create_permission(peer_addr.ip()).await.unwrap();
        client
            .send_to(peer_addr, &b"to the peer"[..])
            .await
            .unwrap();
        let mut buf = [0; 64];
        let (n, from) = tokio::time::timeout(TIMEOUT, peer.recv_from(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&buf[..n], b"to the peer");
        peer.send_to(b"back", from).await.unwrap();
        let (_, data) = tokio::time::timeout(TIMEOUT, client.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&data[..], b"back");
        // The server publishes its counters with its wall-clock tick.
        let text = scrape_until(
            metrics,
            "rtw_turn_packets_relayed_total{direction=\"to_client\"}",
            1.0,
        );
        assert_eq!(sample(&text, "rtw_turn_allocations"), 1.0);
        assert_eq!(sample(&text, "rtw_turn_allocations_created_total"), 1.0);
        assert_eq!(
            sample(
                &text,
                "rtw_turn_packets_relayed_total{direction=\"to_peer\"}"
            ),
            1.0
        );
        assert_eq!(
            sample(
                &text,
                "rtw_turn_packets_relayed_total{direction=\"to_client\"}"
            ),
            1.0
        );
        assert_eq!(
            sample(&text, "rtw_turn_bytes_relayed_total{direction=\"to_peer\"}"),
            11.0
        );
        assert_eq!(
            sample(
                &text,
                "rtw_turn_bytes_relayed_total{direction=\"to_client\"}"
            ),
            4.0
        );
        assert_eq!(
            sample(
                &text,
                "rtw_turn_packets_dropped_total{reason=\"bandwidth\"}"
            ),
            0.0
        );
        // A client's challenge and Allocate are within its address's
        // burst of unauthenticated requests.
        assert_eq!(
            sample(
                &text,
                "rtw_turn_packets_dropped_total{reason=\"rate_limited\"}"
            ),
            0.0
        );
    });
    server.stop();
}

/// A signaling client's WebSocket, with what it sent and read (text).
struct Peer {
    ws: rtw_tokio::ws::WebSocketStream<tokio::net::TcpStream>,
    sent: usize,
    read: usize,
}

impl Peer {
    async fn join(addr: SocketAddr, peer: &str) -> Peer {
        let (ws, _) = tokio::time::timeout(
            TIMEOUT,
            rtw_tokio::ws::connect(&format!("ws://{addr}/signal")),
        )
        .await
        .unwrap()
        .unwrap();
        let mut peer_ws = Peer {
            ws,
            sent: 0,
            read: 0,
        };
        peer_ws
            .send(serde_json::json!({"type": "join", "room": "r", "peer": peer}))
            .await;
        assert_eq!(peer_ws.next().await["type"], "joined");
        peer_ws
    }

    async fn send(&mut self, message: serde_json::Value) {
        let text = message.to_string();
        self.sent += text.len();
        self.ws.send(Message::text(text)).await.unwrap();
    }

    async fn next(&mut self) -> serde_json::Value {
        loop {
            let message = tokio::time::timeout(TIMEOUT, self.ws.next())
                .await
                .unwrap()
                .unwrap()
                .unwrap();
            if let Message::Text(text) = message {
                self.read += text.len();
                return serde_json::from_str(text.as_str()).unwrap();
            }
        }
    }
}

/// Scrapes `metrics` until `series` is at least `value` (within
/// [`TIMEOUT`]); the text.
fn scrape_until(metrics: SocketAddr, series: &str, value: f64) -> String {
    scrape_when(metrics, series, |text| sample(text, series) >= value)
}

/// Scrapes `metrics` until `done` holds for the text (within [`TIMEOUT`],
/// else a panic naming `what`); the text. A connection's counters move
/// after its client has seen the answer.
fn scrape_when(metrics: SocketAddr, what: &str, done: impl Fn(&str) -> bool) -> String {
    let deadline = std::time::Instant::now() + TIMEOUT;
    loop {
        let text = scrape(metrics);
        if done(&text) {
            return text;
        }
        assert!(std::time::Instant::now() < deadline, "{what}:\n{text}");
        thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn signal_serve_counts_sessions_messages_and_drops() {
    let (server, addr, metrics) = Server::with_metrics(
        &[
            "signal",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--outbox-bytes",
            "200000",
            "--rate",
            "100000",
        ],
        &[],
    );
    // Not an upgrade: refused, counted as an error.
    let (head, _) = http(addr, "GET /signal", "");
    assert!(head.starts_with("http/1.1 4"), "{head}");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut alice = Peer::join(addr, "alice").await;
        let mut bob = Peer::join(addr, "bob").await;
        assert_eq!(alice.next().await["type"], "peer-joined");
        alice
            .send(serde_json::json!({"type": "data", "to": "bob", "data": "hi bob"}))
            .await;
        assert_eq!(bob.next().await["data"], "hi bob");
        // The server counts a message out once its write returned, and
        // the refused request once its answer is written: the client may
        // read before either.
        scrape_until(metrics, "rtw_signal_errors_total", 1.0);
        let text = scrape_until(metrics, "rtw_signal_messages_out_total", 4.0);
        assert_eq!(sample(&text, "rtw_signal_connections_open"), 2.0);
        assert_eq!(sample(&text, "rtw_signal_connections_accepted_total"), 2.0);
        assert_eq!(sample(&text, "rtw_signal_errors_total"), 1.0);
        // In: two joins and the data; out: two joined, peer-joined, data.
        assert_eq!(sample(&text, "rtw_signal_messages_in_total"), 3.0);
        assert_eq!(
            sample(&text, "rtw_signal_bytes_in_total"),
            (alice.sent + bob.sent) as f64
        );
        assert_eq!(sample(&text, "rtw_signal_messages_out_total"), 4.0);
        assert_eq!(
            sample(&text, "rtw_signal_bytes_out_total"),
            (alice.read + bob.read) as f64
        );
        assert_eq!(sample(&text, "rtw_signal_drops_total"), 0.0);

        // Bob stops reading: 24 MB for him (more than the socket buffers,
        // rtw-ws's 1 MiB and the 200 kB outbox hold) cut him off.
        let filler = "x".repeat(60_000);
        for _ in 0..400 {
            alice
                .send(serde_json::json!({"type": "data", "to": "bob", "data": filler}))
                .await;
        }
        let text = scrape_until(metrics, "rtw_signal_drops_total", 1.0);
        assert_eq!(sample(&text, "rtw_signal_drops_total"), 1.0);
        drop(bob);
    });
    server.stop();
}

/// A connection whose handshake fails is an error of `rtw ws
/// echo-server`; nothing is dropped (it waits on slow readers).
#[test]
fn echo_server_counts_a_failed_handshake_as_an_error() {
    let (server, addr, metrics) = Server::with_metrics(&["ws", "echo-server", "127.0.0.1:0"], &[]);
    let mut tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(TIMEOUT)).unwrap();
    tcp.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut answer = String::new();
    let _ = tcp.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 4"), "{answer}");
    let text = scrape_until(metrics, "rtw_ws_echo_errors_total", 1.0);
    assert_eq!(sample(&text, "rtw_ws_echo_errors_total"), 1.0);
    assert_eq!(sample(&text, "rtw_ws_echo_connections_accepted_total"), 1.0);
    assert_eq!(sample(&text, "rtw_ws_echo_messages_in_total"), 0.0);
    assert_eq!(sample(&text, "rtw_ws_echo_drops_total"), 0.0);
    server.stop();
}
