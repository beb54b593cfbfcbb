//! The simulated Internet: hosts on private or public addresses, NATs in
//! front of the private ones, a STUN server, TURN servers, and one kind of
//! link between
//! them all with latency, jitter (hence reordering) and loss, in virtual
//! time.
//!
//! Datagrams in flight wait in a queue ordered by (delivery time, sequence
//! number), so that equal times keep their sending order and every run
//! with the same seed is the same run.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;

use rtw_core::SeededRandom;

use crate::nat::{Inbound, Nat, NatConfig};
use crate::stun_server::StunServer;
use crate::turn_server::TurnServer;

/// How every path behaves: one-way delay `latency` plus a uniform random
/// extra in `0..jitter`, and independent loss with probability `loss`.
/// A jitter larger than the gap between two datagrams reorders them.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct LinkConfig {
    /// Fixed one-way delay.
    pub latency: Duration,
    /// Largest random extra delay (exclusive); zero for none.
    pub jitter: Duration,
    /// Probability in 0.0..=1.0 that a datagram is lost.
    pub loss: f64,
}

impl Default for LinkConfig {
    /// 20 ms one way, no jitter, no loss.
    fn default() -> Self {
        LinkConfig {
            latency: Duration::from_millis(20),
            jitter: Duration::ZERO,
            loss: 0.0,
        }
    }
}

impl LinkConfig {
    /// Set [`LinkConfig::latency`].
    #[must_use]
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// Set [`LinkConfig::jitter`].
    #[must_use]
    pub fn jitter(mut self, jitter: Duration) -> Self {
        self.jitter = jitter;
        self
    }

    /// Set [`LinkConfig::loss`].
    #[must_use]
    pub fn loss(mut self, loss: f64) -> Self {
        self.loss = loss;
        self
    }
}

/// Which NAT of the network, from [`Network::add_nat`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NatId(usize);

/// A datagram as a host hands it to the network, or as it travels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datagram {
    /// Sender's address (a host's local address before its NAT).
    pub source: SocketAddr,
    /// Receiver's address.
    pub destination: SocketAddr,
    /// Payload.
    pub contents: Bytes,
}

/// A datagram arriving at a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// When it arrived.
    pub at: Instant,
    /// The source as the receiver sees it (after the sender's NAT).
    pub source: SocketAddr,
    /// The host's local address it arrived on (after the receiver's NAT).
    pub destination: SocketAddr,
    /// Payload.
    pub contents: Bytes,
}

/// Counters of what the network did, for reports and assertions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct NetStats {
    /// Datagrams handed to the network by hosts and TURN servers.
    pub sent: u64,
    /// Lost on a link.
    pub lost: u64,
    /// Dropped by a NAT filter.
    pub filtered: u64,
    /// Dropped at a NAT for want of a mapping on that port.
    pub no_mapping: u64,
    /// Dropped by a NAT because it was sent to the NAT's own public
    /// address (no hairpinning).
    pub hairpin: u64,
    /// No host or NAT has the destination address (e.g. a peer's private
    /// host candidate).
    pub unroutable: u64,
    /// The sender's address is not a host of this network.
    pub unknown_source: u64,
    /// Handed to a host.
    pub delivered: u64,
    /// Delivered after a later-sent datagram of the same flow.
    pub reordered: u64,
    /// Requests the STUN server answered.
    pub stun_answered: u64,
    /// Packets the TURN servers relayed, both directions (RFC 8656 §11,
    /// §12).
    pub turn_relayed: u64,
}

/// A host: its local address, and the NAT in front of it if any.
#[derive(Debug, Clone, Copy)]
struct Host {
    addr: SocketAddr,
    nat: Option<NatId>,
}

/// A datagram on a link, already translated by the sender's NAT.
#[derive(Debug, Clone)]
struct InFlight {
    datagram: Datagram,
    /// Its number within its (source, destination) flow.
    flow_seq: u64,
}

/// Per-flow numbering, to count reordering.
#[derive(Debug, Clone, Copy, Default)]
struct Flow {
    next_seq: u64,
    highest_delivered: Option<u64>,
}

/// The simulated network.
#[derive(Debug)]
pub struct Network {
    link: LinkConfig,
    rng: SeededRandom,
    queue: BTreeMap<(Instant, u64), InFlight>,
    seq: u64,
    hosts: Vec<Host>,
    nats: Vec<Nat>,
    stun: Option<StunServer>,
    turn: Vec<TurnServer>,
    flows: BTreeMap<(SocketAddr, SocketAddr), Flow>,
    stats: NetStats,
    /// The first [`DROP_LOG_LIMIT`] drops, for failure reports.
    drops: Vec<(Instant, String)>,
}

/// How many drops [`Network::drops`] keeps.
const DROP_LOG_LIMIT: usize = 400;

impl Network {
    /// An empty network whose links behave as `link`, with randomness
    /// from `rng`.
    pub fn new(link: LinkConfig, rng: SeededRandom) -> Self {
        Network {
            link,
            rng,
            queue: BTreeMap::new(),
            seq: 0,
            hosts: Vec::new(),
            nats: Vec::new(),
            stun: None,
            turn: Vec::new(),
            flows: BTreeMap::new(),
            stats: NetStats::default(),
            drops: Vec::new(),
        }
    }

    /// A NAT on `public_ip`.
    pub fn add_nat(&mut self, public_ip: std::net::IpAddr, config: NatConfig) -> NatId {
        self.nats.push(Nat::new(public_ip, config));
        NatId(self.nats.len() - 1)
    }

    /// A host on local address `addr`, behind `nat` or on the public
    /// Internet.
    pub fn add_host(&mut self, addr: SocketAddr, nat: Option<NatId>) {
        self.hosts.push(Host { addr, nat });
    }

    /// A STUN server on public address `addr`.
    pub fn add_stun_server(&mut self, addr: SocketAddr) {
        self.stun = Some(StunServer::new(addr));
    }

    /// A TURN server on public address `addr` with the static `users`
    /// (username, password) and the simulator's configuration
    /// ([`TurnServer::config`]: realm [`TurnServer::REALM`], the default
    /// peer policy with `addr`'s IP as the server's own). Its relayed
    /// addresses are on `addr`'s IP, ports from
    /// [`TurnServer::FIRST_RELAY_PORT`].
    ///
    /// Panics if `users` is empty (a TURN server needs credentials).
    pub fn add_turn_server(&mut self, addr: SocketAddr, users: &[(&str, &str)]) {
        self.add_turn_server_with(addr, TurnServer::config(addr, users))
            .expect("a realm and at least one user make a valid configuration");
    }

    /// A TURN server on public address `addr` with `config` (see
    /// [`TurnServer::config`] for the simulator's defaults). Fails as
    /// `rtw_turn::server::Server::new` does.
    pub fn add_turn_server_with(
        &mut self,
        addr: SocketAddr,
        config: rtw_turn::server::ServerConfig,
    ) -> Result<(), rtw_turn::Error> {
        let seed = self.rng.next_u64();
        self.turn.push(TurnServer::new(addr, config, seed)?);
        Ok(())
    }

    /// The TURN server listening on `addr`, to look at its state.
    pub fn turn_server(&self, addr: SocketAddr) -> Option<&TurnServer> {
        self.turn.iter().find(|t| t.addr() == addr)
    }

    /// When [`Network::poll_delivery`] next has something to do: the next
    /// arrival ([`Network::next_arrival`]) or a TURN server's timer
    /// (expiry of allocations, permissions and channels), whichever is
    /// first.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let timers = self.turn.iter().filter_map(TurnServer::poll_timeout);
        self.next_arrival().into_iter().chain(timers).min()
    }

    /// What the network has done so far.
    pub fn stats(&self) -> NetStats {
        let mut stats = self.stats;
        stats.stun_answered = self.stun.as_ref().map_or(0, StunServer::answered);
        stats.turn_relayed = self
            .turn
            .iter()
            .map(|t| {
                let s = t.stats();
                s.relayed_to_peers + s.relayed_to_clients
            })
            .sum();
        stats
    }

    /// The first drops, with their time and reason, for failure reports.
    pub fn drops(&self) -> &[(Instant, String)] {
        &self.drops
    }

    /// Note that a datagram from `source` to `destination` was dropped.
    fn note_drop(&mut self, at: Instant, why: &str, source: SocketAddr, destination: SocketAddr) {
        if self.drops.len() < DROP_LOG_LIMIT {
            self.drops
                .push((at, format!("{why}: {source} -> {destination}")));
        }
    }

    /// The NAT `id`, to look at its state.
    pub fn nat_mut(&mut self, id: NatId) -> &mut Nat {
        &mut self.nats[id.0]
    }

    /// A host sends `datagram` at `now` from its local address: it goes
    /// through the host's NAT (which may create a mapping or drop it),
    /// then onto the link.
    pub fn send(&mut self, now: Instant, datagram: Datagram) {
        self.stats.sent += 1;
        let Some(host) = self
            .hosts
            .iter()
            .find(|h| h.addr == datagram.source)
            .copied()
        else {
            self.stats.unknown_source += 1;
            self.note_drop(now, "unknown source", datagram.source, datagram.destination);
            return;
        };
        let source = match host.nat {
            None => datagram.source,
            Some(id) => match self.nats[id.0].outbound(now, host.addr, datagram.destination) {
                Some(external) => external,
                None => {
                    self.stats.hairpin += 1;
                    self.note_drop(now, "hairpin", datagram.source, datagram.destination);
                    return;
                }
            },
        };
        self.transmit(now, Datagram { source, ..datagram });
    }

    /// Put a datagram with a public source on the link: loss, then delay.
    fn transmit(&mut self, now: Instant, datagram: Datagram) {
        if chance(&mut self.rng, self.link.loss) {
            self.stats.lost += 1;
            self.note_drop(now, "lost", datagram.source, datagram.destination);
            return;
        }
        let jitter = match self.link.jitter.as_micros() {
            0 => Duration::ZERO,
            us => Duration::from_micros(self.rng.below(us as u64)),
        };
        let at = now + self.link.latency + jitter;
        let flow = self
            .flows
            .entry((datagram.source, datagram.destination))
            .or_default();
        let flow_seq = flow.next_seq;
        flow.next_seq += 1;
        self.seq += 1;
        self.queue
            .insert((at, self.seq), InFlight { datagram, flow_seq });
    }

    /// When the next datagram in flight arrives somewhere, if any is.
    pub fn next_arrival(&self) -> Option<Instant> {
        self.queue.keys().next().map(|(at, _)| *at)
    }

    /// The next datagram that reaches a host by `now`, in arrival order.
    /// Datagrams that arrive by then at the STUN server are answered (the
    /// answer goes on the link), those that arrive at a TURN server are
    /// handled by it (what it relays or answers goes on the link), TURN
    /// servers' timers due by then run in time order with the arrivals,
    /// and datagrams a NAT drops or nobody owns are counted and dropped,
    /// on the way.
    pub fn poll_delivery(&mut self, now: Instant) -> Option<Delivery> {
        loop {
            let next = self.queue.keys().next().map(|(at, _)| *at);
            if let Some((i, t)) = self.turn_timer() {
                if t <= now && next.is_none_or(|at| t <= at) {
                    self.turn[i].handle_timeout(t);
                    self.flush_turn(i, t);
                    continue;
                }
            }
            let (&(at, seq), _) = self.queue.iter().next()?;
            if at > now {
                return None;
            }
            let InFlight { datagram, flow_seq } = self
                .queue
                .remove(&(at, seq))
                .expect("the first key is there");
            let flow = self
                .flows
                .get_mut(&(datagram.source, datagram.destination))
                .expect("every datagram in flight has a flow");
            match flow.highest_delivered {
                Some(h) if h > flow_seq => self.stats.reordered += 1,
                _ => flow.highest_delivered = Some(flow_seq),
            }
            if let Some(delivery) = self.arrive(at, datagram) {
                self.stats.delivered += 1;
                return Some(delivery);
            }
        }
    }

    /// The TURN server whose timer is due first, and when.
    fn turn_timer(&self) -> Option<(usize, Instant)> {
        self.turn
            .iter()
            .enumerate()
            .filter_map(|(i, t)| t.poll_timeout().map(|at| (i, at)))
            .min_by_key(|(_, at)| *at)
    }

    /// Put what TURN server `i` sends at `at` on the link.
    fn flush_turn(&mut self, i: usize, at: Instant) {
        while let Some(datagram) = self.turn[i].poll_datagram() {
            self.stats.sent += 1;
            self.transmit(at, datagram);
        }
    }

    /// `datagram` reaches its destination address at `at`.
    fn arrive(&mut self, at: Instant, datagram: Datagram) -> Option<Delivery> {
        let Datagram {
            source,
            destination,
            contents,
        } = datagram;
        if let Some(i) = self.turn.iter().position(|t| t.owns(destination)) {
            self.turn[i].handle(at, source, destination, &contents);
            self.flush_turn(i, at);
            return None;
        }
        if let Some(stun) = self.stun.as_mut().filter(|s| s.addr() == destination) {
            if let Some(answer) = stun.answer(source, &contents) {
                let reply = Datagram {
                    source: destination,
                    destination: source,
                    contents: answer,
                };
                self.transmit(at, reply);
            }
            return None;
        }
        if let Some(nat) = self
            .nats
            .iter_mut()
            .find(|n| n.public_ip() == destination.ip())
        {
            let inbound = nat.inbound(at, source, destination.port());
            return match inbound {
                Inbound::Forward(internal) => Some(Delivery {
                    at,
                    source,
                    destination: internal,
                    contents,
                }),
                Inbound::NoMapping => {
                    self.stats.no_mapping += 1;
                    self.note_drop(at, "no NAT mapping", source, destination);
                    None
                }
                Inbound::Filtered => {
                    self.stats.filtered += 1;
                    self.note_drop(at, "NAT filter", source, destination);
                    None
                }
            };
        }
        if self
            .hosts
            .iter()
            .any(|h| h.nat.is_none() && h.addr == destination)
        {
            return Some(Delivery {
                at,
                source,
                destination,
                contents,
            });
        }
        self.stats.unroutable += 1;
        self.note_drop(at, "unroutable", source, destination);
        None
    }
}

/// `true` with probability `p` (0.0 never, 1.0 always), from 53 random
/// bits made into a uniform float in [0, 1).
fn chance(rng: &mut SeededRandom, p: f64) -> bool {
    let unit = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    unit < p
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nat::NatKind;
    use rtw_stun::attributes::XorMappedAddress;
    use rtw_stun::{Class, Message, MessageBuilder, MessageType, Method, TransactionId};

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    fn datagram(source: &str, destination: &str, contents: &'static [u8]) -> Datagram {
        Datagram {
            source: addr(source),
            destination: addr(destination),
            contents: Bytes::from_static(contents),
        }
    }

    /// Everything delivered by `until`.
    fn drain(net: &mut Network, until: Instant) -> Vec<Delivery> {
        std::iter::from_fn(|| net.poll_delivery(until)).collect()
    }

    const A: &str = "10.0.1.2:5000";
    const B: &str = "10.0.2.2:6000";
    const STUN: &str = "192.0.2.10:3478";

    /// A behind `a`, B behind `b`, a STUN server, link `link`.
    fn two_nats(a: NatKind, b: NatKind, link: LinkConfig, seed: u64) -> (Network, NatId, NatId) {
        let mut net = Network::new(link, SeededRandom::new(seed));
        let na = net.add_nat("203.0.113.1".parse().unwrap(), NatConfig::of(a));
        let nb = net.add_nat("198.51.100.1".parse().unwrap(), NatConfig::of(b));
        net.add_host(addr(A), Some(na));
        net.add_host(addr(B), Some(nb));
        net.add_stun_server(addr(STUN));
        (net, na, nb)
    }

    #[test]
    fn public_hosts_reach_each_other_after_the_latency() {
        let mut net = Network::new(LinkConfig::default(), SeededRandom::new(1));
        net.add_host(addr("203.0.113.1:5000"), None);
        net.add_host(addr("198.51.100.1:6000"), None);
        let t0 = Instant::now();
        net.send(
            t0,
            datagram("203.0.113.1:5000", "198.51.100.1:6000", b"hello"),
        );
        assert_eq!(net.next_arrival(), Some(t0 + Duration::from_millis(20)));
        assert!(net.poll_delivery(t0 + Duration::from_millis(19)).is_none());
        let d = net.poll_delivery(t0 + Duration::from_millis(20)).unwrap();
        assert_eq!(d.source, addr("203.0.113.1:5000"));
        assert_eq!(d.destination, addr("198.51.100.1:6000"));
        assert_eq!(&d.contents[..], b"hello");
        assert_eq!(d.at, t0 + Duration::from_millis(20));
        assert_eq!(net.stats().delivered, 1);
    }

    #[test]
    fn private_addresses_and_unknown_senders_go_nowhere() {
        let (mut net, _, _) = two_nats(
            NatKind::FullCone,
            NatKind::FullCone,
            LinkConfig::default(),
            1,
        );
        let t0 = Instant::now();
        // A's datagram to B's private host address leaves A's NAT and is lost
        // on the Internet.
        net.send(t0, datagram(A, B, b"x"));
        net.send(t0, datagram("10.9.9.9:1", B, b"x"));
        assert!(drain(&mut net, t0 + Duration::from_secs(1)).is_empty());
        let stats = net.stats();
        assert_eq!((stats.unroutable, stats.unknown_source), (1, 1));
    }

    #[test]
    fn stun_server_reports_the_mapped_address() {
        for kind in NatKind::ALL {
            let (mut net, na, _) = two_nats(kind, NatKind::FullCone, LinkConfig::default(), 1);
            let t0 = Instant::now();
            let tid = TransactionId([7; 12]);
            let request =
                MessageBuilder::new(MessageType::new(Method::BINDING, Class::Request), tid)
                    .finish();
            net.send(
                t0,
                Datagram {
                    source: addr(A),
                    destination: addr(STUN),
                    contents: request.freeze(),
                },
            );
            let got = drain(&mut net, t0 + Duration::from_secs(1));
            assert_eq!(got.len(), 1, "{kind:?}");
            assert_eq!(got[0].at, t0 + Duration::from_millis(40), "one round trip");
            assert_eq!((got[0].source, got[0].destination), (addr(STUN), addr(A)));
            let response = Message::parse(&got[0].contents).unwrap();
            assert_eq!(response.transaction_id(), tid);
            let mapped = response.get::<XorMappedAddress>().unwrap().unwrap().0;
            assert_eq!(mapped, addr("203.0.113.1:40000"), "{kind:?}");
            assert_eq!(net.nat_mut(na).live_mappings(t0), 1);
            assert_eq!(net.stats().stun_answered, 1);
        }
    }

    /// Hole punching with raw datagrams, the way ICE does it: each side
    /// learns its reflexive address from the STUN server, sends to the
    /// other's reflexive address a few times, and answers the source of
    /// anything it receives (the peer-reflexive address). Whether both
    /// sides hear each other is the table ICE without relay must meet.
    #[test]
    fn hole_punching_table() {
        let can = |a: NatKind, b: NatKind| {
            use NatKind::*;
            !matches!(
                (a, b),
                (Symmetric, Symmetric) | (Symmetric, PortRestricted) | (PortRestricted, Symmetric)
            )
        };
        for a in NatKind::ALL {
            for b in NatKind::ALL {
                let (mut net, _, _) = two_nats(a, b, LinkConfig::default(), 3);
                let t0 = Instant::now();
                // Each side's first mapping is the one the STUN server
                // reports: A's is 203.0.113.1:40000, B's 198.51.100.1:40000.
                net.send(t0, datagram(A, STUN, b""));
                net.send(t0, datagram(B, STUN, b""));
                let mut heard = [false, false];
                let mut now = t0;
                for round in 0..5u64 {
                    now = t0 + Duration::from_millis(100 * round);
                    // B starts a little later, as signalling would make it.
                    net.send(now, datagram(A, "198.51.100.1:40000", b"check"));
                    if round > 0 {
                        net.send(now, datagram(B, "203.0.113.1:40000", b"check"));
                    }
                    for d in drain(&mut net, now + Duration::from_millis(99)) {
                        let (me, my_addr) = if d.destination == addr(A) {
                            (0, A)
                        } else {
                            (1, B)
                        };
                        heard[me] = true;
                        if &d.contents[..] == b"check" {
                            net.send(d.at, datagram(my_addr, &d.source.to_string(), b"reply"));
                        }
                    }
                }
                for d in drain(&mut net, now + Duration::from_secs(1)) {
                    heard[usize::from(d.destination == addr(B))] = true;
                }
                assert_eq!(
                    heard == [true, true],
                    can(a, b),
                    "{a:?} <-> {b:?}: heard {heard:?}"
                );
            }
        }
    }

    #[test]
    fn loss_drops_about_the_configured_share() {
        let link = LinkConfig {
            loss: 0.3,
            ..LinkConfig::default()
        };
        let (mut net, _, _) = two_nats(NatKind::FullCone, NatKind::FullCone, link, 9);
        let t0 = Instant::now();
        // Open B's mapping towards A, then 1000 datagrams from A.
        net.send(t0, datagram(B, "203.0.113.1:40000", b"open"));
        let t1 = t0 + Duration::from_millis(1);
        for _ in 0..1000 {
            net.send(t1, datagram(A, "198.51.100.1:40000", b"data"));
        }
        let got = drain(&mut net, t0 + Duration::from_secs(1))
            .into_iter()
            .filter(|d| d.destination == addr(B))
            .count();
        assert!(
            (630..770).contains(&got),
            "about 700 of 1000 arrive, got {got}"
        );
    }

    #[test]
    fn jitter_reorders_and_the_same_seed_gives_the_same_run() {
        let link = LinkConfig {
            latency: Duration::from_millis(20),
            jitter: Duration::from_millis(30),
            loss: 0.1,
        };
        let run = |seed: u64| {
            let mut net = Network::new(link, SeededRandom::new(seed));
            net.add_host(addr("203.0.113.1:5000"), None);
            net.add_host(addr("198.51.100.1:6000"), None);
            let t0 = Instant::now();
            for i in 0..100u8 {
                let d = Datagram {
                    source: addr("203.0.113.1:5000"),
                    destination: addr("198.51.100.1:6000"),
                    contents: Bytes::from(vec![i]),
                };
                net.send(t0 + Duration::from_millis(u64::from(i) * 5), d);
            }
            let got: Vec<(Duration, u8)> = drain(&mut net, t0 + Duration::from_secs(2))
                .into_iter()
                .map(|d| (d.at - t0, d.contents[0]))
                .collect();
            (got, net.stats())
        };
        let (first, stats) = run(5);
        assert!(stats.reordered > 0, "{stats:?}");
        assert!(
            first.windows(2).any(|w| w[0].1 > w[1].1),
            "some arrive out of order"
        );
        for (at, i) in &first {
            let sent = Duration::from_millis(u64::from(*i) * 5);
            assert!(*at >= sent + link.latency && *at < sent + link.latency + link.jitter);
        }
        assert_eq!(run(5), (first.clone(), stats));
        assert_ne!(run(6).0, first);
    }
}
