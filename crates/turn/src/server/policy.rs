//! The peer-address policy (RFC 8656 §21.1): which addresses a client may
//! relay to and from.

use std::net::{IpAddr, Ipv4Addr};

use super::PeerPolicy;

/// What the policy says about one peer IP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verdict {
    /// Relay to and from it.
    Allowed,
    /// One of the server's own addresses: only its relayed addresses may
    /// be reached there (a relay-to-relay hop through this server).
    ServerOwn,
    /// Refused, with the rule that refused it.
    Refused(&'static str),
}

impl PeerPolicy {
    /// The verdict on `ip`, after unmapping IPv4 embedded in IPv6.
    pub(super) fn verdict(&self, ip: IpAddr) -> Verdict {
        let ip = canonical(ip);
        if self.deny.iter().any(|d| canonical(*d) == ip) {
            return Verdict::Refused("the address is denied by the server's policy");
        }
        if let Some(rule) = never_allowed(ip) {
            return Verdict::Refused(rule);
        }
        if self.allow.iter().any(|a| canonical(*a) == ip) {
            return Verdict::Allowed;
        }
        let loopback = ip.is_loopback();
        if loopback && self.allow_loopback {
            return Verdict::Allowed;
        }
        if self.server_addresses.iter().any(|s| canonical(*s) == ip) {
            return Verdict::ServerOwn;
        }
        if loopback {
            return Verdict::Refused("loopback peers are not allowed");
        }
        if is_private(ip) && !self.allow_private {
            return Verdict::Refused("private-network peers are not allowed");
        }
        if is_link_local(ip) && !self.allow_link_local {
            return Verdict::Refused("link-local peers are not allowed");
        }
        Verdict::Allowed
    }
}

/// `ip` with any IPv4 address embedded in an IPv6 one taken out: mapped
/// (`::ffff:a.b.c.d`), compatible (`::a.b.c.d`), NAT64 (`64:ff9b::/96`,
/// RFC 6052) and 6to4 (`2002::/16`, RFC 3056). These are the forms that
/// let a loopback or private IPv4 peer through an IPv6-only check.
pub(super) fn canonical(ip: IpAddr) -> IpAddr {
    let IpAddr::V6(v6) = ip else { return ip };
    if v6.is_loopback() || v6.is_unspecified() {
        return ip;
    }
    if let Some(v4) = v6.to_ipv4_mapped() {
        return IpAddr::V4(v4);
    }
    let s = v6.segments();
    let low = |a: u16, b: u16| {
        IpAddr::V4(Ipv4Addr::new(
            (a >> 8) as u8,
            a as u8,
            (b >> 8) as u8,
            b as u8,
        ))
    };
    if s[..6] == [0; 6] {
        return low(s[6], s[7]);
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return low(s[6], s[7]);
    }
    if s[0] == 0x2002 {
        return low(s[1], s[2]);
    }
    ip
}

/// Addresses no policy allows: unspecified, "this network", multicast,
/// broadcast and reserved.
fn never_allowed(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => {
            if v4.is_unspecified() || v4.octets()[0] == 0 {
                Some("unspecified or \"this network\" peer (RFC 6890)")
            } else if v4.is_multicast() {
                Some("multicast peer")
            } else if v4.is_broadcast() || v4.octets()[0] >= 240 {
                Some("broadcast or reserved peer (RFC 6890)")
            } else {
                None
            }
        }
        IpAddr::V6(v6) => {
            if v6.is_unspecified() {
                Some("unspecified peer")
            } else if v6.is_multicast() {
                Some("multicast peer")
            } else {
                None
            }
        }
    }
}

/// 10/8, 172.16/12, 192.168/16, 100.64/10 (shared address space), and
/// fc00::/7 and the deprecated site-local fec0::/10.
fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_private() || (a == 100 && (64..128).contains(&b))
        }
        IpAddr::V6(v6) => {
            let s0 = v6.segments()[0];
            (s0 & 0xfe00) == 0xfc00 || (s0 & 0xffc0) == 0xfec0
        }
    }
}

/// 169.254/16 and fe80::/10.
fn is_link_local(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_link_local(),
        IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) == 0xfe80,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_defaults_refuse_every_bypass_of_coturns_cves() {
        let policy = PeerPolicy::default();
        for refused in [
            "0.0.0.0",
            "0.1.2.3",
            "127.0.0.1",
            "127.9.9.9",
            "::1",
            "::",
            "::ffff:127.0.0.1",
            "::ffff:0.0.0.0",
            "::127.0.0.1",
            "64:ff9b::7f00:1",
            "2002:7f00:1::",
            "10.0.0.1",
            "172.16.0.1",
            "192.168.1.1",
            "100.64.0.1",
            "fc00::1",
            "fd12::1",
            "169.254.1.1",
            "fe80::1",
            "224.0.0.1",
            "ff02::1",
            "255.255.255.255",
            "240.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
        ] {
            assert!(
                matches!(policy.verdict(ip(refused)), Verdict::Refused(_)),
                "{refused} must be refused"
            );
        }
        for allowed in ["8.8.8.8", "2001:db8::1", "::ffff:8.8.8.8", "198.51.100.7"] {
            assert_eq!(policy.verdict(ip(allowed)), Verdict::Allowed, "{allowed}");
        }
    }

    #[test]
    fn switches_open_their_class_only() {
        let policy = PeerPolicy::default().allow_loopback(true);
        assert_eq!(policy.verdict(ip("127.0.0.1")), Verdict::Allowed);
        assert_eq!(policy.verdict(ip("::ffff:127.0.0.1")), Verdict::Allowed);
        assert!(matches!(
            policy.verdict(ip("10.0.0.1")),
            Verdict::Refused(_)
        ));
        assert!(matches!(policy.verdict(ip("0.0.0.0")), Verdict::Refused(_)));
        let policy = PeerPolicy::default()
            .allow_private(true)
            .allow_link_local(true);
        assert_eq!(policy.verdict(ip("10.0.0.1")), Verdict::Allowed);
        assert_eq!(policy.verdict(ip("fe80::1")), Verdict::Allowed);
        assert!(matches!(
            policy.verdict(ip("127.0.0.1")),
            Verdict::Refused(_)
        ));
    }

    #[test]
    fn lists_and_server_addresses() {
        let policy = PeerPolicy::default()
            .server_addresses(vec![ip("203.0.113.1")])
            .allow(vec![ip("10.1.1.1"), ip("224.0.0.1")])
            .deny(vec![ip("8.8.4.4")]);
        assert_eq!(policy.verdict(ip("203.0.113.1")), Verdict::ServerOwn);
        assert_eq!(policy.verdict(ip("::ffff:203.0.113.1")), Verdict::ServerOwn);
        assert_eq!(policy.verdict(ip("10.1.1.1")), Verdict::Allowed);
        assert!(matches!(
            policy.verdict(ip("224.0.0.1")),
            Verdict::Refused(_)
        ));
        assert!(matches!(
            policy.verdict(ip("::ffff:8.8.4.4")),
            Verdict::Refused(_)
        ));
    }
}
