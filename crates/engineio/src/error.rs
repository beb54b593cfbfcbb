//! The one error type of rtw-engineio: the protocol's HTTP error codes
//! (Engine.IO v4, "Handshake" and the server's 400 answers), payload
//! refusals and the caller's misuse.

/// Why a request, payload or call was refused.
///
/// [`Error::code`] is the Engine.IO error code that goes in the JSON body
/// `{"code":N,"message":"..."}` of an HTTP error answer
/// ([`Error::http_body`]), [`Error::http_status`] its status.
/// [`Error::is_peer_fault`] tells a peer that broke the protocol from the
/// caller's misuse or a refusal the server's state explains.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `transport` is missing, unknown, or not allowed by the
    /// configuration (code 0 "Transport unknown").
    #[error("Transport unknown")]
    UnknownTransport,
    /// `sid` names no session (code 1 "Session ID unknown").
    #[error("Session ID unknown")]
    UnknownSid,
    /// A handshake (no `sid`) with a method other than GET (code 2 "Bad
    /// handshake method").
    #[error("Bad handshake method")]
    BadHandshakeMethod,
    /// A request the protocol forbids: a second GET while one is held, a
    /// polling request on a session upgraded to WebSocket, a method other
    /// than GET or POST, a WebSocket request on a polling session that is
    /// already upgrading (code 3 "Bad request").
    #[error("Bad request: {0}")]
    BadRequest(&'static str),
    /// The server holds `Config::max_sessions` sessions already (code 4
    /// "Forbidden").
    #[error("Forbidden: the server is full")]
    ServerFull,
    /// `EIO` is missing or not `4` (code 5 "Unsupported protocol version").
    #[error("Unsupported protocol version")]
    UnsupportedProtocolVersion,
    /// A polling payload (a POST body) longer than `maxPayload` bytes
    /// (HTTP 413, code 3).
    #[error("the payload is larger than maxPayload")]
    PayloadTooLarge,
    /// A polling payload with more packets than `Limits::max_packets`
    /// (code 3).
    #[error("too many packets in one payload")]
    TooManyPackets,
    /// A packet that does not parse: empty, an unknown type, bad base64,
    /// not UTF-8, or a type the receiving side does not accept (code 3).
    #[error("bad packet: {0}")]
    BadPacket(&'static str),
    /// A handshake answer (the open packet) the client cannot read.
    #[error("bad handshake: {0}")]
    BadHandshake(&'static str),
    /// The caller sent a text message containing the record separator
    /// `\x1e`, which a polling payload cannot carry.
    #[error("a text message cannot contain the record separator 0x1e")]
    RecordSeparator,
    /// The caller sent to a session that is closed or unknown.
    #[error("the session is closed")]
    Closed,
    /// The caller sent to a session whose queue holds
    /// `Config::max_queued_bytes` already (the client does not poll).
    #[error("the session's send queue is full")]
    QueueFull,
}

impl Error {
    /// The Engine.IO error code: 0 transport unknown, 1 session id
    /// unknown, 2 bad handshake method, 3 bad request (also every payload
    /// refusal), 4 forbidden, 5 unsupported protocol version. Errors that
    /// never reach the wire ([`Error::RecordSeparator`], [`Error::Closed`],
    /// [`Error::QueueFull`], [`Error::BadHandshake`]) give 3 too.
    pub fn code(&self) -> u8 {
        match self {
            Error::UnknownTransport => 0,
            Error::UnknownSid => 1,
            Error::BadHandshakeMethod => 2,
            Error::ServerFull => 4,
            Error::UnsupportedProtocolVersion => 5,
            _ => 3,
        }
    }

    /// The protocol's message for [`Error::code`]: "Transport unknown",
    /// "Session ID unknown", "Bad handshake method", "Bad request",
    /// "Forbidden", "Unsupported protocol version".
    pub fn code_message(&self) -> &'static str {
        match self.code() {
            0 => "Transport unknown",
            1 => "Session ID unknown",
            2 => "Bad handshake method",
            4 => "Forbidden",
            5 => "Unsupported protocol version",
            _ => "Bad request",
        }
    }

    /// The HTTP status of the error answer: 413 for
    /// [`Error::PayloadTooLarge`], 403 for [`Error::ServerFull`], 400
    /// otherwise.
    pub fn http_status(&self) -> u16 {
        match self {
            Error::PayloadTooLarge => 413,
            Error::ServerFull => 403,
            _ => 400,
        }
    }

    /// The JSON body of the error answer, `{"code":N,"message":"..."}`
    /// (content type `application/json`).
    pub fn http_body(&self) -> String {
        format!(
            r#"{{"code":{},"message":"{}"}}"#,
            self.code(),
            self.code_message()
        )
    }

    /// `true` when the peer broke the protocol or a limit; `false` for
    /// the caller's misuse ([`Error::RecordSeparator`], [`Error::Closed`],
    /// [`Error::QueueFull`]) and a full server.
    pub fn is_peer_fault(&self) -> bool {
        !matches!(
            self,
            Error::RecordSeparator | Error::Closed | Error::QueueFull | Error::ServerFull
        )
    }
}

/// The result type of rtw-engineio.
pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::Error;

    #[test]
    fn bodies_carry_the_protocol_codes() {
        assert_eq!(
            Error::UnknownTransport.http_body(),
            r#"{"code":0,"message":"Transport unknown"}"#
        );
        assert_eq!(
            Error::UnknownSid.http_body(),
            r#"{"code":1,"message":"Session ID unknown"}"#
        );
        assert_eq!(Error::BadHandshakeMethod.code(), 2);
        assert_eq!(Error::BadRequest("x").code_message(), "Bad request");
        assert_eq!(Error::ServerFull.code_message(), "Forbidden");
        assert_eq!(
            Error::UnsupportedProtocolVersion.http_body(),
            r#"{"code":5,"message":"Unsupported protocol version"}"#
        );
        assert_eq!(Error::PayloadTooLarge.http_status(), 413);
        assert_eq!(Error::UnknownSid.http_status(), 400);
        assert!(Error::UnknownSid.is_peer_fault());
        assert!(!Error::QueueFull.is_peer_fault());
    }
}
