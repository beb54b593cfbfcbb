//! SDP (RFC 8866): every line of a session description typed, written back
//! byte for byte.
//!
//! This is the foundation of rtw-sdp: the full RFC 8866 line grammar in its
//! strict order, typed origin, connection, bandwidth, timing and media
//! lines, and attributes kept in order with their values exactly as
//! written. Typed accessors for the WebRTC attributes come next.
//!
//! ```
//! use rtw_sdp::SessionDescription;
//!
//! let text = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n\
//!             m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n";
//! let sd = SessionDescription::parse(text)?;
//! assert_eq!(sd.media[0].attribute("rtpmap").unwrap().value.as_deref(), Some("111 opus/48000/2"));
//! assert_eq!(sd.to_string(), text);
//! # Ok::<(), rtw_sdp::Error>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
mod parse;
mod types;
mod write;

pub use error::{Error, ErrorKind};
pub use types::{
    Attribute, Bandwidth, Connection, Media, MediaDescription, Origin, SessionDescription, Timing,
};

/// Bounds on what a description may make the parser hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of text. Default 1 MiB (Chrome offers are about 6-20 KiB).
    pub max_size: usize,
    /// Lines. Default 20,000.
    pub max_lines: usize,
    /// Attributes in one section. Default 4,096.
    pub max_attributes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_size: 1 << 20,
            max_lines: 20_000,
            max_attributes: 4_096,
        }
    }
}
