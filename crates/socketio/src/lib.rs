//! Sans-IO Socket.IO v5 (socket.io-protocol v5) over Engine.IO v4
//! messages: the packet codec, binary attachments included, and a server
//! with namespaces, rooms and acknowledgements both ways ([`Server`]),
//! and a client ([`Client`]).
//!
//! Socket.IO packets ride in Engine.IO "message" packets: one text
//! message per packet, then one binary message per attachment. This crate
//! takes and gives those messages as [`EngineMessage`]s, one Engine.IO
//! session at a time; the Engine.IO layer (handshake, polling, WebSocket,
//! heartbeat) is the driver's.
//!
//! ```
//! use rtw_socketio::{encode, Args, Decoder, EngineMessage, Limits, Packet};
//! use serde_json::json;
//!
//! let (text, attachments) = encode(&Packet::event("/", "chat", Args::from(vec![json!("hi")]), Some(12)));
//! assert_eq!(text, r#"212["chat","hi"]"#);
//! assert!(attachments.is_empty());
//!
//! let mut decoder = Decoder::new(Limits::default());
//! let packet = decoder.decode(EngineMessage::Text(text)).unwrap().unwrap();
//! assert_eq!(packet.event_name(), Some("chat"));
//! assert_eq!(packet.ack_id, Some(12));
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod ack_ids;
mod client;
mod config;
mod error;
mod limits;
mod packet;
mod server;

pub use client::{Client, ClientEvent};
pub use config::{Config, ConnectPolicy};
pub use error::Error;
pub use limits::Limits;
pub use packet::{
    Args, Decoder, EngineMessage, Packet, PacketKind, RESERVED_EVENTS, encode, placeholder,
};
pub use rtw_core::{Random, SeededRandom};
pub use server::{DisconnectReason, EngineId, Server, ServerEvent, ServerTransmit, SocketId};
