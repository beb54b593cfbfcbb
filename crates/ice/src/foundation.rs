//! Which candidates are alike: foundations (RFC 8445 §5.1.1.3) and the
//! elimination of redundant candidates (RFC 8445 §5.1.3).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

use crate::{Candidate, CandidateKind, CandidateTransport};

/// The foundation of a local candidate (RFC 8445 §5.1.1.3): equal for two
/// candidates exactly when they have the same type, base IP address, IP
/// address of the STUN or TURN server they were learnt from (`None` for
/// host and peer-reflexive candidates) and transport protocol.
///
/// The value is the CRC-32 (IEEE 802.3 polynomial, as computed by
/// `crc32fast`) of a fixed byte encoding of those four things, written in
/// decimal: at most 10 digits, so always 1 to 32 ice-chars as RFC 8839
/// §5.1 requires. It depends on nothing but its arguments: the same on
/// every run, machine and Rust version (no `DefaultHasher`, no random
/// seed). IPv4-mapped IPv6 addresses count as their IPv4 address. The TCP
/// `tcptype` is not part of the transport protocol and does not change
/// the foundation.
///
/// Two different inputs can in principle share a CRC (1 in 2^32); the
/// RFC's "MUST be different" is then broken only for the freezing order
/// of checks (RFC 8445 §6.1.2.6), never for correctness of a check.
///
/// ```
/// use rtw_ice::{CandidateKind, CandidateTransport, foundation};
/// let base = "192.168.1.10".parse().unwrap();
/// let host = foundation(CandidateKind::Host, base, None, CandidateTransport::Udp);
/// assert_eq!(host, foundation(CandidateKind::Host, base, None, CandidateTransport::Udp));
/// assert!(host.len() <= 10 && host.bytes().all(|b| b.is_ascii_digit()));
/// let tcp = foundation(CandidateKind::Host, base, None, CandidateTransport::Tcp(None));
/// assert_ne!(host, tcp);
/// ```
pub fn foundation(
    kind: CandidateKind,
    base_ip: IpAddr,
    server: Option<IpAddr>,
    transport: CandidateTransport,
) -> String {
    // kind, base (family + octets), server (0 or family + octets),
    // transport: at most 1 + 17 + 17 + 1 bytes.
    let mut bytes = Vec::with_capacity(36);
    bytes.push(match kind {
        CandidateKind::Host => 1,
        CandidateKind::ServerReflexive => 2,
        CandidateKind::PeerReflexive => 3,
        CandidateKind::Relayed => 4,
    });
    push_ip(&mut bytes, base_ip);
    match server {
        None => bytes.push(0),
        Some(ip) => push_ip(&mut bytes, ip),
    }
    bytes.push(match transport {
        CandidateTransport::Udp => 17,
        CandidateTransport::Tcp(_) => 6,
    });
    crc32fast::hash(&bytes).to_string()
}

fn push_ip(bytes: &mut Vec<u8>, ip: IpAddr) {
    match ip.to_canonical() {
        IpAddr::V4(v4) => {
            bytes.push(4);
            bytes.extend_from_slice(&v4.octets());
        }
        IpAddr::V6(v6) => {
            bytes.push(6);
            bytes.extend_from_slice(&v6.octets());
        }
    }
}

/// Remove redundant candidates (RFC 8445 §5.1.3): of candidates with the
/// same transport address (transport protocol, address and port) and the
/// same base, keep only the one with the highest priority (the first of
/// them on a tie). The survivors keep their order. Each entry is a
/// candidate and its base (RFC 8445 §5.1.1: a host or relayed candidate
/// is its own base, a server-reflexive one has the host candidate it was
/// learnt through). Returns how many were removed.
///
/// ```
/// use rtw_ice::{Candidate, eliminate_redundant};
/// let base = "10.0.0.2:5000".parse().unwrap();
/// let host = Candidate::host(base, 1, 65535, rtw_ice::CandidateTransport::Udp);
/// // A STUN server on the same network reports the host address itself.
/// let srflx = Candidate::server_reflexive(base, base, "10.0.0.1:3478".parse().unwrap(), 1, 65535);
/// let mut list = vec![(srflx, base), (host.clone(), base)];
/// assert_eq!(eliminate_redundant(&mut list), 1);
/// assert_eq!(list, vec![(host, base)]);
/// ```
pub fn eliminate_redundant(candidates: &mut Vec<(Candidate, SocketAddr)>) -> usize {
    type Key<'a> = (bool, &'a crate::ConnectionAddress, u16, SocketAddr);
    let mut best: HashMap<Key<'_>, usize> = HashMap::new();
    for (i, (c, base)) in candidates.iter().enumerate() {
        let key = (
            matches!(c.transport, CandidateTransport::Udp),
            &c.address,
            c.port,
            *base,
        );
        best.entry(key)
            .and_modify(|b| {
                if c.priority > candidates[*b].0.priority {
                    *b = i;
                }
            })
            .or_insert(i);
    }
    let mut keep = vec![false; candidates.len()];
    for i in best.into_values() {
        keep[i] = true;
    }
    let before = candidates.len();
    let mut flags = keep.into_iter();
    candidates.retain(|_| flags.next().unwrap_or(false));
    before - candidates.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ConnectionAddress;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn stable_values() {
        // Fixed vectors: if these change, every deployed agent's
        // foundations change with them.
        let f = foundation(
            CandidateKind::Host,
            ip("192.168.1.10"),
            None,
            CandidateTransport::Udp,
        );
        assert_eq!(f, FOUNDATION_HOST_192_168_1_10_UDP);
        let s = foundation(
            CandidateKind::ServerReflexive,
            ip("192.168.1.10"),
            Some(ip("198.51.100.1")),
            CandidateTransport::Udp,
        );
        assert_eq!(s, FOUNDATION_SRFLX_192_168_1_10_VIA_198_51_100_1_UDP);
    }

    // CRC-32 of [1, 4, 192, 168, 1, 10, 0, 17] and of
    // [2, 4, 192, 168, 1, 10, 4, 198, 51, 100, 1, 17], checked with
    // Python's zlib.crc32.
    const FOUNDATION_HOST_192_168_1_10_UDP: &str = "3554931526";
    const FOUNDATION_SRFLX_192_168_1_10_VIA_198_51_100_1_UDP: &str = "1258365082";

    #[test]
    fn alike_exactly_when_the_four_inputs_match() {
        let base = ip("192.168.1.10");
        let server = Some(ip("198.51.100.1"));
        let udp = CandidateTransport::Udp;
        let f = |k, b, s, t| foundation(k, b, s, t);
        let reference = f(CandidateKind::ServerReflexive, base, server, udp);
        let variants = [
            f(CandidateKind::Host, base, server, udp),
            f(CandidateKind::PeerReflexive, base, server, udp),
            f(CandidateKind::Relayed, base, server, udp),
            f(
                CandidateKind::ServerReflexive,
                ip("192.168.1.11"),
                server,
                udp,
            ),
            f(
                CandidateKind::ServerReflexive,
                base,
                Some(ip("198.51.100.2")),
                udp,
            ),
            f(CandidateKind::ServerReflexive, base, None, udp),
            f(
                CandidateKind::ServerReflexive,
                base,
                server,
                CandidateTransport::Tcp(None),
            ),
            f(
                CandidateKind::ServerReflexive,
                ip("::ffff:192.168.1.11"),
                server,
                udp,
            ),
        ];
        for v in &variants {
            assert_ne!(*v, reference);
        }
        // The tcptype and the IPv4-mapped spelling do not matter.
        assert_eq!(
            f(
                CandidateKind::Host,
                base,
                None,
                CandidateTransport::Tcp(None)
            ),
            f(
                CandidateKind::Host,
                base,
                None,
                CandidateTransport::Tcp(Some(crate::TcpType::Passive))
            )
        );
        assert_eq!(
            f(CandidateKind::Host, base, None, udp),
            f(CandidateKind::Host, ip("::ffff:192.168.1.10"), None, udp)
        );
        for v in variants.iter().chain([&reference]) {
            assert!((1..=32).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_digit()));
        }
    }

    #[test]
    fn redundant_keeps_the_higher_priority_and_the_order() {
        let base: SocketAddr = "10.0.0.2:5000".parse().unwrap();
        let other: SocketAddr = "10.0.0.3:5000".parse().unwrap();
        let server: SocketAddr = "192.0.2.1:3478".parse().unwrap();
        let host = Candidate::host(base, 1, 65535, CandidateTransport::Udp);
        let host_tcp = Candidate::host(base, 1, 65535, CandidateTransport::Tcp(None));
        let srflx_same = Candidate::server_reflexive(base, base, server, 1, 65535);
        let srflx_out = Candidate::server_reflexive(
            "203.0.113.5:6000".parse().unwrap(),
            base,
            server,
            1,
            65535,
        );
        let host2 = Candidate::host(other, 1, 65534, CandidateTransport::Udp);
        // Same address as `host` but a different base: not redundant.
        let mut weird = Candidate::host(base, 1, 1, CandidateTransport::Udp);
        weird.address = ConnectionAddress::Ip(base.ip());
        let mut list = vec![
            (srflx_same, base),
            (host.clone(), base),
            (host_tcp.clone(), base),
            (srflx_out.clone(), base),
            (host2.clone(), other),
            (weird.clone(), other),
        ];
        assert_eq!(eliminate_redundant(&mut list), 1);
        let kept: Vec<_> = list.into_iter().map(|(c, _)| c).collect();
        assert_eq!(kept, vec![host, host_tcp, srflx_out, host2, weird]);
        // Equal priorities: the first stays.
        let a = Candidate::host(base, 1, 7, CandidateTransport::Udp);
        let mut b = a.clone();
        b.foundation = "other".into();
        let mut list = vec![(a.clone(), base), (b, base)];
        assert_eq!(eliminate_redundant(&mut list), 1);
        assert_eq!(list[0].0.foundation, a.foundation);
        let mut empty = Vec::new();
        assert_eq!(eliminate_redundant(&mut empty), 0);
    }
}
