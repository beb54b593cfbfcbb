//! The few types every rtw codec crate shares (`docs/ARCHITECTURE.md` §2.3
//! and §2.7): the [`Random`] trait through which callers inject
//! randomness, a deterministic [`SeededRandom`] for tests and simulations,
//! the datagram [`Transmit`], the [`TokenBucket`] rate limit, and the
//! [`ConnectionId`] a session serving many connections gives each.
//!
//! ```
//! use rtw_core::{Random, SeededRandom, Transmit};
//!
//! // Any closure that fills a buffer is a source; so is SeededRandom.
//! let mut os_like = |dst: &mut [u8]| dst.fill(4);
//! let mut key = [0u8; 4];
//! os_like.fill_bytes(&mut key);
//! assert_eq!(key, [4; 4]);
//!
//! let mut seeded = SeededRandom::new(7);
//! let id: [u8; 12] = seeded.array();
//! assert_eq!(id, SeededRandom::new(7).array::<12>());
//!
//! let to = "127.0.0.1:3478".parse().unwrap();
//! let t = Transmit::new(to, bytes::Bytes::from_static(b"hello"));
//! assert_eq!((t.source, t.destination), (None, to));
//! ```
//!
//! This crate has no dependency but `bytes`, touches no socket, clock or
//! thread, and picks no random source of its own.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod connection;
mod random;
mod token_bucket;
mod transmit;

pub use connection::ConnectionId;
pub use random::{Random, SeededRandom};
pub use token_bucket::TokenBucket;
pub use transmit::Transmit;
