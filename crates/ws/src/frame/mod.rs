//! Frames (RFC 6455 §5.2): header, decoder, encoder.

mod decoder;
mod encoder;
mod header;
mod opcode;

pub use decoder::FrameDecoder;
pub(crate) use decoder::Progress;
pub use encoder::encode_frame;
pub use header::FrameHeader;
pub use opcode::OpCode;

use bytes::Bytes;

/// A complete frame with its payload unmasked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The header as received (its `mask` is the key that was removed).
    pub header: FrameHeader,
    /// The unmasked payload.
    pub payload: Bytes,
}
