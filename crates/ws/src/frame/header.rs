//! The frame header (RFC 6455 §5.2).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-------+-+-------------+-------------------------------+
//! |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
//! |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
//! |N|V|V|V|       |S|             |   (if payload len==126/127)   |
//! | |1|2|3|       |K|             |                               |
//! +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
//! ```

use bytes::BytesMut;

use super::OpCode;
use crate::Error;

/// A parsed frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// FIN: this is the final fragment of a message.
    pub fin: bool,
    /// RSV1, RSV2, RSV3 as the three low bits (RSV1 is 0b100).
    pub rsv: u8,
    /// The opcode.
    pub opcode: OpCode,
    /// The masking key, if the MASK bit is set.
    pub mask: Option<[u8; 4]>,
    /// The payload length.
    pub payload_len: u64,
}

impl FrameHeader {
    /// The header of a frame carrying `payload_len` bytes (RFC 6455 §5.2).
    #[inline(always)]
    pub const fn new(
        opcode: OpCode,
        fin: bool,
        rsv: u8,
        mask: Option<[u8; 4]>,
        payload_len: u64,
    ) -> Self {
        FrameHeader {
            fin,
            rsv,
            opcode,
            mask,
            payload_len,
        }
    }

    /// Longest possible header: 2 + 8 + 4 bytes.
    pub const MAX_LEN: usize = 14;

    /// Parse a header from the start of `src`, httparse style: `Ok(None)`
    /// when more bytes are needed, else the header and its length.
    ///
    /// Checks everything that needs no connection state: reserved opcodes,
    /// control frames fragmented or over 125 bytes (§5.5), the 64-bit
    /// length's most significant bit, and minimal length encoding (§5.2).
    #[inline]
    pub fn parse(src: &[u8]) -> Result<Option<(FrameHeader, usize)>, Error> {
        let [b0, b1, ..] = *src else {
            return Ok(None);
        };
        let fin = b0 & 0x80 != 0;
        let rsv = (b0 >> 4) & 0x7;
        let opcode = OpCode::try_from(b0 & 0x0F)?;
        let masked = b1 & 0x80 != 0;
        let len7 = b1 & 0x7F;
        if opcode.is_control() {
            if !fin {
                return Err(Error::FragmentedControlFrame);
            }
            if len7 > 125 {
                return Err(Error::ControlFrameTooLong(u64::from(len7)));
            }
        }
        let (payload_len, mut at) = match len7 {
            126 => {
                let Some(b) = src.get(2..4) else {
                    return Ok(None);
                };
                let len = u64::from(u16::from_be_bytes([b[0], b[1]]));
                if len < 126 {
                    return Err(Error::NonMinimalLength(len));
                }
                (len, 4)
            }
            127 => {
                let Some(b) = src.get(2..10) else {
                    return Ok(None);
                };
                let len = u64::from_be_bytes(b.try_into().expect("8 bytes"));
                if len >> 63 != 0 {
                    return Err(Error::LengthMsbSet);
                }
                if len <= 0xFFFF {
                    return Err(Error::NonMinimalLength(len));
                }
                (len, 10)
            }
            n => (u64::from(n), 2),
        };
        let mask = if masked {
            let Some(k) = src.get(at..at + 4) else {
                return Ok(None);
            };
            at += 4;
            Some([k[0], k[1], k[2], k[3]])
        } else {
            None
        };
        Ok(Some((
            FrameHeader::new(opcode, fin, rsv, mask, payload_len),
            at,
        )))
    }

    /// Bytes [`FrameHeader::write`] produces.
    pub fn encoded_len(&self) -> usize {
        let len = match self.payload_len {
            0..=125 => 2,
            126..=0xFFFF => 4,
            _ => 10,
        };
        len + if self.mask.is_some() { 4 } else { 0 }
    }

    /// Write the header, with the length in its minimal form.
    #[inline]
    pub fn write(&self, dst: &mut BytesMut) {
        let mut buf = [0u8; Self::MAX_LEN];
        let n = self.write_to(&mut buf);
        dst.extend_from_slice(&buf[..n]);
    }

    /// Write the header into `buf`, returning its length (one copy into
    /// the destination instead of a capacity check per field).
    #[inline]
    fn write_to(&self, buf: &mut [u8; Self::MAX_LEN]) -> usize {
        let mask_bit = if self.mask.is_some() { 0x80 } else { 0 };
        buf[0] = (u8::from(self.fin) << 7) | ((self.rsv & 0x7) << 4) | self.opcode.bits();
        let mut at = match self.payload_len {
            n @ 0..=125 => {
                buf[1] = mask_bit | n as u8;
                2
            }
            n @ 126..=0xFFFF => {
                buf[1] = mask_bit | 126;
                buf[2..4].copy_from_slice(&(n as u16).to_be_bytes());
                4
            }
            n => {
                buf[1] = mask_bit | 127;
                buf[2..10].copy_from_slice(&n.to_be_bytes());
                10
            }
        };
        if let Some(key) = self.mask {
            buf[at..at + 4].copy_from_slice(&key);
            at += 4;
        }
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(b: &[u8]) -> Result<Option<(FrameHeader, usize)>, Error> {
        FrameHeader::parse(b)
    }

    #[test]
    fn rfc6455_section_5_7_examples() {
        // Unmasked "Hello", masked "Hello", unmasked ping "Hello".
        let (h, n) = parse(&[0x81, 0x05]).unwrap().unwrap();
        assert_eq!(
            (h.fin, h.opcode, h.mask, h.payload_len, n),
            (true, OpCode::Text, None, 5, 2)
        );
        let (h, n) = parse(&[0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d])
            .unwrap()
            .unwrap();
        assert_eq!((h.mask, n), (Some([0x37, 0xfa, 0x21, 0x3d]), 6));
        let (h, _) = parse(&[0x89, 0x05]).unwrap().unwrap();
        assert_eq!(h.opcode, OpCode::Ping);
        // First fragment "Hel" and last fragment "lo".
        let (h, _) = parse(&[0x01, 0x03]).unwrap().unwrap();
        assert_eq!((h.fin, h.opcode), (false, OpCode::Text));
        let (h, _) = parse(&[0x80, 0x02]).unwrap().unwrap();
        assert_eq!((h.fin, h.opcode), (true, OpCode::Continuation));
        // 256 bytes binary in a single unmasked frame: 0x82 0x7E 0x0100.
        let (h, n) = parse(&[0x82, 0x7E, 0x01, 0x00]).unwrap().unwrap();
        assert_eq!((h.payload_len, n), (256, 4));
        // 64 KiB binary: 0x82 0x7F 0x0000000000010000.
        let (h, n) = parse(&[0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0])
            .unwrap()
            .unwrap();
        assert_eq!((h.payload_len, n), (65536, 10));
    }

    #[test]
    fn incomplete_headers() {
        let full = [0x82, 0xFF, 0, 0, 0, 0, 0, 1, 0, 0, 1, 2, 3, 4];
        for i in 0..full.len() {
            assert_eq!(parse(&full[..i]).unwrap(), None, "{i}");
        }
        assert_eq!(parse(&full).unwrap().unwrap().1, 14);
    }

    #[test]
    fn header_rules() {
        assert_eq!(parse(&[0x83, 0x00]), Err(Error::ReservedOpcode(3)));
        assert_eq!(parse(&[0x8B, 0x00]), Err(Error::ReservedOpcode(0xB)));
        assert_eq!(parse(&[0x09, 0x00]), Err(Error::FragmentedControlFrame));
        assert_eq!(
            parse(&[0x89, 0x7E, 0, 126]),
            Err(Error::ControlFrameTooLong(126))
        );
        assert_eq!(
            parse(&[0x82, 0x7E, 0, 125]),
            Err(Error::NonMinimalLength(125))
        );
        assert_eq!(
            parse(&[0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF]),
            Err(Error::NonMinimalLength(0xFFFF))
        );
        assert_eq!(
            parse(&[0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0]),
            Err(Error::LengthMsbSet)
        );
        let (h, _) = parse(&[0xF2, 0x00]).unwrap().unwrap();
        assert_eq!(h.rsv, 0b111);
    }

    #[test]
    fn write_then_parse() {
        for len in [0, 125, 126, 0xFFFF, 0x10000, u64::MAX >> 1] {
            for mask in [None, Some([9, 8, 7, 6])] {
                let h = FrameHeader {
                    fin: len % 2 == 0,
                    rsv: 0b100,
                    opcode: OpCode::Binary,
                    mask,
                    payload_len: len,
                };
                let mut dst = BytesMut::new();
                h.write(&mut dst);
                assert_eq!(dst.len(), h.encoded_len());
                assert_eq!(parse(&dst).unwrap(), Some((h, dst.len())));
            }
        }
    }
}
