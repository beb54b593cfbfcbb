//! The publisher: POSTs `SEQ MICROS` bodies (the sequence number from 1,
//! and [`now_micros`] just before the request is written) to one node at a
//! fixed rate, open loop: a POST whose answer has not come yet does not
//! hold the next one back, which goes out on another kept-alive connection
//! (up to `--publishers` of them, opened as needed). Only when all are
//! busy does the publisher wait, and a tick missed then is made up at once
//! (`MissedTickBehavior::Burst`), so the achieved rate says how far the
//! server held the asked one. With more than one POST in flight the hub
//! may order two messages otherwise than their numbers; the subscribers
//! check the hub's order (ids) and that each number comes once.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Buf, BytesMut};
use rtw_benches::process::Failure;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::histogram::Histogram;
use crate::worker::{now_micros, read_head};

/// What the publisher measured.
#[derive(Debug)]
pub(crate) struct Published {
    /// From the first POST to the last answer.
    pub(crate) elapsed: Duration,
    /// Each POST's round trip, microseconds.
    pub(crate) round_trip: Arc<Histogram>,
    /// Connections it needed.
    pub(crate) connections: usize,
}

/// One kept-alive connection to the node.
struct Connection {
    tcp: TcpStream,
    buf: BytesMut,
}

impl Connection {
    async fn open(addr: SocketAddr) -> Result<Connection, Failure> {
        let tcp = TcpStream::connect(addr).await?;
        tcp.set_nodelay(true)?;
        Ok(Connection {
            tcp,
            buf: BytesMut::with_capacity(1024),
        })
    }

    /// POSTs `body` to `/topics/TOPIC` and reads the whole answer, which
    /// must be 200.
    async fn post(&mut self, addr: SocketAddr, topic: &str, body: &str) -> Result<(), Failure> {
        let request = format!(
            "POST /topics/{topic} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        self.tcp.write_all(request.as_bytes()).await?;
        let head = read_head(&mut self.tcp, &mut self.buf).await?;
        if !head.starts_with("HTTP/1.1 200") {
            return Err(format!("POST: {}", head.lines().next().unwrap_or("")).into());
        }
        let length = head
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse::<usize>().ok())?
            })
            .ok_or("POST: the answer has no Content-Length")?;
        while self.buf.len() < length {
            if self.tcp.read_buf(&mut self.buf).await? == 0 {
                return Err("POST: the server closed".into());
            }
        }
        self.buf.advance(length);
        Ok(())
    }
}

/// POSTs `messages` messages to `/topics/TOPIC` of `addr`, `rate` a
/// second, on at most `connections` connections at once.
pub(crate) async fn publish(
    addr: SocketAddr,
    topic: &str,
    messages: u64,
    rate: u64,
    connections: usize,
) -> Result<Published, Failure> {
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate as f64));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let (idle_tx, mut idle) = mpsc::unbounded_channel::<Connection>();
    let round_trip = Arc::new(Histogram::default());
    let topic: Arc<str> = topic.into();
    let mut opened = 0;
    let mut posts = JoinSet::new();
    let start = Instant::now();
    for seq in 1..=messages {
        tick.tick().await;
        while let Some(done) = posts.try_join_next() {
            done??;
        }
        let mut connection = match idle.try_recv() {
            Ok(c) => c,
            Err(_) if opened < connections.max(1) => {
                opened += 1;
                Connection::open(addr).await?
            }
            Err(_) => idle
                .recv()
                .await
                .ok_or("the publisher's connections are gone")?,
        };
        let (idle_tx, round_trip, topic) =
            (idle_tx.clone(), Arc::clone(&round_trip), Arc::clone(&topic));
        posts.spawn(async move {
            let sent = Instant::now();
            let body = format!("{seq} {}", now_micros());
            connection
                .post(addr, &topic, &body)
                .await
                .map_err(|e| format!("POST {seq}: {e}"))?;
            round_trip.record(u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX));
            let _ = idle_tx.send(connection);
            Ok::<(), Failure>(())
        });
    }
    while let Some(done) = posts.join_next().await {
        done??;
    }
    Ok(Published {
        elapsed: start.elapsed(),
        round_trip,
        connections: opened,
    })
}
