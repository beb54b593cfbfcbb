//! The TURN client against the real [`Server`], both driven by hand in
//! virtual time with no sockets: the test plays the network between them,
//! the driver that opens relayed addresses (answering
//! [`ServerEvent::OpenRelay`] with [`Server::handle_relay`]), and a peer
//! that echoes what reaches it from the relayed address.

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use bytes::Bytes;
use rtw_stun::attributes::{Nonce, PasswordAlgorithm};
use rtw_stun::key;
use rtw_stun::{Class, Message, Method, Transport};
use rtw_turn::client::{Client, ClientConfig, ClientEvent};
use rtw_turn::server::{
    DeleteReason, FiveTuple, PeerPolicy, RelayAddresses, Server, ServerConfig, ServerEvent,
    ServerTransmit,
};
use rtw_turn::{Error, SeededRandom};

const REALM: &str = "example.org";

fn server_addr() -> SocketAddr {
    "192.0.2.1:3478".parse().unwrap()
}

fn client_addr() -> SocketAddr {
    "198.51.100.7:40000".parse().unwrap()
}

fn peer() -> SocketAddr {
    "203.0.113.5:7000".parse().unwrap()
}

fn server_config() -> ServerConfig {
    ServerConfig::new(REALM).user("alice", "secret")
}

fn client_config() -> ClientConfig {
    ClientConfig::new("alice", "secret")
}

/// The client, the server, the network between them and an echoing peer.
struct World {
    client: Client,
    server: Server,
    transport: Transport,
    now: Instant,
    t0: Instant,
    /// The relayed addresses the driver opened.
    relays: Vec<SocketAddr>,
    next_port: u16,
    /// Every message the client sent, in order.
    client_sent: Vec<Bytes>,
    /// Client datagrams to drop (by index in `client_sent`).
    drop_client: Vec<usize>,
    /// Random loss between client and server: the source and the
    /// percentage of datagrams lost, each way.
    loss: Option<(SeededRandom, u64)>,
    /// What reached the peer: (from, data).
    peer_received: Vec<(SocketAddr, Bytes)>,
    /// The peer echoes what it gets.
    echo: bool,
    client_events: Vec<ClientEvent>,
    server_events: Vec<ServerEvent>,
    /// Over TCP, the server's bytes reach the client one at a time.
    byte_by_byte: bool,
}

impl World {
    fn new(server: ServerConfig, client: ClientConfig) -> World {
        let t0 = Instant::now();
        let transport = client.transport;
        let server = Server::new(server, Box::new(SeededRandom::new(1))).unwrap();
        let client = Client::new(server_addr(), client, Box::new(SeededRandom::new(2))).unwrap();
        World {
            client,
            server,
            transport,
            now: t0,
            t0,
            relays: Vec::new(),
            next_port: 50_000,
            client_sent: Vec::new(),
            drop_client: Vec::new(),
            loss: None,
            peer_received: Vec::new(),
            echo: true,
            client_events: Vec::new(),
            server_events: Vec::new(),
            byte_by_byte: false,
        }
    }

    fn five_tuple(&self) -> FiveTuple {
        FiveTuple::new(self.transport, client_addr(), server_addr())
    }

    fn at(&self, secs: u64) -> Instant {
        self.t0 + Duration::from_secs(secs)
    }

    /// Whether the next datagram between client and server is lost.
    fn lost(&mut self) -> bool {
        match &mut self.loss {
            Some((random, percent)) => random.below(100) < *percent,
            None => false,
        }
    }

    /// Deliver everything in flight until both sides are quiet.
    fn pump(&mut self) {
        loop {
            let mut busy = false;
            while let Some(t) = self.client.poll_transmit() {
                busy = true;
                assert_eq!(t.destination, server_addr());
                let index = self.client_sent.len();
                self.client_sent.push(t.contents.clone());
                if self.drop_client.contains(&index) || self.lost() {
                    continue;
                }
                self.server
                    .handle_client(self.now, self.five_tuple(), &t.contents);
            }
            let mut to_peer = VecDeque::new();
            while let Some(t) = self.server.poll_transmit() {
                busy = true;
                match t {
                    ServerTransmit::Client {
                        five_tuple,
                        contents,
                    } => {
                        assert_eq!(five_tuple, self.five_tuple());
                        if self.lost() {
                            continue;
                        }
                        if self.byte_by_byte {
                            for b in contents.chunks(1) {
                                assert!(self.client.handle_input(self.now, server_addr(), b));
                            }
                        } else {
                            assert!(self.client.handle_input(self.now, server_addr(), &contents));
                        }
                    }
                    ServerTransmit::Peer(t) => to_peer.push_back(t),
                }
            }
            while let Some(t) = to_peer.pop_front() {
                let from = t
                    .source
                    .expect("a relayed datagram names its relayed address");
                assert!(self.relays.contains(&from));
                assert_eq!(t.destination, peer());
                self.peer_received.push((from, t.contents.clone()));
                if self.echo {
                    self.server.handle_peer(self.now, from, peer(), &t.contents);
                }
            }
            while let Some(e) = self.server.poll_event() {
                busy = true;
                if let ServerEvent::OpenRelay(request) = &e {
                    let relayed = SocketAddr::new(server_addr().ip(), self.next_port);
                    self.next_port += 2;
                    self.relays.push(relayed);
                    let addresses = RelayAddresses {
                        relayed,
                        additional: None,
                        reserved: None,
                    };
                    self.server
                        .handle_relay(self.now, request.id, Ok(addresses));
                }
                self.server_events.push(e);
            }
            while let Some(e) = self.client.poll_event() {
                busy = true;
                self.client_events.push(e);
            }
            if !busy {
                break;
            }
        }
    }

    /// Run both sides' timers until `until`, delivering as it goes.
    fn run_until(&mut self, until: Instant) {
        self.pump();
        loop {
            let next = [self.client.poll_timeout(), self.server.poll_timeout()]
                .into_iter()
                .flatten()
                .min();
            match next {
                Some(t) if t <= until => {
                    self.now = self.now.max(t);
                    self.client.handle_timeout(self.now);
                    self.server.handle_timeout(self.now);
                    self.pump();
                }
                _ => break,
            }
        }
        self.now = until;
    }

    fn events(&mut self) -> Vec<ClientEvent> {
        std::mem::take(&mut self.client_events)
    }

    /// Allocate and expect success.
    fn allocated(server: ServerConfig, client: ClientConfig) -> World {
        let mut w = World::new(server, client);
        w.client.allocate(w.now).unwrap();
        w.pump();
        let events = w.events();
        let [
            ClientEvent::Allocated {
                relayed,
                mapped,
                lifetime,
            },
        ] = events[..]
        else {
            panic!("{events:?}")
        };
        assert_eq!(Some(relayed), w.relays.first().copied());
        assert_eq!(mapped, client_addr());
        assert_eq!(lifetime, Duration::from_secs(600));
        w
    }

    /// Send `data` to the peer and expect its echo back as a Data event.
    fn round_trip(&mut self, data: &'static [u8]) {
        let before = self.peer_received.len();
        self.client.send_to(self.now, peer(), data).unwrap();
        self.pump();
        assert_eq!(
            self.peer_received[before..],
            [(self.relays[0], Bytes::from_static(data))]
        );
        assert_eq!(
            self.events(),
            [ClientEvent::Data {
                peer: peer(),
                data: Bytes::from_static(data)
            }]
        );
    }

    /// The client's requests of `method`, parsed.
    fn requests(&self, method: Method) -> Vec<Message<'_>> {
        self.client_sent
            .iter()
            .filter_map(|b| Message::parse(b).ok())
            .filter(|m| m.method() == method && m.class() == Class::Request)
            .collect()
    }
}

#[test]
fn allocate_negotiates_sha256_with_the_server() {
    let w = World::allocated(server_config(), client_config());
    let allocates = w.requests(Method::ALLOCATE);
    assert_eq!(allocates.len(), 2, "the 401 round, then the allocation");
    assert_eq!(
        allocates[1].get::<PasswordAlgorithm>().unwrap().unwrap(),
        PasswordAlgorithm::SHA256
    );
    let key = key::long_term_key("alice", REALM, "secret", key::PasswordAlgorithm::Sha256).unwrap();
    assert!(allocates[1].verify_integrity(&key).is_ok());
    assert_eq!(w.server.stats().allocations, 1);
}

#[test]
fn allocate_with_md5_only() {
    let server = server_config().password_algorithms(vec![key::PasswordAlgorithm::Md5]);
    let w = World::allocated(server, client_config());
    let allocates = w.requests(Method::ALLOCATE);
    let key = key::long_term_key("alice", REALM, "secret", key::PasswordAlgorithm::Md5).unwrap();
    assert_eq!(
        allocates[1].verify_integrity(&key),
        Ok(rtw_stun::IntegrityAlgorithm::HmacSha1)
    );
}

#[test]
fn a_wrong_password_is_refused() {
    let mut w = World::new(server_config(), ClientConfig::new("alice", "wrong"));
    w.client.allocate(w.now).unwrap();
    w.pump();
    let events = w.events();
    let [ClientEvent::AllocationFailed(e)] = &events[..] else {
        panic!("{events:?}")
    };
    assert_eq!(e.error_code(), Some(401));
    assert_eq!(w.server.stats().allocations, 0);
}

#[test]
fn relayed_round_trip_through_indications_and_channels() {
    let mut w = World::allocated(server_config(), client_config());
    // Without a permission the server drops the peer's datagrams.
    w.server.handle_peer(w.now, w.relays[0], peer(), b"unasked");
    w.pump();
    assert!(w.events().is_empty());

    w.client.create_permission(w.now, peer().ip()).unwrap();
    w.pump();
    assert_eq!(
        w.events(),
        [ClientEvent::PermissionCreated { peer: peer().ip() }]
    );
    // Send indication out, Data indication back.
    w.round_trip(b"through indications");

    let channel = w.client.bind_channel(w.now, peer()).unwrap();
    w.pump();
    assert_eq!(
        w.events(),
        [ClientEvent::ChannelBound {
            peer: peer(),
            channel
        }]
    );
    let sent_before = w.client_sent.len();
    w.round_trip(b"through a channel");
    // The client sent ChannelData, not a Send indication.
    assert_eq!(w.client_sent[sent_before][0] & 0xF0, 0x40);
    assert_eq!(w.server.stats().channels, 1);
    assert!(w.server.stats().relayed_to_peers >= 2);
}

#[test]
fn an_hour_of_refreshes_keeps_everything_alive() {
    let mut w = World::allocated(server_config(), client_config());
    w.client.create_permission(w.now, peer().ip()).unwrap();
    w.client.bind_channel(w.now, peer()).unwrap();
    w.pump();
    assert_eq!(w.events().len(), 2);
    let mut refreshed = 0;
    for minute in 1..=60 {
        w.run_until(w.at(minute * 60));
        let events = w.events();
        assert!(
            events
                .iter()
                .all(|e| matches!(e, ClientEvent::Refreshed { .. })),
            "minute {minute}: {events:?}"
        );
        refreshed += events.len();
    }
    let stats = w.server.stats();
    assert_eq!(
        (stats.allocations, stats.permissions, stats.channels),
        (1, 1, 1)
    );
    // The channel and the permission still carry data both ways.
    w.round_trip(b"an hour later");
    // One Refresh every 300 s (some retried after 438 Stale Nonce, the
    // server's nonces lasting 600 s).
    assert_eq!(refreshed, 12);
    assert!(w.requests(Method::REFRESH).len() >= 12);
    assert!(!w.requests(Method::CHANNEL_BIND).is_empty());
}

#[test]
fn stale_nonces_are_renewed_by_the_client() {
    // Nonces last 60 s: every refresh meets a 438 first.
    let server = server_config().nonce_lifetime(Duration::from_secs(60));
    let mut w = World::allocated(server, client_config());
    w.client.create_permission(w.now, peer().ip()).unwrap();
    w.pump();
    w.events();
    w.run_until(w.at(1200));
    let events = w.events();
    assert!(
        events
            .iter()
            .all(|e| matches!(e, ClientEvent::Refreshed { .. })),
        "{events:?}"
    );
    assert!(events.len() >= 3);
    let nonces: std::collections::BTreeSet<String> = w
        .requests(Method::REFRESH)
        .iter()
        .map(|m| m.get::<Nonce>().unwrap().unwrap().as_str().to_owned())
        .collect();
    assert!(nonces.len() >= 2, "new nonces were taken: {nonces:?}");
    w.round_trip(b"still here");
}

#[test]
fn lost_datagrams_are_retransmitted() {
    let mut w = World::new(server_config(), client_config());
    // The first unauthenticated Allocate and the first authenticated one
    // are lost.
    w.drop_client = vec![0, 2];
    w.client.allocate(w.now).unwrap();
    w.run_until(w.at(10));
    let events = w.events();
    assert!(
        matches!(events[..], [ClientEvent::Allocated { .. }]),
        "{events:?}"
    );
    assert_eq!(w.requests(Method::ALLOCATE).len(), 4);
}

#[test]
fn an_hour_over_a_lossy_link() {
    let mut w = World::allocated(server_config(), client_config());
    w.client.create_permission(w.now, peer().ip()).unwrap();
    w.client.bind_channel(w.now, peer()).unwrap();
    w.pump();
    assert_eq!(w.events().len(), 2);
    // 10% of the datagrams between client and server are lost, each way:
    // retransmissions (RFC 8489 §6.2.1) and the server's cached answers to
    // retransmitted requests keep everything alive.
    w.loss = Some((SeededRandom::new(99), 10));
    w.run_until(w.at(3600));
    let events = w.events();
    assert!(
        events
            .iter()
            .all(|e| matches!(e, ClientEvent::Refreshed { .. })),
        "{events:?}"
    );
    // One Refresh about every 300 s: a retried one (after a lost 438's
    // retransmission) starts its period a little later.
    assert!((11..=12).contains(&events.len()), "{events:?}");
    let sent = &w.client_sent;
    let retransmitted = (0..sent.len())
        .filter(|&i| sent[..i].contains(&sent[i]))
        .count();
    assert!(retransmitted > 0, "the loss made the client retransmit");
    w.loss = None;
    w.round_trip(b"after an hour of loss");
    let stats = w.server.stats();
    assert_eq!(
        (stats.allocations, stats.permissions, stats.channels),
        (1, 1, 1)
    );
}

#[test]
fn deallocate_deletes_the_allocation_on_the_server() {
    let mut w = World::allocated(server_config(), client_config());
    w.client.deallocate(w.now).unwrap();
    w.pump();
    assert_eq!(w.events(), [ClientEvent::Deallocated]);
    assert_eq!(w.server.stats().allocations, 0);
    assert!(w.server_events.iter().any(|e| matches!(
        e,
        ServerEvent::AllocationDeleted {
            reason: DeleteReason::Deallocated,
            ..
        }
    )));
    assert!(
        w.server_events
            .iter()
            .any(|e| matches!(e, ServerEvent::CloseRelay { relayed } if *relayed == w.relays[0]))
    );
}

#[test]
fn forbidden_peers_get_403() {
    let mut w = World::allocated(server_config(), client_config());
    let loopback = IpAddr::from([127, 0, 0, 1]);
    w.client.create_permission(w.now, loopback).unwrap();
    w.pump();
    let events = w.events();
    let [ClientEvent::PermissionFailed { peer, error }] = &events[..] else {
        panic!("{events:?}")
    };
    assert_eq!((*peer, error.error_code()), (loopback, Some(403)));
    assert_eq!(
        w.client.send_to(w.now, SocketAddr::new(loopback, 9), b"x"),
        Err(Error::NoPermission(loopback))
    );

    // Allowed when the server says so.
    let server = server_config().peers(PeerPolicy::default().allow_loopback(true));
    let mut w = World::allocated(server, client_config());
    w.client.create_permission(w.now, loopback).unwrap();
    w.pump();
    assert_eq!(
        w.events(),
        [ClientEvent::PermissionCreated { peer: loopback }]
    );
}

#[test]
fn tcp_round_trip_byte_by_byte() {
    let mut w = World::new(server_config(), client_config().transport(Transport::Tcp));
    w.byte_by_byte = true;
    w.client.allocate(w.now).unwrap();
    w.pump();
    assert!(matches!(w.events()[..], [ClientEvent::Allocated { .. }]));
    w.client.create_permission(w.now, peer().ip()).unwrap();
    w.pump();
    w.events();
    w.round_trip(b"odd length");
    w.client.bind_channel(w.now, peer()).unwrap();
    w.pump();
    w.events();
    // ChannelData of 5 bytes: padded on the stream both ways.
    w.round_trip(b"five!");
    w.run_until(w.at(1000));
    assert!(
        w.events()
            .iter()
            .all(|e| matches!(e, ClientEvent::Refreshed { .. }))
    );
    w.round_trip(b"later");
}
