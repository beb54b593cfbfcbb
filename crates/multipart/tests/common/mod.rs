//! What rtw-multipart's tests share: decoding a whole input, in one shot
//! or in pieces.
#![allow(dead_code, unreachable_pub)]

use bytes::BytesMut;
use rtw_multipart::{Boundary, Config, Decoder, Error, Item, Part};

/// Everything one decode produced: the parts, whether the close delimiter
/// came, and the error that stopped it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Outcome {
    pub parts: Vec<Part>,
    pub closed: bool,
    pub error: Option<Error>,
}

/// Decode `input` fed in pieces ending at `cuts` (the last is
/// `input.len()`), then `decode_eof`.
pub fn decode_cuts(boundary: &str, config: &Config, input: &[u8], cuts: &[usize]) -> Outcome {
    let mut decoder = Decoder::with_config(Boundary::new(boundary).unwrap(), config.clone());
    let mut buf = BytesMut::new();
    let mut out = Outcome::default();
    let mut fed = 0;
    for &cut in cuts {
        buf.extend_from_slice(&input[fed..cut]);
        fed = cut;
        if !drain(&mut decoder, &mut buf, false, &mut out) {
            return out;
        }
    }
    drain(&mut decoder, &mut buf, true, &mut out);
    out
}

/// Decode `input` in one piece.
pub fn decode(boundary: &str, config: &Config, input: &[u8]) -> Outcome {
    decode_cuts(boundary, config, input, &[input.len()])
}

/// Decode `input` byte by byte.
pub fn decode_bytewise(boundary: &str, config: &Config, input: &[u8]) -> Outcome {
    let cuts: Vec<usize> = (1..=input.len()).collect();
    decode_cuts(boundary, config, input, &cuts)
}

fn drain(decoder: &mut Decoder, buf: &mut BytesMut, eof: bool, out: &mut Outcome) -> bool {
    loop {
        let result = if eof {
            decoder.decode_eof(buf)
        } else {
            decoder.decode(buf)
        };
        match result {
            Ok(Some(Item::Part(part))) => out.parts.push(part),
            Ok(Some(Item::End)) => out.closed = true,
            Ok(Some(other)) => panic!("unknown item {other:?}"),
            Ok(None) => return true,
            Err(error) => {
                assert!(error.is_peer_fault(), "{error:?}");
                out.error = Some(error);
                return false;
            }
        }
    }
}

/// The bodies of `out`'s parts, as byte vectors.
pub fn bodies(out: &Outcome) -> Vec<Vec<u8>> {
    out.parts.iter().map(|p| p.body.to_vec()).collect()
}
