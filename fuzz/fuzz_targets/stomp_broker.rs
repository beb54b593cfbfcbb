//! Fuzz `rtw_stomp::broker::Broker`, driven as a TCP driver would: it
//! never panics, and whatever clients send, what it holds and what it
//! sends stay within bounds, and no message reaches one subscription
//! twice unless it was NACKed or the subscription ended.
//!
//! The first input byte configures the broker: bits 0-1 the subscription
//! cap (1 to 4), bits 2-3 the unacked cap (1 to 4), bit 4 heart-beats of
//! 100 ms both ways (else none), bit 5 a required login `u`/`p`, bit 6 a
//! small unsent cap (300 bytes, else 2,000). The rest is a sequence of
//! records (`rtw_fuzz::steps`): a control byte, a clock byte (the virtual
//! clock moves by its square in ms) and a body. The control byte's bits
//! 3-4 pick one of four connection slots (connected on first use), its
//! low three bits what happens:
//!
//! - 0: the body as raw bytes from that connection;
//! - 1: a frame built from the body (`build`: SUBSCRIBE, UNSUBSCRIBE,
//!   SEND with a unique `fz` tag, ACK or NACK of a message it got, BEGIN,
//!   COMMIT, ABORT, DISCONNECT, CONNECT), in one piece;
//! - 2: the connection ends (the slot connects anew on next use);
//! - 3: its driver stops or starts writing (while stopped nothing it is
//!   sent is reported written, so it becomes a slow consumer);
//! - 4: the built frame fed in two pieces, cut at the body's last byte;
//! - 5 to 7: nothing but the clock.
//!
//! After every record: every `poll_*` drains in a bounded number of
//! calls; every transmit goes to a connection that has not ended, ends at
//! a frame boundary and decodes (for the negotiated version) into server
//! frames; nothing follows the `Close` of a connection but what was
//! queued before it; message ids are unique; per subscription of a
//! connection that got only built frames, a tagged message comes at most
//! once between its SUBSCRIBE and its UNSUBSCRIBE, a NACK or a COMMIT;
//! sizes stay within the caps; after `handle_timeout(now)` the next
//! timeout is later than `now`. At the end every connection ends and the
//! broker holds no connection, subscription, transaction or unsent byte.
#![no_main]

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use rtw_fuzz::{fire_due_timer, steps};
use rtw_stomp::broker::{Broker, BrokerConfig, BrokerEvent, BrokerLimits, ConnectionId};
use rtw_stomp::{Command, Decoder, Frame, HeartBeat, Item, Limits, Version};

const SLOTS: usize = 4;
const DESTS: [&str; 4] = ["/queue/a", "/queue/b", "/topic/a", "/topic/b"];
const MAX_DESTINATIONS: usize = 3;
const MAX_STORED: usize = 4096;
const MAX_TOTAL_UNSENT: usize = 6000;
/// What an ERROR frame may add past the unsent cap.
const ERROR_SLACK: usize = 1024;
/// More calls than this to drain one `poll_*` is a runaway queue.
const MAX_DRAIN: usize = 10_000;

struct Conn {
    id: ConnectionId,
    /// What it sent that the broker has not consumed yet (a driver keeps
    /// it for the next read).
    inbuf: BytesMut,
    /// Reads what the broker sends it.
    decoder: Decoder,
    /// Its driver reports writes.
    writing: bool,
    /// It got raw bytes: no duplicate check for it.
    tainted: bool,
    /// Closed by the broker (`Close` drained).
    closed: bool,
    /// Tags delivered per subscription id since the last reset.
    seen: HashMap<String, HashSet<u64>>,
    /// `ack` (or `message-id`) of the messages it got, newest last.
    acks: Vec<String>,
    version: Version,
}

struct Harness {
    broker: Broker,
    now: Instant,
    max_unsent: usize,
    max_subscriptions: usize,
    max_unacked: usize,
    slots: [Option<Conn>; SLOTS],
    ended: HashSet<ConnectionId>,
    message_ids: HashSet<String>,
    next_tag: u64,
    /// Raw bytes carried a tag look-alike: duplicate checks are off.
    forged: bool,
}

impl Harness {
    fn new(flags: u8) -> Self {
        let max_subscriptions = 1 + usize::from(flags & 3);
        let max_unacked = 1 + usize::from(flags >> 2 & 3);
        let max_unsent = if flags & 0x40 != 0 { 300 } else { 2000 };
        let frame = Limits::default()
            .max_frame_size(2048)
            .max_headers(16)
            .max_header_line(256)
            .max_body(256);
        let limits = BrokerLimits::default()
            .frame(frame)
            .max_subscriptions(max_subscriptions)
            .max_unacked(max_unacked)
            .max_transactions(2)
            .max_transaction_frames(8)
            .max_unsent_bytes(max_unsent)
            .max_total_unsent_bytes(MAX_TOTAL_UNSENT)
            .max_destinations(MAX_DESTINATIONS)
            .max_queue_messages(4)
            .max_stored_bytes(MAX_STORED);
        let heart_beat = if flags & 0x10 != 0 {
            HeartBeat {
                can_send: Duration::from_millis(100),
                want_receive: Duration::from_millis(100),
            }
        } else {
            HeartBeat::NONE
        };
        let users = if flags & 0x20 != 0 {
            vec![("u".to_owned(), "p".to_owned())]
        } else {
            Vec::new()
        };
        let config = BrokerConfig::default()
            .limits(limits)
            .heart_beat(heart_beat)
            .users(users)
            .connect_timeout(Duration::from_secs(1));
        Harness {
            broker: Broker::new(config),
            now: Instant::now(),
            max_unsent,
            max_subscriptions,
            max_unacked,
            slots: std::array::from_fn(|_| None),
            ended: HashSet::new(),
            message_ids: HashSet::new(),
            next_tag: 0,
            forged: false,
        }
    }

    fn slot(&mut self, slot: usize) -> &mut Conn {
        if self.slots[slot].is_none() {
            let id = self.broker.handle_connect(self.now);
            let decoder = Decoder::with_limits(
                Limits::default()
                    .max_headers(1000)
                    .max_frame_size(1 << 20)
                    .max_header_line(1 << 16),
            );
            self.slots[slot] = Some(Conn {
                id,
                inbuf: BytesMut::new(),
                decoder,
                writing: true,
                tainted: false,
                closed: false,
                seen: HashMap::new(),
                acks: Vec::new(),
                version: Version::V1_2,
            });
        }
        self.slots[slot].as_mut().unwrap()
    }

    fn input(&mut self, slot: usize, bytes: &[u8]) {
        let conn = self.slot(slot);
        conn.inbuf.extend_from_slice(bytes);
        let (id, mut src) = (conn.id, std::mem::take(&mut conn.inbuf));
        self.broker.handle_input(self.now, id, &mut src);
        assert!(
            src.len() <= 2048,
            "the broker holds more than a frame of input"
        );
        self.slot(slot).inbuf = src;
    }

    fn disconnect(&mut self, slot: usize) {
        if let Some(conn) = self.slots[slot].take() {
            self.broker.handle_disconnect(self.now, conn.id);
            self.ended.insert(conn.id);
        }
    }

    fn by_id(&mut self, id: ConnectionId) -> Option<&mut Conn> {
        self.slots.iter_mut().flatten().find(|c| c.id == id)
    }

    fn drain(&mut self) {
        for n in 0.. {
            let Some(t) = self.broker.poll_transmit() else {
                break;
            };
            assert!(n < MAX_DRAIN, "transmits never end");
            assert!(
                !self.ended.contains(&t.connection),
                "sends to an ended connection"
            );
            let Some(conn) = self.by_id(t.connection) else {
                panic!("sends to {}, never connected", t.connection);
            };
            assert!(!conn.closed, "sends to {} after its Close", t.connection);
            let writing = conn.writing;
            let mut src = BytesMut::from(&t.bytes[..]);
            let mut frames = Vec::new();
            loop {
                match conn.decoder.decode(&mut src) {
                    Ok(Some(Item::HeartBeat)) => {}
                    Ok(Some(Item::Frame(frame))) => {
                        if frame.command == Command::Connected {
                            let v = frame.header("version").and_then(Version::parse);
                            conn.version = v.unwrap_or(Version::V1_0);
                            conn.decoder.set_version(conn.version);
                        }
                        frames.push(frame);
                    }
                    Ok(None) => break,
                    Err(e) => panic!("broker output does not decode: {e}"),
                }
            }
            assert!(
                src.is_empty() && conn.decoder.is_idle(),
                "transmit ends inside a frame"
            );
            for frame in frames {
                self.check_frame(t.connection, frame);
            }
            if writing {
                self.broker
                    .handle_sent(self.now, t.connection, t.bytes.len());
            }
        }
        for n in 0.. {
            let Some(event) = self.broker.poll_event() else {
                break;
            };
            assert!(n < MAX_DRAIN, "events never end");
            match event {
                BrokerEvent::Close { connection, .. } => {
                    let conn = self
                        .by_id(connection)
                        .expect("Close names an open connection");
                    assert!(!conn.closed, "two Close for {connection}");
                    conn.closed = true;
                }
                BrokerEvent::Connected { connection, .. } => {
                    assert!(
                        self.by_id(connection).is_some(),
                        "Connected names an open connection"
                    );
                }
                _ => {}
            }
        }
    }

    fn check_frame(&mut self, id: ConnectionId, frame: Frame) {
        assert!(
            matches!(
                frame.command,
                Command::Connected | Command::Message | Command::Receipt | Command::Error
            ),
            "a {} frame from the broker",
            frame.command
        );
        if frame.command != Command::Message {
            return;
        }
        let message_id = frame.header("message-id").expect("message-id").to_owned();
        assert!(
            self.message_ids.insert(message_id.clone()),
            "message-id {message_id} twice"
        );
        let sid = frame
            .header("subscription")
            .expect("subscription")
            .to_owned();
        let tag = frame.header("fz").and_then(|t| t.parse::<u64>().ok());
        let forged = self.forged;
        let conn = self.by_id(id).unwrap();
        if conn.version == Version::V1_2 {
            conn.acks
                .push(frame.header("ack").unwrap_or(&message_id).to_owned());
        } else {
            conn.acks.push(message_id);
        }
        if conn.acks.len() > 64 {
            conn.acks.remove(0);
        }
        if let Some(tag) = tag
            && !conn.tainted
            && !forged
        {
            let fresh = conn.seen.entry(sid.clone()).or_default().insert(tag);
            assert!(fresh, "message {tag} twice to subscription {sid} of {id}");
        }
    }

    /// A frame built from `body` for `slot`; also resets the duplicate
    /// tracking its effects allow.
    fn build(&mut self, slot: usize, body: &[u8]) -> Frame {
        let b = |i: usize| body.get(i).copied().unwrap_or(0);
        let tx = format!("t{}", b(3) & 1);
        let in_tx = b(3) & 4 != 0;
        let receipt = b(3) & 8 != 0;
        let tag = self.next_tag;
        let conn = self.slot(slot);
        let mut frame = match b(0) % 10 {
            0 => {
                let sid = format!("s{}", b(1) % 3);
                conn.seen.remove(&sid);
                let ack = ["auto", "client", "client-individual"][usize::from(b(4) % 3)];
                Frame::new(Command::Subscribe)
                    .with_header("id", sid)
                    .with_header("destination", DESTS[usize::from(b(2) % 4)])
                    .with_header("ack", ack)
            }
            1 => {
                let sid = format!("s{}", b(1) % 3);
                conn.seen.remove(&sid);
                Frame::new(Command::Unsubscribe).with_header("id", sid)
            }
            2 => {
                let mut f = Frame::new(Command::Send)
                    .with_header("destination", DESTS[usize::from(b(1) % 4)])
                    .with_header("fz", tag.to_string())
                    .with_body(vec![b'x'; usize::from(b(2) % 64)]);
                if in_tx {
                    f = f.with_header("transaction", tx.clone());
                }
                f
            }
            n @ (3 | 4) => {
                let id = if conn.acks.is_empty() {
                    "0".to_owned()
                } else {
                    conn.acks[usize::from(b(1)) % conn.acks.len()].clone()
                };
                let command = if n == 3 { Command::Ack } else { Command::Nack };
                if command == Command::Nack {
                    conn.seen.clear();
                }
                let name = if conn.version == Version::V1_2 {
                    "id"
                } else {
                    "message-id"
                };
                let mut f = Frame::new(command).with_header(name, id);
                if conn.version == Version::V1_1 {
                    f = f.with_header("subscription", "s0");
                }
                if in_tx {
                    f = f.with_header("transaction", tx.clone());
                }
                f
            }
            5 => Frame::new(Command::Begin).with_header("transaction", tx.clone()),
            6 => {
                conn.seen.clear();
                Frame::new(Command::Commit).with_header("transaction", tx.clone())
            }
            7 => Frame::new(Command::Abort).with_header("transaction", tx.clone()),
            8 => Frame::new(Command::Disconnect),
            _ => {
                let versions = ["1.2", "1.1", "1.0", "1.0,1.1,1.2", "2.0"];
                let mut f = Frame::new(Command::Connect).with_header("host", "h");
                if b(1) % 6 < 5 {
                    f = f.with_header("accept-version", versions[usize::from(b(1) % 6)]);
                }
                if b(2) & 1 != 0 {
                    f = f.with_header("heart-beat", format!("{},{}", b(2) & 0x70, b(4)));
                }
                if b(2) & 0x80 == 0 {
                    f = f
                        .with_header("login", "u")
                        .with_header("passcode", if b(4) & 1 == 0 { "p" } else { "q" });
                }
                f
            }
        };
        if b(0) % 10 == 2 {
            self.next_tag += 1;
        }
        if receipt {
            frame = frame.with_header("receipt", format!("r{}", b(5)));
        }
        frame
    }

    fn check_bounds(&self) {
        let stats = self.broker.stats();
        let open = self.slots.iter().flatten().count();
        assert_eq!(stats.connections, open, "{stats:?}");
        assert!(
            stats.subscriptions <= open * self.max_subscriptions,
            "{stats:?}"
        );
        assert!(stats.unacked <= open * self.max_unacked, "{stats:?}");
        assert!(stats.transactions <= open * 2, "{stats:?}");
        assert!(stats.destinations <= MAX_DESTINATIONS, "{stats:?}");
        assert!(stats.stored_bytes <= MAX_STORED, "{stats:?}");
        assert!(stats.queued_messages <= MAX_STORED / 128, "{stats:?}");
        assert!(
            stats.unsent_bytes <= MAX_TOTAL_UNSENT + open * ERROR_SLACK,
            "{stats:?}"
        );
        for conn in self.slots.iter().flatten() {
            assert!(self.broker.unsent(conn.id) <= self.max_unsent + ERROR_SLACK);
        }
    }

    fn step(&mut self, control: u8, clock: u8, body: &[u8]) {
        self.now += Duration::from_millis(u64::from(clock) * u64::from(clock));
        let slot = usize::from(control >> 3) % SLOTS;
        match control & 7 {
            0 => {
                self.slot(slot).tainted = true;
                if body.windows(3).any(|w| w == b"fz:") {
                    self.forged = true;
                }
                self.input(slot, body);
            }
            1 => {
                let frame = self.build(slot, body);
                let bytes = frame.to_bytes(self.slot(slot).version);
                self.input(slot, &bytes);
            }
            2 => self.disconnect(slot),
            3 => {
                let conn = self.slot(slot);
                conn.writing = !conn.writing;
                let (id, writing) = (conn.id, conn.writing);
                if writing {
                    let unsent = self.broker.unsent(id);
                    self.broker.handle_sent(self.now, id, unsent);
                }
            }
            4 => {
                let frame = self.build(slot, body);
                let bytes = frame.to_bytes(self.slot(slot).version);
                let cut = usize::from(body.last().copied().unwrap_or(0)) % (bytes.len() + 1);
                self.input(slot, &bytes[..cut]);
                self.drain();
                self.input(slot, &bytes[cut..]);
            }
            _ => {}
        }
        self.drain();
        if fire_due_timer(
            &mut self.broker,
            self.now,
            Broker::poll_timeout,
            Broker::handle_timeout,
        ) {
            self.drain();
        }
        self.check_bounds();
    }
}

fuzz_target!(|data: &[u8]| {
    let flags = data.first().copied().unwrap_or(0);
    let mut h = Harness::new(flags);
    for (control, clock, body) in steps(data.get(1..).unwrap_or_default(), 128) {
        h.step(control, clock, body);
    }
    for slot in 0..SLOTS {
        h.disconnect(slot);
    }
    h.drain();
    h.check_bounds();
    let stats = h.broker.stats();
    assert_eq!(
        (
            stats.connections,
            stats.subscriptions,
            stats.unacked,
            stats.transactions,
            stats.unsent_bytes
        ),
        (0, 0, 0, 0, 0),
        "{stats:?}"
    );
    assert_eq!(
        stats.stored_bytes == 0,
        stats.queued_messages == 0,
        "{stats:?}"
    );
    assert_eq!(h.broker.poll_timeout(), None);
});
