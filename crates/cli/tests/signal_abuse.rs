//! `rtw signal serve`'s connection caps hold for upgraded WebSocket
//! sessions: hyper hands an upgraded stream over and ends the HTTP
//! connection, and the listener's slot must go with the stream.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use common::Running;

/// Send a WebSocket upgrade for /signal (RFC 6455 §4.1); the stream and
/// the status code of the answer.
fn upgrade(addr: SocketAddr) -> (TcpStream, String) {
    let mut tcp = TcpStream::connect(addr).expect("connecting to the server");
    tcp.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("a read timeout");
    let request = format!(
        "GET /signal HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    tcp.write_all(request.as_bytes())
        .expect("sending the upgrade");
    let mut head = Vec::new();
    let mut byte = [0];
    while !head.ends_with(b"\r\n\r\n") {
        match tcp.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let status = head.split(' ').nth(1).unwrap_or("none").to_owned();
    (tcp, status)
}

#[test]
fn upgraded_sessions_count_against_the_connection_caps() {
    let server = Running::start(&[
        "signal",
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--max-connections-per-ip",
        "2",
    ]);
    // One after the other: each upgrade is done before the next starts.
    let (_first, status) = upgrade(server.addr);
    assert_eq!(status, "101");
    let (_second, status) = upgrade(server.addr);
    assert_eq!(status, "101");
    let (_third, status) = upgrade(server.addr);
    assert_eq!(status, "503", "a third session from the same address");
    drop(_first);
    // The slot comes back once a session ends.
    let mut status = String::new();
    for _ in 0..50 {
        let (_again, again) = upgrade(server.addr);
        status = again;
        if status == "101" {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(status, "101", "after a session ended");
}
