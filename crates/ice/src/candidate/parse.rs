//! Reading the `candidate-attribute` grammar (RFC 8839 §5.1):
//!
//! ```text
//! candidate-attribute = "candidate" ":" foundation SP component-id SP
//!                       transport SP priority SP connection-address SP
//!                       port SP cand-type [SP rel-addr] [SP rel-port]
//!                       *(SP cand-extension)
//! ```
//!
//! ABNF strings (`typ`, `raddr`, `rport`, `UDP`, `host`, `tcptype`,
//! `active`, ...) are case-insensitive (RFC 5234 §2.3); the spelling read
//! is kept so the candidate writes back as read.

use std::net::IpAddr;

use super::{
    Candidate, CandidateError, CandidateKind, CandidateTransport, ConnectionAddress, Slot,
    Spelling, TcpType,
};
use crate::Limits;

/// The names of the fixed fields, for [`CandidateError::Missing`].
const FIELDS: [&str; 8] = [
    "foundation",
    "component-id",
    "transport",
    "priority",
    "connection-address",
    "port",
    "`typ`",
    "cand-type",
];

pub(super) fn parse(s: &str, limits: &Limits) -> Result<Candidate, CandidateError> {
    if s.len() > limits.max_candidate_len {
        return Err(CandidateError::TooLong {
            len: s.len(),
            limit: limits.max_candidate_len,
        });
    }
    let start = if s.starts_with("a=candidate:") {
        12
    } else if s.starts_with("candidate:") {
        10
    } else {
        0
    };
    if let Some((offset, &byte)) = s
        .as_bytes()
        .iter()
        .enumerate()
        .find(|&(_, &b)| !(b == b' ' || b.is_ascii_graphic()))
    {
        return Err(CandidateError::InvalidCharacter { offset, byte });
    }
    let value = &s[start..];
    if value.is_empty() {
        return Err(CandidateError::Missing(FIELDS[0]));
    }
    let mut tokens = Vec::with_capacity(16);
    let mut offset = start;
    for t in value.split(' ') {
        if t.is_empty() {
            return Err(CandidateError::Spacing { offset });
        }
        // Bound the work before it is done: 8 fixed, 4 related, 2 per
        // extension.
        if tokens.len() >= limits.max_extensions.saturating_mul(2).saturating_add(14) {
            return Err(CandidateError::TooManyExtensions {
                limit: limits.max_extensions,
            });
        }
        tokens.push(t);
        offset += t.len() + 1;
    }
    if tokens.len() < FIELDS.len() {
        return Err(CandidateError::Missing(FIELDS[tokens.len()]));
    }
    let mut spelling = Spelling::default();
    let mut keep = |slot: Slot, token: &str, canonical: &str| {
        if token != canonical {
            spelling.tokens.push((slot, token.into()));
        }
    };

    let foundation = tokens[0];
    if foundation.len() > 32 || !is_ice_chars(foundation) {
        return Err(CandidateError::Foundation);
    }
    let component = digits::<u16>(tokens[1], 3)
        .filter(|c| (1..=256).contains(c))
        .ok_or(CandidateError::Component)?;
    keep(Slot::Component, tokens[1], &component.to_string());
    let transport = parse_transport(tokens[2])
        .ok_or_else(|| CandidateError::UnsupportedTransport(tokens[2].to_owned()))?;
    keep(Slot::Transport, tokens[2], transport_canonical(transport));
    let priority = digits::<u32>(tokens[3], 10).ok_or(CandidateError::Priority)?;
    keep(Slot::Priority, tokens[3], &priority.to_string());
    let address = parse_address(tokens[4]).ok_or(CandidateError::Address {
        field: "connection-address",
    })?;
    keep(Slot::Address, tokens[4], &address.to_string());
    let port = digits::<u16>(tokens[5], 5).ok_or(CandidateError::Port { field: "port" })?;
    keep(Slot::Port, tokens[5], &port.to_string());
    if !tokens[6].eq_ignore_ascii_case("typ") {
        return Err(CandidateError::MissingTyp);
    }
    keep(Slot::Typ, tokens[6], "typ");
    let kind = CandidateKind::from_token(tokens[7])
        .ok_or_else(|| CandidateError::UnsupportedType(tokens[7].to_owned()))?;
    keep(Slot::Kind, tokens[7], kind.as_str());

    let mut rest = &tokens[8..];
    let (mut related_address, mut related_port) = (None, None);
    if let [raddr, value, tail @ ..] = rest {
        if raddr.eq_ignore_ascii_case("raddr") {
            let a = parse_address(value).ok_or(CandidateError::Address { field: "rel-addr" })?;
            keep(Slot::Raddr, raddr, "raddr");
            keep(Slot::RelatedAddress, value, &a.to_string());
            related_address = Some(a);
            rest = tail;
            let [rport, value, tail @ ..] = rest else {
                return Err(CandidateError::RaddrWithoutRport);
            };
            if !rport.eq_ignore_ascii_case("rport") {
                return Err(CandidateError::RaddrWithoutRport);
            }
            let p = digits::<u16>(value, 5).ok_or(CandidateError::Port { field: "rel-port" })?;
            keep(Slot::Rport, rport, "rport");
            keep(Slot::RelatedPort, value, &p.to_string());
            related_port = Some(p);
            rest = tail;
        }
    }
    match rest.first() {
        Some(t) if related_address.is_none() && t.eq_ignore_ascii_case("rport") => {
            return Err(CandidateError::RportWithoutRaddr);
        }
        Some(t) if related_address.is_none() && t.eq_ignore_ascii_case("raddr") => {
            return Err(CandidateError::RaddrWithoutRport);
        }
        _ => {}
    }
    if rest.len() % 2 != 0 {
        return Err(CandidateError::UnpairedExtension);
    }
    if rest.len() / 2 > limits.max_extensions {
        return Err(CandidateError::TooManyExtensions {
            limit: limits.max_extensions,
        });
    }
    let mut extensions = Vec::with_capacity(rest.len() / 2);
    let mut transport = transport;
    for pair in rest.chunks_exact(2) {
        let (name, value) = (pair[0], pair[1]);
        if !is_token(name) {
            return Err(CandidateError::ExtensionName(name.to_owned()));
        }
        if transport == CandidateTransport::Tcp(None)
            && spelling.tcptype_at.is_none()
            && name.eq_ignore_ascii_case("tcptype")
        {
            let t = TcpType::from_token(value)
                .ok_or_else(|| CandidateError::TcpType(value.to_owned()))?;
            transport = CandidateTransport::Tcp(Some(t));
            spelling.tcptype_at = Some(extensions.len());
            if name != "tcptype" {
                spelling.tokens.push((Slot::TcpTypeName, name.into()));
            }
            if value != t.as_str() {
                spelling.tokens.push((Slot::TcpTypeValue, value.into()));
            }
            continue;
        }
        extensions.push((name.to_owned(), value.to_owned()));
    }
    Ok(Candidate {
        foundation: foundation.to_owned(),
        component,
        transport,
        priority,
        address,
        port,
        kind,
        related_address,
        related_port,
        extensions,
        spelling,
    })
}

/// Whether `token`, as read for `slot`, still means what `c` holds there.
pub(super) fn same_meaning(c: &Candidate, slot: Slot, token: &str) -> bool {
    match slot {
        Slot::Component => digits::<u16>(token, 3) == Some(c.component),
        Slot::Transport => parse_transport(token).is_some_and(|t| {
            matches!(t, CandidateTransport::Udp) == matches!(c.transport, CandidateTransport::Udp)
        }),
        Slot::Priority => digits::<u32>(token, 10) == Some(c.priority),
        Slot::Address => parse_address(token).as_ref() == Some(&c.address),
        Slot::Port => digits::<u16>(token, 5) == Some(c.port),
        Slot::Typ => token.eq_ignore_ascii_case("typ"),
        Slot::Kind => CandidateKind::from_token(token) == Some(c.kind),
        Slot::Raddr => token.eq_ignore_ascii_case("raddr"),
        Slot::RelatedAddress => parse_address(token) == c.related_address,
        Slot::Rport => token.eq_ignore_ascii_case("rport"),
        Slot::RelatedPort => digits::<u16>(token, 5) == c.related_port,
        Slot::TcpTypeName => token.eq_ignore_ascii_case("tcptype"),
        Slot::TcpTypeValue => TcpType::from_token(token) == c.tcp_type(),
    }
}

fn parse_transport(token: &str) -> Option<CandidateTransport> {
    if token.eq_ignore_ascii_case("udp") {
        Some(CandidateTransport::Udp)
    } else if token.eq_ignore_ascii_case("tcp") {
        Some(CandidateTransport::Tcp(None))
    } else {
        None
    }
}

fn transport_canonical(t: CandidateTransport) -> &'static str {
    match t {
        CandidateTransport::Udp => "udp",
        CandidateTransport::Tcp(_) => "tcp",
    }
}

/// 1 to `max` decimal digits (leading zeros allowed) that fit `T`.
fn digits<T: std::str::FromStr>(s: &str, max: usize) -> Option<T> {
    if s.is_empty() || s.len() > max || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `connection-address`: an IPv4 or IPv6 address, otherwise an `FQDN`
/// (RFC 8866 §9: `4*(alpha-numeric / "-" / ".")`, at most 255 long as in
/// DNS).
fn parse_address(s: &str) -> Option<ConnectionAddress> {
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(ConnectionAddress::Ip(ip));
    }
    let fqdn = (4..=255).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    fqdn.then(|| ConnectionAddress::Fqdn(s.to_owned()))
}

/// `ice-char = ALPHA / DIGIT / "+" / "/"` (RFC 8839 §5.1), at least one.
fn is_ice_chars(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

/// `token` (RFC 8866 §9): visible ASCII without the tspecials
/// `"(),/:;<=>?@[\]{}`.
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|b| {
            matches!(b, b'!' | b'#'..=b'\'' | b'*' | b'+' | b'-' | b'.' | b'0'..=b'9' | b'A'..=b'Z' | b'^'..=b'~')
        })
}
