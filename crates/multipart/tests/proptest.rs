//! Round trip (encode parts, decode them back) and split invariance (any
//! cut of any input decodes alike), in strict and lenient modes, default
//! and tiny limits.

mod common;
use bytes::{Bytes, BytesMut};
use common::{Outcome, decode, decode_cuts};
use proptest::prelude::*;
use rtw_multipart::http::header::CONTENT_LENGTH;
use rtw_multipart::http::{HeaderMap, HeaderName, HeaderValue};
use rtw_multipart::{Boundary, Config, Encoder, Error, Limits, Part};

fn part() -> impl Strategy<Value = Part> {
    (
        prop::sample::select(vec![
            "image/jpeg",
            "text/plain; charset=utf-8",
            "application/octet-stream",
            "",
        ]),
        prop::collection::vec(any::<u8>(), 0..300),
        prop::option::of("[0-9]{1,10}\\.[0-9]{6}"),
    )
        .prop_map(|(ct, body, ts)| {
            let mut part = if ct.is_empty() {
                Part {
                    headers: HeaderMap::new(),
                    body: Bytes::from(body),
                }
            } else {
                Part::new(ct, body)
            };
            if let Some(ts) = ts {
                part.headers.insert(
                    HeaderName::from_static("x-timestamp"),
                    HeaderValue::from_str(&ts).unwrap(),
                );
            }
            part
        })
}

/// The ends of pieces of the given sizes, repeated; a size 0 is a call
/// with no new bytes.
fn cuts(len: usize, sizes: &[usize]) -> Vec<usize> {
    let mut cuts = Vec::new();
    let mut at = 0;
    for &s in sizes.iter().cycle().take(2 * len + 8) {
        if at >= len {
            break;
        }
        at = (at + s).min(len);
        cuts.push(at);
    }
    cuts.push(len);
    cuts
}

fn boundary() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("b".to_string()),
        Just("--frame".to_string()),
        Just("a b".to_string()),
        "[A-Za-z0-9'()+_,./:=?-]{1,69}[A-Za-z0-9]",
    ]
}

/// `part` as the decoder gives it back from the encoder: Content-Length
/// added.
fn expected(part: &Part) -> Part {
    let mut p = part.clone();
    p.headers
        .insert(CONTENT_LENGTH, HeaderValue::from(part.body.len()));
    p
}

proptest! {
    #[test]
    fn round_trip(boundary in boundary(), parts in prop::collection::vec(part(), 0..6),
                  close in any::<bool>(), sizes in prop::collection::vec(0usize..20, 1..8)) {
        let mut encoder = Encoder::new(Boundary::new(boundary.clone()).unwrap());
        let mut wire = BytesMut::new();
        for part in &parts {
            match encoder.encode_part(part) {
                Ok(encoded) => encoded.write_to(&mut wire),
                Err(Error::BoundaryInBody) => return Ok(()),
                Err(e) => panic!("{e}"),
            }
        }
        if close {
            wire.extend_from_slice(&encoder.close().unwrap());
        }
        let want = Outcome {
            parts: parts.iter().map(expected).collect(),
            closed: close,
            error: (!close).then_some(if parts.is_empty() {
                Error::Truncated("preamble, before any delimiter")
            } else {
                Error::MissingCloseDelimiter
            }),
        };
        let config = Config::default();
        prop_assert_eq!(&decode(&boundary, &config, &wire), &want);
        prop_assert_eq!(&decode_cuts(&boundary, &config, &wire, &cuts(wire.len(), &sizes)), &want);
        // Lenient decoding of a valid body gives the same parts.
        let lenient = decode(&boundary, &Config::lenient(), &wire);
        prop_assert_eq!(&lenient.parts, &want.parts);
    }

    #[test]
    fn round_trip_without_content_length(boundary in boundary(),
                                         parts in prop::collection::vec(part(), 1..6),
                                         sizes in prop::collection::vec(0usize..20, 1..8)) {
        // Bodies found by scanning for the delimiter.
        let delimiter = format!("\r\n--{boundary}");
        let mut wire = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            let body = &part.body;
            if body.windows(delimiter.len()).any(|w| w == delimiter.as_bytes())
                || body.starts_with(&delimiter.as_bytes()[2..]) {
                return Ok(());
            }
            if i > 0 {
                wire.extend(b"\r\n");
            }
            wire.extend(format!("--{boundary}\r\n").bytes());
            for (name, value) in &part.headers {
                wire.extend(format!("{name}: ").bytes());
                wire.extend(value.as_bytes());
                wire.extend(b"\r\n");
            }
            wire.extend(b"\r\n");
            wire.extend(body);
        }
        wire.extend(format!("{delimiter}--").bytes());
        let want = Outcome { parts: parts.clone(), closed: true, error: None };
        let config = Config::default();
        prop_assert_eq!(&decode(&boundary, &config, &wire), &want);
        prop_assert_eq!(&decode_cuts(&boundary, &config, &wire, &cuts(wire.len(), &sizes)), &want);
    }

    #[test]
    fn arbitrary_input_is_split_invariant(
        pieces in prop::collection::vec(prop::sample::select(vec![
            "--b", "--", "-", "\r\n", "\n", "\r", " ", "\t", "x", "b", "--b--",
            "Content-Length: 3\r\n", "Content-Type: a/b\r\n", "X: y\r\n", ":", "\r\n\r\n",
            "Content-Length: 0\r\n", "Content-Length: 99\r\n", "\u{0}",
        ]), 0..40),
        config_bits in 0u8..64,
        sizes in prop::collection::vec(0usize..10, 1..6),
    ) {
        let input: Vec<u8> = pieces.concat().into_bytes();
        let mut config = Config::default()
            .allow_lf_line_ends(config_bits & 1 != 0)
            .allow_missing_crlf_before_delimiter(config_bits & 2 != 0)
            .allow_dashed_boundary(config_bits & 4 != 0)
            .allow_missing_close_delimiter(config_bits & 8 != 0);
        if config_bits & 16 != 0 {
            config = config.limits(Limits::default().max_part_size(4).max_headers(1)
                .max_header_bytes(20).max_preamble_size(6).max_transport_padding(1));
        }
        let boundary = if config_bits & 32 != 0 { "--b" } else { "b" };
        let one = decode(boundary, &config, &input);
        let bytewise: Vec<usize> = (1..=input.len()).collect();
        prop_assert_eq!(&one, &decode_cuts(boundary, &config, &input, &bytewise));
        prop_assert_eq!(&one, &decode_cuts(boundary, &config, &input, &cuts(input.len(), &sizes)));
    }
}
