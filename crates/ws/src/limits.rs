//! The size limits of rtw-ws, in one place: what a peer can make us hold.

use crate::setters::setters;

/// How much a peer can make an endpoint hold: frames, messages, what waits
/// to be written, the opening handshake's head. Held by
/// [`Config::limits`](crate::Config::limits) for a
/// [`Connection`](crate::Connection), and given to
/// [`ServerHandshake::with_limits`](crate::handshake::ServerHandshake::with_limits),
/// [`ClientBuilder::limits`](crate::handshake::ClientBuilder::limits) and
/// [`parse_request_with_limits`](crate::handshake::parse_request_with_limits)
/// for the handshake.
///
/// Nothing a peer declares is allocated before it passed its limit: a frame
/// larger than `max_frame_size` fails when its header arrives, a head
/// longer than `max_head_bytes` before more is asked for.
///
/// Defaults, beside tungstenite's and others':
///
/// | limit | rtw default | for comparison |
/// |---|---|---|
/// | `max_frame_size` | 16 MiB | tungstenite 16 MiB |
/// | `max_message_size` | 64 MiB | tungstenite 64 MiB |
/// | `max_inflated_message_size` | 16 MiB | tungstenite: `max_message_size` |
/// | `max_write_buffer` | 16 MiB | tungstenite: unbounded |
/// | `max_head_bytes` | 16 KiB | Node.js `http` `maxHeaderSize`: 16 KiB |
/// | `max_headers` | 64 | hyper 100, tungstenite 124 |
///
/// A browser's handshake is well under 2 KiB and about 15 field lines.
///
/// ```
/// use rtw_ws::{Config, Limits};
///
/// let limits = Limits::default().max_frame_size(1 << 20).max_message_size(4 << 20);
/// let config = Config::default().limits(limits);
/// assert_eq!(config.limits.max_frame_size, 1 << 20);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest frame payload accepted; a larger frame fails the connection
    /// with 1009 as soon as its header arrives, before any of it is
    /// buffered. Default 16 MiB.
    pub max_frame_size: u64,
    /// Largest message accepted, counted across fragments as their headers
    /// arrive; a larger message fails with 1009. Default 64 MiB.
    pub max_message_size: u64,
    /// Largest message accepted when it arrives compressed
    /// (permessage-deflate, RFC 7692), counted as it inflates; a larger one
    /// fails with 1009. Lower than `max_message_size` by default because a
    /// compressed message costs the peer about a thousandth of what it
    /// costs us (1 MiB of zeros deflates to about 1 KiB). The smaller of
    /// the two applies. Default 16 MiB.
    pub max_inflated_message_size: u64,
    /// [`Connection::send`](crate::Connection::send) refuses new data while
    /// this many bytes wait to be written
    /// ([`Error::WriteBufferFull`](crate::Error::WriteBufferFull)). What
    /// waits is thus at most this plus one message; automatic pongs and
    /// the close frame are exempt (each is bounded by 127 bytes). Default
    /// 16 MiB.
    pub max_write_buffer: usize,
    /// Largest handshake head accepted, in bytes, from the first byte to
    /// the end of the empty line (RFC 6585 §5: a server answers 431
    /// beyond it). The handshake parsers look at no more than this: once
    /// that many bytes are buffered without a complete head they fail
    /// instead of asking for more. Default 16 KiB.
    pub max_head_bytes: usize,
    /// Most header field lines accepted in a handshake head (431 beyond
    /// it); too many fail as soon as they are seen (node `ws` crashed on
    /// them before CVE-2024-37890 was fixed). Default 64.
    pub max_headers: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_frame_size: 16 << 20,
            max_message_size: 64 << 20,
            max_inflated_message_size: 16 << 20,
            max_write_buffer: 16 << 20,
            max_head_bytes: 16 * 1024,
            max_headers: 64,
        }
    }
}

setters!(Limits {
    max_frame_size: u64,
    max_message_size: u64,
    max_inflated_message_size: u64,
    max_write_buffer: usize,
    max_head_bytes: usize,
    max_headers: usize,
});
