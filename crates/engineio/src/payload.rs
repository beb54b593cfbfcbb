//! Polling payloads: the packets of one HTTP long-polling body joined by
//! the record separator `\x1e` ("Packet encoding", HTTP long-polling).

use bytes::Bytes;

use crate::error::{Error, Result};
use crate::packet::Packet;

/// The record separator between the packets of a payload.
pub const SEPARATOR: u8 = 0x1e;

/// Bounds on a payload read from a peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// The longest payload in bytes, the `maxPayload` of the open packet
    /// (1,000,000 by default, as the reference server).
    pub max_payload: usize,
    /// The most packets in one payload (1,000 by default).
    pub max_packets: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_payload: 1_000_000,
            max_packets: 1_000,
        }
    }
}

impl Limits {
    /// Sets `max_payload`: the longest payload in bytes.
    #[must_use]
    pub fn max_payload(mut self, max_payload: usize) -> Self {
        self.max_payload = max_payload;
        self
    }

    /// Sets `max_packets`: the most packets in one payload.
    #[must_use]
    pub fn max_packets(mut self, max_packets: usize) -> Self {
        self.max_packets = max_packets;
        self
    }
}

/// Reads the packets of a polling payload. Refuses a payload longer than
/// `limits.max_payload` before reading it ([`Error::PayloadTooLarge`]),
/// more than `limits.max_packets` packets ([`Error::TooManyPackets`]) and
/// any packet that does not parse ([`Error::BadPacket`]; an empty payload
/// is one empty packet).
pub fn decode_payload(payload: &[u8], limits: &Limits) -> Result<Vec<Packet>> {
    if payload.len() > limits.max_payload {
        return Err(Error::PayloadTooLarge);
    }
    let mut packets = Vec::new();
    for part in payload.split(|&b| b == SEPARATOR) {
        if packets.len() == limits.max_packets {
            return Err(Error::TooManyPackets);
        }
        packets.push(Packet::decode_polling(part)?);
    }
    Ok(packets)
}

/// Writes packets as one polling payload, `\x1e` between them. A text
/// packet containing `\x1e` cannot be read back as written
/// ([`Packet::has_separator`]); the server and client refuse to send one.
pub fn encode_payload(packets: &[Packet]) -> Bytes {
    let mut out = Vec::new();
    for (i, p) in packets.iter().enumerate() {
        if i > 0 {
            out.push(SEPARATOR);
        }
        p.encode_polling(&mut out);
    }
    Bytes::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::PacketType;

    #[test]
    fn the_protocol_examples() {
        let packets = vec![Packet::message("hello"), Packet::binary(vec![1, 2, 3, 4])];
        assert_eq!(&encode_payload(&packets)[..], b"4hello\x1ebAQIDBA==");
        assert_eq!(
            decode_payload(b"4hello\x1e4world", &Limits::default()).unwrap(),
            vec![Packet::message("hello"), Packet::message("world")]
        );
        assert_eq!(
            decode_payload(b"2\x1e6", &Limits::default()).unwrap(),
            vec![
                Packet::control(PacketType::Ping),
                Packet::control(PacketType::Noop)
            ]
        );
    }

    #[test]
    fn limits() {
        let small = Limits {
            max_payload: 5,
            max_packets: 2,
        };
        assert_eq!(
            decode_payload(b"4hello", &small),
            Err(Error::PayloadTooLarge)
        );
        assert_eq!(
            decode_payload(b"4\x1e4\x1e4", &small),
            Err(Error::TooManyPackets)
        );
        assert_eq!(decode_payload(b"4a\x1e4b", &small).unwrap().len(), 2);
        assert!(decode_payload(b"", &small).is_err());
        assert!(decode_payload(b"4a\x1e", &small).is_err());
    }
}
