//! The broker core, sans-IO: every connection, subscription, queue and
//! transaction of one STOMP broker in one state machine.
//!
//! The driver accepts connections (TCP, or WebSocket with a `v1x.stomp`
//! subprotocol) and feeds the broker what happens on them:
//! [`Broker::handle_connect`] for a new one, [`Broker::handle_input`] with
//! the bytes it read, [`Broker::handle_sent`] when it has written bytes,
//! [`Broker::handle_disconnect`] when one ends and
//! [`Broker::handle_timeout`] when [`Broker::poll_timeout`] is due. After
//! each call it drains [`Broker::poll_transmit`] (bytes to write on a
//! connection) and [`Broker::poll_event`] (sessions, connections to
//! close).
//!
//! Destinations (STOMP 1.2 "SEND", "SUBSCRIBE"; the names follow the
//! common `/topic/` and `/queue/` convention, the specification leaves
//! them to the server):
//!
//! - `/topic/NAME`: a message goes to every subscription of the topic
//!   that exists when it is sent; with none it is dropped.
//! - `/queue/NAME`: a message goes to one subscription, round robin over
//!   the queue's subscriptions, and waits in the queue while none can take
//!   it. A message delivered to a `client` or `client-individual`
//!   subscription is held until it is acknowledged (STOMP 1.2 "ACK"); a
//!   NACK, an UNSUBSCRIBE or the end of the connection puts it back at the
//!   head of its queue for the next consumer (STOMP 1.2 "NACK").
//!
//! Every MESSAGE has its own `message-id` (a decimal number unique in the
//! broker), also its `ack` header in 1.2 for the `client` modes; ACK and
//! NACK name it with `id` (1.2) or `message-id` (1.0, 1.1). In `client`
//! mode they are cumulative over the subscription (STOMP 1.2
//! "SUBSCRIBE ack Header"). Frames with a `receipt` header are answered
//! with RECEIPT (STOMP 1.2 "RECEIPT"); SEND, ACK and NACK with a
//! `transaction` header wait for its COMMIT (STOMP 1.2 "BEGIN"). Whatever
//! breaks the protocol or a [`BrokerLimits`] cap gets an ERROR frame with
//! `message` (and `receipt-id` when the frame asked for a receipt), then
//! [`BrokerEvent::Close`] (STOMP 1.2 "ERROR").
//!
//! Output is bounded: the broker counts the bytes it queued for each
//! connection until the driver reports them written with
//! [`Broker::handle_sent`] ([`Broker::unsent`] tells how many are
//! pending). A queue holds its messages back from a consumer at
//! [`BrokerLimits::max_unsent_bytes`]; any other frame past it closes the
//! connection as a slow consumer.
//!
//! ```
//! use std::time::Instant;
//! use bytes::BytesMut;
//! use rtw_stomp::broker::{Broker, BrokerConfig};
//!
//! let now = Instant::now();
//! let mut broker = Broker::new(BrokerConfig::default());
//! let sub = broker.handle_connect(now);
//! let publisher = broker.handle_connect(now);
//! let mut input = BytesMut::from(
//!     &b"CONNECT\naccept-version:1.2\nhost:h\n\n\0SUBSCRIBE\nid:0\ndestination:/topic/t\n\n\0"[..],
//! );
//! broker.handle_input(now, sub, &mut input);
//! let mut input = BytesMut::from(
//!     &b"CONNECT\naccept-version:1.2\nhost:h\n\n\0SEND\ndestination:/topic/t\n\nhi\0"[..],
//! );
//! broker.handle_input(now, publisher, &mut input);
//! let mut to_sub = Vec::new();
//! while let Some(transmit) = broker.poll_transmit() {
//!     broker.handle_sent(now, transmit.connection, transmit.bytes.len());
//!     if transmit.connection == sub {
//!         to_sub.extend_from_slice(&transmit.bytes);
//!     }
//! }
//! let text = String::from_utf8_lossy(&to_sub);
//! assert!(text.starts_with("CONNECTED\n"));
//! assert!(text.contains("MESSAGE\nsubscription:0\nmessage-id:"));
//! assert!(text.ends_with("\n\nhi\0"));
//! ```

mod config;
mod connection;
mod dispatch;
mod events;
mod frames;

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};

pub use self::config::{BrokerConfig, BrokerLimits};
use self::dispatch::Tails;
pub use self::events::{BrokerEvent, BrokerStats, BrokerTransmit, CloseReason, ConnectionId};
use crate::{Decoder, Frame, Item, Version};

/// The ack mode of a subscription (STOMP 1.2 "SUBSCRIBE ack Header").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AckMode {
    Auto,
    Client,
    ClientIndividual,
}

/// A message as sent: its destination, the sender's headers to pass on,
/// its body.
#[derive(Debug)]
struct Message {
    destination: Arc<str>,
    headers: Vec<(String, String)>,
    body: Bytes,
}

impl Message {
    /// What it counts for in `stored_bytes`: its bytes and some room for
    /// what holding it costs.
    fn size(&self) -> usize {
        let headers: usize = self
            .headers
            .iter()
            .map(|(n, v)| 2 * (n.len() + v.len()) + 2)
            .sum();
        self.body.len() + headers + 2 * self.destination.len() + 128
    }
}

#[derive(Debug)]
struct Subscription {
    destination: Arc<str>,
    queue: bool,
    ack: AckMode,
}

/// A MESSAGE delivered to a `client` mode subscription and not yet
/// acknowledged. `message` is kept for a queue, to be put back.
#[derive(Debug)]
struct Delivery {
    subscription: Arc<str>,
    message: Option<Message>,
}

/// A frame held in an open transaction until COMMIT.
#[derive(Debug)]
enum Pending {
    Send(Message),
    Ack(String),
    Nack(String),
}

impl Pending {
    fn size(&self) -> usize {
        match self {
            Pending::Send(m) => m.size(),
            Pending::Ack(id) | Pending::Nack(id) => 64 + id.len(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for CONNECT.
    Handshake,
    Open,
    /// A `Close` was asked for: input is ignored.
    Closing,
}

#[derive(Debug)]
struct Connection {
    phase: Phase,
    decoder: Decoder,
    version: Version,
    subscriptions: HashMap<Arc<str>, Subscription>,
    /// By message id, so in delivery order.
    unacked: BTreeMap<u64, Delivery>,
    transactions: HashMap<String, Vec<Pending>>,
    transaction_frames: usize,
    /// Bytes queued and not reported sent.
    unsent: usize,
    /// A queue held a message back from it (unacked or unsent at the
    /// cap): its queues are dispatched again when that changes.
    blocked: bool,
    connect_deadline: Instant,
    send_every: Option<Duration>,
    expect_every: Option<Duration>,
    last_sent: Instant,
    last_received: Instant,
    /// Its entry in `Broker::timers`, at or before its next deadline.
    scheduled: Option<Instant>,
}

impl Connection {
    fn deadline(&self) -> Option<Instant> {
        match self.phase {
            Phase::Handshake => Some(self.connect_deadline),
            Phase::Closing => None,
            Phase::Open => {
                let send = self.send_every.map(|d| self.last_sent + d);
                let dead = self.expect_every.map(|d| self.last_received + 2 * d);
                match (send, dead) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                }
            }
        }
    }
}

#[derive(Debug, Default)]
struct Queue {
    messages: VecDeque<Message>,
    consumers: Vec<(ConnectionId, Arc<str>)>,
    /// The consumer to offer the next message first.
    next: usize,
}

/// Sizes of [`BrokerStats`] kept as they change.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Counts {
    sessions: usize,
    subscriptions: usize,
    unacked: usize,
    transactions: usize,
    queued: usize,
}

/// What to do with bytes that would pass the unsent caps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Overflow {
    /// Queue them anyway (an ERROR before a close).
    Exempt,
    /// Close the connection as a slow consumer.
    Close,
    /// Do not queue them (a heart-beat).
    Skip,
}

/// A STOMP broker: connections, subscriptions, topics, queues and
/// transactions, driven by the calls of its driver (module docs).
pub struct Broker {
    config: BrokerConfig,
    now: Option<Instant>,
    next_connection: u64,
    next_message: u64,
    connections: HashMap<ConnectionId, Connection>,
    topics: HashMap<Arc<str>, Vec<(ConnectionId, Arc<str>)>>,
    queues: HashMap<Arc<str>, Queue>,
    /// Queues to offer their messages again, after the current call.
    to_dispatch: Vec<Arc<str>>,
    stored_bytes: usize,
    unsent_bytes: usize,
    /// Sizes kept as they change, so that `stats` is cheap.
    counts: Counts,
    /// A queue held a message back at `max_total_unsent_bytes`: every
    /// queue is offered again when any connection's bytes are written.
    total_blocked: bool,
    timers: BTreeSet<(Instant, ConnectionId)>,
    transmits: VecDeque<BrokerTransmit>,
    events: VecDeque<BrokerEvent>,
    stats: BrokerStats,
}

impl std::fmt::Debug for Broker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Broker")
            .field("connections", &self.connections.len())
            .field("topics", &self.topics.len())
            .field("queues", &self.queues.len())
            .field("stored_bytes", &self.stored_bytes)
            .field("unsent_bytes", &self.unsent_bytes)
            .finish_non_exhaustive()
    }
}

impl Broker {
    /// A broker with `config`.
    pub fn new(config: BrokerConfig) -> Self {
        Broker {
            config,
            now: None,
            next_connection: 0,
            next_message: 0,
            connections: HashMap::new(),
            topics: HashMap::new(),
            queues: HashMap::new(),
            to_dispatch: Vec::new(),
            stored_bytes: 0,
            unsent_bytes: 0,
            total_blocked: false,
            counts: Counts::default(),
            timers: BTreeSet::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            stats: BrokerStats::default(),
        }
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &BrokerConfig {
        &self.config
    }

    /// A connection was accepted; the id names it from now on. It has
    /// [`BrokerConfig::connect_timeout`] to send CONNECT or STOMP.
    pub fn handle_connect(&mut self, now: Instant) -> ConnectionId {
        self.now = Some(now);
        self.next_connection += 1;
        self.stats.connections_accepted += 1;
        let id = ConnectionId::new(self.next_connection);
        let connection = Connection {
            phase: Phase::Handshake,
            decoder: Decoder::with_limits(self.config.limits.frame.clone()),
            version: Version::V1_2,
            subscriptions: HashMap::new(),
            unacked: BTreeMap::new(),
            transactions: HashMap::new(),
            transaction_frames: 0,
            unsent: 0,
            blocked: false,
            connect_deadline: now + self.config.connect_timeout,
            send_every: None,
            expect_every: None,
            last_sent: now,
            last_received: now,
            scheduled: None,
        };
        self.connections.insert(id, connection);
        self.schedule(id);
        id
    }

    /// Bytes read from `connection`, appended to `src` (the driver keeps
    /// one buffer per connection). Whole frames are consumed from `src`
    /// and acted on; a partial frame stays for the next call. Input from
    /// an unknown or closing connection is discarded (`src` is cleared).
    /// Any bytes count as a sign of life (STOMP 1.2 "Heart-beating").
    pub fn handle_input(&mut self, now: Instant, connection: ConnectionId, src: &mut BytesMut) {
        self.now = Some(now);
        match self.connections.get_mut(&connection) {
            Some(conn) if conn.phase != Phase::Closing => {
                if !src.is_empty() {
                    conn.last_received = now;
                }
            }
            _ => {
                src.clear();
                return;
            }
        }
        let before = src.len();
        loop {
            let Some(conn) = self.connections.get_mut(&connection) else {
                src.clear();
                break;
            };
            if conn.phase == Phase::Closing {
                src.clear();
                break;
            }
            match conn.decoder.decode(src) {
                Ok(None) => break,
                Ok(Some(Item::HeartBeat)) => {}
                Ok(Some(Item::Frame(frame))) => self.on_frame(connection, frame),
                Err(error) => {
                    src.clear();
                    self.fail(connection, CloseReason::Error, error.error_frame());
                    break;
                }
            }
        }
        self.stats.bytes_received += (before - src.len()) as u64;
        self.run_dispatch();
    }

    /// The driver wrote `bytes` more bytes of what
    /// [`Broker::poll_transmit`] gave for `connection` (to the socket, or
    /// to a write buffer it bounds itself). Queues held back from the
    /// connection by [`BrokerLimits::max_unsent_bytes`] may deliver again.
    pub fn handle_sent(&mut self, now: Instant, connection: ConnectionId, bytes: usize) {
        self.now = Some(now);
        let Some(conn) = self.connections.get_mut(&connection) else {
            return;
        };
        let n = bytes.min(conn.unsent);
        conn.unsent -= n;
        self.unsent_bytes -= n;
        self.stats.bytes_sent += n as u64;
        self.unblock(connection);
        if n > 0 && std::mem::take(&mut self.total_blocked) {
            for (name, queue) in &self.queues {
                if !queue.messages.is_empty() && !queue.consumers.is_empty() {
                    self.to_dispatch.push(name.clone());
                }
            }
        }
        self.run_dispatch();
    }

    /// Bytes queued for `connection` (given by [`Broker::poll_transmit`]
    /// or still in it) that the driver has not reported written with
    /// [`Broker::handle_sent`]; 0 for an unknown connection.
    #[must_use]
    pub fn unsent(&self, connection: ConnectionId) -> usize {
        self.connections.get(&connection).map_or(0, |c| c.unsent)
    }

    /// `connection` ended (closed by the peer, failed, or closed by the
    /// driver after [`BrokerEvent::Close`]). Its subscriptions and
    /// transactions end, its unacknowledged queue messages go back to
    /// their queues, and what was still queued for it is dropped.
    pub fn handle_disconnect(&mut self, now: Instant, connection: ConnectionId) {
        self.now = Some(now);
        if self
            .connections
            .get(&connection)
            .is_some_and(|c| c.phase == Phase::Open)
        {
            self.counts.sessions -= 1;
        }
        self.release(connection);
        if let Some(conn) = self.connections.remove(&connection) {
            self.unsent_bytes -= conn.unsent;
            if let Some(at) = conn.scheduled {
                self.timers.remove(&(at, connection));
            }
        }
        self.run_dispatch();
    }

    /// The server shuts down (a drain on SIGTERM): each connection is sent
    /// an ERROR frame with `message:server shutting down`, after what was
    /// already queued for it (the RECEIPTs of the frames handled so far
    /// and the MESSAGEs of the SENDs they carried), then closed
    /// ([`BrokerEvent::Close`] with [`CloseReason::Shutdown`]). STOMP 1.2
    /// has no other frame for a server that ends a session ("ERROR": the
    /// server closes the connection after it). Not counted as an error.
    pub fn shutdown(&mut self, now: Instant) {
        self.now = Some(now);
        let mut open: Vec<(ConnectionId, Version)> = self
            .connections
            .iter()
            .filter(|(_, conn)| conn.phase != Phase::Closing)
            .map(|(&id, conn)| (id, conn.version))
            .collect();
        open.sort_unstable_by_key(|&(id, _)| id);
        for (id, version) in open {
            let bytes = Frame::error("server shutting down", None).to_bytes(version);
            self.push(id, bytes, Overflow::Exempt);
            self.close(id, CloseReason::Shutdown);
        }
    }

    /// Deadlines passed by `now`: heart-beats (an EOL) to connections
    /// idle for their interval, ERROR and close for clients silent for
    /// twice theirs, and for connections without CONNECT past
    /// [`BrokerConfig::connect_timeout`].
    pub fn handle_timeout(&mut self, now: Instant) {
        self.now = Some(now);
        while let Some(&(at, id)) = self.timers.first() {
            if at > now {
                break;
            }
            self.timers.pop_first();
            let Some(conn) = self.connections.get_mut(&id) else {
                continue;
            };
            conn.scheduled = None;
            match conn.phase {
                Phase::Handshake if conn.connect_deadline <= now => {
                    let frame = Frame::error("no CONNECT frame within connect_timeout", None);
                    self.fail(id, CloseReason::ConnectTimeout, frame);
                }
                Phase::Open => {
                    let dead = conn
                        .expect_every
                        .is_some_and(|d| conn.last_received + 2 * d <= now);
                    let beat = conn.send_every.is_some_and(|d| conn.last_sent + d <= now);
                    if dead {
                        self.stats.heart_beat_timeouts += 1;
                        let frame = Frame::error("heart-beat timeout", None);
                        self.fail(id, CloseReason::HeartBeatTimeout, frame);
                    } else if beat {
                        conn.last_sent = now;
                        self.push(id, Bytes::from_static(b"\n"), Overflow::Skip);
                    }
                }
                _ => {}
            }
            self.schedule(id);
        }
        self.run_dispatch();
    }

    /// When to call [`Broker::handle_timeout`]: the earliest heart-beat or
    /// CONNECT deadline of any connection (possibly a little early: the
    /// call then finds nothing due and sets the next one). Changed by
    /// every `handle_*` call.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.first().map(|&(at, _)| at)
    }

    /// The next bytes to write, in order per connection. Filled by
    /// [`Broker::handle_input`] (CONNECTED, RECEIPT, MESSAGE to
    /// subscribers, ERROR), [`Broker::handle_sent`],
    /// [`Broker::handle_disconnect`] (messages that go to another
    /// consumer) and [`Broker::handle_timeout`] (heart-beats, ERROR).
    /// Bytes for a connection that has since ended are skipped.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<BrokerTransmit> {
        while let Some(transmit) = self.transmits.pop_front() {
            if self.connections.contains_key(&transmit.connection) {
                return Some(transmit);
            }
        }
        None
    }

    /// The next event: [`BrokerEvent::Connected`] and
    /// [`BrokerEvent::Close`]. Filled by [`Broker::handle_input`],
    /// [`Broker::handle_timeout`] and, for slow consumers, by any call
    /// that delivers messages.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<BrokerEvent> {
        self.events.pop_front()
    }

    /// Sizes and counters now (cheap: kept as they change).
    pub fn stats(&self) -> BrokerStats {
        debug_assert_eq!(self.counts, self.recount(), "size counters drifted");
        let mut stats = self.stats;
        stats.connections = self.connections.len();
        stats.sessions = self.counts.sessions;
        stats.subscriptions = self.counts.subscriptions;
        stats.unacked = self.counts.unacked;
        stats.transactions = self.counts.transactions;
        stats.destinations = self.topics.len() + self.queues.len();
        stats.queued_messages = self.counts.queued;
        stats.stored_bytes = self.stored_bytes;
        stats.unsent_bytes = self.unsent_bytes;
        stats
    }
}
