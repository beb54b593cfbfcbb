//! Frames we send: fragmentation, masking, the bounded write buffer, and
//! the zero-copy path for unmasked payloads.
//!
//! What waits to be written is a queue of chunks. Small frames (headers,
//! control frames, short payloads) are gathered into one buffer; the
//! payload of an unmasked frame of at least [`ZERO_COPY_MIN`] bytes is
//! queued as the caller's own `Bytes`, behind its header, without a copy.
//! A client's payload is copied once, masked on the way (RFC 6455 §5.3); a
//! compressed payload is ours already and is masked in place.

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};

use crate::frame::{FrameHeader, OpCode, encode_frame};
use crate::mask::apply_mask;
use crate::{Random, Role};

/// Unmasked payloads from this size on are queued without a copy; smaller
/// ones are copied beside their header, which costs less than one more
/// chunk for the driver to write.
pub(crate) const ZERO_COPY_MIN: usize = 512;

/// The outgoing side of a connection.
pub(crate) struct Outgoing {
    role: Role,
    rng: Box<dyn Random + Send>,
    /// Finished chunks, in order, all before `buffer`.
    queue: VecDeque<Bytes>,
    /// Bytes in `queue`.
    queued: usize,
    /// Small frames gathered after the last queued chunk.
    buffer: BytesMut,
    /// The latest ping to answer; replaced, not queued (RFC 6455 §5.5.3).
    pub(crate) pending_pong: Option<Bytes>,
}

impl std::fmt::Debug for Outgoing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outgoing")
            .field("role", &self.role)
            .field("buffered", &self.bytes())
            .field("pending_pong", &self.pending_pong)
            .finish_non_exhaustive()
    }
}

impl Outgoing {
    pub(crate) fn new(role: Role, rng: Box<dyn Random + Send>) -> Self {
        Outgoing {
            role,
            rng,
            queue: VecDeque::new(),
            queued: 0,
            buffer: BytesMut::new(),
            pending_pong: None,
        }
    }

    /// A fresh masking key if we are the client (RFC 6455 §5.3: a new key
    /// for every frame), none for the server.
    #[inline]
    fn key(&mut self) -> Option<[u8; 4]> {
        match self.role {
            Role::Client => {
                let mut key = [0u8; 4];
                self.rng.fill_bytes(&mut key);
                Some(key)
            }
            Role::Server => None,
        }
    }

    /// Append one frame, copying `payload` (control frames, fragments
    /// sent as slices), masked if we are the client.
    pub(crate) fn frame(&mut self, opcode: OpCode, fin: bool, payload: &[u8]) {
        let mask = self.key();
        encode_frame(&mut self.buffer, opcode, fin, 0, mask, payload);
    }

    /// Append one frame whose payload is `payload`, ready to go (already
    /// masked with `mask` if there is one): its header goes into the
    /// buffer, the payload behind it without a copy if it is large enough.
    #[inline(always)]
    fn push(&mut self, opcode: OpCode, fin: bool, rsv: u8, mask: Option<[u8; 4]>, payload: Bytes) {
        let header = FrameHeader::new(opcode, fin, rsv, mask, payload.len() as u64);
        if payload.len() < ZERO_COPY_MIN {
            self.buffer.reserve(header.encoded_len() + payload.len());
            header.write(&mut self.buffer);
            self.buffer.extend_from_slice(&payload);
            return;
        }
        header.write(&mut self.buffer);
        let head = self.buffer.split().freeze();
        self.queued += head.len() + payload.len();
        self.queue.push_back(head);
        self.queue.push_back(payload);
    }

    /// Append one frame of `payload` (the caller's bytes): a server queues
    /// them as they are, a client copies them once, masking.
    #[inline(always)]
    pub(crate) fn frame_bytes(&mut self, opcode: OpCode, fin: bool, rsv: u8, payload: Bytes) {
        match self.key() {
            None => self.push(opcode, fin, rsv, None, payload),
            Some(key) => encode_frame(&mut self.buffer, opcode, fin, rsv, Some(key), &payload),
        }
    }

    /// Append a data message, split into frames of at most `fragment_size`;
    /// `rsv` goes on the first frame only (RFC 7692 §6.1). A server sends
    /// `payload` without copying it; a client copies it once, masking.
    #[inline(always)]
    pub(crate) fn message(
        &mut self,
        opcode: OpCode,
        rsv: u8,
        payload: Bytes,
        fragment_size: Option<usize>,
    ) {
        if payload.len() <= fragment_size.unwrap_or(usize::MAX).max(1) {
            // One frame (the common case): no fragment ranges, no slice.
            self.frame_bytes(opcode, true, rsv, payload);
            return;
        }
        for (op, fin, rsv, range) in frames(opcode, rsv, payload.len(), fragment_size) {
            self.frame_bytes(op, fin, rsv, payload.slice(range));
        }
    }

    /// [`Outgoing::message`] for a payload we own (a compressed message):
    /// a client masks it in place, so nobody copies it.
    #[cfg_attr(not(feature = "deflate"), allow(dead_code))]
    pub(crate) fn message_owned(
        &mut self,
        opcode: OpCode,
        rsv: u8,
        mut payload: Vec<u8>,
        fragment_size: Option<usize>,
    ) {
        let frames: Vec<_> = frames(opcode, rsv, payload.len(), fragment_size)
            .map(|(op, fin, rsv, range)| {
                let mask = self.key();
                if let Some(key) = mask {
                    apply_mask(&mut payload[range.clone()], key, 0);
                }
                (op, fin, rsv, mask, range)
            })
            .collect();
        let payload = Bytes::from(payload);
        for (op, fin, rsv, mask, range) in frames {
            self.push(op, fin, rsv, mask, payload.slice(range));
        }
    }

    /// Write the pending pong, if any.
    #[inline]
    pub(crate) fn flush_pong(&mut self) {
        if let Some(payload) = self.pending_pong.take() {
            self.frame(OpCode::Pong, true, &payload);
        }
    }

    /// Bytes queued to be written, without the pending pong.
    pub(crate) fn bytes(&self) -> usize {
        self.queued + self.buffer.len()
    }

    /// Bytes waiting to be written, the pending pong included.
    pub(crate) fn len(&self) -> usize {
        self.bytes() + self.pending_pong.as_ref().map_or(0, |p| p.len() + 6)
    }

    /// The next chunk to write, in order.
    #[inline]
    pub(crate) fn pop(&mut self) -> Option<Bytes> {
        if let Some(chunk) = self.queue.pop_front() {
            self.queued -= chunk.len();
            return Some(chunk);
        }
        if self.buffer.is_empty() {
            return None;
        }
        Some(self.buffer.split().freeze())
    }
}

/// The frames of a message of `len` bytes cut at `fragment_size`: opcode,
/// FIN, RSV bits and the payload range of each (RFC 6455 §5.4; RSV only on
/// the first, RFC 7692 §6.1). An empty message is one empty frame.
fn frames(
    opcode: OpCode,
    rsv: u8,
    len: usize,
    fragment_size: Option<usize>,
) -> impl Iterator<Item = (OpCode, bool, u8, std::ops::Range<usize>)> {
    let size = fragment_size.unwrap_or(usize::MAX).max(1);
    let count = len.div_ceil(size).max(1);
    (0..count).map(move |i| {
        let start = i * size;
        let end = len.min(start.saturating_add(size));
        let (op, rsv) = if i == 0 {
            (opcode, rsv)
        } else {
            (OpCode::Continuation, 0)
        };
        (op, i + 1 == count, rsv, start..end)
    })
}
