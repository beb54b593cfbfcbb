//! permessage-deflate on a connection (RFC 7692 §6): which messages are
//! compressed, inflating received ones, deflating sent ones.

use std::time::{Duration, Instant};

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
    /// Bytes inflated since the connection opened.
    inflated_total: u64,
    /// How long a (de)compressor without context takeover may sit unused
    /// before it is freed.
    release_after: Duration,
    /// When the compressor was last used, while it may be released.
    deflater_used: Option<Instant>,
    /// When the decompressor was last used, while it may be released.
    inflater_used: Option<Instant>,
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
            inflated_total: 0,
            release_after: config.release_after,
            deflater_used: None,
            inflater_used: None,
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
    /// counting the output against `max_message` as it grows, and against
    /// `budget_room` (what the shared memory budget has left): past it,
    /// [`Error::MemoryBudgetExceeded`] with `budget_limit`.
    pub(crate) fn inflate(
        &mut self,
        payload: &[u8],
        fin: bool,
        max_message: u64,
        (budget_room, budget_limit): (u64, u64),
        now: Option<Instant>,
    ) -> Result<Bytes, Error> {
        let mut out = Vec::new();
        let message_room = max_message.saturating_sub(self.inflated);
        let room = message_room.min(budget_room);
        self.inflater
            .inflate(payload, fin, &mut out, room)
            .map_err(|e| match e {
                Error::MessageTooLarge { .. } if budget_room < message_room => {
                    Error::MemoryBudgetExceeded {
                        limit: budget_limit,
                    }
                }
                Error::MessageTooLarge { .. } => Error::MessageTooLarge { limit: max_message },
                e => e,
            })?;
        self.inflated += out.len() as u64;
        self.inflated_total += out.len() as u64;
        if fin {
            self.receiving = false;
        }
        self.inflater_used = now;
        Ok(Bytes::from(out))
    }

    /// Bytes inflated since the connection opened.
    pub(crate) fn inflated_total(&self) -> u64 {
        self.inflated_total
    }

    /// The compressed payload of a whole message, to send with RSV1 (RFC
    /// 7692 §6), or `None` to send it as it is (under the threshold, or
    /// our window is 8 bits).
    pub(crate) fn deflate(&mut self, payload: &[u8], now: Option<Instant>) -> Option<Vec<u8>> {
        let out = self.deflater.compress(payload);
        if out.is_some() {
            self.deflater_used = now;
        }
        out
    }

    /// When an unused (de)compressor without context takeover is to be
    /// freed, if one is waiting for that.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        let deflater = self.deflater_used.filter(|_| self.deflater.can_release());
        let inflater = self
            .inflater_used
            .filter(|_| !self.receiving && self.inflater.can_release());
        [deflater, inflater]
            .into_iter()
            .flatten()
            .min()
            .map(|used| used + self.release_after)
    }

    /// Free what sat unused for [`DeflateConfig::release_after`]: an idle
    /// connection then costs what one without permessage-deflate does.
    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        let due = |used: Option<Instant>| used.is_some_and(|t| now >= t + self.release_after);
        if self.deflater.can_release() && due(self.deflater_used) {
            self.deflater.release();
            self.deflater_used = None;
        }
        if !self.receiving && self.inflater.can_release() && due(self.inflater_used) {
            self.inflater.release();
            self.inflater_used = None;
        }
    }

    /// Whether zlib's state exists for (sending, receiving).
    pub(crate) fn allocated(&self) -> (bool, bool) {
        (self.deflater.is_allocated(), self.inflater.is_allocated())
    }
}
