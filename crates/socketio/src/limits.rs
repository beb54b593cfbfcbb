//! The sizes a [`Decoder`](crate::Decoder) and a
//! `Server` never exceed, whatever the peer sends.

/// Caps on what a peer can make the codec and the server hold.
///
/// | field | default | what passing it gives |
/// |---|---|---|
/// | `max_packet_size` | 1,000,000 bytes (socket.io's `maxHttpBufferSize`) | [`Error::PacketTooLarge`](crate::Error::PacketTooLarge) |
/// | `max_attachments` | 10 (socket.io-parser's `maxAttachments`) | [`Error::TooManyAttachments`](crate::Error::TooManyAttachments) |
/// | `max_attachment_size` | 1,000,000 bytes | [`Error::AttachmentTooLarge`](crate::Error::AttachmentTooLarge) |
/// | `max_namespaces` | 16 per Engine.IO session | [`Error::TooManyNamespaces`](crate::Error::TooManyNamespaces) |
///
/// JSON nesting is bounded by serde_json's own recursion limit (128):
/// deeper payloads are [`Error::BadJson`](crate::Error::BadJson).
///
/// The setters are named like the fields:
/// `Limits::default().max_attachments(2).max_packet_size(4096)`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// The longest text message (one packet without its attachments), in
    /// bytes.
    pub max_packet_size: usize,
    /// The most attachments one BINARY_EVENT or BINARY_ACK may announce.
    pub max_attachments: usize,
    /// The longest binary attachment, in bytes.
    pub max_attachment_size: usize,
    /// The most namespaces (sockets) one Engine.IO session may be
    /// connected to, or asking to connect to, at once.
    pub max_namespaces: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_packet_size: 1_000_000,
            max_attachments: 10,
            max_attachment_size: 1_000_000,
            max_namespaces: 16,
        }
    }
}

impl Limits {
    /// Sets [`Limits::max_packet_size`].
    #[must_use]
    pub fn max_packet_size(mut self, bytes: usize) -> Self {
        self.max_packet_size = bytes;
        self
    }

    /// Sets [`Limits::max_attachments`].
    #[must_use]
    pub fn max_attachments(mut self, count: usize) -> Self {
        self.max_attachments = count;
        self
    }

    /// Sets [`Limits::max_attachment_size`].
    #[must_use]
    pub fn max_attachment_size(mut self, bytes: usize) -> Self {
        self.max_attachment_size = bytes;
        self
    }

    /// Sets [`Limits::max_namespaces`].
    #[must_use]
    pub fn max_namespaces(mut self, count: usize) -> Self {
        self.max_namespaces = count;
        self
    }
}
