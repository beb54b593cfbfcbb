//! Sans-IO STOMP (Simple Text Oriented Messaging Protocol) 1.2, with the
//! 1.1 and 1.0 framing rules: a frame codec, `heart-beat` and version
//! negotiation.
//!
//! The crate opens no socket, reads no clock and draws no randomness of
//! its own (`docs/ARCHITECTURE.md`): bytes go in, frames come out.
//!
//! A frame serialized, then read back from a stream that brings it in two
//! pieces with a heart-beat after it:
//!
//! ```
//! use bytes::BytesMut;
//! use rtw_stomp::{Command, Decoder, Frame, Item, Version};
//!
//! let frame = Frame::new(Command::Send)
//!     .with_header("destination", "/queue/a")
//!     .with_header("note", "a:b\nc")
//!     .with_body(&b"hello\0world"[..]);
//! let wire = frame.to_bytes(Version::V1_2);
//! assert!(wire.starts_with(b"SEND\ndestination:/queue/a\nnote:a\\cb\\nc\ncontent-length:11\n\n"));
//!
//! let mut decoder = Decoder::new();
//! let mut src = BytesMut::from(&wire[..10]);
//! assert_eq!(decoder.decode(&mut src).unwrap(), None);
//! src.extend_from_slice(&wire[10..]);
//! src.extend_from_slice(b"\r\n");
//! let Some(Item::Frame(read)) = decoder.decode(&mut src).unwrap() else { panic!() };
//! assert_eq!(read.header("note"), Some("a:b\nc"));
//! assert_eq!(read.header("content-length"), Some("11"));
//! assert_eq!(read.body, frame.body);
//! assert_eq!(decoder.decode(&mut src).unwrap(), Some(Item::HeartBeat));
//! ```
//!
//! Specification: <https://stomp.github.io/stomp-specification-1.2.html>;
//! item docs name the section they implement.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod broker;
pub mod client;
mod command;
mod decoder;
mod encode;
mod error;
mod frame;
mod headers;
mod heartbeat;
mod limits;
mod version;

pub use bytes::{Bytes, BytesMut};
pub use command::Command;
pub use decoder::Decoder;
pub use error::Error;
pub use frame::{Frame, Item};
pub use heartbeat::HeartBeat;
pub use limits::Limits;
pub use rtw_core::{Random, SeededRandom};
pub use version::{Version, negotiate_version};
