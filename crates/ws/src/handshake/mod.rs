//! The opening handshake (RFC 6455 §4), sans-IO.
//!
//! Both ends work on bytes or on [`http`] types, never on sockets:
//!
//! - A client builds its request with [`ClientHandshake::builder`] (or
//!   [`ClientHandshake::builder_from_uri`] for a `ws://` / `wss://` URI),
//!   writes [`ClientHandshake::request_bytes`], then feeds what the server
//!   sent to [`ClientHandshake::read_response`] until it returns `Some`. The
//!   bytes after the response head (the server's first frames, if any) stay
//!   with the caller.
//! - A server feeds what the client sent to [`ServerHandshake::read_request`]
//!   (or hands an [`http::Request`] it already parsed, e.g. from hyper, to
//!   [`ServerHandshake::accept`]), then writes
//!   [`ServerNegotiated::response_bytes`]. On error it writes
//!   [`HandshakeError::rejection_bytes`]: the status of
//!   [`HandshakeError::status`] with the headers that status requires.
//!
//! What a server accepts beyond the fixed rules (origins, subprotocols,
//! extensions) is decided by an [`AcceptPolicy`]; [`ServerPolicy`] builds one
//! from closures, [`DefaultPolicy`] accepts every origin and no subprotocol or
//! extension.
//!
//! Both sides bound what they buffer with [`Limits`](crate::Limits)
//! (`max_head_bytes`, `max_headers`).
//!
//! ```
//! use rtw_ws::SeededRandom;
//! use rtw_ws::handshake::{ClientHandshake, ServerHandshake, ServerPolicy};
//!
//! # fn main() -> Result<(), rtw_ws::handshake::HandshakeError> {
//! let mut rng = SeededRandom::new(7);
//! let client = ClientHandshake::builder("server.example.com", "/chat")
//!     .protocols(["superchat", "chat"])
//!     .build(&mut rng)?;
//!
//! let server = ServerHandshake::with_policy(ServerPolicy::new().supported_protocols(["chat"]));
//! let (accepted, _) = server.read_request(&client.request_bytes())?.expect("complete head");
//! assert_eq!(accepted.protocol.as_deref(), Some("chat"));
//!
//! let mut wire = accepted.response_bytes();
//! wire.extend_from_slice(b"\x81\x02hi"); // a first frame right behind the head
//! let (negotiated, used) = client.read_response(&wire)?.expect("complete head");
//! assert_eq!(negotiated.protocol.as_deref(), Some("chat"));
//! assert_eq!(&wire[used..], b"\x81\x02hi");
//! # Ok(())
//! # }
//! ```

mod accept;
mod client;
mod error;
mod extension_parse;
mod extensions;
mod headers;
mod parse;
mod policy;
mod reject;
mod server;
#[cfg(test)]
mod test_heads;
mod uri;
mod write;

pub use accept::{ACCEPT_GUID, WEBSOCKET_VERSION, accept_key};
pub use client::{ClientBuilder, ClientHandshake, ClientNegotiated};
pub use error::{ExtensionError, HandshakeError};
pub use extension_parse::{format_extensions, parse_extensions};
pub use extensions::{ExtensionOffer, ExtensionParam};
pub use parse::{
    parse_request, parse_request_with_limits, parse_response, parse_response_with_limits,
};
pub use policy::{AcceptPolicy, DefaultPolicy, ServerPolicy};
pub use server::{ServerHandshake, ServerNegotiated};
pub use uri::WsUri;
