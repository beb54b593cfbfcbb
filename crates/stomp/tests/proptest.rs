//! Property tests: the decoder gives the same items (and the same error)
//! however its input is split, one shot, byte by byte or at random cuts;
//! and `decode(encode(f)) == f` in every version.

use bytes::BytesMut;
use proptest::prelude::*;
use rtw_stomp::{Command, Decoder, Error, Frame, Item, Limits, Version};

/// Feeds `input` cut at `cuts`; stops at the first error.
fn run(
    input: &[u8],
    cuts: &[usize],
    version: Version,
    limits: &Limits,
) -> (Vec<Item>, Option<Error>) {
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
    cuts.sort_unstable();
    let mut decoder = Decoder::with_limits(limits.clone());
    decoder.set_version(version);
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    let mut start = 0;
    for end in cuts.into_iter().chain([input.len()]) {
        buf.extend_from_slice(&input[start..end]);
        start = end;
        loop {
            match decoder.decode(&mut buf) {
                Ok(Some(item)) => out.push(item),
                Ok(None) => break,
                Err(e) => return (out, Some(e)),
            }
        }
    }
    loop {
        match decoder.decode_eof(&mut buf) {
            Ok(Some(item)) => out.push(item),
            Ok(None) => return (out, None),
            Err(e) => return (out, Some(e)),
        }
    }
}

/// STOMP-like bytes: commands, line ends, NULs, colons, escapes (good and
/// bad), content-length headers, invalid UTF-8.
fn streamish() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        Just(b"SEND".to_vec()),
        Just(b"MESSAGE".to_vec()),
        Just(b"CONNECT".to_vec()),
        Just(b"CONNECTED".to_vec()),
        Just(b"ERROR".to_vec()),
        Just(b"content-length:".to_vec()),
        Just(b"destination:/queue/a".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\r".to_vec()),
        Just(b"\n\n".to_vec()),
        Just(b"\0".to_vec()),
        Just(b":".to_vec()),
        Just(b"\\n".to_vec()),
        Just(b"\\c".to_vec()),
        Just(b"\\r".to_vec()),
        Just(b"\\\\".to_vec()),
        Just(b"\\t".to_vec()),
        Just(b"\\".to_vec()),
        Just(b"\xE2\x82".to_vec()),
        "[0-9]{1,2}".prop_map(String::into_bytes),
        "[a-z€]{1,4}".prop_map(String::into_bytes),
    ];
    proptest::collection::vec(token, 0..60).prop_map(|v| v.concat())
}

fn version() -> impl Strategy<Value = Version> {
    prop_oneof![
        Just(Version::V1_0),
        Just(Version::V1_1),
        Just(Version::V1_2)
    ]
}

fn command() -> impl Strategy<Value = Command> {
    proptest::sample::select(Command::ALL.to_vec())
}

/// A frame `version` can carry: in frames without escapes (CONNECT,
/// STOMP, CONNECTED, and every frame of 1.0) names have no colon or LF
/// and values no LF; in 1.2 those frames' values have no CR either (a CR
/// before the LF is a line end there).
fn frame_for(version: Version) -> impl Strategy<Value = Frame> {
    let text = "[a-z0-9:\\\\\r\n \u{e9}\u{20ac}/.-]{0,12}";
    (
        command(),
        proptest::collection::vec((text, text), 0..6),
        proptest::collection::vec(any::<u8>(), 0..40),
    )
        .prop_map(move |(command, headers, body)| {
            let raw = command.is_unescaped() || version == Version::V1_0;
            let headers = headers
                .into_iter()
                .map(|(mut name, mut value)| {
                    if raw {
                        name.retain(|c| c != ':' && c != '\n');
                        value.retain(|c| c != '\n');
                        if version == Version::V1_2 {
                            value.retain(|c| c != '\r');
                        }
                    }
                    if name == "content-length" {
                        name.push('x');
                    }
                    (name, value)
                })
                .collect();
            Frame {
                command,
                headers,
                body: body.into(),
            }
        })
}

fn frame_and_version() -> impl Strategy<Value = (Version, Frame)> {
    version().prop_flat_map(|v| (Just(v), frame_for(v)))
}

fn with_length(mut frame: Frame) -> Frame {
    if !frame.body.is_empty() {
        frame
            .headers
            .push(("content-length".to_owned(), frame.body.len().to_string()));
    }
    frame
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_input_is_split_invariant(
        input in streamish(),
        version in version(),
        cuts in proptest::collection::vec(any::<usize>(), 0..20),
    ) {
        let limits = Limits::default();
        let whole = run(&input, &[], version, &limits);
        let bytewise: Vec<usize> = (1..input.len()).collect();
        prop_assert_eq!(&run(&input, &bytewise, version, &limits), &whole);
        prop_assert_eq!(&run(&input, &cuts, version, &limits), &whole);
    }

    /// With tiny limits two limits can race (a line's length against the
    /// frame's size), so only the items and whether it failed must agree.
    #[test]
    fn tiny_limits_are_split_invariant(
        input in streamish(),
        version in version(),
        cuts in proptest::collection::vec(any::<usize>(), 0..20),
        headers in 0usize..4,
        line in 0usize..24,
        body in 0usize..24,
        frame in 0usize..64,
    ) {
        let limits = Limits::default()
            .max_headers(headers)
            .max_header_line(line)
            .max_body(body)
            .max_frame_size(frame);
        let (items, error) = run(&input, &[], version, &limits);
        let bytewise: Vec<usize> = (1..input.len()).collect();
        for split in [&bytewise, &cuts] {
            let (split_items, split_error) = run(&input, split, version, &limits);
            prop_assert_eq!(&split_items, &items);
            prop_assert_eq!(split_error.is_some(), error.is_some());
        }
    }

    #[test]
    fn decode_encode_round_trip((version, frame) in frame_and_version()) {
        let wire = frame.to_bytes(version);
        let (items, error) = run(&wire, &[], version, &Limits::default());
        prop_assert_eq!(error, None);
        prop_assert_eq!(items, vec![Item::Frame(with_length(frame))]);
    }

    /// Frames with heart-beats between them, cut anywhere, come back.
    #[test]
    fn streams_of_frames_round_trip(
        (version, frames) in version().prop_flat_map(|v| {
            (Just(v), proptest::collection::vec((frame_for(v), 0usize..3, any::<bool>()), 0..6))
        }),
        cuts in proptest::collection::vec(any::<usize>(), 0..20),
    ) {
        let mut wire = Vec::new();
        let mut expected = Vec::new();
        for (frame, beats, crlf) in frames {
            wire.extend_from_slice(&frame.to_bytes(version));
            expected.push(Item::Frame(with_length(frame)));
            for _ in 0..beats {
                wire.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
                expected.push(Item::HeartBeat);
            }
        }
        let bytewise: Vec<usize> = (1..wire.len()).collect();
        for split in [&[][..], &bytewise, &cuts] {
            let (items, error) = run(&wire, split, version, &Limits::default());
            prop_assert_eq!(error, None);
            prop_assert_eq!(&items, &expected);
        }
    }

    /// Whatever comes in, encoding what came out and decoding it again
    /// gives the same frames (encode is a fixed point after one pass).
    #[test]
    fn reencoding_decoded_frames_is_stable(input in streamish(), version in version()) {
        let (items, _) = run(&input, &[], version, &Limits::default());
        for item in items {
            if let Item::Frame(frame) = item {
                let wire = frame.to_bytes(version);
                let (again, error) = run(&wire, &[], version, &Limits::default());
                if error.is_none() {
                    prop_assert_eq!(again.len(), 1);
                    let Item::Frame(again) = &again[0] else { unreachable!() };
                    prop_assert_eq!(&again.command, &frame.command);
                    prop_assert_eq!(&again.body, &frame.body);
                }
            }
        }
    }
}
