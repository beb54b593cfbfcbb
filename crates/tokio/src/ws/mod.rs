//! WebSocket (RFC 6455) over tokio: the sans-IO [`rtw_ws::Connection`] and
//! opening handshake, driven over any [`AsyncRead`] + [`AsyncWrite`].
//!
//! - A client calls [`connect`] / [`connect_with`] for a `ws://` URL over
//!   TCP, `connect_any` (feature `tls`) for a `ws://` or `wss://` URL
//!   (TLS with rustls: the platform's roots, or a configuration of
//!   [`crate::tls`] trusting a private CA, in [`ClientOptions::tls`]), or
//!   [`client_from_stream`] over a transport of its own.
//! - A server calls [`accept`] / [`accept_with`] on an accepted transport,
//!   or, when an HTTP server (hyper) did the handshake with
//!   [`ServerHandshake::accept`] (its rejection for a bad request is
//!   [`HandshakeError::rejection`](rtw_ws::handshake::HandshakeError::rejection)),
//!   [`WebSocketStream::from_negotiated`] on the upgraded connection, which
//!   uses what the handshake agreed (permessage-deflate included). The
//!   handshake types and `deflate` (feature `deflate`) are re-exported here, so a hyper
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
//! ## A server on hyper
//!
//! hyper reads the request and answers it with the response the
//! handshake built ([`ServerHandshake::accept`]: 101, or the rejection's
//! status for a request that is not a valid upgrade, RFC 6455 §4.2.1);
//! [`WebSocketStream::from_negotiated`] then speaks WebSocket on the
//! upgraded connection as the handshake agreed. For permessage-deflate
//! (RFC 7692), build the handshake with
//! `ServerHandshake::with_policy(deflate::WithDeflate::new(DefaultPolicy, DeflateConfig::default()))`
//! (feature `deflate`); `from_negotiated` then compresses as agreed.
//!
//! ```
//! use std::convert::Infallible;
//!
//! use bytes::Bytes;
//! use futures_util::{SinkExt, StreamExt};
//! use http_body_util::Full;
//! use hyper::body::Incoming;
//! use hyper::server::conn::http1;
//! use hyper::service::service_fn;
//! use hyper::{Request, Response};
//! use hyper_util::rt::TokioIo;
//! use rtw_tokio::ws::{Message, Options, ServerHandshake, WebSocketStream};
//!
//! /// Upgrade a WebSocket request and echo on the connection; any other
//! /// request gets the handshake's rejection (400, 405, 426, ...).
//! async fn handle(mut request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
//!     let negotiated = match ServerHandshake::new().accept(&request) {
//!         Ok(negotiated) => negotiated,
//!         Err(e) => {
//!             let mut response = Response::new(Full::from(e.to_string()));
//!             *response.status_mut() = e.status();
//!             return Ok(response);
//!         }
//!     };
//!     let upgrade = hyper::upgrade::on(&mut request);
//!     let (parts, ()) = negotiated.response.clone().into_parts();
//!     tokio::spawn(async move {
//!         // hyper hands the connection over once it has sent the 101.
//!         let Ok(upgraded) = upgrade.await else { return };
//!         let io = TokioIo::new(upgraded);
//!         let Ok(mut ws) = WebSocketStream::from_negotiated(io, &negotiated, Options::default())
//!         else {
//!             return;
//!         };
//!         while let Some(Ok(message)) = ws.next().await {
//!             if let Message::Text(_) | Message::Binary(_) = message {
//!                 if ws.send(message).await.is_err() {
//!                     break;
//!                 }
//!             }
//!         }
//!     });
//!     Ok(Response::from_parts(parts, Full::default()))
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let addr = listener.local_addr()?;
//! tokio::spawn(async move {
//!     while let Ok((tcp, _)) = listener.accept().await {
//!         let connection = http1::Builder::new()
//!             .serve_connection(TokioIo::new(tcp), service_fn(handle))
//!             .with_upgrades();
//!         tokio::spawn(connection);
//!     }
//! });
//!
//! // Our client, for a try.
//! let (mut ws, _) = rtw_tokio::ws::connect(&format!("ws://{addr}/")).await?;
//! ws.send(Message::text("hello")).await?;
//! assert_eq!(ws.next().await.transpose()?, Some(Message::text("hello")));
//! ws.close().await?;
//! # Ok(())
//! # }
//! ```
//!
//! [`AsyncRead`]: tokio::io::AsyncRead
//! [`AsyncWrite`]: tokio::io::AsyncWrite

mod client;
mod core;
mod error;
mod head;
mod options;
mod server;
mod split;
mod stream;
mod wakers;

pub use crate::OsRandom;
#[cfg(feature = "tls")]
pub use client::connect_any;
pub use client::{client_from_stream, connect, connect_with};
pub use error::WsError;
pub use options::{ClientOptions, DEFAULT_MAX_INFLATE_RATE, Options};
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
