//! The candidate grammar (RFC 8839 §5.1) by property: generated candidates,
//! spelled every way the grammar allows, parse to what was generated and
//! write back byte for byte; arbitrary text never panics; candidates built
//! in code parse back to themselves.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use proptest::prelude::*;
use rtw_ice::{
    Candidate, CandidateKind, CandidateTransport, ConnectionAddress, TcpType, foundation, priority,
};

/// A number written with up to `width` digits, leading zeros included.
fn padded(n: u64, width: usize) -> impl Strategy<Value = String> {
    let len = n.to_string().len();
    (len..=width.max(len)).prop_map(move |w| format!("{n:0w$}"))
}

/// A token spelled in any letter case.
fn cased(word: &'static str) -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<bool>(), word.len()).prop_map(move |upper| {
        word.chars()
            .zip(upper)
            .map(|(c, u)| if u { c.to_ascii_uppercase() } else { c })
            .collect()
    })
}

fn kind() -> impl Strategy<Value = CandidateKind> {
    prop_oneof![
        Just(CandidateKind::Host),
        Just(CandidateKind::ServerReflexive),
        Just(CandidateKind::PeerReflexive),
        Just(CandidateKind::Relayed),
    ]
}

fn ip() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        any::<[u8; 4]>().prop_map(|o| IpAddr::V4(Ipv4Addr::from(o))),
        any::<[u16; 8]>().prop_map(|s| IpAddr::V6(Ipv6Addr::from(s))),
        // Small segments exercise `::` compression.
        proptest::collection::vec(0u16..2, 8).prop_map(|s| {
            let s: [u16; 8] = s.try_into().unwrap();
            IpAddr::V6(Ipv6Addr::from(s))
        }),
    ]
}

/// An address and one of its spellings.
fn address() -> impl Strategy<Value = (ConnectionAddress, String)> {
    prop_oneof![
        3 => ip().prop_flat_map(|ip| {
            let canonical = ip.to_string();
            let spellings = match ip {
                IpAddr::V4(_) => vec![canonical.clone()],
                IpAddr::V6(v6) => {
                    let s = v6.segments();
                    vec![
                        canonical.clone(),
                        canonical.to_ascii_uppercase(),
                        s.map(|x| format!("{x:x}")).join(":"),
                        s.map(|x| format!("{x:04X}")).join(":"),
                    ]
                }
            };
            proptest::sample::select(spellings).prop_map(move |sp| (ConnectionAddress::Ip(ip), sp))
        }),
        1 => "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\\.local"
            .prop_map(|n| (ConnectionAddress::Fqdn(n.clone()), n)),
        1 => "[a-z][a-z0-9-]{3,20}(\\.[a-z0-9-]{1,10}){0,3}"
            .prop_map(|n| (ConnectionAddress::Fqdn(n.clone()), n)),
    ]
}

fn extension() -> impl Strategy<Value = (String, String)> {
    (
        "[!#-'*+.0-9A-Z^-~-]{1,12}".prop_filter("fixed keywords", |n| {
            !["raddr", "rport", "tcptype"]
                .iter()
                .any(|k| n.eq_ignore_ascii_case(k))
        }),
        "[!-~]{1,16}",
    )
}

#[derive(Debug, Clone)]
struct Generated {
    text: String,
    foundation: String,
    component: u16,
    transport: CandidateTransport,
    priority: u32,
    address: ConnectionAddress,
    port: u16,
    kind: CandidateKind,
    related: Option<(ConnectionAddress, u16)>,
    extensions: Vec<(String, String)>,
}

fn generated() -> impl Strategy<Value = Generated> {
    let fixed = (
        "[A-Za-z0-9+/]{1,32}",
        (1u16..=256).prop_flat_map(|c| padded(c.into(), 3).prop_map(move |s| (c, s))),
        prop_oneof![
            cased("udp").prop_map(|s| (false, s)),
            cased("tcp").prop_map(|s| (true, s))
        ],
        any::<u32>().prop_flat_map(|p| padded(p.into(), 10).prop_map(move |s| (p, s))),
        address(),
        any::<u16>().prop_flat_map(|p| padded(p.into(), 5).prop_map(move |s| (p, s))),
        cased("typ"),
        kind().prop_flat_map(|k| cased(k.as_str()).prop_map(move |s| (k, s))),
    );
    let rest = (
        proptest::option::of((
            cased("raddr"),
            address(),
            cased("rport"),
            any::<u16>().prop_flat_map(|p| padded(p.into(), 5).prop_map(move |s| (p, s))),
        )),
        proptest::option::of((
            any::<prop::sample::Index>(),
            cased("tcptype"),
            prop_oneof![
                Just(TcpType::Active),
                Just(TcpType::Passive),
                Just(TcpType::SimultaneousOpen)
            ]
            .prop_flat_map(|t| cased(t.as_str()).prop_map(move |s| (t, s))),
        )),
        proptest::collection::vec(extension(), 0..6),
    );
    (fixed, rest).prop_map(
        |(
            (foundation, component, (tcp, transport), priority, address, port, typ, kind),
            (related, tcptype, extensions),
        )| {
            let mut text = format!(
                "{foundation} {} {transport} {} {} {} {typ} {}",
                component.1, priority.1, address.1, port.1, kind.1
            );
            if let Some((raddr, a, rport, p)) = &related {
                text += &format!(" {raddr} {} {rport} {}", a.1, p.1);
            }
            let tcptype = tcptype.filter(|_| tcp);
            let at = tcptype
                .as_ref()
                .map(|(i, _, _)| i.index(extensions.len() + 1));
            for (i, (n, v)) in extensions.iter().enumerate() {
                if at == Some(i) {
                    let (_, name, (_, value)) = tcptype.as_ref().unwrap();
                    text += &format!(" {name} {value}");
                }
                text += &format!(" {n} {v}");
            }
            if at == Some(extensions.len()) {
                let (_, name, (_, value)) = tcptype.as_ref().unwrap();
                text += &format!(" {name} {value}");
            }
            Generated {
                text,
                foundation,
                component: component.0,
                transport: if tcp {
                    CandidateTransport::Tcp(tcptype.map(|(_, _, (t, _))| t))
                } else {
                    CandidateTransport::Udp
                },
                priority: priority.0,
                address: address.0,
                port: port.0,
                kind: kind.0,
                related: related.map(|(_, a, _, p)| (a.0, p.0)),
                extensions,
            }
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn generated_candidates_parse_to_their_fields_and_write_back(g in generated()) {
        let c = Candidate::parse(&g.text).map_err(|e| TestCaseError::fail(format!("{}: {e}", g.text)))?;
        prop_assert_eq!(&c.foundation, &g.foundation);
        prop_assert_eq!(c.component, g.component);
        prop_assert_eq!(c.transport, g.transport);
        prop_assert_eq!(c.priority, g.priority);
        prop_assert_eq!(&c.address, &g.address);
        prop_assert_eq!(c.port, g.port);
        prop_assert_eq!(c.kind, g.kind);
        prop_assert_eq!(c.related_address.clone(), g.related.as_ref().map(|r| r.0.clone()));
        prop_assert_eq!(c.related_port, g.related.as_ref().map(|r| r.1));
        prop_assert_eq!(&c.extensions, &g.extensions);
        prop_assert_eq!(c.to_string(), g.text.clone());
        prop_assert_eq!(c.to_sdp_line(), format!("a=candidate:{}", g.text));
        prop_assert_eq!(c.to_json_candidate(), format!("candidate:{}", g.text));
        for form in [c.to_sdp_line(), c.to_json_candidate()] {
            let again = Candidate::parse(&form).unwrap();
            prop_assert_eq!(&again, &c);
            prop_assert_eq!(again.to_string(), g.text.clone());
        }
    }

    #[test]
    fn fields_changed_after_parsing_write_what_they_hold(
        g in generated(),
        other in generated(),
    ) {
        let mut c = Candidate::parse(&g.text).unwrap();
        let o = Candidate::parse(&other.text).unwrap();
        c.component = o.component;
        c.transport = o.transport;
        c.priority = o.priority;
        c.address = o.address.clone();
        c.port = o.port;
        c.kind = o.kind;
        c.related_address = o.related_address.clone();
        c.related_port = o.related_port;
        let written = c.to_string();
        let again = Candidate::parse(&written).unwrap();
        prop_assert_eq!(&again, &c);
        prop_assert_eq!(again.to_string(), written);
    }

    #[test]
    fn built_candidates_parse_back(
        a in ip(), ap in any::<u16>(),
        b in ip(), bp in any::<u16>(),
        s in ip(), sp in any::<u16>(),
        component in 1u16..=256,
        lp in any::<u16>(),
        prio in any::<u32>(),
        tcp in proptest::option::of(proptest::option::of(prop_oneof![
            Just(TcpType::Active), Just(TcpType::Passive), Just(TcpType::SimultaneousOpen)
        ])),
    ) {
        let (addr, base, server) = (SocketAddr::new(a, ap), SocketAddr::new(b, bp), SocketAddr::new(s, sp));
        let transport = tcp.map_or(CandidateTransport::Udp, CandidateTransport::Tcp);
        let all = [
            Candidate::host(addr, component, lp, transport),
            Candidate::server_reflexive(addr, base, server, component, lp),
            Candidate::peer_reflexive(addr, base, component, prio),
            Candidate::relayed(addr, base, server, component, lp),
        ];
        for c in all {
            let text = c.to_string();
            let again = Candidate::parse(&text).unwrap();
            prop_assert_eq!(&again, &c);
            prop_assert_eq!(again.to_string(), text);
            prop_assert!(c.foundation.len() <= 10);
            prop_assert_eq!(c.socket_addr(), Some(addr));
            if c.kind != CandidateKind::PeerReflexive {
                prop_assert_eq!(c.priority, priority(c.kind, lp, component));
            }
        }
        // Foundations: same inputs, same value.
        prop_assert_eq!(
            foundation(CandidateKind::ServerReflexive, b, Some(s), CandidateTransport::Udp),
            Candidate::server_reflexive(addr, base, server, component, lp).foundation
        );
    }

    #[test]
    fn arbitrary_text_never_panics(s in any::<String>()) {
        for input in [s.clone(), format!("a=candidate:{s}"), format!("candidate:{s}")] {
            if let Ok(c) = Candidate::parse(&input) {
                let text = c.to_string();
                prop_assert_eq!(Candidate::parse(&text).unwrap().to_string(), text);
            }
        }
    }

    #[test]
    fn near_grammatical_text_never_panics_and_what_parses_is_stable(
        g in generated(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), "[ -~]{0,3}", 0usize..4), 1..4),
    ) {
        let mut text = g.text.into_bytes();
        for (at, insert, remove) in edits {
            let i = at.index(text.len() + 1);
            let end = (i + remove).min(text.len());
            text.splice(i..end, insert.bytes());
        }
        let text = String::from_utf8(text).unwrap();
        if let Ok(c) = Candidate::parse(&text) {
            let written = c.to_string();
            let value = text.strip_prefix("a=candidate:").or(text.strip_prefix("candidate:")).unwrap_or(&text);
            prop_assert_eq!(&written, value);
            let again = Candidate::parse(&written).unwrap();
            prop_assert_eq!(&again, &c);
        }
    }
}
