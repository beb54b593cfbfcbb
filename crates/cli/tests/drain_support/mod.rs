//! Helpers of the drain tests (`tests/drain.rs`, `tests/drain_publish.rs`):
//! real `rtw` servers, SIGTERM, and clients of each transport.
#![allow(dead_code, unreachable_pub)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use rtw_tokio::ws::{Message, WebSocketStream};

/// How long any one wait of these tests may take.
pub const WAIT: Duration = Duration::from_secs(20);

/// The grace period given to the servers (`--drain-timeout`).
pub const GRACE: &str = "10";

pub type Ws = WebSocketStream<tokio::net::TcpStream>;

/// A server under test, killed on drop if it is still running.
pub struct Server {
    pub child: Child,
    /// Its first lines on stdout, `listening on` lines, with their
    /// addresses.
    pub addrs: Vec<SocketAddr>,
}

impl Server {
    /// Starts `rtw ARGS` and reads its first `lines` lines, each
    /// `[NAME ]listening on [SCHEME://]IP:PORT`, within [`WAIT`].
    pub fn start(args: &[&str], lines: usize) -> Server {
        let mut child = Command::new(crate::common::RTW)
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

    pub fn addr(&self) -> SocketAddr {
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
pub fn sigterm(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -TERM {}", child.id());
}

/// Waits for the process to exit, within `bound`: its exit code and how
/// long it took.
pub fn exit_within(child: &mut Child, bound: Duration) -> (Option<i32>, Duration) {
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
pub fn refused_soon(addr: SocketAddr) {
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
pub fn request(addr: SocketAddr, head: &str) -> thread::JoinHandle<String> {
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
pub fn get(addr: SocketAddr, path: &str) -> thread::JoinHandle<String> {
    request(addr, &format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n"))
}

/// POSTs `body` to `/topics/{topic}`: the id the hub gave it.
pub fn publish(addr: SocketAddr, topic: &str, body: &str) -> u64 {
    try_publish(addr, topic, body).expect("published")
}

/// POSTs `body` to `/topics/{topic}`: the id the hub gave it, or `None`
/// when the connection is refused or the answer is not 200.
pub fn try_publish(addr: SocketAddr, topic: &str, body: &str) -> Option<u64> {
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

pub async fn ws_connect(url: &str) -> Ws {
    let (ws, _) = tokio::time::timeout(WAIT, rtw_tokio::ws::connect(url))
        .await
        .expect("connected in time")
        .expect("WebSocket upgrade");
    ws
}

/// Every text message until the close: the texts, and the close code and
/// reason. Reads on to the end, so that the closing handshake completes.
pub async fn until_close(ws: &mut Ws) -> (Vec<String>, Option<(u16, String)>) {
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
pub fn stomp(command: &str, headers: &[(&str, &str)], body: &str) -> String {
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
pub fn ids<'a>(texts: impl IntoIterator<Item = &'a str>) -> Vec<u64> {
    texts
        .into_iter()
        .filter_map(|t| serde_json::from_str::<serde_json::Value>(t).ok())
        .filter_map(|v| v["id"].as_u64())
        .collect()
}

#[derive(Debug, Clone)]
pub struct StompFrame {
    pub command: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl StompFrame {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The whole frames at the front of `buf` (heart-beat EOLs skipped),
/// taken out of it.
pub fn frames_of(buf: &mut Vec<u8>) -> Vec<StompFrame> {
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

pub type Outbox = tokio::sync::mpsc::UnboundedSender<String>;
pub type Inbox = tokio::sync::mpsc::UnboundedReceiver<StompFrame>;

/// STOMP over TCP: frames to send in, frames read out (the inbox ends
/// with the connection).
pub async fn stomp_tcp(addr: SocketAddr) -> (Outbox, Inbox) {
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
pub async fn stomp_ws(addr: SocketAddr) -> (Outbox, Inbox) {
    stomp_ws_at(&format!("ws://{addr}/")).await
}

/// [`stomp_ws`] at `url`.
pub async fn stomp_ws_at(url: &str) -> (Outbox, Inbox) {
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
pub async fn stomp_connect(out: &Outbox, inbox: &mut Inbox) {
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
pub async fn stomp_rest(inbox: &mut Inbox) -> Vec<StompFrame> {
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

/// A gauge of `rtw serve`'s `/metrics`.
pub fn gauge(addr: SocketAddr, name: &str) -> u64 {
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
