//! Sans-IO Engine.IO v4 (the transport under Socket.IO): packets and
//! polling payloads.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
mod packet;
mod payload;

pub use error::{Error, Result};
pub use packet::{Data, Message, Packet, PacketType};
pub use payload::{Limits, SEPARATOR, decode_payload, encode_payload};
