//! `rtw signal serve` on loopback, spoken to with rtw's WebSocket client:
//! two peers join a room, see each other, pass an offer, an answer, a
//! candidate and application data; errors for unknown peers and bad
//! messages; a peer that does not join in time is closed with 1008; the
//! demo page; and with `--stun` and `--turn`, the `iceServers` a peer is
//! handed work: the STUN server answers a Binding request and the TURN
//! server grants an allocation with the TURN REST credentials.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::Running;
use futures_util::{SinkExt, StreamExt};
use rtw_tokio::ws::{Message, WebSocketStream};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const WAIT: Duration = Duration::from_secs(10);

type Ws = WebSocketStream<TcpStream>;

async fn connect(server: SocketAddr) -> Ws {
    let (ws, _) = rtw_tokio::ws::connect(&format!("ws://{server}/signal"))
        .await
        .expect("WebSocket upgrade at /signal");
    ws
}

async fn send(ws: &mut Ws, message: Value) {
    ws.send(Message::text(message.to_string())).await.unwrap();
}

/// The next text message as JSON (pings and pongs skipped).
async fn next(ws: &mut Ws) -> Value {
    loop {
        let message = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("a message within the wait")
            .expect("the connection is open")
            .expect("a valid frame");
        if let Message::Text(text) = message {
            return serde_json::from_str(text.as_str()).expect("JSON from the server");
        }
    }
}

async fn join(server: SocketAddr, room: &str, peer: &str) -> (Ws, Value) {
    let mut ws = connect(server).await;
    send(&mut ws, json!({"type": "join", "room": room, "peer": peer})).await;
    let joined = next(&mut ws).await;
    assert_eq!(joined["type"], "joined", "{joined}");
    (ws, joined)
}

fn serve(extra: &[&str]) -> Running {
    let args: Vec<&str> = [&["signal", "serve", "--listen", "127.0.0.1:0"][..], extra].concat();
    Running::start(&args)
}

#[tokio::test]
async fn two_peers_meet_and_pass_offer_answer_candidates_and_data() {
    let server = serve(&[]);
    let (mut alice, joined) = join(server.addr, "room-1", "alice").await;
    assert_eq!(joined["peers"], json!([]));
    assert_eq!(joined["resumed"], false);
    assert!(
        joined["resume"].as_str().is_some_and(|t| t.len() >= 22),
        "{joined}"
    );

    let (mut bob, joined) = join(server.addr, "room-1", "bob").await;
    assert_eq!(joined["peers"], json!(["alice"]));
    assert_eq!(
        next(&mut alice).await,
        json!({"type": "peer-joined", "peer": "bob"})
    );

    let offer = json!({"type": "offer", "to": "alice", "sdp": "v=0\r\n"});
    send(&mut bob, offer).await;
    assert_eq!(
        next(&mut alice).await,
        json!({"type": "offer", "to": "alice", "from": "bob", "sdp": "v=0\r\n"})
    );
    let candidate = json!({"candidate": "candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host",
                           "sdpMid": "0", "sdpMLineIndex": 0});
    send(
        &mut alice,
        json!({"type": "answer", "to": "bob", "sdp": "v=0\r\n"}),
    )
    .await;
    send(
        &mut alice,
        json!({"type": "candidate", "to": "bob", "candidate": candidate}),
    )
    .await;
    send(
        &mut alice,
        json!({"type": "end-of-candidates", "to": "bob"}),
    )
    .await;
    assert_eq!(next(&mut bob).await["type"], "answer");
    let got = next(&mut bob).await;
    assert_eq!(got["candidate"], candidate);
    assert_eq!(got["from"], "alice");
    assert_eq!(
        next(&mut bob).await,
        json!({"type": "end-of-candidates", "to": "bob", "from": "alice"})
    );

    // To the room: everyone else, with no `to`.
    send(
        &mut bob,
        json!({"type": "data", "data": {"chat": "hi all"}}),
    )
    .await;
    assert_eq!(
        next(&mut alice).await,
        json!({"type": "data", "from": "bob", "data": {"chat": "hi all"}})
    );

    // Errors name the rule and the refused message.
    send(
        &mut bob,
        json!({"type": "offer", "to": "carol", "sdp": "v=0\r\n"}),
    )
    .await;
    let error = next(&mut bob).await;
    assert_eq!(
        (&error["type"], &error["code"]),
        (&json!("error"), &json!("unknown-peer")),
        "{error}"
    );
    bob.send(Message::text("not json")).await.unwrap();
    assert_eq!(next(&mut bob).await["code"], "bad-message");

    // Leaving is presence for the others.
    send(&mut bob, json!({"type": "leave"})).await;
    assert_eq!(
        next(&mut alice).await,
        json!({"type": "peer-left", "peer": "bob", "reason": "left"})
    );
}

#[tokio::test]
async fn a_peer_that_does_not_join_in_time_is_closed_with_1008() {
    let server = serve(&["--join-timeout", "0.3"]);
    let mut ws = connect(server.addr).await;
    let closed = tokio::time::timeout(WAIT, async {
        while let Some(message) = ws.next().await {
            if let Ok(Message::Close(frame)) = message {
                return frame.map(|f| f.code.0);
            }
        }
        None
    })
    .await
    .expect("closed within the wait");
    assert_eq!(closed, Some(1008));
}

/// The whole response to `GET path` on a connection of its own.
async fn get(server: SocketAddr, path: &str) -> String {
    let mut tcp = TcpStream::connect(server).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    tcp.read_to_string(&mut response).await.unwrap();
    response
}

#[tokio::test]
async fn the_demo_page_is_at_the_root_and_other_paths_are_404() {
    // `rtw signal --listen` is short for `rtw signal serve --listen`.
    let server = Running::start(&["signal", "--listen", "127.0.0.1:0"]);
    let page = get(server.addr, "/").await;
    assert!(page.starts_with("HTTP/1.1 200"), "{page:.100}");
    assert!(
        page.contains("text/html")
            && page.contains("/signal")
            && page.contains("RTCPeerConnection")
    );
    assert!(get(server.addr, "/nope").await.starts_with("HTTP/1.1 404"));
    // A plain GET of /signal is not an upgrade: refused by the handshake.
    assert!(get(server.addr, "/signal").await.starts_with("HTTP/1.1 4"));
}

#[tokio::test]
async fn the_ice_servers_handed_out_answer_stun_and_grant_turn_allocations() {
    let server = serve(&[
        "--stun",
        "127.0.0.1:0",
        "--turn",
        "127.0.0.1:0",
        "--turn-secret",
        "s3cret",
    ]);
    let (_ws, joined) = join(server.addr, "r", "carol").await;
    let servers = joined["iceServers"].as_array().expect("iceServers");
    let url = |scheme: &str| {
        servers
            .iter()
            .find_map(|s| {
                let first = s["urls"][0].as_str()?;
                first.starts_with(scheme).then(|| s.clone())
            })
            .unwrap_or_else(|| panic!("no {scheme} server in {servers:?}"))
    };
    let stun = url("stun:");
    let stun_addr: SocketAddr = stun["urls"][0].as_str().unwrap()["stun:".len()..]
        .parse()
        .unwrap();
    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mapped = rtw_tokio::stun::binding(&socket, stun_addr).await.unwrap();
    assert_eq!(mapped, socket.local_addr().unwrap());

    let turn = url("turn:");
    let first = turn["urls"][0].as_str().unwrap();
    let turn_addr: SocketAddr = first["turn:".len()..first.find('?').unwrap()]
        .parse()
        .unwrap();
    let username = turn["username"].as_str().unwrap();
    let (expiry, peer) = username.split_once(':').unwrap();
    assert_eq!(peer, "carol");
    assert!(expiry.parse::<u64>().is_ok(), "{username}");
    let config = rtw_tokio::turn::ClientConfig::new(username, turn["credential"].as_str().unwrap());
    let client = tokio::time::timeout(WAIT, rtw_tokio::turn::Client::allocate(turn_addr, config))
        .await
        .unwrap()
        .expect("the TURN server takes the REST credentials");
    assert_eq!(client.relayed_address().ip(), turn_addr.ip());
}

#[tokio::test]
async fn a_peer_that_does_not_read_is_cut_off_and_the_others_go_on() {
    let server = serve(&[
        "--outbox-bytes",
        "200000",
        "--rate",
        "100000",
        "--reconnect-grace",
        "0.3",
    ]);
    let (mut alice, _) = join(server.addr, "r", "alice").await;
    // `slow` joins, then never reads again.
    let (_slow, _) = join(server.addr, "r", "slow").await;
    assert_eq!(next(&mut alice).await["peer"], "slow");
    let filler = "x".repeat(60_000);
    // 24 MB: more than the kernel's socket buffers, rtw-ws's 1 MiB write
    // buffer and the 200 kB outbox hold.
    for _ in 0..400 {
        send(
            &mut alice,
            json!({"type": "data", "to": "slow", "data": filler}),
        )
        .await;
    }
    // Cut off, then gone once its grace period passes; alice is served
    // all along.
    loop {
        let message = next(&mut alice).await;
        if message["type"] == "peer-left" {
            assert_eq!(
                message,
                json!({"type": "peer-left", "peer": "slow", "reason": "closed"})
            );
            break;
        }
        // Messages sent after the cut-off name a peer that is away: kept
        // for it (bounded), or refused once it has left.
        assert_eq!(message["type"], "error", "{message:.200}");
    }
    send(&mut alice, json!({"type": "bye", "to": "slow"})).await;
    assert_eq!(next(&mut alice).await["code"], "unknown-peer");
}
