//! Property tests: for any session description the RFC 8866 grammar allows
//! (every line type: `o=`, `s=`, `i=`, `u=`, `e=`, `p=`, `c=` with `/ttl`
//! and `/count`, `b=` with several modifiers, several `t=` with `r=` lines,
//! `z=`, `k=`, property and value attributes, media sections with port
//! counts, several formats and their own `i= c= b= k=`), writing it and
//! parsing the text gives the same value back, and writing that value
//! again gives the same text; the same text with LF line ends parses to the
//! same value. `b=` bandwidths and `m=` ports written with leading zeros
//! (which `1*DIGIT` allows) come back as written.

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use rtw_sdp::{
    Attribute, Bandwidth, Connection, Media, MediaDescription, Origin, SessionDescription, Timing,
};

/// `token` (RFC 8866 §9): visible ASCII less the separators.
fn token() -> impl Strategy<Value = String> {
    "[!#$%&'*+.0-9A-Z^_`a-z{|}~-]{1,12}"
}

/// `non-ws-string`: visible characters, including non-ASCII ones.
fn non_ws() -> impl Strategy<Value = String> {
    "[!-~é€中]{1,16}"
}

/// `text` / `byte-string`: anything but NUL, CR and LF, at least one
/// character (spaces, colons and non-ASCII included).
fn text() -> impl Strategy<Value = String> {
    "[^\r\n\x00]{1,24}"
}

fn digits() -> impl Strategy<Value = String> {
    "[0-9]{1,24}"
}

/// `time`: `0`, or ten or more digits with no leading zero.
fn time() -> impl Strategy<Value = u64> {
    prop_oneof![Just(0u64), 1_000_000_000u64..]
}

fn unit() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just(""), Just("d"), Just("h"), Just("m"), Just("s")]
}

/// `typed-time`: digits with an optional `d h m s` unit.
fn typed_time() -> impl Strategy<Value = String> {
    (0u32..100_000, unit()).prop_map(|(n, u)| format!("{n}{u}"))
}

/// `r=<repeat interval> <active duration> <offsets from start-time>`.
fn repeat() -> impl Strategy<Value = String> {
    ((1u32..10_000_000, unit()), vec(typed_time(), 2..5)).prop_map(|((n, u), rest)| {
        let mut r = format!("{n}{u}");
        for t in rest {
            r.push(' ');
            r.push_str(&t);
        }
        r
    })
}

fn timing() -> impl Strategy<Value = Timing> {
    (time(), time(), vec(repeat(), 0..3)).prop_map(|(start, stop, repeats)| Timing {
        start,
        stop,
        repeats,
    })
}

/// `z=<adjustment time> <offset> ...`.
fn time_zones() -> impl Strategy<Value = String> {
    vec((time(), any::<bool>(), typed_time()), 1..4).prop_map(|adjustments| {
        adjustments
            .into_iter()
            .map(|(t, negative, offset)| format!("{t} {}{offset}", if negative { "-" } else { "" }))
            .collect::<Vec<_>>()
            .join(" ")
    })
}

/// `k=` in each of its forms.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("prompt".to_owned()),
        text().prop_map(|t| format!("clear:{t}")),
        "[A-Za-z0-9+/]{4,24}(==)?".prop_map(|b| format!("base64:{b}")),
        uri().prop_map(|u| format!("uri:{u}")),
    ]
}

fn uri() -> impl Strategy<Value = String> {
    (
        "(http|https|sip)",
        "[a-z0-9.-]{1,12}",
        "[A-Za-z0-9/._~%-]{0,16}",
    )
        .prop_map(|(scheme, host, path)| format!("{scheme}://{host}/{path}"))
}

/// `e=` as an addr-spec, with a display name, or with a comment.
fn email() -> impl Strategy<Value = String> {
    let addr = ("[a-z0-9._+-]{1,10}", "[a-z0-9-]{1,10}\\.example")
        .prop_map(|(local, domain)| format!("{local}@{domain}"));
    (addr, "[A-Za-z][A-Za-z ]{0,12}[A-Za-z]", 0..3u8).prop_map(|(a, name, form)| match form {
        0 => a,
        1 => format!("{name} <{a}>"),
        _ => format!("{a} ({name})"),
    })
}

/// `p=` with spaces and dashes, optionally with a comment.
fn phone() -> impl Strategy<Value = String> {
    (
        "\\+[1-9][0-9]{0,2}( [0-9]{2,4}){1,3}(-[0-9]{2,4})?",
        option::of("[A-Za-z][A-Za-z ]{0,8}"),
    )
        .prop_map(|(number, name)| match name {
            Some(n) => format!("{number} ({n})"),
            None => number,
        })
}

fn ip4() -> impl Strategy<Value = String> {
    any::<[u8; 4]>().prop_map(|[a, b, c, d]| format!("{a}.{b}.{c}.{d}"))
}

fn ip6() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<u16>().prop_map(|n| format!("2001:db8::{n:x}")),
        any::<[u16; 8]>().prop_map(|g| {
            g.iter()
                .map(|x| format!("{x:x}"))
                .collect::<Vec<_>>()
                .join(":")
        }),
        Just("::1".to_owned()),
        any::<u8>().prop_map(|n| format!("ff0e::{n:x}")),
    ]
}

fn fqdn() -> impl Strategy<Value = String> {
    "[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?(\\.[a-z0-9]{1,8}){0,3}"
}

/// `c=` addresses: IPv4 unicast, IPv4 multicast `/ttl[/count]`, IPv6
/// unicast and multicast `[/count]`, domain names, and an extension
/// network type.
fn connection() -> impl Strategy<Value = Connection> {
    let c = |addrtype: &str, address: String| Connection {
        nettype: "IN".into(),
        addrtype: addrtype.into(),
        address: address.into(),
    };
    prop_oneof![
        ip4().prop_map(move |a| c("IP4", a)),
        (
            224u8..240,
            any::<[u8; 3]>(),
            any::<u8>(),
            option::of(1u32..256)
        )
            .prop_map(move |(first, [b, cc, d], ttl, count)| {
                let mut a = format!("{first}.{b}.{cc}.{d}/{ttl}");
                if let Some(n) = count {
                    a.push_str(&format!("/{n}"));
                }
                c("IP4", a)
            }),
        (ip6(), option::of(1u32..256)).prop_map(move |(a, count)| match count {
            Some(n) => c("IP6", format!("{a}/{n}")),
            None => c("IP6", a),
        }),
        (prop_oneof![Just("IP4"), Just("IP6")], fqdn()).prop_map(move |(t, a)| c(t, a)),
        (token(), token(), non_ws()).prop_map(|(nettype, addrtype, address)| Connection {
            nettype: nettype.into(),
            addrtype: addrtype.into(),
            address: address.into(),
        }),
    ]
}

fn bandwidth() -> impl Strategy<Value = Bandwidth> {
    let modifier = prop_oneof![
        Just("CT".to_owned()),
        Just("AS".to_owned()),
        Just("TIAS".to_owned()),
        Just("RR".to_owned()),
        Just("RS".to_owned()),
        token().prop_map(|t| format!("X-{t}")),
    ];
    (
        modifier,
        any::<u64>(),
        prop_oneof![4 => Just(0u8), 1 => 1u8..4],
    )
        .prop_map(|(modifier, value, leading_zeros)| Bandwidth {
            modifier: modifier.into(),
            value,
            leading_zeros,
        })
}

fn origin() -> impl Strategy<Value = Origin> {
    let host = prop_oneof![
        ip4().prop_map(|a| ("IN".to_owned(), "IP4".to_owned(), a)),
        ip6().prop_map(|a| ("IN".to_owned(), "IP6".to_owned(), a)),
        fqdn().prop_map(|a| ("IN".to_owned(), "IP4".to_owned(), a)),
        (token(), token(), non_ws()),
    ];
    (non_ws(), digits(), digits(), host).prop_map(
        |(username, session_id, session_version, (nettype, addrtype, unicast_address))| Origin {
            username: username.into(),
            session_id: session_id.into(),
            session_version: session_version.into(),
            nettype: nettype.into(),
            addrtype: addrtype.into(),
            unicast_address: unicast_address.into(),
        },
    )
}

/// `a=<name>` or `a=<name>:<value>`.
fn attribute() -> impl Strategy<Value = Attribute> {
    (token(), option::of(text())).prop_map(|(name, value)| Attribute {
        name: name.into(),
        value: value.map(Into::into),
    })
}

fn media() -> impl Strategy<Value = Media> {
    (
        prop_oneof![
            Just("audio".to_owned()),
            Just("video".to_owned()),
            Just("application".to_owned()),
            token(),
        ],
        (any::<u16>(), prop_oneof![4 => Just(0u8), 1 => 1u8..4]),
        option::of(1u32..),
        vec(token(), 1..4).prop_map(|parts| parts.join("/")),
        vec(token(), 1..7),
    )
        .prop_map(
            |(media, (port, port_leading_zeros), port_count, proto, formats)| Media {
                media: media.into(),
                port,
                port_leading_zeros,
                port_count,
                proto: proto.into(),
                formats: formats.into_iter().map(Into::into).collect(),
            },
        )
}

/// A media section, with `fallback` as its `c=` when the session has none.
fn media_description() -> impl Strategy<Value = (MediaDescription, Connection)> {
    (
        media(),
        option::of(text()),
        vec(connection(), 0..3),
        vec(bandwidth(), 0..3),
        option::of(key()),
        vec(attribute(), 0..8),
        connection(),
    )
        .prop_map(
            |(media, title, connections, bandwidths, key, attributes, fallback)| {
                let m = MediaDescription {
                    media,
                    title,
                    connections,
                    bandwidths,
                    key,
                    attributes,
                };
                (m, fallback)
            },
        )
}

/// Any session description the grammar allows. When there is no
/// session-level `c=`, every media section has one (RFC 8866 §5.7).
fn session_description() -> impl Strategy<Value = SessionDescription> {
    let head = (
        origin(),
        text(),
        option::of(text()),
        option::of(uri()),
        vec(email(), 0..3),
        vec(phone(), 0..3),
        option::of(connection()),
    );
    let tail = (
        vec(bandwidth(), 0..3),
        vec(timing(), 1..4),
        option::of(time_zones()),
        option::of(key()),
        vec(attribute(), 0..8),
        vec(media_description(), 0..5),
    );
    (head, tail).prop_map(
        |(
            (origin, session_name, information, uri, emails, phones, connection),
            (bandwidths, timings, time_zones, key, attributes, media),
        )| {
            let media = media
                .into_iter()
                .map(|(mut m, fallback)| {
                    if connection.is_none() && m.connections.is_empty() {
                        m.connections.push(fallback);
                    }
                    m
                })
                .collect();
            SessionDescription {
                version: 0,
                origin,
                session_name,
                information,
                uri,
                emails,
                phones,
                connection,
                bandwidths,
                timings,
                time_zones,
                key,
                attributes,
                media,
            }
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn written_text_parses_back_to_the_same_value(sd in session_description()) {
        let text = sd.to_string();
        prop_assert!(text.ends_with("\r\n"));
        let parsed = SessionDescription::parse(&text);
        prop_assert_eq!(parsed.as_ref(), Ok(&sd), "{}", text);
        prop_assert_eq!(parsed.unwrap().to_string(), text);
    }

    #[test]
    fn lf_line_ends_parse_to_the_same_value(sd in session_description()) {
        let crlf = sd.to_string();
        let lf = crlf.replace("\r\n", "\n");
        prop_assert_eq!(lf.matches('\n').count(), crlf.matches("\r\n").count());
        let parsed = SessionDescription::parse(&lf);
        prop_assert_eq!(parsed.as_ref(), Ok(&sd), "{}", lf);
        prop_assert_eq!(parsed.unwrap().to_string(), crlf);
        // Also without the final line end.
        let unterminated = lf.strip_suffix('\n').unwrap();
        prop_assert_eq!(SessionDescription::parse(unterminated), Ok(sd));
    }

    /// `b=` bandwidth and `m=` port are `1*DIGIT` (RFC 8866 §9), so leading
    /// zeros are valid; the text must come back as written. (Bandwidths
    /// past 2^64 - 1 are refused as out of range: a documented limit.)
    #[test]
    fn numbers_with_leading_zeros_come_back_as_written(
        zeros in 1usize..4,
        bandwidth in "[0-9]{1,19}",
        port in 0u16..,
    ) {
        let zeros = "0".repeat(zeros);
        let text = format!(
            "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nb=AS:{zeros}{bandwidth}\r\nt=0 0\r\n\
             m=audio {zeros}{port} RTP/AVP 0\r\nc=IN IP4 192.0.2.1\r\n"
        );
        let sd = SessionDescription::parse(&text);
        prop_assert!(sd.is_ok(), "{:?}: {:?}", text, sd);
        prop_assert_eq!(sd.unwrap().to_string(), text);
    }
}
