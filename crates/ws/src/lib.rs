//! Sans-IO WebSocket (RFC 6455) with permessage-deflate (RFC 7692, feature
//! `deflate`): the opening handshake ([`handshake`]), frames ([`frame`])
//! and a [`Connection`] state machine. It never touches a socket, clock or
//! thread: hand [`Connection::handle_input`] the bytes you read and the
//! time, then take events from [`Connection::poll_event`], bytes to write
//! from [`Connection::poll_transmit`], what to do with the transport from
//! [`Connection::transport`], and the next deadline from
//! [`Connection::poll_timeout`]. `rtw-tokio` (feature `ws`) drives it on
//! tokio sockets and hyper upgrades.
//!
//! A client and a server, handshake to close, in memory (the same example
//! opens the README; `examples/echo_in_memory.rs` runs a longer one):
//!
//! ```
//! use std::time::Instant;
//!
//! use bytes::BytesMut;
//! use rtw_ws::handshake::{ClientHandshake, ServerHandshake};
//! use rtw_ws::{Connection, Event, Message, Role, SeededRandom, State, Transport};
//!
//! /// Everything `from` has to send. A real driver writes the chunks with
//! /// one vectored write instead of copying them.
//! fn wire(from: &mut Connection) -> BytesMut {
//!     let mut out = BytesMut::new();
//!     while let Some(chunk) = from.poll_transmit() {
//!         out.extend_from_slice(&chunk);
//!     }
//!     out
//! }
//!
//! let now = Instant::now();
//! // rtw-tokio passes an OS-seeded source; tests pass a seeded one.
//! let mut rng = SeededRandom::new(1);
//!
//! // The opening handshake (RFC 6455 §4): bytes in, bytes out.
//! let handshake = ClientHandshake::new("example.com", "/chat", &mut rng)?;
//! let (accepted, _head_len) = ServerHandshake::new()
//!     .read_request(&handshake.request_bytes())?
//!     .expect("a complete request head");
//! let (_negotiated, _head_len) = handshake
//!     .read_response(&accepted.response_bytes())?
//!     .expect("a complete response head");
//!
//! // Messages (§5, §6): the server echoes what it gets.
//! let mut client = Connection::new(Role::Client, rng);
//! let mut server = Connection::new(Role::Server, SeededRandom::new(2));
//! client.send_text("Hello")?;
//! server.handle_input(now, &mut wire(&mut client));
//! while let Some(event) = server.poll_event() {
//!     if let Event::Message(Message::Text(text)) = event {
//!         server.send_text(text)?; // sent on without a copy
//!     }
//! }
//! client.handle_input(now, &mut wire(&mut server));
//! assert_eq!(client.poll_event(), Some(Event::Message(Message::text("Hello"))));
//!
//! // The closing handshake (§7): the server closes TCP first (§7.1.1).
//! client.close(None)?;
//! server.handle_input(now, &mut wire(&mut client));
//! client.handle_input(now, &mut wire(&mut server));
//! assert_eq!((server.state(), client.state()), (State::Closed, State::Closed));
//! assert_eq!(server.transport(), Transport::Shutdown);
//! assert_eq!(client.transport(), Transport::AwaitPeerClose);
//! client.handle_eof(now); // the server's FIN arrived
//! assert_eq!(client.transport(), Transport::Close);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A driver loop, per connection: read -> [`Connection::handle_input`]
//! (or [`Connection::handle_eof`] at end of file); drain
//! [`Connection::poll_event`]; write what [`Connection::poll_transmit`]
//! gives (successive chunks in one vectored write); act on
//! [`Connection::transport`]; sleep until [`Connection::poll_timeout`],
//! then [`Connection::handle_timeout`]. Every protocol timer (keep-alive
//! ping, message deadline, close timeout, linger) lives in the connection,
//! so the driver needs one timer. Limits are in [`Limits`] (defaults table
//! there), options in [`Config`]; randomness comes in through [`Random`].
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
mod rate;
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
pub use rate::InflateRate;
pub use role::Role;
/// The randomness trait of every rtw codec (masking keys, RFC 6455 §5.3;
/// `Sec-WebSocket-Key`, §4.1), and a seeded generator for tests.
pub use rtw_core::{Random, SeededRandom};
pub use utf8::Utf8Bytes;

/// The README's example, run as a doc test so that it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
