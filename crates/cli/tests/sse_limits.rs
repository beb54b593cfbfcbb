//! `rtw sse serve` against clients that hold connections without using
//! them: trickled or missing request heads, idle kept-alive connections,
//! late bodies, too many connections from one address. Clients connect
//! from 127.0.0.1 and 127.0.0.2, both loopback on Linux.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddrV4, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

/// Longer than any timeout the tests set, far shorter than one that is off.
const PATIENCE: Duration = Duration::from_secs(5);

mod common;
use common::Running;

/// `rtw sse serve 127.0.0.1:0 ARGS`, killed on drop.
struct Server(Running);

impl Server {
    fn start(args: &[&str]) -> Server {
        Server(Running::serve(&["sse", "serve"], args))
    }

    /// A connection from 127.0.0.`last`.
    fn connect_from(&self, last: u8) -> TcpStream {
        let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)
            .expect("a socket");
        let local = SocketAddrV4::new(Ipv4Addr::new(127, 0, 0, last), 0);
        socket.bind(&local.into()).expect("binding the client");
        socket
            .connect_timeout(&self.0.addr.into(), PATIENCE)
            .expect("connecting");
        let tcp = TcpStream::from(socket);
        tcp.set_read_timeout(Some(PATIENCE)).unwrap();
        tcp
    }
}

/// Read from `tcp` until the server closes it or [`PATIENCE`] runs out;
/// what came and how long the connection lasted, `None` if still open.
fn read_until_closed(tcp: &mut TcpStream) -> (Vec<u8>, Option<Duration>) {
    let start = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0; 4096];
    while start.elapsed() < PATIENCE {
        match tcp.read(&mut buf) {
            Ok(0) => return (got, Some(start.elapsed())),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return (got, Some(start.elapsed())),
        }
    }
    (got, None)
}

/// Read until `needle` has come; panics on the end of the connection or
/// after [`PATIENCE`].
fn read_until(tcp: &mut TcpStream, needle: &str) -> String {
    let start = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0; 4096];
    while !String::from_utf8_lossy(&got).contains(needle) {
        assert!(start.elapsed() < PATIENCE, "no {needle:?} in {got:?}");
        match tcp.read(&mut buf) {
            Ok(0) => panic!(
                "closed before {needle:?}: {}",
                String::from_utf8_lossy(&got)
            ),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) => panic!("reading: {e}"),
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}

const GET: &[u8] = b"GET /events HTTP/1.1\r\nHost: test\r\n\r\n";

#[test]
fn a_head_trickled_a_byte_at_a_time_is_cut_off_at_the_header_timeout() {
    let server = Server::start(&["--header-timeout", "1"]);
    let mut tcp = server.connect_from(1);
    let mut writer = tcp.try_clone().unwrap();
    // A request line, then a header line that never ends, a byte every
    // 300 ms: each byte comes long before any per-read timeout would fire.
    let trickle = thread::spawn(move || {
        let head = b"GET /events HTTP/1.1\r\nX-Slow: ";
        for &byte in head.iter().chain(std::iter::repeat(&b'a')) {
            if writer.write_all(&[byte]).is_err() {
                return;
            }
            thread::sleep(Duration::from_millis(300));
        }
    });
    let (got, closed) = read_until_closed(&mut tcp);
    let lasted = closed.expect("the trickling connection is still open after 5 s");
    assert!(
        lasted >= Duration::from_millis(900),
        "closed early: {lasted:?}"
    );
    assert!(got.is_empty(), "{}", String::from_utf8_lossy(&got));
    let _ = tcp.shutdown(Shutdown::Both);
    trickle.join().unwrap();
}

#[test]
fn silent_and_idle_kept_alive_connections_are_closed() {
    let server = Server::start(&["--header-timeout", "0.5"]);
    let mut silent = server.connect_from(1);
    let (_, closed) = read_until_closed(&mut silent);
    let lasted = closed.expect("a connection that sends nothing is still open after 5 s");
    assert!(
        lasted >= Duration::from_millis(400),
        "closed early: {lasted:?}"
    );

    // One request answered and kept alive, then nothing.
    let mut idle = server.connect_from(1);
    idle.write_all(b"OPTIONS / HTTP/1.1\r\nHost: test\r\n\r\n")
        .unwrap();
    let (got, closed) = read_until_closed(&mut idle);
    let got = String::from_utf8_lossy(&got);
    assert!(got.starts_with("HTTP/1.1 405 "), "{got}");
    assert!(
        !got.to_ascii_lowercase().contains("connection: close"),
        "{got}"
    );
    closed.expect("an idle kept-alive connection is still open after 5 s");
}

#[test]
fn a_late_request_body_gets_408_and_a_large_one_413() {
    let server = Server::start(&["--body-timeout", "0.5"]);
    let mut late = server.connect_from(1);
    late.write_all(b"POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 10\r\n\r\n1")
        .unwrap();
    let (got, closed) = read_until_closed(&mut late);
    let got = String::from_utf8_lossy(&got);
    assert!(got.starts_with("HTTP/1.1 408 "), "{got}");
    closed.expect("closed after the 408");

    let mut large = server.connect_from(1);
    large
        .write_all(b"POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 1000000\r\n\r\n")
        .unwrap();
    let (got, _) = read_until_closed(&mut large);
    let got = String::from_utf8_lossy(&got);
    assert!(got.starts_with("HTTP/1.1 413 "), "{got}");

    // A body in time is read, and the connection serves the next request.
    let mut small = server.connect_from(1);
    small
        .write_all(b"POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n\r\nhello")
        .unwrap();
    read_until(&mut small, "\r\n\r\n");
    small.write_all(GET).unwrap();
    read_until(&mut small, "data: event 1\nid: 1\n\n");
}

#[test]
fn connections_over_the_per_address_cap_get_503_and_other_addresses_are_served() {
    let server = Server::start(&["--header-timeout", "1", "--max-connections-per-ip", "3"]);
    // Three streams from 127.0.0.1, held open by their responses.
    let streams: Vec<TcpStream> = (0..3)
        .map(|_| {
            let mut tcp = server.connect_from(1);
            tcp.write_all(GET).unwrap();
            read_until(&mut tcp, "data: event 1\nid: 1\n\n");
            tcp
        })
        .collect();
    let mut fourth = server.connect_from(1);
    let (got, closed) = read_until_closed(&mut fourth);
    let got = String::from_utf8_lossy(&got);
    assert!(
        got.starts_with("HTTP/1.1 503 Service Unavailable\r\n"),
        "{got}"
    );
    assert!(got.contains("Retry-After: 1\r\n"), "{got}");
    closed.expect("closed after the 503");

    let mut other = server.connect_from(2);
    other.write_all(GET).unwrap();
    let got = read_until(&mut other, "data: event 1\nid: 1\n\n");
    assert!(got.starts_with("HTTP/1.1 200 OK\r\n"), "{got}");

    // A slot freed is a slot taken again, once the server has seen the
    // streams end.
    drop(streams);
    let start = Instant::now();
    loop {
        let mut again = server.connect_from(1);
        again.write_all(GET).unwrap();
        let mut status = [0; 12];
        again.read_exact(&mut status).unwrap();
        if &status == b"HTTP/1.1 200" {
            read_until(&mut again, "data: event 1\nid: 1\n\n");
            break;
        }
        assert_eq!(&status, b"HTTP/1.1 503");
        assert!(start.elapsed() < PATIENCE, "no slot came free");
        thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_stream_outlasts_the_header_timeout() {
    let server = Server::start(&[
        "--header-timeout",
        "0.5",
        "--interval-ms",
        "300",
        "--count",
        "5",
    ]);
    let mut tcp = server.connect_from(1);
    tcp.write_all(GET).unwrap();
    let got = read_until(&mut tcp, "data: event 5\nid: 5\n\n");
    assert!(got.starts_with("HTTP/1.1 200 OK\r\n"), "{got}");
    assert!(got.contains("content-type: text/event-stream\r\n"), "{got}");
    for n in 1..=5 {
        assert!(
            got.contains(&format!("data: event {n}\nid: {n}\n\n")),
            "{got}"
        );
    }
}
