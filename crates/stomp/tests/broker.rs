//! The broker core in virtual time: negotiation, topics, queues, ack
//! modes, receipts, transactions, errors, caps, slow consumers and
//! heart-beats (STOMP 1.2 sections named per test).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use rtw_stomp::broker::{
    Broker, BrokerConfig, BrokerEvent, BrokerLimits, CloseReason, ConnectionId,
};
use rtw_stomp::{Command, Decoder, Frame, HeartBeat, Item, Limits, Version};

/// A broker, its clock, and a decoder per connection for what it sends.
struct Harness {
    broker: Broker,
    now: Instant,
    decoders: HashMap<ConnectionId, Decoder>,
    /// Decoded output per connection, oldest first.
    inbox: HashMap<ConnectionId, Vec<Item>>,
    events: Vec<BrokerEvent>,
    /// Report writes as done (`handle_sent`) while draining.
    write: bool,
}

impl Harness {
    fn new(config: BrokerConfig) -> Self {
        Harness {
            broker: Broker::new(config),
            now: Instant::now(),
            decoders: HashMap::new(),
            inbox: HashMap::new(),
            events: Vec::new(),
            write: true,
        }
    }

    fn default() -> Self {
        Harness::new(BrokerConfig::default().heart_beat(HeartBeat::NONE))
    }

    fn open(&mut self) -> ConnectionId {
        let id = self.broker.handle_connect(self.now);
        self.decoders.insert(id, Decoder::new());
        id
    }

    /// A connection that sent CONNECT for 1.2 and got CONNECTED.
    fn session(&mut self) -> ConnectionId {
        let id = self.open();
        self.raw(id, b"CONNECT\naccept-version:1.2\nhost:h\n\n\0");
        let frame = self.next(id).expect("CONNECTED");
        assert_eq!(frame.command, Command::Connected);
        id
    }

    fn raw(&mut self, id: ConnectionId, bytes: &[u8]) {
        let mut src = BytesMut::from(bytes);
        self.broker.handle_input(self.now, id, &mut src);
        self.drain();
    }

    fn send(&mut self, id: ConnectionId, frame: Frame) {
        let version = self.decoders[&id].version();
        let bytes = frame.to_bytes(version);
        self.raw(id, &bytes);
    }

    fn drain(&mut self) {
        while let Some(t) = self.broker.poll_transmit() {
            if self.write {
                self.broker
                    .handle_sent(self.now, t.connection, t.bytes.len());
            }
            let decoder = self.decoders.get_mut(&t.connection).expect("known");
            let mut src = BytesMut::from(&t.bytes[..]);
            while let Some(item) = decoder.decode(&mut src).expect("broker output decodes") {
                if let Item::Frame(f) = &item
                    && f.command == Command::Connected
                {
                    let v = f.header("version").and_then(Version::parse);
                    decoder.set_version(v.unwrap_or(Version::V1_0));
                }
                self.inbox.entry(t.connection).or_default().push(item);
            }
            assert!(src.is_empty(), "a transmit ends at a frame boundary");
        }
        while let Some(e) = self.broker.poll_event() {
            self.events.push(e);
        }
    }

    /// The next frame sent to `id` (heart-beats skipped).
    fn next(&mut self, id: ConnectionId) -> Option<Frame> {
        let inbox = self.inbox.entry(id).or_default();
        while !inbox.is_empty() {
            if let Item::Frame(f) = inbox.remove(0) {
                return Some(f);
            }
        }
        None
    }

    /// Every frame sent to `id` so far and not yet taken.
    fn frames(&mut self, id: ConnectionId) -> Vec<Frame> {
        std::iter::from_fn(|| self.next(id)).collect()
    }

    /// The bodies of [`Harness::frames`], as text.
    fn bodies(&mut self, id: ConnectionId) -> Vec<String> {
        let frames = self.frames(id);
        frames.iter().map(|f| body(f).to_owned()).collect()
    }

    fn heart_beats(&mut self, id: ConnectionId) -> usize {
        let inbox = self.inbox.entry(id).or_default();
        let n = inbox.iter().filter(|i| **i == Item::HeartBeat).count();
        inbox.retain(|i| *i != Item::HeartBeat);
        n
    }

    fn closed(&self, id: ConnectionId) -> Option<CloseReason> {
        self.events.iter().find_map(|e| match e {
            BrokerEvent::Close { connection, reason } if *connection == id => Some(*reason),
            _ => None,
        })
    }

    fn subscribe(&mut self, id: ConnectionId, sid: &str, dest: &str, ack: &str) {
        self.send(
            id,
            Frame::new(Command::Subscribe)
                .with_header("id", sid)
                .with_header("destination", dest)
                .with_header("ack", ack),
        );
    }

    fn publish(&mut self, id: ConnectionId, dest: &str, body: &str) {
        self.send(
            id,
            Frame::new(Command::Send)
                .with_header("destination", dest)
                .with_body(body.to_owned().into_bytes()),
        );
    }

    /// One SEND per number, its body the number.
    fn publish_numbered(
        &mut self,
        id: ConnectionId,
        dest: &str,
        numbers: impl IntoIterator<Item = u32>,
    ) {
        for i in numbers {
            self.publish(id, dest, &i.to_string());
        }
    }

    /// ACK of `message` (STOMP 1.2 "ACK": its `id` is the MESSAGE's `ack`
    /// header).
    fn ack(&mut self, id: ConnectionId, message: &Frame) {
        let ack = message.header("ack").expect("an ack header");
        self.send(id, Frame::new(Command::Ack).with_header("id", ack));
    }

    fn advance(&mut self, by: Duration) {
        self.now += by;
        while let Some(at) = self.broker.poll_timeout() {
            if at > self.now {
                break;
            }
            self.broker.handle_timeout(self.now);
            assert!(self.broker.poll_timeout().is_none_or(|t| t > self.now));
            self.drain();
        }
    }
}

fn body(frame: &Frame) -> &str {
    std::str::from_utf8(&frame.body).unwrap()
}

fn error_message(frame: &Frame) -> &str {
    assert_eq!(frame.command, Command::Error, "{frame:?}");
    frame.header("message").unwrap()
}

/// STOMP 1.2 "CONNECTED Frame", "Protocol Negotiation".
#[test]
fn connect_negotiates_version_and_heart_beat() {
    let mut h = Harness::new(BrokerConfig::default().heart_beat(HeartBeat {
        can_send: Duration::from_millis(500),
        want_receive: Duration::from_millis(700),
    }));
    let c = h.open();
    h.raw(
        c,
        b"STOMP\naccept-version:1.0,1.1\nhost:h\nheart-beat:100,100\n\n\0",
    );
    let f = h.next(c).unwrap();
    assert_eq!(f.command, Command::Connected);
    assert_eq!(f.header("version"), Some("1.1"));
    assert_eq!(f.header("heart-beat"), Some("500,700"));
    assert!(f.header("session").is_some());
    assert!(f.header("server").unwrap().starts_with("rtw-stomp/"));
    assert!(matches!(
        h.events[0],
        BrokerEvent::Connected { connection, version: Version::V1_1, .. } if connection == c
    ));

    // No common version: ERROR listing ours, then close.
    let mut h = Harness::new(BrokerConfig::default().versions(vec![Version::V1_2]));
    let c = h.open();
    h.raw(c, b"CONNECT\naccept-version:1.0,1.1\n\n\0");
    let f = h.next(c).unwrap();
    assert_eq!(error_message(&f), "supported protocol versions are 1.2");
    assert_eq!(f.header("version"), Some("1.2"));
    assert_eq!(h.closed(c), Some(CloseReason::Error));
}

/// STOMP 1.2 "CONNECT or STOMP Frame": login and passcode.
#[test]
fn login_is_checked_when_users_are_set() {
    let mut h = Harness::new(
        BrokerConfig::default()
            .heart_beat(HeartBeat::NONE)
            .users(vec![("alice".into(), "secret".into())]),
    );
    let c = h.open();
    h.raw(
        c,
        b"CONNECT\naccept-version:1.2\nlogin:alice\npasscode:wrong\n\n\0",
    );
    assert_eq!(error_message(&h.next(c).unwrap()), "login refused");
    assert_eq!(h.closed(c), Some(CloseReason::Error));
    let c = h.open();
    h.raw(
        c,
        b"CONNECT\naccept-version:1.2\nlogin:alice\npasscode:secret\n\n\0",
    );
    assert_eq!(h.next(c).unwrap().command, Command::Connected);
    assert!(h.events.iter().any(|e| matches!(
        e,
        BrokerEvent::Connected { login: Some(l), .. } if l == "alice"
    )));
}

/// A topic delivers to every subscriber, with its own subscription id,
/// a unique message-id, the sender's headers and the body whole.
#[test]
fn topic_fans_out() {
    let mut h = Harness::default();
    let a = h.session();
    let b = h.session();
    let p = h.session();
    h.subscribe(a, "s-a", "/topic/news", "auto");
    h.subscribe(b, "s-b", "/topic/news", "auto");
    h.send(
        p,
        Frame::new(Command::Send)
            .with_header("destination", "/topic/news")
            .with_header("x-note", "a:b\nc")
            .with_header("content-type", "application/octet-stream")
            .with_body(&b"x\0y"[..]),
    );
    let fa = h.next(a).unwrap();
    let fb = h.next(b).unwrap();
    for (f, sid) in [(&fa, "s-a"), (&fb, "s-b")] {
        assert_eq!(f.command, Command::Message);
        assert_eq!(f.header("subscription"), Some(sid));
        assert_eq!(f.header("destination"), Some("/topic/news"));
        assert_eq!(f.header("x-note"), Some("a:b\nc"));
        assert_eq!(f.header("content-type"), Some("application/octet-stream"));
        assert_eq!(f.header("ack"), None);
        assert_eq!(&f.body[..], b"x\0y");
    }
    assert_ne!(fa.header("message-id"), fb.header("message-id"));
    assert!(h.next(p).is_none());
    // No subscriber: dropped.
    h.publish(p, "/topic/empty", "lost");
    assert_eq!(h.broker.stats().messages_dropped, 1);
}

/// A queue gives each message to one consumer, round robin, and keeps
/// messages sent before anyone subscribed.
#[test]
fn queue_round_robin() {
    let mut h = Harness::default();
    let p = h.session();
    h.publish(p, "/queue/work", "0");
    assert_eq!(h.broker.stats().queued_messages, 1);
    let a = h.session();
    let b = h.session();
    h.subscribe(a, "1", "/queue/work", "auto");
    assert_eq!(body(&h.next(a).unwrap()), "0");
    h.subscribe(b, "1", "/queue/work", "auto");
    h.publish_numbered(p, "/queue/work", 1..=4);
    let got_a = h.bodies(a);
    let got_b = h.bodies(b);
    assert_eq!(got_a.len(), 2, "{got_a:?} {got_b:?}");
    assert_eq!(got_b.len(), 2, "{got_a:?} {got_b:?}");
    let stats = h.broker.stats();
    assert_eq!((stats.queued_messages, stats.stored_bytes), (0, 0));
}

/// STOMP 1.2 "NACK": a NACKed queue message goes to the next consumer;
/// "ACK" in client-individual mode settles one message.
#[test]
fn nack_redelivers_to_the_next_consumer() {
    let mut h = Harness::default();
    let a = h.session();
    let b = h.session();
    let p = h.session();
    h.subscribe(a, "0", "/queue/q", "client-individual");
    h.subscribe(b, "0", "/queue/q", "client-individual");
    h.publish(p, "/queue/q", "m");
    let m = h.next(a).unwrap();
    let ack = m.header("ack").unwrap().to_owned();
    assert_eq!(m.header("message-id"), Some(ack.as_str()));
    assert_eq!(h.broker.stats().unacked, 1);
    h.send(a, Frame::new(Command::Nack).with_header("id", ack.as_str()));
    let again = h.next(b).unwrap();
    assert_eq!(body(&again), "m");
    assert_ne!(again.header("ack"), Some(ack.as_str()));
    h.ack(b, &again);
    let stats = h.broker.stats();
    assert_eq!((stats.unacked, stats.stored_bytes), (0, 0));
    assert_eq!(stats.messages_requeued, 1);
}

/// STOMP 1.2 "SUBSCRIBE ack Header": in client mode an ACK is
/// cumulative.
#[test]
fn client_mode_ack_is_cumulative() {
    let mut h = Harness::default();
    let a = h.session();
    let p = h.session();
    h.subscribe(a, "0", "/queue/q", "client");
    h.publish_numbered(p, "/queue/q", 0..3);
    let frames = h.frames(a);
    assert_eq!(frames.len(), 3);
    assert_eq!(h.broker.stats().unacked, 3);
    h.ack(a, &frames[1]);
    assert_eq!(h.broker.stats().unacked, 1);
}

/// A dropped connection's unacknowledged queue messages go to another
/// consumer, in order.
#[test]
fn disconnect_redelivers_unacked() {
    let mut h = Harness::default();
    let a = h.session();
    let p = h.session();
    h.subscribe(a, "0", "/queue/q", "client");
    h.publish(p, "/queue/q", "1");
    h.publish(p, "/queue/q", "2");
    assert_eq!(h.frames(a).len(), 2);
    h.broker.handle_disconnect(h.now, a);
    h.drain();
    assert_eq!(h.broker.stats().queued_messages, 2);
    let b = h.session();
    h.subscribe(b, "0", "/queue/q", "auto");
    assert_eq!(h.bodies(b), ["1", "2"]);
    assert_eq!(h.broker.stats().stored_bytes, 0);
}

/// STOMP 1.2 "RECEIPT" and "ERROR": a receipt for a good frame; an ERROR
/// carrying receipt-id and message for a bad one, then close.
#[test]
fn receipts_and_errors() {
    let mut h = Harness::default();
    let c = h.session();
    h.send(
        c,
        Frame::new(Command::Send)
            .with_header("destination", "/topic/t")
            .with_header("receipt", "r1"),
    );
    let r = h.next(c).unwrap();
    assert_eq!(r.command, Command::Receipt);
    assert_eq!(r.header("receipt-id"), Some("r1"));
    h.send(
        c,
        Frame::new(Command::Subscribe)
            .with_header("id", "0")
            .with_header("receipt", "r2"),
    );
    let e = h.next(c).unwrap();
    assert_eq!(error_message(&e), "missing destination header");
    assert_eq!(e.header("receipt-id"), Some("r2"));
    assert_eq!(h.closed(c), Some(CloseReason::Error));
    // Input after the ERROR is ignored.
    h.publish(c, "/topic/t", "late");
    assert!(h.next(c).is_none());
    h.broker.handle_disconnect(h.now, c);
    assert_eq!(h.broker.stats().connections, 0);
}

/// Frames before CONNECT, bad destinations, server frames and codec
/// errors get an ERROR and a close.
#[test]
fn protocol_errors() {
    let cases: [(&[u8], &str); 5] = [
        (
            b"SEND\ndestination:/queue/a\n\n\0",
            "expected a CONNECT frame",
        ),
        (
            b"CONNECT\naccept-version:1.2\n\n\0SEND\ndestination:/elsewhere\n\n\0",
            "destination must start with /queue/ or /topic/",
        ),
        (
            b"CONNECT\naccept-version:1.2\n\n\0MESSAGE\n\n\0",
            "MESSAGE is a server frame",
        ),
        (
            b"CONNECT\naccept-version:1.2\n\n\0BOGUS\n\n\0",
            "unknown command",
        ),
        (
            b"CONNECT\naccept-version:1.2\n\n\0SEND\ndestination:/queue/\\t\n\n\0",
            "undefined escape sequence in a header",
        ),
    ];
    for (input, message) in cases {
        let mut h = Harness::default();
        let c = h.open();
        h.raw(c, input);
        let mut frame = h.next(c).unwrap();
        if frame.command == Command::Connected {
            frame = h.next(c).unwrap();
        }
        assert_eq!(error_message(&frame), message);
        assert_eq!(h.closed(c), Some(CloseReason::Error));
    }
    // A frame past the decoder's limits: the ERROR names the limit.
    let config = BrokerConfig::default()
        .limits(BrokerLimits::default().frame(Limits::default().max_body(4)));
    let mut h = Harness::new(config);
    let c = h.session();
    h.publish(c, "/topic/t", "too long");
    assert!(error_message(&h.next(c).unwrap()).contains("max_body 4"));
}

/// STOMP 1.2 "BEGIN", "COMMIT", "ABORT".
#[test]
fn transactions_hold_frames_until_commit() {
    let mut h = Harness::default();
    let a = h.session();
    let p = h.session();
    h.subscribe(a, "0", "/queue/q", "client-individual");
    h.send(
        p,
        Frame::new(Command::Begin).with_header("transaction", "t1"),
    );
    for body in ["1", "2"] {
        h.send(
            p,
            Frame::new(Command::Send)
                .with_header("destination", "/queue/q")
                .with_header("transaction", "t1")
                .with_body(body.as_bytes().to_vec()),
        );
    }
    assert!(h.next(a).is_none());
    assert_eq!(h.broker.stats().transactions, 1);
    h.send(
        p,
        Frame::new(Command::Commit).with_header("transaction", "t1"),
    );
    let m1 = h.next(a).unwrap();
    let m2 = h.next(a).unwrap();
    assert_eq!((body(&m1), body(&m2)), ("1", "2"));
    assert!(m1.header("transaction").is_none());

    // An ACK in an aborted transaction settles nothing.
    h.send(
        a,
        Frame::new(Command::Begin).with_header("transaction", "t2"),
    );
    h.send(
        a,
        Frame::new(Command::Ack)
            .with_header("id", m1.header("ack").unwrap())
            .with_header("transaction", "t2"),
    );
    h.send(
        a,
        Frame::new(Command::Abort).with_header("transaction", "t2"),
    );
    assert_eq!(h.broker.stats().unacked, 2);
    // An unknown transaction is an error.
    h.send(
        a,
        Frame::new(Command::Commit).with_header("transaction", "nope"),
    );
    assert_eq!(error_message(&h.next(a).unwrap()), "unknown transaction");
    // Its messages went back to the queue when it closed.
    assert_eq!(h.broker.stats().queued_messages, 2);
}

/// Per-connection caps: subscriptions (ERROR) and unacknowledged
/// messages (a queue holds its messages back until an ACK).
#[test]
fn caps_on_subscriptions_and_unacked() {
    let config = BrokerConfig::default()
        .heart_beat(HeartBeat::NONE)
        .limits(BrokerLimits::default().max_subscriptions(2).max_unacked(2));
    let mut h = Harness::new(config);
    let a = h.session();
    let p = h.session();
    h.subscribe(a, "0", "/queue/q", "client-individual");
    h.publish_numbered(p, "/queue/q", 0..3);
    let got = h.frames(a);
    assert_eq!(got.len(), 2);
    assert_eq!(h.broker.stats().queued_messages, 1);
    h.ack(a, &got[0]);
    assert_eq!(body(&h.next(a).unwrap()), "2");

    h.subscribe(a, "1", "/topic/t", "auto");
    h.subscribe(a, "2", "/topic/u", "auto");
    assert_eq!(
        error_message(&h.next(a).unwrap()),
        "too many subscriptions (max_subscriptions 2)"
    );
}

/// A broker with `limits` and no heart-beats, and three sessions: one
/// subscribed to `/queue/q`, one to `/topic/t`, and a publisher.
fn queue_topic_and_publisher(
    limits: BrokerLimits,
) -> (Harness, ConnectionId, ConnectionId, ConnectionId) {
    let config = BrokerConfig::default()
        .heart_beat(HeartBeat::NONE)
        .limits(limits);
    let mut h = Harness::new(config);
    let q = h.session();
    let t = h.session();
    let p = h.session();
    h.subscribe(q, "0", "/queue/q", "auto");
    h.subscribe(t, "0", "/topic/t", "auto");
    (h, q, t, p)
}

/// A consumer whose bytes are not written: a queue holds back, a topic
/// closes it with ERROR "slow consumer" past max_unsent_bytes.
#[test]
fn slow_consumers_are_bounded() {
    let (mut h, q, t, p) =
        queue_topic_and_publisher(BrokerLimits::default().max_unsent_bytes(1000));
    h.write = false;
    let payload = "x".repeat(300);
    for _ in 0..5 {
        h.publish(p, "/queue/q", &payload);
        h.publish(p, "/topic/t", &payload);
    }
    assert!(h.broker.unsent(q) <= 1000);
    assert!(h.broker.stats().queued_messages >= 2);
    assert_eq!(h.closed(q), None);
    assert_eq!(h.closed(t), Some(CloseReason::SlowConsumer));
    let frames = h.frames(t);
    assert_eq!(
        error_message(frames.last().unwrap()),
        "slow consumer (max_unsent_bytes 1000)"
    );
    // The queue consumer's driver catches up: the rest comes.
    let unsent = h.broker.unsent(q);
    h.write = true;
    h.broker.handle_sent(h.now, q, unsent);
    h.drain();
    assert_eq!(h.frames(q).len(), 5);
    assert_eq!(h.broker.stats().queued_messages, 0);
}

/// STOMP 1.2 "Heart-beating": EOLs when idle; a silent client is closed
/// after twice its interval.
#[test]
fn heart_beats_both_ways() {
    let second = Duration::from_secs(1);
    let mut h = Harness::new(BrokerConfig::default().heart_beat(HeartBeat {
        can_send: second,
        want_receive: second,
    }));
    let c = h.open();
    h.raw(
        c,
        b"CONNECT\naccept-version:1.2\nheart-beat:1000,1000\n\n\0",
    );
    assert_eq!(h.next(c).unwrap().command, Command::Connected);
    for _ in 0..3 {
        h.advance(Duration::from_millis(600));
        h.raw(c, b"\n");
    }
    assert_eq!(h.heart_beats(c), 1, "one EOL per idle second");
    assert_eq!(h.closed(c), None);
    h.advance(Duration::from_millis(1900));
    assert_eq!(h.closed(c), None);
    h.advance(Duration::from_millis(200));
    assert_eq!(h.closed(c), Some(CloseReason::HeartBeatTimeout));
    assert_eq!(error_message(&h.next(c).unwrap()), "heart-beat timeout");
    assert_eq!(h.broker.stats().heart_beat_timeouts, 1);
}

/// A connection that never sends CONNECT is closed after
/// connect_timeout.
#[test]
fn connect_timeout() {
    let mut h = Harness::default();
    let c = h.open();
    h.advance(Duration::from_secs(9));
    assert_eq!(h.closed(c), None);
    h.advance(Duration::from_secs(1));
    assert_eq!(h.closed(c), Some(CloseReason::ConnectTimeout));
    assert_eq!(h.broker.poll_timeout(), None);
}

/// DISCONNECT with a receipt: RECEIPT, then close (STOMP 1.2
/// "DISCONNECT"); afterwards the broker holds nothing.
#[test]
fn disconnect_with_receipt_then_nothing_held() {
    let mut h = Harness::default();
    let c = h.session();
    h.subscribe(c, "0", "/queue/q", "client");
    h.subscribe(c, "1", "/topic/t", "auto");
    h.send(
        c,
        Frame::new(Command::Begin).with_header("transaction", "t"),
    );
    h.send(
        c,
        Frame::new(Command::Disconnect).with_header("receipt", "bye"),
    );
    let r = h.next(c).unwrap();
    assert_eq!(r.command, Command::Receipt);
    assert_eq!(r.header("receipt-id"), Some("bye"));
    assert_eq!(h.closed(c), Some(CloseReason::Disconnect));
    h.broker.handle_disconnect(h.now, c);
    let stats = h.broker.stats();
    assert_eq!(
        (
            stats.connections,
            stats.subscriptions,
            stats.destinations,
            stats.transactions,
            stats.unsent_bytes
        ),
        (0, 0, 0, 0, 0)
    );
}

/// A 1.0 client (no accept-version): no `version` header in CONNECTED,
/// ACK by message-id, and headers 1.0 cannot carry are left out of its
/// MESSAGE frames (STOMP 1.2 "Value Encoding").
#[test]
fn version_1_0_client() {
    let mut h = Harness::default();
    let old = h.open();
    h.raw(old, b"CONNECT\nlogin:x\n\n\0");
    let f = h.next(old).unwrap();
    assert_eq!(f.command, Command::Connected);
    assert_eq!(f.header("version"), None);
    h.raw(old, b"SUBSCRIBE\ndestination:/queue/q\nack:client\n\n\0");
    let p = h.session();
    h.send(
        p,
        Frame::new(Command::Send)
            .with_header("destination", "/queue/q")
            .with_header("multi", "a\nb")
            .with_header("plain", "ok"),
    );
    let m = h.next(old).unwrap();
    assert_eq!(m.header("subscription"), Some("/queue/q"));
    assert_eq!(m.header("multi"), None);
    assert_eq!(m.header("plain"), Some("ok"));
    assert_eq!(m.header("ack"), None);
    let id = m.header("message-id").unwrap().to_owned();
    h.raw(old, format!("ACK\nmessage-id:{id}\n\n\0").as_bytes());
    assert_eq!(h.broker.stats().unacked, 0);
}

/// At the shared unsent cap a queue holds its messages back, and offers
/// them again once any connection's bytes are written.
#[test]
fn shared_unsent_cap_holds_queues_back_then_resumes() {
    let (mut h, q, t, p) =
        queue_topic_and_publisher(BrokerLimits::default().max_total_unsent_bytes(1500));
    // The topic subscriber's driver writes nothing: 3 x ~450 bytes wait.
    h.write = false;
    let payload = "y".repeat(400);
    for _ in 0..3 {
        h.publish(p, "/topic/t", &payload);
    }
    let held = h.broker.unsent(t);
    let others = h.broker.unsent(p);
    h.broker.handle_sent(h.now, p, others);
    h.write = true;
    h.publish(p, "/queue/q", &payload);
    assert!(h.next(q).is_none());
    assert_eq!(h.broker.stats().queued_messages, 1);
    h.broker.handle_sent(h.now, t, held);
    h.drain();
    assert_eq!(body(&h.next(q).unwrap()), payload);
    assert_eq!(h.closed(q), None);
}

/// UNSUBSCRIBE returns the subscription's unacknowledged queue messages
/// to the queue (STOMP 1.2 "UNSUBSCRIBE").
#[test]
fn unsubscribe_returns_unacked_messages() {
    let mut h = Harness::default();
    let a = h.session();
    let p = h.session();
    h.subscribe(a, "0", "/queue/q", "client-individual");
    h.publish(p, "/queue/q", "m");
    assert_eq!(body(&h.next(a).unwrap()), "m");
    h.send(a, Frame::new(Command::Unsubscribe).with_header("id", "0"));
    let stats = h.broker.stats();
    assert_eq!(
        (stats.unacked, stats.queued_messages, stats.subscriptions),
        (0, 1, 0)
    );
    h.subscribe(a, "1", "/queue/q", "auto");
    let again = h.next(a).unwrap();
    assert_eq!(
        (again.header("subscription"), body(&again)),
        (Some("1"), "m")
    );
}

/// Caps on what the broker stores: a full queue, too many destinations
/// and the stored bytes refuse the SEND with an ERROR naming the limit.
#[test]
fn storage_caps_refuse_sends() {
    let limits = BrokerLimits::default()
        .max_queue_messages(2)
        .max_destinations(2)
        .max_stored_bytes(100_000);
    let config = BrokerConfig::default()
        .heart_beat(HeartBeat::NONE)
        .limits(limits);
    let mut h = Harness::new(config);
    let p = h.session();
    h.publish(p, "/queue/a", "1");
    h.publish(p, "/queue/a", "2");
    h.publish(p, "/queue/a", "3");
    assert_eq!(
        error_message(&h.next(p).unwrap()),
        "queue full (max_queue_messages 2)"
    );
    let p = h.session();
    h.publish(p, "/queue/b", "1");
    h.publish(p, "/queue/c", "1");
    assert_eq!(
        error_message(&h.next(p).unwrap()),
        "too many destinations (max_destinations 2)"
    );
    let p = h.session();
    h.publish(p, "/queue/b", &"z".repeat(100_000));
    assert_eq!(
        error_message(&h.next(p).unwrap()),
        "broker storage full (max_stored_bytes 100000)"
    );
    assert_eq!(h.broker.stats().queued_messages, 3);
}

/// `Broker::shutdown` (a server's drain): the RECEIPTs and MESSAGEs
/// already due go out first, then ERROR "server shutting down" (STOMP
/// 1.2 "ERROR"), and every connection is closed; input after it is
/// ignored.
#[test]
fn shutdown_sends_what_is_due_then_error_and_closes_everyone() {
    let mut h = Harness::default();
    let subscriber = h.session();
    h.subscribe(subscriber, "s", "/topic/t", "auto");
    let publisher = h.session();
    let fresh = h.open();
    h.send(
        publisher,
        Frame::new(Command::Send)
            .with_header("destination", "/topic/t")
            .with_header("receipt", "r1")
            .with_body(b"kept".to_vec()),
    );
    h.broker.shutdown(h.now);
    h.drain();
    let sent = h.frames(publisher);
    assert_eq!(sent[0].command, Command::Receipt);
    assert_eq!(sent[0].header("receipt-id"), Some("r1"));
    assert_eq!(error_message(&sent[1]), "server shutting down");
    assert_eq!(sent.len(), 2);
    let got = h.frames(subscriber);
    assert_eq!(got[0].command, Command::Message);
    assert_eq!(body(&got[0]), "kept");
    assert_eq!(error_message(&got[1]), "server shutting down");
    assert_eq!(error_message(&h.frames(fresh)[0]), "server shutting down");
    for id in [subscriber, publisher, fresh] {
        assert_eq!(h.closed(id), Some(CloseReason::Shutdown));
    }
    assert_eq!(h.broker.stats().errors, 0);
    h.publish(publisher, "/topic/t", "late");
    assert!(h.frames(subscriber).is_empty());
}
