//! `rtw ws echo-server --write-timeout`: a client that sends and never
//! reads is closed once the server's writes to it made no progress for the
//! timeout (its socket's buffers and the 16 MiB write buffer full), long
//! before the ping timeout; a client that reads slowly is not.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

mod common;
use common::Running;

/// The bound on a flood that should end in the close: the stall (buffers
/// of some 20 MiB filled over loopback) plus the 1 s timeout, with room
/// for a loaded machine.
const BOUND: Duration = Duration::from_secs(60);

/// The server's count of slow readers cut off.
const DROPS: &str = "rtw_ws_echo_drops_total";

/// An echo server whose pings cannot end a connection within a test, and
/// the address of its `--metrics`.
fn server() -> (Running, SocketAddr) {
    // A port free a moment ago, for the metrics.
    let metrics = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let server = Running::start(&[
        "ws",
        "echo-server",
        "127.0.0.1:0",
        "--write-timeout",
        "1",
        "--ping-interval",
        "600",
        "--ping-timeout",
        "600",
        "--metrics",
        &metrics.to_string(),
    ]);
    (server, metrics)
}

/// The value of the sample `name` in the server's `GET /metrics`.
fn sample(metrics: SocketAddr, name: &str) -> Option<u64> {
    let mut s = TcpStream::connect(metrics).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(
        s,
        "GET /metrics HTTP/1.1\r\nHost: {metrics}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let line = text.lines().find(|l| l.split(' ').next() == Some(name))?;
    line.rsplit(' ').next()?.parse().ok()
}

/// A WebSocket connection (RFC 6455 §4.1) on a plain socket: the opening
/// handshake is done and its answer read.
fn open(addr: SocketAddr) -> TcpStream {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    .unwrap();
    let mut head = Vec::new();
    let mut byte = [0];
    while !head.ends_with(b"\r\n\r\n") {
        s.read_exact(&mut byte).unwrap();
        head.push(byte[0]);
    }
    assert!(
        head.starts_with(b"HTTP/1.1 101"),
        "{}",
        String::from_utf8_lossy(&head)
    );
    s
}

/// A masked binary frame (RFC 6455 §5.2) of `len` bytes; the masking key
/// is zero, so the payload goes as it is.
fn frame(len: usize) -> Vec<u8> {
    let mut f = vec![0x82, 0x80 | 127];
    f.extend_from_slice(&(len as u64).to_be_bytes());
    f.extend_from_slice(&[0; 4]);
    f.resize(f.len() + len, b'x');
    f
}

/// Writes `frame` over and over on `s`, whole frames in order, until a
/// write fails other than by timing out (the server closed the
/// connection: its unread input makes the close a reset) or `until`
/// passes: the error and the bytes written, or `None` if still open.
fn flood(s: &mut TcpStream, frame: &[u8], until: Instant) -> (Option<std::io::Error>, usize) {
    s.set_write_timeout(Some(Duration::from_millis(250)))
        .unwrap();
    let (mut at, mut sent) = (0, 0);
    while Instant::now() < until {
        match s.write(&frame[at..]) {
            Ok(0) => return (Some(ErrorKind::WriteZero.into()), sent),
            Ok(n) => {
                at = (at + n) % frame.len();
                sent += n;
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) => return (Some(e), sent),
        }
    }
    (None, sent)
}

#[test]
fn a_client_that_never_reads_is_closed_after_the_write_timeout() {
    let (server, metrics) = server();
    let mut s = open(server.addr);
    let start = Instant::now();
    let (closed, sent) = flood(&mut s, &frame(1 << 20), start + BOUND);
    let took = start.elapsed();
    let e = closed.unwrap_or_else(|| {
        panic!(
            "still open after {BOUND:?} of sending {} MiB unread",
            sent >> 20
        )
    });
    assert!(
        matches!(e.kind(), ErrorKind::ConnectionReset | ErrorKind::BrokenPipe),
        "{e}"
    );
    // Not before the write timeout, and echoes went out before the stall.
    assert!(took >= Duration::from_secs(1), "closed after {took:?}: {e}");
    assert!(
        sent >= 1 << 20,
        "{sent} bytes sent, closed after {took:?}: {e}"
    );
    // Counted as a slow reader cut off, not as an error.
    let deadline = Instant::now() + Duration::from_secs(10);
    while sample(metrics, DROPS) != Some(1) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(sample(metrics, DROPS), Some(1));
    assert_eq!(sample(metrics, "rtw_ws_echo_errors_total"), Some(0));
}

#[test]
fn a_client_that_reads_slowly_stays_open() {
    let (server, metrics) = server();
    let mut s = open(server.addr);
    let reader = s.try_clone().unwrap();
    // Reads 256 KiB every 20 ms (some 13 MB/s): far slower than the
    // echoes, so the server's writes wait, but never 1 s without progress
    // (a socket is writable again once half of what it holds is read).
    let read = std::thread::spawn(move || {
        let mut reader = reader;
        let mut buf = vec![0; 256 << 10];
        let mut total = 0;
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(6) {
            match reader.read(&mut buf) {
                Ok(0) => return Err(format!("end of file after {total} bytes")),
                Ok(n) => total += n,
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(e) => return Err(format!("{e} after {total} bytes")),
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(total)
    });
    let (closed, sent) = flood(
        &mut s,
        &frame(1 << 20),
        Instant::now() + Duration::from_secs(6),
    );
    let total = read.join().unwrap().unwrap();
    assert!(closed.is_none(), "{closed:?} after {sent} bytes sent");
    assert_eq!(sample(metrics, DROPS), Some(0));
    assert_eq!(sample(metrics, DROPS), Some(0));
    // The server waited on this reader: it echoed far less than it got.
    assert!(sent >= total + (8 << 20), "sent {sent}, read {total}");
}
