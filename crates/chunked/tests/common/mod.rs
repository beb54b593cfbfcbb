//! Helpers shared by the integration tests: feeding a decoder in pieces and
//! normalising its output so differently split runs can be compared.

#![allow(dead_code, unreachable_pub)]

use bytes::BytesMut;
use rtw_chunked::{Config, Decoder, Error, Frame};

/// What a decoder produced for a whole input: frames with adjacent `Data`
/// merged (so splits do not matter), bytes left after the body, and the
/// error that stopped it, if any. After an error the stream is dead and what
/// is left in the buffer is unspecified, so `rest` is then empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub frames: Vec<Frame>,
    pub rest: Vec<u8>,
    pub error: Option<Error>,
}

impl Outcome {
    /// The concatenated data.
    pub fn payload(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for f in &self.frames {
            if let Frame::Data(d) = f {
                out.extend_from_slice(d);
            }
        }
        out
    }
}

/// Decode `input` fed in pieces ending at `cuts` (sorted offsets), then
/// signal end of stream. Every returned `Data` frame must be non-empty.
pub fn decode_split(config: &Config, input: &[u8], cuts: &[usize]) -> Outcome {
    let mut dec = Decoder::with_config(config.clone());
    let mut buf = BytesMut::new();
    let mut frames: Vec<Frame> = Vec::new();
    let mut start = 0;
    let ends = cuts
        .iter()
        .copied()
        .filter(|&c| c < input.len())
        .chain([input.len()]);
    let push = |frames: &mut Vec<Frame>, f: Frame| {
        if let Frame::Data(d) = &f {
            assert!(!d.is_empty(), "empty Data frame");
            if let Some(Frame::Data(prev)) = frames.last_mut() {
                let mut joined = BytesMut::from(&prev[..]);
                joined.extend_from_slice(d);
                *prev = joined.freeze();
                return;
            }
        }
        frames.push(f);
    };
    let mut drain = |dec: &mut Decoder, buf: &mut BytesMut, eof: bool| -> Result<(), Error> {
        loop {
            let next = if eof {
                dec.decode_eof(buf)?
            } else {
                dec.decode(buf)?
            };
            match next {
                Some(f) => push(&mut frames, f),
                None => return Ok(()),
            }
        }
    };
    let mut result = Ok(());
    for end in ends {
        if end < start || result.is_err() {
            continue;
        }
        buf.extend_from_slice(&input[start..end]);
        start = end;
        result = drain(&mut dec, &mut buf, false);
    }
    if result.is_ok() {
        result = drain(&mut dec, &mut buf, true);
    }
    match result {
        Ok(()) => Outcome {
            frames,
            rest: buf.to_vec(),
            error: None,
        },
        Err(e) => Outcome {
            frames,
            rest: Vec::new(),
            error: Some(e),
        },
    }
}

/// Decode in one piece.
pub fn decode_whole(config: &Config, input: &[u8]) -> Outcome {
    decode_split(config, input, &[])
}

/// Decode one byte at a time.
pub fn decode_bytewise(config: &Config, input: &[u8]) -> Outcome {
    let cuts: Vec<usize> = (1..input.len()).collect();
    decode_split(config, input, &cuts)
}
