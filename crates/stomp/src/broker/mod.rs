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
mod events;
mod frames;

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};

pub use self::config::{BrokerConfig, BrokerLimits};
pub use self::events::{BrokerEvent, BrokerStats, BrokerTransmit, CloseReason, ConnectionId};
use crate::headers::{escape_into, escapes, needs_escape};
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

    /// The sizes of `counts`, summed over everything (debug checks).
    fn recount(&self) -> Counts {
        let mut counts = Counts::default();
        for conn in self.connections.values() {
            if conn.phase == Phase::Open {
                counts.sessions += 1;
            }
            counts.subscriptions += conn.subscriptions.len();
            counts.unacked += conn.unacked.len();
            counts.transactions += conn.transactions.len();
        }
        counts.queued = self.queues.values().map(|q| q.messages.len()).sum();
        counts
    }

    /// Puts `id`'s timer entry at its next deadline when that is earlier
    /// than the entry it has (deadlines only move later otherwise, and a
    /// too-early entry is set again when it fires).
    fn schedule(&mut self, id: ConnectionId) {
        let Some(conn) = self.connections.get_mut(&id) else {
            return;
        };
        let Some(at) = conn.deadline() else {
            return;
        };
        if conn.scheduled.is_some_and(|s| s <= at) {
            return;
        }
        if let Some(old) = conn.scheduled.replace(at) {
            self.timers.remove(&(old, id));
        }
        self.timers.insert((at, id));
    }

    /// Queues `bytes` for `id`. `false` when they were not queued: the
    /// connection is unknown or closing, or they would pass the unsent
    /// caps (then `overflow` says what happens).
    fn push(&mut self, id: ConnectionId, bytes: Bytes, overflow: Overflow) -> bool {
        let limits = &self.config.limits;
        let Some(conn) = self.connections.get_mut(&id) else {
            return false;
        };
        if conn.phase == Phase::Closing && overflow != Overflow::Exempt {
            return false;
        }
        let len = bytes.len();
        if overflow != Overflow::Exempt
            && (conn.unsent + len > limits.max_unsent_bytes
                || self.unsent_bytes + len > limits.max_total_unsent_bytes)
        {
            if overflow == Overflow::Close {
                self.stats.slow_consumers += 1;
                let message = format!(
                    "slow consumer (max_unsent_bytes {})",
                    self.config.limits.max_unsent_bytes
                );
                self.fail(id, CloseReason::SlowConsumer, Frame::error(&message, None));
            }
            return false;
        }
        conn.unsent += len;
        self.unsent_bytes += len;
        if let Some(now) = self.now {
            conn.last_sent = conn.last_sent.max(now);
        }
        self.transmits.push_back(BrokerTransmit {
            connection: id,
            bytes,
        });
        true
    }

    /// Sends `frame` (an ERROR) to `id`, then closes it.
    fn fail(&mut self, id: ConnectionId, reason: CloseReason, frame: Frame) {
        let Some(conn) = self.connections.get(&id) else {
            return;
        };
        if conn.phase == Phase::Closing {
            return;
        }
        self.stats.errors += 1;
        let bytes = frame.to_bytes(conn.version);
        self.push(id, bytes, Overflow::Exempt);
        self.close(id, reason);
    }

    /// Ends `id`'s session: [`Broker::release`], input ignored from now
    /// on, and [`BrokerEvent::Close`] for the driver.
    fn close(&mut self, id: ConnectionId, reason: CloseReason) {
        let Some(conn) = self.connections.get_mut(&id) else {
            return;
        };
        if conn.phase == Phase::Closing {
            return;
        }
        if conn.phase == Phase::Open {
            self.counts.sessions -= 1;
        }
        conn.phase = Phase::Closing;
        if let Some(at) = conn.scheduled.take() {
            self.timers.remove(&(at, id));
        }
        self.release(id);
        self.events.push_back(BrokerEvent::Close {
            connection: id,
            reason,
        });
    }

    /// Drops `id`'s transactions and subscriptions, and puts its
    /// unacknowledged queue messages back at the head of their queues.
    fn release(&mut self, id: ConnectionId) {
        let Some(conn) = self.connections.get_mut(&id) else {
            return;
        };
        let transactions = std::mem::take(&mut conn.transactions);
        conn.transaction_frames = 0;
        let unacked = std::mem::take(&mut conn.unacked);
        let subscriptions = std::mem::take(&mut conn.subscriptions);
        self.counts.transactions -= transactions.len();
        self.counts.unacked -= unacked.len();
        self.counts.subscriptions -= subscriptions.len();
        for pending in transactions.into_values().flatten() {
            self.stored_bytes -= pending.size();
        }
        self.requeue(unacked.into_values().collect());
        for (sid, sub) in subscriptions {
            self.unindex(id, &sid, &sub);
        }
    }

    /// Puts delivered queue messages (in delivery order) back at the head
    /// of their queues, in the same order; topic deliveries are dropped.
    fn requeue(&mut self, deliveries: Vec<Delivery>) {
        for delivery in deliveries.into_iter().rev() {
            let Some(message) = delivery.message else {
                continue;
            };
            let name = message.destination.clone();
            self.queues
                .entry(name.clone())
                .or_default()
                .messages
                .push_front(message);
            self.counts.queued += 1;
            self.stats.messages_requeued += 1;
            self.to_dispatch.push(name);
        }
    }

    /// Removes subscription `sid` of `id` from its topic or queue; a
    /// topic without subscribers and an empty queue without consumers
    /// are dropped.
    fn unindex(&mut self, id: ConnectionId, sid: &Arc<str>, sub: &Subscription) {
        let name = &sub.destination;
        if sub.queue {
            let Some(queue) = self.queues.get_mut(name) else {
                return;
            };
            if let Some(i) = queue
                .consumers
                .iter()
                .position(|(c, s)| *c == id && s == sid)
            {
                queue.consumers.remove(i);
                if queue.next > i {
                    queue.next -= 1;
                }
            }
            if queue.consumers.is_empty() && queue.messages.is_empty() {
                self.queues.remove(name);
            } else if !queue.messages.is_empty() {
                self.to_dispatch.push(name.clone());
            }
        } else if let Some(subscribers) = self.topics.get_mut(name) {
            subscribers.retain(|(c, s)| !(*c == id && s == sid));
            if subscribers.is_empty() {
                self.topics.remove(name);
            }
        }
    }

    /// After an ACK or written bytes: if a queue held messages back from
    /// `id`, offer them again.
    fn unblock(&mut self, id: ConnectionId) {
        let Some(conn) = self.connections.get_mut(&id) else {
            return;
        };
        if !conn.blocked {
            return;
        }
        conn.blocked = false;
        for sub in conn.subscriptions.values() {
            if sub.queue {
                self.to_dispatch.push(sub.destination.clone());
            }
        }
    }

    fn run_dispatch(&mut self) {
        while let Some(name) = self.to_dispatch.pop() {
            self.dispatch(&name);
        }
    }

    /// Offers the messages of queue `name`, head first, to its consumers
    /// round robin, until it is empty or no consumer can take one.
    fn dispatch(&mut self, name: &Arc<str>) {
        loop {
            let Some(queue) = self.queues.get_mut(name) else {
                return;
            };
            let n = queue.consumers.len();
            if n == 0 {
                return;
            }
            let Some(message) = queue.messages.pop_front() else {
                return;
            };
            self.counts.queued -= 1;
            let start = queue.next % n;
            let mut message = Some(message);
            for k in 0..n {
                let i = (start + k) % n;
                let Some((cid, sid)) = self.queues.get(name).map(|q| q.consumers[i].clone()) else {
                    break;
                };
                let Some(m) = message.take() else {
                    break;
                };
                match self.offer(cid, &sid, m) {
                    Ok(()) => {
                        if let Some(queue) = self.queues.get_mut(name) {
                            queue.next = (i + 1) % n;
                        }
                        break;
                    }
                    Err(m) => message = Some(m),
                }
            }
            if let Some(m) = message {
                self.queues
                    .entry(name.clone())
                    .or_default()
                    .messages
                    .push_front(m);
                self.counts.queued += 1;
                return;
            }
            if self
                .queues
                .get(name)
                .is_some_and(|q| q.messages.is_empty() && q.consumers.is_empty())
            {
                self.queues.remove(name);
            }
        }
    }

    /// Delivers queue message `message` to subscription `sid` of `cid`
    /// when it can take it now (open, under `max_unacked` in a `client`
    /// mode, the MESSAGE within the unsent caps); gives it back otherwise.
    /// Never closes a connection.
    fn offer(
        &mut self,
        cid: ConnectionId,
        sid: &Arc<str>,
        message: Message,
    ) -> Result<(), Message> {
        let limits = &self.config.limits;
        let Some(conn) = self.connections.get_mut(&cid) else {
            return Err(message);
        };
        if conn.phase != Phase::Open {
            return Err(message);
        }
        let Some(sub) = conn.subscriptions.get(sid) else {
            return Err(message);
        };
        let mode = sub.ack;
        if mode != AckMode::Auto && conn.unacked.len() >= limits.max_unacked {
            conn.blocked = true;
            return Err(message);
        }
        let message_id = self.next_message + 1;
        let tail = message_tail(conn.version, &message);
        let bytes = message_bytes(
            conn.version,
            sid,
            message_id,
            mode,
            &message.destination,
            &tail,
        );
        if conn.unsent + bytes.len() > limits.max_unsent_bytes {
            conn.blocked = true;
            return Err(message);
        }
        if self.unsent_bytes + bytes.len() > limits.max_total_unsent_bytes {
            self.total_blocked = true;
            return Err(message);
        }
        self.next_message = message_id;
        let size = message.size();
        let queued = self.push(cid, bytes, Overflow::Skip);
        debug_assert!(queued, "a MESSAGE within its size bound was refused");
        if !queued {
            return Err(message);
        }
        self.stats.messages_delivered += 1;
        let Some(conn) = self.connections.get_mut(&cid) else {
            return Ok(());
        };
        if mode == AckMode::Auto {
            self.stored_bytes -= size;
        } else {
            self.counts.unacked += 1;
            conn.unacked.insert(
                message_id,
                Delivery {
                    subscription: sid.clone(),
                    message: Some(message),
                },
            );
        }
        Ok(())
    }

    /// Delivers topic message `message` to subscription `sid` of `cid`:
    /// dropped at `max_unacked`, the connection closed as a slow consumer
    /// past the unsent caps.
    fn deliver_topic(&mut self, cid: ConnectionId, sid: &Arc<str>, tails: &mut Tails<'_>) {
        let max_unacked = self.config.limits.max_unacked;
        let Some(conn) = self.connections.get(&cid) else {
            return;
        };
        if conn.phase != Phase::Open {
            return;
        }
        let Some(sub) = conn.subscriptions.get(sid) else {
            return;
        };
        let mode = sub.ack;
        if mode != AckMode::Auto && conn.unacked.len() >= max_unacked {
            self.stats.messages_dropped += 1;
            return;
        }
        self.next_message += 1;
        let message_id = self.next_message;
        let tail = tails.get(conn.version);
        let destination = &tails.message.destination;
        let bytes = message_bytes(conn.version, sid, message_id, mode, destination, &tail);
        if !self.push(cid, bytes, Overflow::Close) {
            return;
        }
        self.stats.messages_delivered += 1;
        if mode != AckMode::Auto
            && let Some(conn) = self.connections.get_mut(&cid)
        {
            self.counts.unacked += 1;
            conn.unacked.insert(
                message_id,
                Delivery {
                    subscription: sid.clone(),
                    message: None,
                },
            );
        }
    }
}

/// The end of the MESSAGE frames of `message` in `version`, the same for
/// every subscription: the sender's headers the version can carry
/// (escaped, STOMP 1.2 "Value Encoding"), `content-length` for a body,
/// the blank line, the body and the NUL (STOMP 1.2 "MESSAGE").
fn message_tail(version: Version, message: &Message) -> Bytes {
    let mut dst = Vec::with_capacity(message.size());
    for (name, value) in &message.headers {
        if version.can_carry(name, value) {
            put_text(&mut dst, version, name);
            dst.push(b':');
            put_text(&mut dst, version, value);
            dst.push(b'\n');
        }
    }
    if !message.body.is_empty() {
        dst.extend_from_slice(format!("content-length:{}\n", message.body.len()).as_bytes());
    }
    dst.push(b'\n');
    dst.extend_from_slice(&message.body);
    dst.push(0);
    Bytes::from(dst)
}

/// The MESSAGE frame for subscription `sid`: `subscription`,
/// `message-id`, `destination`, `ack` (1.2, `client` modes), then `tail`
/// ([`message_tail`]).
fn message_bytes(
    version: Version,
    sid: &str,
    message_id: u64,
    mode: AckMode,
    destination: &str,
    tail: &[u8],
) -> Bytes {
    let id = message_id.to_string();
    let mut dst =
        Vec::with_capacity(tail.len() + 2 * (sid.len() + id.len()) + destination.len() + 64);
    dst.extend_from_slice(b"MESSAGE\nsubscription:");
    put_text(&mut dst, version, sid);
    dst.extend_from_slice(b"\nmessage-id:");
    dst.extend_from_slice(id.as_bytes());
    dst.extend_from_slice(b"\ndestination:");
    put_text(&mut dst, version, destination);
    dst.push(b'\n');
    if version >= Version::V1_2 && mode != AckMode::Auto {
        dst.extend_from_slice(b"ack:");
        dst.extend_from_slice(id.as_bytes());
        dst.push(b'\n');
    }
    dst.extend_from_slice(tail);
    Bytes::from(dst)
}

/// Appends header text `text`, escaped as `version` says.
fn put_text(dst: &mut Vec<u8>, version: Version, text: &str) {
    if escapes(version) && needs_escape(text.as_bytes(), version) {
        escape_into(text, version, dst);
    } else {
        dst.extend_from_slice(text.as_bytes());
    }
}

/// The tails of one message, made once per version it goes out in.
struct Tails<'a> {
    message: &'a Message,
    by_version: [Option<Bytes>; 3],
}

impl<'a> Tails<'a> {
    fn new(message: &'a Message) -> Self {
        Tails {
            message,
            by_version: [None, None, None],
        }
    }

    fn get(&mut self, version: Version) -> Bytes {
        let i = match version {
            Version::V1_0 => 0,
            Version::V1_1 => 1,
            Version::V1_2 => 2,
        };
        self.by_version[i]
            .get_or_insert_with(|| message_tail(version, self.message))
            .clone()
    }
}
