//! WebSocket (RFC 6455) over tokio: the sans-IO [`rtw_ws::Connection`] and
//! opening handshake, driven over any [`AsyncRead`] + [`AsyncWrite`].
//!
//! - A client calls [`connect`] / [`connect_with`] for a `ws://` URL over
//!   TCP, or [`client_from_stream`] over a transport of its own (TLS, say).
//! - A server calls [`accept`] / [`accept_with`] on an accepted transport,
//!   or, when an HTTP server (hyper) did the handshake with
//!   [`ServerHandshake::accept`] (its rejection for a bad request is
//!   [`HandshakeError::rejection`](rtw_ws::handshake::HandshakeError::rejection)),
//!   [`WebSocketStream::from_negotiated`] on the upgraded connection, which
//!   uses what the handshake agreed (permessage-deflate included). The
//!   handshake types and [`deflate`] are re-exported here, so a hyper
//!   server needs no direct dependency on rtw-ws.
//!
//! Each gives a [`WebSocketStream`]: a `Stream` of received [`Message`]s
//! and a `Sink` of messages to send with a bounded write buffer. It answers
//! pings and close frames itself, fails the connection on protocol
//! violations (RFC 6455 §7.1.7), and closes TCP in the order §7.1.1 asks
//! (the server first). [`WebSocketStream::split`] gives a [`WsReader`] and a
//! [`WsWriter`] for two tasks. Masking keys come from [`OsRandom`], a CSPRNG
//! seeded by the operating system (RFC 6455 §5.3).
//!
//! ```
//! # async fn demo() -> Result<(), rtw_tokio::ws::WsError> {
//! use futures_util::{SinkExt, StreamExt};
//! use rtw_tokio::ws::{OsRandom, Options, WsError, accept, client_from_stream};
//! use rtw_ws::Message;
//! use rtw_ws::handshake::ClientHandshake;
//!
//! let (client_io, server_io) = tokio::io::duplex(64 * 1024);
//! let server = tokio::spawn(async move {
//!     let (mut ws, _) = accept(server_io).await?;
//!     while let Some(message) = ws.next().await.transpose()? {
//!         if let Message::Text(_) | Message::Binary(_) = message {
//!             ws.send(message).await?;
//!         }
//!     }
//!     Ok::<_, WsError>(())
//! });
//!
//! let handshake = ClientHandshake::new("example.com", "/chat", &mut OsRandom::new()?)?;
//! let (mut ws, _) = client_from_stream(client_io, &handshake, Options::default()).await?;
//! ws.send(Message::text("hello")).await?;
//! assert_eq!(ws.next().await.transpose()?, Some(Message::text("hello")));
//! ws.close().await?; // close frame 1000, the server's reply, then TCP
//! server.await.unwrap()?;
//! # Ok(())
//! # }
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(demo()).unwrap();
//! ```
//!
//! [`AsyncRead`]: tokio::io::AsyncRead
//! [`AsyncWrite`]: tokio::io::AsyncWrite

mod client;
mod core;
mod error;
mod head;
mod options;
mod random;
mod server;
mod split;
mod stream;
mod wakers;

pub use client::{client_from_stream, connect, connect_with};
pub use error::WsError;
pub use options::{ClientOptions, Options};
pub use random::OsRandom;
#[cfg(feature = "deflate")]
pub use rtw_ws::deflate;
pub use rtw_ws::handshake::{
    ClientHandshake, HandshakeError, ServerHandshake, ServerNegotiated, ServerPolicy,
};
pub use rtw_ws::{
    CloseCode, CloseFrame, Config, Limits, MemoryBudget, Message, Random, Role, State, Transport,
};
pub use server::{accept, accept_with};
pub use split::{WsReader, WsWriter};
pub use stream::WebSocketStream;
