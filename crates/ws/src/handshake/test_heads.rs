//! The RFC 6455 §1.2 handshake heads, and edits of them, that the
//! client's and the server's unit tests share.

/// The client's opening handshake of RFC 6455 §1.2, verbatim.
pub(super) const RFC_REQUEST: &str = "GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n\
                           Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
                           Origin: http://example.com\r\nSec-WebSocket-Protocol: chat, superchat\r\n\
                           Sec-WebSocket-Version: 13\r\n\r\n";

/// The server's answer of RFC 6455 §1.2, verbatim.
pub(super) const RFC_RESPONSE: &str = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                            Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\n\r\n";

/// `head` with field lines changed: `None` drops every line of the field
/// (names compared without case), `Some` replaces them with one line,
/// added at the end.
pub(super) fn head_with(head: &str, changes: &[(&str, Option<&str>)]) -> String {
    let (head, _) = head.split_once("\r\n\r\n").unwrap();
    let mut lines: Vec<String> = head.split("\r\n").map(str::to_owned).collect();
    for (name, value) in changes {
        let prefix = format!("{}:", name.to_ascii_lowercase());
        lines.retain(|l| !l.to_ascii_lowercase().starts_with(&prefix));
        if let Some(v) = value {
            lines.push(format!("{name}: {v}"));
        }
    }
    lines.join("\r\n") + "\r\n\r\n"
}
