//! Fuzz target for the rtw-stomp frame decoder and serializer (STOMP 1.2
//! "STOMP Frames", "Value Encoding", "Header content-length", "Size
//! Limits", with the 1.1 and 1.0 rules).
//!
//! Input layout: three control bytes, then the bytes of a STOMP stream
//! (missing control bytes count as zero).
//!
//! - byte 0, options: bits 0-1 the split pattern of the incremental
//!   decode ([`cut_points`]); bit 2 small limits (from byte 2) instead of
//!   the defaults; bits 3-4 the version (0 and 3: 1.2, 1: 1.1, 2: 1.0).
//! - byte 1: parameter of the split pattern.
//! - byte 2: parameter of the small limits.
//!
//! Properties checked for every input; a panic is a bug:
//!
//! 1. Split invariance: decoding in one shot and fed in pieces (then
//!    `decode_eof`) give the same items and, under the default limits,
//!    the same error. Under small limits two limits may race (a line's
//!    length against the frame's size), so only whether it failed must
//!    agree.
//! 2. Errors: under the default limits no line of an input under 8 KiB
//!    reaches `max_header_line`; a limit error names the configured limit; every error's
//!    ERROR frame serializes and reads back with the `message` header
//!    that names the rule, in every version.
//! 3. Round trip: every frame obtained, serialized for the same version,
//!    reads back as itself, but for its first `content-length`, which is
//!    rewritten as the body's length (one is added to a frame with a body
//!    and none); serializing that again gives the same bytes. Exempt:
//!    a 1.2 frame written without escapes (CONNECT, STOMP, CONNECTED)
//!    whose header value ends in CR, which 1.2 cannot carry (the CR
//!    would join the line end; STOMP 1.2 "Value Encoding").
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use rtw_fuzz::cut_points;
use rtw_stomp::{Command, Decoder, Error, Frame, Item, Limits, Version};

fuzz_target!(|input: &[u8]| {
    let (control, body) = input.split_at(input.len().min(3));
    let [opts, split_param, limit_param] =
        std::array::from_fn(|i| control.get(i).copied().unwrap_or(0));
    let small_limits = opts & 4 != 0;
    let limits = if small_limits {
        small(limit_param)
    } else {
        Limits::default()
    };
    let version = match (opts >> 3) & 3 {
        1 => Version::V1_1,
        2 => Version::V1_0,
        _ => Version::V1_2,
    };

    // 1. One shot against pieces.
    let whole = decode(&limits, version, body, &[body.len()]);
    let cuts = cut_points(body.len(), opts & 3, split_param);
    let pieces = decode(&limits, version, body, &cuts);
    if small_limits {
        assert_eq!(whole.0, pieces.0, "items differ, cut points {cuts:?}");
        assert_eq!(
            whole.1.is_some(),
            pieces.1.is_some(),
            "{whole:?} {pieces:?}"
        );
    } else {
        assert_eq!(
            whole, pieces,
            "one shot and pieces differ, cut points {cuts:?}"
        );
    }

    // 2. Errors.
    if let Some(error) = &whole.1 {
        check_error(error, &limits, small_limits || body.len() >= 8 << 10);
    }

    // 3. Round trip.
    for item in &whole.0 {
        if let Item::Frame(frame) = item {
            round_trip(frame, version);
        }
    }
});

/// Limits small enough that short inputs reach each, zero included.
fn small(p: u8) -> Limits {
    Limits::default()
        .max_headers(usize::from(p & 3))
        .max_header_line(usize::from((p >> 2) & 3) * 8)
        .max_body(usize::from((p >> 4) & 3) * 8)
        .max_frame_size(usize::from(p >> 6) * 24 + 8)
}

/// Decodes `body` fed in the pieces that end at `cuts` (the last cut is
/// `body.len()`), draining `decode` after each, then `decode_eof`; stops
/// at the first error.
fn decode(
    limits: &Limits,
    version: Version,
    body: &[u8],
    cuts: &[usize],
) -> (Vec<Item>, Option<Error>) {
    let mut decoder = Decoder::with_limits(limits.clone());
    decoder.set_version(version);
    let mut buf = BytesMut::new();
    let mut items = Vec::new();
    let mut fed = 0;
    for &cut in cuts {
        buf.extend_from_slice(&body[fed..cut]);
        fed = cut;
        loop {
            match decoder.decode(&mut buf) {
                Ok(Some(item)) => items.push(item),
                Ok(None) => break,
                Err(e) => return (items, Some(e)),
            }
        }
    }
    assert_eq!(fed, body.len());
    loop {
        match decoder.decode_eof(&mut buf) {
            Ok(Some(item)) => items.push(item),
            Ok(None) => {
                assert!(buf.is_empty(), "decode_eof left {} bytes", buf.len());
                assert!(decoder.is_idle());
                return (items, None);
            }
            Err(e) => return (items, Some(e)),
        }
    }
}

fn check_error(error: &Error, limits: &Limits, limits_reachable: bool) {
    assert!(error.is_peer_fault());
    let limit = match error {
        Error::FrameTooLarge { limit } => Some((*limit, limits.max_frame_size)),
        Error::TooManyHeaders { limit } => Some((*limit, limits.max_headers)),
        Error::HeaderLineTooLong { limit } => Some((*limit, limits.max_header_line)),
        Error::BodyTooLarge { limit } => Some((*limit, limits.max_body)),
        _ => None,
    };
    if let Some((got, configured)) = limit {
        assert_eq!(got, configured, "{error:?}");
        // A content-length may declare any size and 65 header lines fit
        // in a few hundred bytes, but no line reaches 8 KiB in a shorter
        // input.
        assert!(
            limits_reachable || !matches!(error, Error::HeaderLineTooLong { .. }),
            "{error:?} under the default limits"
        );
    }
    let answer = error.error_frame();
    assert_eq!(answer.command, Command::Error);
    for version in Version::ALL {
        let wire = answer.to_bytes(version);
        let (items, failed) = decode(&Limits::default(), version, &wire, &[wire.len()]);
        assert_eq!(failed, None, "{wire:?}");
        let [Item::Frame(back)] = items.as_slice() else {
            panic!("{items:?}")
        };
        assert_eq!(back.header("message"), Some(error.message().as_str()));
        assert_eq!(back.body, answer.body);
    }
}

/// Property 3.
fn round_trip(frame: &Frame, version: Version) {
    if version == Version::V1_2
        && frame.command.is_unescaped()
        && frame.headers.iter().any(|(_, v)| v.ends_with('\r'))
    {
        return;
    }
    let mut expected = frame.clone();
    let length = frame.body.len().to_string();
    match expected
        .headers
        .iter_mut()
        .find(|(n, _)| n == "content-length")
    {
        Some((_, value)) => *value = length,
        None if !frame.body.is_empty() => {
            expected.headers.push(("content-length".to_owned(), length));
        }
        None => {}
    }
    let wire = frame.to_bytes(version);
    let lenient = Limits::default()
        .max_frame_size(usize::MAX)
        .max_headers(usize::MAX)
        .max_header_line(usize::MAX)
        .max_body(usize::MAX);
    let (items, error) = decode(&lenient, version, &wire, &[wire.len()]);
    assert_eq!(error, None, "round trip of {wire:?}");
    assert_eq!(
        items,
        [Item::Frame(expected.clone())],
        "round trip of {wire:?}"
    );
    assert_eq!(expected.to_bytes(version), wire, "serializing again");
}
