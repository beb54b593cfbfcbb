//! The framing rules of STOMP 1.2 (and 1.1, 1.0), each from the
//! specification's section named in the test's comment.

use std::time::Duration;

use bytes::BytesMut;
use rtw_stomp::{
    Command, Decoder, Error, Frame, HeartBeat, Item, Limits, Version, negotiate_version,
};

/// Decodes all of `input` at once, then at its end.
fn decode_all(decoder: &mut Decoder, input: &[u8]) -> Result<Vec<Item>, Error> {
    let mut src = BytesMut::from(input);
    let mut items = Vec::new();
    while let Some(item) = decoder.decode_eof(&mut src)? {
        items.push(item);
    }
    Ok(items)
}

fn one_frame(version: Version, input: &[u8]) -> Result<Frame, Error> {
    let mut decoder = Decoder::new();
    decoder.set_version(version);
    let items = decode_all(&mut decoder, input)?;
    match items.as_slice() {
        [Item::Frame(frame)] => Ok(frame.clone()),
        other => panic!("expected one frame, got {other:?}"),
    }
}

fn frame(input: &[u8]) -> Frame {
    one_frame(Version::V1_2, input).unwrap()
}

fn error(input: &[u8]) -> Error {
    let mut decoder = Decoder::new();
    decode_all(&mut decoder, input).unwrap_err()
}

// "STOMP Frames": command, headers, blank line, body, NUL.
#[test]
fn a_send_frame() {
    let f = frame(b"SEND\ndestination:/queue/a\ncontent-type:text/plain\n\nhello queue a\0");
    assert_eq!(f.command, Command::Send);
    assert_eq!(
        f.headers,
        vec![
            ("destination".to_owned(), "/queue/a".to_owned()),
            ("content-type".to_owned(), "text/plain".to_owned()),
        ]
    );
    assert_eq!(&f.body[..], b"hello queue a");
}

#[test]
fn every_command_parses_and_prints() {
    for command in Command::ALL {
        assert_eq!(Command::parse(command.as_str().as_bytes()), Some(command));
        let f = frame(format!("{command}\n\n\0").as_bytes());
        assert_eq!(f, Frame::new(command));
    }
    assert_eq!(Command::parse(b"SENDX"), None);
    assert_eq!(Command::parse(b""), None);
}

#[test]
fn unknown_and_lower_case_commands_are_refused() {
    assert_eq!(error(b"send\n\n\0"), Error::UnknownCommand);
    assert_eq!(error(b"PUBLISH\n\n\0"), Error::UnknownCommand);
    assert_eq!(error(b"\r\0"), Error::UnknownCommand);
    // An HTTP request is refused at its first line, before its end.
    let mut decoder = Decoder::new();
    let mut src = BytesMut::from(&b"GET /chat HTTP/1.1"[..]);
    assert_eq!(decoder.decode(&mut src), Err(Error::UnknownCommand));
}

// "Value Encoding": \r \n \c \\ in 1.2.
#[test]
fn escapes_are_undone_in_1_2() {
    let f = frame(b"MESSAGE\na\\cb:c\\rd\\ne\\\\f\n\n\0");
    assert_eq!(f.headers, vec![("a:b".to_owned(), "c\rd\ne\\f".to_owned())]);
}

#[test]
fn an_undefined_escape_is_fatal() {
    assert_eq!(
        error(b"SEND\ndestination:/queue/\\t\n\n\0"),
        Error::UndefinedEscape { byte: Some(b't') }
    );
    assert_eq!(
        error(b"SEND\ndestination:trailing\\\n\n\0"),
        Error::UndefinedEscape { byte: None }
    );
    assert_eq!(
        error(b"SEND\nna\\me:v\n\n\0"),
        Error::UndefinedEscape { byte: Some(b'm') }
    );
    // 1.1 has no \r escape.
    assert_eq!(
        one_frame(Version::V1_1, b"SEND\nk:a\\rb\n\n\0"),
        Err(Error::UndefinedEscape { byte: Some(b'r') })
    );
    assert_eq!(
        one_frame(Version::V1_1, b"SEND\nk:a\\nb\\cc\\\\\n\n\0")
            .unwrap()
            .header("k"),
        Some("a\nb:c\\")
    );
}

// "Value Encoding": CONNECT and CONNECTED are never escaped.
#[test]
fn connect_and_connected_are_not_unescaped() {
    for version in Version::ALL {
        let f = one_frame(version, b"CONNECT\nlogin:dom\\user\npasscode:a:b\\t\n\n\0").unwrap();
        assert_eq!(f.header("login"), Some("dom\\user"));
        assert_eq!(f.header("passcode"), Some("a:b\\t"));
        let f = one_frame(version, b"CONNECTED\nserver:x\\y\n\n\0").unwrap();
        assert_eq!(f.header("server"), Some("x\\y"));
        let f = one_frame(version, b"STOMP\nhost:h\\c\n\n\0").unwrap();
        assert_eq!(f.header("host"), Some("h\\c"));
    }
    let connect = Frame::new(Command::Connect).with_header("passcode", "a:b\\c");
    assert_eq!(
        &connect.to_bytes(Version::V1_2)[..],
        b"CONNECT\npasscode:a:b\\c\n\n\0"
    );
}

// STOMP 1.0 has no escapes: a backslash is a backslash.
#[test]
fn version_1_0_has_no_escapes() {
    let f = one_frame(Version::V1_0, b"SEND\ndestination:/q/\\t:x\n\n\0").unwrap();
    assert_eq!(f.header("destination"), Some("/q/\\t:x"));
    let send = Frame::new(Command::Send).with_header("k", "a\\b:c");
    assert_eq!(&send.to_bytes(Version::V1_0)[..], b"SEND\nk:a\\b:c\n\n\0");
}

// "Repeated Header Entries": the first value counts; all are kept.
#[test]
fn a_repeated_header_keeps_its_first_value() {
    let f = frame(b"MESSAGE\nfoo:World\nfoo:Hello\n\n\0");
    assert_eq!(f.header("foo"), Some("World"));
    assert_eq!(f.headers.len(), 2);
    // So does content-length.
    let f = frame(b"SEND\ncontent-length:2\ncontent-length:5\n\nab\0");
    assert_eq!(&f.body[..], b"ab");
}

// "Header content-length": a byte count; the body may hold NULs.
#[test]
fn content_length_frames_a_body_with_nuls() {
    let f = frame(b"SEND\ncontent-length:5\n\n\0a\0b\0\0");
    assert_eq!(&f.body[..], b"\0a\0b\0");
    let f = frame(b"SEND\ncontent-length:0\n\n\0");
    assert!(f.body.is_empty());
    // Multi-byte UTF-8 is counted in bytes.
    let f = frame("SEND\ncontent-length:3\n\n\u{20ac}\0".as_bytes());
    assert_eq!(&f.body[..], "\u{20ac}".as_bytes());
}

#[test]
fn content_length_errors() {
    assert_eq!(
        error(b"SEND\ncontent-length:3\n\nabcd\0"),
        Error::MissingNul
    );
    assert_eq!(
        error(b"SEND\ncontent-length:x\n\nabc\0"),
        Error::InvalidContentLength
    );
    assert_eq!(
        error(b"SEND\ncontent-length:-1\n\n\0"),
        Error::InvalidContentLength
    );
    assert_eq!(
        error(b"SEND\ncontent-length:\n\n\0"),
        Error::InvalidContentLength
    );
    assert_eq!(
        error(b"SEND\ncontent-length:99999999999999999999999\n\n\0"),
        Error::InvalidContentLength
    );
}

// Without content-length the body runs to the first NUL.
#[test]
fn without_content_length_the_body_ends_at_nul() {
    let mut decoder = Decoder::new();
    let items = decode_all(&mut decoder, b"SEND\n\nab\0SEND\n\ncd\0").unwrap();
    let bodies: Vec<_> = items
        .iter()
        .map(|i| match i {
            Item::Frame(f) => f.body.clone(),
            Item::HeartBeat => panic!(),
        })
        .collect();
    assert_eq!(bodies, [&b"ab"[..], &b"cd"[..]]);
}

// "Augmented BNF": EOL is LF or CRLF in 1.2.
#[test]
fn crlf_line_ends_in_1_2() {
    let f = frame(b"SEND\r\ndestination:/queue/a\r\ncontent-length:2\r\n\r\nhi\0");
    assert_eq!(f.header("destination"), Some("/queue/a"));
    assert_eq!(&f.body[..], b"hi");
}

// In 1.1 and 1.0 a header line ends at LF; a CR before it is content.
#[test]
fn a_cr_is_content_in_1_1() {
    let f = one_frame(Version::V1_1, b"SEND\r\nk:v\r\n\r\n\0").unwrap();
    assert_eq!(f.command, Command::Send);
    assert_eq!(f.header("k"), Some("v\r"));
    // And 1.1 writes a CR raw, so it comes back.
    let send = Frame::new(Command::Send).with_header("k", "v\r");
    let wire = send.to_bytes(Version::V1_1);
    assert_eq!(&wire[..], b"SEND\nk:v\r\n\n\0");
    assert_eq!(one_frame(Version::V1_1, &wire).unwrap(), send);
}

// "Heart-beating": EOLs between frames.
#[test]
fn eols_between_frames_are_heart_beats() {
    let mut decoder = Decoder::new();
    let items = decode_all(&mut decoder, b"\n\r\nSEND\n\n\0\n\n\r\n").unwrap();
    assert_eq!(
        items,
        vec![
            Item::HeartBeat,
            Item::HeartBeat,
            Item::Frame(Frame::new(Command::Send)),
            Item::HeartBeat,
            Item::HeartBeat,
            Item::HeartBeat,
        ]
    );
}

#[test]
fn a_header_line_needs_a_colon_and_utf8() {
    assert_eq!(error(b"SEND\ndestination\n\n\0"), Error::MissingColon);
    assert_eq!(error(b"SEND\nk:\xff\n\n\0"), Error::NotUtf8);
    // An empty value and extra colons in 1.2 (split at the first).
    let f = frame(b"SEND\nk:\nj:a:b\n\n\0");
    assert_eq!(f.header("k"), Some(""));
    assert_eq!(f.header("j"), Some("a:b"));
}

#[test]
fn a_stream_that_ends_inside_a_frame_is_truncated() {
    for input in [&b"SEND"[..], b"SEND\n", b"SEND\nk:v\n\nbody", b"\r"] {
        let mut decoder = Decoder::new();
        assert_eq!(
            decode_all(&mut decoder, input),
            Err(Error::Truncated),
            "{input:?}"
        );
    }
    let mut decoder = Decoder::new();
    assert_eq!(decode_all(&mut decoder, b""), Ok(vec![]));
}

// "Size Limits": an ERROR frame whose message names the limit.
#[test]
fn limits_give_an_error_frame_naming_them() {
    let limits = Limits::default()
        .max_headers(2)
        .max_header_line(16)
        .max_body(8)
        .max_frame_size(40);
    let cases: [(&[u8], Error, &str); 5] = [
        (
            b"SEND\na:1\nb:2\nc:3\n\n\0",
            Error::TooManyHeaders { limit: 2 },
            "too many headers (max_headers 2)",
        ),
        (
            b"SEND\nlong:aaaaaaaaaaaaaaaa\n\n\0",
            Error::HeaderLineTooLong { limit: 16 },
            "header line too long (max_header_line 16)",
        ),
        (
            b"SEND\n\n123456789\0",
            Error::BodyTooLarge { limit: 8 },
            "body too large (max_body 8)",
        ),
        (
            b"SEND\ncontent-length:9\n\n",
            Error::BodyTooLarge { limit: 8 },
            "body too large (max_body 8)",
        ),
        (
            b"SEND\na:aaaaaaaaaaaa\nb:bbbbbbbbbbbbb\n\n12345678\0",
            Error::FrameTooLarge { limit: 40 },
            "frame too large (max_frame_size 40)",
        ),
    ];
    for (input, expected, message) in cases {
        let mut decoder = Decoder::with_limits(limits.clone());
        let mut src = BytesMut::from(input);
        let got = match decoder.decode(&mut src) {
            Ok(item) => panic!("{item:?} from {input:?}"),
            Err(e) => e,
        };
        assert_eq!(got, expected);
        assert!(got.is_peer_fault());
        let frame = got.error_frame();
        assert_eq!(frame.command, Command::Error);
        assert_eq!(frame.header("message"), Some(message));
        assert!(!frame.body.is_empty());
    }
}

// A declared length past the limit is refused before the body arrives.
#[test]
fn a_large_content_length_is_refused_at_the_head() {
    let mut decoder = Decoder::new();
    let mut src = BytesMut::from(&b"SEND\ncontent-length:1073741824\n\n"[..]);
    assert_eq!(
        decoder.decode(&mut src),
        Err(Error::BodyTooLarge { limit: 1 << 20 })
    );
}

#[test]
fn a_long_line_is_refused_before_its_end() {
    let mut decoder = Decoder::with_limits(Limits::default().max_header_line(100));
    let mut src = BytesMut::from(&b"SEND\nk:"[..]);
    src.extend_from_slice(&[b'x'; 200]);
    assert_eq!(
        decoder.decode(&mut src),
        Err(Error::HeaderLineTooLong { limit: 100 })
    );
}

// Serializing: escapes per version, content-length added or corrected.
#[test]
fn encode_escapes_and_counts() {
    let f = Frame::new(Command::Message)
        .with_header("k:1", "a\r\nb\\")
        .with_body(&b"x\0y"[..]);
    assert_eq!(
        &f.to_bytes(Version::V1_2)[..],
        b"MESSAGE\nk\\c1:a\\r\\nb\\\\\ncontent-length:3\n\nx\0y\0"
    );
    assert_eq!(
        &f.to_bytes(Version::V1_1)[..],
        b"MESSAGE\nk\\c1:a\r\\nb\\\\\ncontent-length:3\n\nx\0y\0"
    );
    // A wrong content-length given by the caller is written right.
    let f = Frame::new(Command::Send)
        .with_header("content-length", "99")
        .with_header("destination", "/q")
        .with_body(&b"ab"[..]);
    assert_eq!(
        &f.to_bytes(Version::V1_2)[..],
        b"SEND\ncontent-length:2\ndestination:/q\n\nab\0"
    );
    // No body, no content-length.
    assert_eq!(
        &Frame::new(Command::Disconnect)
            .with_header("receipt", "77")
            .to_bytes(Version::V1_2)[..],
        b"DISCONNECT\nreceipt:77\n\n\0"
    );
}

#[test]
fn round_trip_in_every_version() {
    let f = Frame::new(Command::Send)
        .with_header("destination", "/queue/a")
        .with_header("x", "1")
        .with_header("x", "2")
        .with_body(&b"\0\n\r\n"[..]);
    for version in Version::ALL {
        let mut expected = f.clone();
        expected
            .headers
            .push(("content-length".to_owned(), "4".to_owned()));
        assert_eq!(one_frame(version, &f.to_bytes(version)).unwrap(), expected);
    }
}

#[test]
fn the_decoder_is_reusable_after_an_error() {
    let mut decoder = Decoder::new();
    let mut src = BytesMut::from(&b"BAD\n"[..]);
    assert!(decoder.decode(&mut src).is_err());
    let mut src = BytesMut::from(&b"SEND\n\n\0"[..]);
    assert_eq!(
        decoder.decode(&mut src),
        Ok(Some(Item::Frame(Frame::new(Command::Send))))
    );
}

// "Heart-beating".
#[test]
fn heart_beat_header() {
    assert_eq!(HeartBeat::parse("0,0"), Ok(HeartBeat::NONE));
    assert_eq!(
        HeartBeat::parse(" 10 , 20 "),
        Ok(HeartBeat {
            can_send: Duration::from_millis(10),
            want_receive: Duration::from_millis(20)
        })
    );
    for bad in [
        "",
        "1",
        "1,",
        ",1",
        "a,1",
        "1,2,3",
        "-1,0",
        "1;2",
        "99999999999999999999,0",
    ] {
        assert_eq!(HeartBeat::parse(bad), Err(Error::InvalidHeartBeat), "{bad}");
    }
    let ms = Duration::from_millis;
    let hb = |x, y| HeartBeat {
        can_send: ms(x),
        want_receive: ms(y),
    };
    assert_eq!(HeartBeat::negotiate(hb(0, 0), hb(5, 5)), (None, None));
    assert_eq!(
        HeartBeat::negotiate(hb(100, 0), hb(0, 50)),
        (Some(ms(100)), None)
    );
    assert_eq!(
        HeartBeat::negotiate(hb(100, 0), hb(0, 500)),
        (Some(ms(500)), None)
    );
    assert_eq!(
        HeartBeat::negotiate(hb(0, 300), hb(200, 0)),
        (None, Some(ms(300)))
    );
    assert_eq!(hb(1500, 0).header_value(), "1500,0");
}

// "Protocol Negotiation".
#[test]
fn version_negotiation() {
    let all = Version::ALL;
    assert_eq!(
        negotiate_version(Some("1.2,1.1"), &all),
        Some(Version::V1_2)
    );
    assert_eq!(
        negotiate_version(Some(" 1.0 , 1.1 "), &all),
        Some(Version::V1_1)
    );
    assert_eq!(negotiate_version(Some("2.0"), &all), None);
    assert_eq!(negotiate_version(Some(""), &all), None);
    assert_eq!(negotiate_version(None, &[Version::V1_2]), None);
    assert_eq!(
        negotiate_version(Some("1.0,1.1,1.2"), &[Version::V1_1]),
        Some(Version::V1_1)
    );
    for v in Version::ALL {
        assert_eq!(Version::parse(v.as_str()), Some(v));
        assert_eq!(Version::from_subprotocol(v.subprotocol()), Some(v));
    }
}

#[test]
fn a_buffer_shorter_than_what_was_scanned_is_searched_again_not_a_panic() {
    // Caller misuse: a partial head is handed in, then a buffer that no
    // longer holds it. The decoder must not index past the new buffer.
    let mut decoder = Decoder::new();
    let mut src = BytesMut::from(&b"SEND\ndestination:/queue/a"[..]);
    assert!(decoder.decode(&mut src).unwrap().is_none());
    let mut shorter = BytesMut::from(&b"x"[..]);
    let _ = decoder.decode(&mut shorter);
    // And within a body without content-length.
    let mut decoder = Decoder::new();
    let mut src = BytesMut::from(&b"SEND\ndestination:/queue/a\n\nsome body"[..]);
    assert!(decoder.decode(&mut src).unwrap().is_none());
    let mut shorter = BytesMut::from(&b"x"[..]);
    let _ = decoder.decode(&mut shorter);
}
