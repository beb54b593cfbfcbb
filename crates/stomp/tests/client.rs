//! The client session against a scripted broker, in virtual time: frames
//! the test writes by hand as the server, and the client's frames read
//! back with the codec (STOMP 1.2 "Connecting", "Client Frames", "Server
//! Frames", "Heart-beating").

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use rtw_stomp::client::{
    AckMode, Client, ClientConfig, ClientError, ClientEvent, FrameOptions, Message,
    NegotiatedHeartBeat, ReceiptId, State, SubscriptionId,
};
use rtw_stomp::{Command, Decoder, Frame, HeartBeat, Item, Limits, Version};

const SECOND: Duration = Duration::from_secs(1);

/// The broker's side of the wire: reads what the client sent, writes
/// frames by hand.
struct Broker {
    decoder: Decoder,
    wire: BytesMut,
}

impl Broker {
    fn new() -> Self {
        Broker {
            decoder: Decoder::new(),
            wire: BytesMut::new(),
        }
    }

    /// Everything the client queued, as items.
    fn read(&mut self, client: &mut Client) -> Vec<Item> {
        while let Some(bytes) = client.poll_transmit() {
            self.wire.extend_from_slice(&bytes);
        }
        let mut items = Vec::new();
        while let Some(item) = self
            .decoder
            .decode(&mut self.wire)
            .expect("client frames decode")
        {
            items.push(item);
        }
        assert!(self.wire.is_empty(), "a partial frame from the client");
        items
    }

    /// The one frame the client queued.
    fn frame(&mut self, client: &mut Client) -> Frame {
        let mut items = self.read(client);
        assert_eq!(items.len(), 1, "{items:?}");
        match items.remove(0) {
            Item::Frame(f) => f,
            Item::HeartBeat => panic!("a heart-beat, not a frame"),
        }
    }
}

/// `bytes` from the server at `now`, all at once.
fn input(client: &mut Client, now: Instant, bytes: &[u8]) {
    let mut src = BytesMut::from(bytes);
    client.handle_input(now, &mut src);
}

fn events(client: &mut Client) -> Vec<ClientEvent> {
    std::iter::from_fn(|| client.poll_event()).collect()
}

/// The session failed with `error` and ended: its events are exactly
/// `Failed(error)`, then `Disconnected`. Returns the error it gave.
fn assert_failed(client: &mut Client, error: ClientError) -> ClientError {
    assert_eq!(
        events(client),
        [
            ClientEvent::Failed(error.clone()),
            ClientEvent::Disconnected
        ]
    );
    error
}

/// A deadline: the session's timer is at `at`, nothing happens a second
/// before it, and at `at` the session fails with `error` and ends.
fn assert_fails_at(client: &mut Client, at: Instant, error: ClientError) {
    assert_eq!(client.poll_timeout(), Some(at));
    client.handle_timeout(at - SECOND);
    assert!(events(client).is_empty());
    client.handle_timeout(at);
    assert_failed(client, error);
}

fn headers(frame: &Frame) -> Vec<(&str, &str)> {
    frame
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect()
}

const CONNECTED_12: &[u8] =
    b"CONNECTED\nversion:1.2\nheart-beat:0,0\nserver:scripted/1\nsession:s1\n\n\0";

/// A client connected in `version` without heart-beats.
fn connected(now: Instant, version: &str) -> (Client, Broker) {
    let mut client = Client::new(now, ClientConfig::default().heart_beat(HeartBeat::NONE));
    let mut broker = Broker::new();
    assert_eq!(broker.frame(&mut client).command, Command::Connect);
    let frame = format!("CONNECTED\nversion:{version}\n\n\0");
    input(&mut client, now, frame.as_bytes());
    assert!(matches!(
        events(&mut client)[..],
        [ClientEvent::Connected { .. }]
    ));
    (client, broker)
}

/// A client with `config`, connected by [`CONNECTED_12`] at `now` (its
/// CONNECT frame left unread).
fn connected_with(now: Instant, config: ClientConfig) -> Client {
    let mut client = Client::new(now, config);
    input(&mut client, now, CONNECTED_12);
    assert!(matches!(
        events(&mut client)[..],
        [ClientEvent::Connected { .. }]
    ));
    client
}

fn message(sub: &str, id: &str, ack: Option<&str>, body: &str) -> Vec<u8> {
    let ack = ack.map(|a| format!("ack:{a}\n")).unwrap_or_default();
    format!("MESSAGE\nsubscription:{sub}\nmessage-id:{id}\n{ack}destination:/queue/a\n\n{body}\0")
        .into_bytes()
}

fn only_message(client: &mut Client) -> Message {
    match &events(client)[..] {
        [ClientEvent::Message(m)] => m.clone(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn connect_carries_versions_host_credentials_and_heart_beat() {
    let now = Instant::now();
    let config = ClientConfig::default()
        .host("vhost")
        .login(Some("guest".into()))
        .passcode(Some("secret".into()))
        .heart_beat(HeartBeat {
            can_send: Duration::from_millis(4000),
            want_receive: Duration::from_millis(6000),
        });
    let mut client = Client::new(now, config);
    let frame = Broker::new().frame(&mut client);
    assert_eq!(frame.command, Command::Connect);
    assert_eq!(
        headers(&frame),
        [
            ("accept-version", "1.0,1.1,1.2"),
            ("host", "vhost"),
            ("login", "guest"),
            ("passcode", "secret"),
            ("heart-beat", "4000,6000"),
        ]
    );
    assert_eq!(client.state(), State::Connecting);

    let config = ClientConfig::default()
        .use_stomp_command(true)
        .versions(vec![Version::V1_2, Version::V1_1]);
    let mut client = Client::new(now, config);
    let frame = Broker::new().frame(&mut client);
    assert_eq!(frame.command, Command::Stomp);
    assert_eq!(frame.header("accept-version"), Some("1.1,1.2"));
}

#[test]
fn connected_negotiates_version_and_heart_beats() {
    let now = Instant::now();
    let config = ClientConfig::default().heart_beat(HeartBeat {
        can_send: 10 * SECOND,
        want_receive: 10 * SECOND,
    });
    let mut client = Client::new(now, config);
    let _ = Broker::new().read(&mut client);
    input(
        &mut client,
        now,
        b"CONNECTED\nversion:1.2\nheart-beat:5000,20000\nserver:scripted/1\nsession:s1\n\n\0",
    );
    assert_eq!(
        events(&mut client),
        [ClientEvent::Connected {
            version: Version::V1_2,
            server: Some("scripted/1".into()),
            session: Some("s1".into()),
            heart_beat: NegotiatedHeartBeat {
                send: Some(20 * SECOND),
                receive: Some(10 * SECOND),
            },
        }]
    );
    assert_eq!(client.state(), State::Connected);
    assert_eq!(client.version(), Version::V1_2);
    // The earlier of the next heart-beat to send and the server's grace.
    assert_eq!(client.poll_timeout(), Some(now + 20 * SECOND));
}

#[test]
fn a_connected_frame_without_version_means_1_0_without_heart_beats() {
    let now = Instant::now();
    let mut client = Client::new(now, ClientConfig::default());
    let _ = Broker::new().read(&mut client);
    input(&mut client, now, b"CONNECTED\nheart-beat:1000,1000\n\n\0");
    let [
        ClientEvent::Connected {
            version,
            heart_beat,
            ..
        },
    ] = &events(&mut client)[..]
    else {
        panic!()
    };
    assert_eq!(*version, Version::V1_0);
    assert_eq!(*heart_beat, NegotiatedHeartBeat::default());
    // No heart-beats, only... nothing: no timer at all.
    assert_eq!(client.poll_timeout(), None);
}

#[test]
fn a_version_not_offered_fails_the_session() {
    let now = Instant::now();
    let mut client = Client::new(now, ClientConfig::default().versions(vec![Version::V1_2]));
    input(&mut client, now, b"CONNECTED\nversion:1.1\n\n\0");
    let e = assert_failed(&mut client, ClientError::VersionNotOffered("1.1".into()));
    assert!(e.is_peer_fault());
    assert_eq!(client.state(), State::Closed);
    assert_eq!(client.poll_timeout(), None);
}

#[test]
fn calls_before_connected_are_refused() {
    let now = Instant::now();
    let mut client = Client::new(now, ClientConfig::default());
    assert_eq!(
        client.subscribe("/queue/a", AckMode::Auto),
        Err(ClientError::NotConnected)
    );
    assert_eq!(
        client.send("/queue/a", "x", FrameOptions::default()),
        Err(ClientError::NotConnected)
    );
    assert_eq!(client.begin(), Err(ClientError::NotConnected));
    assert!(!ClientError::NotConnected.is_peer_fault());
}

#[test]
fn subscribe_send_and_messages_in_every_ack_mode() {
    let now = Instant::now();
    let (mut client, mut broker) = connected(now, "1.2");
    let auto = client.subscribe("/topic/t", AckMode::Auto).unwrap();
    let client_mode = client.subscribe("/queue/a", AckMode::Client).unwrap();
    let individual = client
        .subscribe("/queue/b", AckMode::ClientIndividual)
        .unwrap();
    assert_eq!(
        (auto, client_mode, individual),
        (SubscriptionId(0), SubscriptionId(1), SubscriptionId(2))
    );
    let frames = broker.read(&mut client);
    let subs: Vec<Vec<(String, String)>> = frames
        .into_iter()
        .map(|i| match i {
            Item::Frame(f) => {
                assert_eq!(f.command, Command::Subscribe);
                f.headers
            }
            Item::HeartBeat => panic!(),
        })
        .collect();
    let h = |id: &str, d: &str, a: &str| {
        vec![
            ("id".to_string(), id.to_string()),
            ("destination".to_string(), d.to_string()),
            ("ack".to_string(), a.to_string()),
        ]
    };
    assert_eq!(
        subs,
        [
            h("0", "/topic/t", "auto"),
            h("1", "/queue/a", "client"),
            h("2", "/queue/b", "client-individual"),
        ]
    );

    client
        .send(
            "/queue/a",
            "hello",
            FrameOptions::default()
                .header("content-type", "text/plain")
                .header("content-length", "99"),
        )
        .unwrap();
    let send = broker.frame(&mut client);
    assert_eq!(send.command, Command::Send);
    assert_eq!(
        headers(&send),
        [
            ("destination", "/queue/a"),
            ("content-type", "text/plain"),
            ("content-length", "5")
        ]
    );
    assert_eq!(&send.body[..], b"hello");

    // A message on the auto subscription takes no ACK.
    input(&mut client, now, &message("0", "m0", None, "to all"));
    let m = only_message(&mut client);
    assert_eq!(
        (
            m.subscription,
            m.message_id.as_str(),
            m.destination.as_str(),
            m.body()
        ),
        (auto, "m0", "/queue/a", &b"to all"[..])
    );
    assert_eq!(client.ack(&m), Err(ClientError::AutoAck(0)));

    // Client mode: ACK names the message's `ack` header (STOMP 1.2).
    input(&mut client, now, &message("1", "m1", Some("a1"), "one"));
    let m = only_message(&mut client);
    assert_eq!(m.ack.as_deref(), Some("a1"));
    client.ack(&m).unwrap();
    assert_eq!(headers(&broker.frame(&mut client)), [("id", "a1")]);

    // Client-individual: NACK it.
    input(&mut client, now, &message("2", "m2", Some("a2"), "two"));
    let m = only_message(&mut client);
    client.nack(&m).unwrap();
    let nack = broker.frame(&mut client);
    assert_eq!(
        (nack.command, headers(&nack)),
        (Command::Nack, vec![("id", "a2")])
    );

    // After UNSUBSCRIBE, a late message is reported, but not acknowledged.
    client.unsubscribe(individual).unwrap();
    let unsub = broker.frame(&mut client);
    assert_eq!(
        (unsub.command, headers(&unsub)),
        (Command::Unsubscribe, vec![("id", "2")])
    );
    assert_eq!(
        client.unsubscribe(individual),
        Err(ClientError::UnknownSubscription(2))
    );
    input(&mut client, now, &message("2", "m3", Some("a3"), "late"));
    let m = only_message(&mut client);
    assert_eq!(client.ack(&m), Err(ClientError::UnknownSubscription(2)));
    assert!(broker.read(&mut client).is_empty());
}

#[test]
fn ack_and_nack_follow_the_negotiated_version() {
    let now = Instant::now();
    // STOMP 1.1: `subscription` and `message-id`.
    let (mut client, mut broker) = connected(now, "1.1");
    client
        .subscribe("/queue/a", AckMode::ClientIndividual)
        .unwrap();
    let _ = broker.read(&mut client);
    input(&mut client, now, &message("0", "m1", None, "x"));
    let m = only_message(&mut client);
    client.nack(&m).unwrap();
    let nack = broker.frame(&mut client);
    assert_eq!(
        (nack.command, headers(&nack)),
        (
            Command::Nack,
            vec![("subscription", "0"), ("message-id", "m1")]
        )
    );

    // STOMP 1.0: `message-id` alone; no NACK, no client-individual; a
    // MESSAGE without `subscription` goes to the subscription of its
    // destination.
    let (mut client, mut broker) = connected(now, "1.0");
    assert_eq!(
        client.subscribe("/queue/a", AckMode::ClientIndividual),
        Err(ClientError::NotInVersion("ack:client-individual"))
    );
    let sub = client.subscribe("/queue/a", AckMode::Client).unwrap();
    let _ = broker.read(&mut client);
    input(
        &mut client,
        now,
        b"MESSAGE\nmessage-id:m9\ndestination:/queue/a\n\nold\0",
    );
    let m = only_message(&mut client);
    assert_eq!(m.subscription, sub);
    assert_eq!(client.nack(&m), Err(ClientError::NotInVersion("NACK")));
    client.ack(&m).unwrap();
    let ack = broker.frame(&mut client);
    assert_eq!(
        (ack.command, headers(&ack)),
        (Command::Ack, vec![("message-id", "m9")])
    );
}

#[test]
fn receipts_are_tracked_until_the_receipt_frame() {
    let now = Instant::now();
    let (mut client, mut broker) = connected(now, "1.2");
    let receipt = client
        .send("/queue/a", "x", FrameOptions::default().receipt(true))
        .unwrap()
        .unwrap();
    let (sub, sub_receipt) = client
        .subscribe_with(
            "/queue/a",
            AckMode::Auto,
            FrameOptions::default().receipt(true),
        )
        .unwrap();
    assert_eq!(sub, SubscriptionId(0));
    let sub_receipt = sub_receipt.unwrap();
    assert_ne!(receipt, sub_receipt);
    assert_eq!(client.outstanding_receipts(), 2);
    let frames = broker.read(&mut client);
    let Item::Frame(send) = &frames[0] else {
        panic!()
    };
    assert_eq!(send.header("receipt"), Some(receipt.to_string().as_str()));

    // An unknown receipt-id is ignored; the known ones come in any order.
    input(&mut client, now, b"RECEIPT\nreceipt-id:999\n\n\0");
    let wire =
        format!("RECEIPT\nreceipt-id:{sub_receipt}\n\n\0RECEIPT\nreceipt-id:{receipt}\n\n\0");
    input(&mut client, now, wire.as_bytes());
    assert_eq!(
        events(&mut client),
        [
            ClientEvent::Receipt(sub_receipt),
            ClientEvent::Receipt(receipt)
        ]
    );
    assert_eq!(client.outstanding_receipts(), 0);
    // The same receipt twice is reported once.
    input(&mut client, now, wire.as_bytes());
    assert!(events(&mut client).is_empty());
}

#[test]
fn outstanding_receipts_are_capped() {
    let now = Instant::now();
    let mut client = connected_with(
        now,
        ClientConfig::default()
            .heart_beat(HeartBeat::NONE)
            .max_outstanding_receipts(2),
    );
    let with = || FrameOptions::default().receipt(true);
    client.send("/q", "1", with()).unwrap();
    client.send("/q", "2", with()).unwrap();
    let before = client.buffered_amount();
    assert_eq!(
        client.send("/q", "3", with()),
        Err(ClientError::TooManyReceipts(2))
    );
    // A refused call queues nothing.
    assert_eq!(client.buffered_amount(), before);
    // DISCONNECT's receipt is awaited even past the cap.
    assert!(client.disconnect().is_ok());
}

#[test]
fn transactions_group_sends_and_acks() {
    let now = Instant::now();
    let (mut client, mut broker) = connected(now, "1.2");
    let sub = client.subscribe("/queue/a", AckMode::Client).unwrap();
    let _ = broker.read(&mut client);
    input(
        &mut client,
        now,
        &message(&sub.to_string(), "m1", Some("a1"), "x"),
    );
    let m = only_message(&mut client);

    let (tx, receipt) = client
        .begin_with(FrameOptions::default().receipt(true))
        .unwrap();
    let receipt = receipt.unwrap();
    let begin = broker.frame(&mut client);
    assert_eq!(
        (begin.command, headers(&begin)),
        (
            Command::Begin,
            vec![
                ("transaction", "0"),
                ("receipt", receipt.to_string().as_str())
            ]
        )
    );
    let in_tx = || FrameOptions::default().transaction(Some(tx));
    client.send("/queue/b", "in tx", in_tx()).unwrap();
    client.ack_with(&m, in_tx()).unwrap();
    client.nack_with(&m, in_tx()).unwrap();
    client.commit(tx).unwrap();
    let frames: Vec<(Command, Option<String>)> = broker
        .read(&mut client)
        .into_iter()
        .map(|i| match i {
            Item::Frame(f) => (f.command, f.header("transaction").map(str::to_owned)),
            Item::HeartBeat => panic!(),
        })
        .collect();
    let t = Some("0".to_string());
    assert_eq!(
        frames,
        [
            (Command::Send, t.clone()),
            (Command::Ack, t.clone()),
            (Command::Nack, t.clone()),
            (Command::Commit, t),
        ]
    );
    // The transaction is over.
    assert_eq!(client.commit(tx), Err(ClientError::UnknownTransaction(0)));
    assert_eq!(
        client.send("/q", "late", in_tx()),
        Err(ClientError::UnknownTransaction(0))
    );

    let tx = client.begin().unwrap();
    assert_ne!(tx.0, 0);
    let abort_receipt = client
        .abort_with(tx, FrameOptions::default().receipt(true))
        .unwrap();
    let frames = broker.read(&mut client);
    let Item::Frame(abort) = &frames[1] else {
        panic!()
    };
    assert_eq!(abort.command, Command::Abort);
    assert_eq!(
        abort.header("receipt"),
        abort_receipt.map(|r| r.to_string()).as_deref()
    );
    assert_eq!(client.abort(tx), Err(ClientError::UnknownTransaction(tx.0)));
}

#[test]
fn an_error_frame_ends_the_session() {
    let now = Instant::now();
    let (mut client, mut broker) = connected(now, "1.2");
    let receipt = client
        .send("/queue/a", "bad", FrameOptions::default().receipt(true))
        .unwrap()
        .unwrap();
    let _ = broker.read(&mut client);
    let error = format!("ERROR\nreceipt-id:{receipt}\nmessage:malformed\n\nthe details\0MESSAGE\n");
    input(&mut client, now, error.as_bytes());
    let evs = events(&mut client);
    let [ClientEvent::Error(frame), ClientEvent::Disconnected] = &evs[..] else {
        panic!("{evs:?}")
    };
    assert_eq!(frame.header("message"), Some("malformed"));
    assert_eq!(&frame.body[..], b"the details");
    assert_eq!(client.state(), State::Closed);
    assert_eq!(client.outstanding_receipts(), 0);
    assert_eq!(client.poll_timeout(), None);
    assert_eq!(
        client.send("/q", "x", FrameOptions::default()),
        Err(ClientError::Closed)
    );
    // Nothing more is read or reported.
    input(&mut client, now, &message("0", "m", None, "x"));
    client.handle_eof(now);
    assert!(events(&mut client).is_empty());
}

#[test]
fn an_error_frame_can_refuse_the_connect() {
    let now = Instant::now();
    let mut client = Client::new(now, ClientConfig::default());
    input(&mut client, now, b"ERROR\nmessage:Access refused\n\n\0");
    let evs = events(&mut client);
    assert!(
        matches!(&evs[..], [ClientEvent::Error(f), ClientEvent::Disconnected] if f.header("message") == Some("Access refused"))
    );
}

#[test]
fn disconnect_ends_gracefully_at_its_receipt() {
    let now = Instant::now();
    let (mut client, mut broker) = connected(now, "1.2");
    client.subscribe("/queue/a", AckMode::Auto).unwrap();
    let _ = broker.read(&mut client);
    let receipt = client.disconnect().unwrap();
    let frame = broker.frame(&mut client);
    assert_eq!(frame.command, Command::Disconnect);
    assert_eq!(frame.header("receipt"), Some(receipt.to_string().as_str()));
    assert_eq!(client.state(), State::Disconnecting);
    assert_eq!(client.disconnect(), Err(ClientError::Closed));
    assert_eq!(
        client.send("/q", "x", FrameOptions::default()),
        Err(ClientError::Closed)
    );

    // Messages in flight still arrive (STOMP 1.2 "Connection Lingering").
    let mut wire = message("0", "m1", None, "last");
    wire.extend_from_slice(format!("RECEIPT\nreceipt-id:{receipt}\n\n\0").as_bytes());
    input(&mut client, now + SECOND, &wire);
    let evs = events(&mut client);
    assert!(
        matches!(&evs[..], [ClientEvent::Message(m), ClientEvent::Receipt(r), ClientEvent::Disconnected] if m.body() == b"last" && *r == receipt),
        "{evs:?}"
    );
    assert_eq!(client.state(), State::Closed);
    assert_eq!(client.poll_timeout(), None);
    // The server's close after that is no failure.
    client.handle_eof(now + 2 * SECOND);
    assert!(events(&mut client).is_empty());
}

#[test]
fn disconnect_gives_up_waiting_for_its_receipt() {
    let now = Instant::now();
    let mut client = connected_with(
        now,
        ClientConfig::default()
            .heart_beat(HeartBeat::NONE)
            .disconnect_timeout(3 * SECOND),
    );
    let later = now + 10 * SECOND;
    client.handle_timeout(later);
    client.disconnect().unwrap();
    assert_fails_at(
        &mut client,
        later + 3 * SECOND,
        ClientError::DisconnectTimeout(3 * SECOND),
    );
}

#[test]
fn disconnect_before_connected_just_ends() {
    let now = Instant::now();
    let mut client = Client::new(now, ClientConfig::default());
    let _ = client.poll_transmit();
    client.disconnect().unwrap();
    assert_eq!(events(&mut client), [ClientEvent::Disconnected]);
    assert_eq!(client.poll_transmit(), None);
}

#[test]
fn no_connected_within_the_connect_timeout_fails() {
    let now = Instant::now();
    let mut client = Client::new(now, ClientConfig::default().connect_timeout(5 * SECOND));
    assert_fails_at(
        &mut client,
        now + 5 * SECOND,
        ClientError::ConnectTimeout(5 * SECOND),
    );
}

#[test]
fn heart_beats_go_out_when_idle_and_a_silent_server_is_dead_after_twice_its_interval() {
    let t0 = Instant::now();
    let config = ClientConfig::default().heart_beat(HeartBeat {
        can_send: SECOND,
        want_receive: 3 * SECOND,
    });
    let mut client = Client::new(t0, config);
    let mut broker = Broker::new();
    let _ = broker.read(&mut client);
    // We send every 2 s (their cy), they send every 3 s (our cy).
    input(
        &mut client,
        t0,
        b"CONNECTED\nversion:1.2\nheart-beat:3000,2000\n\n\0",
    );
    let _ = events(&mut client);
    assert_eq!(client.poll_timeout(), Some(t0 + 2 * SECOND));

    // Idle for 2 s: an EOL goes out.
    client.handle_timeout(t0 + 2 * SECOND);
    assert_eq!(broker.read(&mut client), [Item::HeartBeat]);
    assert_eq!(client.poll_timeout(), Some(t0 + 4 * SECOND));
    // A frame sent counts as a heart-beat: the next EOL is 2 s after it.
    client.handle_timeout(t0 + 3 * SECOND);
    client.send("/q", "x", FrameOptions::default()).unwrap();
    assert!(matches!(broker.read(&mut client)[..], [Item::Frame(_)]));
    assert_eq!(client.poll_timeout(), Some(t0 + 5 * SECOND));
    let _ = broker.read(&mut client);
    // A timer that fires early does nothing.
    client.handle_timeout(t0 + 4 * SECOND);
    assert!(client.poll_transmit().is_none());
    // The server's EOL at 5 s keeps it alive until 11 s (2 x 3 s).
    input(&mut client, t0 + 5 * SECOND, b"\n");
    client.handle_timeout(t0 + 5 * SECOND);
    assert_eq!(broker.read(&mut client), [Item::HeartBeat]);
    for s in [7, 9] {
        assert_eq!(client.poll_timeout(), Some(t0 + s * SECOND));
        client.handle_timeout(t0 + s * SECOND);
        assert_eq!(broker.read(&mut client), [Item::HeartBeat]);
        assert!(events(&mut client).is_empty());
    }
    // Part of a frame is a sign of life too.
    input(&mut client, t0 + 10 * SECOND, b"MESS");
    assert_eq!(client.poll_timeout(), Some(t0 + 11 * SECOND));
    client.handle_timeout(t0 + 11 * SECOND);
    assert_eq!(broker.read(&mut client), [Item::HeartBeat]);
    assert!(events(&mut client).is_empty());
    assert_eq!(client.poll_timeout(), Some(t0 + 13 * SECOND));
    client.handle_timeout(t0 + 13 * SECOND);
    let _ = broker.read(&mut client);
    assert_eq!(client.poll_timeout(), Some(t0 + 15 * SECOND));
    client.handle_timeout(t0 + 16 * SECOND);
    assert_eq!(
        events(&mut client),
        [ClientEvent::HeartBeatTimeout, ClientEvent::Disconnected]
    );
    assert_eq!(client.state(), State::Closed);
    assert_eq!(client.poll_timeout(), None);
}

#[test]
fn eof_before_the_end_fails_the_session() {
    let now = Instant::now();
    let (mut client, _broker) = connected(now, "1.2");
    client.handle_eof(now);
    assert_failed(&mut client, ClientError::ConnectionClosed);
}

#[test]
fn bad_server_frames_fail_the_session() {
    let now = Instant::now();
    type Check = fn(&ClientError) -> bool;
    let cases: [(&[u8], Check); 6] = [
        (b"BOGUS\n\n\0", |e| {
            matches!(e, ClientError::Codec(rtw_stomp::Error::UnknownCommand))
        }),
        (
            b"MESSAGE\nsubscription:0\nmessage-id:1\ndestination:/a\\t\n\n\0",
            |e| {
                matches!(
                    e,
                    ClientError::Codec(rtw_stomp::Error::UndefinedEscape { .. })
                )
            },
        ),
        (b"SEND\ndestination:/a\n\n\0", |e| {
            *e == ClientError::UnexpectedFrame(Command::Send)
        }),
        (b"CONNECTED\nversion:1.2\n\n\0", |e| {
            *e == ClientError::UnexpectedFrame(Command::Connected)
        }),
        (b"MESSAGE\nsubscription:0\ndestination:/a\n\n\0", |e| {
            *e == ClientError::MissingHeader {
                command: Command::Message,
                header: "message-id",
            }
        }),
        (
            b"MESSAGE\nsubscription:zero\nmessage-id:1\ndestination:/a\n\n\0",
            |e| {
                matches!(
                    e,
                    ClientError::BadHeader {
                        header: "subscription",
                        ..
                    }
                )
            },
        ),
    ];
    for (wire, check) in cases {
        let (mut client, _) = connected(now, "1.2");
        input(&mut client, now, wire);
        let evs = events(&mut client);
        let [ClientEvent::Failed(e), ClientEvent::Disconnected] = &evs[..] else {
            panic!("{evs:?}")
        };
        assert!(check(e), "{e:?}");
        assert!(e.is_peer_fault());
    }

    // A MESSAGE before CONNECTED; a bad heart-beat in CONNECTED.
    for wire in [
        &message("0", "1", None, "x")[..],
        b"CONNECTED\nversion:1.2\nheart-beat:x\n\n\0",
    ] {
        let mut client = Client::new(now, ClientConfig::default());
        input(&mut client, now, wire);
        assert!(
            matches!(&events(&mut client)[..], [ClientEvent::Failed(e), ClientEvent::Disconnected] if e.is_peer_fault())
        );
    }
}

#[test]
fn the_limits_apply_to_server_frames() {
    let now = Instant::now();
    let config = ClientConfig::default()
        .heart_beat(HeartBeat::NONE)
        .limits(Limits::default().max_frame_size(256));
    let mut client = connected_with(now, config);
    let big = message("0", "1", None, &"x".repeat(300));
    input(&mut client, now, &big);
    let evs = events(&mut client);
    assert!(
        matches!(&evs[..], [ClientEvent::Failed(ClientError::Codec(e)), ClientEvent::Disconnected] if e.is_peer_fault()),
        "{evs:?}"
    );
}

#[test]
fn input_split_anywhere_gives_the_same_events() {
    let now = Instant::now();
    let mut wire = b"\r\n\n".to_vec();
    wire.extend_from_slice(b"MESSAGE\nsubscription:0\nmessage-id:1\nack:a\\c1\ndestination:/queue/a\ncontent-length:5\n\nx\0y\0z\0\n");
    wire.extend_from_slice(&message("0", "2", None, "second"));
    wire.extend_from_slice(b"RECEIPT\nreceipt-id:0\n\n\0");
    wire.extend_from_slice(b"ERROR\nmessage:bye\n\n\0");

    let run = |cuts: &[usize]| {
        let (mut client, _) = connected(now, "1.2");
        client.subscribe("/queue/a", AckMode::Client).unwrap();
        client
            .send("/q", "x", FrameOptions::default().receipt(true))
            .unwrap();
        let mut src = BytesMut::new();
        let mut evs = Vec::new();
        let mut start = 0;
        for &end in cuts.iter().chain([wire.len()].iter()) {
            src.extend_from_slice(&wire[start..end]);
            start = end;
            client.handle_input(now, &mut src);
            evs.extend(std::iter::from_fn(|| client.poll_event()));
        }
        evs
    };
    let whole = run(&[]);
    assert_eq!(whole.len(), 5, "{whole:?}");
    let ClientEvent::Message(first) = &whole[0] else {
        panic!()
    };
    assert_eq!(&first.frame.body[..], b"x\0y\0z");
    assert_eq!(first.ack.as_deref(), Some("a:1"));
    assert_eq!(whole[2], ClientEvent::Receipt(ReceiptId(0)));
    assert!(matches!(&whole[3], ClientEvent::Error(f) if f.header("message") == Some("bye")));
    assert_eq!(whole[4], ClientEvent::Disconnected);

    let byte_by_byte: Vec<usize> = (1..wire.len()).collect();
    assert_eq!(run(&byte_by_byte), whole);
    for cut in 1..wire.len() {
        assert_eq!(run(&[cut]), whole, "cut at {cut}");
    }
}

#[test]
fn a_large_body_is_sent_without_a_copy() {
    let now = Instant::now();
    let (mut client, mut broker) = connected(now, "1.2");
    let body = Bytes::from(vec![7u8; 4096]);
    client
        .send(
            "/queue/a",
            body.clone(),
            FrameOptions::default().header("content-length", "1"),
        )
        .unwrap();
    let chunks: Vec<Bytes> = std::iter::from_fn(|| client.poll_transmit()).collect();
    assert_eq!(chunks.len(), 3);
    assert_eq!(chunks[1].as_ptr(), body.as_ptr());
    assert_eq!(&chunks[2][..], b"\0");
    assert_eq!(client.buffered_amount(), 0);
    for c in &chunks {
        broker.wire.extend_from_slice(c);
    }
    let Some(Item::Frame(frame)) = broker.decoder.decode(&mut broker.wire).unwrap() else {
        panic!()
    };
    assert_eq!(
        headers(&frame),
        [("destination", "/queue/a"), ("content-length", "4096")]
    );
    assert_eq!(frame.body, body);
}

#[test]
fn headers_a_version_cannot_carry_are_refused() {
    let now = Instant::now();
    // STOMP 1.2 escapes what 1.0 cannot carry.
    let (mut client, mut broker) = connected(now, "1.2");
    client
        .send(
            "/queue/a:b",
            "x",
            FrameOptions::default().header("note", "line\nbreak\r"),
        )
        .unwrap();
    let frame = broker.frame(&mut client);
    assert_eq!(frame.header("destination"), Some("/queue/a:b"));
    assert_eq!(frame.header("note"), Some("line\nbreak\r"));
    assert_eq!(
        client.send(
            "/queue/a",
            "x",
            FrameOptions::default().header("nul", "a\0b")
        ),
        Err(ClientError::Unencodable("nul".into()))
    );

    let (mut client, _) = connected(now, "1.1");
    assert_eq!(
        client.send("/queue/a", "x", FrameOptions::default().header("cr", "a\r")),
        Err(ClientError::Unencodable("cr".into()))
    );

    let (mut client, mut broker) = connected(now, "1.0");
    assert_eq!(
        client.subscribe("/queue/\nevil:1", AckMode::Auto),
        Err(ClientError::Unencodable("destination".into()))
    );
    assert_eq!(
        client.send("/q", "x", FrameOptions::default().header("a:b", "c")),
        Err(ClientError::Unencodable("a:b".into()))
    );
    assert!(broker.read(&mut client).is_empty());
    // Nothing was taken by the refused subscribe.
    assert_eq!(client.subscribe("/q", AckMode::Auto), Ok(SubscriptionId(0)));
}

#[test]
fn send_frame_queues_any_frame_untracked() {
    let now = Instant::now();
    let (mut client, mut broker) = connected(now, "1.2");
    // A SEND without a destination, on purpose: the server answers ERROR.
    client
        .send_frame(Frame::new(Command::Send).with_header("receipt", "x"))
        .unwrap();
    let frame = broker.frame(&mut client);
    assert_eq!(
        (frame.command, headers(&frame)),
        (Command::Send, vec![("receipt", "x")])
    );
    assert_eq!(client.outstanding_receipts(), 0);
    assert_eq!(
        client.send_frame(Frame::new(Command::Send).with_header("a", "\0")),
        Err(ClientError::Unencodable("a".into()))
    );
    input(
        &mut client,
        now,
        b"ERROR\nreceipt-id:x\nmessage:no destination\n\n\0",
    );
    let evs = events(&mut client);
    assert!(matches!(
        &evs[..],
        [ClientEvent::Error(_), ClientEvent::Disconnected]
    ));
    assert_eq!(
        client.send_frame(Frame::new(Command::Send)),
        Err(ClientError::Closed)
    );
}
