//! Reading a request or response head from bytes (RFC 9112 §2-§5), with
//! httparse and [`Limits`].

use http::{
    HeaderMap, HeaderName, HeaderValue, Method, Request, Response, StatusCode, Uri, Version,
};
use httparse::{EMPTY_HEADER, Header, Status};

use super::error::HandshakeError;
use crate::Limits;

/// Header slots kept on the stack; larger limits use the heap.
const STACK_HEADERS: usize = 64;

/// Parses a request head from the start of `buf` (RFC 9112 §2, §3), within
/// the default [`Limits`]; see [`parse_request_with_limits`].
pub fn parse_request(buf: &[u8]) -> Result<Option<(Request<()>, usize)>, HandshakeError> {
    parse_request_with_limits(buf, &Limits::default())
}

/// Parses a response head from the start of `buf` (RFC 9112 §4), within
/// the default [`Limits`]; see [`parse_response_with_limits`].
pub fn parse_response(buf: &[u8]) -> Result<Option<(Response<()>, usize)>, HandshakeError> {
    parse_response_with_limits(buf, &Limits::default())
}

/// Parses a request head from the start of `buf` (RFC 9112 §2, §3) within
/// `limits` ([`Limits::max_head_bytes`], [`Limits::max_headers`]).
///
/// Returns `Ok(None)` while the head is incomplete and shorter than
/// [`Limits::max_head_bytes`], and `Ok(Some((request, n)))` once it
/// is complete: `n` is the length of the head, and bytes after it belong to
/// the caller. Leading empty lines are skipped (RFC 9112 §2.2).
///
/// This only reads the head; [`ServerHandshake::accept`] checks the
/// WebSocket rules.
///
/// [`ServerHandshake::accept`]: super::ServerHandshake::accept
pub fn parse_request_with_limits(
    buf: &[u8],
    limits: &Limits,
) -> Result<Option<(Request<()>, usize)>, HandshakeError> {
    let window = &buf[..buf.len().min(limits.max_head_bytes)];
    let mut stack = [EMPTY_HEADER; STACK_HEADERS];
    let mut heap = Vec::new();
    let slots = header_slots(&mut stack, &mut heap, limits.max_headers);
    let mut req = httparse::Request::new(slots);
    let n = match req.parse(window) {
        Ok(Status::Complete(n)) => n,
        Ok(Status::Partial) if buf.len() >= limits.max_head_bytes => {
            return Err(HandshakeError::RequestHeadTooLarge {
                limit: limits.max_head_bytes,
            });
        }
        Ok(Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => {
            return Err(HandshakeError::TooManyRequestHeaders {
                limit: limits.max_headers,
            });
        }
        Err(e) => return Err(HandshakeError::MalformedRequest { reason: reason(e) }),
    };
    let malformed = |reason| HandshakeError::MalformedRequest { reason };
    // httparse fills every field of a complete head.
    let method = req.method.unwrap_or_default();
    let target = req.path.unwrap_or_default();
    let mut request = Request::new(());
    *request.method_mut() =
        Method::from_bytes(method.as_bytes()).map_err(|_| malformed("invalid method"))?;
    *request.uri_mut() =
        target
            .parse::<Uri>()
            .map_err(|_| HandshakeError::InvalidRequestTarget {
                target: target.to_owned(),
            })?;
    *request.version_mut() = version(req.version);
    *request.headers_mut() = header_map(req.headers).map_err(malformed)?;
    Ok(Some((request, n)))
}

/// Parses a response head from the start of `buf` (RFC 9112 §4) within
/// `limits`, like [`parse_request_with_limits`].
///
/// A 101 response has no body, so the bytes after the head are the server's
/// first WebSocket frames. Any other status is returned too (`Ok(Some)`):
/// [`ClientHandshake::validate_response`] turns it into
/// [`HandshakeError::UnexpectedStatus`], and the caller may read its body.
///
/// [`ClientHandshake::validate_response`]: super::ClientHandshake::validate_response
pub fn parse_response_with_limits(
    buf: &[u8],
    limits: &Limits,
) -> Result<Option<(Response<()>, usize)>, HandshakeError> {
    let window = &buf[..buf.len().min(limits.max_head_bytes)];
    let mut stack = [EMPTY_HEADER; STACK_HEADERS];
    let mut heap = Vec::new();
    let slots = header_slots(&mut stack, &mut heap, limits.max_headers);
    let mut res = httparse::Response::new(slots);
    let n = match res.parse(window) {
        Ok(Status::Complete(n)) => n,
        Ok(Status::Partial) if buf.len() >= limits.max_head_bytes => {
            return Err(HandshakeError::ResponseHeadTooLarge {
                limit: limits.max_head_bytes,
            });
        }
        Ok(Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => {
            return Err(HandshakeError::TooManyResponseHeaders {
                limit: limits.max_headers,
            });
        }
        Err(e) => return Err(HandshakeError::MalformedResponse { reason: reason(e) }),
    };
    let malformed = |reason| HandshakeError::MalformedResponse { reason };
    let mut response = Response::new(());
    *response.status_mut() = StatusCode::from_u16(res.code.unwrap_or_default())
        .map_err(|_| malformed("invalid status code"))?;
    *response.version_mut() = version(res.version);
    *response.headers_mut() = header_map(res.headers).map_err(malformed)?;
    Ok(Some((response, n)))
}

/// `limit` empty header slots, from `stack` when they fit.
fn header_slots<'s, 'b>(
    stack: &'s mut [Header<'b>; STACK_HEADERS],
    heap: &'s mut Vec<Header<'b>>,
    limit: usize,
) -> &'s mut [Header<'b>] {
    if limit <= STACK_HEADERS {
        &mut stack[..limit]
    } else {
        heap.resize(limit, EMPTY_HEADER);
        heap
    }
}

/// httparse only accepts `HTTP/1.0` and `HTTP/1.1`.
fn version(minor: Option<u8>) -> Version {
    match minor {
        Some(0) => Version::HTTP_10,
        _ => Version::HTTP_11,
    }
}

fn header_map(headers: &[Header<'_>]) -> Result<HeaderMap, &'static str> {
    let mut map = HeaderMap::with_capacity(headers.len());
    for h in headers {
        let name = HeaderName::from_bytes(h.name.as_bytes()).map_err(|_| "invalid field name")?;
        let value = HeaderValue::from_bytes(h.value).map_err(|_| "invalid field value")?;
        map.append(name, value);
    }
    Ok(map)
}

fn reason(e: httparse::Error) -> &'static str {
    match e {
        httparse::Error::HeaderName => "invalid field name",
        httparse::Error::HeaderValue => "invalid field value",
        httparse::Error::NewLine => "invalid line ending",
        httparse::Error::Status => "invalid status code",
        httparse::Error::Token => "invalid method or request-target",
        httparse::Error::Version => "invalid HTTP version",
        httparse::Error::TooManyHeaders => "too many fields",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REQUEST: &[u8] = b"GET /chat?x=1 HTTP/1.1\r\nHost: a\r\nX: 1\r\nx: 2\r\n\r\n";

    #[test]
    fn request_head_and_leftover() {
        let mut buf = REQUEST.to_vec();
        buf.extend_from_slice(b"\x81\x00rest");
        let (req, n) = parse_request(&buf).unwrap().unwrap();
        assert_eq!(n, REQUEST.len());
        assert_eq!(&buf[n..], b"\x81\x00rest");
        assert_eq!(req.method(), Method::GET);
        assert_eq!(req.uri().path(), "/chat");
        assert_eq!(req.uri().query(), Some("x=1"));
        assert_eq!(req.version(), Version::HTTP_11);
        let xs: Vec<_> = req.headers().get_all("x").iter().collect();
        assert_eq!(xs, ["1", "2"]);
    }

    #[test]
    fn every_prefix_is_incomplete() {
        for i in 0..REQUEST.len() {
            assert!(matches!(parse_request(&REQUEST[..i]), Ok(None)), "{i}");
        }
    }

    #[test]
    fn head_size_limit_is_exact() {
        let fits = Limits::default().max_head_bytes(REQUEST.len());
        assert!(parse_request_with_limits(REQUEST, &fits).unwrap().is_some());
        let short = Limits::default().max_head_bytes(REQUEST.len() - 1);
        assert_eq!(
            parse_request_with_limits(REQUEST, &short).unwrap_err(),
            HandshakeError::RequestHeadTooLarge {
                limit: REQUEST.len() - 1
            }
        );
        assert!(matches!(
            parse_request_with_limits(&REQUEST[..REQUEST.len() - 2], &short),
            Ok(None)
        ));
    }

    #[test]
    fn header_count_limit_on_stack_and_heap() {
        for limit in [3, 100] {
            let limits = Limits::default().max_headers(limit);
            let mut head = b"GET / HTTP/1.1\r\n".to_vec();
            for i in 0..limit {
                head.extend_from_slice(format!("h{i}: v\r\n").as_bytes());
            }
            let mut ok = head.clone();
            ok.extend_from_slice(b"\r\n");
            assert_eq!(
                parse_request_with_limits(&ok, &limits)
                    .unwrap()
                    .unwrap()
                    .0
                    .headers()
                    .len(),
                limit
            );
            head.extend_from_slice(b"one-more: v\r\n\r\n");
            assert_eq!(
                parse_request_with_limits(&head, &limits).unwrap_err(),
                HandshakeError::TooManyRequestHeaders { limit }
            );
        }
    }

    #[test]
    fn malformed_heads() {
        let l = Limits::default();
        for bad in [
            &b"GET / HTTP/1.1\r\nHost : a\r\n\r\n"[..],
            b"GET / HTTP/1.1\r\nHo st: a\r\n\r\n",
            b"GET / HTTP/2.0\r\n\r\n",
            b"GET  / HTTP/1.1\r\n\r\n",
            b"GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n",
            b"GET / HTTP/1.1\r\nA: b\x00c\r\n\r\n",
            b"GET / HTTP/1.1\rHost: a\r\n\r\n",
        ] {
            assert!(
                matches!(
                    parse_request_with_limits(bad, &l),
                    Err(HandshakeError::MalformedRequest { .. })
                ),
                "{:?}: {:?}",
                String::from_utf8_lossy(bad),
                parse_request_with_limits(bad, &l)
            );
        }
    }

    #[test]
    fn responses() {
        let l = Limits::default();
        let head = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n";
        let mut buf = head.to_vec();
        buf.push(0x88);
        let (res, n) = parse_response_with_limits(&buf, &l).unwrap().unwrap();
        assert_eq!((n, res.status().as_u16()), (head.len(), 101));
        assert_eq!(res.headers()["upgrade"], "websocket");
        for i in 0..head.len() {
            assert!(
                matches!(parse_response_with_limits(&head[..i], &l), Ok(None)),
                "{i}"
            );
        }
        let small = Limits::default().max_head_bytes(10).max_headers(0);
        assert_eq!(
            parse_response_with_limits(head, &small).unwrap_err(),
            HandshakeError::ResponseHeadTooLarge { limit: 10 }
        );
        let few = l.clone().max_headers(0);
        assert_eq!(
            parse_response_with_limits(head, &few).unwrap_err(),
            HandshakeError::TooManyResponseHeaders { limit: 0 }
        );
        assert!(matches!(
            parse_response_with_limits(b"HTTP/1.1 1O1 X\r\n\r\n", &l),
            Err(HandshakeError::MalformedResponse { .. })
        ));
    }
}
