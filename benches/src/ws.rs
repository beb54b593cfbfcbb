//! Inputs for the WebSocket benches (`benches/ws.rs`).
//!
//! The frames are framed here by hand from RFC 6455 §5.2 and masked with a
//! plain byte loop (§5.3), not with `rtw-ws`'s encoder, so a bug there
//! cannot hide behind a matching decoder bug.

use crate::payload;

/// Length of the buffer the unmask benches XOR: 64 KiB, a typical large
/// frame and a common read buffer size.
pub const UNMASK_LEN: usize = 64 * 1024;

/// The masking key of the unmask benches (the key of RFC 6455 §5.7).
pub const MASK_KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// Number of frames in the frame decode bench stream.
pub const FRAME_COUNT: usize = 100_000;

/// Smallest payload in the frame decode bench stream.
pub const MIN_FRAME_PAYLOAD: usize = 16;

/// Largest payload in the frame decode bench stream.
pub const MAX_FRAME_PAYLOAD: usize = 1024;

/// How many bytes the decode benches hand to a decoder at a time, as if
/// each came from one `read` of the socket: 128 KiB, tungstenite's own read
/// buffer size, so every contender sees the same piece boundaries.
pub const READ_LEN: usize = 128 * 1024;

/// Number of messages each echo bench sends and reads back.
pub const ECHO_MESSAGES: usize = 4096;

/// The echo client sends this many messages, flushes, then reads their
/// echoes back, so messages are pipelined but at most this many are in
/// flight: they fit the in-memory pipe ([`ECHO_PIPE_LEN`]) both ways, so no
/// side ever blocks on a full pipe while the other waits for it.
pub const ECHO_WINDOW: usize = 64;

/// Capacity of each direction of the in-memory pipe (`tokio::io::duplex`)
/// of the echo benches: room for a window of 16 KiB messages with headers.
pub const ECHO_PIPE_LEN: usize = 2 << 20;

/// The message sizes of the echo benches, with labels for bench names:
/// chat-sized and bulk-sized messages.
pub const ECHO_SIZES: [(usize, &str); 2] = [(20, "20B"), (16 * 1024, "16KiB")];

/// A stream of masked binary frames, as a client sends them to a server.
#[derive(Debug, Clone)]
pub struct MaskedFrames {
    /// The frames on the wire, back to back.
    pub wire: Vec<u8>,
    /// Payload length of each frame, in order.
    pub sizes: Vec<usize>,
    /// All payloads unmasked and concatenated: what a decoder must produce.
    pub payload: Vec<u8>,
}

impl MaskedFrames {
    /// Total payload bytes.
    pub fn payload_len(&self) -> usize {
        self.payload.len()
    }
}

/// xorshift64: the deterministic source of sizes and keys.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// `count` payload sizes from [`MIN_FRAME_PAYLOAD`] to [`MAX_FRAME_PAYLOAD`],
/// spread evenly over the octaves 16-31, 32-63, ..., 512-1023 plus 1024, so
/// small frames dominate as in chat or game traffic and both the 7-bit and
/// the 16-bit length forms occur. For [`FRAME_COUNT`] frames: median 192 B,
/// mean 362 B, 43% of the frames at most 125 B, 36.2 MB of payload.
pub fn frame_sizes(count: usize) -> Vec<usize> {
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    (0..count)
        .map(|_| {
            let r = next(&mut state);
            let octave = MIN_FRAME_PAYLOAD << (r % 7);
            let size = octave + ((r >> 8) as usize % octave);
            size.min(MAX_FRAME_PAYLOAD)
        })
        .collect()
}

/// Append one final binary frame with payload `data`, masked with `key`
/// (RFC 6455 §5.2: FIN + opcode 0x2, MASK bit, minimal length, key,
/// masked payload).
pub fn push_masked_binary(wire: &mut Vec<u8>, data: &[u8], key: [u8; 4]) {
    wire.push(0x82);
    match data.len() {
        n @ 0..=125 => wire.push(0x80 | n as u8),
        n @ 126..=0xFFFF => {
            wire.push(0x80 | 126);
            wire.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            wire.push(0x80 | 127);
            wire.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    wire.extend_from_slice(&key);
    wire.extend(data.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
}

/// A stream of `count` masked binary frames with [`frame_sizes`] payloads
/// of [`payload`] content, each frame with its own key.
pub fn masked_client_frames(count: usize) -> MaskedFrames {
    let sizes = frame_sizes(count);
    let total: usize = sizes.iter().sum();
    let payload = payload(total);
    let mut wire = Vec::with_capacity(total + count * 8);
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15 ^ 0x6455;
    let mut at = 0;
    for &size in &sizes {
        let key = (next(&mut state) as u32).to_le_bytes();
        push_masked_binary(&mut wire, &payload[at..at + size], key);
        at += size;
    }
    MaskedFrames {
        wire,
        sizes,
        payload,
    }
}

#[cfg(test)]
mod tests {
    use bytes::BytesMut;
    use rtw_ws::Role;
    use rtw_ws::frame::{FrameDecoder, OpCode};

    use super::*;

    #[test]
    fn sizes_cover_the_range_and_both_length_forms() {
        let sizes = frame_sizes(FRAME_COUNT);
        assert_eq!(sizes, frame_sizes(FRAME_COUNT), "deterministic");
        assert_eq!(sizes.iter().min(), Some(&MIN_FRAME_PAYLOAD));
        assert_eq!(sizes.iter().max(), Some(&MAX_FRAME_PAYLOAD));
        let short = sizes.iter().filter(|&&s| s <= 125).count();
        assert!(
            short > FRAME_COUNT / 3 && short < FRAME_COUNT * 2 / 3,
            "{short}"
        );
    }

    #[test]
    fn rfc6455_section_5_7_masked_hello() {
        let mut wire = Vec::new();
        push_masked_binary(&mut wire, b"Hello", MASK_KEY);
        wire[0] = 0x81; // the RFC's example is a text frame
        assert_eq!(
            wire,
            [
                0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58
            ]
        );
        let mut long = Vec::new();
        push_masked_binary(&mut long, &[0; 256], MASK_KEY);
        assert_eq!(long[..8], [0x82, 0xFE, 0x01, 0x00, 0x37, 0xfa, 0x21, 0x3d]);
    }

    /// The stream decodes with rtw to the expected frames, in pieces of
    /// [`READ_LEN`] as the bench feeds it.
    #[test]
    fn frames_decode_with_rtw() {
        let input = masked_client_frames(2_000);
        let mut decoder = FrameDecoder::new(Role::Server, 1 << 20);
        let mut buf = BytesMut::new();
        let mut sizes = Vec::new();
        let mut payload = Vec::new();
        for piece in input.wire.chunks(READ_LEN / 16) {
            buf.extend_from_slice(piece);
            while let Some(frame) = decoder.decode(&mut buf).unwrap() {
                assert_eq!(frame.header.opcode, OpCode::Binary);
                assert!(frame.header.fin);
                sizes.push(frame.payload.len());
                payload.extend_from_slice(&frame.payload);
            }
        }
        assert!(buf.is_empty());
        assert_eq!(sizes, input.sizes);
        assert_eq!(payload, input.payload);
    }
}
