//! The one error type of rtw-socketio.

/// Why a packet was refused or a call could not be done.
///
/// Decoding errors ([`Decoder`](crate::Decoder),
/// `Server::handle_message`) are the
/// peer's fault ([`Error::is_peer_fault`]): the Engine.IO session that
/// carried them should be closed, as the socket.io server does on a parse
/// error. The others are mistakes of the caller (an unknown socket).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An empty text message: no packet type.
    #[error("empty packet")]
    Empty,
    /// The first character is not a packet type `0` to `6`.
    #[error("unknown packet type")]
    UnknownType,
    /// The attachment count of a BINARY_EVENT or BINARY_ACK is missing, not
    /// a number, not followed by `-`, or zero.
    #[error("bad attachment count")]
    BadAttachmentCount,
    /// More attachments announced than `Limits::max_attachments`.
    #[error("too many attachments")]
    TooManyAttachments,
    /// A namespace that does not start with `/`, or is not valid UTF-8 up
    /// to its `,`.
    #[error("bad namespace")]
    BadNamespace,
    /// An acknowledgement id that does not fit in 64 bits.
    #[error("bad acknowledgement id")]
    BadAckId,
    /// The payload is not JSON (RFC 8259), or is nested deeper than
    /// serde_json's limit of 128.
    #[error("the payload is not JSON")]
    BadJson,
    /// The payload is JSON but not what the packet type carries (an EVENT
    /// whose data is not an array starting with a string, a CONNECT whose
    /// data is not an object, a DISCONNECT with data, an ACK without an id).
    #[error("bad payload: {0}")]
    BadPayload(&'static str),
    /// A placeholder that is not `{"_placeholder":true,"num":N}` with `N`
    /// below the attachment count, or an attachment no placeholder names.
    #[error("bad binary placeholder")]
    BadPlaceholder,
    /// A text message longer than `Limits::max_packet_size` bytes.
    #[error("packet too large")]
    PacketTooLarge,
    /// A binary attachment longer than `Limits::max_attachment_size` bytes.
    #[error("attachment too large")]
    AttachmentTooLarge,
    /// A binary message when no BINARY_EVENT or BINARY_ACK awaits one.
    #[error("unexpected binary message")]
    UnexpectedBinary,
    /// A text message while the attachments of a binary packet are still
    /// awaited.
    #[error("text message while attachments are awaited")]
    UnexpectedText,
    /// A packet the server does not accept from a client: CONNECT_ERROR,
    /// a second CONNECT to a namespace the session is already in.
    #[error("packet not allowed from a client: {0}")]
    Unexpected(&'static str),
    /// The session is in `Limits::max_namespaces` namespaces already.
    #[error("too many namespaces on one session")]
    TooManyNamespaces,
    /// The socket or Engine.IO session is not (or no longer) known to the
    /// server.
    #[error("unknown socket or session")]
    Unknown,
    /// The socket has not been accepted yet (its connect request is
    /// pending).
    #[error("the socket is not connected yet")]
    NotConnected,
    /// An event name the protocol reserves (`connect`, `connect_error`,
    /// `disconnect`, `disconnecting`, `newListener`, `removeListener`).
    #[error("reserved event name")]
    ReservedEvent,
}

impl Error {
    /// `true` when the peer broke the protocol or a limit (every decoding
    /// error); `false` for the caller's mistakes ([`Error::Unknown`],
    /// [`Error::NotConnected`], [`Error::ReservedEvent`]).
    pub fn is_peer_fault(&self) -> bool {
        !matches!(
            self,
            Error::Unknown | Error::NotConnected | Error::ReservedEvent
        )
    }
}

#[cfg(test)]
mod tests {
    use super::Error;

    #[test]
    fn caller_mistakes_are_not_peer_faults() {
        assert!(Error::BadJson.is_peer_fault());
        assert!(Error::UnexpectedBinary.is_peer_fault());
        assert!(!Error::Unknown.is_peer_fault());
        assert!(!Error::NotConnected.is_peer_fault());
    }
}
