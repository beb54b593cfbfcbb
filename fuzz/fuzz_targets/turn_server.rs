//! Fuzz `rtw_turn::server::Server`, driven as its tokio driver would: it
//! never panics, and whatever clients send, what it holds and what it sends
//! stay within bounds.
//!
//! The input is a sequence of records, each a control byte, a clock byte
//! and a length-prefixed body. The control byte's low bits pick what the
//! body is:
//!
//! - raw bytes from one of eight client 5-tuples (UDP, TCP and TLS, IPv4
//!   and IPv6): any datagram, or the next piece of a stream;
//! - a request the target builds from the body (method, attributes chosen
//!   among those of RFC 8656 and RFC 6062 with fuzzed values, peers among
//!   allowed, forbidden and the server's own relayed addresses) and signs
//!   with long-term credentials learned from the server's last 401 or 438
//!   to that 5-tuple (MD5 or SHA-256, USERNAME or USERHASH, static users,
//!   TURN REST usernames valid and expired, a wrong password), so that the
//!   fuzzer reaches allocations, permissions, channels and relaying;
//! - a datagram from a peer to a relayed address, or a peer's TCP
//!   connection to one, or its close;
//! - the driver's late answer to an `OpenRelay` or a `ConnectPeer`, an
//!   answer for an unknown request, a client connection closing.
//!
//! The first input byte configures the server: loopback peers allowed or
//! not, a bandwidth cap or none, SOFTWARE or none, RFC 8656's channel
//! numbers or RFC 5766's wider range (`rfc5766_channels`).
//!
//! After every record: every `poll_*` drains in a bounded number of calls;
//! allocations, permissions and channels stay within the quotas and
//! limits (per user too); the server's allocation count matches its
//! `AllocationCreated` and `AllocationDeleted` events; every relayed
//! address it uses was opened by the driver and not closed; it never
//! sends from a relayed address that no allocation holds, nor to a
//! forbidden peer (loopback, private, unspecified, multicast, embedded
//! IPv4 of those) or one of its own addresses other than a relayed one;
//! every UDP datagram to a client is a STUN message or a
//! ChannelData message that parses; after `handle_timeout(now)` the next
//! timeout is later than `now`.
#![no_main]

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use rtw_fuzz::turn::{Challenge, Signer, addr, peer_allowed};
use rtw_fuzz::{fire_due_timer, seeded, steps};
use rtw_stun::attributes::XorPeerAddress;
use rtw_stun::{
    AttributeType, ChannelData, Class, Message, MessageBuilder, MessageType, Method, PacketKind,
    TransactionId, Transport, demux,
};
use rtw_turn::server::{
    ConnectionId, FiveTuple, Limits, PeerPolicy, Quotas, RelayAddresses, RelayError, RelayId,
    RelayRequest, Server, ServerConfig, ServerEvent, ServerTransmit, rest_password,
};

const REALM: &str = "fuzz.example";
const SECRET: &[u8] = b"rest-secret";
/// The wall clock at the start: REST usernames expire relative to it.
const UNIX_START: u64 = 1_700_000_000;
const QUOTA_TOTAL: usize = 4;
const QUOTA_PER_USER: usize = 2;
const PERMISSIONS: usize = 3;
const CHANNELS: usize = 2;
/// More calls than this to drain one `poll_*` is a runaway queue.
const MAX_DRAIN: usize = 10_000;

fn listen_v4() -> SocketAddr {
    addr("192.0.2.1:3478")
}

fn listen_v6() -> SocketAddr {
    addr("[2001:db8::1]:3478")
}

fn tuples() -> [FiveTuple; 8] {
    let (v4, v6) = (listen_v4(), listen_v6());
    [
        FiveTuple::new(Transport::Udp, addr("198.51.100.10:40000"), v4),
        FiveTuple::new(Transport::Udp, addr("198.51.100.11:40001"), v4),
        FiveTuple::new(Transport::Udp, addr("[2001:db8:2::10]:40002"), v6),
        FiveTuple::new(Transport::Tcp, addr("198.51.100.12:40003"), v4),
        FiveTuple::new(Transport::Tcp, addr("198.51.100.12:40004"), v4),
        FiveTuple::new(Transport::Tls, addr("198.51.100.13:40005"), v4),
        FiveTuple::new(Transport::Udp, addr("198.51.100.10:40006"), v4),
        FiveTuple::new(Transport::Tcp, addr("[2001:db8:2::10]:40007"), v6),
    ]
}

/// Peers a client may name: allowed ones, forbidden ones of every kind,
/// and (appended at run time) the server's own relayed addresses.
fn fixed_peers() -> Vec<SocketAddr> {
    [
        "203.0.113.5:7000",
        "203.0.113.6:7001",
        "[2001:db8:1::5]:7000",
        "127.0.0.1:9",
        "10.0.0.1:9",
        "0.0.0.0:9",
        "[::ffff:127.0.0.1]:9",
        "[::1]:9",
        "[64:ff9b::7f00:1]:9",
        "224.0.0.1:9",
        "192.0.2.1:3478",
    ]
    .into_iter()
    .map(addr)
    .collect()
}

/// Who signs an authenticated request, by a selector.
fn signer(selector: u8, rest_valid: &str, rest_expired: &str) -> (String, String, bool) {
    // (username, password, whether the server should accept it at all)
    match selector % 6 {
        0 => ("alice".into(), "alice-pw".into(), true),
        1 => ("bob".into(), "bob-pw".into(), true),
        2 => (rest_valid.into(), rest_password(SECRET, rest_valid), true),
        3 => (
            rest_expired.into(),
            rest_password(SECRET, rest_expired),
            false,
        ),
        4 => ("alice".into(), "wrong".into(), false),
        _ => ("mallory".into(), "mallory-pw".into(), false),
    }
}

/// Reads the fuzz body in small pieces.
struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn byte(&mut self) -> u8 {
        let (&b, rest) = self.0.split_first().unwrap_or((&0, &[]));
        self.0 = rest;
        b
    }

    fn bytes(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.0.len());
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        head
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

struct Harness {
    server: Server,
    now: Instant,
    tuples: [FiveTuple; 8],
    allow_loopback: bool,
    /// RFC 5766's channel numbers (0x4000-0x7FFF) are accepted.
    rfc5766: bool,
    peers: Vec<SocketAddr>,
    challenges: HashMap<FiveTuple, Challenge>,
    /// Relayed (and reserved) addresses the driver opened and has not
    /// been told to close.
    open: HashSet<SocketAddr>,
    next_port: u16,
    /// Allocations by 5-tuple, from the server's events: relayed
    /// addresses and username.
    allocations: HashMap<FiveTuple, (SocketAddr, String)>,
    /// Relayed addresses of the allocations (an allocation may hold two).
    relayed_of: HashMap<FiveTuple, Vec<SocketAddr>>,
    /// The additional relayed address answered with each relayed one.
    additional_of: HashMap<SocketAddr, SocketAddr>,
    /// `OpenRelay` requests the driver answers later.
    deferred_relays: Vec<RelayRequest>,
    /// `ConnectPeer` requests waiting for their answer.
    deferred_connects: Vec<ConnectionId>,
    connections: Vec<ConnectionId>,
    tokens: Vec<[u8; 8]>,
    /// How the driver answers the next `OpenRelay` requests, two bits each.
    relay_answers: u32,
    rest_valid: String,
    rest_expired: String,
}

impl Harness {
    fn new(flags: u8, relay_answers: u32) -> Harness {
        let now = Instant::now();
        let allow_loopback = flags & 1 != 0;
        let quotas = Quotas::default()
            .allocations(QUOTA_TOTAL)
            .allocations_per_user(QUOTA_PER_USER)
            .bandwidth(if flags & 2 != 0 { Some(2_000) } else { None });
        let limits = Limits::default()
            .permissions_per_allocation(PERMISSIONS)
            .channels_per_allocation(CHANNELS)
            .peer_connections_per_allocation(2)
            .streams(4);
        let config = ServerConfig::new(REALM)
            .user("alice", "alice-pw")
            .user("bob", "bob-pw")
            .auth_secret(SECRET)
            .software(if flags & 4 != 0 {
                None
            } else {
                Some("fuzz".into())
            })
            .nonce_lifetime(Duration::from_secs(30))
            .rfc5766_channels(flags & 8 != 0)
            .peers(
                PeerPolicy::default()
                    .allow_loopback(allow_loopback)
                    .server_addresses(vec![listen_v4().ip(), listen_v6().ip()]),
            )
            .quotas(quotas)
            .limits(limits);
        let mut server = Server::new(config, seeded(u64::from(flags))).expect("a valid config");
        server.handle_wall_clock(now, Duration::from_secs(UNIX_START));
        Harness {
            server,
            now,
            tuples: tuples(),
            allow_loopback,
            rfc5766: flags & 8 != 0,
            peers: fixed_peers(),
            challenges: HashMap::new(),
            open: HashSet::new(),
            next_port: 49152,
            allocations: HashMap::new(),
            relayed_of: HashMap::new(),
            additional_of: HashMap::new(),
            deferred_relays: Vec::new(),
            deferred_connects: Vec::new(),
            connections: Vec::new(),
            tokens: Vec::new(),
            relay_answers,
            rest_valid: format!("{}:carol", UNIX_START + 900),
            rest_expired: format!("{}:dave", UNIX_START - 1),
        }
    }

    /// A fresh relayed address of `ip`'s family; even when asked.
    fn fresh(&mut self, v6: bool, even: bool) -> SocketAddr {
        if even && self.next_port % 2 == 1 {
            self.next_port += 1;
        }
        let port = self.next_port;
        self.next_port = self.next_port.wrapping_add(1).max(49152);
        let ip = if v6 {
            listen_v6().ip()
        } else {
            listen_v4().ip()
        };
        SocketAddr::new(ip, port)
    }

    /// The driver's answer to one `OpenRelay`.
    fn answer_relay(&mut self, request: &RelayRequest, fail: Option<RelayError>) {
        let result = match fail {
            Some(error) => Err(error),
            None => {
                let v6 = request.family == rtw_stun::attributes::AddressFamily::V6;
                let relayed = match request.reserved {
                    Some(reserved) => reserved,
                    None => self.fresh(v6, request.even_port),
                };
                let reserved = request.reserve_next.then(|| {
                    let next = SocketAddr::new(relayed.ip(), relayed.port().wrapping_add(1));
                    self.next_port = self.next_port.max(next.port().wrapping_add(1));
                    next
                });
                let additional = request.additional_family.map(|_| self.fresh(!v6, false));
                if let Some(additional) = additional {
                    self.additional_of.insert(relayed, additional);
                }
                for a in [Some(relayed), reserved, additional].into_iter().flatten() {
                    self.open.insert(a);
                    self.peers.push(SocketAddr::new(a.ip(), a.port()));
                }
                Ok(RelayAddresses {
                    relayed,
                    additional,
                    reserved,
                })
            }
        };
        self.server.handle_relay(self.now, request.id, result);
    }

    /// Drains events and transmits until both are empty, acting as the
    /// driver and checking every transmit.
    fn drain(&mut self) {
        for _round in 0..MAX_DRAIN {
            let mut quiet = true;
            // Transmits first: a relayed packet and the deletion of its
            // allocation may come out of one call, in that order.
            for _ in 0..MAX_DRAIN {
                let Some(transmit) = self.server.poll_transmit() else {
                    break;
                };
                quiet = false;
                self.on_transmit(transmit);
            }
            for _ in 0..MAX_DRAIN {
                let Some(event) = self.server.poll_event() else {
                    break;
                };
                quiet = false;
                self.on_event(event);
            }
            if quiet {
                return;
            }
        }
        panic!("the server's queues never emptied");
    }

    fn on_event(&mut self, event: ServerEvent) {
        match event {
            ServerEvent::OpenRelay(request) => {
                let answer = self.relay_answers & 3;
                self.relay_answers = self.relay_answers.rotate_right(2);
                match answer {
                    0 | 1 => self.answer_relay(&request, None),
                    2 => {
                        let error = if request.id.0 % 2 == 0 {
                            RelayError::InsufficientCapacity
                        } else {
                            RelayError::FamilyNotSupported
                        };
                        self.answer_relay(&request, Some(error));
                    }
                    _ => self.deferred_relays.push(request),
                }
            }
            ServerEvent::CloseRelay { relayed } => {
                assert!(
                    self.open.remove(&relayed),
                    "closes {relayed}, which is not open"
                );
                for held in self.relayed_of.values() {
                    assert!(!held.contains(&relayed), "closes {relayed} still in use");
                }
            }
            ServerEvent::AllocationCreated {
                five_tuple,
                relayed,
                username,
                ..
            } => {
                assert!(self.open.contains(&relayed), "allocates unopened {relayed}");
                assert!(
                    self.tuples.contains(&five_tuple),
                    "an allocation for a 5-tuple nobody used"
                );
                let old = self.allocations.insert(five_tuple, (relayed, username));
                assert!(old.is_none(), "two allocations on one 5-tuple");
                let mut held = vec![relayed];
                held.extend(self.additional_of.get(&relayed));
                self.relayed_of.insert(five_tuple, held);
            }
            ServerEvent::AllocationDeleted {
                five_tuple,
                relayed,
                ..
            } => {
                let (held, _) = self
                    .allocations
                    .remove(&five_tuple)
                    .expect("deletes an allocation it never reported");
                assert_eq!(held, relayed);
                self.relayed_of.remove(&five_tuple);
            }
            ServerEvent::CloseClient { five_tuple } => {
                assert!(five_tuple.transport.is_reliable(), "closes a UDP client");
                self.server.handle_client_closed(self.now, five_tuple);
            }
            ServerEvent::ConnectPeer {
                connection,
                relayed,
                peer,
            } => {
                assert!(
                    self.open.contains(&relayed),
                    "connects from unopened {relayed}"
                );
                assert!(
                    peer_allowed(peer.ip(), self.allow_loopback) || self.open.contains(&peer),
                    "connects to forbidden {peer}"
                );
                self.connections.push(connection);
                self.deferred_connects.push(connection);
            }
            ServerEvent::Splice { client, .. } => {
                assert!(client.transport.is_reliable(), "splices a UDP client");
            }
            ServerEvent::ClosePeerConnection { .. } => {}
            _ => {}
        }
    }

    fn on_transmit(&mut self, transmit: ServerTransmit) {
        match transmit {
            ServerTransmit::Client {
                five_tuple,
                contents,
            } => {
                assert!(self.tuples.contains(&five_tuple), "sends to a stranger");
                let first = contents.first().copied().unwrap_or(0);
                let kind = if self.rfc5766 && (0x50..0x80).contains(&first) {
                    PacketKind::ChannelData
                } else {
                    demux(&contents)
                };
                match kind {
                    PacketKind::Stun => {
                        let msg = Message::parse(&contents).expect("sends STUN that parses");
                        if let Some(challenge) = Challenge::from_response(&msg) {
                            self.challenges.insert(five_tuple, challenge);
                        }
                        if let Some(raw) = msg.raw(AttributeType::RESERVATION_TOKEN)
                            && let Ok(token) = <[u8; 8]>::try_from(raw.value)
                        {
                            self.tokens.push(token);
                        }
                        if let Some(raw) = msg.raw(AttributeType::CONNECTION_ID)
                            && let Ok(id) = <[u8; 4]>::try_from(raw.value)
                        {
                            self.connections.push(ConnectionId(u32::from_be_bytes(id)));
                        }
                    }
                    PacketKind::ChannelData => {
                        let transport = five_tuple.transport;
                        let parsed = if self.rfc5766 {
                            ChannelData::parse_rfc5766(&contents, transport)
                        } else {
                            ChannelData::parse(&contents, transport)
                        };
                        let (cd, used) = parsed
                            .expect("valid ChannelData")
                            .expect("whole ChannelData");
                        assert_eq!(used, contents.len(), "one ChannelData per transmit");
                        assert!(self.allocations.contains_key(&five_tuple));
                        let _ = cd.data();
                    }
                    other => panic!("sends {other:?} to a client"),
                }
            }
            ServerTransmit::Peer(t) => {
                let source = t.source.expect("a relayed source");
                let owner = self
                    .relayed_of
                    .iter()
                    .find(|(_, held)| held.contains(&source));
                assert!(
                    owner.is_some(),
                    "relays from {source}, which no allocation holds"
                );
                assert!(
                    peer_allowed(t.destination.ip(), self.allow_loopback)
                        || self.open.contains(&t.destination),
                    "relays to forbidden {}",
                    t.destination
                );
                // The server's own addresses: only its relayed ones.
                let own = [listen_v4().ip(), listen_v6().ip()];
                assert!(
                    !own.contains(&t.destination.ip()) || self.open.contains(&t.destination),
                    "relays to the server's own {}",
                    t.destination
                );
            }
        }
    }

    /// Checks the server's holdings against its quotas and limits.
    fn check_bounds(&self) {
        let stats = self.server.stats();
        assert!(stats.allocations <= QUOTA_TOTAL, "{stats:?}");
        assert_eq!(
            stats.allocations,
            self.allocations.len(),
            "the server's count and its events disagree"
        );
        assert!(
            stats.permissions <= stats.allocations * PERMISSIONS,
            "{stats:?}"
        );
        assert!(stats.channels <= stats.allocations * CHANNELS, "{stats:?}");
        let mut per_user: HashMap<&str, usize> = HashMap::new();
        for (_, user) in self.allocations.values() {
            *per_user.entry(user).or_default() += 1;
        }
        for (user, n) in per_user {
            assert!(n <= QUOTA_PER_USER, "{user} holds {n} allocations");
        }
    }

    /// A request (or Send indication) built from `body`, signed when a
    /// challenge is known for the 5-tuple.
    fn request(&mut self, tuple: FiveTuple, body: &[u8]) -> Vec<u8> {
        let mut c = Cursor(body);
        let selector = c.byte();
        let (method, class) = match selector & 7 {
            0 => (Method::ALLOCATE, Class::Request),
            1 => (Method::REFRESH, Class::Request),
            2 => (Method::CREATE_PERMISSION, Class::Request),
            3 => (Method::CHANNEL_BIND, Class::Request),
            4 => (Method::SEND, Class::Indication),
            5 => (Method::CONNECT, Class::Request),
            6 => (Method::CONNECTION_BIND, Class::Request),
            _ => (Method::BINDING, Class::Request),
        };
        let mut tid = [0u8; 12];
        tid[0] = c.byte();
        tid[1] = selector;
        let mut b = MessageBuilder::new(MessageType::new(method, class), TransactionId(tid));
        let auth = c.byte();
        let mut count = 0;
        while !c.is_empty() && count < 12 {
            count += 1;
            self.attribute(&mut b, &mut c);
        }
        let unsigned = auth & 0x80 != 0 || class == Class::Indication;
        if let (false, Some(challenge)) = (unsigned, self.challenges.get(&tuple)) {
            let (username, password, _) = signer(auth, &self.rest_valid, &self.rest_expired);
            let s = Signer {
                username: &username,
                password: &password,
                sha256: auth & 0x10 != 0,
                userhash: auth & 0x20 != 0,
            };
            s.sign(&mut b, challenge);
        }
        if auth & 0x40 == 0 {
            let _ = b.add_fingerprint();
        }
        b.finish().to_vec()
    }

    /// One attribute chosen by the cursor.
    fn attribute(&self, b: &mut MessageBuilder, c: &mut Cursor<'_>) {
        let raw = |b: &mut MessageBuilder, code: u16, value: &[u8]| {
            let _ = b.add_raw(AttributeType(code), value);
        };
        let t = c.byte();
        let v = c.byte();
        match t % 16 {
            0 => raw(b, 0x0019, &[if v & 1 == 0 { 17 } else { 6 }, 0, 0, 0]),
            1 => raw(b, 0x0019, &[v, 0, 0, 0]),
            2 => raw(b, 0x000D, &u32::from(v).wrapping_mul(30).to_be_bytes()),
            3 | 4 => {
                let peer = self.peers[usize::from(v) % self.peers.len()];
                let _ = b.add(&XorPeerAddress(peer));
            }
            5 => {
                let n = if v & 0x80 == 0 {
                    // 0x4000-0x4003 and 0x4ffe-0x5001 (RFC 8656's edge),
                    // 0x7ffe-0x8001 (RFC 5766's).
                    [
                        0x4000, 0x4001, 0x4002, 0x4003, 0x4ffe, 0x4fff, 0x5000, 0x5001,
                    ][usize::from(v & 7)]
                        + if v & 0x40 != 0 { 0x3000 } else { 0 }
                } else {
                    u16::from(v) << 8 | u16::from(c.byte())
                };
                raw(b, 0x000C, &[(n >> 8) as u8, n as u8, 0, 0]);
            }
            6 => raw(b, 0x0018, &[v & 0x80]),
            7 => {
                let token = if self.tokens.is_empty() || v & 1 == 1 {
                    let mut t = [0u8; 8];
                    t.copy_from_slice(&[v; 8]);
                    t
                } else {
                    self.tokens[usize::from(v >> 1) % self.tokens.len()]
                };
                raw(b, 0x0022, &token);
            }
            8 => raw(b, 0x0017, &[1 + (v & 1), 0, 0, 0]),
            9 => raw(b, 0x8000, &[1 + (v & 1), 0, 0, 0]),
            10 => raw(b, 0x001A, &[]),
            11 => {
                let data = c.bytes(usize::from(v));
                raw(b, 0x0013, data);
            }
            12 => {
                let id = if self.connections.is_empty() || v & 1 == 1 {
                    u32::from(v)
                } else {
                    self.connections[usize::from(v >> 1) % self.connections.len()].0
                };
                raw(b, 0x002A, &id.to_be_bytes());
            }
            13 => raw(b, 0x000D, &0u32.to_be_bytes()),
            14 => raw(b, 0x000D, &3600u32.to_be_bytes()),
            _ => {
                let code = u16::from(v) << 8 | u16::from(c.byte());
                let len = c.byte();
                let value = c.bytes(usize::from(len) % 64);
                raw(b, code, value);
            }
        }
    }

    /// Bytes to a 5-tuple: a datagram, or (on streams) in two pieces.
    fn feed(&mut self, tuple: FiveTuple, bytes: &[u8], cut: u8) {
        if tuple.transport.is_reliable() && !bytes.is_empty() {
            let at = usize::from(cut) % (bytes.len() + 1);
            self.server.handle_client(self.now, tuple, &bytes[..at]);
            self.drain();
            self.server.handle_client(self.now, tuple, &bytes[at..]);
        } else {
            self.server.handle_client(self.now, tuple, bytes);
        }
    }

    fn step(&mut self, control: u8, clock: u8, body: &[u8]) {
        self.now += Duration::from_millis(u64::from(clock) * u64::from(clock) * 40);
        let tuple = self.tuples[usize::from(control >> 2 & 7)];
        match control & 3 {
            0 => self.feed(tuple, body, control >> 5),
            1 => {
                let message = self.request(tuple, body);
                self.feed(tuple, &message, body.len() as u8);
            }
            2 => {
                let mut c = Cursor(body);
                let which = c.byte();
                let relayed = self.peers[usize::from(c.byte()) % self.peers.len()];
                let peer = self.peers[usize::from(which >> 2) % self.peers.len()];
                match which & 3 {
                    0 | 1 => self.server.handle_peer(self.now, relayed, peer, c.0),
                    2 => {
                        if let Some(id) =
                            self.server.handle_peer_connection(self.now, relayed, peer)
                        {
                            assert!(
                                self.open.contains(&relayed),
                                "accepts on unopened {relayed}"
                            );
                            self.connections.push(id);
                        }
                    }
                    _ => {
                        if let Some(&id) = self.connections.get(usize::from(which >> 2)) {
                            self.server.handle_peer_connection_closed(self.now, id);
                        }
                    }
                }
            }
            _ => match body.first().copied().unwrap_or(0) & 7 {
                0 | 1 => {
                    if !self.deferred_relays.is_empty() {
                        let request = self.deferred_relays.remove(0);
                        self.answer_relay(&request, None);
                    }
                }
                2 => {
                    if !self.deferred_connects.is_empty() {
                        let id = self.deferred_connects.remove(0);
                        let ok = body.get(1).is_some_and(|b| b & 1 == 1);
                        self.server.handle_peer_connect(self.now, id, ok);
                    }
                }
                3 => {
                    // An answer nobody asked for: its addresses are closed.
                    let relayed = self.fresh(false, false);
                    self.open.insert(relayed);
                    let addresses = RelayAddresses {
                        relayed,
                        additional: None,
                        reserved: None,
                    };
                    self.server
                        .handle_relay(self.now, RelayId(u64::MAX - 1), Ok(addresses));
                    self.drain();
                    assert!(
                        !self.open.contains(&relayed),
                        "keeps {relayed} nobody asked for"
                    );
                }
                4 => self.server.handle_client_closed(self.now, tuple),
                _ => {}
            },
        }
        self.drain();
        if fire_due_timer(
            &mut self.server,
            self.now,
            Server::poll_timeout,
            Server::handle_timeout,
        ) {
            self.drain();
        }
        self.check_bounds();
    }
}

fuzz_target!(|data: &[u8]| {
    let flags = data.first().copied().unwrap_or(0);
    let answers = u32::from_le_bytes(std::array::from_fn(|i| {
        data.get(1 + i).copied().unwrap_or(0)
    }));
    let mut h = Harness::new(flags, answers);
    for (control, clock, body) in steps(data.get(5..).unwrap_or_default(), 96) {
        h.step(control, clock, body);
    }
    // Everything expires in the end, and then nothing is held.
    h.now += Duration::from_secs(4000);
    h.server.handle_timeout(h.now);
    h.drain();
    h.check_bounds();
    let stats = h.server.stats();
    assert_eq!(
        (stats.allocations, stats.permissions, stats.channels),
        (0, 0, 0)
    );
});
