//! The TURN client against hand-built server answers, in virtual time:
//! the 401/438 exchange and algorithm negotiation (RFC 8489 §9.2), the
//! Allocate's checks (RFC 8656 §7.3), refreshes of the allocation (§8),
//! permissions (§9) and channels (§12), sending and receiving (§11, §12),
//! deallocation, and TCP framing split anywhere (§12.5).

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use rtw_stun::attributes::{
    AddressFamily, ChannelNumber, Data, ErrorCode, Lifetime, Nonce, PasswordAlgorithm,
    PasswordAlgorithms, Realm, RequestedAddressFamily, RequestedTransport, SecurityFeatures,
    Software, Userhash, Username, XorMappedAddress, XorPeerAddress, XorRelayedAddress,
};
use rtw_stun::key::{self, long_term_key};
use rtw_stun::{
    AttributeType, ChannelData, Class, IntegrityAlgorithm, Message, MessageBuilder, MessageType,
    Method, TransactionConfig, TransactionId, Transport,
};
use rtw_turn::client::{Client, ClientConfig, ClientEvent};
use rtw_turn::{Error, SeededRandom};

const REALM: &str = "example.org";
const USER: &str = "alice";
const PASSWORD: &str = "secret";

fn server() -> SocketAddr {
    "192.0.2.1:3478".parse().unwrap()
}

fn relayed() -> SocketAddr {
    "192.0.2.1:50000".parse().unwrap()
}

fn mapped() -> SocketAddr {
    "198.51.100.7:40000".parse().unwrap()
}

fn peer() -> SocketAddr {
    "203.0.113.5:7000".parse().unwrap()
}

fn md5_key() -> Vec<u8> {
    long_term_key(USER, REALM, PASSWORD, key::PasswordAlgorithm::Md5).unwrap()
}

fn sha256_key() -> Vec<u8> {
    long_term_key(USER, REALM, PASSWORD, key::PasswordAlgorithm::Sha256).unwrap()
}

/// How the hand-built server signs its answers.
#[derive(Clone, Copy)]
enum Sign<'a> {
    None,
    Md5(&'a [u8]),
    Sha256(&'a [u8]),
}

/// An answer of `class` to `request` (same method and transaction ID),
/// with the attributes `add` writes, signed as asked.
fn reply(
    request: &[u8],
    class: Class,
    sign: Sign<'_>,
    add: impl FnOnce(&mut MessageBuilder),
) -> BytesMut {
    let msg = Message::parse(request).unwrap();
    let mut b = MessageBuilder::new(MessageType::new(msg.method(), class), msg.transaction_id());
    add(&mut b);
    match sign {
        Sign::None => {}
        Sign::Md5(key) => {
            b.add_message_integrity(key).unwrap();
        }
        Sign::Sha256(key) => {
            b.add_message_integrity_sha256(key, 32).unwrap();
        }
    }
    b.add_fingerprint().unwrap();
    b.finish()
}

fn error(request: &[u8], code: u16, add: impl FnOnce(&mut MessageBuilder)) -> BytesMut {
    reply(request, Class::ErrorResponse, Sign::None, |b| {
        let reason = ErrorCode::recommended_reason(code).unwrap_or("Error");
        b.add(&ErrorCode::new(code, reason).unwrap()).unwrap();
        add(b);
    })
}

fn challenge(request: &[u8], code: u16, nonce: &str) -> BytesMut {
    error(request, code, |b| {
        b.add(&Realm::new(REALM).unwrap()).unwrap();
        b.add(&Nonce::new(nonce).unwrap()).unwrap();
    })
}

fn allocate_success(request: &[u8], sign: Sign<'_>, lifetime: u32) -> BytesMut {
    reply(request, Class::SuccessResponse, sign, |b| {
        b.add(&XorRelayedAddress(relayed())).unwrap();
        b.add(&XorMappedAddress(mapped())).unwrap();
        b.add(&Lifetime(lifetime)).unwrap();
    })
}

fn lifetime_success(request: &[u8], lifetime: u32) -> BytesMut {
    reply(
        request,
        Class::SuccessResponse,
        Sign::Md5(&md5_key()),
        |b| {
            b.add(&Lifetime(lifetime)).unwrap();
        },
    )
}

fn plain_success(request: &[u8]) -> BytesMut {
    reply(
        request,
        Class::SuccessResponse,
        Sign::Md5(&md5_key()),
        |_| {},
    )
}

fn data_indication(from: SocketAddr, data: &[u8]) -> BytesMut {
    MessageBuilder::new(
        MessageType::new(Method::DATA, Class::Indication),
        TransactionId([9; 12]),
    )
    .with(&XorPeerAddress(from))
    .unwrap()
    .with(&Data(data))
    .unwrap()
    .finish()
}

fn channel_data(channel: u16, data: &[u8], transport: Transport) -> BytesMut {
    let mut b = BytesMut::new();
    ChannelData::new(channel, data)
        .unwrap()
        .encode(transport, &mut b);
    b
}

/// A client and the virtual clock.
struct Sim {
    client: Client,
    t0: Instant,
    now: Instant,
}

impl Sim {
    fn new(config: ClientConfig) -> Sim {
        let client = Client::new(server(), config, Box::new(SeededRandom::new(7))).unwrap();
        let t0 = Instant::now();
        Sim {
            client,
            t0,
            now: t0,
        }
    }

    fn at(&self, secs: f64) -> Instant {
        self.t0 + Duration::from_secs_f64(secs)
    }

    /// Everything the client sends now, all to the server.
    fn sent(&mut self) -> Vec<Bytes> {
        let mut out = Vec::new();
        while let Some(t) = self.client.poll_transmit() {
            assert_eq!(t.destination, server());
            out.push(t.contents);
        }
        out
    }

    /// The one message the client sends now.
    fn one(&mut self) -> Bytes {
        let mut sent = self.sent();
        assert_eq!(sent.len(), 1, "expected one message");
        sent.pop().unwrap()
    }

    fn input(&mut self, bytes: &[u8]) -> bool {
        self.client.handle_input(self.now, server(), bytes)
    }

    fn events(&mut self) -> Vec<ClientEvent> {
        std::iter::from_fn(|| self.client.poll_event()).collect()
    }

    /// Move the clock to `t` and run the client's timers.
    fn advance(&mut self, t: Instant) {
        self.now = t;
        self.client.handle_timeout(t);
    }

    /// Run the client's timers until `t`, answering nothing; returns
    /// what was sent, with when.
    fn run_until(&mut self, t: Instant) -> Vec<(Duration, Bytes)> {
        let mut out = Vec::new();
        while let Some(next) = self.client.poll_timeout() {
            if next > t {
                break;
            }
            self.advance(next);
            for m in self.sent() {
                out.push((next - self.t0, m));
            }
        }
        self.now = t;
        out
    }

    /// A client with an MD5 allocation of 600 s at t0.
    fn allocated(config: ClientConfig) -> Sim {
        let mut sim = Sim::new(config);
        sim.client.allocate(sim.now).unwrap();
        let first = sim.one();
        sim.input(&challenge(&first, 401, "nonce-1"));
        let second = sim.one();
        sim.input(&allocate_success(&second, Sign::Md5(&md5_key()), 600));
        assert!(matches!(sim.events()[..], [ClientEvent::Allocated { .. }]));
        sim
    }
}

fn config() -> ClientConfig {
    ClientConfig::new(USER, PASSWORD)
}

fn parse(bytes: &[u8]) -> Message<'_> {
    Message::parse(bytes).unwrap()
}

#[test]
fn allocate_401_then_success() {
    let mut sim = Sim::new(config());
    sim.client.allocate(sim.now).unwrap();
    assert!(matches!(
        sim.client.allocate(sim.now),
        Err(Error::InvalidState(_))
    ));

    // RFC 8656 §7.1 and RFC 8489 §9.2.3: no credentials at first.
    let first = sim.one();
    let msg = parse(&first);
    assert_eq!(
        (msg.method(), msg.class()),
        (Method::ALLOCATE, Class::Request)
    );
    assert_eq!(
        msg.get::<RequestedTransport>().unwrap().unwrap(),
        RequestedTransport::UDP
    );
    assert!(
        msg.get::<Software>()
            .unwrap()
            .unwrap()
            .as_str()
            .starts_with("rtw-turn")
    );
    assert!(msg.get::<Username>().is_none());
    assert!(msg.get::<RequestedAddressFamily>().is_none());
    assert!(msg.get::<Lifetime>().is_none());
    assert_eq!(
        msg.verify_integrity(b"x"),
        Err(rtw_stun::Error::MissingIntegrity)
    );
    assert_eq!(msg.verify_fingerprint(), Ok(true));

    assert!(sim.input(&challenge(&first, 401, "nonce-1")));
    assert!(sim.events().is_empty());

    // RFC 8489 §9.2.4: USERNAME, REALM, NONCE, MESSAGE-INTEGRITY (MD5 key).
    let second = sim.one();
    let msg = parse(&second);
    assert_ne!(msg.transaction_id(), parse(&first).transaction_id());
    assert_eq!(msg.get::<Username>().unwrap().unwrap().as_str(), USER);
    assert_eq!(msg.get::<Realm>().unwrap().unwrap().as_str(), REALM);
    assert_eq!(msg.get::<Nonce>().unwrap().unwrap().as_str(), "nonce-1");
    assert!(msg.raw(AttributeType::PASSWORD_ALGORITHM).is_none());
    assert_eq!(
        msg.verify_integrity(&md5_key()),
        Ok(IntegrityAlgorithm::HmacSha1)
    );
    assert_eq!(msg.verify_fingerprint(), Ok(true));

    sim.now = sim.at(0.05);
    sim.input(&allocate_success(&second, Sign::Md5(&md5_key()), 600));
    assert_eq!(
        sim.events(),
        [ClientEvent::Allocated {
            relayed: relayed(),
            mapped: mapped(),
            lifetime: Duration::from_secs(600)
        }]
    );
    assert_eq!(sim.client.relayed_address(), Some(relayed()));
    assert_eq!(sim.client.mapped_address(), Some(mapped()));
    // Half of 600 s after the request was sent.
    assert_eq!(sim.client.poll_timeout(), Some(sim.at(300.0)));
}

#[test]
fn requested_family_and_lifetime_are_sent() {
    let mut sim = Sim::new(
        config()
            .family(AddressFamily::V6)
            .lifetime(Some(Duration::from_secs(1200)))
            .software(None),
    );
    sim.client.allocate(sim.now).unwrap();
    let first = sim.one();
    let msg = parse(&first);
    assert_eq!(
        msg.get::<RequestedAddressFamily>().unwrap().unwrap(),
        RequestedAddressFamily(AddressFamily::V6)
    );
    assert_eq!(msg.get::<Lifetime>().unwrap().unwrap(), Lifetime(1200));
    assert!(msg.get::<Software>().is_none());
}

#[test]
fn stale_nonce_is_retried_once() {
    let mut sim = Sim::new(config());
    sim.client.allocate(sim.now).unwrap();
    let first = sim.one();
    sim.input(&challenge(&first, 401, "nonce-1"));
    let second = sim.one();
    sim.input(&challenge(&second, 438, "nonce-2"));
    let third = sim.one();
    let msg = parse(&third);
    assert_eq!(msg.get::<Nonce>().unwrap().unwrap().as_str(), "nonce-2");
    assert_eq!(
        msg.verify_integrity(&md5_key()),
        Ok(IntegrityAlgorithm::HmacSha1)
    );
    assert!(sim.events().is_empty());
    sim.input(&allocate_success(&third, Sign::Md5(&md5_key()), 600));
    assert!(matches!(sim.events()[..], [ClientEvent::Allocated { .. }]));

    // Twice stale: the second 438 is the answer.
    let mut sim = Sim::new(config());
    sim.client.allocate(sim.now).unwrap();
    let first = sim.one();
    sim.input(&challenge(&first, 401, "nonce-1"));
    let second = sim.one();
    sim.input(&challenge(&second, 438, "nonce-2"));
    let third = sim.one();
    sim.input(&challenge(&third, 438, "nonce-3"));
    assert!(sim.sent().is_empty());
    assert!(matches!(
        &sim.events()[..],
        [ClientEvent::AllocationFailed(Error::ErrorResponse {
            method: "Allocate",
            code: 438,
            ..
        })]
    ));
    assert_eq!(sim.client.poll_timeout(), None);
}

#[test]
fn a_second_401_fails_the_allocation() {
    let mut sim = Sim::new(config());
    sim.client.allocate(sim.now).unwrap();
    let first = sim.one();
    sim.input(&challenge(&first, 401, "nonce-1"));
    let second = sim.one();
    sim.input(&challenge(&second, 401, "nonce-2"));
    let events = sim.events();
    let [ClientEvent::AllocationFailed(e)] = &events[..] else {
        panic!("{events:?}")
    };
    assert_eq!(e.error_code(), Some(401));
    assert!(e.is_peer_fault());
    assert!(sim.sent().is_empty());
}

#[test]
fn sha256_is_negotiated() {
    let features = SecurityFeatures::PASSWORD_ALGORITHMS;
    let nonce = format!("{}abcd", features.cookie());
    let offered = [PasswordAlgorithm::MD5, PasswordAlgorithm::SHA256];
    let mut sim = Sim::new(config());
    sim.client.allocate(sim.now).unwrap();
    let first = sim.one();
    sim.input(&error(&first, 401, |b| {
        b.add(&Realm::new(REALM).unwrap()).unwrap();
        b.add(&Nonce::new(&nonce).unwrap()).unwrap();
        b.add(&PasswordAlgorithms::new(&offered).unwrap()).unwrap();
    }));
    let second = sim.one();
    let msg = parse(&second);
    // RFC 8489 §9.2.4: the list echoed, the pick named, SHA-256 integrity.
    assert_eq!(
        msg.get::<PasswordAlgorithm>().unwrap().unwrap(),
        PasswordAlgorithm::SHA256
    );
    let echoed = msg.get::<PasswordAlgorithms>().unwrap().unwrap();
    assert_eq!(echoed.iter().collect::<Vec<_>>(), offered);
    assert_eq!(msg.get::<Username>().unwrap().unwrap().as_str(), USER);
    assert_eq!(
        msg.verify_integrity(&sha256_key()),
        Ok(IntegrityAlgorithm::HmacSha256)
    );
    assert!(msg.verify_integrity(&md5_key()).is_err());

    // A success signed with the MD5 key is not the server's: dropped.
    sim.input(&allocate_success(&second, Sign::Md5(&md5_key()), 600));
    assert!(sim.events().is_empty());
    sim.input(&allocate_success(&second, Sign::Sha256(&sha256_key()), 600));
    assert!(matches!(sim.events()[..], [ClientEvent::Allocated { .. }]));

    // Later requests carry the same algorithm attributes.
    sim.client.create_permission(sim.now, peer().ip()).unwrap();
    let msg_bytes = sim.one();
    let msg = parse(&msg_bytes);
    assert_eq!(
        msg.get::<PasswordAlgorithm>().unwrap().unwrap(),
        PasswordAlgorithm::SHA256
    );
    assert_eq!(
        msg.verify_integrity(&sha256_key()),
        Ok(IntegrityAlgorithm::HmacSha256)
    );
}

#[test]
fn md5_only_offer_and_userhash() {
    let features = SecurityFeatures::PASSWORD_ALGORITHMS | SecurityFeatures::USERNAME_ANONYMITY;
    let nonce = format!("{}abcd", features.cookie());
    let mut sim = Sim::new(config());
    sim.client.allocate(sim.now).unwrap();
    let first = sim.one();
    sim.input(&error(&first, 401, |b| {
        b.add(&Realm::new(REALM).unwrap()).unwrap();
        b.add(&Nonce::new(&nonce).unwrap()).unwrap();
        b.add(&PasswordAlgorithms::new(&[PasswordAlgorithm::MD5]).unwrap())
            .unwrap();
    }));
    let second = sim.one();
    let msg = parse(&second);
    assert_eq!(
        msg.get::<PasswordAlgorithm>().unwrap().unwrap(),
        PasswordAlgorithm::MD5
    );
    // RFC 8489 §14.4: USERHASH replaces USERNAME.
    assert!(msg.get::<Username>().is_none());
    assert_eq!(
        msg.get::<Userhash>().unwrap().unwrap(),
        Userhash::compute(USER, REALM)
    );
    assert_eq!(
        msg.verify_integrity(&md5_key()),
        Ok(IntegrityAlgorithm::HmacSha1)
    );
}

#[test]
fn the_configured_realm_must_match() {
    let mut sim = Sim::new(config().realm(Some("other.org".to_owned())));
    sim.client.allocate(sim.now).unwrap();
    let first = sim.one();
    sim.input(&challenge(&first, 401, "n"));
    assert!(sim.sent().is_empty(), "no key is sent for another realm");
    assert!(matches!(
        sim.events()[..],
        [ClientEvent::AllocationFailed(Error::InvalidResponse(_))]
    ));
}

#[test]
fn a_success_must_verify() {
    let mut sim = Sim::new(config());
    sim.client.allocate(sim.now).unwrap();
    let first = sim.one();
    sim.input(&challenge(&first, 401, "nonce-1"));
    let second = sim.one();
    // Unsigned, or signed with another key: dropped as never received.
    sim.input(&allocate_success(&second, Sign::None, 600));
    let other = long_term_key(USER, REALM, "wrong", key::PasswordAlgorithm::Md5).unwrap();
    sim.input(&allocate_success(&second, Sign::Md5(&other), 600));
    assert!(sim.events().is_empty());
    // Over UDP the request is retransmitted meanwhile (RFC 8489 §6.2.1).
    sim.advance(sim.at(0.5));
    assert_eq!(sim.one(), second);
    sim.input(&allocate_success(&second, Sign::Md5(&md5_key()), 600));
    assert!(matches!(sim.events()[..], [ClientEvent::Allocated { .. }]));
}

#[test]
fn allocation_failures_are_typed() {
    // An error response.
    let mut sim = Sim::new(config());
    sim.client.allocate(sim.now).unwrap();
    let first = sim.one();
    sim.input(&challenge(&first, 401, "n"));
    let second = sim.one();
    sim.input(&error(&second, 486, |_| {}));
    assert_eq!(
        sim.events(),
        [ClientEvent::AllocationFailed(Error::ErrorResponse {
            method: "Allocate",
            code: 486,
            reason: "Allocation Quota Reached".to_owned()
        })]
    );
    assert!(matches!(
        sim.client.create_permission(sim.now, peer().ip()),
        Err(Error::InvalidState(_))
    ));

    // A success without XOR-RELAYED-ADDRESS.
    let mut sim = Sim::new(config());
    sim.client.allocate(sim.now).unwrap();
    let first = sim.one();
    sim.input(&challenge(&first, 401, "n"));
    let second = sim.one();
    sim.input(&reply(
        &second,
        Class::SuccessResponse,
        Sign::Md5(&md5_key()),
        |b| {
            b.add(&XorMappedAddress(mapped())).unwrap();
            b.add(&Lifetime(600)).unwrap();
        },
    ));
    assert!(matches!(
        sim.events()[..],
        [ClientEvent::AllocationFailed(Error::InvalidResponse(_))]
    ));

    // No answer: 7 requests over UDP, then the timeout at 39.5 s.
    let mut sim = Sim::new(config());
    sim.client.allocate(sim.now).unwrap();
    assert_eq!(sim.sent().len(), 1);
    let sent = sim.run_until(sim.at(100.0));
    let times: Vec<u128> = sent.iter().map(|(t, _)| t.as_millis()).collect();
    assert_eq!(times, [500, 1500, 3500, 7500, 15500, 31500]);
    assert_eq!(
        sim.events(),
        [ClientEvent::AllocationFailed(Error::Timeout("Allocate"))]
    );
    assert_eq!(sim.client.poll_timeout(), None);
}

#[test]
fn the_allocation_is_refreshed_in_virtual_time() {
    let mut sim = Sim::allocated(config().lifetime(Some(Duration::from_secs(900))));
    // Granted 600 s: the Refresh is due at 300 s.
    assert_eq!(sim.client.poll_timeout(), Some(sim.at(300.0)));
    sim.advance(sim.at(300.0));
    let refresh = sim.one();
    let msg = parse(&refresh);
    assert_eq!(msg.method(), Method::REFRESH);
    assert_eq!(msg.get::<Lifetime>().unwrap().unwrap(), Lifetime(900));
    assert_eq!(msg.get::<Nonce>().unwrap().unwrap().as_str(), "nonce-1");
    assert_eq!(
        msg.verify_integrity(&md5_key()),
        Ok(IntegrityAlgorithm::HmacSha1)
    );
    // The nonce went stale: the same Refresh with the new one.
    sim.input(&challenge(&refresh, 438, "nonce-2"));
    let again = sim.one();
    assert_eq!(
        parse(&again).get::<Nonce>().unwrap().unwrap().as_str(),
        "nonce-2"
    );
    sim.now = sim.at(300.1);
    sim.input(&lifetime_success(&again, 900));
    assert_eq!(
        sim.events(),
        [ClientEvent::Refreshed {
            lifetime: Duration::from_secs(900)
        }]
    );
    // Half of 900 s after the retried request went out.
    assert_eq!(sim.client.poll_timeout(), Some(sim.at(750.0)));

    // The next one times out: the allocation is lost.
    let sent = sim.run_until(sim.at(2000.0));
    assert_eq!(sent.len(), 7);
    assert_eq!(sent[0].0, Duration::from_secs(750));
    assert_eq!(
        sim.events(),
        [ClientEvent::Expired(Error::Timeout("Refresh"))]
    );
    assert_eq!(sim.client.relayed_address(), None);
    assert!(matches!(
        sim.client.send_to(sim.now, peer(), b"x"),
        Err(Error::InvalidState(_))
    ));
}

#[test]
fn a_refused_refresh_expires_the_allocation() {
    let mut sim = Sim::allocated(config());
    sim.advance(sim.at(300.0));
    let refresh = sim.one();
    assert!(parse(&refresh).get::<Lifetime>().is_none());
    sim.input(&error(&refresh, 437, |_| {}));
    assert!(matches!(
        &sim.events()[..],
        [ClientEvent::Expired(Error::ErrorResponse {
            method: "Refresh",
            code: 437,
            ..
        })]
    ));
    assert_eq!(sim.client.poll_timeout(), None);
}

#[test]
fn permissions_are_created_and_refreshed() {
    let mut sim = Sim::allocated(config());
    let ip = peer().ip();
    assert_eq!(
        sim.client.send_to(sim.now, peer(), b"x"),
        Err(Error::NoPermission(ip))
    );
    sim.now = sim.at(10.0);
    sim.client.create_permission(sim.now, ip).unwrap();
    let req = sim.one();
    let msg = parse(&req);
    assert_eq!(msg.method(), Method::CREATE_PERMISSION);
    assert_eq!(msg.get::<XorPeerAddress>().unwrap().unwrap().0.ip(), ip);
    assert_eq!(
        msg.verify_integrity(&md5_key()),
        Ok(IntegrityAlgorithm::HmacSha1)
    );
    // Asking again while it runs sends nothing.
    sim.client.create_permission(sim.now, ip).unwrap();
    assert!(sim.sent().is_empty());
    sim.input(&plain_success(&req));
    assert_eq!(sim.events(), [ClientEvent::PermissionCreated { peer: ip }]);

    // Refreshed 240 s after the request, before the allocation's Refresh.
    assert_eq!(sim.client.poll_timeout(), Some(sim.at(250.0)));
    sim.advance(sim.at(250.0));
    let refresh = sim.one();
    assert_eq!(parse(&refresh).method(), Method::CREATE_PERMISSION);
    sim.input(&plain_success(&refresh));
    assert!(sim.events().is_empty(), "refreshes are silent");

    // The allocation's Refresh at 300 s, the permission's next at 490 s.
    sim.advance(sim.at(300.0));
    let alloc_refresh = sim.one();
    sim.input(&lifetime_success(&alloc_refresh, 600));
    assert_eq!(sim.events().len(), 1);
    assert_eq!(sim.client.poll_timeout(), Some(sim.at(490.0)));

    // A refused refresh drops the permission.
    sim.advance(sim.at(490.0));
    let refresh = sim.one();
    sim.input(&error(&refresh, 403, |_| {}));
    let events = sim.events();
    let [ClientEvent::PermissionFailed { peer: p, error }] = &events[..] else {
        panic!("{events:?}")
    };
    assert_eq!((*p, error.error_code()), (ip, Some(403)));
    assert_eq!(
        sim.client.send_to(sim.now, peer(), b"x"),
        Err(Error::NoPermission(ip))
    );
}

#[test]
fn send_indications_then_channel_data() {
    let mut sim = Sim::allocated(config());
    let number = sim.client.bind_channel(sim.now, peer()).unwrap();
    assert_eq!(number, ChannelNumber(0x4000));
    assert_eq!(sim.client.bind_channel(sim.now, peer()).unwrap(), number);
    let bind = sim.one();
    let msg = parse(&bind);
    assert_eq!(msg.method(), Method::CHANNEL_BIND);
    assert_eq!(msg.get::<ChannelNumber>().unwrap().unwrap(), number);
    assert_eq!(msg.get::<XorPeerAddress>().unwrap().unwrap().0, peer());

    // Not bound yet: a Send indication, without integrity (RFC 8656 §11).
    sim.client.send_to(sim.now, peer(), b"hello").unwrap();
    let send = sim.one();
    let msg = parse(&send);
    assert_eq!(
        (msg.method(), msg.class()),
        (Method::SEND, Class::Indication)
    );
    assert_eq!(msg.get::<XorPeerAddress>().unwrap().unwrap().0, peer());
    assert_eq!(msg.get::<Data>().unwrap().unwrap().0, b"hello");
    assert_eq!(
        msg.verify_integrity(b"k"),
        Err(rtw_stun::Error::MissingIntegrity)
    );

    sim.input(&plain_success(&bind));
    assert_eq!(
        sim.events(),
        [ClientEvent::ChannelBound {
            peer: peer(),
            channel: number
        }]
    );
    sim.client.send_to(sim.now, peer(), b"hello").unwrap();
    assert_eq!(&sim.one()[..], b"\x40\x00\x00\x05hello");
    // Another port of the same IP has the permission, not the channel.
    let other: SocketAddr = "203.0.113.5:7001".parse().unwrap();
    sim.client.send_to(sim.now, other, b"x").unwrap();
    assert_eq!(parse(&sim.one()).method(), Method::SEND);

    // The permission the bind installed is refreshed at 240 s, the
    // channel at 540 s (after the allocation's Refresh at 300 s).
    let mut seen = Vec::new();
    let until = sim.at(560.0);
    while let Some(next) = sim.client.poll_timeout() {
        if next > until {
            break;
        }
        sim.advance(next);
        for m in sim.sent() {
            let msg = parse(&m);
            seen.push(((next - sim.t0).as_secs(), msg.method()));
            let answer = match msg.method() {
                Method::REFRESH => lifetime_success(&m, 600),
                _ => plain_success(&m),
            };
            sim.input(&answer);
        }
    }
    assert_eq!(
        seen,
        [
            (240, Method::CREATE_PERMISSION),
            (300, Method::REFRESH),
            (480, Method::CREATE_PERMISSION),
            (540, Method::CHANNEL_BIND),
        ]
    );
    assert_eq!(
        sim.events(),
        [ClientEvent::Refreshed {
            lifetime: Duration::from_secs(600)
        }]
    );
    // The ChannelBind at 540 s refreshed the permission: next at 780 s.
    assert_eq!(sim.client.poll_timeout(), Some(sim.at(600.0)));
    sim.advance(sim.at(600.0));
    let refresh = sim.one();
    assert_eq!(parse(&refresh).method(), Method::REFRESH);
    sim.input(&lifetime_success(&refresh, 600));
    sim.events();
    assert_eq!(sim.client.poll_timeout(), Some(sim.at(780.0)));
}

#[test]
fn a_failed_bind_falls_back_to_indications() {
    let mut sim = Sim::allocated(config());
    let ch = sim.client.bind_channel(sim.now, peer()).unwrap();
    let bind = sim.one();
    sim.input(&error(&bind, 400, |_| {}));
    let events = sim.events();
    let [ClientEvent::ChannelBindFailed { peer: p, error }] = &events[..] else {
        panic!("{events:?}")
    };
    assert_eq!((*p, error.error_code()), (peer(), Some(400)));
    // The permission was only being installed through the bind: gone.
    assert_eq!(
        sim.client.send_to(sim.now, peer(), b"x"),
        Err(Error::NoPermission(peer().ip()))
    );
    // A new bind takes the next number.
    let again = sim.client.bind_channel(sim.now, peer()).unwrap();
    assert_eq!(again, ChannelNumber(ch.0 + 1));
}

#[test]
fn data_is_received_from_permitted_peers_and_bound_channels() {
    let mut sim = Sim::allocated(config());
    // No permission yet: dropped.
    assert!(sim.input(&data_indication(peer(), b"early")));
    assert!(sim.events().is_empty());

    sim.client.create_permission(sim.now, peer().ip()).unwrap();
    let req = sim.one();
    sim.input(&plain_success(&req));
    sim.events();
    assert!(sim.input(&data_indication(peer(), b"hi")));
    assert_eq!(
        sim.events(),
        [ClientEvent::Data {
            peer: peer(),
            data: Bytes::from_static(b"hi")
        }]
    );

    let ch = sim.client.bind_channel(sim.now, peer()).unwrap();
    let bind = sim.one();
    // ChannelData may come before the bind's success.
    assert!(sim.input(&channel_data(ch.0, b"cd", Transport::Udp)));
    sim.input(&plain_success(&bind));
    assert!(sim.input(&channel_data(ch.0, b"cd2", Transport::Udp)));
    // An unknown channel, a truncated one: dropped.
    assert!(sim.input(&channel_data(0x4abc, b"zz", Transport::Udp)));
    assert!(sim.input(b"\x40\x00\x00\x09abc"));
    assert_eq!(
        sim.events(),
        [
            ClientEvent::Data {
                peer: peer(),
                data: Bytes::from_static(b"cd")
            },
            ClientEvent::ChannelBound {
                peer: peer(),
                channel: ch
            },
            ClientEvent::Data {
                peer: peer(),
                data: Bytes::from_static(b"cd2")
            },
        ]
    );

    // Not from the server, or not STUN/ChannelData: not the client's.
    let elsewhere: SocketAddr = "192.0.2.9:3478".parse().unwrap();
    assert!(
        !sim.client
            .handle_input(sim.now, elsewhere, &data_indication(peer(), b"x"))
    );
    assert!(!sim.input(b"\x80\x00rtp"));
    assert!(!sim.input(b""));
    assert!(sim.events().is_empty());
}

#[test]
fn deallocate_sends_lifetime_zero() {
    let mut sim = Sim::allocated(config());
    sim.client.create_permission(sim.now, peer().ip()).unwrap();
    let permission = sim.one();
    sim.client.deallocate(sim.now).unwrap();
    let refresh = sim.one();
    let msg = parse(&refresh);
    assert_eq!(msg.method(), Method::REFRESH);
    assert_eq!(msg.get::<Lifetime>().unwrap().unwrap(), Lifetime(0));
    // The CreatePermission was cancelled: its answer is ignored.
    sim.input(&plain_success(&permission));
    assert!(sim.events().is_empty());
    assert!(matches!(
        sim.client.send_to(sim.now, peer(), b"x"),
        Err(Error::InvalidState(_))
    ));
    assert!(matches!(
        sim.client.deallocate(sim.now),
        Err(Error::InvalidState(_))
    ));
    sim.input(&lifetime_success(&refresh, 0));
    assert_eq!(sim.events(), [ClientEvent::Deallocated]);
    assert_eq!(sim.client.poll_timeout(), None);
    assert_eq!(sim.client.relayed_address(), None);

    // A 437 (already gone) also ends it.
    let mut sim = Sim::allocated(config());
    sim.client.deallocate(sim.now).unwrap();
    let refresh = sim.one();
    sim.input(&error(&refresh, 437, |_| {}));
    assert_eq!(sim.events(), [ClientEvent::Deallocated]);
}

#[test]
fn config_is_checked() {
    let new = |c: ClientConfig| Client::new(server(), c, Box::new(SeededRandom::new(1)));
    assert!(matches!(
        new(ClientConfig::new("", "p")),
        Err(Error::Config(_))
    ));
    assert!(matches!(
        new(ClientConfig::new("u", "")),
        Err(Error::Config(_))
    ));
    assert!(matches!(
        new(config().lifetime(Some(Duration::from_millis(10)))),
        Err(Error::Config(_))
    ));
    assert!(matches!(
        new(config().software(Some("x".repeat(200)))),
        Err(Error::Config(_))
    ));
    assert!(new(config()).is_ok());
}

// --- TCP and TLS (RFC 8656 §12.5) ---

/// What a TCP client sees of a whole exchange: the server's byte stream
/// (401, the Allocate success, a ChannelBind success, ChannelData with
/// padding, a Data indication), fed in the chunks `cuts` gives; returns
/// the events and what the client sent.
fn tcp_exchange(cuts: &[usize]) -> (Vec<ClientEvent>, Vec<Bytes>) {
    let mut sim = Sim::new(config().transport(Transport::Tcp));
    sim.client.allocate(sim.now).unwrap();
    // No retransmissions over TCP: the one timeout is Ti.
    assert_eq!(sim.client.poll_timeout(), Some(sim.at(39.5)));
    let first = sim.one();
    let mut sent = vec![first.clone()];
    feed(&mut sim, &challenge(&first, 401, "n"), cuts);
    let second = sim.one();
    sent.push(second.clone());
    feed(
        &mut sim,
        &allocate_success(&second, Sign::Md5(&md5_key()), 600),
        cuts,
    );
    sim.client.bind_channel(sim.now, peer()).unwrap();
    let bind = sim.one();
    sent.push(bind.clone());
    // The rest arrives as one stream: the bind's success, ChannelData
    // (padded) and a Data indication.
    let mut stream = BytesMut::new();
    stream.extend_from_slice(&plain_success(&bind));
    stream.extend_from_slice(&channel_data(0x4000, b"abcde", Transport::Tcp));
    stream.extend_from_slice(&data_indication(peer(), b"indicated"));
    feed(&mut sim, &stream, cuts);
    sim.client.send_to(sim.now, peer(), b"xyz").unwrap();
    sent.push(sim.one());
    (sim.events(), sent)
}

/// Feed `bytes` cut at the offsets in `cuts` (modulo its length).
fn feed(sim: &mut Sim, bytes: &[u8], cuts: &[usize]) {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    points.push(0);
    points.push(bytes.len());
    points.sort_unstable();
    points.dedup();
    for w in points.windows(2) {
        assert!(sim.input(&bytes[w[0]..w[1]]));
    }
}

fn tcp_expected() -> Vec<ClientEvent> {
    vec![
        ClientEvent::Allocated {
            relayed: relayed(),
            mapped: mapped(),
            lifetime: Duration::from_secs(600),
        },
        ClientEvent::ChannelBound {
            peer: peer(),
            channel: ChannelNumber(0x4000),
        },
        ClientEvent::Data {
            peer: peer(),
            data: Bytes::from_static(b"abcde"),
        },
        ClientEvent::Data {
            peer: peer(),
            data: Bytes::from_static(b"indicated"),
        },
    ]
}

#[test]
fn tcp_framing_split_at_every_byte() {
    let (events, sent) = tcp_exchange(&[]);
    assert_eq!(events, tcp_expected());
    // ChannelData to the server is padded to 4 bytes on a stream.
    assert_eq!(&sent[3][..], b"\x40\x00\x00\x03xyz\x00");
    // Every single cut point, and byte by byte.
    for cut in 0..200 {
        assert_eq!(tcp_exchange(&[cut]).0, tcp_expected(), "cut at {cut}");
    }
    let every: Vec<usize> = (0..400).collect();
    assert_eq!(tcp_exchange(&every).0, tcp_expected());
}

#[test]
fn broken_tcp_framing_ends_the_allocation() {
    let mut sim = Sim::allocated(config().transport(Transport::Tcp));
    // A frame that is valid framing but not a valid message is skipped.
    let mut bad = BytesMut::from(&b"\x00\x01\x00\x04\x21\x12\xa4\x42"[..]);
    bad.extend_from_slice(&[0; 16]);
    bad[4] = 0; // bad cookie
    assert!(sim.input(&bad));
    assert!(sim.events().is_empty());
    // A first byte that is neither STUN nor ChannelData breaks the stream.
    assert!(sim.input(b"\xff\xff\xff\xff"));
    assert!(matches!(
        sim.events()[..],
        [ClientEvent::Expired(Error::Stun(_))]
    ));
    assert!(sim.input(&data_indication(peer(), b"x")));
    assert!(sim.events().is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The server's stream split anywhere gives the same events
    /// (docs/ARCHITECTURE.md §2.11).
    #[test]
    fn tcp_split_invariance(cuts in proptest::collection::vec(0usize..400, 0..12)) {
        let (events, _) = tcp_exchange(&cuts);
        prop_assert_eq!(events, tcp_expected());
    }

    /// Whatever the server sends, over UDP or TCP, the client neither
    /// panics nor lets its queues grow past what the input explains.
    #[test]
    fn arbitrary_input_is_survived(
        tcp in any::<bool>(),
        chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..80), 0..20),
    ) {
        let transport = if tcp { Transport::Tcp } else { Transport::Udp };
        let mut sim = Sim::allocated(config().transport(transport));
        sim.client.bind_channel(sim.now, peer()).unwrap();
        sim.client.create_permission(sim.now, IpAddr::from([198, 51, 100, 1])).unwrap();
        sim.sent();
        for (i, chunk) in chunks.iter().enumerate() {
            let mut bytes = chunk.clone();
            // Steer some chunks into the STUN and ChannelData ranges.
            if let Some(first) = bytes.first_mut() {
                *first = match i % 3 { 0 => *first & 0x03, 1 => 0x40 | (*first & 0x0f), _ => *first };
            }
            sim.input(&bytes);
            prop_assert!(sim.events().len() <= 2);
            sim.sent();
        }
        let _ = sim.client.poll_timeout();
    }
}

#[test]
fn retransmissions_follow_the_transaction_config() {
    let mut sim = Sim::new(config().transaction(TransactionConfig::default().rc(2)));
    sim.client.allocate(sim.now).unwrap();
    sim.sent();
    let sent = sim.run_until(sim.at(100.0));
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0, Duration::from_millis(500));
    // Rm·RTO after the last: 0.5 + 16 × 0.5 = 8.5 s.
    assert_eq!(
        sim.events(),
        [ClientEvent::AllocationFailed(Error::Timeout("Allocate"))]
    );
}
