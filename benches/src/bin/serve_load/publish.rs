//! The publisher: POSTs `SEQ MICROS` bodies (the sequence number from 1,
//! and [`now_micros`] just before the request is written) to one node on
//! one kept-alive connection, at a fixed rate; a tick missed while a POST
//! was slow is made up at once (`MissedTickBehavior::Burst`), so the
//! achieved rate says how far the server held the asked one.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::{Buf, BytesMut};
use rtw_benches::process::Failure;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::histogram::Histogram;
use crate::worker::{now_micros, read_head};

/// What the publisher measured.
#[derive(Debug)]
pub(crate) struct Published {
    /// From the first POST to the last answer.
    pub(crate) elapsed: Duration,
    /// Each POST's round trip, microseconds.
    pub(crate) round_trip: Histogram,
}

/// POSTs `messages` messages to `/topics/TOPIC` of `addr`, `rate` a second.
pub(crate) async fn publish(
    addr: SocketAddr,
    topic: &str,
    messages: u64,
    rate: u64,
) -> Result<Published, Failure> {
    let mut tcp = TcpStream::connect(addr).await?;
    tcp.set_nodelay(true)?;
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate as f64));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut buf = BytesMut::with_capacity(1024);
    let round_trip = Histogram::default();
    let start = Instant::now();
    for seq in 1..=messages {
        tick.tick().await;
        let sent = Instant::now();
        let body = format!("{seq} {}", now_micros());
        let request = format!(
            "POST /topics/{topic} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        tcp.write_all(request.as_bytes()).await?;
        let head = read_head(&mut tcp, &mut buf).await?;
        if !head.starts_with("HTTP/1.1 200") {
            return Err(format!("POST {seq}: {}", head.lines().next().unwrap_or("")).into());
        }
        let length = head
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse::<usize>().ok())?
            })
            .ok_or("POST: the answer has no Content-Length")?;
        while buf.len() < length {
            if tcp.read_buf(&mut buf).await? == 0 {
                return Err("POST: the server closed".into());
            }
        }
        buf.advance(length);
        round_trip.record(u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX));
    }
    Ok(Published {
        elapsed: start.elapsed(),
        round_trip,
    })
}
