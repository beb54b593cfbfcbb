//! The errors of rtw-ws, each naming the rule that was broken.

use crate::CloseCode;
use crate::handshake::HandshakeError;

/// Everything that can go wrong in rtw-ws: the one error type of the
/// crate, with the opening handshake's errors under [`Error::Handshake`]
/// and permessage-deflate negotiation's under `Error::Deflate` (feature
/// `deflate`). Functions of those parts return the nested enum directly
/// ([`HandshakeError`], `deflate::DeflateError`);
/// `?` turns it into this one.
///
/// [`Error::is_peer_fault`] tells the peer breaking the protocol from the
/// caller misusing the API. Peer faults on an open connection carry the
/// close code the connection is failed with ([`Error::close_code`]); the
/// [`Connection`](crate::Connection) sends that close frame itself. The
/// handshake's answer is [`HandshakeError::status`] (and
/// [`HandshakeError::rejection`]). Caller misuse leaves the connection as
/// it was.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The opening handshake failed (RFC 6455 §4); the server answers with
    /// [`HandshakeError::rejection_bytes`].
    #[error(transparent)]
    Handshake(#[from] HandshakeError),
    /// A permessage-deflate offer or response that breaks RFC 7692 (§5,
    /// §7): a server declines the offer, a client fails the connection.
    #[cfg(feature = "deflate")]
    #[error(transparent)]
    Deflate(#[from] crate::deflate::DeflateError),
    /// RSV1, RSV2 or RSV3 is set without an extension that defines it
    /// (RFC 6455 §5.2).
    #[error("reserved bits 0b{bits:03b} set without a negotiated extension (RFC 6455 §5.2)")]
    ReservedBits {
        /// RSV1 RSV2 RSV3 as three bits.
        bits: u8,
    },
    /// An opcode RFC 6455 §5.2 reserves (0x3-0x7, 0xB-0xF).
    #[error("reserved opcode 0x{0:x} (RFC 6455 §5.2)")]
    ReservedOpcode(u8),
    /// A client sent an unmasked frame (RFC 6455 §5.1).
    #[error("client frame is not masked (RFC 6455 §5.1)")]
    UnmaskedFrame,
    /// A server sent a masked frame (RFC 6455 §5.1).
    #[error("server frame is masked (RFC 6455 §5.1)")]
    MaskedFrame,
    /// A control frame with more than 125 bytes of payload (RFC 6455 §5.5).
    #[error("control frame payload of {0} bytes exceeds 125 (RFC 6455 §5.5)")]
    ControlFrameTooLong(u64),
    /// A control frame without FIN (RFC 6455 §5.5).
    #[error("control frame is fragmented (RFC 6455 §5.5)")]
    FragmentedControlFrame,
    /// The most significant bit of a 64-bit payload length is set
    /// (RFC 6455 §5.2).
    #[error("most significant bit of the 64-bit payload length is set (RFC 6455 §5.2)")]
    LengthMsbSet,
    /// A payload length not in the minimal number of bytes (RFC 6455 §5.2:
    /// "the minimal number of bytes MUST be used to encode the length").
    #[error("payload length {0} not encoded in the minimal number of bytes (RFC 6455 §5.2)")]
    NonMinimalLength(u64),
    /// The stream ended inside a frame
    /// ([`FrameDecoder::decode_eof`](crate::frame::FrameDecoder::decode_eof);
    /// RFC 6455 §5.2: a frame is its header and all of its payload). The
    /// transport is gone, so no close frame can be sent (§7.1.5: 1006).
    #[error("the stream ended inside a frame (RFC 6455 §5.2, §7.1.5)")]
    TruncatedFrame,
    /// A continuation frame with no fragmented message in progress
    /// (RFC 6455 §5.4).
    #[error("continuation frame without a message to continue (RFC 6455 §5.4)")]
    UnexpectedContinuation,
    /// A new text or binary frame while a fragmented message is still open
    /// (RFC 6455 §5.4).
    #[error("new data frame inside a fragmented message (RFC 6455 §5.4)")]
    ExpectedContinuation,
    /// A close frame with a one-byte payload (RFC 6455 §5.5.1).
    #[error("close frame payload of 1 byte (RFC 6455 §5.5.1)")]
    CloseFrameTooShort,
    /// A close status code that may not be sent (RFC 6455 §7.4).
    #[error("close code {0} is not valid on the wire (RFC 6455 §7.4)")]
    InvalidCloseCode(u16),
    /// A close reason that is not UTF-8 (RFC 6455 §5.5.1).
    #[error("close reason is not valid UTF-8 (RFC 6455 §5.5.1)")]
    InvalidCloseReason,
    /// A text message that is not UTF-8 (RFC 6455 §5.6, §8.1).
    #[error("text message is not valid UTF-8 (RFC 6455 §8.1)")]
    InvalidUtf8,
    /// A frame larger than [`Limits::max_frame_size`](crate::Limits::max_frame_size).
    #[error("frame of {len} bytes exceeds the limit of {limit}")]
    FrameTooLarge {
        /// The declared payload length.
        len: u64,
        /// The configured limit.
        limit: u64,
    },
    /// A message larger than [`Limits::max_message_size`](crate::Limits::max_message_size),
    /// counted across its fragments.
    #[error("message exceeds the limit of {limit} bytes")]
    MessageTooLarge {
        /// The configured limit.
        limit: u64,
    },
    /// RSV1 on a continuation frame: only a message's first frame says
    /// whether it is compressed (RFC 7692 §6.1).
    #[error("RSV1 set on a continuation frame (RFC 7692 §6.1)")]
    CompressedContinuation,
    /// RSV1 on a control frame: control frames are never compressed (RFC
    /// 7692 §6.1).
    #[error("RSV1 set on a control frame (RFC 7692 §6.1)")]
    CompressedControlFrame,
    /// A compressed message whose payload is not a valid DEFLATE stream
    /// (RFC 7692 §6.2, RFC 1951); failed with 1007 like other payload
    /// data inconsistent with the message (RFC 6455 §7.4.1).
    #[error("compressed message is not valid DEFLATE data (RFC 7692 §6.2)")]
    InvalidCompressedData,
    /// The incomplete messages of all connections sharing a
    /// [`MemoryBudget`](crate::MemoryBudget) would pass its limit with this
    /// connection's input; failed with 1009 (RFC 6455 §7.4.1: "a message
    /// that is too big for it to process").
    #[error("incomplete messages would pass the shared budget of {limit} bytes")]
    MemoryBudgetExceeded {
        /// The budget's limit.
        limit: u64,
    },
    /// A message was not complete within
    /// [`Config::message_timeout`](crate::Config::message_timeout) of its
    /// first frame; failed with 1008 (policy violation, RFC 6455 §7.4.1).
    #[error("message not complete within {limit:?} of its first frame")]
    MessageTimeout {
        /// The configured timeout.
        limit: std::time::Duration,
    },
    /// Nothing arrived within
    /// [`Config::ping_timeout`](crate::Config::ping_timeout) of our
    /// keep-alive ping (RFC 6455 §5.5.2): the peer is gone or stuck. The
    /// close frame sent is 1011; the peer most likely never reads it, so
    /// for the application the connection closed abnormally (1006).
    #[error("no answer within {limit:?} of a keep-alive ping")]
    PingTimeout {
        /// The configured timeout.
        limit: std::time::Duration,
    },
    /// Our close frame went out but the peer's did not come within
    /// [`Config::close_timeout`](crate::Config::close_timeout) (RFC 6455
    /// §7.1.2); the closing handshake is given up. No close frame is sent
    /// (ours already was), so [`Error::close_code`] is `None`; for the
    /// application the connection closed abnormally (1006, §7.1.5).
    #[error("no close frame from the peer within {limit:?} of ours (RFC 6455 §7.1.2)")]
    CloseTimeout {
        /// The configured timeout.
        limit: std::time::Duration,
    },
    /// The peer closed the transport before the closing handshake
    /// completed (RFC 6455 §7.1.5: "the WebSocket Connection Close Code is
    /// considered to be 1006"). Reported by
    /// [`Connection::handle_eof`](crate::Connection::handle_eof); 1006 is
    /// never sent, so [`Error::close_code`] is `None`.
    #[error("the transport closed before the closing handshake (RFC 6455 §7.1.5, 1006)")]
    AbnormalClosure,

    /// Caller misuse: sending after the connection was closed, or data after
    /// our close frame (RFC 6455 §5.5.1: no data frames after Close).
    #[error("the connection is closing or closed")]
    Closed,
    /// Caller misuse: the outgoing buffer holds more than
    /// [`Limits::max_write_buffer`](crate::Limits::max_write_buffer); write
    /// out [`Connection::poll_transmit`](crate::Connection::poll_transmit) first.
    #[error("outgoing buffer is full ({limit} bytes); flush before sending more")]
    WriteBufferFull {
        /// The configured limit.
        limit: usize,
    },
    /// Caller misuse: a ping, pong or close payload over 125 bytes
    /// (RFC 6455 §5.5).
    #[error("control frame payload of {0} bytes exceeds 125 (RFC 6455 §5.5)")]
    ControlPayloadTooLong(usize),
    /// Caller misuse: a close code that must not be sent (RFC 6455 §7.4.1).
    #[error("close code {0} must not be sent (RFC 6455 §7.4)")]
    CloseCodeNotSendable(u16),
    /// Caller misuse: a fragment sent out of order (a continuation without a
    /// started message, or a new message while one is open).
    #[error("fragment out of order: {0}")]
    FragmentOrder(&'static str),
}

impl Error {
    /// The close code the connection is failed with for a peer fault
    /// (RFC 6455 §7.4.1): 1002 for protocol errors, 1007 for invalid UTF-8,
    /// 1009 for limits, 1008 for a message timeout, 1011 for a keep-alive
    /// ping left unanswered. `None` for handshake errors, caller misuse and
    /// the ends that send no close frame ([`Error::CloseTimeout`],
    /// [`Error::AbnormalClosure`]).
    pub fn close_code(&self) -> Option<CloseCode> {
        use Error::*;
        Some(match self {
            ReservedBits { .. }
            | ReservedOpcode(_)
            | UnmaskedFrame
            | MaskedFrame
            | ControlFrameTooLong(_)
            | FragmentedControlFrame
            | LengthMsbSet
            | NonMinimalLength(_)
            | UnexpectedContinuation
            | ExpectedContinuation
            | CloseFrameTooShort
            | InvalidCloseCode(_)
            | CompressedContinuation
            | CompressedControlFrame => CloseCode::PROTOCOL_ERROR,
            InvalidCloseReason | InvalidUtf8 | InvalidCompressedData => CloseCode::INVALID_PAYLOAD,
            FrameTooLarge { .. } | MessageTooLarge { .. } | MemoryBudgetExceeded { .. } => {
                CloseCode::MESSAGE_TOO_BIG
            }
            MessageTimeout { .. } => CloseCode::POLICY_VIOLATION,
            PingTimeout { .. } => CloseCode::INTERNAL_ERROR,
            _ => return None,
        })
    }

    /// `true` for faults of the peer (it broke the protocol, went silent or
    /// went away), `false` for caller misuse. For the nested enums this is
    /// their own [`HandshakeError::is_peer_fault`] (and
    /// `DeflateError::is_peer_fault`).
    pub fn is_peer_fault(&self) -> bool {
        match self {
            Error::Handshake(e) => e.is_peer_fault(),
            #[cfg(feature = "deflate")]
            Error::Deflate(e) => e.is_peer_fault(),
            Error::CloseTimeout { .. } | Error::AbnormalClosure | Error::TruncatedFrame => true,
            _ => self.close_code().is_some(),
        }
    }
}
