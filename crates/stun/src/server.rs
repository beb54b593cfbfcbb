//! A Binding responder: the whole of a plain STUN server (RFC 8489 §3,
//! §6.3.1), with the error answers it owes for bad requests.

use std::net::SocketAddr;

use bytes::BytesMut;

use crate::attributes::{ErrorCode, Software, UnknownAttributes, XorMappedAddress};
use crate::header::{HEADER_LEN, MAGIC_COOKIE};
use crate::{
    AttributeType, Class, Error, Limits, Message, MessageBuilder, MessageType, Method,
    TransactionId,
};

/// What a [`BindingServer`] adds to its answers.
///
/// ```
/// use rtw_stun::BindingServerConfig;
///
/// let config = BindingServerConfig::default().software("example 1.0").fingerprint(false);
/// assert_eq!(config.software.as_deref(), Some("example 1.0"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BindingServerConfig {
    /// SOFTWARE to send in every response (RFC 8489 §14.14), fewer than
    /// 128 characters; `None` by default.
    pub software: Option<String>,
    /// Whether responses end with FINGERPRINT (RFC 8489 §7, §14.7): `true`
    /// by default, so that a client multiplexing STUN with other
    /// protocols can tell the responses apart.
    pub fingerprint: bool,
    /// Bounds on the requests read ([`Limits`]): a request beyond them
    /// is answered 400 like any malformed one. [`Limits::default`] by
    /// default.
    pub limits: Limits,
}

impl Default for BindingServerConfig {
    fn default() -> Self {
        BindingServerConfig {
            software: None,
            fingerprint: true,
            limits: Limits::default(),
        }
    }
}

impl BindingServerConfig {
    /// Set [`BindingServerConfig::software`] (checked by
    /// [`BindingServer::with_config`]).
    #[must_use]
    pub fn software(mut self, software: impl Into<String>) -> Self {
        self.software = Some(software.into());
        self
    }

    /// Set [`BindingServerConfig::fingerprint`].
    #[must_use]
    pub fn fingerprint(mut self, fingerprint: bool) -> Self {
        self.fingerprint = fingerprint;
        self
    }

    /// Set [`BindingServerConfig::limits`].
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }
}

/// Answers Binding requests with the source transport address in
/// XOR-MAPPED-ADDRESS (RFC 8489 §14.2), without authentication, as a
/// public STUN server does (RFC 8489 §9: "a STUN server on the public
/// Internet supporting ICE would have no authentication").
///
/// Stateless: one datagram (or one framed stream message) in, at most one
/// response out.
///
/// ```
/// use rtw_stun::attributes::XorMappedAddress;
/// use rtw_stun::{
///     BindingServer, BindingServerConfig, Class, Message, MessageBuilder, MessageType, Method,
///     TransactionId,
/// };
///
/// let server = BindingServer::with_config(BindingServerConfig::default())?;
/// let tid = TransactionId([1; 12]);
/// let request = MessageBuilder::new(MessageType::new(Method::BINDING, Class::Request), tid).finish();
/// let source = "198.51.100.7:40000".parse().unwrap();
///
/// let response = server.handle(&request, source).expect("a request is answered");
/// let response = Message::parse(&response)?;
/// assert_eq!(response.class(), Class::SuccessResponse);
/// assert_eq!(response.get::<XorMappedAddress>().unwrap()?.0, source);
/// assert!(response.verify_fingerprint()?);
/// # Ok::<(), rtw_stun::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct BindingServer {
    config: BindingServerConfig,
}

impl BindingServer {
    /// A responder with `config`: [`Error::ValueTooLong`] if the SOFTWARE
    /// text is 128 characters or more, or longer than 509 bytes
    /// (RFC 8489 §14.14).
    pub fn with_config(config: BindingServerConfig) -> Result<Self, Error> {
        if let Some(software) = &config.software {
            Software::new(software)?;
        }
        Ok(BindingServer { config })
    }

    /// The configuration.
    pub fn config(&self) -> &BindingServerConfig {
        &self.config
    }

    /// The response to the message `request` received from `source`, or
    /// `None` when nothing is owed:
    ///
    /// - not STUN (first two bits, magic cookie, fewer than 20 bytes):
    ///   `None` (RFC 8489 §6.3: not a STUN message);
    /// - an indication or a response: `None` (only requests are answered,
    ///   RFC 8489 §6.3.2 to §6.3.4);
    /// - a request whose header and transaction ID are readable but whose
    ///   body is malformed (length, attribute bounds, FINGERPRINT not
    ///   last) or beyond [`BindingServerConfig::limits`]: 400 Bad Request
    ///   (RFC 8489 §6.3, §14.8);
    /// - a request with a wrong FINGERPRINT: `None`, silently discarded
    ///   (RFC 8489 §7.3: it may be another protocol's packet);
    /// - then as [`BindingServer::handle_message`].
    pub fn handle(&self, request: &[u8], source: SocketAddr) -> Option<BytesMut> {
        let (typ, tid) = read_header(request)?;
        if typ.class != Class::Request {
            return None;
        }
        match Message::parse_with_limits(request, &self.config.limits) {
            Ok(msg) => self.handle_message(&msg, source),
            Err(error) => self.error_response(typ.method, tid, &error),
        }
    }

    /// The response to `request`, already parsed, from `source`; `None`
    /// for anything but a request and for a wrong FINGERPRINT (RFC 8489
    /// §7.3):
    ///
    /// - a method other than Binding: 400 Bad Request (this server knows
    ///   only Binding);
    /// - unknown comprehension-required attributes: 420 Unknown Attribute
    ///   with UNKNOWN-ATTRIBUTES listing them (RFC 8489 §6.3.1, §14.13);
    /// - else a success response with XOR-MAPPED-ADDRESS set to `source`
    ///   (RFC 8489 §6.3.1.1, §14.2). An IPv4-mapped IPv6 source, as a
    ///   dual-stack socket reports IPv4 peers, is answered as the IPv4
    ///   address it is.
    ///
    /// Every response carries SOFTWARE and FINGERPRINT as configured.
    pub fn handle_message(&self, request: &Message<'_>, source: SocketAddr) -> Option<BytesMut> {
        if request.class() != Class::Request {
            return None;
        }
        // No FINGERPRINT is fine; a wrong one is discarded (RFC 8489 §7.3).
        if !matches!(
            request.verify_fingerprint(),
            Ok(_) | Err(Error::MissingFingerprint)
        ) {
            return None;
        }
        let (method, tid) = (request.method(), request.transaction_id());
        if method != Method::BINDING {
            return self.error_response_code(method, tid, ErrorCode::BAD_REQUEST, &[]);
        }
        if let Err(error) = request.check_unknown_attributes() {
            return self.error_response(method, tid, &error);
        }
        let source = SocketAddr::new(source.ip().to_canonical(), source.port());
        let mut b = MessageBuilder::new(MessageType::new(method, Class::SuccessResponse), tid);
        b.add(&XorMappedAddress(source)).ok()?;
        self.finish(b)
    }

    /// The error response for a request that failed with `error`: 420 with
    /// UNKNOWN-ATTRIBUTES for [`Error::UnknownAttributes`], else
    /// [`Error::error_code`] (400 for a malformed request).
    fn error_response(
        &self,
        method: Method,
        tid: TransactionId,
        error: &Error,
    ) -> Option<BytesMut> {
        let code = error
            .error_code()
            .and_then(ErrorCode::standard)
            .unwrap_or(ErrorCode::BAD_REQUEST);
        let unknown = match error {
            Error::UnknownAttributes(types) => &types[..],
            _ => &[],
        };
        self.error_response_code(method, tid, code, unknown)
    }

    /// An error response with `code`, and UNKNOWN-ATTRIBUTES listing
    /// `unknown` if there are any (RFC 8489 §14.13).
    fn error_response_code(
        &self,
        method: Method,
        tid: TransactionId,
        code: ErrorCode<'_>,
        unknown: &[AttributeType],
    ) -> Option<BytesMut> {
        let mut b = MessageBuilder::new(MessageType::new(method, Class::ErrorResponse), tid);
        b.add(&code).ok()?;
        if !unknown.is_empty() {
            b.add(&UnknownAttributes::new(unknown).ok()?).ok()?;
        }
        self.finish(b)
    }

    /// Add SOFTWARE and FINGERPRINT as configured.
    fn finish(&self, mut b: MessageBuilder) -> Option<BytesMut> {
        if let Some(software) = &self.config.software {
            b.add(&Software::new(software).ok()?).ok()?;
        }
        if self.config.fingerprint {
            b.add_fingerprint().ok()?;
        }
        Some(b.finish())
    }
}

/// The type and transaction ID of what looks like a STUN message (RFC 8489
/// §5: 20 bytes at least, first two bits zero, the magic cookie), before
/// the rest is checked.
fn read_header(bytes: &[u8]) -> Option<(MessageType, TransactionId)> {
    let h = bytes.get(..HEADER_LEN)?;
    if h[0] & 0xC0 != 0 || h[4..8] != MAGIC_COOKIE.to_be_bytes() {
        return None;
    }
    let typ = MessageType::from_bits(u16::from_be_bytes([h[0], h[1]]));
    let mut tid = [0; 12];
    tid.copy_from_slice(&h[8..20]);
    Some((typ, TransactionId(tid)))
}
