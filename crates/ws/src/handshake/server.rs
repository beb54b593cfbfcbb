//! The server's side of the opening handshake (RFC 6455 §4.2).

use std::collections::HashSet;

use bytes::BufMut;
use http::header::{
    CONNECTION, HOST, ORIGIN, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_EXTENSIONS, SEC_WEBSOCKET_KEY,
    SEC_WEBSOCKET_PROTOCOL, SEC_WEBSOCKET_VERSION, UPGRADE,
};
use http::uri::Authority;
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, Version};

use super::accept::{WEBSOCKET_VERSION, accept_key, is_valid_key};
use super::error::HandshakeError;
use super::extension_parse::{format_extensions, parse_extensions};
use super::extensions::ExtensionOffer;
use super::headers::{
    ExtraHeaders, Single, combined, has_token, single, token_list, trim_ows, upgrade_lists,
};
use super::parse::parse_request_with_limits;
use super::policy::{AcceptPolicy, DefaultPolicy};
use super::write::write_response_head;
use crate::Limits;

/// A server's side of the opening handshake (RFC 6455 §4.2): the fixed
/// rules, a [`Limits`], an [`AcceptPolicy`] for the decisions, and
/// extra fields for every 101 response.
///
/// Methods take `&self`: share one `ServerHandshake` between connections.
///
/// ```
/// use rtw_ws::handshake::{HandshakeError, ServerHandshake};
///
/// let server = ServerHandshake::new().with_header("Server", "rtw");
/// let request = b"GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
///     Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n";
/// let reply = match server.read_request(request) {
///     Ok(Some((accepted, _))) => accepted.response_bytes(),
///     Ok(None) => unreachable!("the head is complete"),
///     Err(e) => {
///         assert_eq!(e, HandshakeError::UnsupportedVersion { found: "8".into() });
///         e.rejection_bytes()
///     }
/// };
/// assert!(reply.starts_with(b"HTTP/1.1 426 Upgrade Required\r\n"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct ServerHandshake<P = DefaultPolicy> {
    policy: P,
    limits: Limits,
    extra: ExtraHeaders,
}

impl ServerHandshake<DefaultPolicy> {
    /// A server with [`DefaultPolicy`] and default [`Limits`].
    pub fn new() -> Self {
        Self::default()
    }
}

impl<P: AcceptPolicy> ServerHandshake<P> {
    /// A server deciding with `policy`.
    pub fn with_policy(policy: P) -> Self {
        ServerHandshake {
            policy,
            limits: Limits::default(),
            extra: ExtraHeaders::default(),
        }
    }

    /// Bounds on the request head.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Adds a field line to every 101 response, after the handshake's own.
    /// Fields the handshake writes itself and body framing fields are
    /// refused: [`accept`](Self::accept) then fails with
    /// [`HandshakeError::ReservedHeader`] (or
    /// [`HandshakeError::InvalidHeader`] for an invalid name or value).
    /// Per-connection fields go into [`ServerNegotiated::response`].
    pub fn with_header<K, V>(mut self, name: K, value: V) -> Self
    where
        K: AsRef<str>,
        HeaderValue: TryFrom<V>,
    {
        self.extra.add(name, value);
        self
    }

    /// The policy.
    pub fn policy(&self) -> &P {
        &self.policy
    }

    /// The limits.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Parses the request head from the start of `buf` within
    /// [`limits`](Self::limits); see [`parse_request`](super::parse_request).
    pub fn parse_request(
        &self,
        buf: &[u8],
    ) -> Result<Option<(Request<()>, usize)>, HandshakeError> {
        parse_request_with_limits(buf, &self.limits)
    }

    /// [`parse_request`](Self::parse_request), then
    /// [`accept`](Self::accept): `Ok(None)` while the head is incomplete,
    /// else `(accepted, n)`: the accepted handshake and the length of the
    /// head (bytes after it are the client's first frames, for the caller).
    pub fn read_request(
        &self,
        buf: &[u8],
    ) -> Result<Option<(ServerNegotiated, usize)>, HandshakeError> {
        match self.parse_request(buf)? {
            None => Ok(None),
            Some((request, n)) => self.accept(&request).map(|neg| Some((neg, n))),
        }
    }

    /// Checks a request against RFC 6455 §4.2.1, asks the policy, and builds
    /// the 101 response (RFC 6455 §4.2.2).
    ///
    /// The checks, in order: method GET (405), HTTP/1.1 or later, request
    /// target a path, exactly one valid `Host`, `Upgrade` listing
    /// `websocket`, `Connection` listing `Upgrade`, `Sec-WebSocket-Version:
    /// 13` (426), exactly one `Sec-WebSocket-Key` of 16 base64 bytes, at most
    /// one `Origin`, `Sec-WebSocket-Protocol` a list of unique tokens,
    /// `Sec-WebSocket-Extensions` well-formed; then the policy's origin
    /// check (403), subprotocol and extensions. Works on any body type, so a
    /// hyper or axum request can be checked in place.
    pub fn accept<B>(&self, request: &Request<B>) -> Result<ServerNegotiated, HandshakeError> {
        if let Some(e) = self.extra.error() {
            return Err(e.clone());
        }
        let offer = check_request(request)?;

        if !self.policy.allow_origin(offer.origin.as_deref()) {
            return Err(HandshakeError::OriginRefused {
                origin: offer.origin,
            });
        }
        let protocol = if offer.protocols.is_empty() {
            None
        } else {
            self.policy.select_protocol(&offer.protocols)
        };
        if let Some(p) = protocol.as_ref().filter(|p| !offer.protocols.contains(p)) {
            return Err(HandshakeError::PolicyUnofferedProtocol {
                protocol: p.clone(),
            });
        }
        let extensions = if offer.extensions.is_empty() {
            Vec::new()
        } else {
            self.policy.negotiate_extensions(&offer.extensions)
        };
        if let Some(e) = extensions
            .iter()
            .find(|e| !offer.extensions.iter().any(|o| o.is(&e.name)))
        {
            return Err(HandshakeError::PolicyUnofferedExtension {
                name: e.name.clone(),
            });
        }

        let mut response = Response::new(());
        *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
        *response.version_mut() = Version::HTTP_11;
        let h = response.headers_mut();
        // RFC 6455 §4.2.2 item 5, in that order.
        h.insert(UPGRADE, HeaderValue::from_static("websocket"));
        h.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
        h.insert(SEC_WEBSOCKET_ACCEPT, token_value(&accept_key(&offer.key))?);
        if let Some(p) = &protocol {
            h.insert(SEC_WEBSOCKET_PROTOCOL, token_value(p)?);
        }
        if !extensions.is_empty() {
            let value = format_extensions(&extensions).map_err(HandshakeError::InvalidExtension)?;
            h.insert(SEC_WEBSOCKET_EXTENSIONS, token_value(&value)?);
        }
        self.extra.append_to(h);

        let mut head = Request::new(());
        *head.method_mut() = request.method().clone();
        *head.uri_mut() = request.uri().clone();
        *head.version_mut() = request.version();
        *head.headers_mut() = request.headers().clone();
        Ok(ServerNegotiated {
            protocol,
            extensions,
            offered_protocols: offer.protocols,
            offered_extensions: offer.extensions,
            origin: offer.origin,
            request: head,
            response,
        })
    }
}

/// A value this module produced from checked text.
fn token_value(s: &str) -> Result<HeaderValue, HandshakeError> {
    HeaderValue::from_str(s).map_err(|_| HandshakeError::InvalidHeader { name: s.to_owned() })
}

/// What a valid request asks for.
struct Offer {
    key: Vec<u8>,
    origin: Option<String>,
    protocols: Vec<String>,
    extensions: Vec<ExtensionOffer>,
}

/// The fixed rules of RFC 6455 §4.2.1, in the order documented on
/// [`ServerHandshake::accept`].
fn check_request<B>(request: &Request<B>) -> Result<Offer, HandshakeError> {
    if request.method() != Method::GET {
        return Err(HandshakeError::MethodNotGet {
            method: request.method().to_string(),
        });
    }
    if request.version() < Version::HTTP_11 {
        return Err(HandshakeError::HttpVersionTooOld {
            version: format!("{:?}", request.version()),
        });
    }
    if !request.uri().path().starts_with('/') {
        return Err(HandshakeError::InvalidRequestTarget {
            target: request.uri().to_string(),
        });
    }
    let h = request.headers();
    check_host(h)?;
    match upgrade_lists(h, "websocket") {
        Ok(true) => {}
        Ok(false) => return Err(HandshakeError::NotWebSocketUpgrade),
        Err(()) => return Err(HandshakeError::MalformedTokenList { name: "Upgrade" }),
    }
    match has_token(h, &CONNECTION, "upgrade") {
        Ok(true) => {}
        Ok(false) => return Err(HandshakeError::MissingConnectionUpgrade),
        Err(()) => return Err(HandshakeError::MalformedTokenList { name: "Connection" }),
    }
    match single(h, &SEC_WEBSOCKET_VERSION) {
        Single::Missing => return Err(HandshakeError::MissingVersion),
        Single::One(v) if trim_ows(v.as_bytes()) == WEBSOCKET_VERSION.as_bytes() => {}
        _ => {
            return Err(HandshakeError::UnsupportedVersion {
                found: combined(h, &SEC_WEBSOCKET_VERSION).unwrap_or_default(),
            });
        }
    }
    let key = match single(h, &SEC_WEBSOCKET_KEY) {
        Single::Missing => return Err(HandshakeError::MissingKey),
        Single::Many => return Err(HandshakeError::DuplicateKey),
        Single::One(v) => trim_ows(v.as_bytes()),
    };
    if !is_valid_key(key) {
        return Err(HandshakeError::InvalidKey {
            value: String::from_utf8_lossy(key).into_owned(),
        });
    }
    let origin = match single(h, &ORIGIN) {
        Single::Missing => None,
        Single::Many => return Err(HandshakeError::DuplicateOrigin),
        Single::One(v) => match v.to_str() {
            Ok(o) => Some(o.to_owned()),
            // A serialized origin is ASCII (RFC 6454 §6.2): nothing to match.
            Err(_) => {
                return Err(HandshakeError::OriginRefused {
                    origin: Some(String::from_utf8_lossy(v.as_bytes()).into_owned()),
                });
            }
        },
    };
    Ok(Offer {
        key: key.to_vec(),
        origin,
        protocols: offered_protocols(h)?,
        extensions: if h.contains_key(SEC_WEBSOCKET_EXTENSIONS) {
            parse_extensions(h.get_all(SEC_WEBSOCKET_EXTENSIONS))
                .map_err(HandshakeError::MalformedExtensions)?
        } else {
            Vec::new()
        },
    })
}

/// Exactly one `Host`, `uri-host [ ":" port ]` (RFC 9112 §3.2).
fn check_host(h: &HeaderMap) -> Result<(), HandshakeError> {
    let value = match single(h, &HOST) {
        Single::Missing => return Err(HandshakeError::MissingHost),
        Single::Many => return Err(HandshakeError::DuplicateHost),
        Single::One(v) => v,
    };
    let text = std::str::from_utf8(trim_ows(value.as_bytes())).unwrap_or_default();
    match text.parse::<Authority>() {
        Ok(a) if !a.host().is_empty() && !text.contains('@') => Ok(()),
        _ => Err(HandshakeError::InvalidHost {
            value: String::from_utf8_lossy(value.as_bytes()).into_owned(),
        }),
    }
}

/// `Sec-WebSocket-Protocol = 1#token`, unique (RFC 6455 §4.1 item 10,
/// §11.3.4), in one pass with a hash set: linear however many values (node
/// `ws` CVE-2021-32640 was a slow regular expression here).
fn offered_protocols(h: &HeaderMap) -> Result<Vec<String>, HandshakeError> {
    if !h.contains_key(SEC_WEBSOCKET_PROTOCOL) {
        return Ok(Vec::new());
    }
    let malformed = HandshakeError::MalformedTokenList {
        name: "Sec-WebSocket-Protocol",
    };
    let list = token_list(h, &SEC_WEBSOCKET_PROTOCOL).map_err(|()| malformed.clone())?;
    if list.is_empty() {
        return Err(malformed);
    }
    let mut seen = HashSet::with_capacity(list.len());
    for p in &list {
        if !seen.insert(*p) {
            return Err(HandshakeError::DuplicateProtocol {
                protocol: (*p).to_owned(),
            });
        }
    }
    Ok(list.into_iter().map(str::to_owned).collect())
}

/// An accepted handshake (RFC 6455 §4.2.2): what was agreed and the 101
/// response to send.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServerNegotiated {
    /// The subprotocol selected, if any (RFC 6455 §1.9).
    pub protocol: Option<String>,
    /// The extensions accepted, as sent in the response (RFC 6455 §9.1).
    pub extensions: Vec<ExtensionOffer>,
    /// The subprotocols the client offered, in its order.
    pub offered_protocols: Vec<String>,
    /// The extensions the client offered, in its order.
    pub offered_extensions: Vec<ExtensionOffer>,
    /// The client's `Origin`, if it sent one.
    pub origin: Option<String>,
    /// The request head (its target is the /resource name/, for routing).
    pub request: Request<()>,
    /// The 101 Switching Protocols response. Fields added here (a
    /// `Set-Cookie`, say) are written by
    /// [`write_response`](Self::write_response) after the handshake's own.
    pub response: Response<()>,
}

impl ServerNegotiated {
    /// Writes the response head (RFC 6455 §4.2.2 item 5, RFC 9112 §4).
    pub fn write_response<B: BufMut + ?Sized>(&self, dst: &mut B) {
        write_response_head(&self.response, dst);
    }

    /// The response head as bytes.
    pub fn response_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(160);
        self.write_response(&mut out);
        out
    }
}

#[cfg(test)]
#[path = "server_tests.rs"]
mod tests;
