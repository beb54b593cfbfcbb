//! Sans-IO `multipart/x-mixed-replace` and streamed `multipart/mixed`
//! (RFC 2046 §5.1).
//!
//! A multipart body is parts between boundary delimiter lines: M-JPEG
//! cameras and servers stream one JPEG per part as
//! `multipart/x-mixed-replace`, and a browser shows each part in place of
//! the one before. This crate does no I/O: [`Decoder`] takes the body's
//! bytes in any split and yields whole [`Part`]s, their bodies split off
//! the input without copying; [`Encoder`] writes parts and the close
//! delimiter; [`Boundary`] checks a boundary (RFC 2046 §5.1.1), reads it
//! from a `Content-Type` (RFC 2045 §5.1) or generates one from injected
//! randomness ([`Random`]).
//!
//! ```
//! use bytes::BytesMut;
//! use rtw_multipart::{Boundary, Decoder, Encoder, Item, Part, SeededRandom};
//!
//! // A server picks a boundary and announces it.
//! let boundary = Boundary::generate(&mut SeededRandom::new(1));
//! let content_type = boundary.content_type("x-mixed-replace");
//!
//! // It streams two frames and closes the body.
//! let mut encoder = Encoder::new(boundary);
//! let mut wire = BytesMut::new();
//! for frame in [&b"\xff\xd8one\xff\xd9"[..], b"\xff\xd8two\xff\xd9"] {
//!     encoder.encode_part(&Part::new("image/jpeg", frame))?.write_to(&mut wire);
//! }
//! wire.extend_from_slice(&encoder.close()?);
//!
//! // A client reads the boundary from the header and decodes the parts.
//! let mut decoder = Decoder::new(Boundary::from_content_type(&content_type)?);
//! let mut frames = Vec::new();
//! while let Some(item) = decoder.decode(&mut wire)? {
//!     match item {
//!         Item::Part(part) => {
//!             assert_eq!(part.content_type(), Some("image/jpeg"));
//!             frames.push(part.body);
//!         }
//!         Item::End => break,
//!         // Item is #[non_exhaustive].
//!         _ => {}
//!     }
//! }
//! assert_eq!(frames, [&b"\xff\xd8one\xff\xd9"[..], b"\xff\xd8two\xff\xd9"]);
//! assert!(decoder.is_done());
//! # Ok::<(), rtw_multipart::Error>(())
//! ```
//!
//! The decoder is strict RFC 2046 §5.1.1 by default; [`Config`] has one
//! switch per departure real senders make (mjpg-streamer, ffmpeg's
//! `mpjpeg` muxer, ESP32 cameras), each documented with who needs it, and
//! [`Config::lenient`] turns them all on. [`Limits`] bound what a peer
//! can make it hold.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

/// The `http` crate, whose `HeaderMap` holds a part's header fields.
pub use http;
pub use rtw_core::{Random, SeededRandom};

mod boundary;
mod config;
mod decoder;
mod encoder;
mod error;
mod part;

pub use boundary::{Boundary, MAX_BOUNDARY_LEN};
pub use config::{Config, Limits};
pub use decoder::Decoder;
pub use encoder::{EncodedPart, Encoder};
pub use error::Error;
pub use part::{Item, Part};

/// The README's example, compiled and run as a doc test so that it stays
/// true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExample;
