//! A TURN server on the simulated Internet: `rtw_turn`'s sans-IO
//! [`Server`] (RFC 8656) on a public address,
//! with relayed addresses opened on the same IP.
//!
//! The network hands it every datagram addressed to its listen address
//! (from clients) or to one of its relayed addresses (from peers); what it
//! sends back goes on the link like any host's datagram. It answers the
//! server's [`ServerEvent::OpenRelay`] at once with the next free port on
//! its own IP (from [`TurnServer::FIRST_RELAY_PORT`] up, never reused) and
//! forgets a relayed address on [`ServerEvent::CloseRelay`].
//!
//! ## Peer policy
//!
//! The default configuration ([`TurnServer::config`]) keeps rtw-turn's
//! safe [`PeerPolicy`]: loopback, private, link-local and multicast peers
//! are refused, and the server's own IP is listed in
//! [`PeerPolicy::server_addresses`], so that only its relayed addresses
//! may be reached there (relay to relay, when both ICE agents relay
//! through the same server). The simulator needs nothing more: its public
//! addresses (NATs, public hosts, servers) are in the documentation ranges
//! 192.0.2.0/24, 198.51.100.0/24 and 203.0.113.0/24, which the policy
//! allows, and the hosts behind NATs are on 10/8, which no relay can reach
//! anyway (a permission for a peer's private host candidate is refused
//! with 403, as on the real Internet). A test that wants private peers
//! builds its own [`ServerConfig`] with `PeerPolicy::allow_private` and
//! passes it to [`Network::add_turn_server_with`](crate::Network::add_turn_server_with).

use std::collections::{BTreeSet, VecDeque};
use std::net::SocketAddr;
use std::time::Instant;

use rtw_core::SeededRandom;
use rtw_stun::Transport;
use rtw_stun::attributes::AddressFamily;
use rtw_turn::server::{
    FiveTuple, PeerPolicy, RelayAddresses, RelayError, RelayProtocol, Server, ServerConfig,
    ServerEvent, ServerStats, ServerTransmit,
};

use crate::net::Datagram;

/// A TURN server at one public address, its relayed addresses on the same
/// IP.
#[derive(Debug)]
pub struct TurnServer {
    addr: SocketAddr,
    server: Server,
    /// The relayed addresses open now.
    relays: BTreeSet<SocketAddr>,
    /// The next relay port to hand out.
    next_port: u16,
    /// Datagrams the server sent, not yet put on the link.
    out: VecDeque<Datagram>,
    /// Allocation requests refused for want of a port or of the family.
    refused_relays: u64,
}

impl TurnServer {
    /// The first port of the relayed addresses (the start of the dynamic
    /// range, RFC 6335 §6, as TURN servers usually take).
    pub const FIRST_RELAY_PORT: u16 = 49152;

    /// The realm of [`TurnServer::config`].
    pub const REALM: &'static str = "netsim.example";

    /// The simulator's configuration for a server on `addr` with the
    /// static `users` (username, password): realm
    /// [`TurnServer::REALM`], the default lifetimes, quotas and limits,
    /// and the default peer policy with `addr`'s IP as the server's own
    /// (see the [module](self) docs).
    pub fn config(addr: SocketAddr, users: &[(&str, &str)]) -> ServerConfig {
        let mut config = ServerConfig::new(Self::REALM)
            .peers(PeerPolicy::default().server_addresses(vec![addr.ip()]));
        for (user, pass) in users {
            config = config.user(*user, *pass);
        }
        config
    }

    /// A server listening on `addr` with `config`; `seed` seeds its random
    /// source (nonce key, tokens). Fails as
    /// [`Server::new`](rtw_turn::server::Server::new) does, on a
    /// configuration without users.
    pub fn new(addr: SocketAddr, config: ServerConfig, seed: u64) -> Result<Self, rtw_turn::Error> {
        let server = Server::new(config, Box::new(SeededRandom::new(seed)))?;
        Ok(TurnServer {
            addr,
            server,
            relays: BTreeSet::new(),
            next_port: Self::FIRST_RELAY_PORT,
            out: VecDeque::new(),
            refused_relays: 0,
        })
    }

    /// Where it listens for clients.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Whether a datagram to `destination` is the server's: its listen
    /// address or one of its open relayed addresses.
    pub fn owns(&self, destination: SocketAddr) -> bool {
        destination == self.addr || self.relays.contains(&destination)
    }

    /// The relayed addresses open now.
    pub fn relayed_addresses(&self) -> impl Iterator<Item = SocketAddr> + '_ {
        self.relays.iter().copied()
    }

    /// A datagram from `source` (as the server sees it, after any NAT)
    /// arrived at `destination`, one of the addresses it
    /// [`owns`](TurnServer::owns), at `now`. Its answers wait in
    /// [`TurnServer::poll_datagram`].
    pub fn handle(
        &mut self,
        now: Instant,
        source: SocketAddr,
        destination: SocketAddr,
        contents: &[u8],
    ) {
        if destination == self.addr {
            let five_tuple = FiveTuple::new(Transport::Udp, source, self.addr);
            self.server.handle_client(now, five_tuple, contents);
        } else if self.relays.contains(&destination) {
            self.server.handle_peer(now, destination, source, contents);
        }
        self.pump(now);
    }

    /// When [`TurnServer::handle_timeout`] is next due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.server.poll_timeout()
    }

    /// Expire what has expired by `now` (allocations, permissions,
    /// channels).
    pub fn handle_timeout(&mut self, now: Instant) {
        self.server.handle_timeout(now);
        self.pump(now);
    }

    /// The next datagram the server sends, with its source (the listen
    /// address or a relayed one) set.
    pub fn poll_datagram(&mut self) -> Option<Datagram> {
        self.out.pop_front()
    }

    /// The server's counters.
    pub fn stats(&self) -> ServerStats {
        self.server.stats()
    }

    /// Allocation requests whose relayed address could not be opened (an
    /// IPv6 relay asked of an IPv4 server, a TCP allocation, no port left).
    pub fn refused_relays(&self) -> u64 {
        self.refused_relays
    }

    /// Carry out the server's events and collect its transmits.
    fn pump(&mut self, now: Instant) {
        // Opening a relay answers an Allocate, which queues more
        // transmits and events: loop until both queues are empty.
        loop {
            let mut progressed = false;
            while let Some(event) = self.server.poll_event() {
                progressed = true;
                self.on_event(now, event);
            }
            while let Some(transmit) = self.server.poll_transmit() {
                progressed = true;
                let datagram = match transmit {
                    ServerTransmit::Client {
                        five_tuple,
                        contents,
                    } => Datagram {
                        source: five_tuple.server,
                        destination: five_tuple.client,
                        contents,
                    },
                    ServerTransmit::Peer(t) => Datagram {
                        source: t.source.unwrap_or(self.addr),
                        destination: t.destination,
                        contents: t.contents,
                    },
                };
                self.out.push_back(datagram);
            }
            if !progressed {
                return;
            }
        }
    }

    fn on_event(&mut self, now: Instant, event: ServerEvent) {
        match event {
            ServerEvent::OpenRelay(request) => {
                let same_family = match request.family {
                    AddressFamily::V4 => self.addr.is_ipv4(),
                    AddressFamily::V6 => self.addr.is_ipv6(),
                };
                let result = if request.protocol != RelayProtocol::Udp || !same_family {
                    // UDP only (the simulator has no TCP), one family.
                    Err(RelayError::FamilyNotSupported)
                } else if let Some(reserved) = request.reserved {
                    // A port kept for a RESERVATION-TOKEN is still ours.
                    self.relays.insert(reserved);
                    Ok(RelayAddresses {
                        relayed: reserved,
                        additional: None,
                        reserved: None,
                    })
                } else {
                    self.open(request.even_port, request.reserve_next)
                        .map(|(relayed, reserved)| RelayAddresses {
                            relayed,
                            additional: None,
                            reserved,
                        })
                };
                if result.is_err() {
                    self.refused_relays += 1;
                }
                self.server.handle_relay(now, request.id, result);
            }
            ServerEvent::CloseRelay { relayed } => {
                self.relays.remove(&relayed);
            }
            // Logs, TCP allocations and streams: nothing to do over UDP.
            _ => {}
        }
    }

    /// The next relayed address (even if `even`), and the one after it
    /// when `reserve_next`.
    fn open(
        &mut self,
        even: bool,
        reserve_next: bool,
    ) -> Result<(SocketAddr, Option<SocketAddr>), RelayError> {
        let mut port = self.next_port;
        if even && port % 2 == 1 {
            port = port
                .checked_add(1)
                .ok_or(RelayError::InsufficientCapacity)?;
        }
        let taken = if reserve_next { 2 } else { 1 };
        self.next_port = port
            .checked_add(taken)
            .ok_or(RelayError::InsufficientCapacity)?;
        let relayed = SocketAddr::new(self.addr.ip(), port);
        self.relays.insert(relayed);
        let reserved = reserve_next.then(|| SocketAddr::new(self.addr.ip(), port + 1));
        if let Some(r) = reserved {
            self.relays.insert(r);
        }
        Ok((relayed, reserved))
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;
    use std::time::{Duration, Instant};

    use bytes::Bytes;
    use rtw_core::SeededRandom;
    use rtw_turn::client::{Client, ClientConfig, ClientEvent};

    use crate::{Datagram, Delivery, LinkConfig, NatConfig, NatKind, Network};

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    const TURN: &str = "192.0.2.20:3478";
    const CLIENT: &str = "10.0.1.2:5000";
    const PEER: &str = "198.51.100.7:7000";

    /// A client behind a symmetric NAT, a public peer, the TURN server.
    fn network() -> Network {
        let mut net = Network::new(LinkConfig::default(), SeededRandom::new(4));
        net.add_turn_server(addr(TURN), &[("user", "pass")]);
        let nat = net.add_nat(
            "203.0.113.1".parse().unwrap(),
            NatConfig::of(NatKind::Symmetric),
        );
        net.add_host(addr(CLIENT), Some(nat));
        net.add_host(addr(PEER), None);
        net
    }

    /// Run the network and the client until `until`: datagrams to the
    /// client go to it, those to the peer are returned.
    fn run(
        net: &mut Network,
        client: &mut Client,
        from: Instant,
        until: Instant,
    ) -> (Vec<ClientEvent>, Vec<Delivery>) {
        let (mut events, mut at_peer) = (Vec::new(), Vec::new());
        let mut now = from;
        loop {
            while let Some(t) = client.poll_transmit() {
                let d = Datagram {
                    source: addr(CLIENT),
                    destination: t.destination,
                    contents: t.contents,
                };
                net.send(now, d);
            }
            events.extend(std::iter::from_fn(|| client.poll_event()));
            let next = [net.poll_timeout(), client.poll_timeout()]
                .into_iter()
                .flatten()
                .min();
            match next {
                Some(t) if t <= until => now = now.max(t),
                _ => return (events, at_peer),
            }
            while let Some(d) = net.poll_delivery(now) {
                if d.destination == addr(CLIENT) {
                    client.handle_input(now, d.source, &d.contents);
                } else {
                    at_peer.push(d);
                }
            }
            if client.poll_timeout().is_some_and(|t| t <= now) {
                client.handle_timeout(now);
            }
        }
    }

    #[test]
    fn relays_both_ways_through_a_symmetric_nat() {
        let mut net = network();
        let config = ClientConfig::new("user", "pass");
        let mut client = Client::new(addr(TURN), config, Box::new(SeededRandom::new(9))).unwrap();
        let t0 = Instant::now();
        client.allocate(t0).unwrap();
        let t1 = t0 + Duration::from_millis(200);
        let (events, _) = run(&mut net, &mut client, t0, t1);
        let relayed = addr("192.0.2.20:49152");
        assert_eq!(
            events,
            [ClientEvent::Allocated {
                relayed,
                mapped: addr("203.0.113.1:40000"),
                lifetime: Duration::from_secs(600),
            }]
        );
        assert!(net.turn_server(addr(TURN)).unwrap().owns(relayed));

        // Without a permission the peer's datagram is dropped at the relay.
        net.send(
            t1,
            Datagram {
                source: addr(PEER),
                destination: relayed,
                contents: Bytes::from_static(b"early"),
            },
        );
        client.create_permission(t1, addr(PEER).ip()).unwrap();
        let t2 = t1 + Duration::from_millis(200);
        let (events, _) = run(&mut net, &mut client, t1, t2);
        assert_eq!(
            events,
            [ClientEvent::PermissionCreated {
                peer: addr(PEER).ip()
            }]
        );
        client.send_to(t2, addr(PEER), b"out").unwrap();
        let t3 = t2 + Duration::from_millis(200);
        let (_, at_peer) = run(&mut net, &mut client, t2, t3);
        assert_eq!(at_peer.len(), 1);
        assert_eq!(
            (at_peer[0].source, &at_peer[0].contents[..]),
            (relayed, &b"out"[..])
        );

        net.send(
            t3,
            Datagram {
                source: addr(PEER),
                destination: relayed,
                contents: Bytes::from_static(b"back"),
            },
        );
        let (events, _) = run(&mut net, &mut client, t3, t3 + Duration::from_millis(200));
        assert_eq!(
            events,
            [ClientEvent::Data {
                peer: addr(PEER),
                data: Bytes::from_static(b"back"),
            }]
        );
        let stats = net.turn_server(addr(TURN)).unwrap().stats();
        assert_eq!((stats.relayed_to_peers, stats.relayed_to_clients), (1, 1));
        assert_eq!(stats.dropped_no_permission, 1, "the early datagram");
        assert_eq!(net.stats().turn_relayed, 2);
    }

    #[test]
    fn allocations_expire_without_refresh_and_their_relay_closes() {
        let mut net = network();
        let config = ClientConfig::new("user", "pass").lifetime(Some(Duration::from_secs(60)));
        let mut client = Client::new(addr(TURN), config, Box::new(SeededRandom::new(9))).unwrap();
        let t0 = Instant::now();
        client.allocate(t0).unwrap();
        let t1 = t0 + Duration::from_millis(200);
        let (events, _) = run(&mut net, &mut client, t0, t1);
        let Some(ClientEvent::Allocated {
            relayed, lifetime, ..
        }) = events.first().cloned()
        else {
            panic!("{events:?}");
        };
        // The server grants at least its default lifetime (RFC 8656 §7.2).
        assert_eq!(lifetime, Duration::from_secs(600));
        // The client is gone (no refresh): the server's timer expires the
        // allocation, and its relayed address goes unroutable.
        drop(client);
        let server = net.turn_server(addr(TURN)).unwrap();
        assert!(server.poll_timeout().is_some());
        let late = t1 + Duration::from_secs(601);
        while net.poll_delivery(late).is_some() {}
        let server = net.turn_server(addr(TURN)).unwrap();
        assert!(!server.owns(relayed));
        assert_eq!(server.stats().allocations, 0);
        assert_eq!(server.relayed_addresses().count(), 0);
    }

    #[test]
    fn a_wrong_password_gets_no_relay() {
        let mut net = network();
        let config = ClientConfig::new("user", "wrong");
        let mut client = Client::new(addr(TURN), config, Box::new(SeededRandom::new(9))).unwrap();
        let t0 = Instant::now();
        client.allocate(t0).unwrap();
        let (events, _) = run(&mut net, &mut client, t0, t0 + Duration::from_secs(60));
        assert!(
            matches!(events.as_slice(), [ClientEvent::AllocationFailed(e)] if e.error_code() == Some(401)),
            "{events:?}"
        );
        assert_eq!(
            net.turn_server(addr(TURN))
                .unwrap()
                .relayed_addresses()
                .count(),
            0
        );
    }
}
