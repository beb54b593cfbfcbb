//! permessage-deflate on a connection (RFC 7692 §6): which messages are
//! compressed, inflating received ones, deflating sent ones.

use bytes::Bytes;

use crate::deflate::{DeflateConfig, DeflateParams, Deflater, Inflater};
use crate::frame::{FrameHeader, OpCode};
use crate::{Error, Role};

/// RSV1, the "Per-Message Compressed" bit (RFC 7692 §6).
pub(crate) const RSV1: u8 = 0b100;

/// The compression state of a connection that negotiated permessage-deflate.
#[derive(Debug)]
pub(crate) struct Compression {
    deflater: Deflater,
    inflater: Inflater,
    /// The message being received is compressed.
    receiving: bool,
    /// Bytes inflated so far of the message being received.
    inflated: u64,
}

impl Compression {
    /// The state for `role` after `params` were agreed (RFC 7692 §7.1):
    /// our compressor follows our side's parameters, our decompressor the
    /// peer's.
    pub(crate) fn new(role: Role, params: &DeflateParams, config: &DeflateConfig) -> Self {
        let (ours, theirs) = match role {
            Role::Server => (
                (
                    params.server_max_window_bits,
                    params.server_no_context_takeover,
                ),
                (
                    params.client_max_window_bits,
                    params.client_no_context_takeover,
                ),
            ),
            Role::Client => (
                (
                    params.client_max_window_bits,
                    params.client_no_context_takeover,
                ),
                (
                    params.server_max_window_bits,
                    params.server_no_context_takeover,
                ),
            ),
        };
        Compression {
            deflater: Deflater::new(
                ours.0,
                ours.1,
                config.compression_level,
                config.compression_threshold,
            ),
            inflater: Inflater::new(theirs.0, theirs.1),
            receiving: false,
            inflated: 0,
        }
    }

    /// Look at a frame's header once it passed the fragmentation checks:
    /// RSV1 may be set only on a message's first frame (RFC 7692 §6.1).
    pub(crate) fn start_frame(&mut self, header: &FrameHeader) -> Result<(), Error> {
        let rsv1 = header.rsv & RSV1 != 0;
        match header.opcode {
            _ if header.opcode.is_control() && rsv1 => Err(Error::CompressedControlFrame),
            OpCode::Continuation if rsv1 => Err(Error::CompressedContinuation),
            OpCode::Text | OpCode::Binary => {
                self.receiving = rsv1;
                self.inflated = 0;
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// `true` while the data frames being received are compressed: their
    /// payload means nothing until inflated.
    pub(crate) fn receiving(&self) -> bool {
        self.receiving
    }

    /// Inflate a complete frame of a compressed message (RFC 7692 §6.2),
    /// counting the output against `max_message` as it grows.
    pub(crate) fn inflate(
        &mut self,
        payload: &[u8],
        fin: bool,
        max_message: u64,
    ) -> Result<Bytes, Error> {
        let mut out = Vec::new();
        let room = max_message.saturating_sub(self.inflated);
        self.inflater
            .inflate(payload, fin, &mut out, room)
            .map_err(|e| match e {
                Error::MessageTooLarge { .. } => Error::MessageTooLarge { limit: max_message },
                e => e,
            })?;
        self.inflated += out.len() as u64;
        if fin {
            self.receiving = false;
        }
        Ok(Bytes::from(out))
    }

    /// The compressed payload of a whole message, to send with RSV1 (RFC
    /// 7692 §6), or `None` to send it as it is (under the threshold, or
    /// our window is 8 bits).
    pub(crate) fn deflate(&mut self, payload: &[u8]) -> Option<Vec<u8>> {
        self.deflater.compress(payload)
    }
}
