//! Bounds on what a peer can make the parser look at or buffer
//! (`docs/ARCHITECTURE.md` §2.6, §2.8).

/// The largest STUN message: the 20-byte header and a 16-bit length that
/// is a multiple of 4 (RFC 8489 §5): 65,552 bytes.
pub const MAX_MESSAGE_SIZE: usize = 20 + 65_532;

/// Limits on messages read from a peer.
///
/// | limit | default | why |
/// |---|---|---|
/// | [`max_attributes`](Limits::max_attributes) | 128 | an ICE check carries 7 or 8 attributes, a TURN Allocate about 10; RFC 8489 sets no bound, the 16-bit length allows 16,383 empty ones |
/// | [`max_message_size`](Limits::max_message_size) | 65,552 ([`MAX_MESSAGE_SIZE`]) | the most the 16-bit length allows (RFC 8489 §5); lower it where datagrams are small, e.g. 1,500 |
///
/// Used by [`Message::parse_with_limits`](crate::Message::parse_with_limits)
/// and the stream [`Decoder`](crate::Decoder); [`Message::parse`](crate::Message::parse)
/// uses the defaults.
///
/// ```
/// use rtw_stun::Limits;
///
/// let limits = Limits::default().max_attributes(16).max_message_size(1500);
/// assert_eq!((limits.max_attributes, limits.max_message_size), (16, 1500));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Attributes per message, counted while the message is checked, so a
    /// message of many tiny attributes is refused before any is read
    /// ([`Error::TooManyAttributes`](crate::Error::TooManyAttributes)).
    /// Default 128.
    pub max_attributes: usize,
    /// Bytes per STUN message or ChannelData frame, header and padding
    /// included ([`Error::MessageTooLarge`](crate::Error::MessageTooLarge)).
    /// The stream [`Decoder`](crate::Decoder) checks it from the first 4
    /// bytes, before it buffers the frame. Default 65,552.
    pub max_message_size: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_attributes: 128,
            max_message_size: MAX_MESSAGE_SIZE,
        }
    }
}

impl Limits {
    /// Set [`Limits::max_attributes`].
    #[must_use]
    pub fn max_attributes(mut self, max: usize) -> Self {
        self.max_attributes = max;
        self
    }

    /// Set [`Limits::max_message_size`].
    #[must_use]
    pub fn max_message_size(mut self, max: usize) -> Self {
        self.max_message_size = max;
        self
    }
}
