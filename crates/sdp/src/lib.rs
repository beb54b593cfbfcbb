//! SDP (RFC 8866): every line of a session description typed, written back
//! byte for byte.
//!
//! - The full RFC 8866 line grammar in its strict order, with typed
//!   origin, connection, bandwidth, timing and media lines; one [`Error`]
//!   enum whose variants carry the line number ([`Error::line`]) and what
//!   was expected, with [`AttributeError`] nested under it.
//! - Attributes kept in order with their values exactly as written, so
//!   `parse(x).to_string() == x` for any grammatical CRLF text; LF-only
//!   text is read too (RFC 8866 §5) and written with CRLF.
//! - Typed views of the attributes WebRTC uses ([`attributes`]), read with
//!   [`get`](MediaDescription::get) and written with
//!   [`set`](MediaDescription::set) / [`push`](MediaDescription::push).
//! - Building and editing sessions, and the JSEP checks of RFC 8829
//!   ([`SessionDescription::check_jsep`]).
//!
//! Limits ([`Limits`], passed to
//! [`SessionDescription::parse_with_limits`]) bound the size, line count
//! and attributes per section of what is parsed.
//!
//! ```
//! use rtw_sdp::{SessionDescription, attributes::RtpMap};
//!
//! let text = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n\
//!             m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n";
//! let sd = SessionDescription::parse(text)?;
//! let opus = sd.media[0].get::<RtpMap>().unwrap()?;
//! assert_eq!((opus.encoding_name.as_str(), opus.clock_rate), ("opus", 48000));
//! assert_eq!(sd.to_string(), text);
//! # Ok::<(), rtw_sdp::Error>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod access;
pub mod attributes;
mod error;
mod jsep;
mod limits;
mod parse;
mod types;
mod write;

pub use access::Level;
pub use attributes::{AttributeError, AttributeValue};
/// The string type of [`Attribute::value`], re-exported so that callers
/// need no dependency of their own to name it.
pub use compact_str::CompactString;
pub use error::Error;
pub use jsep::{JsepProblem, JsepRule};
pub use limits::Limits;
pub use types::{
    Attribute, Bandwidth, Connection, Media, MediaDescription, Origin, SessionDescription, Timing,
};

/// The README's example, compiled and run as a doc test so that it stays
/// true (it is the same as the one above).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExample;
