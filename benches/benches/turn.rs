//! TURN relaying (RFC 8656 §11, §12): what `rtw_turn::server::Server` does
//! per relayed packet once an allocation stands, beside the STUN decode
//! floor.
//!
//! Setup, outside the timed loops: the sans-IO server is driven in-process
//! by the sans-IO `rtw_turn::client::Client` (Allocate with its 401
//! exchange and MD5 long-term credentials, the server's `OpenRelay`
//! answered with `handle_relay`), which then installs a permission for
//! peer B (`CreatePermission`) and binds a channel to peer A
//! (`ChannelBind`). The bandwidth cap is off, so no packet is dropped by it;
//! `now` is fixed, so nothing expires.
//!
//! The relayed inputs are built by hand here (not by the encoders under
//! test): a Send indication (XOR-PEER-ADDRESS, DATA) to peer B and a
//! ChannelData message on A's channel, each with a 170-byte payload (the
//! `turnutils_uclient -l 170` of `benches/turn-load`).
//!
//! Group `turn/client_to_peer` (per packet):
//! - `stun_parse_floor`: [`rtw_stun::Message::parse`] of the Send
//!   indication, nothing else: the decode any server must do first;
//! - `send_indication`: `Server::handle_client` with the Send indication
//!   (parse, find the allocation by 5-tuple, read XOR-PEER-ADDRESS and
//!   DATA, check the permission, copy the payload) and draining
//!   `poll_transmit` of its one datagram to the peer;
//! - `channel_data`: the same for the ChannelData message (channel lookup
//!   instead of the attributes).
//!
//! Group `turn/peer_to_client` (per packet): `Server::handle_peer` with a
//! 170-byte datagram arriving on the relayed address, drained:
//! - `data_indication`: from peer B (permission only): a Data indication
//!   is built;
//! - `channel_data`: from peer A (channel bound): a ChannelData message.
//!
//! Every bench checks, untimed, that one call gives exactly the expected
//! transmit. Throughput is in packets (elements/s). Run with
//! `cargo bench -p rtw-benches --bench turn`.

use std::hint::black_box;
use std::net::SocketAddr;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rtw_benches::Group;
use rtw_turn::client::{Client, ClientConfig, ClientEvent};
use rtw_turn::server::{
    FiveTuple, PeerPolicy, Quotas, RelayAddresses, Server, ServerConfig, ServerEvent,
    ServerTransmit,
};
use rtw_turn::{SeededRandom, Transport};

rtw_benches::count_allocations!();

/// Payload bytes of every relayed packet.
const PAYLOAD_LEN: usize = 170;
const USER: &str = "bench";
const PASSWORD: &str = "bench-password";
const REALM: &str = "bench.example";
/// The STUN magic cookie (RFC 8489 §5).
const COOKIE: u32 = 0x2112_A442;

fn addr(s: &str) -> SocketAddr {
    s.parse().expect("socket address")
}

/// The payload: deterministic bytes.
fn payload() -> Vec<u8> {
    (0..PAYLOAD_LEN).map(|i| (i * 7 + 3) as u8).collect()
}

/// A Send indication (RFC 8656 §11.1) to `peer` (IPv4) carrying `data`,
/// written field by field.
fn send_indication(peer: SocketAddr, data: &[u8]) -> Vec<u8> {
    let SocketAddr::V4(peer) = peer else {
        panic!("IPv4 peer")
    };
    let padded = data.len().div_ceil(4) * 4;
    let body = (4 + 8) + (4 + padded);
    let mut m = Vec::with_capacity(20 + body);
    m.extend_from_slice(&0x0016u16.to_be_bytes()); // Send, indication
    m.extend_from_slice(&(body as u16).to_be_bytes());
    m.extend_from_slice(&COOKIE.to_be_bytes());
    m.extend_from_slice(&[0x5a; 12]); // transaction ID
    m.extend_from_slice(&0x0012u16.to_be_bytes()); // XOR-PEER-ADDRESS
    m.extend_from_slice(&8u16.to_be_bytes());
    m.extend_from_slice(&[0x00, 0x01]); // IPv4
    m.extend_from_slice(&(peer.port() ^ (COOKIE >> 16) as u16).to_be_bytes());
    m.extend_from_slice(&(u32::from(*peer.ip()) ^ COOKIE).to_be_bytes());
    m.extend_from_slice(&0x0013u16.to_be_bytes()); // DATA
    m.extend_from_slice(&(data.len() as u16).to_be_bytes());
    m.extend_from_slice(data);
    m.resize(20 + body, 0);
    m
}

/// A ChannelData message (RFC 8656 §12.4) over UDP: no padding.
fn channel_data(channel: u16, data: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(4 + data.len());
    m.extend_from_slice(&channel.to_be_bytes());
    m.extend_from_slice(&(data.len() as u16).to_be_bytes());
    m.extend_from_slice(data);
    m
}

/// A server with one allocation, a permission for peer B and a channel to
/// peer A, set up by a client through the real exchanges.
struct Rig {
    now: Instant,
    server: Server,
    five_tuple: FiveTuple,
    relayed: SocketAddr,
    peer_a: SocketAddr,
    peer_b: SocketAddr,
    channel: u16,
}

impl Rig {
    fn new() -> Rig {
        let now = Instant::now();
        let listen = addr("192.0.2.1:3478");
        let client_addr = addr("198.51.100.20:40000");
        let relayed = addr("192.0.2.1:50000");
        let peer_a = addr("203.0.113.7:5000");
        let peer_b = addr("203.0.113.8:6000");
        let five_tuple = FiveTuple::new(Transport::Udp, client_addr, listen);
        let config = ServerConfig::new(REALM)
            .user(USER, PASSWORD)
            .software(None)
            .peers(PeerPolicy::default().server_addresses(vec![listen.ip()]))
            .quotas(Quotas::default().bandwidth(None));
        let server = Server::new(config, Box::new(SeededRandom::new(1))).expect("server");
        let mut client = Client::new(
            listen,
            ClientConfig::new(USER, PASSWORD),
            Box::new(SeededRandom::new(2)),
        )
        .expect("client");
        let mut rig = Rig {
            now,
            server,
            five_tuple,
            relayed,
            peer_a,
            peer_b,
            channel: 0,
        };

        client.allocate(now).expect("allocate");
        rig.exchange(&mut client);
        assert!(
            matches!(client.poll_event(), Some(ClientEvent::Allocated { relayed: r, .. }) if r == relayed),
            "the allocation stands"
        );
        client
            .create_permission(now, peer_b.ip())
            .expect("permission");
        let channel = client.bind_channel(now, peer_a).expect("channel");
        rig.exchange(&mut client);
        let mut bound = false;
        let mut permitted = false;
        while let Some(event) = client.poll_event() {
            match event {
                ClientEvent::ChannelBound { .. } => bound = true,
                ClientEvent::PermissionCreated { .. } => permitted = true,
                other => panic!("unexpected {other:?}"),
            }
        }
        assert!(bound && permitted, "channel bound and permission created");
        rig.channel = channel.0;
        let stats = rig.server.stats();
        assert_eq!(
            (stats.allocations, stats.permissions, stats.channels),
            (1, 2, 1)
        );
        rig
    }

    /// Carries messages both ways until both sides are quiet, answering
    /// `OpenRelay` with the relayed address.
    fn exchange(&mut self, client: &mut Client) {
        loop {
            let mut moved = false;
            while let Some(t) = client.poll_transmit() {
                moved = true;
                self.server
                    .handle_client(self.now, self.five_tuple, &t.contents);
            }
            while let Some(event) = self.server.poll_event() {
                if let ServerEvent::OpenRelay(request) = event {
                    let addresses = RelayAddresses {
                        relayed: self.relayed,
                        additional: None,
                        reserved: None,
                    };
                    self.server
                        .handle_relay(self.now, request.id, Ok(addresses));
                }
            }
            while let Some(t) = self.server.poll_transmit() {
                moved = true;
                let ServerTransmit::Client { contents, .. } = t else {
                    panic!("nothing goes to peers during setup")
                };
                client.handle_input(self.now, self.five_tuple.server, &contents);
            }
            if !moved {
                return;
            }
        }
    }

    /// One packet from the client, drained; returns the transmits' count.
    fn client_packet(&mut self, packet: &[u8]) -> usize {
        self.server.handle_client(self.now, self.five_tuple, packet);
        let mut n = 0;
        while let Some(t) = self.server.poll_transmit() {
            black_box(t);
            n += 1;
        }
        n
    }

    /// One datagram from `peer` at the relayed address, drained.
    fn peer_packet(&mut self, peer: SocketAddr, packet: &[u8]) -> usize {
        self.server
            .handle_peer(self.now, self.relayed, peer, packet);
        let mut n = 0;
        while let Some(t) = self.server.poll_transmit() {
            black_box(t);
            n += 1;
        }
        n
    }

    /// The one transmit a client packet gives, checked to go from the
    /// relayed address to `peer` with the payload.
    fn check_to_peer(&mut self, packet: &[u8], peer: SocketAddr, data: &[u8]) {
        self.server.handle_client(self.now, self.five_tuple, packet);
        match self.server.poll_transmit() {
            Some(ServerTransmit::Peer(t)) => {
                assert_eq!(t.destination, peer);
                assert_eq!(t.source, Some(self.relayed));
                assert_eq!(&t.contents[..], data);
            }
            other => panic!("expected a datagram to {peer}, got {other:?}"),
        }
        assert!(self.server.poll_transmit().is_none());
    }

    /// The one transmit a peer datagram gives: to the client, `expected`.
    fn check_to_client(&mut self, peer: SocketAddr, data: &[u8], check: impl Fn(&[u8])) {
        self.server.handle_peer(self.now, self.relayed, peer, data);
        match self.server.poll_transmit() {
            Some(ServerTransmit::Client {
                five_tuple,
                contents,
            }) => {
                assert_eq!(five_tuple, self.five_tuple);
                check(&contents);
            }
            other => panic!("expected a packet to the client, got {other:?}"),
        }
        assert!(self.server.poll_transmit().is_none());
    }
}

fn client_to_peer(c: &mut Criterion) {
    let data = payload();
    let mut rig = Rig::new();
    let send = send_indication(rig.peer_b, &data);
    let cd = channel_data(rig.channel, &data);
    rig.check_to_peer(&send, rig.peer_b, &data);
    rig.check_to_peer(&cd, rig.peer_a, &data);
    let parsed = rtw_stun::Message::parse(&send).expect("the Send indication parses");
    assert_eq!(parsed.method(), rtw_stun::Method::SEND);

    let mut g = Group::new(c, "turn/client_to_peer");
    g.throughput(Throughput::Elements(1));
    g.bench("stun_parse_floor", || {
        rtw_stun::Message::parse(black_box(&send[..])).map(|m| m.message_type())
    });
    g.bench("send_indication", || {
        assert_eq!(rig.client_packet(black_box(&send)), 1)
    });
    g.bench("channel_data", || {
        assert_eq!(rig.client_packet(black_box(&cd)), 1)
    });
    g.finish();
    let relayed = rig.server.stats().relayed_to_peers;
    assert!(relayed >= 2, "{relayed} packets relayed");
    assert_eq!(rig.server.stats().dropped_no_permission, 0);
}

fn peer_to_client(c: &mut Criterion) {
    let data = payload();
    let mut rig = Rig::new();
    let channel = rig.channel;
    rig.check_to_client(rig.peer_a, &data, |m| {
        assert_eq!(m, &channel_data(channel, &data)[..]);
    });
    let peer_b = rig.peer_b;
    rig.check_to_client(rig.peer_b, &data, |m| {
        let msg = rtw_stun::Message::parse(m).expect("a Data indication");
        assert_eq!(msg.method(), rtw_stun::Method::DATA);
        let peer = msg
            .get::<rtw_stun::attributes::XorPeerAddress>()
            .expect("XOR-PEER-ADDRESS")
            .expect("valid");
        assert_eq!(peer.0, peer_b);
        let d = msg
            .get::<rtw_stun::attributes::Data<'_>>()
            .expect("DATA")
            .expect("valid");
        assert_eq!(d.0, &data[..]);
    });

    let mut g = Group::new(c, "turn/peer_to_client");
    g.throughput(Throughput::Elements(1));
    g.bench("data_indication", || {
        assert_eq!(rig.peer_packet(peer_b, black_box(&data)), 1)
    });
    let peer_a = rig.peer_a;
    g.bench("channel_data", || {
        assert_eq!(rig.peer_packet(peer_a, black_box(&data)), 1)
    });
    g.finish();
    assert_eq!(rig.server.stats().dropped_no_permission, 0);
}

criterion_group!(benches, client_to_peer, peer_to_client);
criterion_main!(benches);
