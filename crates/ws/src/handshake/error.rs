//! What can go wrong in the opening handshake (RFC 6455 §4), one variant per
//! broken rule.

use http::StatusCode;

/// Whose fault a [`HandshakeError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Fault {
    /// The peer's request, found by a server: answer with
    /// [`HandshakeError::rejection_bytes`] and close (RFC 6455 §4.2.1).
    Request,
    /// The peer's response, found by a client: _Fail the WebSocket
    /// Connection_ (RFC 6455 §4.1, §7.1.7).
    Response,
    /// The caller of this crate: an invalid builder argument or policy answer.
    Local,
}

/// A malformed `Sec-WebSocket-Extensions` header field (RFC 6455 §9.1), or an
/// [`ExtensionOffer`](super::ExtensionOffer) that cannot be written as one.
///
/// Byte offsets count from the start of the field line value they were found
/// in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExtensionError {
    /// No extension in the whole field (RFC 6455 §9.1:
    /// `extension-list = 1#extension`).
    #[error("no extension in the list (RFC 6455 §9.1: extension-list = 1#extension)")]
    Empty,
    /// An extension name, parameter name or unquoted value is missing where
    /// the grammar needs a token (RFC 6455 §9.1, RFC 9110 §5.6.2).
    #[error("expected a token at byte {at} (RFC 6455 §9.1, RFC 9110 §5.6.2)")]
    ExpectedToken {
        /// Offset of the byte where the token should start.
        at: usize,
    },
    /// A byte that is none of `,` `;` `=` nor whitespace follows a token
    /// (RFC 6455 §9.1).
    #[error("unexpected byte 0x{byte:02x} at byte {at}, expected ',' ';' or '=' (RFC 6455 §9.1)")]
    UnexpectedByte {
        /// The offending byte.
        byte: u8,
        /// Its offset.
        at: usize,
    },
    /// A quoted-string value has no closing quote or holds a control
    /// character (RFC 9110 §5.6.4).
    #[error(
        "quoted-string starting at byte {at} is unterminated or holds a control character (RFC 9110 §5.6.4)"
    )]
    BadQuotedString {
        /// Offset of the opening quote.
        at: usize,
    },
    /// A quoted-string value does not unescape to a token (RFC 6455 §9.1:
    /// "the value after quoted-string unescaping MUST conform to the 'token'
    /// ABNF").
    #[error("quoted value at byte {at} does not unescape to a token (RFC 6455 §9.1)")]
    QuotedValueNotToken {
        /// Offset of the opening quote.
        at: usize,
    },
    /// An extension or parameter name to be written is not a token (RFC 6455
    /// §9.1).
    #[error("{name:?} is not a token and cannot be an extension or parameter name (RFC 6455 §9.1)")]
    InvalidName {
        /// The offending name.
        name: String,
    },
    /// A parameter value to be written is not a token (RFC 6455 §9.1).
    #[error("{value:?} is not a token and cannot be an extension parameter value (RFC 6455 §9.1)")]
    InvalidValue {
        /// The offending value.
        value: String,
    },
}

/// Everything that can go wrong in the opening handshake (RFC 6455 §4).
///
/// [`HandshakeError::is_peer_fault`] and
/// [`HandshakeError::is_request_fault`] tell whose fault it is: a client's
/// request (found by a server, answered with [`HandshakeError::status`]
/// and [`HandshakeError::rejection`]), a server's response (found by a
/// client, which fails the connection) or the caller's own arguments. It
/// sits under [`crate::Error::Handshake`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HandshakeError {
    // ---- Faults in a client's request, found by a server ----
    /// The request head did not end within
    /// [`Limits::max_head_bytes`](crate::Limits::max_head_bytes).
    #[error("request head exceeds {limit} bytes (RFC 6585 §5)")]
    RequestHeadTooLarge {
        /// The configured limit.
        limit: usize,
    },
    /// The request has more header field lines than
    /// [`Limits::max_headers`](crate::Limits::max_headers).
    #[error("request has more than {limit} header fields (RFC 6585 §5)")]
    TooManyRequestHeaders {
        /// The configured limit.
        limit: usize,
    },
    /// The request head is not valid HTTP/1.1 (RFC 9112 §2, §3, §5).
    #[error("malformed HTTP/1.1 request head: {reason} (RFC 9112 §2)")]
    MalformedRequest {
        /// What httparse or the field syntax check found.
        reason: &'static str,
    },
    /// The method is not GET (RFC 6455 §4.1 item 2, §4.2.1 item 1).
    #[error("method {method} is not GET (RFC 6455 §4.2.1 item 1)")]
    MethodNotGet {
        /// The method the client used.
        method: String,
    },
    /// The request is older than HTTP/1.1 (RFC 6455 §4.1 item 2, §4.2.1
    /// item 1).
    #[error("request is {version}, the handshake needs HTTP/1.1 or later (RFC 6455 §4.2.1 item 1)")]
    HttpVersionTooOld {
        /// The version the client used, e.g. `HTTP/1.0`.
        version: String,
    },
    /// The request target is not a path with an optional query (RFC 6455
    /// §4.1 item 3 /resource name/, RFC 9112 §3.2).
    #[error("request target {target:?} is not a /resource name/ (RFC 6455 §4.1 item 3)")]
    InvalidRequestTarget {
        /// The request target as received.
        target: String,
    },
    /// No `Host` header field (RFC 6455 §4.1 item 4, §4.2.1 item 2; RFC 9112
    /// §3.2).
    #[error("request has no Host header field (RFC 6455 §4.2.1 item 2, RFC 9112 §3.2)")]
    MissingHost,
    /// More than one `Host` field line (RFC 9112 §3.2).
    #[error("request has more than one Host header field (RFC 9112 §3.2)")]
    DuplicateHost,
    /// The `Host` value is not `uri-host [ ":" port ]` (RFC 9112 §3.2,
    /// RFC 3986 §3.2).
    #[error("Host {value:?} is not uri-host [\":\" port] (RFC 9112 §3.2)")]
    InvalidHost {
        /// The value received (lossy UTF-8).
        value: String,
    },
    /// `Upgrade` does not list the `websocket` keyword (RFC 6455 §4.1 item
    /// 5, §4.2.1 item 3).
    #[error("Upgrade header field does not list websocket (RFC 6455 §4.2.1 item 3)")]
    NotWebSocketUpgrade,
    /// `Connection` does not list the `Upgrade` option (RFC 6455 §4.1 item
    /// 6, §4.2.1 item 4).
    #[error("Connection header field does not list Upgrade (RFC 6455 §4.2.1 item 4)")]
    MissingConnectionUpgrade,
    /// A field that is a comma-separated list of tokens is not one (RFC 9110
    /// §5.6.1, §5.6.2): `Connection`, `Upgrade` or `Sec-WebSocket-Protocol`.
    #[error("{name} header field is not a comma-separated list of tokens (RFC 9110 §5.6.1)")]
    MalformedTokenList {
        /// The field's name.
        name: &'static str,
    },
    /// No `Sec-WebSocket-Version` (RFC 6455 §4.1 item 9, §4.2.1 item 6).
    /// Answered with 426 and `Sec-WebSocket-Version: 13` (RFC 6455 §4.4).
    #[error("request has no Sec-WebSocket-Version header field (RFC 6455 §4.2.1 item 6)")]
    MissingVersion,
    /// `Sec-WebSocket-Version` is not `13` (RFC 6455 §4.2.1 item 6, §4.4).
    /// Answered with 426 and `Sec-WebSocket-Version: 13`.
    #[error("Sec-WebSocket-Version {found:?} is not 13 (RFC 6455 §4.2.1 item 6, §4.4)")]
    UnsupportedVersion {
        /// The value received, field lines joined with `, `.
        found: String,
    },
    /// No `Sec-WebSocket-Key` (RFC 6455 §4.1 item 7, §4.2.1 item 5).
    #[error("request has no Sec-WebSocket-Key header field (RFC 6455 §4.2.1 item 5)")]
    MissingKey,
    /// More than one `Sec-WebSocket-Key` (RFC 6455 §11.3.1).
    #[error("Sec-WebSocket-Key appears more than once (RFC 6455 §11.3.1)")]
    DuplicateKey,
    /// `Sec-WebSocket-Key` is not the base64 of 16 bytes (RFC 6455 §4.1 item
    /// 7, §4.2.1 item 5).
    #[error("Sec-WebSocket-Key {value:?} is not base64 of 16 bytes (RFC 6455 §4.2.1 item 5)")]
    InvalidKey {
        /// The value received (lossy UTF-8).
        value: String,
    },
    /// More than one `Origin` (RFC 6454 §7.3).
    #[error("Origin appears more than once (RFC 6454 §7.3)")]
    DuplicateOrigin,
    /// The [`AcceptPolicy`](super::AcceptPolicy) refused the origin, or the
    /// origin is not visible ASCII (RFC 6455 §4.2.2 item 4, §10.2).
    #[error("origin {} refused (RFC 6455 §4.2.2 item 4, §10.2)", display_opt(.origin))]
    OriginRefused {
        /// The `Origin` value (lossy UTF-8), `None` when absent.
        origin: Option<String>,
    },
    /// A subprotocol is offered twice (RFC 6455 §4.1 item 10: the values
    /// "MUST all be unique strings").
    #[error("subprotocol {protocol:?} offered twice (RFC 6455 §4.1 item 10)")]
    DuplicateProtocol {
        /// The repeated subprotocol.
        protocol: String,
    },
    /// `Sec-WebSocket-Extensions` does not follow RFC 6455 §9.1.
    #[error("malformed Sec-WebSocket-Extensions in request: {0}")]
    MalformedExtensions(ExtensionError),

    // ---- Faults in a server's response, found by a client ----
    /// The response head did not end within
    /// [`Limits::max_head_bytes`](crate::Limits::max_head_bytes).
    #[error("response head exceeds {limit} bytes")]
    ResponseHeadTooLarge {
        /// The configured limit.
        limit: usize,
    },
    /// The response has more header field lines than
    /// [`Limits::max_headers`](crate::Limits::max_headers).
    #[error("response has more than {limit} header fields")]
    TooManyResponseHeaders {
        /// The configured limit.
        limit: usize,
    },
    /// The response head is not valid HTTP/1.1 (RFC 9112 §4).
    #[error("malformed HTTP/1.1 response head: {reason} (RFC 9112 §4)")]
    MalformedResponse {
        /// What httparse or the field syntax check found.
        reason: &'static str,
    },
    /// The status is not 101 (RFC 6455 §4.1, response check 1). The response
    /// itself (a redirect, an authentication challenge) is still available
    /// from [`ClientHandshake::parse_response`](super::ClientHandshake::parse_response).
    #[error("server answered {status} instead of 101 Switching Protocols (RFC 6455 §4.1)")]
    UnexpectedStatus {
        /// The status code received.
        status: u16,
    },
    /// A 101 response that is not HTTP/1.1 (RFC 9110 §15.2.2, RFC 6455
    /// §4.2.2 item 5.1).
    #[error("101 response is {version}, not HTTP/1.1 (RFC 6455 §4.2.2 item 5.1)")]
    ResponseHttpVersion {
        /// The version received.
        version: String,
    },
    /// The response's `Upgrade` is missing or not exactly `websocket`
    /// (RFC 6455 §4.1, response check 2).
    #[error("response Upgrade is {}, not websocket (RFC 6455 §4.1)", display_opt(.found))]
    ResponseNotWebSocketUpgrade {
        /// The value received, `None` when absent.
        found: Option<String>,
    },
    /// The response's `Connection` does not list `Upgrade` (RFC 6455 §4.1,
    /// response check 3).
    #[error("response Connection does not list Upgrade (RFC 6455 §4.1)")]
    ResponseMissingConnectionUpgrade,
    /// The response's `Connection` is not a list of tokens (RFC 9110 §5.6.1,
    /// §7.6.1).
    #[error("response Connection is not a comma-separated list of tokens (RFC 9110 §7.6.1)")]
    ResponseMalformedConnection,
    /// No `Sec-WebSocket-Accept` (RFC 6455 §4.1, response check 4).
    #[error("response has no Sec-WebSocket-Accept (RFC 6455 §4.1)")]
    ResponseMissingAccept,
    /// `Sec-WebSocket-Accept` is not what our key gives (RFC 6455 §4.1,
    /// response check 4).
    #[error("Sec-WebSocket-Accept is {found:?}, expected {expected:?} (RFC 6455 §4.1)")]
    ResponseAcceptMismatch {
        /// The value our key gives.
        expected: String,
        /// The value received, field lines joined with `, `.
        found: String,
    },
    /// The response's `Sec-WebSocket-Protocol` is not exactly one token
    /// (RFC 6455 §4.2.2 item 5.5, §11.3.4).
    #[error("response Sec-WebSocket-Protocol {found:?} is not a single token (RFC 6455 §11.3.4)")]
    ResponseMalformedProtocol {
        /// The value received, field lines joined with `, `.
        found: String,
    },
    /// The server picked a subprotocol we did not offer (RFC 6455 §4.1,
    /// response check 6).
    #[error("server selected subprotocol {protocol:?}, which was not offered (RFC 6455 §4.1)")]
    UnofferedProtocol {
        /// The subprotocol received.
        protocol: String,
    },
    /// The server accepted an extension we did not offer (RFC 6455 §4.1,
    /// response check 5).
    #[error("server accepted extension {name:?}, which was not offered (RFC 6455 §4.1)")]
    UnofferedExtension {
        /// The extension received.
        name: String,
    },
    /// The response's `Sec-WebSocket-Extensions` does not follow RFC 6455
    /// §9.1.
    #[error("malformed Sec-WebSocket-Extensions in response: {0}")]
    ResponseMalformedExtensions(ExtensionError),

    // ---- The caller's own mistakes ----
    /// The host given to the client builder is not `uri-host [ ":" port ]`
    /// without userinfo (RFC 6455 §3, §4.1 item 4).
    #[error("{host:?} is not host[:port] (RFC 6455 §3, §4.1 item 4)")]
    InvalidClientHost {
        /// The host given.
        host: String,
    },
    /// The path given to the client builder is not `/path[?query]` (RFC
    /// 6455 §3 /resource name/).
    #[error("{resource:?} is not an absolute path with optional query (RFC 6455 §3)")]
    InvalidResourceName {
        /// The path given.
        resource: String,
    },
    /// The URI given to the client builder is not `ws` or `wss` (RFC 6455
    /// §3).
    #[error("URI scheme {scheme:?} is not ws or wss (RFC 6455 §3)")]
    UnsupportedScheme {
        /// The scheme given, empty when the URI has none.
        scheme: String,
    },
    /// A subprotocol to offer is not a token (RFC 6455 §4.1 item 10).
    #[error("subprotocol {protocol:?} is not a token (RFC 6455 §4.1 item 10)")]
    InvalidOfferedProtocol {
        /// The subprotocol given.
        protocol: String,
    },
    /// A subprotocol to offer is given twice (RFC 6455 §4.1 item 10).
    #[error("subprotocol {protocol:?} given twice (RFC 6455 §4.1 item 10)")]
    DuplicateOfferedProtocol {
        /// The subprotocol given twice.
        protocol: String,
    },
    /// An extension to offer or accept cannot be written (RFC 6455 §9.1).
    #[error("extension cannot be written: {0}")]
    InvalidExtension(ExtensionError),
    /// An extra header's name or value is not valid (RFC 9110 §5.1, §5.5).
    #[error("header {name:?} has an invalid name or value (RFC 9110 §5.1, §5.5)")]
    InvalidHeader {
        /// The name given (lossy when the name itself is the problem).
        name: String,
    },
    /// An extra header is one the handshake writes itself (RFC 6455 §4.1,
    /// §4.2.2), or one that would give the head a body.
    #[error("header {name} is written by the handshake itself (RFC 6455 §4.1, §4.2.2)")]
    ReservedHeader {
        /// The name given.
        name: String,
    },
    /// The [`AcceptPolicy`](super::AcceptPolicy) selected a subprotocol the
    /// client did not offer (RFC 6455 §4.2.2 item 4 /subprotocol/).
    #[error(
        "policy selected subprotocol {protocol:?}, which the client did not offer (RFC 6455 §4.2.2)"
    )]
    PolicyUnofferedProtocol {
        /// The subprotocol selected.
        protocol: String,
    },
    /// The [`AcceptPolicy`](super::AcceptPolicy) accepted an extension the
    /// client did not offer (RFC 6455 §4.2.2 item 4 /extensions/, §9.1).
    #[error("policy accepted extension {name:?}, which the client did not offer (RFC 6455 §9.1)")]
    PolicyUnofferedExtension {
        /// The extension accepted.
        name: String,
    },
}

impl ExtensionError {
    /// `true` when the error was found parsing a header field the peer
    /// sent ([`parse_extensions`](super::parse_extensions)); `false` for an
    /// offer the caller built that cannot be written
    /// ([`format_extensions`](super::format_extensions):
    /// [`ExtensionError::InvalidName`], [`ExtensionError::InvalidValue`]).
    pub fn is_peer_fault(&self) -> bool {
        !matches!(
            self,
            ExtensionError::InvalidName { .. } | ExtensionError::InvalidValue { .. }
        )
    }
}

fn display_opt(origin: &Option<String>) -> String {
    match origin {
        Some(o) => format!("{o:?}"),
        None => "(absent)".to_owned(),
    }
}

impl HandshakeError {
    /// `true` when the peer broke the protocol: a server found this in the
    /// client's request (answer with
    /// [`HandshakeError::rejection_bytes`] and close, RFC 6455 §4.2.1), or
    /// a client found it in the server's response (_Fail the WebSocket
    /// Connection_, §4.1, §7.1.7). `false` when the caller of this crate
    /// made the mistake: an invalid builder argument, extra header or
    /// policy answer.
    pub fn is_peer_fault(&self) -> bool {
        self.fault() != Fault::Local
    }

    /// `true` for a fault of the client's request (a server answers it
    /// with [`HandshakeError::status`]), `false` for a fault of a server's
    /// response or of the caller.
    pub fn is_request_fault(&self) -> bool {
        self.fault() == Fault::Request
    }

    /// Whose fault this is.
    pub(crate) fn fault(&self) -> Fault {
        use HandshakeError as E;
        match self {
            E::RequestHeadTooLarge { .. }
            | E::TooManyRequestHeaders { .. }
            | E::MalformedRequest { .. }
            | E::MethodNotGet { .. }
            | E::HttpVersionTooOld { .. }
            | E::InvalidRequestTarget { .. }
            | E::MissingHost
            | E::DuplicateHost
            | E::InvalidHost { .. }
            | E::NotWebSocketUpgrade
            | E::MissingConnectionUpgrade
            | E::MalformedTokenList { .. }
            | E::MissingVersion
            | E::UnsupportedVersion { .. }
            | E::MissingKey
            | E::DuplicateKey
            | E::InvalidKey { .. }
            | E::DuplicateOrigin
            | E::OriginRefused { .. }
            | E::DuplicateProtocol { .. }
            | E::MalformedExtensions(_) => Fault::Request,
            E::ResponseHeadTooLarge { .. }
            | E::TooManyResponseHeaders { .. }
            | E::MalformedResponse { .. }
            | E::UnexpectedStatus { .. }
            | E::ResponseHttpVersion { .. }
            | E::ResponseNotWebSocketUpgrade { .. }
            | E::ResponseMissingConnectionUpgrade
            | E::ResponseMalformedConnection
            | E::ResponseMissingAccept
            | E::ResponseAcceptMismatch { .. }
            | E::ResponseMalformedProtocol { .. }
            | E::UnofferedProtocol { .. }
            | E::UnofferedExtension { .. }
            | E::ResponseMalformedExtensions(_) => Fault::Response,
            E::InvalidClientHost { .. }
            | E::InvalidResourceName { .. }
            | E::UnsupportedScheme { .. }
            | E::InvalidOfferedProtocol { .. }
            | E::DuplicateOfferedProtocol { .. }
            | E::InvalidExtension(_)
            | E::InvalidHeader { .. }
            | E::ReservedHeader { .. }
            | E::PolicyUnofferedProtocol { .. }
            | E::PolicyUnofferedExtension { .. } => Fault::Local,
        }
    }

    /// The status a server answers with (RFC 6455 §4.2.1, §4.2.2 item 4,
    /// §4.4; RFC 9110 §15; RFC 6585 §5).
    ///
    /// | error | status |
    /// |---|---|
    /// | head or header count over the limit | 431 Request Header Fields Too Large |
    /// | method not GET | 405 Method Not Allowed (the rejection carries `Allow: GET`) |
    /// | missing or unsupported `Sec-WebSocket-Version` | 426 Upgrade Required (the rejection carries `Sec-WebSocket-Version: 13`) |
    /// | origin refused | 403 Forbidden |
    /// | any other fault of the request | 400 Bad Request |
    /// | a fault of a server's response | 502 Bad Gateway (what a gateway relaying the handshake answers) |
    /// | the caller's own mistake | 500 Internal Server Error |
    pub fn status(&self) -> StatusCode {
        use HandshakeError as E;
        match self {
            E::RequestHeadTooLarge { .. } | E::TooManyRequestHeaders { .. } => {
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
            }
            E::MethodNotGet { .. } => StatusCode::METHOD_NOT_ALLOWED,
            E::MissingVersion | E::UnsupportedVersion { .. } => StatusCode::UPGRADE_REQUIRED,
            E::OriginRefused { .. } => StatusCode::FORBIDDEN,
            _ => match self.fault() {
                Fault::Request => StatusCode::BAD_REQUEST,
                Fault::Response => StatusCode::BAD_GATEWAY,
                Fault::Local => StatusCode::INTERNAL_SERVER_ERROR,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_the_table() {
        let cases = [
            (HandshakeError::RequestHeadTooLarge { limit: 1 }, 431),
            (HandshakeError::TooManyRequestHeaders { limit: 1 }, 431),
            (
                HandshakeError::MethodNotGet {
                    method: "POST".into(),
                },
                405,
            ),
            (HandshakeError::MissingVersion, 426),
            (
                HandshakeError::UnsupportedVersion { found: "8".into() },
                426,
            ),
            (HandshakeError::OriginRefused { origin: None }, 403),
            (HandshakeError::MissingKey, 400),
            (
                HandshakeError::MalformedExtensions(ExtensionError::Empty),
                400,
            ),
            (HandshakeError::UnexpectedStatus { status: 404 }, 502),
            (
                HandshakeError::ReservedHeader {
                    name: "upgrade".into(),
                },
                500,
            ),
        ];
        for (err, status) in cases {
            assert_eq!(err.status().as_u16(), status, "{err}");
        }
    }

    #[test]
    fn peer_faults_are_told_from_the_callers() {
        assert!(HandshakeError::MissingKey.is_peer_fault());
        assert!(HandshakeError::MissingKey.is_request_fault());
        let response = HandshakeError::UnexpectedStatus { status: 404 };
        assert!(response.is_peer_fault() && !response.is_request_fault());
        let local = HandshakeError::ReservedHeader {
            name: "upgrade".into(),
        };
        assert!(!local.is_peer_fault() && !local.is_request_fault());
        assert!(ExtensionError::Empty.is_peer_fault());
        assert!(!ExtensionError::InvalidName { name: "a b".into() }.is_peer_fault());
    }

    #[test]
    fn display_names_the_rfc_section() {
        let e = HandshakeError::UnsupportedVersion { found: "8".into() };
        assert!(e.to_string().contains("RFC 6455 §4.2.1"), "{e}");
        let e = HandshakeError::OriginRefused {
            origin: Some("http://evil.example".into()),
        };
        assert!(e.to_string().contains("\"http://evil.example\""), "{e}");
        let e = HandshakeError::OriginRefused { origin: None };
        assert!(e.to_string().contains("(absent)"), "{e}");
    }
}
