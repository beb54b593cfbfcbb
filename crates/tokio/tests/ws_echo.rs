//! Round trips through our client and server over loopback TCP: text and
//! binary, small and large, pings, and the closing handshake from either
//! side (RFC 6455 §5.5, §7).
#![cfg(feature = "ws")]

mod ws_support;

use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use rtw_tokio::ws::{CloseCode, CloseFrame, Message, Options, WsError, connect};
use rtw_ws::{Random, SeededRandom};
use ws_support::{echo, serve_one, url, within};

/// A deterministic payload of `len` bytes (the workspace's one seeded
/// generator, `rtw_core::SeededRandom`).
fn payload(len: usize) -> Bytes {
    let mut bytes = vec![0; len];
    SeededRandom::new(0x1234_5678).fill_bytes(&mut bytes);
    bytes.into()
}

fn messages(seen: &[Result<Message, WsError>]) -> Vec<&Message> {
    seen.iter().map(|r| r.as_ref().expect("no error")).collect()
}

#[tokio::test]
async fn text_and_binary_small_and_large_echo_whole() {
    let (addr, server) = serve_one(Options::default(), echo).await;
    let (mut ws, _) = within("connect", connect(&url(addr))).await.unwrap();
    let big_text: String = "héllo wörld ".repeat(5 * 1024 * 1024 / 14);
    let sent = vec![
        Message::text("hello"),
        Message::binary(Bytes::from_static(b"\x00\x01\x02")),
        Message::text(""),
        Message::binary(payload(5 << 20)),
        Message::text(big_text),
        Message::binary(Bytes::new()),
    ];
    for m in &sent {
        within("send", ws.send(m.clone())).await.unwrap();
        let back = within("echo", ws.next()).await.unwrap().unwrap();
        assert!(
            back == *m,
            "echo differs for a message of kind {:?}",
            std::mem::discriminant(m)
        );
    }
    within("close", ws.close()).await.unwrap();
    assert_eq!(
        ws.next().await.unwrap().unwrap(),
        Message::Close(Some(CloseFrame::new(CloseCode::NORMAL, ""))),
        "the server's reply stays queued for the stream"
    );
    assert!(ws.next().await.is_none(), "then the stream ends");
    let seen = within("server end", server).await.unwrap();
    let got = messages(&seen);
    assert_eq!(
        got.len(),
        sent.len() + 1,
        "every message, then the close frame"
    );
    assert!(got.iter().zip(&sent).all(|(a, b)| *a == b));
    assert_eq!(
        got.last().unwrap(),
        &&Message::Close(Some(CloseFrame::new(CloseCode::NORMAL, "")))
    );
}

#[tokio::test]
async fn many_messages_pipelined_with_feed_arrive_in_order() {
    let (addr, server) = serve_one(Options::default(), echo).await;
    let (ws, _) = within("connect", connect(&url(addr))).await.unwrap();
    let (mut reader, mut writer) = ws.split();
    let count = 2000usize;
    let sending = tokio::spawn(async move {
        for i in 0..count {
            writer.feed(Message::text(i.to_string())).await.unwrap();
        }
        writer.flush().await.unwrap();
        writer
    });
    for i in 0..count {
        let m = within("echo", reader.next()).await.unwrap().unwrap();
        assert_eq!(m, Message::text(i.to_string()));
    }
    let mut writer = within("sender", sending).await.unwrap();
    within("close", writer.close()).await.unwrap();
    assert!(matches!(
        within("close reply", reader.next()).await,
        Some(Ok(Message::Close(_)))
    ));
    assert!(within("end", reader.next()).await.is_none());
    within("server end", server).await.unwrap();
}

#[tokio::test]
async fn a_ping_is_answered_with_its_payload() {
    let (addr, server) = serve_one(Options::default(), echo).await;
    let (mut ws, _) = within("connect", connect(&url(addr))).await.unwrap();
    ws.send(Message::Ping(Bytes::from_static(b"are you there")))
        .await
        .unwrap();
    let pong = within("pong", ws.next()).await.unwrap().unwrap();
    assert_eq!(pong, Message::Pong(Bytes::from_static(b"are you there")));
    ws.close().await.unwrap();
    let seen = within("server end", server).await.unwrap();
    assert_eq!(
        messages(&seen)[0],
        &Message::Ping(Bytes::from_static(b"are you there")),
        "the server's stream shows the ping it answered"
    );
}

#[tokio::test]
async fn client_closes_with_a_code_and_the_server_closes_tcp_first() {
    // A long linger: if the client had to wait for it, the server did not
    // close TCP first (RFC 6455 §7.1.1).
    let mut options = Options::default();
    options.config.linger = Duration::from_secs(8);
    let (addr, server) = serve_one(Options::default(), echo).await;
    let (mut ws, _) = within(
        "connect",
        rtw_tokio::ws::connect_with(
            &url(addr),
            rtw_tokio::ws::ClientOptions::new().stream_options(options),
        ),
    )
    .await
    .unwrap();
    let started = Instant::now();
    ws.send(Message::Close(Some(CloseFrame::new(
        CloseCode(4001),
        "done",
    ))))
    .await
    .unwrap();
    assert_eq!(ws.state(), rtw_tokio::ws::State::Closing);
    assert!(
        ws.send(Message::text("late")).await.is_err(),
        "no data after our close frame"
    );
    let reply = within("close reply", ws.next()).await.unwrap().unwrap();
    assert_eq!(
        reply,
        Message::Close(Some(CloseFrame::new(CloseCode(4001), "")))
    );
    assert!(within("end", ws.next()).await.is_none());
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "took {:?}",
        started.elapsed()
    );
    let seen = within("server end", server).await.unwrap();
    assert_eq!(
        messages(&seen),
        [&Message::Close(Some(CloseFrame::new(
            CloseCode(4001),
            "done"
        )))]
    );
}

#[tokio::test]
async fn server_closes_with_a_code_and_both_streams_end() {
    let (addr, server) = serve_one(Options::default(), |mut ws| async move {
        ws.send(Message::text("bye soon")).await.unwrap();
        ws.send(Message::Close(Some(CloseFrame::new(
            CloseCode::GOING_AWAY,
            "restart",
        ))))
        .await
        .unwrap();
        let mut seen = Vec::new();
        while let Some(m) = within("server read", ws.next()).await {
            seen.push(m.unwrap());
        }
        seen
    })
    .await;
    // As above: a long linger the client must not need.
    let mut options = Options::default();
    options.config.linger = Duration::from_secs(8);
    let (mut ws, _) = within(
        "connect",
        rtw_tokio::ws::connect_with(
            &url(addr),
            rtw_tokio::ws::ClientOptions::new().stream_options(options),
        ),
    )
    .await
    .unwrap();
    assert_eq!(ws.next().await.unwrap().unwrap(), Message::text("bye soon"));
    assert_eq!(
        within("close", ws.next()).await.unwrap().unwrap(),
        Message::Close(Some(CloseFrame::new(CloseCode::GOING_AWAY, "restart")))
    );
    assert_eq!(ws.state(), rtw_tokio::ws::State::Closed);
    let started = Instant::now();
    assert!(within("end", ws.next()).await.is_none());
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "the server closed TCP at once"
    );
    let seen = within("server end", server).await.unwrap();
    assert_eq!(
        seen,
        [Message::Close(Some(CloseFrame::new(
            CloseCode::GOING_AWAY,
            ""
        )))],
        "the client echoed the code"
    );
}

#[tokio::test]
async fn sink_close_from_the_server_side() {
    let (addr, server) = serve_one(Options::default(), |mut ws| async move {
        within("server close", ws.close()).await.unwrap();
        ws.next().await
    })
    .await;
    let (mut ws, _) = within("connect", connect(&url(addr))).await.unwrap();
    assert_eq!(
        within("close", ws.next()).await.unwrap().unwrap(),
        Message::Close(Some(CloseFrame::new(CloseCode::NORMAL, "")))
    );
    assert!(within("end", ws.next()).await.is_none());
    let after = within("server end", server).await.unwrap();
    assert!(
        matches!(after, Some(Ok(Message::Close(Some(ref f)))) if f.code == CloseCode::NORMAL),
        "the reply stays queued for the stream: {after:?}"
    );
}
