//! Thin tokio adapters for the rtw sans-IO protocol crates, one module per
//! protocol, each behind a feature of the same name.
//!
//! The protocol logic lives in the codec crates; this crate only moves their
//! bytes over tokio's [`AsyncRead`](tokio::io::AsyncRead) and
//! [`AsyncWrite`](tokio::io::AsyncWrite), mostly by implementing
//! [`tokio_util::codec`] traits through delegation.
//!
//! | module | feature | protocol |
//! |---|---|---|
//! | [`chunked`] | `chunked` | HTTP/1.1 chunked transfer coding (RFC 9112 §7.1), over [`rtw_chunked`] |
//! | [`ws`] | `ws` | WebSocket (RFC 6455) streams, sinks and handshakes, over [`rtw_ws`] |
//! | [`sse`] | `sse` | Server-Sent Events: response bodies with keep-alive, an EventSource client, over [`rtw_sse`] |
//! | [`stun`] | `stun` | STUN (RFC 8489) over UDP: Binding client and server, request transactions, over [`rtw_stun`] |
//! | [`tls`] | `tls` | TLS (rustls, ring): server and client configurations from PEM, platform roots or given CAs, a stream with or without TLS |
//! | [`turn`] | `turn` | TURN (RFC 8656) on UDP, TCP and TLS: a relay server and a client, over [`rtw_turn`] |
//! | [`ice`] | `ice` | ICE (RFC 8445) over UDP: an agent on host sockets, relayed candidates, data over the selected pair, over [`rtw_ice`] |
//! | [`stomp`] | `stomp` | STOMP 1.2 over TCP and WebSocket: a client session and a broker server, over [`rtw_stomp`] |
//! | [`serve`] | `serve` | `rtw serve`'s transports (polling, streaming, iframe, SSE, WebSocket, STOMP, M-JPEG) as one hyper service over an [`rtw_hub`] hub |
//! | [`socketio`] | `socketio` | A Socket.IO v5 client over long polling and WebSocket with the upgrade, over [`rtw_engineio`] and [`rtw_socketio`] |
//! | [`drain`] | `drain` | Graceful shutdown: a drain started on SIGTERM or SIGINT, watched by accept loops and connections, waited for within a grace period |
//! | [`listener`] | `listener` | A TCP listener for servers: connection caps in total and per client address, keepalive, descriptor limits |
//!
//! An echo server and a client over an in-memory pipe, from the [`ws`]
//! module (the same example opens the README; `examples/ws_echo_server.rs`
//! runs one on loopback behind the capped [`listener`]):
//!
//! ```
//! # #[cfg(feature = "ws")]
//! # async fn demo() -> Result<(), rtw_tokio::ws::WsError> {
//! use futures_util::{SinkExt, StreamExt};
//! use rtw_tokio::ws::{Message, OsRandom, Options, WsError, accept, client_from_stream};
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
//! # #[cfg(feature = "ws")]
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(demo()).unwrap();
//! ```
//!
//! Randomness (WebSocket masking keys, STUN transaction IDs, ICE
//! tie-breakers and credentials) comes from [`OsRandom`], the one
//! OS-seeded source, through [`rtw_core::Random`].
#![forbid(unsafe_code)]
#![deny(missing_docs)]

#[cfg(feature = "chunked")]
pub mod chunked;
#[cfg(feature = "drain")]
pub mod drain;
#[cfg(feature = "ice")]
pub mod ice;
#[cfg(feature = "listener")]
pub mod listener;
#[cfg(any(feature = "ws", feature = "stun", feature = "ice"))]
mod random;
#[cfg(any(feature = "ws", feature = "stun", feature = "ice"))]
pub use random::OsRandom;
#[cfg(feature = "serve")]
pub mod serve;
#[cfg(feature = "socketio")]
pub mod socketio;
#[cfg(feature = "sse")]
pub mod sse;
#[cfg(feature = "stomp")]
pub mod stomp;
#[cfg(feature = "stun")]
pub mod stun;
#[cfg(feature = "tls")]
pub mod tls;
#[cfg(feature = "turn")]
pub mod turn;
#[cfg(feature = "ws")]
pub mod ws;
