//! Frames we send: fragmentation, masking, the bounded write buffer.

use bytes::{Bytes, BytesMut};

use crate::frame::{OpCode, encode_frame};
use crate::{RandomSource, Role};

/// The outgoing side of a connection.
pub(crate) struct Outgoing {
    role: Role,
    rng: Box<dyn RandomSource + Send>,
    pub(crate) buffer: BytesMut,
    /// The latest ping to answer; replaced, not queued (RFC 6455 §5.5.3).
    pub(crate) pending_pong: Option<Bytes>,
}

impl std::fmt::Debug for Outgoing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outgoing")
            .field("role", &self.role)
            .field("buffered", &self.buffer.len())
            .field("pending_pong", &self.pending_pong)
            .finish_non_exhaustive()
    }
}

impl Outgoing {
    pub(crate) fn new(role: Role, rng: Box<dyn RandomSource + Send>) -> Self {
        Outgoing {
            role,
            rng,
            buffer: BytesMut::new(),
            pending_pong: None,
        }
    }

    /// Append one frame, masked with a fresh key if we are the client
    /// (RFC 6455 §5.3: a new key for every frame).
    pub(crate) fn frame(&mut self, opcode: OpCode, fin: bool, payload: &[u8]) {
        self.frame_rsv(opcode, fin, 0, payload);
    }

    /// [`Outgoing::frame`] with RSV bits (RFC 6455 §5.2).
    fn frame_rsv(&mut self, opcode: OpCode, fin: bool, rsv: u8, payload: &[u8]) {
        let mask = match self.role {
            Role::Client => {
                let mut key = [0u8; 4];
                self.rng.fill_bytes(&mut key);
                Some(key)
            }
            Role::Server => None,
        };
        encode_frame(&mut self.buffer, opcode, fin, rsv, mask, payload);
    }

    /// Append a data message, split into frames of at most `fragment_size`;
    /// `rsv` goes on the first frame only (RFC 7692 §6.1).
    pub(crate) fn message(
        &mut self,
        opcode: OpCode,
        rsv: u8,
        payload: &[u8],
        fragment_size: Option<usize>,
    ) {
        let size = fragment_size.unwrap_or(usize::MAX).max(1);
        if payload.len() <= size {
            self.frame_rsv(opcode, true, rsv, payload);
            return;
        }
        let count = payload.len().div_ceil(size);
        for (i, piece) in payload.chunks(size).enumerate() {
            let (op, rsv) = if i == 0 {
                (opcode, rsv)
            } else {
                (OpCode::Continuation, 0)
            };
            self.frame_rsv(op, i + 1 == count, rsv, piece);
        }
    }

    /// Write the pending pong, if any.
    pub(crate) fn flush_pong(&mut self) {
        if let Some(payload) = self.pending_pong.take() {
            self.frame(OpCode::Pong, true, &payload);
        }
    }

    /// Bytes waiting to be written, the pending pong included.
    pub(crate) fn len(&self) -> usize {
        self.buffer.len() + self.pending_pong.as_ref().map_or(0, |p| p.len() + 6)
    }
}
