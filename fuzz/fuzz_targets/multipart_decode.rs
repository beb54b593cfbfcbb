//! Fuzz target for the rtw-multipart decoder and encoder (RFC 2046
//! §5.1.1).
//!
//! Input layout: three control bytes, then the bytes of a multipart body
//! (missing control bytes count as zero).
//!
//! - byte 0, options: bits 0-1 the split pattern of the incremental
//!   decode ([`cut_points`]); bits 2-5 the tolerances (LF line ends,
//!   missing CRLF before a delimiter, dashed boundary, missing close
//!   delimiter); bit 6 small limits (from byte 2) instead of the
//!   defaults; bit 7 the boundary `--b` instead of `b`.
//! - byte 1: parameter of the split pattern.
//! - byte 2: parameter of the small limits.
//!
//! Properties checked for every input; a panic is a bug:
//!
//! 1. Split invariance: decoding in one shot and fed in pieces (then
//!    `decode_eof`) give the same parts, the same close delimiter and the
//!    same error.
//! 2. Every decode error is a peer fault and final; no part after
//!    `Item::End`; `Ok(None)` from `decode_eof` only when the decoder is
//!    done.
//! 3. Round trip: the parts obtained, re-encoded with the same boundary
//!    by `Encoder` (skipped when a body holds the delimiter, which the
//!    encoder refuses) and closed, decode strictly to the same parts, with
//!    `Content-Length` set to each body's length, and the close delimiter.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use rtw_fuzz::cut_points;
use rtw_multipart::http::HeaderValue;
use rtw_multipart::http::header::CONTENT_LENGTH;
use rtw_multipart::{Boundary, Config, Decoder, Encoder, Error, Item, Limits, Part};

fuzz_target!(|input: &[u8]| {
    let (control, body) = input.split_at(input.len().min(3));
    let [opts, split_param, limit_param] =
        std::array::from_fn(|i| control.get(i).copied().unwrap_or(0));
    let mut config = Config::default()
        .allow_lf_line_ends(opts & 4 != 0)
        .allow_missing_crlf_before_delimiter(opts & 8 != 0)
        .allow_dashed_boundary(opts & 16 != 0)
        .allow_missing_close_delimiter(opts & 32 != 0);
    if opts & 64 != 0 {
        config = config.limits(small(limit_param));
    }
    let boundary = Boundary::new(if opts & 128 != 0 { "--b" } else { "b" }).unwrap();

    // 1. One shot against pieces.
    let whole = decode(&boundary, &config, body, &[]);
    let cuts = cut_points(body.len(), opts & 3, split_param);
    let pieces = decode(&boundary, &config, body, &cuts);
    assert_eq!(
        whole, pieces,
        "one shot and pieces differ, cut points {cuts:?}"
    );

    // 3. Round trip.
    let mut encoder = Encoder::new(boundary.clone());
    let mut wire = BytesMut::new();
    for part in &whole.parts {
        match encoder.encode_part(part) {
            Ok(encoded) => encoded.write_to(&mut wire),
            Err(Error::BoundaryInBody) => return,
            Err(e) => panic!("encoder: {e}"),
        }
    }
    wire.extend_from_slice(&encoder.close().unwrap());
    let roomy = Config::default().limits(
        Limits::default()
            .max_headers(usize::MAX)
            .max_header_bytes(usize::MAX),
    );
    let again = decode(&boundary, &roomy, &wire, &[]);
    let expected: Vec<Part> = whole
        .parts
        .iter()
        .map(|part| {
            let mut part = part.clone();
            part.headers
                .insert(CONTENT_LENGTH, HeaderValue::from(part.body.len()));
            part
        })
        .collect();
    assert_eq!(again.error, None, "re-encoded body: {wire:?}");
    assert!(again.closed);
    assert_eq!(again.parts, expected, "round trip");
});

/// Everything one decode produced.
#[derive(Debug, PartialEq)]
struct Outcome {
    parts: Vec<Part>,
    closed: bool,
    error: Option<Error>,
}

/// Limits small enough that short inputs reach every one of them.
fn small(p: u8) -> Limits {
    let p = usize::from(p);
    Limits::default()
        .max_part_size(p & 0x1f)
        .max_headers(p & 3)
        .max_header_bytes(p >> 2)
        .max_preamble_size(p & 0xf)
        .max_transport_padding(p & 1)
}

/// Decode `body` fed in the pieces that end at `cuts` (the last ending
/// at `body.len()`, or none for an empty body), then `decode_eof`.
fn decode(boundary: &Boundary, config: &Config, body: &[u8], cuts: &[usize]) -> Outcome {
    let mut decoder = Decoder::with_config(boundary.clone(), config.clone());
    let mut buf = BytesMut::new();
    let mut out = Outcome {
        parts: Vec::new(),
        closed: false,
        error: None,
    };
    let mut fed = 0;
    // The pieces, then once more at the end of the stream.
    let steps = cuts
        .iter()
        .map(|&cut| (cut, false))
        .chain([(body.len(), true)]);
    for (cut, eof) in steps {
        buf.extend_from_slice(&body[fed..cut]);
        fed = cut;
        loop {
            let result = if eof {
                decoder.decode_eof(&mut buf)
            } else {
                decoder.decode(&mut buf)
            };
            match result {
                Ok(Some(Item::Part(part))) => {
                    assert!(!out.closed, "a part after the close delimiter");
                    out.parts.push(part);
                }
                Ok(Some(Item::End)) => {
                    assert!(!out.closed, "two close delimiters");
                    out.closed = true;
                }
                Ok(Some(other)) => panic!("an item this target does not know: {other:?}"),
                Ok(None) => {
                    assert!(
                        !eof || decoder.is_done(),
                        "decode_eof gave None before the end"
                    );
                    break;
                }
                Err(error) => {
                    assert!(
                        error.is_peer_fault(),
                        "decoder gave a misuse error: {error:?}"
                    );
                    let _ = error.to_string();
                    // Errors are final.
                    assert_eq!(decoder.decode(&mut buf), Err(error.clone()));
                    out.error = Some(error);
                    return out;
                }
            }
        }
    }
    out
}
