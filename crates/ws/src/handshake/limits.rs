//! Bounds on what a handshake head may make us buffer.

/// Bounds on a request or response head (RFC 6585 §5: a server answers 431
/// Request Header Fields Too Large beyond them).
///
/// [`parse_request`](super::parse_request) and
/// [`parse_response`](super::parse_response) look at no more than
/// `max_head_bytes` bytes: once that many are buffered without a complete
/// head, they fail instead of asking for more, so a peer cannot make the
/// caller buffer without end. Too many header lines fail as soon as they are
/// seen (node `ws` crashed on them before CVE-2024-37890 was fixed).
///
/// | limit | rtw default | for comparison |
/// |---|---|---|
/// | head bytes (request line, fields, final CRLF) | 16 KiB | Node.js `http` `maxHeaderSize`: 16 KiB |
/// | header field lines | 64 | hyper: 100; tungstenite: 124 |
///
/// A browser's handshake is well under 2 KiB and about 15 field lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandshakeLimits {
    /// Largest head accepted, in bytes, from the first byte to the end of the
    /// empty line. Default 16 KiB.
    pub max_head_bytes: usize,
    /// Most header field lines accepted. Default 64.
    pub max_headers: usize,
}

impl Default for HandshakeLimits {
    fn default() -> Self {
        HandshakeLimits {
            max_head_bytes: 16 * 1024,
            max_headers: 64,
        }
    }
}
