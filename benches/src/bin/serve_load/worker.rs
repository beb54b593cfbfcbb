//! A subscriber process (`serve_load --worker`): the coordinator starts a
//! few, so that no process needs more descriptors than the container's
//! hard limit, and drives them by lines on their standard input:
//!
//! - `connect sse` / `connect ws`: connect this process's subscribers of
//!   that transport, at most 100 at once; answer
//!   `connected TRANSPORT OK FAILED` once each has its response head (SSE)
//!   or its handshake (WebSocket), or failed.
//! - `report`: write one `group ...` line per group and `end`, then exit.
//!
//! It writes `done` by itself once every subscriber has every message. A
//! closed standard input (the coordinator gone) ends it.
//!
//! Each subscriber binds its socket to one of `--sources` loopback
//! addresses (127.0.0.1, 127.0.0.2, ...), so that the connections to one
//! server port do not run out of ephemeral ports.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::{Buf, BytesMut};
use futures_util::StreamExt;
use rtw_benches::process::Failure;
use rtw_tokio::ws::Message;
use rtw_ws::handshake::ClientHandshake;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, mpsc};

use crate::histogram::Histogram;

/// Microseconds since the Unix epoch: the clock the publisher stamps each
/// message with and the subscribers read on arrival (one clock for every
/// process of the machine).
pub(crate) fn now_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

/// Subscribers of one transport on one server, and what they saw.
#[derive(Debug)]
pub(crate) struct Group {
    /// `sse` or `ws`.
    pub(crate) transport: String,
    /// The server they subscribe at.
    pub(crate) addr: SocketAddr,
    /// How many.
    pub(crate) count: u64,
    /// Messages received, all subscribers together.
    delivered: AtomicU64,
    /// Messages that came out of order or twice.
    disorder: AtomicU64,
    /// `missed` notices (the server dropped messages for a subscriber).
    missed: AtomicU64,
    /// Subscribers that failed (connection refused, closed, bad data).
    failed: AtomicU64,
    /// Subscribers that received every message.
    complete: AtomicU64,
    /// Delivery latency in microseconds.
    latency: Histogram,
}

impl Group {
    /// Parses `TRANSPORT@IP:PORT=COUNT`.
    pub(crate) fn parse(spec: &str) -> Result<Group, Failure> {
        let bad = || format!("bad group {spec:?} (TRANSPORT@IP:PORT=COUNT)");
        let (transport, rest) = spec.split_once('@').ok_or_else(bad)?;
        let (addr, count) = rest.split_once('=').ok_or_else(bad)?;
        if transport != "sse" && transport != "ws" {
            return Err(bad().into());
        }
        Ok(Group {
            transport: transport.to_owned(),
            addr: addr.parse().map_err(|_| bad())?,
            count: count.parse().map_err(|_| bad())?,
            delivered: AtomicU64::new(0),
            disorder: AtomicU64::new(0),
            missed: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            complete: AtomicU64::new(0),
            latency: Histogram::default(),
        })
    }

    /// The `group` line of a report.
    fn report_line(&self) -> String {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        format!(
            "group {}@{} subscribers={} delivered={} disorder={} missed={} failed={} complete={} hist={}",
            self.transport,
            self.addr,
            self.count,
            get(&self.delivered),
            get(&self.disorder),
            get(&self.missed),
            get(&self.failed),
            get(&self.complete),
            self.latency.to_line()
        )
    }
}

/// One subscriber's view of the messages so far: each must come once
/// (its sequence number not seen before) and in the hub's order (its id
/// above the previous one; ids are the same for every subscriber, so
/// every subscriber sees one order). With one POST in flight at a time the
/// hub's order is the sequence numbers' too.
struct Tally<'a> {
    group: &'a Group,
    /// The last id.
    last: u64,
    /// Sequence numbers seen (1 to `messages`), one bit each.
    seen: Vec<u64>,
    messages: u64,
    received: u64,
}

impl<'a> Tally<'a> {
    fn new(group: &'a Group, messages: u64) -> Self {
        Tally {
            group,
            last: 0,
            seen: vec![0; usize::try_from(messages / 64 + 1).unwrap_or(0)],
            messages,
            received: 0,
        }
    }

    /// A message of id `id` and body `SEQ MICROS`: new, in order, and how
    /// late.
    fn message(&mut self, id: u64, body: &str) {
        let mut words = body.split(' ');
        let seq: u64 = words.next().and_then(|w| w.parse().ok()).unwrap_or(0);
        let sent: u64 = words.next().and_then(|w| w.parse().ok()).unwrap_or(0);
        let (word, bit) = (usize::try_from(seq / 64).unwrap_or(usize::MAX), seq % 64);
        let new = match self.seen.get_mut(word) {
            Some(w) if (1..=self.messages).contains(&seq) && *w & (1 << bit) == 0 => {
                *w |= 1 << bit;
                true
            }
            _ => false,
        };
        if !new || id <= self.last {
            self.group.disorder.fetch_add(1, Ordering::Relaxed);
        }
        self.last = id;
        if new {
            self.received += 1;
            self.group.delivered.fetch_add(1, Ordering::Relaxed);
        }
        self.group.latency.record(now_micros().saturating_sub(sent));
    }

    fn missed(&mut self) {
        self.group.missed.fetch_add(1, Ordering::Relaxed);
    }
}

/// A subscriber's word that it is connected, said once to the phase's
/// semaphore (a subscriber that fails before saying it says it then).
/// It also holds the subscriber's turn to connect (at most 100 at once),
/// given back when it says it.
struct Ready {
    semaphore: Arc<Semaphore>,
    said: bool,
    turn: Option<OwnedSemaphorePermit>,
}

impl Ready {
    fn say(&mut self) {
        self.turn = None;
        if !self.said {
            self.said = true;
            self.semaphore.add_permits(1);
        }
    }
}

/// Settings every subscriber of the process shares.
struct Plan {
    topic: String,
    messages: u64,
    sources: u8,
}

/// A socket from the `n`th source address, connected to `addr`.
async fn connect(addr: SocketAddr, plan: &Plan, n: u64) -> Result<TcpStream, Failure> {
    let socket = TcpSocket::new_v4()?;
    let host = 1 + (n % u64::from(plan.sources.max(1))) as u8;
    socket.bind(SocketAddr::from((Ipv4Addr::new(127, 0, 0, host), 0)))?;
    Ok(socket.connect(addr).await?)
}

/// Reads an HTTP response head from `tcp` into `buf`; the bytes after it
/// stay in `buf`.
pub(crate) async fn read_head(tcp: &mut TcpStream, buf: &mut BytesMut) -> Result<String, Failure> {
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

/// One SSE subscriber (HTTP/1.1, the chunked coding undone by
/// rtw-chunked, the events parsed by rtw-sse) until it has every message.
async fn sse(group: &Group, plan: &Plan, n: u64, ready: &mut Ready) -> Result<(), Failure> {
    let mut tcp = connect(group.addr, plan, n).await?;
    let request = format!(
        "GET /topics/{}/events?since=0 HTTP/1.1\r\nHost: {}\r\nAccept: text/event-stream\r\n\r\n",
        plan.topic, group.addr
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
    ready.say();
    let mut chunks = rtw_chunked::Decoder::new();
    let mut events = rtw_sse::Decoder::new();
    let mut text = BytesMut::new();
    let mut tally = Tally::new(group, plan.messages);
    loop {
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
                if event.event_type() == "missed" {
                    tally.missed();
                } else {
                    let id = event.last_event_id().parse().unwrap_or(0);
                    tally.message(id, event.data());
                }
            }
        }
        if tally.received >= plan.messages {
            return Ok(());
        }
        if tcp.read_buf(&mut raw).await? == 0 {
            return Err("SSE: the server closed the stream".into());
        }
    }
}

/// The id and the `data` string of `{"id":N,"data":"..."}` (the bodies
/// here have no escapes), or `None` for another object such as
/// `{"missed":[A,B]}`.
fn message_of(json: &str) -> Option<(u64, &str)> {
    let rest = json.strip_prefix("{\"id\":")?;
    let (id, rest) = rest.split_once(",\"data\":\"")?;
    let len = rest.find('"')?;
    Some((id.parse().ok()?, &rest[..len]))
}

/// One WebSocket subscriber (rtw_tokio::ws over the bound socket) until it
/// has every message.
async fn ws(group: &Group, plan: &Plan, n: u64, ready: &mut Ready) -> Result<(), Failure> {
    let tcp = connect(group.addr, plan, n).await?;
    let path = format!("/topics/{}/ws?since=0", plan.topic);
    let handshake = ClientHandshake::new(
        group.addr.to_string(),
        path,
        &mut rtw_tokio::OsRandom::new()?,
    )?;
    let (mut socket, _) =
        rtw_tokio::ws::client_from_stream(tcp, &handshake, rtw_tokio::ws::Options::default())
            .await?;
    ready.say();
    let mut tally = Tally::new(group, plan.messages);
    while tally.received < plan.messages {
        match socket.next().await {
            Some(Ok(Message::Text(text))) => match message_of(text.as_str()) {
                Some((id, data)) => tally.message(id, data),
                None if text.as_str().starts_with("{\"missed\"") => tally.missed(),
                None => return Err(format!("WebSocket: unexpected {:?}", text.as_str()).into()),
            },
            Some(Ok(Message::Close(frame))) => {
                return Err(format!("WebSocket: closed by the server: {frame:?}").into());
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(e.into()),
            None => return Err("WebSocket: the connection ended".into()),
        }
    }
    Ok(())
}

/// What the subscribers of every group tell the process.
struct Shared {
    groups: Vec<Group>,
    plan: Plan,
    /// Subscribers still receiving.
    pending: AtomicU64,
    /// Notified when `pending` reaches 0.
    all_done: Notify,
}

/// Spawns the subscribers of `transport`; returns once each is connected
/// or failed, with how many connected and how many failed first.
async fn connect_transport(shared: &Arc<Shared>, transport: &str, first: u64) -> (u64, u64) {
    let semaphore = Arc::new(Semaphore::new(0));
    let connecting = Arc::new(Semaphore::new(100));
    let unconnected = Arc::new(AtomicU64::new(0));
    let mut spawned = 0u64;
    for (index, group) in shared.groups.iter().enumerate() {
        if group.transport != transport {
            continue;
        }
        for _ in 0..group.count {
            let (shared, connecting, unconnected) = (
                Arc::clone(shared),
                Arc::clone(&connecting),
                Arc::clone(&unconnected),
            );
            let mut ready = Ready {
                semaphore: Arc::clone(&semaphore),
                said: false,
                turn: None,
            };
            let n = first + spawned;
            spawned += 1;
            tokio::spawn(async move {
                let group = &shared.groups[index];
                ready.turn = connecting.acquire_owned().await.ok();
                let result = match group.transport.as_str() {
                    "sse" => sse(group, &shared.plan, n, &mut ready).await,
                    _ => ws(group, &shared.plan, n, &mut ready).await,
                };
                match result {
                    Ok(()) => {
                        group.complete.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => {
                        let failed = group.failed.fetch_add(1, Ordering::Relaxed);
                        if failed < 3 {
                            eprintln!("serve_load worker: {}@{}: {e}", group.transport, group.addr);
                        }
                        if !ready.said {
                            unconnected.fetch_add(1, Ordering::Relaxed);
                            ready.say();
                        }
                    }
                }
                if shared.pending.fetch_sub(1, Ordering::AcqRel) == 1 {
                    shared.all_done.notify_one();
                }
            });
        }
    }
    let all = u32::try_from(spawned).unwrap_or(u32::MAX);
    if let Ok(permit) = semaphore.acquire_many(all).await {
        permit.forget();
    }
    let failed = unconnected.load(Ordering::Relaxed);
    (spawned.saturating_sub(failed), failed)
}

/// Carries out the coordinator's commands until `report` or the end of
/// its input, saying `done` when every subscriber is.
async fn obey(
    shared: &Arc<Shared>,
    commands: &mut mpsc::UnboundedReceiver<String>,
    first: u64,
) -> Result<(), Failure> {
    let mut next = first;
    let mut done_said = false;
    loop {
        let command = tokio::select! {
            command = commands.recv() => command,
            () = shared.all_done.notified(), if !done_said => {
                done_said = true;
                println!("done");
                continue;
            }
        };
        let Some(command) = command else {
            return Ok(());
        };
        match command.split_whitespace().collect::<Vec<_>>()[..] {
            ["connect", transport] => {
                let (ok, failed) = connect_transport(shared, transport, next).await;
                next += ok + failed;
                println!("connected {transport} {ok} {failed}");
            }
            ["report"] => {
                for group in &shared.groups {
                    println!("{}", group.report_line());
                }
                println!("end");
                return Ok(());
            }
            _ => return Err(format!("worker: unknown command {command:?}").into()),
        }
    }
}

/// The worker's body: `args` are `--topic T --messages M --sources K
/// --first N --group SPEC...`.
pub(crate) fn main(args: &[String]) -> Result<(), Failure> {
    let mut topic = None;
    let (mut messages, mut sources, mut first) = (0, 1, 0);
    let mut groups = Vec::new();
    let mut argv = args.iter();
    while let Some(name) = argv.next() {
        let value = argv.next().ok_or(format!("{name} needs a value"))?;
        match name.as_str() {
            "--topic" => topic = Some(value.clone()),
            "--messages" => messages = value.parse()?,
            "--sources" => sources = value.parse()?,
            "--first" => first = value.parse()?,
            "--group" => groups.push(Group::parse(value)?),
            _ => return Err(format!("worker: unknown option {name}").into()),
        }
    }
    let want = groups.iter().map(|g| g.count).sum::<u64>() + 64;
    let limit = rlimit::increase_nofile_limit(want)?;
    if limit < want {
        return Err(format!("worker: {limit} descriptors, {want} needed").into());
    }
    let shared = Arc::new(Shared {
        pending: AtomicU64::new(groups.iter().map(|g| g.count).sum()),
        groups,
        plan: Plan {
            topic: topic.ok_or("worker: --topic is required")?,
            messages,
            sources,
        },
        all_done: Notify::new(),
    });
    // Standard input on a thread of its own (tokio's is a feature we do
    // not build); its end ends the process.
    let (tx, mut commands) = mpsc::unbounded_channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::stdin().lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(obey(&shared, &mut commands, first))?;
    // Subscribers still running are dropped with the runtime; bounded.
    runtime.shutdown_timeout(Duration::from_secs(2));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_and_data_parse() {
        let g = Group::parse("ws@127.0.0.1:80=12").unwrap();
        assert_eq!((g.transport.as_str(), g.count), ("ws", 12));
        assert!(Group::parse("tcp@127.0.0.1:80=1").is_err());
        assert!(Group::parse("sse@nowhere=1").is_err());
        assert_eq!(message_of(r#"{"id":3,"data":"3 17"}"#), Some((3, "3 17")));
        assert_eq!(message_of(r#"{"missed":[1,4]}"#), None);
    }

    #[test]
    fn a_repeated_or_reordered_message_is_counted() {
        let g = Group::parse("sse@127.0.0.1:80=1").unwrap();
        let mut t = Tally::new(&g, 3);
        t.message(5, "2 0");
        t.message(9, "1 0");
        assert_eq!(g.disorder.load(Ordering::Relaxed), 0);
        t.message(9, "3 0"); // the same id again
        t.message(12, "1 0"); // the same message again
        t.message(13, "4 0"); // not one of the 3
        assert_eq!(g.disorder.load(Ordering::Relaxed), 3);
        assert_eq!((t.received, g.delivered.load(Ordering::Relaxed)), (3, 3));
        assert_eq!(g.latency.count(), 5);
    }
}
