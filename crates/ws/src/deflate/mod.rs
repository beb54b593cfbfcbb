//! permessage-deflate (RFC 7692): negotiation in the opening handshake and
//! compression of messages on a [`Connection`](crate::Connection).
//!
//! Enabled by the `deflate` feature. The flow:
//!
//! - A client offers [`DeflateConfig::offer`] (RFC 7692 §5, §7.1) with its
//!   handshake, then checks the server's answer with
//!   [`DeflateConfig::accept_response`], which yields the negotiated
//!   [`DeflateParams`] (or `None` when the server declined).
//! - A server answers the client's offers with
//!   [`DeflateConfig::negotiate`] (the first acceptable offer wins, in the
//!   client's order of preference), or lets [`WithDeflate`] do it inside
//!   any [`AcceptPolicy`](crate::handshake::AcceptPolicy); after the
//!   handshake, [`DeflateParams::from_extensions`] reads what was agreed
//!   back from the accepted extensions.
//! - Either side then builds its connection with
//!   [`Connection::with_deflate`](crate::Connection::with_deflate).
//!
//! ```
//! use rtw_ws::deflate::{DeflateConfig, DeflateParams};
//! use rtw_ws::{Connection, Config, Event, Message, Role, SeededRandom};
//!
//! let config = DeflateConfig::default();
//! let offers = vec![config.offer()];
//! // The server picks a response to the offers...
//! let (response, server_params) = config.negotiate(&offers).expect("acceptable offer");
//! // ...and the client checks it.
//! let client_params = config.accept_response(&[response])?.expect("negotiated");
//! assert_eq!(client_params, server_params);
//!
//! let mut client = Connection::new(Role::Client, SeededRandom::new(1))
//!     .with_deflate(&client_params, &config);
//! let mut server = Connection::new(Role::Server, SeededRandom::new(2))
//!     .with_deflate(&server_params, &config);
//! let text = "{\"hello\": \"world\"} ".repeat(100);
//! client.send(Message::text(text.clone()))?;
//! let mut wire = bytes::BytesMut::new();
//! while let Some(b) = client.poll_transmit() {
//!     wire.extend_from_slice(&b);
//! }
//! assert!(wire.len() < text.len() / 4);
//! server.handle_input(std::time::Instant::now(), &mut wire);
//! assert_eq!(server.poll_event(), Some(Event::Message(Message::text(text))));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Memory
//!
//! Per connection, with `w_out` the window of our compressor and `w_in`
//! that of the peer's (both at most 15 bits): the compressor holds about
//! `4 * 2^w_out + 128 KiB` (zlib's window, hash chains and a hash table of
//! 2^16 entries at memory level 8), the decompressor `2^w_in + 7 KiB`:
//! about 300 KiB at the default 15 bits, about 170 KiB at 9 bits.
//!
//! Neither exists until the first compressed message in its direction: a
//! connection that negotiated permessage-deflate and sent nothing costs
//! what one without it does. Where a direction has no context takeover
//! (`*_no_context_takeover`), its state is freed again after
//! [`DeflateConfig::release_after`] without a compressed message; with
//! context takeover the state is the context and lives as long as the
//! connection. A server that holds many mostly idle connections can ask
//! for `client_no_context_takeover` and use `server_no_context_takeover`.
//!
//! Decompressed output is bounded by
//! [`Limits::max_inflated_message_size`](crate::Limits::max_inflated_message_size)
//! (16 MiB by default, below the 64 MiB of uncompressed messages), counted
//! as it inflates, and by the [`MemoryBudget`](crate::MemoryBudget) that
//! connections may share.
//!
//! # Window bits 8
//!
//! RFC 7692 §7.1.2 allows window sizes of 8 to 15 bits, but zlib (and so
//! zlib-rs) cannot produce raw deflate streams with an 8-bit window. A
//! server therefore declines an offer with `server_max_window_bits=8`
//! (§7.1.2.1: "A server declines an extension negotiation offer with this
//! parameter if the server doesn't support it"), and compresses with 9
//! bits at least when its own configuration says 8. Accepting such an
//! offer and answering uncompressed would let a client turn a 65 KB
//! compressed message into a 64 MiB echo. A client limited by the server
//! to `client_max_window_bits=8` sends every message uncompressed (RSV1
//! clear), which §6 permits. A peer limited to 8 bits is read with a 9-bit
//! window, which decodes any 8-bit stream (and also the 9-bit streams of
//! zlib-based peers that round 8 up).

mod codec;
mod params;
mod policy;

pub(crate) use codec::{Deflater, Inflater};
pub use params::{DeflateConfig, DeflateError, DeflateParams, EXTENSION_NAME};
pub use policy::WithDeflate;
