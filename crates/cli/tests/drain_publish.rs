//! SIGTERM while publishers go on over every path of `rtw serve` (topic
//! WebSocket texts, `/stomp` SENDs with receipts, Socket.IO `publish` with
//! acks): nothing is taken once it drains, and what was taken reaches every
//! subscriber (SSE, topic WebSocket, Socket.IO) that was connected.

mod common;
mod drain_support;

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rtw_tokio::ws::Message;

use drain_support::*;

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
