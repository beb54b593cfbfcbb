//! A NAT in the terms of RFC 4787 ("NAT Behavioral Requirements for
//! Unicast UDP"): a mapping behaviour (§4.1), a filtering behaviour (§5),
//! mapping refresh and timeout (§4.3), no hairpinning (§6), and a
//! deterministic choice of external ports.
//!
//! The four classic names of RFC 3489 §5 are combinations of the two
//! behaviours; [`NatKind`] gives them.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

/// Which external address an internal endpoint gets (RFC 4787 §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MappingBehaviour {
    /// One mapping per internal address and port, whatever the destination
    /// (RFC 4787 §4.1, "Endpoint-Independent Mapping").
    EndpointIndependent,
    /// One mapping per destination IP address ("Address-Dependent
    /// Mapping").
    AddressDependent,
    /// One mapping per destination IP address and port ("Address and
    /// Port-Dependent Mapping").
    AddressAndPortDependent,
}

/// Which inbound packets a mapping lets in (RFC 4787 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilteringBehaviour {
    /// Any source ("Endpoint-Independent Filtering").
    EndpointIndependent,
    /// A source whose IP address the mapping has sent to
    /// ("Address-Dependent Filtering").
    AddressDependent,
    /// A source whose IP address and port the mapping has sent to
    /// ("Address and Port-Dependent Filtering").
    AddressAndPortDependent,
}

/// The four NAT types of RFC 3489 §5, as RFC 4787 behaviours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum NatKind {
    /// Endpoint-independent mapping and filtering.
    FullCone,
    /// Endpoint-independent mapping, address-dependent filtering.
    AddressRestricted,
    /// Endpoint-independent mapping, address-and-port-dependent filtering.
    PortRestricted,
    /// Address-and-port-dependent mapping and filtering.
    Symmetric,
}

impl NatKind {
    /// Every kind, from the most open to the most closed.
    pub const ALL: [NatKind; 4] = [
        NatKind::FullCone,
        NatKind::AddressRestricted,
        NatKind::PortRestricted,
        NatKind::Symmetric,
    ];

    /// A short name for scenario lines.
    pub fn name(self) -> &'static str {
        match self {
            NatKind::FullCone => "full-cone",
            NatKind::AddressRestricted => "address-restricted",
            NatKind::PortRestricted => "port-restricted",
            NatKind::Symmetric => "symmetric",
        }
    }

    /// The mapping behaviour of this kind.
    pub fn mapping(self) -> MappingBehaviour {
        match self {
            NatKind::Symmetric => MappingBehaviour::AddressAndPortDependent,
            _ => MappingBehaviour::EndpointIndependent,
        }
    }

    /// The filtering behaviour of this kind.
    pub fn filtering(self) -> FilteringBehaviour {
        match self {
            NatKind::FullCone => FilteringBehaviour::EndpointIndependent,
            NatKind::AddressRestricted => FilteringBehaviour::AddressDependent,
            NatKind::PortRestricted | NatKind::Symmetric => {
                FilteringBehaviour::AddressAndPortDependent
            }
        }
    }
}

/// How a [`Nat`] behaves: [`NatConfig::of`] a [`NatKind`], then a setter
/// per field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct NatConfig {
    /// RFC 4787 §4.1.
    pub mapping: MappingBehaviour,
    /// RFC 4787 §5.
    pub filtering: FilteringBehaviour,
    /// A mapping is dropped after this long without outbound traffic
    /// (RFC 4787 §4.3: at least 2 minutes is REQ-5; shorter NATs exist,
    /// and a short one makes keepalives matter in a test).
    pub mapping_timeout: Duration,
    /// The first external port handed out; each new mapping takes the
    /// next one, and a port is never reused.
    pub first_port: u16,
}

impl NatConfig {
    /// The behaviours of `kind`, a 30 s idle timeout and ports from 40000.
    pub fn of(kind: NatKind) -> Self {
        NatConfig {
            mapping: kind.mapping(),
            filtering: kind.filtering(),
            mapping_timeout: Duration::from_secs(30),
            first_port: 40_000,
        }
    }

    /// Set [`NatConfig::mapping`].
    #[must_use]
    pub fn mapping(mut self, mapping: MappingBehaviour) -> Self {
        self.mapping = mapping;
        self
    }

    /// Set [`NatConfig::filtering`].
    #[must_use]
    pub fn filtering(mut self, filtering: FilteringBehaviour) -> Self {
        self.filtering = filtering;
        self
    }

    /// Set [`NatConfig::mapping_timeout`].
    #[must_use]
    pub fn mapping_timeout(mut self, timeout: Duration) -> Self {
        self.mapping_timeout = timeout;
        self
    }

    /// Set [`NatConfig::first_port`].
    #[must_use]
    pub fn first_port(mut self, port: u16) -> Self {
        self.first_port = port;
        self
    }
}

/// What one mapping is for: its internal endpoint and, for dependent
/// mapping, the destination it was made for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum MappingKey {
    Any,
    Ip(IpAddr),
    Endpoint(SocketAddr),
}

/// One live mapping.
#[derive(Debug, Clone)]
struct Mapping {
    internal: SocketAddr,
    key: MappingKey,
    last_outbound: Instant,
    /// Every destination this mapping has sent to (the filter's
    /// permissions; they live as long as the mapping).
    contacted: BTreeSet<SocketAddr>,
}

/// What happened to an inbound packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inbound {
    /// Let in, to this internal endpoint.
    Forward(SocketAddr),
    /// No live mapping on that external port: dropped.
    NoMapping,
    /// A mapping exists but its filter refused the source: dropped.
    Filtered,
}

/// A NAT with one public IP address.
#[derive(Debug, Clone)]
pub struct Nat {
    public_ip: IpAddr,
    config: NatConfig,
    /// Live mappings by external port.
    mappings: BTreeMap<u16, Mapping>,
    next_port: u16,
}

impl Nat {
    /// A NAT on `public_ip` with no mappings yet.
    pub fn new(public_ip: IpAddr, config: NatConfig) -> Self {
        Nat {
            public_ip,
            config,
            mappings: BTreeMap::new(),
            next_port: config.first_port,
        }
    }

    /// The public address.
    pub fn public_ip(&self) -> IpAddr {
        self.public_ip
    }

    /// A packet from `internal` to `destination` leaves at `now`: the
    /// external source address it gets, creating or refreshing the
    /// mapping, or `None` if it is dropped (a destination on the NAT's own
    /// public address: no hairpinning, RFC 4787 §6).
    pub fn outbound(
        &mut self,
        now: Instant,
        internal: SocketAddr,
        destination: SocketAddr,
    ) -> Option<SocketAddr> {
        if destination.ip() == self.public_ip {
            return None;
        }
        self.expire(now);
        let key = match self.config.mapping {
            MappingBehaviour::EndpointIndependent => MappingKey::Any,
            MappingBehaviour::AddressDependent => MappingKey::Ip(destination.ip()),
            MappingBehaviour::AddressAndPortDependent => MappingKey::Endpoint(destination),
        };
        let existing = self
            .mappings
            .iter()
            .find(|(_, m)| m.internal == internal && m.key == key)
            .map(|(port, _)| *port);
        let port = match existing {
            Some(port) => port,
            None => {
                let port = self.next_port;
                self.next_port = self
                    .next_port
                    .checked_add(1)
                    .expect("the simulation never runs out of NAT ports");
                self.mappings.insert(
                    port,
                    Mapping {
                        internal,
                        key,
                        last_outbound: now,
                        contacted: BTreeSet::new(),
                    },
                );
                port
            }
        };
        let mapping = self.mappings.get_mut(&port).expect("just found or made");
        // RFC 4787 REQ-6: outbound traffic refreshes the mapping.
        mapping.last_outbound = now;
        mapping.contacted.insert(destination);
        Some(SocketAddr::new(self.public_ip, port))
    }

    /// A packet from `source` reaches the public address at
    /// `external_port` at `now`. Inbound traffic does not refresh a
    /// mapping (RFC 4787 §4.3 leaves it optional).
    pub fn inbound(&mut self, now: Instant, source: SocketAddr, external_port: u16) -> Inbound {
        self.expire(now);
        let Some(mapping) = self.mappings.get(&external_port) else {
            return Inbound::NoMapping;
        };
        let allowed = match self.config.filtering {
            FilteringBehaviour::EndpointIndependent => true,
            FilteringBehaviour::AddressDependent => {
                mapping.contacted.iter().any(|d| d.ip() == source.ip())
            }
            FilteringBehaviour::AddressAndPortDependent => mapping.contacted.contains(&source),
        };
        if allowed {
            Inbound::Forward(mapping.internal)
        } else {
            Inbound::Filtered
        }
    }

    /// The number of live mappings at `now`.
    pub fn live_mappings(&mut self, now: Instant) -> usize {
        self.expire(now);
        self.mappings.len()
    }

    /// Drop the mappings idle for the timeout or longer.
    fn expire(&mut self, now: Instant) {
        let timeout = self.config.mapping_timeout;
        self.mappings
            .retain(|_, m| now.saturating_duration_since(m.last_outbound) < timeout);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    const INSIDE: &str = "10.0.1.2:5000";
    const PEER: &str = "198.51.100.1:7000";
    const PEER_OTHER_PORT: &str = "198.51.100.1:7001";
    const STRANGER: &str = "192.0.2.99:7000";

    fn nat(kind: NatKind) -> Nat {
        Nat::new("203.0.113.1".parse().unwrap(), NatConfig::of(kind))
    }

    #[test]
    fn endpoint_independent_mapping_keeps_one_port() {
        for kind in [
            NatKind::FullCone,
            NatKind::AddressRestricted,
            NatKind::PortRestricted,
        ] {
            let mut n = nat(kind);
            let t = Instant::now();
            let a = n.outbound(t, addr(INSIDE), addr(PEER)).unwrap();
            let b = n.outbound(t, addr(INSIDE), addr(STRANGER)).unwrap();
            let c = n.outbound(t, addr(INSIDE), addr(PEER_OTHER_PORT)).unwrap();
            assert_eq!(a, addr("203.0.113.1:40000"), "{kind:?}");
            assert_eq!((a, a), (b, c), "{kind:?}");
            // A second internal endpoint gets the next port.
            let d = n.outbound(t, addr("10.0.1.3:5000"), addr(PEER)).unwrap();
            assert_eq!(d, addr("203.0.113.1:40001"), "{kind:?}");
            assert_eq!(n.live_mappings(t), 2);
        }
    }

    #[test]
    fn symmetric_mapping_takes_a_port_per_destination() {
        let mut n = nat(NatKind::Symmetric);
        let t = Instant::now();
        let a = n.outbound(t, addr(INSIDE), addr(PEER)).unwrap();
        let b = n.outbound(t, addr(INSIDE), addr(PEER_OTHER_PORT)).unwrap();
        let c = n.outbound(t, addr(INSIDE), addr(STRANGER)).unwrap();
        let again = n.outbound(t, addr(INSIDE), addr(PEER)).unwrap();
        assert_eq!(a.port(), 40_000);
        assert_eq!(b.port(), 40_001);
        assert_eq!(c.port(), 40_002);
        assert_eq!(again, a);
    }

    #[test]
    fn address_dependent_mapping_shares_a_port_per_destination_ip() {
        let mut config = NatConfig::of(NatKind::PortRestricted);
        config.mapping = MappingBehaviour::AddressDependent;
        let mut n = Nat::new("203.0.113.1".parse().unwrap(), config);
        let t = Instant::now();
        let a = n.outbound(t, addr(INSIDE), addr(PEER)).unwrap();
        let b = n.outbound(t, addr(INSIDE), addr(PEER_OTHER_PORT)).unwrap();
        let c = n.outbound(t, addr(INSIDE), addr(STRANGER)).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    /// Who may answer after INSIDE sent to PEER: (kind, from PEER, from
    /// PEER's other port, from a stranger).
    #[test]
    fn filtering_of_each_kind() {
        let table = [
            (NatKind::FullCone, true, true, true),
            (NatKind::AddressRestricted, true, true, false),
            (NatKind::PortRestricted, true, false, false),
            (NatKind::Symmetric, true, false, false),
        ];
        for (kind, peer, other_port, stranger) in table {
            let mut n = nat(kind);
            let t = Instant::now();
            let ext = n.outbound(t, addr(INSIDE), addr(PEER)).unwrap();
            let want = |ok: bool| {
                if ok {
                    Inbound::Forward(addr(INSIDE))
                } else {
                    Inbound::Filtered
                }
            };
            assert_eq!(
                n.inbound(t, addr(PEER), ext.port()),
                want(peer),
                "{kind:?} peer"
            );
            assert_eq!(
                n.inbound(t, addr(PEER_OTHER_PORT), ext.port()),
                want(other_port),
                "{kind:?} other port"
            );
            assert_eq!(
                n.inbound(t, addr(STRANGER), ext.port()),
                want(stranger),
                "{kind:?} stranger"
            );
            // Nothing comes in on a port that has no mapping.
            assert_eq!(
                n.inbound(t, addr(PEER), ext.port() + 1),
                Inbound::NoMapping,
                "{kind:?}"
            );
        }
    }

    #[test]
    fn symmetric_filter_is_per_mapping() {
        // INSIDE sent to PEER on one port and STRANGER on another: the
        // stranger may not answer on the port made for PEER.
        let mut n = nat(NatKind::Symmetric);
        let t = Instant::now();
        let to_peer = n.outbound(t, addr(INSIDE), addr(PEER)).unwrap();
        let to_stranger = n.outbound(t, addr(INSIDE), addr(STRANGER)).unwrap();
        assert_eq!(
            n.inbound(t, addr(STRANGER), to_peer.port()),
            Inbound::Filtered
        );
        assert_eq!(
            n.inbound(t, addr(STRANGER), to_stranger.port()),
            Inbound::Forward(addr(INSIDE))
        );
    }

    #[test]
    fn mappings_time_out_unless_refreshed_by_outbound_traffic() {
        let mut n = nat(NatKind::FullCone);
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let ext = n.outbound(t0, addr(INSIDE), addr(PEER)).unwrap();
        // Inbound traffic does not refresh.
        assert_eq!(
            n.inbound(t0 + s(20), addr(PEER), ext.port()),
            Inbound::Forward(addr(INSIDE))
        );
        assert_eq!(
            n.inbound(t0 + s(30), addr(PEER), ext.port()),
            Inbound::NoMapping
        );
        assert_eq!(n.live_mappings(t0 + s(30)), 0);
        // A new mapping gets a new port, and outbound traffic keeps it.
        let t1 = t0 + s(31);
        let ext2 = n.outbound(t1, addr(INSIDE), addr(PEER)).unwrap();
        assert_eq!(ext2.port(), ext.port() + 1);
        for k in 1..=5 {
            assert_eq!(
                n.outbound(t1 + s(25 * k), addr(INSIDE), addr(STRANGER)),
                Some(ext2)
            );
        }
        let last = t1 + s(125);
        assert_eq!(
            n.inbound(last + s(29), addr(PEER), ext2.port()),
            Inbound::Forward(addr(INSIDE))
        );
        assert_eq!(
            n.inbound(last + s(30), addr(PEER), ext2.port()),
            Inbound::NoMapping
        );
    }

    #[test]
    fn no_hairpinning() {
        let mut n = nat(NatKind::FullCone);
        let t = Instant::now();
        let ext = n.outbound(t, addr(INSIDE), addr(PEER)).unwrap();
        assert_eq!(n.outbound(t, addr("10.0.1.3:5000"), ext), None);
        assert_eq!(n.live_mappings(t), 1);
    }
}
