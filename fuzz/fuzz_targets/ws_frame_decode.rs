//! Fuzz target for the rtw-ws frame decoder (RFC 6455 §5.2).
//!
//! Input layout: three control bytes, then the bytes to decode as a stream
//! of frames (missing control bytes count as zero).
//!
//! - byte 0, options: bits 0-1 the split pattern of the incremental decode;
//!   bits 2-3 the decoder (server role, client role, any role twice);
//!   bit 4 a small frame size limit (from byte 2) instead of a large one;
//!   bits 5-7 the RSV bits an extension allows.
//! - byte 1: parameter of the split pattern (stride, seed or cut point).
//! - byte 2: the small frame size limit, 0 to 255 bytes (or, without bit 4,
//!   bit 0 picks 16 MiB or no limit at all).
//!
//! Properties checked for every input; a panic is a bug in the decoder or
//! encoder:
//!
//! 1. Split invariance: decoding in one shot and decoding fed in pieces
//!    give the same frames, the same final error (errors are `PartialEq`)
//!    and, without an error, the same bytes left in the buffer and the same
//!    header of the frame still arriving.
//! 2. End of stream (`decode_eof`): after the last piece, `decode_eof`
//!    gives no further frame; it is `Ok(None)` exactly when the stream
//!    ended between frames (nothing left, no frame in progress), and
//!    `Error::TruncatedFrame` (a peer fault without a close code: the
//!    transport is gone) otherwise.
//! 3. Every frame obeys the decoder's rules: masking by role, allowed RSV
//!    bits, the size limit, control frames final and at most 125 bytes;
//!    `Ok(None)` without a frame in progress leaves fewer bytes than the
//!    longest header, and every error is a peer fault with a close code.
//! 4. Round trip: each decoded frame re-encoded with `encode_frame` (same
//!    header bits, same key) gives back exactly the bytes it was decoded
//!    from, since lengths must be minimal and masking is an involution; and
//!    those bytes decode again to the same frame.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use rtw_fuzz::cut_points;
use rtw_ws::Error;
use rtw_ws::Role;
use rtw_ws::frame::{Frame, FrameDecoder, FrameHeader, encode_frame};

fuzz_target!(|input: &[u8]| {
    let (control, wire) = input.split_at(input.len().min(3));
    let [opts, split_param, limit_param] =
        std::array::from_fn(|i| control.get(i).copied().unwrap_or(0));
    let setup = Setup::new(opts, limit_param);

    // 1. One shot against pieces.
    let whole = decode_whole(&setup, wire);
    check_frames(&setup, &whole);
    let cuts = cut_points(wire.len(), opts & 3, split_param);
    let pieces = decode_pieces(&setup, wire, &cuts);
    assert_eq!(
        whole, pieces,
        "one shot and pieces differ, cut points {cuts:?}"
    );

    // 4. Round trip.
    let mut encoded = BytesMut::new();
    for frame in &whole.frames {
        let start = encoded.len();
        let h = frame.header;
        encode_frame(&mut encoded, h.opcode, h.fin, h.rsv, h.mask, &frame.payload);
        let mut again = BytesMut::from(&encoded[start..]);
        assert_eq!(
            again.len(),
            h.encoded_len() + frame.payload.len(),
            "encoded length"
        );
        let mut decoder = setup.decoder();
        assert_eq!(
            decoder.decode(&mut again),
            Ok(Some(frame.clone())),
            "re-encoded frame decodes differently"
        );
        assert!(again.is_empty(), "re-encoded frame left bytes");
    }
    assert!(
        wire.starts_with(&encoded),
        "re-encoded frames differ from the bytes they came from"
    );
});

/// The decoder under test.
#[derive(Debug, Clone, Copy)]
struct Setup {
    role: Option<Role>,
    max: u64,
    rsv: u8,
}

impl Setup {
    fn new(opts: u8, limit_param: u8) -> Self {
        let role = match (opts >> 2) & 3 {
            0 => Some(Role::Server),
            1 => Some(Role::Client),
            _ => None,
        };
        let max = if opts & 0x10 != 0 {
            u64::from(limit_param)
        } else if limit_param & 1 == 0 {
            16 << 20
        } else {
            u64::MAX
        };
        Setup {
            role,
            max,
            rsv: opts >> 5,
        }
    }

    fn decoder(&self) -> FrameDecoder {
        let mut decoder = match self.role {
            Some(role) => FrameDecoder::new(role, self.max),
            None => FrameDecoder::any_role(self.max),
        };
        decoder.set_allowed_rsv(self.rsv);
        decoder
    }
}

/// Everything one decode of a stream produced.
#[derive(Debug, Default, PartialEq)]
struct Outcome {
    frames: Vec<Frame>,
    /// The error that stopped the decode.
    error: Option<Error>,
    /// Without an error: the bytes left in the buffer (the unmasked start of
    /// the payload of the frame in progress, or a partial header).
    rest: Option<Vec<u8>>,
    /// Without an error: the header of the frame in progress.
    current: Option<FrameHeader>,
}

impl Outcome {
    fn fail(&mut self, error: Error) {
        assert!(
            error.is_peer_fault() && error.close_code().is_some(),
            "decoder gave an error without a close code: {error:?}"
        );
        self.error = Some(error);
    }

    fn finish(&mut self, decoder: &FrameDecoder, buf: &BytesMut) {
        if self.error.is_none() {
            self.rest = Some(buf.to_vec());
            self.current = decoder.current().copied();
            if self.current.is_none() {
                assert!(
                    buf.len() < FrameHeader::MAX_LEN,
                    "a complete header of {} bytes was left unread",
                    buf.len()
                );
            }
        }
    }
}

/// Decode `wire` given all at once, with `decode`.
fn decode_whole(setup: &Setup, wire: &[u8]) -> Outcome {
    let mut decoder = setup.decoder();
    let mut buf = BytesMut::from(wire);
    let mut out = Outcome::default();
    loop {
        match decoder.decode(&mut buf) {
            Ok(Some(frame)) => out.frames.push(frame),
            Ok(None) => break,
            Err(e) => {
                out.fail(e);
                break;
            }
        }
    }
    out.finish(&decoder, &buf);
    out
}

/// Decode `wire` fed in the pieces that end at `cuts`, with `decode`, then
/// end the stream with `decode_eof` (property 2).
fn decode_pieces(setup: &Setup, wire: &[u8], cuts: &[usize]) -> Outcome {
    let mut decoder = setup.decoder();
    let mut buf = BytesMut::new();
    let mut out = Outcome::default();
    let mut fed = 0;
    'pieces: for &cut in cuts {
        buf.extend_from_slice(&wire[fed..cut]);
        fed = cut;
        loop {
            match decoder.decode(&mut buf) {
                Ok(Some(frame)) => {
                    assert!(decoder.current().is_none(), "frame still current");
                    out.frames.push(frame);
                }
                Ok(None) => break,
                Err(e) => {
                    out.fail(e);
                    break 'pieces;
                }
            }
        }
    }
    out.finish(&decoder, &buf);
    if out.error.is_none() {
        let between_frames = buf.is_empty() && decoder.current().is_none();
        match decoder.decode_eof(&mut buf) {
            Ok(None) => assert!(between_frames, "decode_eof ignored a partial frame"),
            Err(Error::TruncatedFrame) => {
                assert!(!between_frames, "decode_eof: truncated between frames");
                assert!(Error::TruncatedFrame.is_peer_fault());
            }
            other => panic!("decode_eof after decode gave {other:?}"),
        }
    }
    out
}

/// Property 3 on a one-shot decode.
fn check_frames(setup: &Setup, out: &Outcome) {
    let headers = out
        .frames
        .iter()
        .map(|f| {
            assert_eq!(
                f.payload.len() as u64,
                f.header.payload_len,
                "payload length"
            );
            f.header
        })
        .chain(out.current);
    for h in headers {
        match setup.role {
            Some(Role::Server) => assert!(h.mask.is_some(), "unmasked frame to a server"),
            Some(Role::Client) => assert!(h.mask.is_none(), "masked frame to a client"),
            None => {}
        }
        assert_eq!(h.rsv & !setup.rsv, 0, "RSV bits not allowed");
        assert!(h.payload_len <= setup.max, "frame over the limit");
        if h.opcode.is_control() {
            assert!(h.fin, "fragmented control frame");
            assert!(h.payload_len <= 125, "long control frame");
        }
    }
}
