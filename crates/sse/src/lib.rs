//! Sans-IO Server-Sent Events (HTML Living Standard, "Server-sent events").
//!
//! - [`Decoder`]: the event-stream parser and interpreter, exactly to the
//!   standard's algorithm, incremental and linear-time, with
//!   [`Decoder::decode`] and [`Decoder::decode_eof`] over a `BytesMut`.
//! - [`Message`] and [`write_comment`]: the serializer, which never lets
//!   data inject fields. An [`EventName`] or [`EventId`] is checked once,
//!   and [`Message::with_event`] / [`Message::with_id`] then cannot fail.
//! - [`EventSource`]: the client's processing model (ready states,
//!   reconnection time, `Last-Event-ID`) as a sans-IO state machine that
//!   says when to connect and when to wait, with time passed in (`now`
//!   first in every `handle_*` method).
//!
//! Errors say whose fault they are ([`Error::is_peer_fault`]) and what the
//! processing model does with the connection ([`Error::connection_answer`]:
//! fail it, or reestablish it). Limits and options are [`Limits`] inside
//! [`Config`], built from `Default` with setters.
//!
//! ```
//! use bytes::BytesMut;
//! use rtw_sse::{Decoder, EventId, Item, Message};
//!
//! let mut wire = Message::new("line one\nline two")
//!     .with_id(EventId::from_static("42"))
//!     .to_bytes();
//! let mut decoder = Decoder::new();
//! match decoder.decode(&mut wire)? {
//!     Some(Item::Event(e)) => {
//!         assert_eq!(e.event_type(), "message");
//!         assert_eq!(e.data(), "line one\nline two");
//!         assert_eq!(e.last_event_id(), "42");
//!     }
//!     other => panic!("{other:?}"),
//! }
//! # Ok::<(), rtw_sse::Error>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod decoder;
mod error;
mod event;
mod eventsource;
mod limits;
mod lines;
mod serialize;

pub use decoder::Decoder;
pub use error::{ConnectionAnswer, Error};
pub use event::{Event, Item};
pub use eventsource::{
    Action, ConnectRequest, ErrorReason, EventSource, EventSourceConfig, ReadyState, SourceEvent,
};
pub use limits::{Config, Limits};
pub use serialize::{EventId, EventName, Message, write_comment};

/// The README's example, compiled and run as a doc test so that it stays
/// true (it is the same as the one above).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExample;
