//! The errors of rtw-stun.

use crate::AttributeType;

/// Everything that can go wrong with a STUN message, the one error type of
/// the crate.
///
/// [`Error::is_peer_fault`] tells what the peer sent wrong from what the
/// caller misused; peer faults come with the ERROR-CODE a server answers
/// a request with ([`Error::error_code`]), caller misuse has none.
///
/// ```
/// use rtw_stun::{Error, Message};
///
/// let err = Message::parse(&[0xff; 20]).unwrap_err();
/// assert_eq!(err, Error::NotStun);
/// assert!(err.is_peer_fault());
/// assert_eq!(err.error_code(), Some(400));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Fewer than 20 bytes, or fewer than the header's length announces
    /// (RFC 8489 §5).
    #[error("message truncated: {0}")]
    Truncated(&'static str),
    /// The first two bits are not zero: not a STUN message (RFC 8489 §5,
    /// RFC 7983).
    #[error("first two bits are not zero: not a STUN message (RFC 8489 §5)")]
    NotStun,
    /// The magic cookie is not 0x2112A442 (RFC 8489 §5).
    #[error("magic cookie 0x{0:08x} is not 0x2112A442 (RFC 8489 §5)")]
    BadMagicCookie(u32),
    /// The message length is not a multiple of 4 (RFC 8489 §5).
    #[error("message length {0} is not a multiple of 4 (RFC 8489 §5)")]
    UnalignedLength(u16),
    /// The message length does not match the datagram (RFC 8489 §6.3).
    #[error("message length {declared} + 20 does not match the {actual} bytes received")]
    LengthMismatch {
        /// The header's length plus 20.
        declared: usize,
        /// The bytes given.
        actual: usize,
    },
    /// An attribute's length runs past the end of the message (RFC 8489 §14).
    #[error("attribute {typ} of {len} bytes runs past the end of the message (RFC 8489 §14)")]
    AttributeOverflow {
        /// The attribute type.
        typ: AttributeType,
        /// Its declared length.
        len: u16,
    },
    /// An attribute value that breaks its definition.
    #[error("invalid {typ}: {reason}")]
    InvalidAttribute {
        /// The attribute type.
        typ: AttributeType,
        /// Which rule was broken.
        reason: &'static str,
    },
    /// FINGERPRINT is not the last attribute (RFC 8489 §14.7).
    #[error("FINGERPRINT is not the last attribute (RFC 8489 §14.7)")]
    FingerprintNotLast,
    /// The FINGERPRINT does not match (RFC 8489 §14.7).
    #[error("FINGERPRINT mismatch (RFC 8489 §14.7)")]
    FingerprintMismatch,
    /// No FINGERPRINT (RFC 8489 §14.7), from
    /// [`Message::verify_fingerprint`](crate::Message::verify_fingerprint).
    /// FINGERPRINT is optional unless the usage requires it (RFC 8489 §7,
    /// e.g. ICE connectivity checks, RFC 8445); where it is required, a
    /// server answers 400 (RFC 8489 §6.3).
    #[error("no FINGERPRINT attribute (RFC 8489 §14.7)")]
    MissingFingerprint,
    /// MESSAGE-INTEGRITY or MESSAGE-INTEGRITY-SHA256 does not verify with
    /// the key (RFC 8489 §14.5, §14.6): answered with 401.
    #[error("message integrity check failed (RFC 8489 §14.5, §14.6)")]
    IntegrityMismatch,
    /// No MESSAGE-INTEGRITY or MESSAGE-INTEGRITY-SHA256 where one is
    /// required (RFC 8489 §9): answered with 400 (short-term) or 401
    /// (long-term).
    #[error("no message integrity attribute (RFC 8489 §9)")]
    MissingIntegrity,
    /// Comprehension-required attributes this agent does not understand
    /// (RFC 8489 §6.3.1): a server answers 420 with UNKNOWN-ATTRIBUTES.
    #[error("unknown comprehension-required attributes {0:?} (RFC 8489 §6.3.1)")]
    UnknownAttributes(Vec<AttributeType>),
    /// A ChannelData message that breaks RFC 8656 §12.4.
    #[error("invalid ChannelData: {0} (RFC 8656 §12.4)")]
    InvalidChannelData(&'static str),
    /// More attributes than [`Limits::max_attributes`](crate::Limits::max_attributes)
    /// (RFC 8489 §14 sets no bound; this crate does).
    #[error("more than {0} attributes in one message (Limits::max_attributes, RFC 8489 §14)")]
    TooManyAttributes(usize),
    /// A message or ChannelData frame longer than
    /// [`Limits::max_message_size`](crate::Limits::max_message_size).
    #[error(
        "message of {len} bytes exceeds the limit of {limit} (Limits::max_message_size, RFC 8489 §5)"
    )]
    MessageTooLarge {
        /// Bytes the message has, or its header announces.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// A stream ended in the middle of a frame (RFC 8489 §6.2.2,
    /// RFC 8656 §12.5), from [`Decoder::decode_eof`](crate::Decoder::decode_eof).
    #[error("the stream ended {0} bytes into a frame (RFC 8489 §6.2.2)")]
    TruncatedFrame(usize),

    /// Caller misuse: an attribute other than MESSAGE-INTEGRITY-SHA256 or
    /// FINGERPRINT added after MESSAGE-INTEGRITY (receivers ignore it,
    /// RFC 8489 §14.5), or other than FINGERPRINT after
    /// MESSAGE-INTEGRITY-SHA256 (§14.6).
    #[error(
        "only MESSAGE-INTEGRITY-SHA256 and FINGERPRINT may follow message integrity (RFC 8489 §14.5, §14.6)"
    )]
    AfterIntegrity,
    /// Caller misuse: an attribute added after FINGERPRINT (RFC 8489 §14.7).
    #[error("no attribute may follow FINGERPRINT")]
    AfterFingerprint,
    /// Caller misuse: a value longer than its attribute allows, or than
    /// 65,535 bytes.
    #[error("value too long for {typ}: {len} bytes, at most {max}")]
    ValueTooLong {
        /// The attribute type.
        typ: AttributeType,
        /// The value's length.
        len: usize,
        /// The most allowed.
        max: usize,
    },
    /// Caller misuse: a password that OpaqueString (RFC 8265 §4.2) refuses,
    /// e.g. with control characters, or empty.
    #[error("password is not a valid OpaqueString (RFC 8265 §4.2)")]
    InvalidPassword,
    /// On a stream, a frame whose first byte is neither STUN (0-3) nor
    /// TURN ChannelData (64-79) (RFC 8656 §12.5, RFC 7983 §7).
    #[error("first byte 0x{0:02x} starts neither STUN nor ChannelData (RFC 8656 §12.5)")]
    UnknownFrame(u8),
    /// Caller misuse: a channel number outside 0x4000-0x4FFF
    /// (RFC 8656 §12).
    #[error("channel number 0x{0:04x} is outside 0x4000-0x4FFF (RFC 8656 §12)")]
    InvalidChannelNumber(u16),
    /// Caller misuse: ChannelData application data longer than the 16-bit
    /// length field allows (RFC 8656 §12.4).
    #[error("ChannelData of {0} bytes, at most 65535 (RFC 8656 §12.4)")]
    ChannelDataTooLong(usize),
    /// Caller misuse: a client transaction started with a message that is
    /// not a request (RFC 8489 §6.2).
    #[error("a client transaction needs a request, not a {0:?} (RFC 8489 §6.2)")]
    NotARequest(crate::Class),
    /// Caller misuse: a transaction with this ID is already running
    /// (RFC 8489 §6.1: each request has a fresh ID).
    #[error("transaction {0} is already running (RFC 8489 §6.1)")]
    DuplicateTransaction(crate::TransactionId),
}

impl Error {
    /// `true` if the peer broke the protocol (a malformed or refused
    /// message), `false` for caller misuse (an attribute added in the wrong
    /// place, a value too long, a transaction started twice). Exactly the
    /// errors with an [`Error::error_code`].
    pub fn is_peer_fault(&self) -> bool {
        self.error_code().is_some()
    }

    /// The ERROR-CODE a server answers a request with this fault with
    /// (RFC 8489 §14.8): 420 for unknown attributes, 401 for failed
    /// integrity, 400 for the rest; `None` for caller misuse.
    pub fn error_code(&self) -> Option<u16> {
        use Error::*;
        match self {
            UnknownAttributes(_) => Some(420),
            IntegrityMismatch => Some(401),
            AfterIntegrity
            | AfterFingerprint
            | ValueTooLong { .. }
            | InvalidPassword
            | InvalidChannelNumber(_)
            | ChannelDataTooLong(_)
            | NotARequest(_)
            | DuplicateTransaction(_) => None,
            _ => Some(400),
        }
    }
}
