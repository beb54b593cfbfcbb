//! rtw's client against rtw's broker, in memory and in virtual time:
//! queues with NACK and redelivery, topics, receipts, transactions,
//! heart-beats both ways and a graceful DISCONNECT (STOMP 1.2).

use std::time::{Duration, Instant};

use bytes::BytesMut;
use rtw_stomp::HeartBeat;
use rtw_stomp::broker::{Broker, BrokerConfig, BrokerEvent, ConnectionId};
use rtw_stomp::client::{AckMode, Client, ClientConfig, ClientEvent, FrameOptions, Message, State};

const SECOND: Duration = Duration::from_secs(1);

/// One client's end of an in-memory connection.
struct Peer {
    client: Client,
    id: ConnectionId,
    /// Bytes from the broker not yet handled by the client.
    inbox: BytesMut,
    /// Bytes from the client not yet handled by the broker.
    outbox: BytesMut,
    events: Vec<ClientEvent>,
    closed: bool,
}

/// A broker and its clients, connected by memory.
struct World {
    now: Instant,
    broker: Broker,
    peers: Vec<Peer>,
}

impl World {
    fn new(config: BrokerConfig) -> Self {
        World {
            now: Instant::now(),
            broker: Broker::new(config),
            peers: Vec::new(),
        }
    }

    /// A client connects; returns its index once CONNECTED came.
    fn connect(&mut self, config: ClientConfig) -> usize {
        let id = self.broker.handle_connect(self.now);
        self.peers.push(Peer {
            client: Client::new(self.now, config),
            id,
            inbox: BytesMut::new(),
            outbox: BytesMut::new(),
            events: Vec::new(),
            closed: false,
        });
        let i = self.peers.len() - 1;
        self.pump();
        assert!(
            matches!(self.take(i)[..], [ClientEvent::Connected { .. }]),
            "not connected"
        );
        i
    }

    fn client(&mut self, i: usize) -> &mut Client {
        &mut self.peers[i].client
    }

    /// Move bytes both ways until nothing moves.
    fn pump(&mut self) {
        let now = self.now;
        loop {
            let mut moved = false;
            for p in self.peers.iter_mut().filter(|p| !p.closed) {
                while let Some(b) = p.client.poll_transmit() {
                    p.outbox.extend_from_slice(&b);
                }
                if !p.outbox.is_empty() {
                    moved = true;
                    self.broker.handle_input(now, p.id, &mut p.outbox);
                    p.outbox.clear();
                }
            }
            while let Some(t) = self.broker.poll_transmit() {
                self.broker.handle_sent(now, t.connection, t.bytes.len());
                if let Some(p) = self.peers.iter_mut().find(|p| p.id == t.connection) {
                    p.inbox.extend_from_slice(&t.bytes);
                }
            }
            for p in self.peers.iter_mut().filter(|p| !p.closed) {
                if !p.inbox.is_empty() {
                    moved = true;
                    p.client.handle_input(now, &mut p.inbox);
                }
                p.events
                    .extend(std::iter::from_fn(|| p.client.poll_event()));
            }
            while let Some(e) = self.broker.poll_event() {
                if let BrokerEvent::Close { connection, .. } = e {
                    self.broker.handle_disconnect(now, connection);
                    if let Some(p) = self.peers.iter_mut().find(|p| p.id == connection) {
                        p.client.handle_input(now, &mut p.inbox);
                        p.client.handle_eof(now);
                        p.events
                            .extend(std::iter::from_fn(|| p.client.poll_event()));
                        p.closed = true;
                    }
                    moved = true;
                }
            }
            if !moved {
                return;
            }
        }
    }

    /// Run the timers of every side until `until`.
    fn run_until(&mut self, until: Instant) {
        loop {
            let next = self
                .peers
                .iter()
                .filter_map(|p| p.client.poll_timeout())
                .chain(self.broker.poll_timeout())
                .min();
            match next {
                Some(t) if t <= until => {
                    self.now = self.now.max(t);
                    let now = self.now;
                    self.broker.handle_timeout(now);
                    for p in &mut self.peers {
                        p.client.handle_timeout(now);
                    }
                    self.pump();
                }
                _ => break,
            }
        }
        self.now = until;
    }

    fn take(&mut self, i: usize) -> Vec<ClientEvent> {
        std::mem::take(&mut self.peers[i].events)
    }

    fn messages(&mut self, i: usize) -> Vec<Message> {
        self.take(i)
            .into_iter()
            .map(|e| match e {
                ClientEvent::Message(m) => m,
                other => panic!("not a message: {other:?}"),
            })
            .collect()
    }
}

fn no_heart_beats() -> ClientConfig {
    ClientConfig::default().heart_beat(HeartBeat::NONE)
}

fn bodies(messages: &[Message]) -> Vec<&[u8]> {
    messages.iter().map(|m| m.body()).collect()
}

#[test]
fn a_nacked_queue_message_is_redelivered_and_acked_once() {
    let mut w = World::new(BrokerConfig::default());
    let consumer = w.connect(no_heart_beats());
    let producer = w.connect(no_heart_beats());
    let (_, receipt) = w
        .client(consumer)
        .subscribe_with(
            "/queue/work",
            AckMode::ClientIndividual,
            FrameOptions::default().receipt(true),
        )
        .unwrap();
    w.pump();
    assert_eq!(w.take(consumer), [ClientEvent::Receipt(receipt.unwrap())]);

    let r = w
        .client(producer)
        .send(
            "/queue/work",
            "job 1",
            FrameOptions::default().receipt(true),
        )
        .unwrap();
    w.pump();
    assert_eq!(w.take(producer), [ClientEvent::Receipt(r.unwrap())]);
    let first = w.messages(consumer);
    assert_eq!(bodies(&first), [b"job 1"]);

    w.client(consumer).nack(&first[0]).unwrap();
    w.pump();
    let again = w.messages(consumer);
    assert_eq!(bodies(&again), [b"job 1"]);
    w.client(consumer).ack(&again[0]).unwrap();
    w.pump();
    assert!(w.take(consumer).is_empty());
}

#[test]
fn a_topic_reaches_every_subscriber_and_transactions_hold_sends_until_commit() {
    let mut w = World::new(BrokerConfig::default());
    let a = w.connect(no_heart_beats());
    let b = w.connect(no_heart_beats());
    let producer = w.connect(no_heart_beats().versions(vec![rtw_stomp::Version::V1_1]));
    for i in [a, b] {
        w.client(i).subscribe("/topic/news", AckMode::Auto).unwrap();
    }
    w.pump();

    let tx = w.client(producer).begin().unwrap();
    let in_tx = FrameOptions::default().transaction(Some(tx));
    w.client(producer)
        .send("/topic/news", "one", in_tx.clone())
        .unwrap();
    w.client(producer)
        .send("/topic/news", "two", in_tx.clone())
        .unwrap();
    w.pump();
    assert!(w.take(a).is_empty(), "nothing before COMMIT");
    let r = w
        .client(producer)
        .commit_with(tx, FrameOptions::default().receipt(true))
        .unwrap();
    w.pump();
    assert_eq!(w.take(producer), [ClientEvent::Receipt(r.unwrap())]);
    for i in [a, b] {
        assert_eq!(bodies(&w.messages(i)), [&b"one"[..], b"two"]);
    }

    let tx = w.client(producer).begin().unwrap();
    w.client(producer)
        .send(
            "/topic/news",
            "never",
            FrameOptions::default().transaction(Some(tx)),
        )
        .unwrap();
    w.client(producer).abort(tx).unwrap();
    w.pump();
    assert!(w.take(a).is_empty() && w.take(b).is_empty());
}

#[test]
fn heart_beats_keep_an_idle_session_alive_and_disconnect_ends_it_gracefully() {
    let mut w = World::new(BrokerConfig::default().heart_beat(HeartBeat {
        can_send: SECOND,
        want_receive: SECOND,
    }));
    let hb = HeartBeat {
        can_send: SECOND,
        want_receive: SECOND,
    };
    let i = w.connect(ClientConfig::default().heart_beat(hb));
    let start = w.now;
    w.run_until(start + 60 * SECOND);
    assert!(w.take(i).is_empty());
    assert_eq!(w.client(i).state(), State::Connected);

    let receipt = w.client(i).disconnect().unwrap();
    w.pump();
    assert_eq!(
        w.take(i),
        [ClientEvent::Receipt(receipt), ClientEvent::Disconnected]
    );
    assert_eq!(w.client(i).state(), State::Closed);
}

#[test]
fn a_cumulative_ack_covers_earlier_messages_and_unacked_ones_move_on_when_a_consumer_drops() {
    let mut w = World::new(BrokerConfig::default());
    let first = w.connect(no_heart_beats());
    let producer = w.connect(no_heart_beats());
    w.client(first)
        .subscribe("/queue/q", AckMode::Client)
        .unwrap();
    w.pump();
    for body in ["1", "2", "3"] {
        w.client(producer)
            .send("/queue/q", body, FrameOptions::default())
            .unwrap();
    }
    w.pump();
    let got = w.messages(first);
    assert_eq!(bodies(&got), [&b"1"[..], b"2", b"3"]);
    // ACK of the second covers the first (STOMP 1.2 "SUBSCRIBE ack Header").
    w.client(first).ack(&got[1]).unwrap();
    w.pump();

    let second = w.connect(no_heart_beats());
    w.client(second)
        .subscribe("/queue/q", AckMode::ClientIndividual)
        .unwrap();
    w.pump();
    assert!(w.take(second).is_empty());
    // The first consumer's connection drops: its unacknowledged "3" moves on.
    let id = w.peers[first].id;
    w.peers[first].closed = true;
    w.broker.handle_disconnect(w.now, id);
    w.pump();
    let moved = w.messages(second);
    assert_eq!(bodies(&moved), [b"3"]);
    w.client(second).ack(&moved[0]).unwrap();
    w.pump();
}
