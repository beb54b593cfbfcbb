//! The server's address from a URL, and the I/O under the Engine.IO
//! client: one HTTP/1.1 request per connection for long polling (hyper),
//! and the WebSocket's URL.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::Error;

/// Where the server's Engine.IO endpoint is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Endpoint {
    /// `HOST:PORT`.
    pub(super) authority: String,
    /// The path, ending with `/` (`/socket.io/`).
    pub(super) path: String,
}

impl Endpoint {
    /// `http://HOST:PORT[/PATH]` or `ws://...`; the path defaults to
    /// `/socket.io/`.
    pub(super) fn parse(url: &str) -> Result<Endpoint, Error> {
        let bad = |reason: &str| Error::Url {
            url: url.to_owned(),
            reason: reason.to_owned(),
        };
        let rest = url
            .strip_prefix("http://")
            .or_else(|| url.strip_prefix("ws://"))
            .ok_or_else(|| bad("not http:// or ws:// (TLS is not supported)"))?;
        let rest = rest.split(['?', '#']).next().unwrap_or_default();
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        if authority.is_empty() || authority.contains('@') {
            return Err(bad("no HOST:PORT"));
        }
        let authority = if authority.rsplit_once(':').is_some_and(|(_, p)| {
            !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && !p.contains(']')
        }) {
            authority.to_owned()
        } else {
            format!("{authority}:80")
        };
        let path = match path {
            "" | "/" => "/socket.io/".to_owned(),
            p if p.ends_with('/') => p.to_owned(),
            p => format!("{p}/"),
        };
        Ok(Endpoint { authority, path })
    }

    /// The URL of the WebSocket with this Engine.IO query.
    pub(super) fn ws_url(&self, query: &str) -> String {
        format!("ws://{}{}?{query}", self.authority, self.path)
    }

    /// One HTTP/1.1 request on a connection of its own: status and body.
    pub(super) async fn http(
        &self,
        method: &'static str,
        query: &str,
        body: Bytes,
        within: Duration,
    ) -> Result<(u16, Bytes), String> {
        let exchange = async {
            let tcp = TcpStream::connect(&self.authority)
                .await
                .map_err(|e| format!("connect {}: {e}", self.authority))?;
            let _ = tcp.set_nodelay(true);
            let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
                .await
                .map_err(|e| e.to_string())?;
            tokio::spawn(conn);
            let request = http::Request::builder()
                .method(method)
                .uri(format!("{}?{query}", self.path))
                .header("host", &self.authority)
                .header("content-type", "text/plain; charset=UTF-8")
                .body(Full::new(body))
                .map_err(|e| e.to_string())?;
            let response = send
                .send_request(request)
                .await
                .map_err(|e| e.to_string())?;
            let status = response.status().as_u16();
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|e| e.to_string())?
                .to_bytes();
            Ok((status, body))
        };
        tokio::time::timeout(within, exchange)
            .await
            .map_err(|_| format!("no answer within {} s", within.as_secs()))?
    }
}

#[cfg(test)]
mod tests {
    use super::Endpoint;

    #[test]
    fn urls() {
        let e = Endpoint::parse("http://127.0.0.1:3000").unwrap();
        assert_eq!(e.authority, "127.0.0.1:3000");
        assert_eq!(e.path, "/socket.io/");
        assert_eq!(
            e.ws_url("EIO=4&transport=websocket"),
            "ws://127.0.0.1:3000/socket.io/?EIO=4&transport=websocket"
        );
        let e = Endpoint::parse("ws://example.com/io").unwrap();
        assert_eq!(e.authority, "example.com:80");
        assert_eq!(e.path, "/io/");
        assert!(Endpoint::parse("https://example.com").is_err());
        assert!(Endpoint::parse("http:///x").is_err());
    }
}
