//! Fuzz `rtw_turn::client::Client` with arbitrary server answers once it
//! has started its Allocate: it never panics, everything it sends goes to
//! the server and parses, its queues drain, and after `handle_timeout(now)`
//! its next timeout is later than `now`.
//!
//! The input is a sequence of records: a control byte, a clock byte and a
//! length-prefixed body. By the control byte's low bits the body is:
//!
//! - raw bytes from the server (or, by a bit, from another address), over
//!   UDP or, when the first input byte says so, over TCP (any split);
//! - a response the target builds from the body to the client's latest
//!   request (its transaction ID read back from what the client sent):
//!   success or error (401 and 438 with REALM, NONCE with or without the
//!   security-feature cookie and PASSWORD-ALGORITHMS, or another code),
//!   fuzzed attributes (XOR-RELAYED-ADDRESS, XOR-MAPPED-ADDRESS, LIFETIME,
//!   ...), and MESSAGE-INTEGRITY with the key the client used (MD5 or
//!   SHA-256, per its request's PASSWORD-ALGORITHM), a wrong one, or none;
//! - a Data indication or a ChannelData message from a peer;
//! - a call of the application: `create_permission`, `bind_channel`,
//!   `send_to`, `deallocate`, or time passing with `handle_timeout`.
#![no_main]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use rtw_fuzz::turn::addr;
use rtw_fuzz::{fire_due_timer, seeded, steps};
use rtw_stun::attributes::{
    Data, ErrorCode, Nonce, PasswordAlgorithm as AlgorithmAttribute, PasswordAlgorithms, Realm,
    SecurityFeatures, XorMappedAddress, XorPeerAddress, XorRelayedAddress,
};
use rtw_stun::key::{PasswordAlgorithm, long_term_key};
use rtw_stun::{
    AttributeType, ChannelData, Class, Message, MessageBuilder, MessageType, Method, PacketKind,
    TransactionId, Transport, demux,
};
use rtw_turn::client::{Client, ClientConfig};

const USER: &str = "alice";
const PASSWORD: &str = "alice-pw";
const MAX_DRAIN: usize = 10_000;

fn server() -> SocketAddr {
    addr("192.0.2.1:3478")
}

fn peers() -> [SocketAddr; 4] {
    [
        addr("203.0.113.5:7000"),
        addr("203.0.113.6:7001"),
        addr("[2001:db8:1::5]:7000"),
        addr("203.0.113.5:7002"),
    ]
}

struct Harness {
    client: Client,
    now: Instant,
    transport: Transport,
    /// The latest request the client sent, whole.
    last_request: Option<Vec<u8>>,
}

impl Harness {
    /// Drains the client, checking what it sends.
    fn drain(&mut self) {
        for _ in 0..MAX_DRAIN {
            let Some(t) = self.client.poll_transmit() else {
                for _ in 0..MAX_DRAIN {
                    if self.client.poll_event().is_none() {
                        return;
                    }
                }
                panic!("the client's events never end");
            };
            assert_eq!(t.destination, server(), "sends to someone else");
            match demux(&t.contents) {
                PacketKind::Stun => {
                    let msg = Message::parse(&t.contents).expect("sends STUN that parses");
                    if msg.class() == Class::Request {
                        self.last_request = Some(t.contents.to_vec());
                    }
                }
                PacketKind::ChannelData => {
                    let (_, used) = ChannelData::parse(&t.contents, self.transport)
                        .expect("valid ChannelData")
                        .expect("whole ChannelData");
                    assert_eq!(used, t.contents.len());
                }
                other => panic!("sends {other:?}"),
            }
        }
        panic!("the client's transmits never end");
    }

    fn input(&mut self, from: SocketAddr, bytes: &[u8], cut: u8) {
        if self.transport.is_reliable() && !bytes.is_empty() {
            let at = usize::from(cut) % (bytes.len() + 1);
            self.client.handle_input(self.now, from, &bytes[..at]);
            self.drain();
            self.client.handle_input(self.now, from, &bytes[at..]);
        } else {
            self.client.handle_input(self.now, from, bytes);
        }
    }

    /// A response to the latest request, built from `body`.
    fn response(&self, body: &[u8]) -> Option<Vec<u8>> {
        let request = self.last_request.as_ref()?;
        let req = Message::parse(request).ok()?;
        let mut c = body.iter().copied();
        let mut next = || c.next().unwrap_or(0);
        let shape = next();
        let tid = if shape & 0x80 == 0 {
            req.transaction_id()
        } else {
            TransactionId([shape; 12])
        };
        let class = if shape & 1 == 0 {
            Class::SuccessResponse
        } else {
            Class::ErrorResponse
        };
        let mut b = MessageBuilder::new(MessageType::new(req.method(), class), tid);
        if class == Class::ErrorResponse {
            let code = match shape >> 1 & 7 {
                0 | 1 => 401,
                2 => 438,
                3 => 437,
                4 => 403,
                5 => 508,
                6 => 300 + u16::from(next()),
                _ => 486,
            };
            let _ = b.add(&ErrorCode::new(code, "fuzz").ok()?);
            if code == 401 || code == 438 {
                let realm = if next() & 1 == 0 {
                    "fuzz.example"
                } else {
                    "other.example"
                };
                let _ = b.add(&Realm::new(realm).ok()?);
                let features = SecurityFeatures::from_bits(u32::from(next() & 3));
                let nonce = format!("{}{:02x}", features.cookie(), next());
                let _ = b.add(&Nonce::new(&nonce).ok()?);
                let offer = next();
                if offer & 1 != 0 {
                    let list: &[AlgorithmAttribute<'_>] = match offer >> 1 & 3 {
                        0 => &[AlgorithmAttribute::MD5],
                        1 => &[AlgorithmAttribute::SHA256, AlgorithmAttribute::MD5],
                        2 => &[AlgorithmAttribute::SHA256],
                        _ => &[],
                    };
                    if let Ok(list) = PasswordAlgorithms::new(list) {
                        let _ = b.add(&list);
                    }
                }
            }
        }
        let count = next() % 8;
        for _ in 0..count {
            let t = next();
            let v = next();
            let peer = peers()[usize::from(v) % 4];
            let _ = match t % 8 {
                0 => b.add(&XorRelayedAddress(SocketAddr::new(
                    server().ip(),
                    49152 + u16::from(v),
                ))),
                1 => b.add(&XorMappedAddress(peer)),
                2 => b.add_raw(AttributeType(0x000D), &(u32::from(v) * 20).to_be_bytes()),
                3 => b.add_raw(AttributeType(0x000D), &[v]),
                4 => b.add_raw(AttributeType(0x002A), &u32::from(v).to_be_bytes()),
                5 => b.add_raw(AttributeType(0x0022), &[v; 8]),
                6 => b.add(&XorRelayedAddress(peer)),
                _ => {
                    let code = u16::from(v) << 8 | u16::from(next());
                    let len = usize::from(next() % 16);
                    let value: Vec<u8> = (0..len).map(|_| next()).collect();
                    b.add_raw(AttributeType(code), &value)
                }
            };
        }
        let sign = next();
        if sign & 3 != 0 && class == Class::SuccessResponse || sign & 3 == 3 {
            let realm = req
                .get::<Realm<'_>>()
                .and_then(Result::ok)
                .map_or("fuzz.example", |r| r.as_str());
            let sha256 = req
                .raw(AttributeType::PASSWORD_ALGORITHM)
                .is_some_and(|a| a.value.starts_with(&[0, 2]));
            let algorithm = if sha256 {
                PasswordAlgorithm::Sha256
            } else {
                PasswordAlgorithm::Md5
            };
            let password = if sign & 4 == 0 { PASSWORD } else { "wrong" };
            let key = long_term_key(USER, realm, password, algorithm).ok()?;
            let _ = if sha256 {
                b.add_message_integrity_sha256(&key, 32)
            } else {
                b.add_message_integrity(&key)
            };
        }
        if sign & 8 == 0 {
            let _ = b.add_fingerprint();
        }
        Some(b.finish().to_vec())
    }

    /// A Data indication or ChannelData from a peer, built from `body`.
    fn peer_packet(&self, body: &[u8]) -> Vec<u8> {
        let shape = body.first().copied().unwrap_or(0);
        let data = body.get(1..).unwrap_or_default();
        let peer = peers()[usize::from(shape >> 1) % 4];
        if shape & 1 == 0 {
            let typ = MessageType::new(Method::DATA, Class::Indication);
            let mut b = MessageBuilder::new(typ, TransactionId([shape; 12]));
            let _ = b.add(&XorPeerAddress(peer));
            let _ = b.add(&Data(data));
            b.finish().to_vec()
        } else {
            let channel = 0x4000 + u16::from(shape >> 4);
            match ChannelData::new(channel, data) {
                Ok(cd) => {
                    let mut out = bytes::BytesMut::new();
                    cd.encode(self.transport, &mut out);
                    out.to_vec()
                }
                Err(_) => Vec::new(),
            }
        }
    }

    fn step(&mut self, control: u8, clock: u8, body: &[u8]) {
        self.now += Duration::from_millis(u64::from(clock) * u64::from(clock) * 20);
        match control & 3 {
            0 => {
                let from = if control & 4 == 0 {
                    server()
                } else {
                    peers()[0]
                };
                self.input(from, body, control >> 3);
            }
            1 => {
                if let Some(wire) = self.response(body) {
                    self.input(server(), &wire, control >> 2);
                }
            }
            2 => {
                let wire = self.peer_packet(body);
                self.input(server(), &wire, control >> 2);
            }
            _ => {
                let peer = peers()[usize::from(control >> 2 & 3)];
                let _ = match control >> 4 & 7 {
                    0 => self.client.create_permission(self.now, peer.ip()),
                    1 => self.client.bind_channel(self.now, peer).map(drop),
                    2 | 3 => self.client.send_to(self.now, peer, body),
                    4 => self.client.deallocate(self.now),
                    5 => self.client.allocate(self.now),
                    _ => Ok(()),
                };
            }
        }
        self.drain();
        if fire_due_timer(
            &mut self.client,
            self.now,
            Client::poll_timeout,
            Client::handle_timeout,
        ) {
            self.drain();
        }
        let _ = (self.client.relayed_address(), self.client.mapped_address());
    }
}

fuzz_target!(|data: &[u8]| {
    let flags = data.first().copied().unwrap_or(0);
    let transport = if flags & 1 == 0 {
        Transport::Udp
    } else {
        Transport::Tcp
    };
    let mut config = ClientConfig::new(USER, PASSWORD).transport(transport);
    if flags & 2 != 0 {
        config = config.lifetime(Some(Duration::from_secs(u64::from(flags))));
    }
    if flags & 4 != 0 {
        config = config.realm(Some("fuzz.example".into()));
    }
    let now = Instant::now();
    let client = Client::new(server(), config, seeded(u64::from(flags))).expect("a valid config");
    let mut h = Harness {
        client,
        now,
        transport,
        last_request: None,
    };
    h.client.allocate(now).expect("the first allocate starts");
    h.drain();
    assert!(h.last_request.is_some(), "the Allocate went out");
    for (control, clock, body) in steps(data.get(1..).unwrap_or_default(), 96) {
        h.step(control, clock, body);
    }
    // Time runs on: every timer fires in the end, and never spins.
    for _ in 0..64 {
        let Some(at) = h.client.poll_timeout() else {
            break;
        };
        h.now = h.now.max(at);
        h.client.handle_timeout(h.now);
        assert!(h.client.poll_timeout().is_none_or(|next| next > h.now));
        h.drain();
    }
});
