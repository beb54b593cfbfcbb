//! Sans-IO Server-Sent Events (HTML Living Standard, "Server-sent events").
//!
//! - [`Parser`]: the event-stream parser and interpreter, exactly to the
//!   standard's algorithm, incremental and linear-time.
//! - [`Message`] and [`write_comment`]: the serializer, which never lets
//!   data inject fields. An [`EventName`] or [`EventId`] is checked once,
//!   and [`Message::with_event`] / [`Message::with_id`] then cannot fail.
//! - [`EventSource`]: the client's processing model (ready states,
//!   reconnection time, `Last-Event-ID`) as a sans-IO state machine that
//!   says when to connect and when to wait, with time passed in.
//!
//! ```
//! use bytes::BytesMut;
//! use rtw_sse::{EventId, Item, Message, Parser};
//!
//! let mut wire = Message::new("line one\nline two")
//!     .with_id(EventId::from_static("42"))
//!     .to_bytes();
//! let mut parser = Parser::new();
//! match parser.decode(&mut wire)? {
//!     Some(Item::Event(e)) => {
//!         assert_eq!(e.event_type, "message");
//!         assert_eq!(e.data, "line one\nline two");
//!         assert_eq!(e.last_event_id, "42");
//!     }
//!     other => panic!("{other:?}"),
//! }
//! # Ok::<(), rtw_sse::Error>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
mod event;
mod eventsource;
mod limits;
mod lines;
mod parser;
mod serialize;

pub use error::Error;
pub use event::{Event, Item};
pub use eventsource::{
    Action, ConnectRequest, ErrorReason, EventSource, EventSourceConfig, ReadyState, SourceEvent,
};
pub use limits::{Config, Limits};
pub use parser::Parser;
pub use serialize::{EventId, EventName, Message, write_comment};
