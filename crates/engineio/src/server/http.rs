//! What the HTTP layer hands the server (method, query) and gets back
//! (the response to write).

use bytes::Bytes;

use super::{Config, Sid};
use crate::error::{Error, Result};
use crate::packet::Packet;
use crate::payload::encode_payload;

/// The content type of a polling answer with packets.
pub const CONTENT_TYPE_PAYLOAD: &str = "text/plain; charset=UTF-8";
/// The content type of the `ok` answer to a POST (as the reference
/// server).
pub const CONTENT_TYPE_OK: &str = "text/html";
/// The content type of an error answer.
pub const CONTENT_TYPE_ERROR: &str = "application/json";

/// The HTTP method of a request, as far as Engine.IO tells them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET: the handshake or a long poll.
    Get,
    /// POST: packets from the client.
    Post,
    /// Any other method.
    Other,
}

impl Method {
    /// The method of its name (`"GET"`, `"POST"`, anything else).
    pub fn from_name(name: &str) -> Method {
        match name {
            "GET" => Method::Get,
            "POST" => Method::Post,
            _ => Method::Other,
        }
    }
}

/// The query parameters Engine.IO reads: `EIO`, `transport`, `sid`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// `EIO`, the protocol version (`"4"`).
    pub eio: Option<String>,
    /// `transport`: `"polling"` or `"websocket"`.
    pub transport: Option<String>,
    /// `sid`, absent on a handshake.
    pub sid: Option<String>,
}

impl Query {
    /// Reads the query string of a request URL (after `?`,
    /// `application/x-www-form-urlencoded`); other parameters (`t`, ...)
    /// are ignored and the first of a repeated one is kept.
    pub fn parse(query: &str) -> Query {
        let mut q = Query::default();
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            let slot = match &*k {
                "EIO" => &mut q.eio,
                "transport" => &mut q.transport,
                "sid" => &mut q.sid,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(v.into_owned());
            }
        }
        q
    }

    pub(super) fn check(&self, config: &Config) -> Result<Transport> {
        if self.eio.as_deref() != Some("4") {
            return Err(Error::UnsupportedProtocolVersion);
        }
        match self.transport.as_deref() {
            Some("polling") if config.allow_polling => Ok(Transport::Polling),
            Some("websocket") if config.allow_websocket => Ok(Transport::WebSocket),
            _ => Err(Error::UnknownTransport),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Transport {
    Polling,
    WebSocket,
}

/// The answer to an HTTP request, for the HTTP layer to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// 200 with a body: a payload of packets
    /// ([`CONTENT_TYPE_PAYLOAD`]), or `ok` to a POST ([`CONTENT_TYPE_OK`]).
    Ok {
        /// The body.
        body: Bytes,
        /// The `Content-Type`.
        content_type: &'static str,
    },
    /// A GET with nothing to send yet: hold it until
    /// [`ServerEvent::PollReady`](crate::ServerEvent::PollReady) for this sid, then answer with
    /// [`Server::take_poll`](crate::Server::take_poll).
    Wait(Sid),
    /// An error answer: [`Error::http_status`](crate::Error::http_status), [`Error::http_body`](crate::Error::http_body),
    /// [`CONTENT_TYPE_ERROR`].
    Error(Error),
}

impl Response {
    /// The HTTP status: 200, or the error's (400, 403, 413); `None` for
    /// [`Response::Wait`].
    pub fn status(&self) -> Option<u16> {
        match self {
            Response::Ok { .. } => Some(200),
            Response::Wait(_) => None,
            Response::Error(e) => Some(e.http_status()),
        }
    }

    /// The body; empty for [`Response::Wait`].
    pub fn body(&self) -> Bytes {
        match self {
            Response::Ok { body, .. } => body.clone(),
            Response::Wait(_) => Bytes::new(),
            Response::Error(e) => Bytes::from(e.http_body()),
        }
    }

    /// The `Content-Type`; empty for [`Response::Wait`].
    pub fn content_type(&self) -> &'static str {
        match self {
            Response::Ok { content_type, .. } => content_type,
            Response::Wait(_) => "",
            Response::Error(_) => CONTENT_TYPE_ERROR,
        }
    }

    pub(super) fn payload(packets: &[Packet]) -> Response {
        Response::Ok {
            body: encode_payload(packets),
            content_type: CONTENT_TYPE_PAYLOAD,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parsing() {
        let q = Query::parse("EIO=4&transport=polling&t=N8hyd6w&sid=abc%2Dd");
        assert_eq!(q.eio.as_deref(), Some("4"));
        assert_eq!(q.transport.as_deref(), Some("polling"));
        assert_eq!(q.sid.as_deref(), Some("abc-d"));
    }
}
