//! One Engine.IO v4 packet and its two encodings ("Packet encoding" of
//! the protocol document): over HTTP long polling a packet is text, the
//! type digit then the data, or `b` then the base64 of a binary message;
//! over WebSocket a text frame carries the type digit then the data and a
//! binary frame carries a binary message's bytes with no type byte.

use base64::Engine as _;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use bytes::Bytes;

use crate::error::{Error, Result};

/// Standard base64 with padding written and accepted either way when read.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_encode_padding(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The packet types of Engine.IO v4, with their digit on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PacketType {
    /// `0`: the server's handshake data (JSON), the first packet.
    Open,
    /// `1`: close the session.
    Close,
    /// `2`: a heartbeat ping (sent by the server), or `2probe` (the
    /// client's probe on a new WebSocket).
    Ping,
    /// `3`: the answer to a ping, or `3probe`.
    Pong,
    /// `4`: an application message.
    Message,
    /// `5`: the client switches to the probed WebSocket.
    Upgrade,
    /// `6`: nothing; the server answers a held GET with it to release it
    /// during an upgrade.
    Noop,
}

impl PacketType {
    /// The digit of this type on the wire, `b'0'` to `b'6'`.
    pub fn digit(self) -> u8 {
        b'0' + self as u8
    }

    /// The type of a digit `b'0'` to `b'6'`.
    pub fn from_digit(digit: u8) -> Option<PacketType> {
        Some(match digit {
            b'0' => PacketType::Open,
            b'1' => PacketType::Close,
            b'2' => PacketType::Ping,
            b'3' => PacketType::Pong,
            b'4' => PacketType::Message,
            b'5' => PacketType::Upgrade,
            b'6' => PacketType::Noop,
            _ => return None,
        })
    }
}

/// The data of a packet: text, or binary (for messages only).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Data {
    /// UTF-8 text.
    Text(String),
    /// Bytes of a binary message.
    Binary(Bytes),
}

impl Data {
    /// The length of the data in bytes.
    pub fn len(&self) -> usize {
        match self {
            Data::Text(t) => t.len(),
            Data::Binary(b) => b.len(),
        }
    }

    /// `true` when there is no data.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One WebSocket message of the transport (RFC 6455 §5.6): text or
/// binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A text message.
    Text(String),
    /// A binary message.
    Binary(Bytes),
}

/// One Engine.IO packet: its type and data. Only
/// [`PacketType::Message`] packets carry [`Data::Binary`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Packet {
    /// The packet type.
    pub kind: PacketType,
    /// The data after the type digit (empty for most control packets).
    pub data: Data,
}

impl Packet {
    /// A packet of `kind` with text `data`.
    pub fn new(kind: PacketType, data: impl Into<String>) -> Packet {
        Packet {
            kind,
            data: Data::Text(data.into()),
        }
    }

    /// A text message, `4` + `text`.
    pub fn message(text: impl Into<String>) -> Packet {
        Packet::new(PacketType::Message, text)
    }

    /// A binary message.
    pub fn binary(bytes: impl Into<Bytes>) -> Packet {
        Packet {
            kind: PacketType::Message,
            data: Data::Binary(bytes.into()),
        }
    }

    /// A control packet with no data (`1`, `2`, `3`, `5`, `6`).
    pub fn control(kind: PacketType) -> Packet {
        Packet::new(kind, String::new())
    }

    /// `true` for a packet whose data is [`Data::Text`] and contains the
    /// record separator `\x1e`, which a polling payload cannot carry.
    pub fn has_separator(&self) -> bool {
        matches!(&self.data, Data::Text(t) if t.contains('\x1e'))
    }

    /// The text form of this packet for HTTP long polling: the type digit
    /// then the text, or `b` then the base64 of binary data.
    pub fn encode_polling(&self, out: &mut Vec<u8>) {
        match &self.data {
            Data::Text(t) => {
                out.push(self.kind.digit());
                out.extend_from_slice(t.as_bytes());
            }
            Data::Binary(b) => {
                out.push(b'b');
                let start = out.len();
                out.resize(start + base64::encoded_len(b.len(), true).unwrap_or(0), 0);
                let n = BASE64
                    .encode_slice(b, &mut out[start..])
                    .unwrap_or_default();
                out.truncate(start + n);
            }
        }
    }

    /// Reads one packet of a polling payload (no separator inside).
    pub fn decode_polling(bytes: &[u8]) -> Result<Packet> {
        let (&first, rest) = bytes
            .split_first()
            .ok_or(Error::BadPacket("an empty packet"))?;
        if first == b'b' {
            let data = BASE64
                .decode(rest)
                .map_err(|_| Error::BadPacket("binary packet is not base64"))?;
            return Ok(Packet::binary(data));
        }
        let kind = PacketType::from_digit(first).ok_or(Error::BadPacket("unknown packet type"))?;
        let text = std::str::from_utf8(rest).map_err(|_| Error::BadPacket("text is not UTF-8"))?;
        Ok(Packet::new(kind, text))
    }

    /// The WebSocket message of this packet: a text message with the type
    /// digit, or a binary message with the raw bytes.
    pub fn to_ws(&self) -> Message {
        match &self.data {
            Data::Text(t) => {
                let mut s = String::with_capacity(t.len() + 1);
                s.push(self.kind.digit() as char);
                s.push_str(t);
                Message::Text(s)
            }
            Data::Binary(b) => Message::Binary(b.clone()),
        }
    }

    /// Reads the packet of one WebSocket message.
    pub fn from_ws(message: Message) -> Result<Packet> {
        match message {
            Message::Binary(b) => Ok(Packet::binary(b)),
            Message::Text(mut t) => {
                let first = *t
                    .as_bytes()
                    .first()
                    .ok_or(Error::BadPacket("an empty packet"))?;
                let kind =
                    PacketType::from_digit(first).ok_or(Error::BadPacket("unknown packet type"))?;
                t.remove(0);
                Ok(Packet::new(kind, t))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn polling(p: &Packet) -> Vec<u8> {
        let mut out = Vec::new();
        p.encode_polling(&mut out);
        out
    }

    #[test]
    fn text_and_binary_forms() {
        assert_eq!(polling(&Packet::message("hey")), b"4hey");
        assert_eq!(polling(&Packet::new(PacketType::Ping, "probe")), b"2probe");
        assert_eq!(polling(&Packet::binary(vec![1, 2, 3, 4])), b"bAQIDBA==");
        assert_eq!(
            Packet::decode_polling(b"bAQIDBA").unwrap(),
            Packet::binary(vec![1, 2, 3, 4])
        );
        assert_eq!(
            Packet::decode_polling(b"6").unwrap(),
            Packet::control(PacketType::Noop)
        );
        assert!(Packet::decode_polling(b"").is_err());
        assert!(Packet::decode_polling(b"7").is_err());
        assert!(Packet::decode_polling(b"b!!").is_err());
        assert!(Packet::decode_polling(b"4\xff").is_err());
    }

    #[test]
    fn websocket_forms() {
        assert_eq!(
            Packet::message("héllo").to_ws(),
            Message::Text("4héllo".into())
        );
        assert_eq!(
            Packet::binary(vec![1, 2]).to_ws(),
            Message::Binary(Bytes::from_static(&[1, 2]))
        );
        assert_eq!(
            Packet::from_ws(Message::Text("3probe".into())).unwrap(),
            Packet::new(PacketType::Pong, "probe")
        );
        assert_eq!(
            Packet::from_ws(Message::Binary(Bytes::from_static(&[0]))).unwrap(),
            Packet::binary(vec![0])
        );
        assert!(Packet::from_ws(Message::Text(String::new())).is_err());
        assert!(Packet::from_ws(Message::Text("é".into())).is_err());
    }
}
