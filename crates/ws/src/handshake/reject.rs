//! The response a server sends when it refuses a handshake (RFC 6455 §4.2.1,
//! §4.2.2, §4.4).

use bytes::BufMut;
use http::header::{
    ALLOW, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, SEC_WEBSOCKET_VERSION, UPGRADE,
};
use http::{HeaderValue, Response, StatusCode, Version};

use super::accept::WEBSOCKET_VERSION;
use super::error::{Fault, HandshakeError};
use super::write::write_response_head;

impl HandshakeError {
    /// The response refusing the handshake: [`status`](Self::status), a
    /// one-line `text/plain` body naming the broken rule (only "internal
    /// error" for the caller's own mistakes, which are none of the peer's
    /// business), `Content-Length`, and `Connection: close` since the
    /// connection is not reused after a failed handshake.
    ///
    /// The status adds the fields it requires: 426 carries
    /// `Sec-WebSocket-Version: 13` (RFC 6455 §4.2.2 item 4, §4.4) and
    /// `Upgrade: websocket` with `Connection: Upgrade, close` (RFC 9110
    /// §15.5.22, §7.8); 405 carries `Allow: GET` (RFC 9110 §15.5.6).
    pub fn rejection(&self) -> Response<String> {
        let status = self.status();
        let body = match self.fault() {
            Fault::Local => "internal error\n".to_owned(),
            _ => format!("{self}\n"),
        };
        let mut res = Response::new(String::new());
        *res.status_mut() = status;
        *res.version_mut() = Version::HTTP_11;
        let h = res.headers_mut();
        h.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        h.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
        match status {
            StatusCode::UPGRADE_REQUIRED => {
                h.insert(
                    SEC_WEBSOCKET_VERSION,
                    HeaderValue::from_static(WEBSOCKET_VERSION),
                );
                h.insert(UPGRADE, HeaderValue::from_static("websocket"));
                h.insert(CONNECTION, HeaderValue::from_static("Upgrade, close"));
            }
            StatusCode::METHOD_NOT_ALLOWED => {
                h.insert(ALLOW, HeaderValue::from_static("GET"));
                h.insert(CONNECTION, HeaderValue::from_static("close"));
            }
            _ => {
                h.insert(CONNECTION, HeaderValue::from_static("close"));
            }
        }
        *res.body_mut() = body;
        res
    }

    /// Writes [`rejection`](Self::rejection), head and body (RFC 9112 §4,
    /// §6).
    pub fn write_rejection<B: BufMut + ?Sized>(&self, dst: &mut B) {
        let res = self.rejection();
        write_response_head(&res, dst);
        dst.put_slice(res.body().as_bytes());
    }

    /// [`write_rejection`](Self::write_rejection) into a new buffer.
    pub fn rejection_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        self.write_rejection(&mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(e: &HandshakeError) -> String {
        String::from_utf8(e.rejection_bytes()).unwrap()
    }

    #[test]
    fn upgrade_required_names_the_version() {
        let e = HandshakeError::UnsupportedVersion { found: "8".into() };
        let t = text(&e);
        assert!(t.starts_with("HTTP/1.1 426 Upgrade Required\r\n"), "{t}");
        assert!(t.contains("\r\nSec-WebSocket-Version: 13\r\n"), "{t}");
        assert!(t.contains("\r\nUpgrade: websocket\r\n"), "{t}");
        assert!(t.contains("\r\nConnection: Upgrade, close\r\n"), "{t}");
    }

    #[test]
    fn body_length_matches_and_connection_closes() {
        let e = HandshakeError::MissingKey;
        let t = text(&e);
        let (head, body) = t.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 400 Bad Request\r\n"));
        assert!(
            head.contains(&format!("\r\nContent-Length: {}", body.len())),
            "{t}"
        );
        assert!(head.contains("\r\nConnection: close"), "{t}");
        assert!(body.contains("Sec-WebSocket-Key") && body.ends_with('\n'));
        assert!(!head.contains("Sec-WebSocket-Version"));
    }

    #[test]
    fn method_not_allowed_lists_get_and_local_faults_stay_private() {
        let t = text(&HandshakeError::MethodNotGet {
            method: "POST".into(),
        });
        assert!(
            t.starts_with("HTTP/1.1 405 Method Not Allowed\r\n")
                && t.contains("\r\nAllow: GET\r\n"),
            "{t}"
        );
        let t = text(&HandshakeError::PolicyUnofferedProtocol {
            protocol: "secret".into(),
        });
        assert!(
            t.starts_with("HTTP/1.1 500 ") && t.ends_with("\r\n\r\ninternal error\n"),
            "{t}"
        );
        let t = text(&HandshakeError::OriginRefused { origin: None });
        assert!(t.starts_with("HTTP/1.1 403 Forbidden\r\n"), "{t}");
        let t = text(&HandshakeError::TooManyRequestHeaders { limit: 64 });
        assert!(
            t.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"),
            "{t}"
        );
    }
}
