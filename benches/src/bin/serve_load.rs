//! `serve_load`: `--sse` Server-Sent Events subscribers and `--ws`
//! WebSocket subscribers of one topic of `rtw serve`, and one publisher
//! that POSTs `--messages` messages at `--rate` per second; every
//! subscriber must receive every message, in order, once.
//!
//! Printed per transport: messages delivered and lost, delivery latency
//! p50 / p99 / max (from the publisher's POST to the subscriber's read,
//! one clock: this process), and the server's memory per subscriber (the
//! growth of its `VmRSS`, `/proc/PID/status`, while that transport's
//! subscribers connected, divided by their number) when `--server-pid`
//! is given.
//!
//! The SSE subscribers speak HTTP/1.1 over plain sockets (the chunked
//! coding undone by rtw-chunked, the event stream parsed by rtw-sse); the
//! WebSocket ones use `rtw_tokio::ws`. All ask for `since=0`, so a message
//! published while a subscription was still being set up is replayed from
//! the hub's history, not lost (the topic is new for each run).
//!
//! ```text
//! cargo build --release -p rtw-cli -p rtw-benches --bin rtw --bin serve_load
//! bash benches/serve-load/run.sh
//! ```
//!
//! Loopback only; bounded: every phase has a deadline, and the process
//! exits non-zero when a message is lost or a deadline passes.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Buf, BytesMut};
use futures_util::StreamExt;
use rtw_tokio::ws::Message;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

type Failure = Box<dyn std::error::Error + Send + Sync>;

/// Called by a subscriber once it is subscribed.
type Ready = Box<dyn FnOnce() + Send>;

/// The command line.
#[derive(Debug, Clone)]
struct Args {
    addr: SocketAddr,
    topic: String,
    sse: usize,
    ws: usize,
    messages: u64,
    rate: u64,
    server_pid: Option<u32>,
}

impl Args {
    fn parse() -> Result<Args, Failure> {
        let mut options: BTreeMap<String, String> = BTreeMap::new();
        let mut argv = std::env::args().skip(1);
        while let Some(name) = argv.next() {
            let Some(name) = name.strip_prefix("--") else {
                return Err(format!("unexpected argument {name:?}").into());
            };
            let value = argv.next().ok_or(format!("--{name} needs a value"))?;
            options.insert(name.to_owned(), value);
        }
        let get = |name: &str, default: &str| -> String {
            options.get(name).cloned().unwrap_or_else(|| default.into())
        };
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        Ok(Args {
            addr: options
                .get("addr")
                .ok_or("--addr IP:PORT (rtw serve's address) is required")?
                .parse()?,
            topic: get("topic", &format!("load-{millis}")),
            sse: get("sse", "5000").parse()?,
            ws: get("ws", "5000").parse()?,
            messages: get("messages", "1000").parse()?,
            rate: get("rate", "100").parse()?,
            server_pid: options.get("server-pid").map(|p| p.parse()).transpose()?,
        })
    }
}

/// What one subscriber saw.
#[derive(Debug, Default)]
struct Seen {
    /// Latency of each message, in microseconds.
    latencies: Vec<u32>,
    /// Messages that came out of order or twice.
    disorder: u64,
}

/// The next message's sequence number and its latency, from a body
/// `SEQ MICROS` (microseconds since `start` when it was published).
fn record(seen: &mut Seen, next: &mut u64, body: &str, start: Instant) {
    let mut words = body.split(' ');
    let seq: u64 = words.next().and_then(|w| w.parse().ok()).unwrap_or(0);
    let sent: u64 = words.next().and_then(|w| w.parse().ok()).unwrap_or(0);
    if seq != *next {
        seen.disorder += 1;
    }
    *next = seq + 1;
    let now = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
    seen.latencies
        .push(u32::try_from(now.saturating_sub(sent)).unwrap_or(u32::MAX));
}

/// Read an HTTP response head from `tcp` into `buf`; the bytes after it
/// stay in `buf`.
async fn read_head(tcp: &mut TcpStream, buf: &mut BytesMut) -> Result<String, Failure> {
    loop {
        if let Some(end) = memchr::memmem::find(buf, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            buf.advance(end + 4);
            return Ok(head);
        }
        if tcp.read_buf(buf).await? == 0 {
            return Err("the server closed before the response head".into());
        }
    }
}

/// One SSE subscriber until it has `messages` events.
async fn sse(args: Arc<Args>, start: Instant, ready: Ready) -> Result<Seen, Failure> {
    let mut tcp = TcpStream::connect(args.addr).await?;
    let request = format!(
        "GET /topics/{}/events?since=0 HTTP/1.1\r\nHost: {}\r\nAccept: text/event-stream\r\n\r\n",
        args.topic, args.addr
    );
    tcp.write_all(request.as_bytes()).await?;
    let mut raw = BytesMut::with_capacity(4096);
    let head = read_head(&mut tcp, &mut raw).await?;
    if !head.starts_with("HTTP/1.1 200") {
        return Err(format!("SSE: {}", head.lines().next().unwrap_or("")).into());
    }
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    ready();
    let mut chunks = rtw_chunked::Decoder::new();
    let mut events = rtw_sse::Decoder::new();
    let mut text = BytesMut::new();
    let mut seen = Seen::default();
    let mut next = 1;
    while (seen.latencies.len() as u64) < args.messages {
        if chunked {
            while let Some(frame) = chunks.decode(&mut raw)? {
                match frame {
                    rtw_chunked::Frame::Data(bytes) => text.extend_from_slice(&bytes),
                    rtw_chunked::Frame::End => return Err("SSE: the stream ended".into()),
                    _ => {}
                }
            }
        } else {
            text.extend_from_slice(&raw.split());
        }
        while let Some(item) = events.decode(&mut text)? {
            if let rtw_sse::Item::Event(event) = item {
                record(&mut seen, &mut next, &event.data, start);
            }
        }
        if (seen.latencies.len() as u64) < args.messages && tcp.read_buf(&mut raw).await? == 0 {
            return Err("SSE: the server closed the stream".into());
        }
    }
    Ok(seen)
}

/// One WebSocket subscriber until it has `messages` messages.
async fn ws(args: Arc<Args>, start: Instant, ready: Ready) -> Result<Seen, Failure> {
    let url = format!("ws://{}/topics/{}/ws?since=0", args.addr, args.topic);
    let (mut socket, _) = rtw_tokio::ws::connect(&url).await?;
    ready();
    let mut seen = Seen::default();
    let mut next = 1;
    while (seen.latencies.len() as u64) < args.messages {
        match socket.next().await {
            Some(Ok(Message::Text(text))) => {
                let value: serde_json::Value = serde_json::from_str(text.as_str())?;
                let data = value["data"].as_str().unwrap_or("");
                record(&mut seen, &mut next, data, start);
            }
            Some(Ok(Message::Close(frame))) => {
                return Err(format!("WebSocket: closed by the server: {frame:?}").into());
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(e.into()),
            None => return Err("WebSocket: the connection ended".into()),
        }
    }
    Ok(seen)
}

/// POST `messages` bodies `SEQ MICROS` at `rate` per second on one
/// kept-alive connection.
async fn publish(args: Arc<Args>, start: Instant) -> Result<(), Failure> {
    let mut tcp = TcpStream::connect(args.addr).await?;
    tcp.set_nodelay(true)?;
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / args.rate as f64));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut buf = BytesMut::with_capacity(1024);
    for seq in 1..=args.messages {
        tick.tick().await;
        let body = format!("{seq} {}", start.elapsed().as_micros());
        let request = format!(
            "POST /topics/{} HTTP/1.1\r\nHost: {}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
            args.topic,
            args.addr,
            body.len()
        );
        tcp.write_all(request.as_bytes()).await?;
        let head = read_head(&mut tcp, &mut buf).await?;
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
        while buf.len() < length {
            if tcp.read_buf(&mut buf).await? == 0 {
                return Err("POST: the server closed".into());
            }
        }
        buf.advance(length);
    }
    Ok(())
}

/// The server's resident memory in KiB.
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The server's CPU time (user + system) in seconds, from
/// `/proc/PID/stat` (fields 14 and 15, in clock ticks of 1/100 s, the
/// value Linux gives `USER_HZ` everywhere).
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name in parentheses may hold blanks: count after it.
    let rest = &stat[stat.rfind(')')? + 2..];
    let mut fields = rest.split_whitespace().skip(11);
    let user: f64 = fields.next()?.parse().ok()?;
    let system: f64 = fields.next()?.parse().ok()?;
    Some((user + system) / 100.0)
}

/// A transport's subscribers: spawned (at most 100 connecting at once),
/// connected within `deadline`; the server's memory growth meanwhile.
async fn connect_all(
    name: &'static str,
    count: usize,
    args: &Arc<Args>,
    start: Instant,
    tasks: &mut JoinSet<(&'static str, Result<Seen, Failure>)>,
) -> Result<Option<f64>, Failure> {
    let before = args.server_pid.and_then(rss_kib);
    let ready = Arc::new(Semaphore::new(0));
    let connecting = Arc::new(Semaphore::new(100));
    for _ in 0..count {
        let (args, ready, connecting) = (
            Arc::clone(args),
            Arc::clone(&ready),
            Arc::clone(&connecting),
        );
        tasks.spawn(async move {
            let permit = connecting.acquire_owned().await;
            // Once in: the next subscriber may connect, and it counts.
            let on_ready: Ready = Box::new(move || {
                drop(permit);
                ready.add_permits(1);
            });
            let result = match name {
                "sse" => sse(args, start, on_ready).await,
                _ => ws(args, start, on_ready).await,
            };
            (name, result)
        });
    }
    let deadline = Duration::from_secs(60 + count as u64 / 50);
    let all = u32::try_from(count).unwrap_or(u32::MAX);
    match tokio::time::timeout(deadline, ready.acquire_many(all)).await {
        Ok(Ok(permit)) => permit.forget(),
        _ => {
            return Err(
                format!("{name}: {count} subscribers not connected within {deadline:?}").into(),
            );
        }
    }
    // Let the server settle before reading its memory.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = args.server_pid.and_then(rss_kib);
    Ok(before
        .zip(after)
        .map(|(b, a)| a.saturating_sub(b) as f64 / count.max(1) as f64))
}

/// The `q` quantile of sorted `values` (microseconds) in milliseconds.
fn quantile_ms(sorted: &[u32], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let at = ((sorted.len() - 1) as f64 * q).round() as usize;
    f64::from(sorted[at]) / 1000.0
}

async fn run(args: Args) -> Result<bool, Failure> {
    // One socket per subscriber, the publisher and the runtime's own.
    let want = (args.sse + args.ws) as u64 + 256;
    let limit = rlimit::increase_nofile_limit(want)?;
    if limit < want {
        return Err(format!("this process may open {limit} files; {want} needed").into());
    }
    let args = Arc::new(args);
    let start = Instant::now();
    let mut tasks = JoinSet::new();
    let mut memory = BTreeMap::new();
    for (name, count) in [("sse", args.sse), ("ws", args.ws)] {
        if count > 0 {
            let t0 = Instant::now();
            let per = connect_all(name, count, &args, start, &mut tasks).await?;
            println!(
                "# {name}: {count} subscribers connected in {:.1} s",
                t0.elapsed().as_secs_f64()
            );
            memory.insert(name, per);
        }
    }
    let cpu0 = args.server_pid.and_then(cpu_seconds);
    let t0 = Instant::now();
    publish(Arc::clone(&args), start).await?;
    let published = t0.elapsed();
    println!(
        "# published {} messages in {:.1} s ({:.0}/s asked)",
        args.messages,
        published.as_secs_f64(),
        args.rate as f64
    );
    let mut results: BTreeMap<&str, (Vec<u32>, u64, u64, usize)> = BTreeMap::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while let Ok(Some(joined)) = tokio::time::timeout_at(deadline, tasks.join_next()).await {
        let (name, result) = joined?;
        let entry = results.entry(name).or_default();
        match result {
            Ok(seen) => {
                entry.0.extend_from_slice(&seen.latencies);
                entry.1 += seen.disorder;
            }
            Err(e) => {
                entry.3 += 1;
                if entry.3 <= 3 {
                    eprintln!("{name}: {e}");
                }
            }
        }
    }
    let unfinished = tasks.len();
    tasks.abort_all();
    let cpu = cpu0
        .zip(args.server_pid.and_then(cpu_seconds))
        .map(|(before, after)| after - before);
    let mut all_ok = unfinished == 0;
    for (name, count) in [("sse", args.sse), ("ws", args.ws)] {
        if count == 0 {
            continue;
        }
        let (mut latencies, disorder, _, failed) = results.remove(name).unwrap_or_default();
        latencies.sort_unstable();
        let expected = count as u64 * args.messages;
        let delivered = latencies.len() as u64;
        let lost = expected.saturating_sub(delivered);
        all_ok &= lost == 0 && disorder == 0 && failed == 0;
        let memory = memory
            .get(name)
            .copied()
            .flatten()
            .map_or_else(|| "n/a".into(), |kib| format!("{kib:.1}"));
        println!(
            "transport={name} subscribers={count} messages={} delivered={delivered} lost={lost} \
             disorder={disorder} failed={failed} p50_ms={:.2} p99_ms={:.2} max_ms={:.2} \
             server_kib_per_subscriber={memory}",
            args.messages,
            quantile_ms(&latencies, 0.5),
            quantile_ms(&latencies, 0.99),
            quantile_ms(&latencies, 1.0),
        );
    }
    if let Some(cpu) = cpu {
        let deliveries = (args.sse + args.ws) as f64 * args.messages as f64;
        println!(
            "server_cpu_s={cpu:.2} server_cpu_us_per_delivery={:.2} \
             (from the first publish to the last delivery)",
            cpu * 1e6 / deliveries.max(1.0)
        );
    }
    if unfinished > 0 {
        println!(
            "# {unfinished} subscribers had not received everything 60 s after the last publish"
        );
    }
    Ok(all_ok)
}

fn main() -> std::process::ExitCode {
    let args = match Args::parse() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("serve_load: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("serve_load: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::FAILURE,
        Err(e) => {
            eprintln!("serve_load: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
