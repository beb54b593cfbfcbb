//! `rtw stomp broker` against abusive clients over TCP (STOMP 1.2 "ERROR"):
//! a connection over a cap is answered with an ERROR frame, and a topic
//! subscriber that never reads is closed as a slow consumer even though
//! the bytes queued for it can never be written.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::Running;

/// Connect and send CONNECT; the stream and the first frame it answers
/// (up to its NUL), or what came before EOF.
fn connect(addr: SocketAddr) -> (TcpStream, String) {
    let mut tcp = TcpStream::connect(addr).expect("connecting to the broker");
    tcp.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("a read timeout");
    tcp.write_all(b"CONNECT\naccept-version:1.2\nhost:h\n\n\0")
        .expect("sending CONNECT");
    let mut frame = Vec::new();
    let mut byte = [0];
    while let Ok(1) = tcp.read(&mut byte) {
        if byte[0] == 0 {
            break;
        }
        frame.push(byte[0]);
    }
    (tcp, String::from_utf8_lossy(&frame).into_owned())
}

/// The state of the broker's side of the connection from `client` (as
/// /proc/net/tcp writes it, `01` for ESTABLISHED), `None` once it is gone.
fn server_side_state(server: SocketAddr, client: SocketAddr) -> Option<String> {
    let table = std::fs::read_to_string("/proc/net/tcp").expect("reading /proc/net/tcp");
    let local = format!(":{:04X}", server.port());
    let remote = format!(":{:04X}", client.port());
    table.lines().skip(1).find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        (fields.len() > 3 && fields[1].ends_with(&local) && fields[2].ends_with(&remote))
            .then(|| fields[3].to_owned())
    })
}

#[test]
fn a_connection_over_the_cap_gets_an_error_frame_then_the_close() {
    let broker = Running::start(&[
        "stomp",
        "broker",
        "--tcp",
        "127.0.0.1:0",
        "--max-connections-per-ip",
        "1",
    ]);
    let (_first, connected) = connect(broker.addr);
    assert!(connected.starts_with("CONNECTED\n"), "{connected:?}");
    let (mut second, refused) = connect(broker.addr);
    assert!(refused.starts_with("ERROR\n"), "{refused:?}");
    assert!(
        refused.contains("message:too many connections"),
        "{refused:?}"
    );
    let mut rest = Vec::new();
    let _ = second.read_to_end(&mut rest);
    assert!(rest.is_empty(), "after the ERROR frame: {rest:?}");
}

#[test]
fn a_subscriber_that_never_reads_is_closed_while_a_publisher_floods() {
    let broker = Running::start(&[
        "stomp",
        "broker",
        "--tcp",
        "127.0.0.1:0",
        "--max-unsent-bytes",
        "65536",
    ]);
    let (mut subscriber, connected) = connect(broker.addr);
    assert!(connected.starts_with("CONNECTED\n"), "{connected:?}");
    subscriber
        .write_all(b"SUBSCRIBE\nid:0\ndestination:/topic/flood\n\n\0")
        .expect("subscribing");
    let (mut publisher, _) = connect(broker.addr);
    publisher
        .set_write_timeout(Some(Duration::from_secs(2)))
        .expect("a write timeout");
    // The subscriber never reads: the kernel's buffers fill, then the
    // broker's count of unsent bytes passes the cap.
    let stop = Arc::new(AtomicBool::new(false));
    let flood = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let body = vec![b'x'; 16 * 1024];
            let mut frame = b"SEND\ndestination:/topic/flood\n\n".to_vec();
            frame.extend_from_slice(&body);
            frame.push(0);
            while !stop.load(Ordering::Relaxed) {
                if publisher.write_all(&frame).is_err() {
                    break;
                }
            }
        })
    };
    let client = subscriber.local_addr().expect("the subscriber's address");
    let start = Instant::now();
    let mut state = server_side_state(broker.addr, client);
    while state.as_deref() == Some("01") && start.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(100));
        state = server_side_state(broker.addr, client);
    }
    stop.store(true, Ordering::Relaxed);
    flood.join().expect("the publisher thread");
    assert_ne!(
        state.as_deref(),
        Some("01"),
        "the broker still holds the subscriber's connection after {:?}",
        start.elapsed()
    );
}
