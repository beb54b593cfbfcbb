//! Fuzz target for the rtw-chunked decoder (RFC 9112 §7.1).
//!
//! Input layout: three control bytes, then the bytes to decode as a
//! chunked body (missing control bytes count as zero).
//!
//! - byte 0, options: bit 0 `report_chunk_headers`; bit 1 small limits
//!   (from byte 2) instead of the defaults; bits 2-3 the trailer policy;
//!   bits 4-5 the split pattern of the incremental decode.
//! - byte 1: parameter of the split pattern (stride, seed or cut point),
//!   also the chunk size of the re-encoding.
//! - byte 2: parameter of the small limits.
//!
//! Properties checked for every input; a panic is a bug in the decoder or
//! encoder:
//!
//! 1. Split invariance: decoding in one shot and decoding fed in pieces
//!    give the same frames (consecutive `Data` merged, as their split
//!    follows the arrival of bytes), the same final error (errors are
//!    `PartialEq`), the same bytes left after the body, the same
//!    `body_len`.
//! 2. No `Data` frame is empty; `Ok(None)` before the end of the body means
//!    all input was consumed; every decode error is a peer fault.
//! 3. Frame order: `Trailers` only right before `End`, `End` last, no `End`
//!    after an error; `body_len` equals the data length of a complete body.
//! 4. `report_chunk_headers` changes nothing but the `Chunk` frames, and
//!    each `Chunk` announces exactly the data that follows it.
//! 5. Round trip of a complete body: its payload re-encoded in other chunk
//!    sizes plus its trailers decodes to the same payload and trailers; and
//!    re-encoded with the original chunk boundaries and extensions, it
//!    decodes to the same frames, chunk headers included.
#![no_main]

use bytes::{Bytes, BytesMut};
use http::HeaderMap;
use libfuzzer_sys::fuzz_target;
use rtw_chunked::{
    ChunkExtension, ChunkHeader, Config, Decoder, Encoder, Error, Frame, Limits, TrailerPolicy,
    is_prohibited_trailer,
};
use rtw_fuzz::cut_points;

fuzz_target!(|input: &[u8]| {
    let (control, body) = input.split_at(input.len().min(3));
    let [opts, split_param, limit_param] =
        std::array::from_fn(|i| control.get(i).copied().unwrap_or(0));
    let config = config(opts, limit_param);

    // 1. One shot against pieces.
    let whole = decode_whole(&config, body);
    check_structure(&whole, &config);
    let cuts = cut_points(body.len(), (opts >> 4) & 3, split_param);
    let pieces = decode_pieces(&config, body, &cuts);
    assert_eq!(
        whole, pieces,
        "one shot and pieces differ, cut points {cuts:?}"
    );

    // 4. The same body with chunk headers reported the other way.
    let flipped = config
        .clone()
        .report_chunk_headers(!config.report_chunk_headers);
    let other = decode_whole(&flipped, body);
    check_structure(&other, &flipped);
    let (with_headers, without_headers) = if config.report_chunk_headers {
        (&whole, &other)
    } else {
        (&other, &whole)
    };
    assert_eq!(
        Outcome {
            items: strip_chunk_headers(&with_headers.items),
            ..with_headers.clone()
        },
        *without_headers,
        "report_chunk_headers changed more than the Chunk frames"
    );

    // 5. Round trips, from the outcome that holds the chunk headers.
    if with_headers.rest.is_some() {
        check_round_trip(with_headers, config.trailer_policy, split_param);
    }
});

/// A decoded frame, with the data of consecutive `Data` frames merged: how
/// a body is cut into `Data` frames depends on how its bytes arrived,
/// everything else must not.
#[derive(Debug, Clone, PartialEq)]
enum Item {
    Chunk(ChunkHeader),
    Data(Vec<u8>),
    Trailers(HeaderMap),
    End,
}

/// Everything one decode of a body produced.
#[derive(Debug, Clone, Default, PartialEq)]
struct Outcome {
    items: Vec<Item>,
    /// The error that stopped the decode (errors are final).
    error: Option<Error>,
    /// Once the body is complete: the input after it, which the decoder
    /// must leave in the buffer (the next pipelined message).
    rest: Option<Vec<u8>>,
    /// [`Decoder::body_len`] when the decode stopped.
    body_len: u64,
}

impl Outcome {
    fn push(&mut self, frame: Frame) {
        self.push_item(match frame {
            Frame::Data(data) => {
                assert!(!data.is_empty(), "empty Data frame");
                Item::Data(data.to_vec())
            }
            Frame::Chunk(header) => Item::Chunk(header),
            Frame::Trailers(trailers) => Item::Trailers(trailers),
            Frame::End => Item::End,
            other => panic!("a frame this target does not know: {other:?}"),
        });
    }

    /// Append `item`, merging data into a preceding `Data`.
    fn push_item(&mut self, item: Item) {
        if let (Item::Data(data), Some(Item::Data(prev))) = (&item, self.items.last_mut()) {
            prev.extend_from_slice(data);
        } else {
            self.items.push(item);
        }
    }

    fn fail(&mut self, error: Error) {
        assert!(
            error.is_peer_fault(),
            "decoder gave a misuse error: {error:?}"
        );
        // Must not panic either; a server answers with it.
        let _ = error.status();
        self.error = Some(error);
    }
}

/// Decoder options from the control bytes.
fn config(opts: u8, limit_param: u8) -> Config {
    let trailer_policy = match (opts >> 2) & 3 {
        1 => TrailerPolicy::Discard,
        2 => TrailerPolicy::Allow,
        _ => TrailerPolicy::Reject,
    };
    let limits = if opts & 2 != 0 {
        small_limits(limit_param)
    } else {
        Limits::default()
    };
    Config::default()
        .limits(limits)
        .report_chunk_headers(opts & 1 != 0)
        .trailer_policy(trailer_policy)
}

/// Limits small enough that short inputs reach every one of them,
/// zero included for most.
fn small_limits(p: u8) -> Limits {
    let p = usize::from(p);
    Limits::default()
        .max_extension_bytes_per_chunk(p & 0x1f)
        .max_extension_bytes_per_body(p)
        .max_trailer_bytes(p / 2)
        .max_trailer_fields(p & 3)
        .max_chunk_size_digits(1 + (p & 7))
        .max_chunk_size((p & 0x80 == 0).then_some(p as u64 * 8))
        .max_body_size((p & 0x40 == 0).then_some(p as u64 * 32))
}

/// Limits that any body the encoder writes from a decoded body passes.
fn lenient(report_chunk_headers: bool) -> Config {
    Config::default()
        .limits(
            Limits::default()
                .max_extension_bytes_per_chunk(usize::MAX)
                .max_extension_bytes_per_body(usize::MAX)
                .max_trailer_bytes(usize::MAX)
                .max_trailer_fields(usize::MAX),
        )
        .report_chunk_headers(report_chunk_headers)
        .trailer_policy(TrailerPolicy::Reject)
}

/// Decode `body` given all at once, ending with `decode_eof`.
fn decode_whole(config: &Config, body: &[u8]) -> Outcome {
    let mut decoder = Decoder::with_config(config.clone());
    let mut buf = BytesMut::from(body);
    let mut out = Outcome::default();
    drain(&mut decoder, &mut buf, true, &mut out);
    finish(&decoder, &buf, out)
}

/// Decode `body` fed in the pieces that end at `cuts`, calling `decode`
/// after each piece, then `decode_eof`. Pieces keep coming after the end of
/// the body: they must stay in the buffer.
fn decode_pieces(config: &Config, body: &[u8], cuts: &[usize]) -> Outcome {
    let mut decoder = Decoder::with_config(config.clone());
    let mut buf = BytesMut::new();
    let mut out = Outcome::default();
    let mut fed = 0;
    for &cut in cuts {
        buf.extend_from_slice(&body[fed..cut]);
        fed = cut;
        if !drain(&mut decoder, &mut buf, false, &mut out) {
            return finish(&decoder, &buf, out);
        }
    }
    debug_assert_eq!(fed, body.len());
    drain(&mut decoder, &mut buf, true, &mut out);
    finish(&decoder, &buf, out)
}

/// Take frames until the decoder wants more input (or, at `eof`, until the
/// body is done or fails). Returns `false` once an error ended the decode.
fn drain(decoder: &mut Decoder, buf: &mut BytesMut, eof: bool, out: &mut Outcome) -> bool {
    loop {
        let result = if eof {
            decoder.decode_eof(buf)
        } else {
            decoder.decode(buf)
        };
        match result {
            Ok(Some(frame)) => out.push(frame),
            Ok(None) => {
                assert!(
                    decoder.is_done() || buf.is_empty(),
                    "Ok(None) before the end of the body left {} bytes unconsumed",
                    buf.len()
                );
                return true;
            }
            Err(error) => {
                out.fail(error);
                return false;
            }
        }
    }
}

fn finish(decoder: &Decoder, buf: &BytesMut, mut out: Outcome) -> Outcome {
    out.rest = decoder.is_done().then(|| buf.to_vec());
    out.body_len = decoder.body_len();
    out
}

/// Frame order and the agreement of chunk headers with the data.
fn check_structure(out: &Outcome, config: &Config) {
    let items = &out.items;
    let done = out.rest.is_some();
    assert_eq!(
        done,
        items.last() == Some(&Item::End),
        "End and is_done disagree"
    );
    assert!(!(done && out.error.is_some()), "error after End");
    for (i, item) in items.iter().enumerate() {
        let next = items.get(i + 1);
        match item {
            Item::End => assert!(next.is_none(), "frames after End"),
            Item::Trailers(t) => {
                assert!(!t.is_empty(), "empty Trailers frame");
                assert_eq!(next, Some(&Item::End), "Trailers not followed by End");
            }
            Item::Data(_) => assert!(
                !config.report_chunk_headers
                    || matches!(i.checked_sub(1).map(|p| &items[p]), Some(Item::Chunk(_))),
                "Data without its Chunk header"
            ),
            Item::Chunk(header) => {
                assert!(config.report_chunk_headers, "Chunk frame not asked for");
                match next {
                    Some(Item::Data(data)) => {
                        let len = data.len() as u64;
                        assert!(header.size > 0, "data after the last-chunk");
                        // Short only when the input stopped inside the data.
                        if i + 2 < items.len() {
                            assert_eq!(len, header.size, "chunk data length");
                        } else {
                            assert!(len <= header.size, "more data than the chunk size");
                        }
                    }
                    Some(_) => assert_eq!(
                        header.size, 0,
                        "chunk of {} bytes without data",
                        header.size
                    ),
                    None => {}
                }
            }
        }
    }
    if done {
        assert_eq!(out.body_len, data_len(items), "body_len of a complete body");
    }
    if let Some(policy_error @ Error::ProhibitedTrailer(_)) = &out.error {
        assert_eq!(
            config.trailer_policy,
            TrailerPolicy::Reject,
            "{policy_error:?}"
        );
    }
}

fn data_len(items: &[Item]) -> u64 {
    items
        .iter()
        .map(|item| match item {
            Item::Data(data) => data.len() as u64,
            _ => 0,
        })
        .sum()
}

/// `items` as they would be without `report_chunk_headers`.
fn strip_chunk_headers(items: &[Item]) -> Vec<Item> {
    let mut out = Outcome::default();
    for item in items {
        if !matches!(item, Item::Chunk(_)) {
            out.push_item(item.clone());
        }
    }
    out.items
}

/// Re-encode a complete body decoded with chunk headers and decode it
/// again (property 5).
fn check_round_trip(out: &Outcome, policy: TrailerPolicy, chunk_param: u8) {
    let trailers = out
        .items
        .iter()
        .find_map(|item| match item {
            Item::Trailers(t) => Some(t.clone()),
            _ => None,
        })
        .unwrap_or_default();
    // Only `TrailerPolicy::Allow` reports the fields RFC 9110 §6.5.1 keeps
    // out of trailers, and the encoder refuses to send those.
    let prohibited = trailers.keys().any(|n| is_prohibited_trailer(n.as_str()));
    assert!(
        !prohibited || policy == TrailerPolicy::Allow,
        "prohibited trailer under {policy:?}"
    );
    assert_eq!(
        Encoder::new().encode_last(&trailers).is_err(),
        prohibited,
        "encoder and decoder disagree on prohibited trailers"
    );
    let mut sendable = trailers.clone();
    for name in trailers
        .keys()
        .filter(|n| is_prohibited_trailer(n.as_str()))
    {
        sendable.remove(name);
    }
    let payload: Vec<u8> = out
        .items
        .iter()
        .flat_map(|item| match item {
            Item::Data(data) => data.as_slice(),
            _ => &[],
        })
        .copied()
        .collect();

    // (a) The payload in chunks of 1 to 64 bytes, through both chunk
    // encoders in turn, and the trailers.
    let mut encoder = Encoder::new();
    let mut wire = BytesMut::new();
    let size = 1 + usize::from(chunk_param % 64);
    for (i, piece) in payload.chunks(size).enumerate() {
        if i % 2 == 0 {
            let chunk = encoder.encode_chunk(Bytes::copy_from_slice(piece)).unwrap();
            chunk.write_to(&mut wire);
        } else {
            encoder.encode_chunk_into(piece, &mut wire).unwrap();
        }
    }
    wire.extend_from_slice(&encoder.encode_last(&sendable).unwrap());
    let mut expected = Outcome::default();
    if !payload.is_empty() {
        expected.push_item(Item::Data(payload.clone()));
    }
    if !sendable.is_empty() {
        expected.push_item(Item::Trailers(sendable.clone()));
    }
    expected.push_item(Item::End);
    expected.rest = Some(Vec::new());
    expected.body_len = payload.len() as u64;
    assert_eq!(
        decode_whole(&lenient(false), &wire),
        expected,
        "re-chunked round trip"
    );

    // (b) The original chunk boundaries and extensions.
    let mut encoder = Encoder::new();
    let mut wire = BytesMut::new();
    let mut last_extensions: Vec<ChunkExtension> = Vec::new();
    for (i, item) in out.items.iter().enumerate() {
        let Item::Chunk(header) = item else { continue };
        if header.size == 0 {
            last_extensions = header.extensions.clone();
        } else {
            let Some(Item::Data(data)) = out.items.get(i + 1) else {
                unreachable!("checked by check_structure")
            };
            let chunk = encoder
                .encode_chunk_with_extensions(Bytes::copy_from_slice(data), &header.extensions)
                .unwrap();
            chunk.write_to(&mut wire);
        }
    }
    let last = encoder
        .encode_last_with_extensions(&last_extensions, &sendable)
        .unwrap();
    wire.extend_from_slice(&last);
    let mut expected = Outcome::default();
    for item in &out.items {
        match item {
            Item::Trailers(_) if sendable.is_empty() => {}
            Item::Trailers(_) => expected.push_item(Item::Trailers(sendable.clone())),
            _ => expected.push_item(item.clone()),
        }
    }
    expected.rest = Some(Vec::new());
    expected.body_len = out.body_len;
    assert_eq!(
        decode_whole(&lenient(true), &wire),
        expected,
        "same-chunks round trip"
    );
}
