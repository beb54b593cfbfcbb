//! Messages and events (RFC 6455 §5.6, §6).

use bytes::Bytes;

use crate::{CloseFrame, Error, Utf8Bytes};

/// A message, or a control frame, as an application sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A text message: valid UTF-8 (RFC 6455 §5.6).
    Text(Utf8Bytes),
    /// A binary message.
    Binary(Bytes),
    /// A ping (RFC 6455 §5.5.2), at most 125 bytes.
    Ping(Bytes),
    /// A pong (RFC 6455 §5.5.3), at most 125 bytes.
    Pong(Bytes),
    /// A close frame (RFC 6455 §5.5.1), with or without a body.
    Close(Option<CloseFrame>),
}

impl Message {
    /// A text message.
    pub fn text(s: impl Into<Utf8Bytes>) -> Self {
        Message::Text(s.into())
    }

    /// A binary message.
    pub fn binary(b: impl Into<Bytes>) -> Self {
        Message::Binary(b.into())
    }
}

/// Whether a data message is text or binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageKind {
    /// Opcode 0x1.
    Text,
    /// Opcode 0x2.
    Binary,
}

/// One frame of a text or binary message, delivered as it arrives when
/// [`Config::deliver_fragments`](crate::Config::deliver_fragments) is set.
///
/// For text, the concatenated payloads of a message are valid UTF-8 (checked
/// as they arrive), but one fragment may end inside a code point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fragment {
    /// Text or binary, from the message's first frame.
    pub kind: MessageKind,
    /// The frame's payload.
    pub payload: Bytes,
    /// `true` for the message's first frame.
    pub first: bool,
    /// `true` for the message's last frame.
    pub fin: bool,
}

/// What a [`Connection`](crate::Connection) reports.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A complete message, or a ping, pong or close frame from the peer.
    /// `Message::Close` means the peer started or finished the closing
    /// handshake; the connection answered it already.
    Message(Message),
    /// A fragment, when fragments are delivered as they arrive.
    Fragment(Fragment),
    /// The peer broke a rule, went silent or went away: the connection was
    /// failed, a close frame with [`Error::close_code`] is queued when
    /// there is one to send (not after our own close frame, not for
    /// [`Error::AbnormalClosure`]), and no more input is read.
    Failed(Error),
}
