//! Sans-IO STUN (RFC 8489) and the TURN message layer (RFC 8656).
//!
//! - Messages: [`Message::parse`] reads a message without copying,
//!   [`MessageBuilder`] writes one; typed attributes live in
//!   [`attributes`], keys for MESSAGE-INTEGRITY in [`key`].
//! - Transactions: [`ClientTransaction`] (and [`Transactions`] for many)
//!   retransmits a request over UDP as RFC 8489 §6.2.1 says and matches the
//!   response; time is always an argument, never read from a clock.
//! - [`BindingServer`] answers Binding requests (RFC 8489 §6.3.1).
//! - [`ChannelData`] (RFC 8656 §12.4); [`Decoder`] (and [`frame_len`])
//!   for framing STUN and ChannelData on TCP (RFC 8489 §6.2.2, RFC 8656
//!   §12.5); [`demux`] for the first-byte demultiplexing of RFC 7983 §7.
//!
//! A client learns its reflexive address from a server, with both sides
//! driven by hand in virtual time:
//!
//! ```
//! use std::time::{Duration, Instant};
//! use rtw_stun::attributes::XorMappedAddress;
//! use rtw_stun::{
//!     BindingServer, BindingServerConfig, Class, ClientTransaction, Message, MessageBuilder,
//!     MessageType, Method, SeededRandom, TransactionConfig, TransactionEvent, TransactionId,
//!     Transport,
//! };
//!
//! // The transaction ID comes from the caller's random source
//! // (rtw_tokio::OsRandom in production).
//! let tid = TransactionId::random(&mut SeededRandom::new(7));
//! let request = MessageBuilder::new(MessageType::new(Method::BINDING, Class::Request), tid)
//!     .with_fingerprint()?
//!     .finish();
//!
//! let t0 = Instant::now();
//! let server_addr = "192.0.2.1:3478".parse().unwrap();
//! let mut client =
//!     ClientTransaction::new(t0, request, server_addr, Transport::Udp, TransactionConfig::default())?;
//! let server = BindingServer::with_config(BindingServerConfig::default())?;
//! let client_addr = "203.0.113.9:50000".parse().unwrap();
//!
//! // The first request is lost; the retransmission at 500 ms gets through.
//! let _lost = client.poll_transmit().unwrap();
//! client.handle_timeout(client.poll_timeout().unwrap());
//! let datagram = client.poll_transmit().unwrap();
//! assert_eq!(datagram.destination, server_addr);
//! let reply = server.handle(&datagram.contents, client_addr).unwrap();
//!
//! let reply = Message::parse(&reply)?;
//! assert!(client.handle_response(t0 + Duration::from_millis(520), &reply));
//! let Some(TransactionEvent::Success { response }) = client.poll_event() else {
//!     unreachable!()
//! };
//! let response = Message::parse(&response)?;
//! assert_eq!(response.get::<XorMappedAddress>().unwrap()?.0, client_addr);
//! # Ok::<(), rtw_stun::Error>(())
//! ```
//!
//! The shapes are the workspace's (`docs/ARCHITECTURE.md`): `now` first,
//! datagrams out as [`Transmit`], randomness through [`Random`], one
//! [`Error`] with [`Error::is_peer_fault`] and [`Error::error_code`],
//! [`Limits`] through [`Message::parse_with_limits`] and [`Decoder`].
//! `examples/binding.rs` runs a Binding exchange over loopback UDP.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod attributes;
mod builder;
mod channel_data;
mod decoder;
mod demux;
mod error;
mod header;
mod integrity;
mod integrity_key;
pub mod key;
mod limits;
mod message;
mod server;
mod transaction;

pub use attributes::{Attribute, AttributeType, RawAttribute};
pub use builder::MessageBuilder;
pub use channel_data::{
    CHANNEL_DATA_HEADER_LEN, CHANNEL_NUMBERS, ChannelData, RFC5766_CHANNEL_NUMBERS, frame_len,
    frame_len_rfc5766,
};
pub use decoder::{Decoder, Frame};
pub use demux::{PacketKind, demux};
pub use error::Error;
pub use header::{Class, HEADER_LEN, MAGIC_COOKIE, MessageType, Method, TransactionId};
pub use integrity::{FINGERPRINT_XOR, IntegrityAlgorithm};
pub use integrity_key::{AsIntegrityKey, IntegrityKey};
pub use limits::{Limits, MAX_MESSAGE_SIZE};
pub use message::{Message, message_len};
pub use server::{BindingServer, BindingServerConfig};
pub use transaction::{
    ClientTransaction, TransactionConfig, TransactionEvent, TransactionOutcome, Transactions,
    Transport,
};

pub use rtw_core::{Random, SeededRandom, Transmit};
