//! Shared inputs for the rtw benches; the benches themselves are in
//! `benches/`.
//!
//! Inputs are built once, outside the timed loops, from deterministic
//! content, so every run (and every peer crate in one run) measures the same
//! bytes. The builders here are written independently of the crates under
//! test: a bench input produced by the encoder it is meant to check would
//! hide an encoder bug behind a matching decoder bug.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod alloc;
mod group;
pub mod process;
pub mod sdp;
pub mod sse;
pub mod stun;
pub mod ws;

pub use group::Group;

/// Payload bytes of each chunked-body bench input: 1 MiB, large enough that
/// per-call overhead is amortised and small enough to stay in the last-level cache,
/// so the benches compare parsing work rather than DRAM bandwidth.
pub const CHUNKED_PAYLOAD_LEN: usize = 1 << 20;

/// The chunk sizes the chunked-body benches measure, with a label for
/// bench names: many tiny chunks (framing dominates, the case of SSE or
/// streamed JSON lines), typical write-sized chunks, and large chunks (data
/// dominates, the case of file downloads).
pub const CHUNK_SIZES: [(usize, &str); 3] = [(64, "64B"), (1024, "1KiB"), (64 * 1024, "64KiB")];

/// `len` bytes of deterministic, non-repeating-looking content.
///
/// A xorshift generator with a fixed seed: no byte pattern a decoder could
/// accidentally benefit from (such as long runs of one value), and the same
/// bytes on every run.
pub fn payload(len: usize) -> Vec<u8> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let word = state.to_le_bytes();
        let take = word.len().min(len - out.len());
        out.extend_from_slice(&word[..take]);
    }
    out
}

/// `payload` framed with the chunked transfer coding (RFC 9112 §7.1):
/// chunks of `chunk_size` bytes (the last data chunk may be shorter), each
/// as `<lowercase hex size> CRLF <data> CRLF`, then the last-chunk `0 CRLF`
/// and the final CRLF, with no extensions and no trailer section (so that
/// decoders without trailer support can read it too).
///
/// # Panics
///
/// If `chunk_size` is 0: a chunk of size zero is the last-chunk.
pub fn chunked_wire(payload: &[u8], chunk_size: usize) -> Vec<u8> {
    assert!(chunk_size > 0, "a chunk of size 0 would end the body");
    // Each chunk adds at most 16 hex digits and two CRLFs.
    let chunks = payload.len().div_ceil(chunk_size);
    let mut wire = Vec::with_capacity(payload.len() + chunks * 20 + 5);
    for chunk in payload.chunks(chunk_size) {
        wire.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        wire.extend_from_slice(chunk);
        wire.extend_from_slice(b"\r\n");
    }
    wire.extend_from_slice(b"0\r\n\r\n");
    wire
}

/// One chunked-body bench input: the payload and its chunked framing.
#[derive(Debug, Clone)]
pub struct ChunkedInput {
    /// Size of each data chunk (the last may be shorter).
    pub chunk_size: usize,
    /// Label of the chunk size for bench names, such as `"1KiB"`.
    pub label: &'static str,
    /// The decoded body: what every decoder must produce.
    pub payload: Vec<u8>,
    /// The chunked body on the wire.
    pub wire: Vec<u8>,
}

impl ChunkedInput {
    /// [`CHUNKED_PAYLOAD_LEN`] bytes of [`payload`] in chunks of
    /// `chunk_size`.
    pub fn new(chunk_size: usize, label: &'static str) -> Self {
        let payload = payload(CHUNKED_PAYLOAD_LEN);
        let wire = chunked_wire(&payload, chunk_size);
        ChunkedInput {
            chunk_size,
            label,
            payload,
            wire,
        }
    }

    /// One input per entry of [`CHUNK_SIZES`].
    pub fn all() -> Vec<ChunkedInput> {
        CHUNK_SIZES
            .iter()
            .map(|&(size, label)| ChunkedInput::new(size, label))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use bytes::BytesMut;
    use rtw_chunked::{Decoder, Frame};

    use super::*;

    #[test]
    fn payload_is_deterministic_and_varied() {
        let a = payload(1000);
        assert_eq!(a.len(), 1000);
        assert_eq!(a, payload(1000));
        assert_eq!(&payload(10)[..], &a[..10]);
        // Not a constant or short-period pattern.
        let distinct = a.iter().collect::<std::collections::HashSet<_>>().len();
        assert!(distinct > 200, "only {distinct} distinct byte values");
    }

    #[test]
    fn wire_layout() {
        assert_eq!(
            chunked_wire(b"hello world", 4),
            b"4\r\nhell\r\n4\r\no wo\r\n3\r\nrld\r\n0\r\n\r\n"
        );
        assert_eq!(chunked_wire(b"", 4), b"0\r\n\r\n");
        assert!(chunked_wire(&[0; 0x1ab], 0x1ab).starts_with(b"1ab\r\n"));
    }

    /// Every bench input decodes to its payload with both decoders the
    /// benches compare, so a bench never times a decoder failing early.
    #[test]
    fn inputs_decode_with_rtw_and_chunked_transfer() {
        for input in ChunkedInput::all() {
            let mut buf = BytesMut::from(&input.wire[..]);
            let mut dec = Decoder::new();
            let mut body = Vec::new();
            loop {
                match dec.decode(&mut buf).unwrap() {
                    Some(Frame::Data(d)) => body.extend_from_slice(&d),
                    Some(Frame::End) => break,
                    other => panic!("unexpected {other:?} for {}", input.label),
                }
            }
            assert!(buf.is_empty());
            assert_eq!(body, input.payload, "rtw, {}", input.label);

            let mut body = Vec::new();
            chunked_transfer::Decoder::new(&input.wire[..])
                .read_to_end(&mut body)
                .unwrap();
            assert_eq!(body, input.payload, "chunked_transfer, {}", input.label);
        }
    }
}
