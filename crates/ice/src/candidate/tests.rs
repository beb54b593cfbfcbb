use super::*;
use crate::{CandidateError as E, Limits, type_preference};

/// Every `a=candidate` line of crates/sdp/tests/corpus (Chromium 156,
/// Firefox, Safari and RFC 8829 examples).
const CORPUS: &[&str] = &[
    "a=candidate:1206685758 1 udp 2113937151 97960a8e-cda9-44bb-b3ef-c9aa3be7f54c.local 50724 typ host generation 0 network-cost 999",
    "a=candidate:3519406827 1 udp 1677729535 203.0.113.58 61932 typ srflx raddr 0.0.0.0 rport 0 generation 0 network-cost 999",
    "a=candidate:2357875166 1 udp 2113942271 38b9f68d-6b43-40b3-b36b-a4a56b5af4eb.local 32866 typ host generation 0 network-cost 999",
    "a=candidate:0 1 UDP 2122252543 7f3a2c1e-5b4d-4e6f-8a9b-0c1d2e3f4a5b.local 50412 typ host",
    "a=candidate:1 1 UDP 1686052863 198.51.100.23 50412 typ srflx raddr 0.0.0.0 rport 0",
    "a=candidate:2 1 TCP 2105524479 7f3a2c1e-5b4d-4e6f-8a9b-0c1d2e3f4a5b.local 9 typ host tcptype active",
    "a=candidate:1 1 udp 1845494015 198.51.100.100 11100 typ srflx raddr 203.0.113.100 rport 10100",
    "a=candidate:1 1 udp 255 192.0.2.100 12100 typ relay raddr 198.51.100.100 rport 11100",
    "a=candidate:1 2 udp 2113929470 203.0.113.100 10101 typ host",
];

#[test]
fn corpus_lines_round_trip_in_every_form() {
    for line in CORPUS {
        let c = Candidate::parse(line).unwrap_or_else(|e| panic!("{line}: {e}"));
        assert_eq!(c.to_sdp_line(), *line);
        let value = &line["a=candidate:".len()..];
        assert_eq!(c.to_string(), value);
        assert_eq!(c.to_json_candidate(), format!("candidate:{value}"));
        assert_eq!(Candidate::parse(value).unwrap(), c);
        assert_eq!(value.parse::<Candidate>().unwrap(), c);
        assert_eq!(Candidate::parse(&c.to_json_candidate()).unwrap(), c);
    }
}

#[test]
fn chrome_mdns_host_candidate() {
    let c = Candidate::parse(CORPUS[0]).unwrap();
    assert_eq!(c.foundation, "1206685758");
    assert_eq!((c.component, c.transport), (1, CandidateTransport::Udp));
    assert_eq!(c.priority, 2_113_937_151);
    assert_eq!(
        c.address,
        ConnectionAddress::Fqdn("97960a8e-cda9-44bb-b3ef-c9aa3be7f54c.local".into())
    );
    assert!(c.address.is_mdns());
    assert_eq!(c.socket_addr(), None);
    assert_eq!((c.port, c.kind), (50724, CandidateKind::Host));
    assert_eq!((c.related_address.as_ref(), c.related_port), (None, None));
    assert_eq!((c.generation(), c.network_cost()), (Some(0), Some(999)));
    assert_eq!(
        (c.network_id(), c.ufrag(), c.tcp_type()),
        (None, None, None)
    );
    // Type preference 126, local preference 30, component 1.
    let parts = crate::PriorityParts::of(c.priority);
    assert_eq!(parts.type_preference, type_preference(CandidateKind::Host));
    assert_eq!(
        priority(c.kind, parts.local_preference, c.component),
        c.priority
    );
}

#[test]
fn chrome_srflx_and_firefox_tcp() {
    let c = Candidate::parse(CORPUS[1]).unwrap();
    assert_eq!(c.kind, CandidateKind::ServerReflexive);
    assert_eq!(c.socket_addr(), Some("203.0.113.58:61932".parse().unwrap()));
    assert_eq!(c.related_socket_addr(), Some("0.0.0.0:0".parse().unwrap()));
    let t = Candidate::parse(CORPUS[5]).unwrap();
    assert_eq!(t.transport, CandidateTransport::Tcp(Some(TcpType::Active)));
    assert_eq!(t.tcp_type(), Some(TcpType::Active));
    assert!(t.extensions.is_empty());
    assert_eq!(t.port, 9);
}

#[test]
fn constructors_compute_priority_foundation_and_related_address() {
    let base: SocketAddr = "192.168.1.10:5000".parse().unwrap();
    let server: SocketAddr = "198.51.100.1:3478".parse().unwrap();
    let mapped: SocketAddr = "203.0.113.7:6000".parse().unwrap();
    let relayed: SocketAddr = "198.51.100.1:50000".parse().unwrap();
    let host = Candidate::host(base, 1, 65535, CandidateTransport::Udp);
    assert_eq!(host.priority, 2_130_706_431);
    assert_eq!(
        host.to_string(),
        format!(
            "{} 1 udp 2130706431 192.168.1.10 5000 typ host",
            host.foundation
        )
    );
    let srflx = Candidate::server_reflexive(mapped, base, server, 1, 65535);
    assert_eq!(srflx.priority, 1_694_498_815);
    assert_eq!(srflx.related_socket_addr(), Some(base));
    assert_ne!(srflx.foundation, host.foundation);
    assert!(
        srflx
            .to_string()
            .ends_with("typ srflx raddr 192.168.1.10 rport 5000")
    );
    let relay = Candidate::relayed(relayed, mapped, server, 1, 65535);
    assert_eq!(relay.priority, 16_777_215);
    assert_eq!(relay.related_socket_addr(), Some(mapped));
    let prflx = Candidate::peer_reflexive(mapped, base, 1, 1_862_270_975);
    assert_eq!(prflx.priority, 1_862_270_975);
    assert_eq!(prflx.kind, CandidateKind::PeerReflexive);
    let tcp = Candidate::host(
        base,
        1,
        65535,
        CandidateTransport::Tcp(Some(TcpType::Passive)),
    );
    assert!(
        tcp.to_string()
            .ends_with(" tcp 2130706431 192.168.1.10 5000 typ host tcptype passive")
    );
    for c in [host, srflx, relay, prflx, tcp] {
        assert_eq!(Candidate::parse(&c.to_string()).unwrap(), c);
        assert_eq!(c.socket_addr().map(|a| a.port()), Some(c.port));
    }
}

#[test]
fn spellings_are_kept_and_dropped_when_the_value_changes() {
    let odd = "7 001 Udp 0016777215 2001:DB8:0:0:0:0:0:1 00080 TYP HOST RADDR ::FFFF:192.0.2.1 RPORT 09 a b";
    let c = Candidate::parse(odd).unwrap();
    assert_eq!(c.to_string(), odd);
    assert_eq!(c.component, 1);
    assert_eq!(c.socket_addr(), Some("[2001:db8::1]:80".parse().unwrap()));
    // Equality ignores spelling.
    let plain = Candidate::parse(
        "7 1 udp 16777215 2001:db8::1 80 typ host raddr ::ffff:192.0.2.1 rport 9 a b",
    )
    .unwrap();
    assert_eq!(c, plain);
    // Changed fields are written in rtw's form; the rest keeps its spelling.
    let mut d = c.clone();
    d.port = 81;
    d.address = ConnectionAddress::Ip("2001:db8::2".parse().unwrap());
    d.transport = CandidateTransport::Tcp(None);
    d.kind = CandidateKind::Relayed;
    assert_eq!(
        d.to_string(),
        "7 001 tcp 0016777215 2001:db8::2 81 TYP relay RADDR ::FFFF:192.0.2.1 RPORT 09 a b"
    );
    assert_eq!(Candidate::parse(&d.to_string()).unwrap(), d);
    let mut e = c.clone();
    e.related_address = None;
    e.related_port = None;
    assert_eq!(
        e.to_string(),
        "7 001 Udp 0016777215 2001:DB8:0:0:0:0:0:1 00080 TYP HOST a b"
    );
}

#[test]
fn tcptype_keeps_its_place() {
    for v in [
        "1 1 TCP 1 10.0.0.1 9 typ host tcptype so",
        "1 1 tcp 1 10.0.0.1 9 typ host generation 0 TcpType Passive network-id 2",
        "1 1 tcp 1 10.0.0.1 9 typ host generation 0 network-id 2 tcptype active",
        "1 1 tcp 1 10.0.0.1 9 typ host tcptype active tcptype so",
        "1 1 udp 1 10.0.0.1 9 typ host tcptype active",
        "1 1 tcp 1 10.0.0.1 9 typ host",
    ] {
        let c = Candidate::parse(v).unwrap();
        assert_eq!(c.to_string(), v);
    }
    let c = Candidate::parse("1 1 tcp 1 10.0.0.1 9 typ host generation 0 TcpType Passive").unwrap();
    assert_eq!(c.tcp_type(), Some(TcpType::Passive));
    assert_eq!(c.extensions, vec![("generation".into(), "0".into())]);
    let u = Candidate::parse("1 1 udp 1 10.0.0.1 9 typ host tcptype active").unwrap();
    assert_eq!(u.tcp_type(), None);
    assert_eq!(u.extension("tcptype"), Some("active"));
    let mut c = c;
    c.extensions.clear();
    assert_eq!(
        c.to_string(),
        "1 1 tcp 1 10.0.0.1 9 typ host TcpType Passive"
    );
    c.transport = CandidateTransport::Tcp(Some(TcpType::Active));
    assert_eq!(
        c.to_string(),
        "1 1 tcp 1 10.0.0.1 9 typ host TcpType active"
    );
}

#[test]
fn extensions_are_kept_in_order() {
    let c = Candidate::parse(
        "candidate:842163049 1 udp 1677729535 192.0.2.5 51234 typ srflx raddr 10.0.0.5 rport 51234 generation 3 ufrag EsAw network-id 1 network-cost 10 x-unknown !#$%&'*+-.^_`{|}~",
    )
    .unwrap();
    assert_eq!(c.generation(), Some(3));
    assert_eq!(c.ufrag(), Some("EsAw"));
    assert_eq!((c.network_id(), c.network_cost()), (Some(1), Some(10)));
    assert_eq!(c.extension("x-unknown"), Some("!#$%&'*+-.^_`{|}~"));
    assert_eq!(c.extensions.len(), 5);
    let bad_numbers =
        Candidate::parse("1 1 udp 1 1.2.3.4 9 typ host generation x network-id -1").unwrap();
    assert_eq!(
        (bad_numbers.generation(), bad_numbers.network_id()),
        (None, None)
    );
}

#[test]
fn errors_name_the_rule() {
    let cases: &[(&str, E)] = &[
        ("", E::Missing("foundation")),
        ("a=candidate:", E::Missing("foundation")),
        ("1 1 udp 1 1.2.3.4 9", E::Missing("`typ`")),
        ("1 1 udp 1 1.2.3.4 9 typ", E::Missing("cand-type")),
        ("1 1 udp", E::Missing("priority")),
        ("1 1 udp 1 1.2.3.4 9 host x", E::MissingTyp),
        ("f-1 1 udp 1 1.2.3.4 9 typ host", E::Foundation),
        (
            &format!("{} 1 udp 1 1.2.3.4 9 typ host", "a".repeat(33)),
            E::Foundation,
        ),
        ("1 0 udp 1 1.2.3.4 9 typ host", E::Component),
        ("1 257 udp 1 1.2.3.4 9 typ host", E::Component),
        ("1 0001 udp 1 1.2.3.4 9 typ host", E::Component),
        (
            "1 1 sctp 1 1.2.3.4 9 typ host",
            E::UnsupportedTransport("sctp".into()),
        ),
        ("1 1 udp 4294967296 1.2.3.4 9 typ host", E::Priority),
        ("1 1 udp 00000000001 1.2.3.4 9 typ host", E::Priority),
        ("1 1 udp -1 1.2.3.4 9 typ host", E::Priority),
        (
            "1 1 udp 1 1.2.3.4 65536 typ host",
            E::Port { field: "port" },
        ),
        (
            "1 1 udp 1 1.2.3.4 000001 typ host",
            E::Port { field: "port" },
        ),
        (
            "1 1 udp 1 [::1] 9 typ host",
            E::Address {
                field: "connection-address",
            },
        ),
        (
            "1 1 udp 1 a_b.local 9 typ host",
            E::Address {
                field: "connection-address",
            },
        ),
        (
            "1 1 udp 1 abc 9 typ host",
            E::Address {
                field: "connection-address",
            },
        ),
        (
            "1 1 udp 1 1.2.3.4 9 typ stun",
            E::UnsupportedType("stun".into()),
        ),
        (
            "1 1 udp 1 1.2.3.4 9 typ srflx raddr 1.2.3.4",
            E::RaddrWithoutRport,
        ),
        (
            "1 1 udp 1 1.2.3.4 9 typ srflx raddr 1.2.3.4 generation 0",
            E::RaddrWithoutRport,
        ),
        ("1 1 udp 1 1.2.3.4 9 typ srflx raddr", E::RaddrWithoutRport),
        (
            "1 1 udp 1 1.2.3.4 9 typ srflx rport 9",
            E::RportWithoutRaddr,
        ),
        (
            "1 1 udp 1 1.2.3.4 9 typ srflx raddr x_y rport 9",
            E::Address { field: "rel-addr" },
        ),
        (
            "1 1 udp 1 1.2.3.4 9 typ srflx raddr 1.2.3.4 rport x",
            E::Port { field: "rel-port" },
        ),
        (
            "1 1 udp 1 1.2.3.4 9 typ host generation",
            E::UnpairedExtension,
        ),
        (
            "1 1 udp 1 1.2.3.4 9 typ host a:b c",
            E::ExtensionName("a:b".into()),
        ),
        (
            "1 1 tcp 1 1.2.3.4 9 typ host tcptype both",
            E::TcpType("both".into()),
        ),
        ("1 1 udp 1 1.2.3.4 9 typ host ", E::Spacing { offset: 29 }),
        (" 1 1 udp 1 1.2.3.4 9 typ host", E::Spacing { offset: 0 }),
        ("1  1 udp 1 1.2.3.4 9 typ host", E::Spacing { offset: 2 }),
        (
            "1 1 udp 1 1.2.3.4 9 typ host\r\n",
            E::InvalidCharacter {
                offset: 28,
                byte: b'\r',
            },
        ),
        (
            "1 1 udp 1 1.2.3.4 9 typ\thost",
            E::InvalidCharacter {
                offset: 23,
                byte: b'\t',
            },
        ),
        (
            "1 1 udp 1 1.2.3.4 9 typ host x é",
            E::InvalidCharacter {
                offset: 31,
                byte: 0xc3,
            },
        ),
    ];
    for (input, want) in cases {
        assert_eq!(Candidate::parse(input).as_ref(), Err(want), "{input:?}");
        assert!(want.to_string().contains("RFC") || matches!(want, E::TooLong { .. }));
    }
}

#[test]
fn limits() {
    let many: String = (0..65).map(|i| format!(" x{i} {i}")).collect();
    let base = "1 1 udp 1 1.2.3.4 9 typ host";
    assert_eq!(
        Candidate::parse(&format!("{base}{many}")),
        Err(E::TooManyExtensions { limit: 64 })
    );
    let sixty_four: String = (0..64).map(|i| format!(" x{i} {i}")).collect();
    assert_eq!(
        Candidate::parse(&format!("{base}{sixty_four}"))
            .unwrap()
            .extensions
            .len(),
        64
    );
    let long = format!("{base} x {}", "v".repeat(1024));
    assert_eq!(
        Candidate::parse(&long),
        Err(E::TooLong {
            len: long.len(),
            limit: 1024
        })
    );
    let roomy = Limits::default().max_candidate_len(4096).max_extensions(2);
    assert_eq!(
        Candidate::parse_with_limits(&long, &roomy)
            .unwrap()
            .extensions
            .len(),
        1
    );
    assert_eq!(
        Candidate::parse_with_limits(&format!("{base} a 1 b 2 c 3"), &roomy),
        Err(E::TooManyExtensions { limit: 2 })
    );
    // Many tokens are refused before they are all collected.
    let flood = format!("{base}{}", " x".repeat(500));
    assert!(matches!(
        Candidate::parse_with_limits(
            &flood,
            &Limits::default()
                .max_candidate_len(10_000)
                .max_extensions(4)
        ),
        Err(E::TooManyExtensions { limit: 4 })
    ));
}

#[test]
fn addresses() {
    let v6 = Candidate::parse("1 1 udp 1 fe80::1 9 typ host").unwrap();
    assert_eq!(v6.socket_addr(), Some("[fe80::1]:9".parse().unwrap()));
    // An IPv4-looking name that std refuses (leading zeros) is a name.
    let z = Candidate::parse("1 1 udp 1 01.2.3.4 9 typ host").unwrap();
    assert_eq!(z.address, ConnectionAddress::Fqdn("01.2.3.4".into()));
    assert_eq!(z.to_string(), "1 1 udp 1 01.2.3.4 9 typ host");
    let n = Candidate::parse("1 1 udp 1 turn.example.com 9 typ relay raddr host.local rport 1")
        .unwrap();
    assert!(!n.address.is_mdns());
    assert!(n.related_address.as_ref().unwrap().is_mdns());
    assert_eq!(n.related_socket_addr(), None);
    assert!(ConnectionAddress::Fqdn("X.LOCAL.".into()).is_mdns());
    assert!(!ConnectionAddress::Fqdn(".local".into()).is_mdns());
}

#[test]
fn huge_limits_do_not_overflow() {
    let limits = Limits::default()
        .max_candidate_len(usize::MAX)
        .max_extensions(usize::MAX);
    let c = Candidate::parse_with_limits("1 1 udp 1 1.2.3.4 9 typ host a b", &limits).unwrap();
    assert_eq!(c.extensions.len(), 1);
}
