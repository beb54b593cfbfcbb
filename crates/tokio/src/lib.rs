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
//! | [`ice`] | `ice` | ICE (RFC 8445) over UDP: an agent on host sockets, data over the selected pair, over [`rtw_ice`] |
//! | [`listener`] | `listener` | A TCP listener for servers: connection caps in total and per client address, keepalive, descriptor limits |
//!
//! ```
//! # #[cfg(feature = "chunked")]
//! # async fn demo() -> Result<(), rtw_tokio::chunked::CodecError> {
//! use futures_util::StreamExt;
//! use rtw_chunked::Frame;
//! use rtw_tokio::chunked::ChunkedCodec;
//! use tokio_util::codec::FramedRead;
//!
//! let wire: &[u8] = b"5\r\nhello\r\n0\r\n\r\n";
//! let mut frames = FramedRead::new(wire, ChunkedCodec::new());
//! assert_eq!(frames.next().await.transpose()?, Some(Frame::Data("hello".into())));
//! assert_eq!(frames.next().await.transpose()?, Some(Frame::End));
//! # Ok(())
//! # }
//! # #[cfg(feature = "chunked")]
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(demo()).unwrap();
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

#[cfg(feature = "chunked")]
pub mod chunked;
#[cfg(feature = "ice")]
pub mod ice;
#[cfg(feature = "listener")]
pub mod listener;
#[cfg(any(feature = "stun", feature = "ice"))]
mod random;
#[cfg(any(feature = "stun", feature = "ice"))]
pub use random::OsRandom;
#[cfg(feature = "sse")]
pub mod sse;
#[cfg(feature = "stun")]
pub mod stun;
#[cfg(feature = "ws")]
pub mod ws;
