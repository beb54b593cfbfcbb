//! Sans-IO HTTP/1.1 chunked transfer coding (RFC 9112 §7.1).
//!
//! The chunked coding frames a body of unknown length as a series of
//! size-prefixed chunks, a last chunk of size zero and an optional trailer
//! section. It carries HTTP streaming responses, long-polling bodies and
//! Server-Sent Events over HTTP/1.1.
//!
//! This crate is a strict [`Decoder`] and a zero-copy [`Encoder`]; it does no
//! I/O. The decoder is incremental (feed it bytes as they arrive, in any
//! split) and rejects every framing ambiguity that request smuggling attacks
//! rely on; see [`Decoder`] for the rules and the CVEs they prevent, and
//! [`Limits`] for what a peer can make it hold.
//!
//! ```
//! use bytes::BytesMut;
//! use rtw_chunked::{Decoder, Encoder, Frame, http};
//!
//! // Encode two chunks and a trailer section.
//! let mut enc = Encoder::new();
//! let mut wire = BytesMut::new();
//! enc.encode_chunk("Hello, ".into())?.write_to(&mut wire);
//! enc.encode_chunk("world".into())?.write_to(&mut wire);
//! let mut trailers = http::HeaderMap::new();
//! trailers.insert("server-timing", "total;dur=12".parse().unwrap());
//! wire.extend_from_slice(&enc.encode_last(&trailers)?);
//! assert_eq!(&wire[..], b"7\r\nHello, \r\n5\r\nworld\r\n0\r\nserver-timing: total;dur=12\r\n\r\n");
//!
//! // Decode them again, one frame at a time.
//! let mut dec = Decoder::new();
//! let mut body = Vec::new();
//! while let Some(frame) = dec.decode(&mut wire)? {
//!     match frame {
//!         Frame::Data(bytes) => body.extend_from_slice(&bytes),
//!         Frame::Trailers(t) => assert_eq!(t["server-timing"], "total;dur=12"),
//!         Frame::End => break,
//!         // Frame::Chunk comes only with Config::report_chunk_headers;
//!         // Frame is #[non_exhaustive], so a match needs this arm.
//!         _ => {}
//!     }
//! }
//! assert_eq!(body, b"Hello, world");
//! assert!(dec.is_done());
//! # Ok::<(), rtw_chunked::Error>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

/// The `http` crate, whose types this crate's API uses (header maps,
/// requests and responses).
pub use http;

mod decode;
mod encode;
mod error;
mod extension;
mod frame;
mod grammar;
mod limits;
mod state;
mod trailers;

pub use decode::Decoder;
pub use encode::{EncodedChunk, Encoder};
pub use error::{Error, LineContext};
pub use extension::{ChunkExtension, ExtensionValue};
pub use frame::{ChunkHeader, Frame};
pub use limits::{Config, Limits, TrailerPolicy};
pub use trailers::{PROHIBITED_TRAILERS, is_prohibited_trailer};

/// The README's example, compiled and run as a doc test so that it stays
/// true (it is the same as the one above).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExample;
