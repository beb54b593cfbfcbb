//! Byte-exact round trips of real and RFC descriptions, and the errors of
//! malformed ones with their line numbers.

use rtw_sdp::{Error, SessionDescription};

fn corpus(name: &str) -> String {
    let path = format!(
        "{}/tests/corpus/chromium-156/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn chromium_156_offers_and_answers_round_trip_byte_exactly() {
    for name in ["offer.sdp", "answer.sdp", "simulcast_offer.sdp"] {
        let text = corpus(name);
        let sd = SessionDescription::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(sd.to_string(), text, "{name}");
    }
}

#[test]
fn chromium_offer_fields() {
    let sd = SessionDescription::parse(&corpus("offer.sdp")).unwrap();
    assert_eq!(sd.origin.session_id, "22628309044861065");
    assert_eq!(
        sd.attribute("group").unwrap().value.as_deref(),
        Some("BUNDLE 0 1 2")
    );
    assert_eq!(
        sd.attribute("msid-semantic").unwrap().value.as_deref(),
        Some(" WMS")
    );
    let audio = &sd.media[0];
    assert_eq!(audio.media.media, "audio");
    assert_eq!(audio.media.proto, "UDP/TLS/RTP/SAVPF");
    assert_eq!(audio.media.formats[0], "111");
    assert_eq!(audio.connections[0].base_address(), "0.0.0.0");
    let rtpmap = audio.attributes_named("rtpmap").next().unwrap();
    assert_eq!(rtpmap.value.as_deref(), Some("111 opus/48000/2"));
    let fmtp = audio.attributes_named("fmtp").next().unwrap();
    assert_eq!(
        fmtp.value.as_deref(),
        Some("111 minptime=10;useinbandfec=1")
    );
    let candidates: Vec<_> = audio.attributes_named("candidate").collect();
    assert!(
        candidates
            .iter()
            .all(|c| c.value.as_deref().unwrap().contains(".local "))
    );
    assert!(
        audio
            .attribute("fingerprint")
            .unwrap()
            .value
            .as_deref()
            .unwrap()
            .starts_with("sha-256 ")
    );
}

/// RFC 8866 §5 example, verbatim.
const RFC8866_EXAMPLE: &str = "v=0\r\n\
o=jdoe 3724394400 3724394405 IN IP4 198.51.100.1\r\n\
s=Call to John Smith\r\n\
i=SDP Offer #1\r\n\
u=http://www.jdoe.example.com/home.html\r\n\
e=Jane Doe <jane@jdoe.example.com>\r\n\
p=+1 617 555-6011\r\n\
c=IN IP4 198.51.100.1\r\n\
t=0 0\r\n\
m=audio 49170 RTP/AVP 0\r\n\
m=audio 49180 RTP/AVP 0\r\n\
m=video 51372 RTP/AVP 99\r\n\
c=IN IP6 2001:db8::2\r\n\
a=rtpmap:99 h263-1998/90000\r\n";

#[test]
fn rfc8866_example() {
    let sd = SessionDescription::parse(RFC8866_EXAMPLE).unwrap();
    assert_eq!(sd.to_string(), RFC8866_EXAMPLE);
    assert_eq!(sd.media.len(), 3);
    assert_eq!(sd.media[2].connections[0].addrtype, "IP6");
    assert_eq!(sd.emails, ["Jane Doe <jane@jdoe.example.com>"]);
}

#[test]
fn every_session_line_type_with_repeats_and_multicast() {
    let text = "v=0\r\no=- 1 1 IN IP4 host.example\r\ns= \r\ni=info\r\nu=http://x/\r\n\
e=a@b\r\ne=c@d\r\np=+1\r\nc=IN IP4 233.252.0.1/127/3\r\nb=CT:128\r\nb=AS:64\r\n\
t=3034423619 3042462419\r\nr=604800 3600 0 90000\r\nr=7d 1h 0 25h\r\nt=0 0\r\n\
z=2882844526 -1h 2898848070 0\r\nk=prompt\r\na=recvonly\r\n\
m=audio 49170/2 RTP/AVP 0 8\r\ni=title\r\nc=IN IP4 233.252.0.1/127\r\nb=TIAS:64000\r\nk=prompt\r\na=ptime:20\r\n";
    let sd = SessionDescription::parse(text).unwrap();
    assert_eq!(sd.to_string(), text);
    assert_eq!(sd.connection.as_ref().unwrap().ttl(), Some(127));
    assert_eq!(sd.connection.as_ref().unwrap().count(), Some(3));
    assert_eq!(sd.timings.len(), 2);
    assert_eq!(sd.timings[0].repeats.len(), 2);
    assert_eq!(sd.media[0].media.port_count, Some(2));
}

#[test]
fn lf_only_input_is_accepted_and_written_with_crlf() {
    let crlf = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";
    let lf = crlf.replace("\r\n", "\n");
    assert_eq!(SessionDescription::parse(&lf).unwrap().to_string(), crlf);
}

/// Input, line of the error, check of its kind.
type Case = (&'static str, usize, fn(&Error) -> bool);

#[test]
fn errors_name_the_line_and_rule() {
    let head = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";
    let cases: &[Case] = &[
        ("o=- 1 1 IN IP4 127.0.0.1\r\n", 1, |k| {
            matches!(k, Error::Missing { line_type: 'v', .. })
        }),
        ("v=1\r\n", 1, |k| matches!(k, Error::Invalid { .. })),
        ("v=0\r\ns=-\r\no=- 1 1 IN IP4 h\r\n", 3, |k| {
            matches!(k, Error::Unexpected { found: 'o', .. })
        }),
        (
            "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\nc=IN IP4 h\r\n",
            5,
            |k| matches!(k, Error::Unexpected { found: 'c', .. }),
        ),
        ("v=0\r\no=- x 1 IN IP4 h\r\n", 2, |k| {
            matches!(k, Error::Invalid { .. })
        }),
        ("v=0\r\no=-  1 1 IN IP4 h\r\n", 2, |k| {
            matches!(k, Error::Invalid { .. })
        }),
        ("v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\n", 0, |k| {
            matches!(k, Error::Missing { line_type: 't', .. })
        }),
        ("v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nr=1 1 0\r\n", 4, |k| {
            matches!(k, Error::Unexpected { found: 'r', .. })
        }),
        (
            "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\nx=1\r\n",
            5,
            |k| matches!(k, Error::Unexpected { found: 'x', .. }),
        ),
        (
            "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\nm=audio 70000 RTP/AVP 0\r\n",
            5,
            |k| matches!(k, Error::Invalid { .. }),
        ),
        // time = POS-DIGIT 9*DIGIT, or "0" (RFC 8866 §9).
        (
            "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nt=0000000000 0\r\n",
            4,
            |k| {
                matches!(
                    k,
                    Error::Invalid {
                        field: "t= start-time",
                        ..
                    }
                )
            },
        ),
        ("v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nt=0 12345\r\n", 4, |k| {
            matches!(
                k,
                Error::Invalid {
                    field: "t= stop-time",
                    ..
                }
            )
        }),
        // integer = POS-DIGIT *DIGIT for the number of ports.
        (
            "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\nm=audio 9/0 RTP/AVP 0\r\n",
            5,
            |k| {
                matches!(
                    k,
                    Error::Invalid {
                        field: "m= number of ports",
                        ..
                    }
                )
            },
        ),
        // att-value = byte-string, at least one byte.
        (
            "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\na=x:\r\n",
            5,
            |k| matches!(k, Error::Invalid { field: "a=", .. }),
        ),
        // A bandwidth past 2^64 - 1: the documented limit.
        (
            "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nb=AS:99999999999999999999\r\nt=0 0\r\n",
            4,
            |k| {
                matches!(
                    k,
                    Error::Invalid {
                        field: "b= bandwidth",
                        ..
                    }
                )
            },
        ),
        (
            "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\nm=audio 9 RTP/AVP\r\n",
            5,
            |k| matches!(k, Error::Invalid { .. }),
        ),
        (
            "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\na=bad name\r\n",
            5,
            |k| matches!(k, Error::Invalid { .. }),
        ),
        (
            "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\nbogus\r\n",
            5,
            |k| matches!(k, Error::Malformed { .. }),
        ),
        (
            "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\na=x\ry\r\n",
            5,
            |k| matches!(k, Error::BadCharacter { .. }),
        ),
        ("v=0\r\no=- 1 1 IN IP4 h\r\ns=\r\n", 3, |k| {
            matches!(k, Error::Invalid { .. })
        }),
    ];
    for (text, line, check) in cases {
        let e = SessionDescription::parse(text).unwrap_err();
        assert_eq!(e.line(), (*line != 0).then_some(*line), "{text:?}: {e}");
        assert!(check(&e), "{text:?}: {e}");
        assert!(e.is_peer_fault(), "{text:?}: {e}");
    }
    assert!(SessionDescription::parse(head).is_ok());
}

#[test]
fn limits() {
    let limits = rtw_sdp::Limits::default().max_attributes(2);
    let text = "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\na=a\r\na=b\r\na=c\r\n";
    let e = SessionDescription::parse_with_limits(text, &limits).unwrap_err();
    assert_eq!(e.line(), Some(7));
    assert!(matches!(e, Error::TooLarge { line: 7, .. }));
    assert!(SessionDescription::parse_with_limits(text, &limits.max_attributes(3)).is_ok());
    let e = SessionDescription::parse_with_limits(text, &rtw_sdp::Limits::default().max_size(10))
        .unwrap_err();
    assert!(matches!(
        e,
        Error::TooLarge {
            line: 0,
            limit: 10,
            ..
        }
    ));
    assert_eq!(e.line(), None);
    let e = SessionDescription::parse_with_limits(text, &rtw_sdp::Limits::default().max_lines(6))
        .unwrap_err();
    assert!(matches!(
        e,
        Error::TooLarge {
            line: 7,
            limit: 6,
            ..
        }
    ));
}

/// A typed read's `AttributeError` becomes `Error::Attribute` with `?`,
/// without a line, and is the peer's fault like every parse error.
#[test]
fn attribute_errors_nest_under_error() {
    fn first_rtpmap(text: &str) -> Result<rtw_sdp::attributes::RtpMap, Error> {
        let sd = SessionDescription::parse(text)?;
        let found = sd.media[0].get::<rtw_sdp::attributes::RtpMap>();
        Ok(found.expect("an rtpmap line")?)
    }
    let head = "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\nm=audio 9 RTP/AVP 111\r\n";
    let good = first_rtpmap(&format!("{head}a=rtpmap:111 opus/48000/2\r\n")).unwrap();
    assert_eq!(good.payload_type, 111);
    let e = first_rtpmap(&format!("{head}a=rtpmap:111 opus\r\n")).unwrap_err();
    let Error::Attribute(inner) = &e else {
        panic!("{e:?}")
    };
    assert_eq!(inner.attribute, "rtpmap");
    assert!(inner.is_peer_fault());
    assert!(e.is_peer_fault());
    assert_eq!(e.line(), None);
    assert_eq!(e.to_string(), inner.to_string());
}
