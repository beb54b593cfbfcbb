//! Backpressure: a peer that reads nothing makes sending wait instead of
//! buffering without bound, while reading goes on; once the peer reads,
//! everything arrives.
#![cfg(feature = "ws")]

mod ws_support;

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rtw_tokio::ws::{Config, Limits, Message, Options};
use rtw_ws::frame::OpCode;
use tokio::sync::oneshot;
use ws_support::{RawClient, close_payload, serve_one, within};

const LIMIT: usize = 64 * 1024;
const PIECE: usize = 16 * 1024;

#[tokio::test]
async fn a_peer_that_does_not_read_makes_send_wait_with_bounded_memory() {
    let options =
        Options::with_config(Config::default().limits(Limits::default().max_write_buffer(LIMIT)));
    let (blocked_tx, blocked_rx) = oneshot::channel();
    let (addr, server) = serve_one(options, move |ws| async move {
        let (mut reader, mut writer) = ws.split();
        let piece = Message::binary(vec![7u8; PIECE]);
        let mut sent = 0usize;
        let mut max_buffered = 0;
        loop {
            assert!(sent < 64 << 20, "sent 64 MiB to a peer that reads nothing");
            let feed = tokio::time::timeout(Duration::from_millis(300), writer.feed(piece.clone()));
            match feed.await {
                Ok(result) => {
                    result.unwrap();
                    sent += 1;
                    max_buffered = max_buffered.max(writer.buffered_amount());
                }
                Err(_) => break,
            }
        }
        // Bounded: under the limit before each message, plus that message
        // and its header.
        assert!(max_buffered <= LIMIT + PIECE + 14, "{max_buffered}");
        blocked_tx.send(sent).unwrap();
        // Reading goes on while the writer cannot.
        let m = within("a message while the writer waits", reader.next()).await;
        assert_eq!(m.unwrap().unwrap(), Message::text("still reading?"));
        within("flush once the peer reads", writer.flush())
            .await
            .unwrap();
        within("close", writer.close()).await.unwrap();
        let rest: Vec<_> = reader.collect().await;
        assert!(
            matches!(&rest[..], [Ok(Message::Close(Some(_)))]),
            "{rest:?}"
        );
    })
    .await;

    let mut raw = RawClient::connect(addr).await;
    let sent = within("the server to block", blocked_rx).await.unwrap();
    assert!(sent > 0);
    raw.send(OpCode::Text, true, b"still reading?", true).await;
    for i in 0..sent {
        let (first, payload) = raw.frame().await;
        assert_eq!((first, payload.len()), (0x82, PIECE), "message {i}");
    }
    let (first, payload) = raw.frame().await;
    assert_eq!((first, payload), (0x88, close_payload(1000, "")));
    raw.send(OpCode::Close, true, &close_payload(1000, ""), true)
        .await;
    raw.eof().await;
    within("server", server).await.unwrap();
}

#[tokio::test]
async fn poll_ready_does_not_write_while_there_is_room() {
    let (addr, server) = serve_one(Options::default(), |mut ws| async move {
        ws.feed(Message::text("queued")).await.unwrap();
        // Not written yet: nothing forced it.
        let queued = ws.buffered_amount();
        ws.flush().await.unwrap();
        (queued, ws.buffered_amount())
    })
    .await;
    let mut raw = RawClient::connect(addr).await;
    let (first, payload) = raw.frame().await;
    assert_eq!((first, payload.as_slice()), (0x81, &b"queued"[..]));
    let (queued, after) = within("server", server).await.unwrap();
    assert_eq!((queued, after), (8, 0));
}
