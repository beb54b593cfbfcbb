//! SIGTERM drains every `rtw` server gracefully: each real binary is
//! started, clients of each kind connect, `kill -TERM` is sent, and the
//! test checks what each client sees (WebSocket close 1001, the last
//! chunk of streamed bodies, long polls answered, STOMP receipts then
//! ERROR, ...), that the listener refuses new connections at once, that
//! nothing acknowledged before the signal is lost to connected
//! subscribers, and that the process exits 0 within the grace period.

mod common;
mod drain_support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use rtw_tokio::ws::Message;

use drain_support::*;

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
    carries_all(&sse, &acknowledged, |id, body| {
        format!("data: {body}\nid: {id}\n")
    });
    let stream = stream.join().unwrap();
    assert!(stream.ends_with("0\r\n\r\n"), "{stream:?}");
    carries_all(&stream, &acknowledged, |id, _| format!("{{\"id\":{id},"));
    let iframe = iframe.join().unwrap();
    assert!(iframe.ends_with("0\r\n\r\n"), "{iframe:?}");
    carries_all(&iframe, &acknowledged, |id, _| format!("\"id\":{id},"));
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

/// Asserts that `text` (a transport's whole answer) carries every
/// acknowledged message, as `expect` writes its id and body there.
fn carries_all<I: std::fmt::Display, B>(
    text: &str,
    acknowledged: &[(I, B)],
    expect: impl Fn(&I, &B) -> String,
) {
    for (id, body) in acknowledged {
        assert!(text.contains(&expect(id, body)), "id {id}: {text:?}");
    }
}
