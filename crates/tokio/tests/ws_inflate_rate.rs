//! The budget of inflated bytes per second (`Options::max_inflate_rate`,
//! RFC 7692 §8.1): a peer sending messages that inflate a thousandfold is
//! read no faster than the budget allows, one that stays under it is not
//! slowed, and no budget means no pause. Time is tokio's paused clock, so
//! the figures are exact, whatever the machine's load.
#![cfg(feature = "deflate")]

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rtw_tokio::ws::{DEFAULT_MAX_INFLATE_RATE, Message, Options, WebSocketStream};
use rtw_ws::Role;
use rtw_ws::deflate::DeflateParams;
use tokio::io::DuplexStream;
use tokio::time::Instant;

const MIB: usize = 1 << 20;

fn pair(
    server_rate: Option<u64>,
) -> (WebSocketStream<DuplexStream>, WebSocketStream<DuplexStream>) {
    let (a, b) = tokio::io::duplex(1 << 20);
    let options = Options::default().negotiated_deflate(DeflateParams::default());
    let client = WebSocketStream::from_upgraded(a, Role::Client, options.clone()).unwrap();
    let server =
        WebSocketStream::from_upgraded(b, Role::Server, options.max_inflate_rate(server_rate))
            .unwrap();
    (client, server)
}

/// The client sends `count` messages of `size` zeros (each compresses to a
/// few hundred bytes); the seconds of tokio's clock until the server has
/// read them all.
async fn receive_time(server_rate: Option<u64>, count: usize, size: usize) -> f64 {
    let (mut client, mut server) = pair(server_rate);
    let sender = tokio::spawn(async move {
        for _ in 0..count {
            client.send(Message::binary(vec![0u8; size])).await.unwrap();
        }
        client
    });
    let t0 = Instant::now();
    for _ in 0..count {
        match server.next().await {
            Some(Ok(Message::Binary(b))) => assert_eq!(b.len(), size),
            other => panic!("expected a binary message, got {other:?}"),
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    drop(sender.await.unwrap());
    secs
}

#[tokio::test(start_paused = true)]
async fn a_peer_over_the_budget_is_read_at_its_rate() {
    // 1 MiB/s, a burst of one second: the first message is the burst, the
    // second overdraws it (read at once, then a pause of 1 s), then one a
    // second: the sixth is read after 4 s.
    let secs = receive_time(Some(MIB as u64), 6, MIB).await;
    assert!((4.0..4.5).contains(&secs), "{secs} s");
}

#[tokio::test(start_paused = true)]
async fn without_a_budget_nothing_waits() {
    let secs = receive_time(None, 6, MIB).await;
    assert!(secs < 0.01, "{secs} s");
}

#[tokio::test(start_paused = true)]
async fn the_default_budget_does_not_slow_ordinary_traffic() {
    assert_eq!(
        Options::default().max_inflate_rate,
        Some(DEFAULT_MAX_INFLATE_RATE)
    );
    // 32 MiB in 64 KiB messages: half a second's worth.
    let secs = receive_time(Some(DEFAULT_MAX_INFLATE_RATE), 512, 64 << 10).await;
    assert!(secs < 0.01, "{secs} s");
}

#[tokio::test(start_paused = true)]
async fn pings_wait_with_the_input_but_the_connection_lives_on() {
    // 3 MiB over a 1 MiB/s budget: 2 s of pause, well under the ping
    // interval, then a ping behind them is answered and the stream goes on.
    let (mut client, mut server) = pair(Some(MIB as u64));
    for _ in 0..3 {
        client.send(Message::binary(vec![0u8; MIB])).await.unwrap();
    }
    client.send(Message::Ping("after".into())).await.unwrap();
    client.send(Message::text("last")).await.unwrap();
    let t0 = Instant::now();
    let mut got = Vec::new();
    while got.len() < 5 {
        match server.next().await.unwrap().unwrap() {
            Message::Binary(b) => got.push(format!("{} bytes", b.len())),
            other => got.push(format!("{other:?}")),
        }
    }
    assert!(t0.elapsed() >= Duration::from_secs(1), "{:?}", t0.elapsed());
    assert_eq!(got[3], format!("{:?}", Message::Ping("after".into())));
    assert_eq!(got[4], format!("{:?}", Message::text("last")));
    let pong = tokio::spawn(async move { client.next().await });
    server.flush().await.unwrap();
    let answer = pong.await.unwrap().unwrap().unwrap();
    assert_eq!(answer, Message::Pong("after".into()));
}
