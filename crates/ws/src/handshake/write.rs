//! Writing request and response heads as HTTP/1.1 bytes (RFC 9112 §2-§5).
//!
//! Field names are written in their conventional case (`Sec-WebSocket-Key`,
//! `Content-Length`): names are case-insensitive (RFC 9110 §5.1), but peers
//! and people reading traces expect it. Fields come out in the order of the
//! [`http::HeaderMap`], which is insertion order for maps built here.

use bytes::BufMut;
use http::{HeaderMap, HeaderName, Request, Response};

/// `method SP request-target SP HTTP/1.1 CRLF`, the fields, `CRLF`.
pub(crate) fn write_request_head<T, B: BufMut + ?Sized>(req: &Request<T>, dst: &mut B) {
    let target = req.uri().path_and_query().map_or("/", |p| p.as_str());
    dst.put_slice(req.method().as_str().as_bytes());
    dst.put_u8(b' ');
    dst.put_slice(target.as_bytes());
    dst.put_slice(b" HTTP/1.1\r\n");
    write_fields(req.headers(), dst);
}

/// `HTTP/1.1 SP status-code SP reason-phrase CRLF`, the fields, `CRLF`.
pub(crate) fn write_response_head<T, B: BufMut + ?Sized>(res: &Response<T>, dst: &mut B) {
    let status = res.status();
    dst.put_slice(b"HTTP/1.1 ");
    dst.put_slice(status.as_str().as_bytes());
    dst.put_u8(b' ');
    dst.put_slice(status.canonical_reason().unwrap_or("").as_bytes());
    dst.put_slice(b"\r\n");
    write_fields(res.headers(), dst);
}

fn write_fields<B: BufMut + ?Sized>(headers: &HeaderMap, dst: &mut B) {
    for (name, value) in headers {
        write_name(name, dst);
        dst.put_slice(b": ");
        dst.put_slice(value.as_bytes());
        dst.put_slice(b"\r\n");
    }
    dst.put_slice(b"\r\n");
}

/// Each `-`-separated part capitalised, `websocket` as `WebSocket`.
fn write_name<B: BufMut + ?Sized>(name: &HeaderName, dst: &mut B) {
    for (i, part) in name.as_str().split('-').enumerate() {
        if i > 0 {
            dst.put_u8(b'-');
        }
        if part == "websocket" {
            dst.put_slice(b"WebSocket");
            continue;
        }
        let mut bytes = part.bytes();
        if let Some(first) = bytes.next() {
            dst.put_u8(first.to_ascii_uppercase());
        }
        for b in bytes {
            dst.put_u8(b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::{HeaderValue, StatusCode};

    #[test]
    fn conventional_names_and_order() {
        let mut res = Response::new(());
        *res.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
        let h = res.headers_mut();
        h.insert("upgrade", HeaderValue::from_static("websocket"));
        h.insert("sec-websocket-accept", HeaderValue::from_static("x"));
        h.append("x-multi-part-name", HeaderValue::from_static("1"));
        h.append("x-multi-part-name", HeaderValue::from_static("2"));
        h.insert("etag", HeaderValue::from_static("e"));
        let mut out = Vec::new();
        write_response_head(&res, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: x\r\n\
             X-Multi-Part-Name: 1\r\nX-Multi-Part-Name: 2\r\nEtag: e\r\n\r\n"
        );
    }

    #[test]
    fn request_line() {
        let req = Request::get("/a/b?c=d").body(()).unwrap();
        let mut out = bytes::BytesMut::new();
        write_request_head(&req, &mut out);
        assert_eq!(&out[..], b"GET /a/b?c=d HTTP/1.1\r\n\r\n");
    }
}
