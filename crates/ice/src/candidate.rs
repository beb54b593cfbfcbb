//! ICE candidates (RFC 8445 §5.1, RFC 8839 §5.1): the type, its SDP
//! grammar, priority and foundation.
//!
//! Reading keeps how each token was spelled (`UDP` or `udp`, `TYP`,
//! leading zeros in numbers, an IPv6 address not in its shortest form,
//! where `tcptype` came among the extensions), so a parsed candidate
//! writes back byte for byte. Values built in code, or fields changed
//! after parsing, are written in rtw's form: lowercase `udp`/`tcp` (as
//! browsers write in `RTCIceCandidate.candidate`), lowercase keywords,
//! numbers without leading zeros, IP addresses as `std` displays them and
//! `tcptype` first among the extensions.

mod error;
mod parse;

use std::fmt;
use std::hash::{Hash, Hasher};
use std::net::{IpAddr, SocketAddr};

pub use error::CandidateError;

use crate::{Limits, foundation, priority};

/// The type of a candidate (RFC 8445 §5.1.1, `cand-type` of RFC 8839 §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CandidateKind {
    /// `host`: an address on a local interface.
    Host,
    /// `srflx`: the address a STUN server saw (the outside of a NAT).
    ServerReflexive,
    /// `prflx`: an address learnt from a connectivity check.
    PeerReflexive,
    /// `relay`: an address on a TURN server.
    Relayed,
}

impl CandidateKind {
    /// The `cand-type` token (RFC 8839 §5.1): `host`, `srflx`, `prflx` or
    /// `relay`.
    pub const fn as_str(self) -> &'static str {
        match self {
            CandidateKind::Host => "host",
            CandidateKind::ServerReflexive => "srflx",
            CandidateKind::PeerReflexive => "prflx",
            CandidateKind::Relayed => "relay",
        }
    }

    /// The type for a `cand-type` token, compared case-insensitively as
    /// ABNF strings are (RFC 5234 §2.3); `None` for extension types.
    pub fn from_token(token: &str) -> Option<Self> {
        [
            CandidateKind::Host,
            CandidateKind::ServerReflexive,
            CandidateKind::PeerReflexive,
            CandidateKind::Relayed,
        ]
        .into_iter()
        .find(|k| k.as_str().eq_ignore_ascii_case(token))
    }
}

impl fmt::Display for CandidateKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `tcptype` of a TCP candidate (RFC 6544 §4.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TcpType {
    /// `active`: opens connections.
    Active,
    /// `passive`: accepts connections.
    Passive,
    /// `so`: simultaneous open.
    SimultaneousOpen,
}

impl TcpType {
    /// The token: `active`, `passive` or `so` (RFC 6544 §4.5).
    pub const fn as_str(self) -> &'static str {
        match self {
            TcpType::Active => "active",
            TcpType::Passive => "passive",
            TcpType::SimultaneousOpen => "so",
        }
    }

    /// The type for a token, compared case-insensitively.
    pub fn from_token(token: &str) -> Option<Self> {
        [TcpType::Active, TcpType::Passive, TcpType::SimultaneousOpen]
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(token))
    }
}

/// The transport of a candidate (`transport` of RFC 8839 §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CandidateTransport {
    /// UDP.
    Udp,
    /// TCP (RFC 6544), with its tcptype once known.
    Tcp(Option<TcpType>),
}

/// `connection-address` (RFC 8839 §5.1): an IP address, or a fully
/// qualified domain name such as an mDNS `.local` name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ConnectionAddress {
    /// An IPv4 or IPv6 address.
    Ip(IpAddr),
    /// A name to resolve, e.g. `1f4712db-ea17-4bcf-a596-105139dfd8bf.local`.
    Fqdn(String),
}

impl ConnectionAddress {
    /// The IP address, `None` for a name.
    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            ConnectionAddress::Ip(ip) => Some(*ip),
            ConnectionAddress::Fqdn(_) => None,
        }
    }

    /// Whether this is a multicast DNS name (ends in `.local`, RFC 6762
    /// §3), as browsers use to hide host addresses.
    pub fn is_mdns(&self) -> bool {
        match self {
            ConnectionAddress::Ip(_) => false,
            ConnectionAddress::Fqdn(name) => {
                let name = name.strip_suffix('.').unwrap_or(name);
                name.len() > 6 && name.as_bytes()[name.len() - 6..].eq_ignore_ascii_case(b".local")
            }
        }
    }
}

impl fmt::Display for ConnectionAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectionAddress::Ip(ip) => ip.fmt(f),
            ConnectionAddress::Fqdn(name) => f.write_str(name),
        }
    }
}

impl From<IpAddr> for ConnectionAddress {
    fn from(ip: IpAddr) -> Self {
        ConnectionAddress::Ip(ip)
    }
}

/// An ICE candidate (RFC 8445 §5.1): `a=candidate:<foundation>
/// <component-id> <transport> <priority> <connection-address> <port> typ
/// <cand-type> [raddr <addr>] [rport <port>] *(<ext-name> <ext-value>)`
/// (RFC 8839 §5.1).
///
/// Read with [`Candidate::parse`] (or `str::parse`), written with
/// `Display` (the value after `a=candidate:`), [`to_sdp_line`] or
/// [`to_json_candidate`]. A parsed candidate writes back exactly as it
/// was read.
///
/// Equality and hashing compare the fields only, not how the tokens were
/// spelled: `udp` and `UDP` candidates that agree otherwise are equal.
///
/// ```
/// use rtw_ice::{Candidate, CandidateKind};
/// let line = "a=candidate:1 1 UDP 2130706431 203.0.113.141 8998 typ host";
/// let c = Candidate::parse(line)?;
/// assert_eq!(c.kind, CandidateKind::Host);
/// assert_eq!(c.socket_addr(), Some("203.0.113.141:8998".parse()?));
/// assert_eq!(c.to_sdp_line(), line);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// [`to_sdp_line`]: Candidate::to_sdp_line
/// [`to_json_candidate`]: Candidate::to_json_candidate
#[derive(Debug, Clone)]
pub struct Candidate {
    /// 1 to 32 ice-chars; equal for candidates of the same type, base IP,
    /// server and transport (RFC 8445 §5.1.1.3).
    pub foundation: String,
    /// 1 for RTP, 2 for RTCP (1 to 256).
    pub component: u16,
    /// UDP or TCP.
    pub transport: CandidateTransport,
    /// RFC 8445 §5.1.2.
    pub priority: u32,
    /// Where the candidate is.
    pub address: ConnectionAddress,
    /// The port.
    pub port: u16,
    /// host, srflx, prflx or relay.
    pub kind: CandidateKind,
    /// `raddr`: the related address (the base of a srflx, the mapped
    /// address of a relay).
    pub related_address: Option<ConnectionAddress>,
    /// `rport`.
    pub related_port: Option<u16>,
    /// Extension attributes after the fixed fields, in order, e.g.
    /// `generation 0`, `ufrag EsAw`, `network-id 1`, `network-cost 10`
    /// (unknown ones kept). The `tcptype` of a TCP candidate is not here
    /// but in [`transport`](Candidate::transport).
    pub extensions: Vec<(String, String)>,
    /// How the tokens were written, for a byte-exact round trip.
    spelling: Spelling,
}

/// Tokens written differently from rtw's own form, and where `tcptype`
/// came. Empty for candidates built in code and for most parsed ones.
#[derive(Debug, Clone, Default)]
struct Spelling {
    tokens: Vec<(Slot, Box<str>)>,
    /// Index among `extensions` before which `tcptype` was written.
    tcptype_at: Option<usize>,
}

/// A token whose spelling is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Component,
    Transport,
    Priority,
    Address,
    Port,
    Typ,
    Kind,
    Raddr,
    RelatedAddress,
    Rport,
    RelatedPort,
    TcpTypeName,
    TcpTypeValue,
}

impl PartialEq for Candidate {
    fn eq(&self, other: &Self) -> bool {
        self.foundation == other.foundation
            && self.component == other.component
            && self.transport == other.transport
            && self.priority == other.priority
            && self.address == other.address
            && self.port == other.port
            && self.kind == other.kind
            && self.related_address == other.related_address
            && self.related_port == other.related_port
            && self.extensions == other.extensions
    }
}

impl Eq for Candidate {}

impl Hash for Candidate {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.foundation.hash(state);
        self.component.hash(state);
        self.transport.hash(state);
        self.priority.hash(state);
        self.address.hash(state);
        self.port.hash(state);
        self.kind.hash(state);
        self.related_address.hash(state);
        self.related_port.hash(state);
        self.extensions.hash(state);
    }
}

impl Candidate {
    /// A candidate with these fields, no related address and no
    /// extensions.
    #[allow(clippy::too_many_arguments)]
    fn with(
        foundation: String,
        component: u16,
        transport: CandidateTransport,
        priority: u32,
        addr: SocketAddr,
        kind: CandidateKind,
        related: Option<SocketAddr>,
    ) -> Self {
        Candidate {
            foundation,
            component,
            transport,
            priority,
            address: ConnectionAddress::Ip(addr.ip()),
            port: addr.port(),
            kind,
            related_address: related.map(|r| ConnectionAddress::Ip(r.ip())),
            related_port: related.map(|r| r.port()),
            extensions: Vec::new(),
            spelling: Spelling::default(),
        }
    }

    /// A host candidate on local address `addr` (RFC 8445 §5.1.1.1): its
    /// own base, priority from type preference 126 and
    /// `local_preference` (65535 on a single-homed host, RFC 8445
    /// §5.1.2.1), foundation from its type, address and transport.
    pub fn host(
        addr: SocketAddr,
        component: u16,
        local_preference: u16,
        transport: CandidateTransport,
    ) -> Self {
        let kind = CandidateKind::Host;
        Candidate::with(
            foundation(kind, addr.ip(), None, transport),
            component,
            transport,
            priority(kind, local_preference, component),
            addr,
            kind,
            None,
        )
    }

    /// A server-reflexive candidate (RFC 8445 §5.1.1.2): `mapped` is the
    /// address the STUN `server` saw for requests sent from `base`. UDP;
    /// the related address is the base (RFC 8839 §5.1).
    pub fn server_reflexive(
        mapped: SocketAddr,
        base: SocketAddr,
        server: SocketAddr,
        component: u16,
        local_preference: u16,
    ) -> Self {
        let kind = CandidateKind::ServerReflexive;
        let transport = CandidateTransport::Udp;
        Candidate::with(
            foundation(kind, base.ip(), Some(server.ip()), transport),
            component,
            transport,
            priority(kind, local_preference, component),
            mapped,
            kind,
            Some(base),
        )
    }

    /// A local peer-reflexive candidate (RFC 8445 §7.2.5.3.1): `addr` is
    /// the XOR-MAPPED-ADDRESS of a check sent from `base`, `priority` the
    /// PRIORITY the check carried. UDP; the related address is the base.
    ///
    /// For a remote peer-reflexive candidate (RFC 8445 §7.3.1.3), pass the
    /// check's source address as both `addr` and `base`: the foundation,
    /// which the RFC only asks to differ from those of the other remote
    /// candidates, then follows from that address.
    pub fn peer_reflexive(
        addr: SocketAddr,
        base: SocketAddr,
        component: u16,
        priority: u32,
    ) -> Self {
        let kind = CandidateKind::PeerReflexive;
        let transport = CandidateTransport::Udp;
        Candidate::with(
            foundation(kind, base.ip(), None, transport),
            component,
            transport,
            priority,
            addr,
            kind,
            Some(base),
        )
    }

    /// A relayed candidate (RFC 8445 §5.1.1.2): `relayed` is the
    /// XOR-RELAYED-ADDRESS the TURN `server` allocated, `mapped` the
    /// XOR-MAPPED-ADDRESS it reported. UDP; the related address is the
    /// mapped address (RFC 8839 §5.1). A relayed candidate is its own
    /// base, so the foundation is computed from `relayed`'s IP and the
    /// server's.
    pub fn relayed(
        relayed: SocketAddr,
        mapped: SocketAddr,
        server: SocketAddr,
        component: u16,
        local_preference: u16,
    ) -> Self {
        let kind = CandidateKind::Relayed;
        let transport = CandidateTransport::Udp;
        Candidate::with(
            foundation(kind, relayed.ip(), Some(server.ip()), transport),
            component,
            transport,
            priority(kind, local_preference, component),
            relayed,
            kind,
            Some(mapped),
        )
    }

    /// Read a candidate: `a=candidate:<value>`, `candidate:<value>` (the
    /// form of `RTCIceCandidate.candidate`) or the bare value, with the
    /// default [`Limits`]. No line ending is allowed.
    pub fn parse(s: &str) -> Result<Self, CandidateError> {
        parse::parse(s, &Limits::default())
    }

    /// [`Candidate::parse`] with explicit limits.
    pub fn parse_with_limits(s: &str, limits: &Limits) -> Result<Self, CandidateError> {
        parse::parse(s, limits)
    }

    /// The whole SDP line, `a=candidate:<value>` (no line ending).
    pub fn to_sdp_line(&self) -> String {
        format!("a=candidate:{self}")
    }

    /// The form of `RTCIceCandidate.candidate` in JavaScript and of
    /// trickled candidates (RFC 8840 §4.2): `candidate:<value>`.
    pub fn to_json_candidate(&self) -> String {
        format!("candidate:{self}")
    }

    /// The address and port; `None` when the address is a name.
    pub fn socket_addr(&self) -> Option<SocketAddr> {
        self.address.ip().map(|ip| SocketAddr::new(ip, self.port))
    }

    /// The related address and port, when both are present and the
    /// address is an IP address.
    pub fn related_socket_addr(&self) -> Option<SocketAddr> {
        let ip = self.related_address.as_ref()?.ip()?;
        Some(SocketAddr::new(ip, self.related_port?))
    }

    /// The value of the first extension attribute called `name` (compared
    /// exactly).
    pub fn extension(&self, name: &str) -> Option<&str> {
        self.extensions
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// `generation`: which ICE generation (restart) the candidate belongs
    /// to, as libwebrtc writes it; `None` when absent or not a number.
    pub fn generation(&self) -> Option<u32> {
        self.number("generation")
    }

    /// `ufrag`: the username fragment of the ICE session the candidate
    /// belongs to (libwebrtc).
    pub fn ufrag(&self) -> Option<&str> {
        self.extension("ufrag")
    }

    /// `network-id`: the local network the candidate was gathered on
    /// (libwebrtc); `None` when absent or not a number.
    pub fn network_id(&self) -> Option<u16> {
        self.number("network-id")
    }

    /// `network-cost`: libwebrtc's cost of the network (10 for
    /// Ethernet/Wi-Fi, 999 unknown, 900 cellular); `None` when absent or
    /// not a number.
    pub fn network_cost(&self) -> Option<u16> {
        self.number("network-cost")
    }

    /// The `tcptype` of a TCP candidate (RFC 6544 §4.5).
    pub fn tcp_type(&self) -> Option<TcpType> {
        match self.transport {
            CandidateTransport::Udp => None,
            CandidateTransport::Tcp(t) => t,
        }
    }

    fn number<T: std::str::FromStr>(&self, name: &str) -> Option<T> {
        let v = self.extension(name)?;
        if v.bytes().all(|b| b.is_ascii_digit()) {
            v.parse().ok()
        } else {
            None
        }
    }

    /// The token to write for `slot`: as it was read when that still
    /// means the current value, otherwise `canonical`.
    fn spelled<'a>(&'a self, slot: Slot, canonical: &'a str) -> &'a str {
        for (s, token) in &self.spelling.tokens {
            if *s == slot && parse::same_meaning(self, slot, token) {
                return token;
            }
        }
        canonical
    }
}

impl std::str::FromStr for Candidate {
    type Err = CandidateError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Candidate::parse(s)
    }
}

impl fmt::Display for Candidate {
    /// The value of the attribute: what follows `a=candidate:`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let num = |n: u32| n.to_string();
        let transport = match self.transport {
            CandidateTransport::Udp => "udp",
            CandidateTransport::Tcp(_) => "tcp",
        };
        write!(
            f,
            "{} {} {} {} {} {} {} {}",
            self.foundation,
            self.spelled(Slot::Component, &num(self.component.into())),
            self.spelled(Slot::Transport, transport),
            self.spelled(Slot::Priority, &num(self.priority)),
            self.spelled(Slot::Address, &self.address.to_string()),
            self.spelled(Slot::Port, &num(self.port.into())),
            self.spelled(Slot::Typ, "typ"),
            self.spelled(Slot::Kind, self.kind.as_str()),
        )?;
        if let Some(a) = &self.related_address {
            write!(
                f,
                " {} {}",
                self.spelled(Slot::Raddr, "raddr"),
                self.spelled(Slot::RelatedAddress, &a.to_string())
            )?;
        }
        if let Some(p) = self.related_port {
            write!(
                f,
                " {} {}",
                self.spelled(Slot::Rport, "rport"),
                self.spelled(Slot::RelatedPort, &num(p.into()))
            )?;
        }
        let tcptype = self.tcp_type().map(|t| {
            let at = self.spelling.tcptype_at.unwrap_or(0);
            (at.min(self.extensions.len()), t)
        });
        for (i, (name, value)) in self.extensions.iter().enumerate() {
            if let Some((at, t)) = tcptype {
                if at == i {
                    write_tcptype(self, f, t)?;
                }
            }
            write!(f, " {name} {value}")?;
        }
        if let Some((at, t)) = tcptype {
            if at == self.extensions.len() {
                write_tcptype(self, f, t)?;
            }
        }
        Ok(())
    }
}

fn write_tcptype(c: &Candidate, f: &mut fmt::Formatter<'_>, t: TcpType) -> fmt::Result {
    write!(
        f,
        " {} {}",
        c.spelled(Slot::TcpTypeName, "tcptype"),
        c.spelled(Slot::TcpTypeValue, t.as_str())
    )
}

#[cfg(test)]
mod tests;
