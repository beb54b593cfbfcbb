//! Sans-IO WebSocket (RFC 6455).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

/// The `http` crate, whose types this crate's API uses (header maps,
/// requests and responses).
pub use http;

mod budget;
mod close;
mod config;
mod connection;
#[cfg(feature = "deflate")]
pub mod deflate;
mod error;
pub mod frame;
pub mod handshake;
mod limits;
mod mask;
mod message;
mod role;
mod setters;
mod utf8;

pub use budget::MemoryBudget;
pub use close::{CloseCode, CloseFrame};
pub use config::Config;
pub use connection::{Connection, State, Transport};
pub use error::Error;
pub use limits::Limits;
pub use mask::apply_mask;
pub use message::{Event, Fragment, Message, MessageKind};
/// The randomness trait of every rtw codec (masking keys, RFC 6455 §5.3;
/// `Sec-WebSocket-Key`, §4.1), and a seeded generator for tests.
pub use rtw_core::{Random, SeededRandom};
pub use role::Role;
pub use utf8::Utf8Bytes;
