//! The client's side of the opening handshake (RFC 6455 §4.1).

use std::collections::HashSet;

use bytes::BufMut;
use http::header::{
    CONNECTION, HOST, ORIGIN, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_EXTENSIONS, SEC_WEBSOCKET_KEY,
    SEC_WEBSOCKET_PROTOCOL, SEC_WEBSOCKET_VERSION, UPGRADE,
};
use http::uri::{Authority, PathAndQuery};
use http::{HeaderValue, Request, Response, StatusCode, Uri, Version};

use super::accept::{WEBSOCKET_VERSION, accept_key, generate_key};
use super::error::HandshakeError;
use super::extension_parse::{format_extensions, parse_extensions};
use super::extensions::ExtensionOffer;
use super::headers::{
    ExtraHeaders, Single, combined, has_token, is_token, list_elements, single, trim_ows,
};
use super::parse::parse_response_with_limits;
use super::uri::WsUri;
use super::write::write_request_head;
use crate::Limits;
use crate::Random;

/// Options of a client handshake, checked by [`ClientBuilder::build`].
///
/// Setters never fail; the first invalid argument is reported by `build`.
///
/// ```
/// use rtw_ws::handshake::{ClientHandshake, ExtensionOffer};
///
/// let uri: http::Uri = "ws://server.example.com/chat".parse().unwrap();
/// let client = ClientHandshake::builder_from_uri(&uri)
///     .protocols(["chat", "superchat"])
///     .extensions(vec![ExtensionOffer::new("permessage-deflate").with_flag("client_max_window_bits")])
///     .origin("http://example.com")
///     .header("Authorization", "Bearer abc")
///     .build(&mut rtw_ws::SeededRandom::new(1))?;
/// let head = String::from_utf8(client.request_bytes()).unwrap();
/// assert!(head.starts_with("GET /chat HTTP/1.1\r\nHost: server.example.com\r\n"));
/// assert!(head.contains("\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"));
/// # Ok::<(), rtw_ws::handshake::HandshakeError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    host: String,
    resource: String,
    protocols: Vec<String>,
    extensions: Vec<ExtensionOffer>,
    origin: Option<String>,
    extra: ExtraHeaders,
    limits: Limits,
    error: Option<HandshakeError>,
}

impl ClientBuilder {
    fn new(host: String, resource: String, error: Option<HandshakeError>) -> Self {
        ClientBuilder {
            host,
            resource,
            protocols: Vec::new(),
            extensions: Vec::new(),
            origin: None,
            extra: ExtraHeaders::default(),
            limits: Limits::default(),
            error,
        }
    }

    /// Adds subprotocols to offer in `Sec-WebSocket-Protocol`, most preferred
    /// first (RFC 6455 §4.1 item 10). Each must be a token, and each may be
    /// offered once.
    pub fn protocols<I, S>(mut self, protocols: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.protocols.extend(protocols.into_iter().map(Into::into));
        self
    }

    /// Adds extensions to offer in `Sec-WebSocket-Extensions`, in order of
    /// preference (RFC 6455 §4.1 item 11, §9.1).
    pub fn extensions(mut self, offers: Vec<ExtensionOffer>) -> Self {
        self.extensions.extend(offers);
        self
    }

    /// Sends `Origin` (RFC 6455 §4.1 item 8, RFC 6454 §7), as browsers do.
    /// It must be ASCII, as a serialized origin is (RFC 6454 §6.2);
    /// [`ClientBuilder::build`] refuses anything else.
    pub fn origin(mut self, origin: impl Into<String>) -> Self {
        self.origin = Some(origin.into());
        self
    }

    /// Adds an extra field line, after the handshake's own (RFC 6455 §4.1
    /// item 12), such as `Authorization` or `Cookie`. Fields the handshake
    /// writes itself (`Host`, `Upgrade`, `Connection`, `Origin`,
    /// `Sec-WebSocket-*`) and body framing fields are refused with
    /// [`HandshakeError::ReservedHeader`].
    pub fn header<K, V>(mut self, name: K, value: V) -> Self
    where
        K: AsRef<str>,
        HeaderValue: TryFrom<V>,
    {
        self.extra.add(name, value);
        self
    }

    /// Bounds on the server's response head.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Checks every option and draws the 16-byte `Sec-WebSocket-Key` nonce
    /// from `rng` (RFC 6455 §4.1 item 7).
    pub fn build<R: Random + ?Sized>(self, rng: &mut R) -> Result<ClientHandshake, HandshakeError> {
        if let Some(e) = self.error.or_else(|| self.extra.error().cloned()) {
            return Err(e);
        }
        let host = host_value(&self.host)?;
        let resource = resource_name(&self.resource)?;
        let mut seen = HashSet::with_capacity(self.protocols.len());
        for p in &self.protocols {
            if !is_token(p.as_bytes()) {
                return Err(HandshakeError::InvalidOfferedProtocol {
                    protocol: p.clone(),
                });
            }
            if !seen.insert(p.as_str()) {
                return Err(HandshakeError::DuplicateOfferedProtocol {
                    protocol: p.clone(),
                });
            }
        }
        let extensions = if self.extensions.is_empty() {
            None
        } else {
            Some(format_extensions(&self.extensions).map_err(HandshakeError::InvalidExtension)?)
        };
        let origin = self
            .origin
            .as_deref()
            .map(|o| {
                // A serialized origin is ASCII (RFC 6454 §6.2); servers refuse
                // anything else.
                let invalid = || HandshakeError::InvalidHeader {
                    name: "Origin".into(),
                };
                if !o.is_ascii() {
                    return Err(invalid());
                }
                HeaderValue::from_str(o).map_err(|_| invalid())
            })
            .transpose()?;

        let key = generate_key(rng);
        let mut request = Request::new(());
        *request.uri_mut() = Uri::from(resource);
        *request.version_mut() = Version::HTTP_11;
        let h = request.headers_mut();
        // The order of the example in RFC 6455 §1.2.
        h.insert(HOST, host);
        h.insert(UPGRADE, HeaderValue::from_static("websocket"));
        h.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
        h.insert(SEC_WEBSOCKET_KEY, value(&key)?);
        if let Some(origin) = origin {
            h.insert(ORIGIN, origin);
        }
        if !self.protocols.is_empty() {
            h.insert(SEC_WEBSOCKET_PROTOCOL, value(&self.protocols.join(", "))?);
        }
        if let Some(extensions) = extensions {
            h.insert(SEC_WEBSOCKET_EXTENSIONS, value(&extensions)?);
        }
        h.insert(
            SEC_WEBSOCKET_VERSION,
            HeaderValue::from_static(WEBSOCKET_VERSION),
        );
        self.extra.append_to(h);

        Ok(ClientHandshake {
            accept: accept_key(key.as_bytes()),
            key,
            request,
            protocols: self.protocols,
            extensions: self.extensions,
            limits: self.limits,
        })
    }
}

/// A header value of text this module produced (tokens, base64).
fn value(s: &str) -> Result<HeaderValue, HandshakeError> {
    HeaderValue::from_str(s).map_err(|_| HandshakeError::InvalidHeader { name: s.to_owned() })
}

/// `uri-host [ ":" port ]` without userinfo (RFC 6455 §4.1 item 4).
fn host_value(host: &str) -> Result<HeaderValue, HandshakeError> {
    let invalid = || HandshakeError::InvalidClientHost {
        host: host.to_owned(),
    };
    let authority: Authority = host.parse().map_err(|_| invalid())?;
    if authority.host().is_empty() || host.contains('@') {
        return Err(invalid());
    }
    HeaderValue::from_str(host).map_err(|_| invalid())
}

/// `/path[?query]` in visible ASCII, without a fragment (RFC 6455 §3).
fn resource_name(resource: &str) -> Result<PathAndQuery, HandshakeError> {
    let invalid = || HandshakeError::InvalidResourceName {
        resource: resource.to_owned(),
    };
    if !resource.starts_with('/') || !resource.bytes().all(|b| b.is_ascii_graphic() && b != b'#') {
        return Err(invalid());
    }
    resource.parse().map_err(|_| invalid())
}

/// A client's opening handshake (RFC 6455 §4.1): the request to send and the
/// checks the server's response must pass.
///
/// Send [`request_bytes`](Self::request_bytes) (or [`request`](Self::request)
/// through an HTTP client), then give the server's bytes to
/// [`read_response`](Self::read_response), or an `http::Response` to
/// [`validate_response`](Self::validate_response).
#[derive(Debug, Clone)]
pub struct ClientHandshake {
    request: Request<()>,
    key: String,
    accept: String,
    protocols: Vec<String>,
    extensions: Vec<ExtensionOffer>,
    limits: Limits,
}

impl ClientHandshake {
    /// Options for a handshake with `host_with_port` (the `Host` value:
    /// `host` or `host:port`, RFC 6455 §4.1 item 4) for `path_and_query`
    /// (the /resource name/, e.g. `/chat?room=1`).
    pub fn builder(
        host_with_port: impl Into<String>,
        path_and_query: impl Into<String>,
    ) -> ClientBuilder {
        ClientBuilder::new(host_with_port.into(), path_and_query.into(), None)
    }

    /// Options for a handshake with a `ws://` or `wss://` URI (RFC 6455 §3);
    /// see [`WsUri`] for the host and port to connect to.
    pub fn builder_from_uri(uri: &Uri) -> ClientBuilder {
        match WsUri::parse(uri) {
            Ok(ws) => ClientBuilder::new(ws.host_header, ws.resource_name, None),
            Err(e) => ClientBuilder::new(String::new(), String::new(), Some(e)),
        }
    }

    /// A handshake without subprotocols, extensions or extra fields.
    pub fn new<R: Random + ?Sized>(
        host_with_port: impl Into<String>,
        path_and_query: impl Into<String>,
        rng: &mut R,
    ) -> Result<Self, HandshakeError> {
        Self::builder(host_with_port, path_and_query).build(rng)
    }

    /// The request, as an `http::Request` (clone it to send it through an
    /// HTTP client).
    pub fn request(&self) -> &Request<()> {
        &self.request
    }

    /// Writes the request head (RFC 6455 §4.1, RFC 9112 §3).
    pub fn write_request<B: BufMut + ?Sized>(&self, dst: &mut B) {
        write_request_head(&self.request, dst);
    }

    /// The request head as bytes.
    pub fn request_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        self.write_request(&mut out);
        out
    }

    /// The `Sec-WebSocket-Key` sent.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The `Sec-WebSocket-Accept` the server must answer with.
    pub fn expected_accept(&self) -> &str {
        &self.accept
    }

    /// The subprotocols offered, in order.
    pub fn offered_protocols(&self) -> &[String] {
        &self.protocols
    }

    /// The extensions offered, in order.
    pub fn offered_extensions(&self) -> &[ExtensionOffer] {
        &self.extensions
    }

    /// Parses the response head from the start of `buf`, within the builder's
    /// [`Limits`]; see [`parse_response`](super::parse_response).
    pub fn parse_response(
        &self,
        buf: &[u8],
    ) -> Result<Option<(Response<()>, usize)>, HandshakeError> {
        parse_response_with_limits(buf, &self.limits)
    }

    /// [`parse_response`](Self::parse_response), then
    /// [`validate_response`](Self::validate_response): `Ok(None)` while the
    /// head is incomplete, else `(negotiated, n)`: the negotiated result and
    /// the length of the head (bytes after it are WebSocket frames for the
    /// caller).
    pub fn read_response(
        &self,
        buf: &[u8],
    ) -> Result<Option<(ClientNegotiated, usize)>, HandshakeError> {
        match self.parse_response(buf)? {
            None => Ok(None),
            Some((response, n)) => self.validate_response(&response).map(|neg| Some((neg, n))),
        }
    }

    /// Checks the server's response (RFC 6455 §4.1, the client's checks 1-6
    /// in order): status 101 in HTTP/1.1, `Upgrade: websocket`, `Connection`
    /// listing `Upgrade`, the expected `Sec-WebSocket-Accept`, extensions only
    /// among those offered (by name), and at most one subprotocol, one that
    /// was offered.
    pub fn validate_response<T>(
        &self,
        response: &Response<T>,
    ) -> Result<ClientNegotiated, HandshakeError> {
        if response.status() != StatusCode::SWITCHING_PROTOCOLS {
            return Err(HandshakeError::UnexpectedStatus {
                status: response.status().as_u16(),
            });
        }
        if response.version() != Version::HTTP_11 {
            return Err(HandshakeError::ResponseHttpVersion {
                version: format!("{:?}", response.version()),
            });
        }
        let h = response.headers();
        let mut upgrade = list_elements(h, &UPGRADE);
        match (upgrade.next(), upgrade.next()) {
            (Some(e), None) if e.eq_ignore_ascii_case(b"websocket") => {}
            _ => {
                return Err(HandshakeError::ResponseNotWebSocketUpgrade {
                    found: combined(h, &UPGRADE),
                });
            }
        }
        match has_token(h, &CONNECTION, "upgrade") {
            Ok(true) => {}
            Ok(false) => return Err(HandshakeError::ResponseMissingConnectionUpgrade),
            Err(()) => return Err(HandshakeError::ResponseMalformedConnection),
        }
        match single(h, &SEC_WEBSOCKET_ACCEPT) {
            Single::Missing => return Err(HandshakeError::ResponseMissingAccept),
            Single::One(v) if trim_ows(v.as_bytes()) == self.accept.as_bytes() => {}
            _ => {
                return Err(HandshakeError::ResponseAcceptMismatch {
                    expected: self.accept.clone(),
                    found: combined(h, &SEC_WEBSOCKET_ACCEPT).unwrap_or_default(),
                });
            }
        }
        let extensions = if h.contains_key(SEC_WEBSOCKET_EXTENSIONS) {
            parse_extensions(h.get_all(SEC_WEBSOCKET_EXTENSIONS))
                .map_err(HandshakeError::ResponseMalformedExtensions)?
        } else {
            Vec::new()
        };
        if let Some(e) = extensions
            .iter()
            .find(|e| !self.extensions.iter().any(|o| o.is(&e.name)))
        {
            return Err(HandshakeError::UnofferedExtension {
                name: e.name.clone(),
            });
        }
        let protocol = match combined(h, &SEC_WEBSOCKET_PROTOCOL) {
            None => None,
            Some(found) => {
                let p = String::from_utf8_lossy(trim_ows(found.as_bytes())).into_owned();
                if !is_token(p.as_bytes()) {
                    return Err(HandshakeError::ResponseMalformedProtocol { found });
                }
                if !self.protocols.contains(&p) {
                    return Err(HandshakeError::UnofferedProtocol { protocol: p });
                }
                Some(p)
            }
        };
        let mut head = Response::new(());
        *head.status_mut() = response.status();
        *head.version_mut() = response.version();
        *head.headers_mut() = h.clone();
        Ok(ClientNegotiated {
            protocol,
            extensions,
            response: head,
        })
    }
}

/// What the server agreed to (RFC 6455 §4.1, §4.2.2 item 5).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ClientNegotiated {
    /// The subprotocol the server selected, if any (RFC 6455 §1.9).
    pub protocol: Option<String>,
    /// The extensions the server accepted, in the order it listed them (RFC
    /// 6455 §9.1), with the parameters of its response.
    pub extensions: Vec<ExtensionOffer>,
    /// The response head.
    pub response: Response<()>,
}

#[cfg(test)]
#[path = "client_tests.rs"]
mod tests;
