//! WebSocket URIs (RFC 6455 §3): `ws://host[:port]/path?query` and `wss://`.

use http::Uri;

use super::error::HandshakeError;

/// What a client needs from a `ws://` or `wss://` URI (RFC 6455 §3).
///
/// TLS is the caller's business: `secure` only says whether to wrap the
/// connection in it. `http://` and `https://` are refused, like every scheme
/// other than `ws` and `wss` (compared ASCII case-insensitively, RFC 3986
/// §3.1). `http::Uri` drops a `#fragment`, which RFC 6455 §3 forbids anyway.
///
/// ```
/// use rtw_ws::handshake::WsUri;
/// let uri: http::Uri = "wss://[::1]:8443/chat?room=1".parse().unwrap();
/// let ws = WsUri::parse(&uri)?;
/// assert!(ws.secure);
/// assert_eq!((ws.host.as_str(), ws.port), ("::1", 8443));
/// assert_eq!(ws.host_header, "[::1]:8443");
/// assert_eq!(ws.resource_name, "/chat?room=1");
/// # Ok::<(), rtw_ws::handshake::HandshakeError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WsUri {
    /// `wss` (TLS) rather than `ws`.
    pub secure: bool,
    /// The host to connect to, IPv6 literals without brackets.
    pub host: String,
    /// The port to connect to: the URI's, else 80 for `ws`, 443 for `wss`
    /// (RFC 6455 §3).
    pub port: u16,
    /// The `Host` field value: the host, plus `:port` when the port is not
    /// the default (RFC 6455 §4.1 item 4).
    pub host_header: String,
    /// Path and query, `/` when the path is empty (RFC 6455 §3
    /// /resource name/).
    pub resource_name: String,
}

impl WsUri {
    /// Splits `uri` into the parts a client needs (RFC 6455 §3).
    pub fn parse(uri: &Uri) -> Result<Self, HandshakeError> {
        let scheme = uri.scheme_str().unwrap_or_default();
        let secure = if scheme.eq_ignore_ascii_case("wss") {
            true
        } else if scheme.eq_ignore_ascii_case("ws") {
            false
        } else {
            return Err(HandshakeError::UnsupportedScheme {
                scheme: scheme.to_owned(),
            });
        };
        let authority = uri.authority().map(|a| a.as_str()).unwrap_or_default();
        let bad_host = || HandshakeError::InvalidClientHost {
            host: authority.to_owned(),
        };
        // Userinfo has no place in a WebSocket URI's Host (RFC 6455 §3 uses
        // only host and port).
        let host = match uri.host() {
            Some(h) if !h.is_empty() && !authority.contains('@') => h,
            _ => return Err(bad_host()),
        };
        let default_port = if secure { 443 } else { 80 };
        let port = uri.port_u16().unwrap_or(default_port);
        let host_header = if port == default_port {
            host.to_owned()
        } else {
            format!("{host}:{port}")
        };
        let path = match uri.path() {
            "" => "/",
            p => p,
        };
        let resource_name = match uri.query() {
            Some(q) => format!("{path}?{q}"),
            None => path.to_owned(),
        };
        Ok(WsUri {
            secure,
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
            port,
            host_header,
            resource_name,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<WsUri, HandshakeError> {
        WsUri::parse(&s.parse::<Uri>().unwrap())
    }

    #[test]
    fn default_ports_are_implied_and_left_out_of_host() {
        let ws = parse("ws://example.com").unwrap();
        assert_eq!(
            (ws.secure, ws.port, ws.host_header.as_str()),
            (false, 80, "example.com")
        );
        assert_eq!(ws.resource_name, "/");
        let ws = parse("WSS://example.com:443/a?b").unwrap();
        assert_eq!(
            (ws.secure, ws.port, ws.host_header.as_str()),
            (true, 443, "example.com")
        );
        assert_eq!(ws.resource_name, "/a?b");
        let ws = parse("ws://example.com:443?q").unwrap();
        assert_eq!((ws.port, ws.host_header.as_str()), (443, "example.com:443"));
        assert_eq!(ws.resource_name, "/?q");
        let ws = parse("ws://127.0.0.1:9001/x#frag").unwrap();
        assert_eq!((ws.host.as_str(), ws.port), ("127.0.0.1", 9001));
        assert_eq!(ws.resource_name, "/x");
    }

    #[test]
    fn other_schemes_and_hosts_are_refused() {
        for (s, scheme) in [
            ("http://a/", "http"),
            ("https://a/", "https"),
            ("/relative", ""),
        ] {
            assert_eq!(
                parse(s),
                Err(HandshakeError::UnsupportedScheme {
                    scheme: scheme.into()
                }),
                "{s}"
            );
        }
        assert_eq!(
            parse("ws://user:pw@example.com/"),
            Err(HandshakeError::InvalidClientHost {
                host: "user:pw@example.com".into()
            })
        );
    }
}
