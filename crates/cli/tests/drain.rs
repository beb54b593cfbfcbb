//! SIGTERM drains every `rtw` server gracefully: each real binary is
//! started, clients of each kind connect, `kill -TERM` is sent, and the
//! test checks what each client sees (WebSocket close 1001, the last
//! chunk of streamed bodies, long polls answered, STOMP receipts then
//! ERROR, ...), that the listener refuses new connections at once, that
//! nothing acknowledged before the signal is lost to connected
//! subscribers, and that the process exits 0 within the grace period.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use rtw_tokio::ws::{Message, WebSocketStream};

/// How long any one wait of these tests may take.
const WAIT: Duration = Duration::from_secs(20);

/// The grace period given to the servers (`--drain-timeout`).
const GRACE: &str = "10";

type Ws = WebSocketStream<tokio::net::TcpStream>;

/// A server under test, killed on drop if it is still running.
struct Server {
    child: Child,
    /// Its first lines on stdout, `listening on` lines, with their
    /// addresses.
    addrs: Vec<SocketAddr>,
}

impl Server {
    /// Starts `rtw ARGS` and reads its first `lines` lines, each
    /// `[NAME ]listening on [SCHEME://]IP:PORT`, within [`WAIT`].
    fn start(args: &[&str], lines: usize) -> Server {
        let mut child = Command::new(common::RTW)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("rtw starts");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            for _ in 0..lines {
                let mut line = String::new();
                let _ = reader.read_line(&mut line);
                let _ = tx.send(line);
            }
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });
        let mut server = Server {
            child,
            addrs: Vec::new(),
        };
        for _ in 0..lines {
            let line = rx.recv_timeout(WAIT).expect("a listening line in time");
            let addr = line
                .trim()
                .rsplit(' ')
                .next()
                .map(|a| a.rsplit("://").next().unwrap_or(a))
                .and_then(|a| a.parse().ok())
                .unwrap_or_else(|| panic!("{args:?}: line {line:?}"));
            server.addrs.push(addr);
        }
        server
    }

    fn addr(&self) -> SocketAddr {
        self.addrs[0]
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `kill -TERM PID`.
fn sigterm(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -TERM {}", child.id());
}

/// Waits for the process to exit, within `bound`: its exit code and how
/// long it took.
fn exit_within(child: &mut Child, bound: Duration) -> (Option<i32>, Duration) {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return (status.code(), start.elapsed());
        }
        assert!(
            start.elapsed() < bound,
            "still running {bound:?} after SIGTERM"
        );
        thread::sleep(Duration::from_millis(20));
    }
}

/// Waits until a connection to `addr` is refused (the listener closed),
/// within [`WAIT`].
fn refused_soon(addr: SocketAddr) {
    let start = Instant::now();
    loop {
        match TcpStream::connect_timeout(&addr, Duration::from_secs(1)) {
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => return,
            _ => {}
        }
        assert!(
            start.elapsed() < WAIT,
            "{addr} still accepts {WAIT:?} after SIGTERM"
        );
        thread::sleep(Duration::from_millis(20));
    }
}

/// A request sent on a connection of its own, its whole answer read to
/// the end of the connection on a thread.
fn request(addr: SocketAddr, head: &str) -> thread::JoinHandle<String> {
    let mut tcp = TcpStream::connect(addr).expect("connect");
    tcp.set_read_timeout(Some(WAIT)).unwrap();
    tcp.write_all(head.as_bytes()).unwrap();
    thread::spawn(move || {
        let mut out = Vec::new();
        let _ = tcp.read_to_end(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    })
}

/// `GET path` (HTTP/1.1, kept alive: the server ends it).
fn get(addr: SocketAddr, path: &str) -> thread::JoinHandle<String> {
    request(addr, &format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n"))
}

/// POSTs `body` to `/topics/{topic}`: the id the hub gave it.
fn publish(addr: SocketAddr, topic: &str, body: &str) -> u64 {
    try_publish(addr, topic, body).expect("published")
}

/// POSTs `body` to `/topics/{topic}`: the id the hub gave it, or `None`
/// when the connection is refused or the answer is not 200.
fn try_publish(addr: SocketAddr, topic: &str, body: &str) -> Option<u64> {
    let head = format!(
        "POST /topics/{topic} HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut tcp = TcpStream::connect(addr).ok()?;
    tcp.set_read_timeout(Some(WAIT)).unwrap();
    tcp.write_all(head.as_bytes()).ok()?;
    let mut answer = String::new();
    tcp.read_to_string(&mut answer).ok()?;
    if !answer.starts_with("HTTP/1.1 200") {
        return None;
    }
    let json = answer.split("\r\n\r\n").nth(1).unwrap_or("");
    let value: serde_json::Value =
        serde_json::from_str(json.trim()).unwrap_or_else(|_| panic!("answer {answer:?}"));
    value["id"].as_u64()
}

async fn ws_connect(url: &str) -> Ws {
    let (ws, _) = tokio::time::timeout(WAIT, rtw_tokio::ws::connect(url))
        .await
        .expect("connected in time")
        .expect("WebSocket upgrade");
    ws
}

/// Every text message until the close: the texts, and the close code and
/// reason. Reads on to the end, so that the closing handshake completes.
async fn until_close(ws: &mut Ws) -> (Vec<String>, Option<(u16, String)>) {
    let mut texts = Vec::new();
    let read = async {
        let mut close = None;
        while let Some(message) = ws.next().await {
            match message {
                Ok(Message::Text(text)) => texts.push(text.as_str().to_owned()),
                Ok(Message::Close(frame)) => {
                    close = frame.map(|f| (f.code.0, f.reason.to_string()));
                }
                Ok(_) => {}
                Err(e) => panic!("read error {e}"),
            }
        }
        close
    };
    let close = tokio::time::timeout(WAIT, read)
        .await
        .expect("closed within the wait");
    (texts, close)
}

/// A STOMP frame as text.
fn stomp(command: &str, headers: &[(&str, &str)], body: &str) -> String {
    let mut frame = format!("{command}\n");
    for (name, value) in headers {
        frame.push_str(&format!("{name}:{value}\n"));
    }
    frame.push('\n');
    frame.push_str(body);
    frame.push('\0');
    frame
}

/// The ids of `{"id":N,...}` JSON texts, in order.
fn ids<'a>(texts: impl IntoIterator<Item = &'a str>) -> Vec<u64> {
    texts
        .into_iter()
        .filter_map(|t| serde_json::from_str::<serde_json::Value>(t).ok())
        .filter_map(|v| v["id"].as_u64())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rtw_serve_ends_every_transport_and_loses_nothing_acknowledged() {
    let mut server = Server::start(
        &["serve", "--listen", "127.0.0.1:0", "--drain-timeout", GRACE],
        1,
    );
    let addr = server.addr();
    // Subscribers of every kind, from the start of the topic's history.
    let sse = get(addr, "/topics/t/events?since=0");
    let stream = get(addr, "/topics/t/stream?since=0");
    let iframe = get(addr, "/topics/t/iframe?since=0");
    let longpoll = get(addr, "/topics/quiet/longpoll?timeout=60");
    let mjpeg = get(addr, "/mjpeg?fps=5");
    let mut ws = ws_connect(&format!("ws://{addr}/topics/t/ws?since=0")).await;
    let mut stomp_ws = ws_connect(&format!("ws://{addr}/stomp")).await;
    let frames = [
        stomp("CONNECT", &[("accept-version", "1.2"), ("host", "x")], ""),
        stomp(
            "SUBSCRIBE",
            &[
                ("id", "s"),
                ("destination", "/topic/t"),
                ("since", "0"),
                ("receipt", "sub"),
            ],
            "",
        ),
    ];
    for frame in frames {
        stomp_ws.send(Message::text(frame)).await.unwrap();
    }
    // An Engine.IO session over polling, its GET held.
    let open = request(
        addr,
        "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .join()
    .unwrap();
    let sid = open
        .split("\"sid\":\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("Engine.IO open {open:?}"))
        .to_owned();
    let held = get(
        addr,
        &format!("/socket.io/?EIO=4&transport=polling&sid={sid}"),
    );
    // An Engine.IO session over WebSocket, open.
    let mut eio_ws = ws_connect(&format!("ws://{addr}/socket.io/?EIO=4&transport=websocket")).await;
    let opened = tokio::time::timeout(WAIT, eio_ws.next()).await.unwrap();
    assert!(
        matches!(&opened, Some(Ok(Message::Text(t))) if t.as_str().starts_with("0{")),
        "{opened:?}"
    );
    // Acknowledged messages, then SIGTERM at once.
    let mut acknowledged = Vec::new();
    for n in 1..=50 {
        acknowledged.push(publish(addr, "t", &format!("m{n}")));
    }
    assert_eq!(acknowledged, (1..=50).collect::<Vec<_>>());
    // Every subscriber is counted before the signal: the stream, iframe,
    // SSE, M-JPEG and WebSocket hold a stream each, and the long poll is
    // held.
    common::poll_until("the subscribers counted", WAIT, || {
        let metrics = request(
            addr,
            "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        .join()
        .unwrap();
        let gauge = |name: &str| {
            metrics
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().last()?.parse::<u64>().ok())
                .unwrap_or(0)
        };
        (gauge("rtw_serve_streams_open") >= 5 && gauge("rtw_serve_longpolls_held") >= 1)
            .then_some(())
    });
    // Under load: a publisher goes on through the signal, until it is
    // refused (503 while draining, then the closed listener).
    let late_count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let publisher = {
        let late_count = late_count.clone();
        thread::spawn(move || {
            let mut late = Vec::new();
            for n in 1.. {
                let body = format!("late{n}");
                let Some(id) = try_publish(addr, "t", &body) else {
                    break;
                };
                late.push((id, body));
                late_count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            late
        })
    };
    common::poll_until("late messages acknowledged", WAIT, || {
        (late_count.load(std::sync::atomic::Ordering::Relaxed) >= 20).then_some(())
    });
    let signalled = Instant::now();
    sigterm(&server.child);
    refused_soon(addr);
    // Every message acknowledged: id and body.
    let mut acknowledged: Vec<(u64, String)> = acknowledged
        .into_iter()
        .map(|id| (id, format!("m{id}")))
        .collect();
    acknowledged.extend(publisher.join().unwrap());
    assert!(acknowledged.len() >= 70, "{}", acknowledged.len());

    let (texts, close) = until_close(&mut ws).await;
    let delivered = ids(texts.iter().map(String::as_str));
    assert!(delivered.windows(2).all(|w| w[0] < w[1]), "{delivered:?}");
    for (id, _) in &acknowledged {
        assert!(
            delivered.contains(id),
            "acknowledged {id} not delivered: {delivered:?}"
        );
    }
    let last = delivered.last().unwrap();
    assert_eq!(
        close,
        Some((
            1001,
            format!("server shutting down: resume with since={last}")
        ))
    );
    let (texts, close) = until_close(&mut stomp_ws).await;
    let all = texts.concat();
    assert!(all.starts_with("CONNECTED"), "{all:?}");
    assert!(all.contains("RECEIPT\nreceipt-id:sub\n"), "{all:?}");
    for (_, body) in &acknowledged {
        assert!(all.contains(&format!("\n\n{body}\0")), "{body} in {all:?}");
    }
    let error = all.find("ERROR\n").expect("an ERROR frame");
    assert!(
        all[error..].contains("message:server shutting down"),
        "{all:?}"
    );
    assert!(all.rfind("MESSAGE\n").unwrap() < error, "{all:?}");
    let _ = close;

    let (texts, close) = until_close(&mut eio_ws).await;
    assert_eq!(
        texts.last().map(String::as_str),
        Some("1"),
        "the close packet: {texts:?}"
    );
    assert_eq!(close, Some((1001, "server shutting down".to_owned())));

    let sse = sse.join().unwrap();
    assert!(sse.starts_with("HTTP/1.1 200"), "{sse:?}");
    assert!(sse.ends_with("0\r\n\r\n"), "the last chunk: {sse:?}");
    for (id, body) in &acknowledged {
        assert!(
            sse.contains(&format!("data: {body}\nid: {id}\n")),
            "id {id}: {sse:?}"
        );
    }
    let stream = stream.join().unwrap();
    assert!(stream.ends_with("0\r\n\r\n"), "{stream:?}");
    for (id, _) in &acknowledged {
        assert!(
            stream.contains(&format!("{{\"id\":{id},")),
            "id {id}: {stream:?}"
        );
    }
    let iframe = iframe.join().unwrap();
    assert!(iframe.ends_with("0\r\n\r\n"), "{iframe:?}");
    for (id, _) in &acknowledged {
        assert!(
            iframe.contains(&format!("\"id\":{id},")),
            "id {id}: {iframe:?}"
        );
    }
    let mjpeg = mjpeg.join().unwrap();
    assert!(
        mjpeg.starts_with("HTTP/1.1 200"),
        "{:?}",
        &mjpeg[..mjpeg.len().min(300)]
    );
    assert!(
        mjpeg
            .to_ascii_lowercase()
            .contains("content-type: image/jpeg"),
        "a frame came"
    );
    assert!(mjpeg.ends_with("0\r\n\r\n"), "the last chunk");
    let longpoll = longpoll.join().unwrap();
    assert!(longpoll.starts_with("HTTP/1.1 204"), "{longpoll:?}");
    let held = held.join().unwrap();
    assert!(held.starts_with("HTTP/1.1 200"), "{held:?}");
    assert!(held.ends_with("\r\n\r\n1"), "the close packet: {held:?}");

    let (code, _) = exit_within(&mut server.child, WAIT);
    assert_eq!(code, Some(0));
    let took = signalled.elapsed();
    eprintln!(
        "rtw serve: {} messages acknowledged ({} by a publisher going on through \
         SIGTERM), every one delivered over WebSocket, STOMP, SSE, the HTTP stream \
         and the iframe; SIGTERM to exit 0 in {took:?}",
        acknowledged.len(),
        acknowledged.len() - 50
    );
    assert!(took < Duration::from_secs(10), "drained in {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ws_echo_server_closes_with_1001_and_exits_0() {
    let mut server = Server::start(
        &["ws", "echo-server", "127.0.0.1:0", "--drain-timeout", GRACE],
        1,
    );
    let addr = server.addr();
    let mut clients = Vec::new();
    for n in 0..3 {
        let mut ws = ws_connect(&format!("ws://{addr}/")).await;
        ws.send(Message::text(format!("hello {n}"))).await.unwrap();
        let echo = tokio::time::timeout(WAIT, ws.next()).await.unwrap();
        assert!(matches!(echo, Some(Ok(Message::Text(t))) if t.as_str() == format!("hello {n}")));
        clients.push(ws);
    }
    let signalled = Instant::now();
    sigterm(&server.child);
    refused_soon(addr);
    for ws in &mut clients {
        let (texts, close) = until_close(ws).await;
        assert!(texts.is_empty(), "{texts:?}");
        assert_eq!(close, Some((1001, "server shutting down".to_owned())));
    }
    let (code, _) = exit_within(&mut server.child, WAIT);
    assert_eq!(code, Some(0));
    let took = signalled.elapsed();
    eprintln!("rtw ws echo-server: SIGTERM to exit 0 in {took:?}");
    assert!(took < Duration::from_secs(10), "drained in {took:?}");
}

#[test]
fn a_peer_that_never_closes_is_cut_at_the_drain_timeout() {
    let mut server = Server::start(
        &["ws", "echo-server", "127.0.0.1:0", "--drain-timeout", "1"],
        1,
    );
    let addr = server.addr();
    // The opening handshake by hand; then silence: the server's close is
    // never answered (rtw-ws gives it 5 s), so the 1 s grace ends it.
    let mut tcp = TcpStream::connect(addr).unwrap();
    tcp.write_all(
        b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    )
    .unwrap();
    tcp.set_read_timeout(Some(WAIT)).unwrap();
    let mut head = [0u8; 12];
    tcp.read_exact(&mut head).unwrap();
    assert_eq!(&head, b"HTTP/1.1 101");
    let signalled = Instant::now();
    sigterm(&server.child);
    let (code, _) = exit_within(&mut server.child, WAIT);
    let took = signalled.elapsed();
    assert_eq!(code, Some(0));
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(4),
        "exited after {took:?}, not at the 1 s grace"
    );
}

#[test]
fn a_second_sigterm_ends_the_wait_for_a_peer_that_never_closes() {
    let mut server = Server::start(
        &["ws", "echo-server", "127.0.0.1:0", "--drain-timeout", "60"],
        1,
    );
    let mut tcp = TcpStream::connect(server.addr()).unwrap();
    tcp.write_all(
        b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    )
    .unwrap();
    tcp.set_read_timeout(Some(WAIT)).unwrap();
    let mut head = [0u8; 12];
    tcp.read_exact(&mut head).unwrap();
    assert_eq!(&head, b"HTTP/1.1 101");
    sigterm(&server.child);
    thread::sleep(Duration::from_millis(300));
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "waits for the peer"
    );
    let again = Instant::now();
    sigterm(&server.child);
    let (code, _) = exit_within(&mut server.child, WAIT);
    assert_eq!(code, Some(0));
    let took = again.elapsed();
    assert!(
        took < Duration::from_secs(3),
        "exited {took:?} after the second SIGTERM"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sse_serve_ends_its_streams_with_the_last_chunk() {
    let mut server = Server::start(
        &[
            "sse",
            "serve",
            "127.0.0.1:0",
            "--interval-ms",
            "50",
            "--drain-timeout",
            GRACE,
        ],
        1,
    );
    let addr = server.addr();
    let first = get(addr, "/");
    let resumed = request(
        addr,
        "GET / HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 1000\r\n\r\n",
    );
    thread::sleep(Duration::from_millis(300));
    let signalled = Instant::now();
    sigterm(&server.child);
    refused_soon(addr);
    let first = first.join().unwrap();
    assert!(first.starts_with("HTTP/1.1 200"), "{first:?}");
    assert!(first.contains("id: 1\n"), "{first:?}");
    assert!(first.ends_with("0\r\n\r\n"), "the last chunk: {first:?}");
    let resumed = resumed.join().unwrap();
    assert!(resumed.contains("id: 1001\n"), "{resumed:?}");
    assert!(
        resumed.ends_with("0\r\n\r\n"),
        "the last chunk: {resumed:?}"
    );
    let (code, _) = exit_within(&mut server.child, WAIT);
    assert_eq!(code, Some(0));
    let took = signalled.elapsed();
    eprintln!("rtw sse serve: SIGTERM to exit 0 in {took:?}");
    assert!(took < Duration::from_secs(10), "drained in {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn turn_server_releases_its_allocations_and_closes_tcp_clients() {
    use rtw_stun::Transport;
    use rtw_tokio::turn::{Client, ClientConfig};

    let mut server = Server::start(
        &[
            "turn",
            "server",
            "--listen",
            "127.0.0.1:0",
            "--realm",
            "rtw.test",
            "--user",
            "alice:secret",
            "--allow-loopback-peers",
            "--drain-timeout",
            GRACE,
        ],
        1,
    );
    let addr = server.addr();
    let peer = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let peer_addr = peer.local_addr().unwrap();
    let mut clients = Vec::new();
    for transport in [Transport::Udp, Transport::Tcp] {
        let config = ClientConfig::new("alice", "secret").transport(transport);
        let client = tokio::time::timeout(WAIT, Client::allocate(addr, config))
            .await
            .expect("allocated in time")
            .expect("allocated");
        client.create_permission(peer_addr.ip()).await.unwrap();
        client
            .send_to(peer_addr, &b"through the relay"[..])
            .await
            .unwrap();
        let mut buf = [0u8; 64];
        let (n, from) = tokio::time::timeout(WAIT, peer.recv_from(&mut buf))
            .await
            .expect("relayed in time")
            .unwrap();
        assert_eq!(&buf[..n], b"through the relay");
        assert_eq!(from, client.relayed_address());
        clients.push(client);
    }
    let signalled = Instant::now();
    sigterm(&server.child);
    // The TCP client's control connection is closed.
    let mut tcp_client = clients.pop().unwrap();
    let ended = tokio::time::timeout(WAIT, tcp_client.recv())
        .await
        .expect("the control connection ends within the wait");
    assert!(ended.is_err(), "{ended:?}");
    refused_soon(addr);
    let (code, _) = exit_within(&mut server.child, WAIT);
    assert_eq!(code, Some(0));
    let took = signalled.elapsed();
    eprintln!("rtw turn server: SIGTERM to exit 0 in {took:?}");
    assert!(took < Duration::from_secs(10), "drained in {took:?}");
    // The relayed addresses are free again: nothing holds them.
    let udp = clients.pop().unwrap();
    for relayed in [udp.relayed_address(), tcp_client.relayed_address()] {
        std::net::UdpSocket::bind(relayed).expect("the relayed address released");
    }
}

/// A STOMP frame as read: command, headers, body.
#[derive(Debug, Clone)]
struct StompFrame {
    command: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl StompFrame {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The whole frames at the front of `buf` (heart-beat EOLs skipped),
/// taken out of it.
fn frames_of(buf: &mut Vec<u8>) -> Vec<StompFrame> {
    let mut out = Vec::new();
    while let Some(end) = buf.iter().position(|&b| b == 0) {
        let raw: Vec<u8> = buf.drain(..=end).collect();
        let text = String::from_utf8_lossy(&raw[..raw.len() - 1]).into_owned();
        let text = text.trim_start_matches(['\r', '\n']);
        let (head, body) = text.split_once("\n\n").unwrap_or((text, ""));
        let mut lines = head.lines();
        let command = lines.next().unwrap_or("").to_owned();
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
            .collect();
        out.push(StompFrame {
            command,
            headers,
            body: body.to_owned(),
        });
    }
    out
}

type Outbox = tokio::sync::mpsc::UnboundedSender<String>;
type Inbox = tokio::sync::mpsc::UnboundedReceiver<StompFrame>;

/// STOMP over TCP: frames to send in, frames read out (the inbox ends
/// with the connection).
async fn stomp_tcp(addr: SocketAddr) -> (Outbox, Inbox) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut read, mut write) = tcp.into_split();
    let (out_tx, mut out_rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let (in_tx, in_rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(frame) = out_rx.recv().await {
            if write.write_all(frame.as_bytes()).await.is_err() {
                break;
            }
        }
    });
    tokio::spawn(async move {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 16 * 1024];
        loop {
            match read.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
            for frame in frames_of(&mut buf) {
                let _ = in_tx.send(frame);
            }
        }
    });
    (out_tx, in_rx)
}

/// STOMP over WebSocket (subprotocol v12.stomp), as [`stomp_tcp`].
async fn stomp_ws(addr: SocketAddr) -> (Outbox, Inbox) {
    stomp_ws_at(&format!("ws://{addr}/")).await
}

/// [`stomp_ws`] at `url`.
async fn stomp_ws_at(url: &str) -> (Outbox, Inbox) {
    let ws = ws_connect(url).await;
    let (mut read, mut write) = ws.split();
    let (out_tx, mut out_rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let (in_tx, in_rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(frame) = out_rx.recv().await {
            if write.send(Message::text(frame)).await.is_err() {
                break;
            }
        }
    });
    tokio::spawn(async move {
        let mut buf = Vec::new();
        while let Some(Ok(message)) = read.next().await {
            match message {
                Message::Text(text) => buf.extend_from_slice(text.as_bytes()),
                Message::Binary(bytes) => buf.extend_from_slice(&bytes),
                _ => continue,
            }
            for frame in frames_of(&mut buf) {
                let _ = in_tx.send(frame);
            }
        }
    });
    (out_tx, in_rx)
}

/// CONNECT, and the CONNECTED frame.
async fn stomp_connect(out: &Outbox, inbox: &mut Inbox) {
    out.send(stomp(
        "CONNECT",
        &[("accept-version", "1.2"), ("host", "x")],
        "",
    ))
    .unwrap();
    let connected = tokio::time::timeout(WAIT, inbox.recv()).await.unwrap();
    assert_eq!(connected.map(|f| f.command).as_deref(), Some("CONNECTED"));
}

/// Every frame until the connection ends, within [`WAIT`].
async fn stomp_rest(inbox: &mut Inbox) -> Vec<StompFrame> {
    let mut frames = Vec::new();
    tokio::time::timeout(WAIT, async {
        while let Some(frame) = inbox.recv().await {
            frames.push(frame);
        }
    })
    .await
    .expect("the connection ends within the wait");
    frames
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stomp_broker_under_load_loses_no_receipted_send_then_sends_error() {
    let mut server = Server::start(
        &[
            "stomp",
            "broker",
            "--tcp",
            "127.0.0.1:0",
            "--ws",
            "127.0.0.1:0",
            "--heart-beat",
            "0,0",
            "--drain-timeout",
            GRACE,
        ],
        2,
    );
    let (tcp, ws) = (server.addrs[0], server.addrs[1]);
    // A subscriber over each transport, subscribed once its receipt came.
    let mut subscribers = Vec::new();
    for (n, connection) in [stomp_tcp(tcp).await, stomp_ws(ws).await]
        .into_iter()
        .enumerate()
    {
        let (out, mut inbox) = connection;
        stomp_connect(&out, &mut inbox).await;
        let sub = format!("sub{n}");
        out.send(stomp(
            "SUBSCRIBE",
            &[
                ("id", "s"),
                ("destination", "/topic/load"),
                ("receipt", &sub),
            ],
            "",
        ))
        .unwrap();
        let receipt = tokio::time::timeout(WAIT, inbox.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(receipt.header("receipt-id"), Some(sub.as_str()));
        subscribers.push((out, inbox));
    }
    // A publisher over each transport, sending SENDs with receipts as fast
    // as it can write them until the connection ends.
    let mut publishers = Vec::new();
    for (name, connection) in [("tcp", stomp_tcp(tcp).await), ("ws", stomp_ws(ws).await)] {
        let (out, mut inbox) = connection;
        stomp_connect(&out, &mut inbox).await;
        let sending = tokio::spawn(async move {
            let mut n = 0u64;
            loop {
                n += 1;
                let body = format!("{name}-{n}");
                let frame = stomp(
                    "SEND",
                    &[("destination", "/topic/load"), ("receipt", &body)],
                    &body,
                );
                if out.send(frame).is_err() || n >= 200_000 {
                    return n;
                }
                if n % 50 == 0 {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            }
        });
        publishers.push((sending, inbox));
    }
    // Under load: SIGTERM once the first subscriber has had 200 messages.
    let mut early = Vec::new();
    while early.len() < 200 {
        let frame = tokio::time::timeout(WAIT, subscribers[0].1.recv())
            .await
            .expect("messages flow")
            .expect("the connection is open");
        early.push(frame);
    }
    let signalled = Instant::now();
    sigterm(&server.child);
    let mut receipted = std::collections::HashSet::new();
    for (name, (sending, mut inbox)) in ["tcp", "ws"].into_iter().zip(publishers) {
        let frames = stomp_rest(&mut inbox).await;
        sending.abort();
        let receipts: Vec<&str> = frames
            .iter()
            .filter(|f| f.command == "RECEIPT")
            .filter_map(|f| f.header("receipt-id"))
            .collect();
        assert!(!receipts.is_empty(), "no receipt for the {name} publisher");
        let last = frames.last().expect("frames");
        assert_eq!(last.command, "ERROR", "{last:?}");
        assert_eq!(last.header("message"), Some("server shutting down"));
        receipted.extend(receipts.into_iter().map(str::to_owned));
    }
    for (out, mut inbox) in subscribers {
        let mut frames = std::mem::take(&mut early);
        frames.extend(stomp_rest(&mut inbox).await);
        drop(out);
        let delivered: std::collections::HashSet<&str> = frames
            .iter()
            .filter(|f| f.command == "MESSAGE")
            .map(|f| f.body.as_str())
            .collect();
        let lost: Vec<&String> = receipted
            .iter()
            .filter(|r| !delivered.contains(r.as_str()))
            .collect();
        assert!(
            lost.is_empty(),
            "{} receipted SENDs not delivered: {lost:?}",
            lost.len()
        );
        let last = frames.last().expect("frames");
        assert_eq!(last.command, "ERROR", "{last:?}");
        assert_eq!(last.header("message"), Some("server shutting down"));
    }
    refused_soon(tcp);
    refused_soon(ws);
    let (code, _) = exit_within(&mut server.child, WAIT);
    assert_eq!(code, Some(0));
    let took = signalled.elapsed();
    eprintln!(
        "rtw stomp broker: {} SENDs receipted before SIGTERM, all delivered to both \
         subscribers; SIGTERM to exit 0 in {took:?}",
        receipted.len()
    );
    assert!(took < Duration::from_secs(10), "drained in {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signal_serve_closes_its_peers_with_1001() {
    let mut server = Server::start(
        &[
            "signal",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--drain-timeout",
            GRACE,
        ],
        1,
    );
    let addr = server.addr();
    let mut peers = Vec::new();
    for name in ["alice", "bob"] {
        let mut ws = ws_connect(&format!("ws://{addr}/signal")).await;
        let join = serde_json::json!({"type": "join", "room": "r", "peer": name});
        ws.send(Message::text(join.to_string())).await.unwrap();
        let joined = tokio::time::timeout(WAIT, ws.next()).await.unwrap();
        assert!(
            matches!(&joined, Some(Ok(Message::Text(t))) if t.as_str().contains("joined")),
            "{joined:?}"
        );
        peers.push(ws);
    }
    let signalled = Instant::now();
    sigterm(&server.child);
    refused_soon(addr);
    for ws in &mut peers {
        let (_, close) = until_close(ws).await;
        assert_eq!(close, Some((1001, "server shutting down".to_owned())));
    }
    let (code, _) = exit_within(&mut server.child, WAIT);
    assert_eq!(code, Some(0));
    let took = signalled.elapsed();
    eprintln!("rtw signal serve: SIGTERM to exit 0 in {took:?}");
    assert!(took < Duration::from_secs(10), "drained in {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signal_serve_drains_the_stun_and_turn_servers_beside_it() {
    use rtw_stun::Transport;
    use rtw_tokio::turn::{Client, ClientConfig};

    let mut server = Server::start(
        &[
            "signal",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--stun",
            "127.0.0.1:0",
            "--turn",
            "127.0.0.1:0",
            "--turn-secret",
            "s3cret",
            "--drain-timeout",
            GRACE,
        ],
        3,
    );
    let (addr, stun_addr, turn_addr) = (server.addrs[0], server.addrs[1], server.addrs[2]);
    // A peer whose join hands out the TURN REST credentials; it then reads
    // nothing, so that its close (answered only later) holds the drain
    // while the servers beside are drained.
    let mut ws = ws_connect(&format!("ws://{addr}/signal")).await;
    let join = serde_json::json!({"type": "join", "room": "r", "peer": "carol"});
    ws.send(Message::text(join.to_string())).await.unwrap();
    let joined = match tokio::time::timeout(WAIT, ws.next()).await.unwrap() {
        Some(Ok(Message::Text(t))) => t.as_str().to_owned(),
        other => panic!("{other:?}"),
    };
    let joined: serde_json::Value = serde_json::from_str(&joined).unwrap();
    let turn = joined["iceServers"]
        .as_array()
        .and_then(|servers| {
            servers.iter().find(|s| {
                s["urls"][0]
                    .as_str()
                    .is_some_and(|u| u.starts_with("turn:"))
            })
        })
        .unwrap_or_else(|| panic!("a TURN server in {joined}"))
        .clone();
    let config = ClientConfig::new(
        turn["username"].as_str().unwrap(),
        turn["credential"].as_str().unwrap(),
    )
    .transport(Transport::Tcp);
    let mut client = tokio::time::timeout(WAIT, Client::allocate(turn_addr, config))
        .await
        .expect("allocated in time")
        .expect("allocated");
    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let answered = tokio::time::timeout(WAIT, rtw_tokio::stun::binding(&socket, stun_addr)).await;
    assert!(matches!(answered, Ok(Ok(_))), "{answered:?}");

    sigterm(&server.child);
    // The TURN client's control connection is closed while the signaling
    // server still drains (its peer has not answered the close yet).
    let ended = tokio::time::timeout(WAIT, client.recv())
        .await
        .expect("the control connection ends within the wait");
    assert!(ended.is_err(), "{ended:?}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "the TURN server beside ended with the process, not with the drain"
    );
    // The STUN server beside answers no more; the relayed address is free.
    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let answered = tokio::time::timeout(
        Duration::from_secs(2),
        rtw_tokio::stun::binding(&socket, stun_addr),
    )
    .await;
    assert!(
        !matches!(answered, Ok(Ok(_))),
        "STUN still answers: {answered:?}"
    );
    std::net::UdpSocket::bind(client.relayed_address()).expect("the relayed address released");
    // The peer answers the close now: the process ends.
    let (_, close) = until_close(&mut ws).await;
    assert_eq!(close, Some((1001, "server shutting down".to_owned())));
    let (code, _) = exit_within(&mut server.child, WAIT);
    assert_eq!(code, Some(0));
}

/// A gauge of `rtw serve`'s `/metrics`.
fn gauge(addr: SocketAddr, name: &str) -> u64 {
    let metrics = request(
        addr,
        "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .join()
    .unwrap();
    metrics
        .lines()
        .find(|l| l.starts_with(name))
        .and_then(|l| l.split_whitespace().last()?.parse::<u64>().ok())
        .unwrap_or(0)
}

/// How many messages each publisher of [`publish_through_sigterm`] keeps
/// on their way (sent, not yet echoed, receipted or acknowledged), so
/// that some are when the drain starts.
const WINDOW: u64 = 8;

/// Each publisher pauses a millisecond after every [`WINDOW`] messages
/// sent, so that the subscribers of the test keep up (the hub evicts one
/// 1,024 messages behind).
async fn pace(sent: u64) {
    if sent % WINDOW == 0 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// Texts to the topic WebSocket (which echoes them: the publisher
/// subscribes too) until the close: its code and reason.
async fn ws_publisher(mut ws: Ws) -> Option<(u16, String)> {
    let (mut sent, mut seen) = (0, 0);
    loop {
        while sent - seen < WINDOW {
            sent += 1;
            pace(sent).await;
            if ws.feed(Message::text(format!("w{sent}"))).await.is_err() {
                return None;
            }
        }
        if ws.flush().await.is_err() {
            return None;
        }
        match tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("read in time")
        {
            Some(Ok(Message::Close(frame))) => {
                let rest = async { while ws.next().await.is_some() {} };
                let _ = tokio::time::timeout(WAIT, rest).await;
                return frame.map(|f| (f.code.0, f.reason.to_string()));
            }
            Some(Ok(Message::Text(_))) => seen += 1,
            Some(Ok(_)) => {}
            _ => return None,
        }
    }
}

/// SENDs `s{n}` with the receipt `r{n}` until the connection ends: every
/// frame read.
async fn stomp_publisher(out: Outbox, mut inbox: Inbox) -> Vec<StompFrame> {
    let mut frames = Vec::new();
    let mut sent = 0;
    loop {
        while sent - (frames.len() as u64) < WINDOW {
            sent += 1;
            pace(sent).await;
            let receipt = format!("r{sent}");
            let headers = [("destination", "/topic/p"), ("receipt", receipt.as_str())];
            let _ = out.send(stomp("SEND", &headers, &format!("s{sent}")));
        }
        match tokio::time::timeout(WAIT, inbox.recv())
            .await
            .expect("read in time")
        {
            Some(frame) => frames.push(frame),
            None => return frames,
        }
    }
}

/// Socket.IO `publish`es of `i{n}` with ack id `n` until the connection
/// ends: every ack, `(n, its first argument)`.
async fn socketio_publisher(mut ws: Ws) -> Vec<(u64, serde_json::Value)> {
    let mut acks = Vec::new();
    let mut sent = 0;
    loop {
        while sent - (acks.len() as u64) < WINDOW {
            sent += 1;
            pace(sent).await;
            let event = format!("42{sent}[\"publish\",\"p\",\"i{sent}\"]");
            if ws.feed(Message::text(event)).await.is_err() {
                return acks;
            }
        }
        if ws.flush().await.is_err() {
            return acks;
        }
        match tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("read in time")
        {
            Some(Ok(Message::Text(text))) => {
                let Some(rest) = text.as_str().strip_prefix("43") else {
                    continue;
                };
                let at = rest.find('[').unwrap_or_else(|| panic!("ack {text:?}"));
                let id: u64 = rest[..at].parse().unwrap();
                let args: serde_json::Value = serde_json::from_str(&rest[at..]).unwrap();
                acks.push((id, args[0].clone()));
            }
            Some(Ok(_)) => {}
            _ => break,
        }
    }
    let _ = tokio::time::timeout(WAIT, async { while ws.next().await.is_some() {} }).await;
    acks
}

/// A Socket.IO connection over WebSocket, its namespace `/` connected.
async fn socketio_connect(addr: SocketAddr) -> Ws {
    let mut sio = ws_connect(&format!("ws://{addr}/socket.io/?EIO=4&transport=websocket")).await;
    for expect in ["0{", "40{"] {
        if expect == "40{" {
            sio.send(Message::text("40")).await.unwrap();
        }
        let got = tokio::time::timeout(WAIT, sio.next()).await.unwrap();
        assert!(
            matches!(&got, Some(Ok(Message::Text(t))) if t.as_str().starts_with(expect)),
            "{got:?}"
        );
    }
    sio
}

/// Every Socket.IO `message` event `{"id":N,"data":".."}` until the
/// connection ends (the close packet `1` seen): `(id, data)`.
async fn socketio_messages(mut sio: Ws) -> Vec<(u64, String)> {
    let mut messages = Vec::new();
    let mut closed = false;
    let read = async {
        while let Some(Ok(message)) = sio.next().await {
            let Message::Text(text) = message else {
                continue;
            };
            closed |= text.as_str() == "1";
            let Some(event) = text.as_str().strip_prefix("42") else {
                continue;
            };
            let value: serde_json::Value = serde_json::from_str(event).unwrap();
            if value[0] == "message" {
                let m = &value[1];
                messages.push((
                    m["id"].as_u64().unwrap(),
                    m["data"].as_str().unwrap().to_owned(),
                ));
            }
        }
    };
    tokio::time::timeout(WAIT, read)
        .await
        .expect("ended within the wait");
    assert!(closed, "the close packet");
    messages
}

/// One `rtw serve` round: an SSE and a WebSocket subscriber of topic `p`,
/// and publishers on the topic WebSocket, `/stomp` (SEND with receipts)
/// and Socket.IO (`publish` with acks) going on through SIGTERM. Checks
/// that the two subscribers got the same messages, every one the
/// publishers were acknowledged among them and none they were refused;
/// returns how many were refused on `/stomp` and Socket.IO.
async fn publish_through_sigterm() -> (usize, usize, String) {
    let mut server = Server::start(
        &["serve", "--listen", "127.0.0.1:0", "--drain-timeout", GRACE],
        1,
    );
    let addr = server.addr();
    let sse = get(addr, "/topics/p/events?since=0");
    let mut sub = ws_connect(&format!("ws://{addr}/topics/p/ws?since=0")).await;
    common::poll_until("the subscribers counted", WAIT, || {
        (gauge(addr, "rtw_serve_streams_open") >= 2).then_some(())
    });
    let sub = tokio::spawn(async move { until_close(&mut sub).await });
    let mut sio_sub = socketio_connect(addr).await;
    sio_sub
        .send(Message::text("420[\"subscribe\",\"p\",0]"))
        .await
        .unwrap();
    let got = tokio::time::timeout(WAIT, sio_sub.next()).await.unwrap();
    assert!(
        matches!(&got, Some(Ok(Message::Text(t))) if t.as_str() == "430[{\"topic\":\"p\"}]"),
        "{got:?}"
    );
    let sio_sub = tokio::spawn(socketio_messages(sio_sub));
    let ws = ws_connect(&format!("ws://{addr}/topics/p/ws")).await;
    let ws = tokio::spawn(ws_publisher(ws));
    let (out, mut inbox) = stomp_ws_at(&format!("ws://{addr}/stomp")).await;
    stomp_connect(&out, &mut inbox).await;
    let stomp = tokio::spawn(stomp_publisher(out, inbox));
    let sio = socketio_connect(addr).await;
    let sio = tokio::spawn(socketio_publisher(sio));
    // The publishers go on for a while, then through the signal.
    tokio::time::sleep(Duration::from_millis(500)).await;
    sigterm(&server.child);

    let ws_close = tokio::time::timeout(WAIT, ws).await.unwrap().unwrap();
    let frames = tokio::time::timeout(WAIT, stomp).await.unwrap().unwrap();
    let acks = tokio::time::timeout(WAIT, sio).await.unwrap().unwrap();
    let (texts, close) = sub.await.unwrap();
    assert_eq!(close.map(|c| c.0), Some(1001));
    let delivered: Vec<(u64, String)> = texts
        .iter()
        .filter_map(|t| serde_json::from_str::<serde_json::Value>(t).ok())
        .filter_map(|v| Some((v["id"].as_u64()?, v["data"].as_str()?.to_owned())))
        .collect();
    let sse = sse.join().unwrap();
    assert!(sse.ends_with("0\r\n\r\n"), "the last chunk: {sse:?}");
    // Every message published reached both subscribers.
    assert_eq!(sse.matches("data: ").count(), delivered.len(), "{sse:?}");
    for (id, data) in &delivered {
        assert!(
            sse.contains(&format!("data: {data}\nid: {id}\n")),
            "{id} {data}"
        );
    }
    // The Socket.IO subscriber too.
    let sio_delivered = sio_sub.await.unwrap();
    assert_eq!(
        sio_delivered, delivered,
        "Socket.IO subscriber and WebSocket"
    );
    let reached = |body: &str| delivered.iter().find(|(_, d)| d == body).map(|(id, _)| *id);

    // The topic WebSocket publisher: 1001, its text refused or not.
    let (code, reason) = ws_close.expect("a close frame");
    assert_eq!(code, 1001);
    assert!(
        reason.starts_with("server shutting down: resume with since=")
            || reason
                .starts_with("server shutting down, message not published: resume with since="),
        "{reason}"
    );
    // /stomp: each RECEIPT's SEND delivered; one ERROR at the end, and a
    // SEND it names not delivered (and without RECEIPT).
    let mut refused_stomp = 0;
    let (last, receipts) = frames.split_last().expect("frames");
    assert_eq!(last.command, "ERROR", "{frames:?}");
    assert_eq!(last.header("message"), Some("server shutting down"));
    for frame in receipts {
        assert_eq!(frame.command, "RECEIPT", "{frame:?}");
        let n = &frame.header("receipt-id").unwrap()[1..];
        assert!(
            reached(&format!("s{n}")).is_some(),
            "s{n} acknowledged, not delivered"
        );
    }
    if let Some(r) = last.header("receipt-id") {
        refused_stomp += 1;
        assert!(
            receipts.iter().all(|f| f.header("receipt-id") != Some(r)),
            "{r}"
        );
        assert_eq!(
            reached(&format!("s{}", &r[1..])),
            None,
            "{r} refused, delivered"
        );
    }
    // Socket.IO: each id acknowledged delivered with it, each refusal not.
    let mut refused_socketio = 0;
    for (n, ack) in &acks {
        if let Some(id) = ack["id"].as_u64() {
            assert_eq!(reached(&format!("i{n}")), Some(id), "i{n} acknowledged");
        } else {
            assert_eq!(ack["error"], "server shutting down; retry", "{ack}");
            assert_eq!(reached(&format!("i{n}")), None, "i{n} refused, delivered");
            refused_socketio += 1;
        }
    }
    assert!(acks.iter().any(|(_, a)| a["id"].is_u64()), "{acks:?}");
    assert!(receipts.len() > 10, "{} receipts", receipts.len());
    let (code, _) = exit_within(&mut server.child, WAIT);
    assert_eq!(code, Some(0));
    (refused_stomp, refused_socketio, reason)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rtw_serve_takes_no_publish_once_draining_and_delivers_every_one_it_took() {
    for round in 1..=3 {
        let (stomp, socketio, reason) = publish_through_sigterm().await;
        eprintln!(
            "round {round}: /stomp SENDs refused {stomp}, Socket.IO publishes refused \
             {socketio}, topic WebSocket publisher closed with {reason:?}"
        );
    }
}
