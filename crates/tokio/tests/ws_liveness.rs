//! Liveness in virtual time: a peer that vanished (half-open TCP: it
//! neither reads nor answers) is found by the keep-alive ping and dropped,
//! whether the application is reading or blocked sending to it; a peer that
//! answers stays.
#![cfg(feature = "ws")]

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rtw_tokio::ws::{Config, Limits, Message, Options, OsRandom, WsError, client_from_stream};
use rtw_ws::handshake::ClientHandshake;
use tokio::io::DuplexStream;
use tokio::time::Instant;

/// A server stream and a client stream over one in-memory pipe of
/// `capacity` bytes each way.
async fn connected(
    capacity: usize,
    server_options: Options,
) -> (
    rtw_tokio::ws::WebSocketStream<DuplexStream>,
    rtw_tokio::ws::WebSocketStream<DuplexStream>,
) {
    let (client_io, server_io) = tokio::io::duplex(capacity);
    let server = tokio::spawn(async move {
        let handshake = rtw_ws::handshake::ServerHandshake::new();
        rtw_tokio::ws::accept_with(server_io, &handshake, server_options)
            .await
            .unwrap()
            .0
    });
    let handshake =
        ClientHandshake::new("example.com", "/", &mut OsRandom::new().unwrap()).unwrap();
    let (client, _) = client_from_stream(client_io, &handshake, Options::default())
        .await
        .unwrap();
    (server.await.unwrap(), client)
}

fn is_ping_timeout(item: &Option<Result<Message, WsError>>) -> bool {
    matches!(
        item,
        Some(Err(WsError::Ws(rtw_ws::Error::PingTimeout { .. })))
    )
}

#[tokio::test(start_paused = true)]
async fn a_reader_finds_a_vanished_peer_after_ping_interval_and_timeout() {
    let (mut server, _client) = connected(64 * 1024, Options::default()).await;
    // The client is never polled again: it reads nothing, answers nothing.
    let start = Instant::now();
    let first = server.next().await;
    let elapsed = start.elapsed();
    assert!(is_ping_timeout(&first), "{first:?}");
    assert!(
        (Duration::from_secs(60)..Duration::from_secs(61)).contains(&elapsed),
        "{elapsed:?}"
    );
    // Then the stream closes the transport, bounded by the linger time.
    assert!(server.next().await.is_none());
    assert!(start.elapsed() < Duration::from_secs(63));
}

#[tokio::test(start_paused = true)]
async fn a_sender_blocked_on_a_peer_that_does_not_read_is_released_too() {
    let options = Options::with_config(
        Config::default().limits(Limits::default().max_write_buffer(8 * 1024)),
    );
    let (mut server, _client) = connected(4 * 1024, options).await;
    let start = Instant::now();
    let error = loop {
        match server.send(Message::binary(vec![1u8; 1024])).await {
            Ok(()) => assert!(start.elapsed() < Duration::from_secs(120)),
            Err(e) => break e,
        }
    };
    let elapsed = start.elapsed();
    // Blocked from the start: the peer read none of it; the ping is queued
    // behind the data, and nothing comes back. The connection fails at
    // 60 s; what was left to write gets close_timeout (5 s) more.
    assert!(
        matches!(&error, WsError::Io(e) if e.kind() == std::io::ErrorKind::TimedOut)
            || matches!(error, WsError::Ws(rtw_ws::Error::Closed)),
        "{error:?}"
    );
    assert!(
        (Duration::from_secs(60)..Duration::from_secs(66)).contains(&elapsed),
        "{elapsed:?}"
    );
    // What is left cannot be written: closing gives up after close_timeout
    // instead of waiting for the peer forever.
    let _ = server.close().await;
    assert!(start.elapsed() < Duration::from_secs(60 + 5 + 5 + 2));
}

#[tokio::test(start_paused = true)]
async fn a_peer_that_answers_pings_stays_connected() {
    let (mut server, mut client) = connected(64 * 1024, Options::default()).await;
    // The client reads (and so answers pings) in its own task.
    let reader = tokio::spawn(async move {
        let mut pings = 0;
        while let Some(Ok(m)) = client.next().await {
            if let Message::Ping(_) = m {
                pings += 1;
            }
        }
        pings
    });
    // Ten quiet minutes: pings go both ways, every one is answered.
    let end = Instant::now() + Duration::from_secs(600);
    let mut pongs = 0;
    while let Ok(item) = tokio::time::timeout_at(end, server.next()).await {
        match item {
            Some(Ok(Message::Pong(_))) => pongs += 1,
            Some(Ok(Message::Ping(_))) => {}
            other => panic!("{other:?}"),
        }
    }
    assert!(pongs >= 9, "{pongs}");
    server.close().await.unwrap();
    assert!(reader.await.unwrap() >= 9);
}

#[tokio::test(start_paused = true)]
async fn an_unfinished_message_ends_the_connection_at_its_deadline() {
    let options =
        Options::with_config(Config::default().message_timeout(Some(Duration::from_secs(2))));
    let (mut server, client) = connected(64 * 1024, options).await;
    // The client's first fragment arrives with the server already waiting
    // for input: the deadline it starts must re-arm the server's timer.
    let reading = tokio::spawn(async move {
        let start = Instant::now();
        (server.next().await, start.elapsed())
    });
    tokio::task::yield_now().await;
    let mut client = client;
    let frame = {
        let mut b = bytes::BytesMut::new();
        rtw_ws::frame::encode_frame(
            &mut b,
            rtw_ws::frame::OpCode::Binary,
            false,
            0,
            Some([1, 2, 3, 4]),
            &[0; 100],
        );
        b
    };
    use tokio::io::AsyncWriteExt;
    client.get_mut().write_all(&frame).await.unwrap();
    let (item, elapsed) = reading.await.unwrap();
    assert!(
        matches!(
            item,
            Some(Err(WsError::Ws(rtw_ws::Error::MessageTimeout { .. })))
        ),
        "{item:?}"
    );
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
}
