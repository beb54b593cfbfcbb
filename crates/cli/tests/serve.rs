//! `rtw serve` as a user runs it: it prints `listening on http://IP:PORT`
//! first, takes a published message with a POST, and hands it out by
//! short poll, long poll and SSE, over loopback, each step bounded in time.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{RTW, TIMEOUT};

/// `rtw serve --listen 127.0.0.1:0 ARGS`, killed on drop.
struct Serve {
    child: Child,
    addr: SocketAddr,
}

impl Serve {
    fn start(args: &[&str]) -> Serve {
        let mut child = Command::new(RTW)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .trim()
            .strip_prefix("listening on http://")
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("first line {line:?}"));
        Serve { child, addr }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn connect(addr: SocketAddr) -> TcpStream {
    let tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(TIMEOUT)).unwrap();
    tcp
}

/// A whole `Connection: close` exchange: the response as text.
fn exchange(addr: SocketAddr, request: &str) -> String {
    let mut tcp = connect(addr);
    tcp.write_all(request.as_bytes()).unwrap();
    let mut out = String::new();
    tcp.read_to_string(&mut out).unwrap();
    out
}

fn publish(addr: SocketAddr, topic: &str, text: &str) -> String {
    exchange(
        addr,
        &format!(
            "POST /topics/{topic} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
             Content-Type: text/plain\r\nContent-Length: {}\r\n\r\n{text}",
            text.len()
        ),
    )
}

fn get(addr: SocketAddr, target: &str) -> String {
    // HTTP/1.0: hyper answers in kind and closes after the response.
    exchange(
        addr,
        &format!("GET {target} HTTP/1.0\r\nHost: {addr}\r\n\r\n"),
    )
}

#[test]
fn publish_then_poll_long_poll_and_sse() {
    let server = Serve::start(&[
        "--allow-origin",
        "http://app.example",
        "--longpoll-max",
        "1",
    ]);
    let addr = server.addr;
    let answer = publish(addr, "demo", "hello");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("{\"id\":1}"), "{answer}");
    assert!(publish(addr, "demo", "world").ends_with("{\"id\":2}"));

    let poll = get(addr, "/topics/demo/poll?since=0");
    assert!(
        poll.ends_with("[{\"id\":1,\"data\":\"hello\"},{\"id\":2,\"data\":\"world\"}]"),
        "{poll}"
    );
    assert!(
        get(addr, "/topics/demo/longpoll?since=1").ends_with("[{\"id\":2,\"data\":\"world\"}]")
    );
    // timeout=30 is capped by --longpoll-max 1.
    let started = Instant::now();
    let empty = get(addr, "/topics/demo/longpoll?since=2&timeout=30");
    assert!(empty.starts_with("HTTP/1.0 204"), "{empty}");
    assert!(started.elapsed() < Duration::from_secs(10));

    // SSE from Last-Event-ID 1, then a live message.
    let mut sse = connect(addr);
    sse.write_all(
        format!("GET /topics/demo/events HTTP/1.0\r\nHost: {addr}\r\nLast-Event-ID: 1\r\n\r\n")
            .as_bytes(),
    )
    .unwrap();
    let mut seen = String::new();
    let mut read_until = |needle: &str| {
        while !seen.contains(needle) {
            let mut buf = [0; 1024];
            let n = sse.read(&mut buf).unwrap();
            assert!(n > 0, "closed: {seen}");
            seen.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
        seen.clone()
    };
    let head = read_until("id: 2\n\n");
    assert!(head.contains("content-type: text/event-stream"), "{head}");
    assert!(head.contains("data: world\nid: 2\n\n"), "{head}");
    assert!(publish(addr, "demo", "live").ends_with("{\"id\":3}"));
    assert!(read_until("id: 3\n\n").ends_with("data: live\nid: 3\n\n"));

    // CORS for the allowed origin; the server is still up after errors.
    let cors = exchange(
        addr,
        &format!(
            "OPTIONS /topics/demo HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
             Origin: http://app.example\r\nAccess-Control-Request-Method: POST\r\n\r\n"
        ),
    );
    assert!(cors.starts_with("HTTP/1.1 204"), "{cors}");
    assert!(
        cors.contains("access-control-allow-origin: http://app.example"),
        "{cors}"
    );
    assert!(get(addr, "/topics/demo/poll?since=x").starts_with("HTTP/1.0 400"));
    assert!(get(addr, "/nothing").starts_with("HTTP/1.0 404"));
    assert!(publish(addr, "demo", "after").ends_with("{\"id\":4}"));
}

#[test]
fn max_stream_age_ends_an_event_stream_that_resumes_by_last_event_id() {
    let server = Serve::start(&["--max-stream-age", "0.5"]);
    let addr = server.addr;
    assert!(publish(addr, "age", "one").ends_with("{\"id\":1}"));
    // The server ends the response (HTTP/1.0: it closes) after 0.5 s.
    let started = Instant::now();
    let first = get(addr, "/topics/age/events?since=0");
    assert!(started.elapsed() >= Duration::from_millis(500));
    assert!(
        first.ends_with("\r\n\r\nretry: 500\n\ndata: one\nid: 1\n\n"),
        "{first}"
    );
    assert!(publish(addr, "age", "two").ends_with("{\"id\":2}"));
    let again = exchange(
        addr,
        &format!(
            "GET /topics/age/events?since=0 HTTP/1.0\r\nHost: {addr}\r\nLast-Event-ID: 1\r\n\r\n"
        ),
    );
    assert!(
        again.ends_with("\r\n\r\nretry: 500\n\ndata: two\nid: 2\n\n"),
        "{again}"
    );
}

/// The response head of `tcp`, read a byte at a time so that nothing of
/// the body is taken.
fn read_head(tcp: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(tcp.read(&mut byte).unwrap(), 1, "{head:?}");
        head.push(byte[0]);
    }
    String::from_utf8(head).unwrap()
}

/// `rtw_serve_connections_open{transport="T"}` from `GET /metrics`.
fn open_connections(addr: SocketAddr, transport: &str) -> u64 {
    let metrics = get(addr, "/metrics");
    let line = format!("rtw_serve_connections_open{{transport=\"{transport}\"}} ");
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(&line))
        .unwrap_or_else(|| panic!("{line} in {metrics}"))
        .parse()
        .unwrap()
}

/// Subscribers that read nothing (a WebSocket and an SSE stream): the hub
/// evicts them, and once their connections' writes have made no progress
/// for `--write-timeout` rtw serve closes them, long before the
/// WebSocket's pings (600 s here) would notice.
#[test]
fn subscribers_that_read_nothing_are_closed_at_the_write_timeout() {
    let serve = Serve::start(&[
        "--write-timeout",
        "1",
        "--ws-ping-interval",
        "600",
        "--ws-ping-timeout",
        "600",
    ]);
    let addr = serve.addr;
    let mut ws = connect(addr);
    write!(
        ws,
        "GET /topics/t/ws HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Version: 13\r\n\r\n"
    )
    .unwrap();
    assert!(read_head(&mut ws).starts_with("HTTP/1.1 101"));
    let mut sse = connect(addr);
    write!(sse, "GET /topics/t/events HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
    assert!(read_head(&mut sse).starts_with("HTTP/1.1 200"));
    assert_eq!(
        (open_connections(addr, "ws"), open_connections(addr, "sse")),
        (1, 1)
    );
    // 12 MB: more than the kernel's buffers of both connections and the
    // hub's queue bound (1 MiB) of each subscriber.
    let text = "x".repeat(60 * 1024);
    for _ in 0..200 {
        assert!(publish(addr, "t", &text).starts_with("HTTP/1.1 200"));
    }
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let open = (open_connections(addr, "ws"), open_connections(addr, "sse"));
        if open == (0, 0) {
            break;
        }
        assert!(Instant::now() < deadline, "still open (ws, sse): {open:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
}
