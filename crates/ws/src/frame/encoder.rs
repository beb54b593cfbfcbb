//! Frame encoding (RFC 6455 §5.2, §5.3).

use bytes::BytesMut;

use super::{FrameHeader, OpCode};
use crate::mask::apply_mask;

/// Append one frame to `dst`: the header with the length in minimal form,
/// then the payload, masked with `mask` when given (a client must mask
/// every frame, a server must not; RFC 6455 §5.1).
#[inline]
pub fn encode_frame(
    dst: &mut BytesMut,
    opcode: OpCode,
    fin: bool,
    rsv: u8,
    mask: Option<[u8; 4]>,
    payload: &[u8],
) {
    let header = FrameHeader::new(opcode, fin, rsv, mask, payload.len() as u64);
    dst.reserve(header.encoded_len() + payload.len());
    header.write(dst);
    let start = dst.len();
    dst.extend_from_slice(payload);
    if let Some(key) = mask {
        apply_mask(&mut dst[start..], key, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6455_section_5_7_examples_byte_exact() {
        let mut dst = BytesMut::new();
        encode_frame(&mut dst, OpCode::Text, true, 0, None, b"Hello");
        assert_eq!(&dst[..], [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
        dst.clear();
        encode_frame(
            &mut dst,
            OpCode::Text,
            true,
            0,
            Some([0x37, 0xfa, 0x21, 0x3d]),
            b"Hello",
        );
        assert_eq!(
            &dst[..],
            [
                0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58
            ]
        );
        dst.clear();
        encode_frame(&mut dst, OpCode::Text, false, 0, None, b"Hel");
        encode_frame(&mut dst, OpCode::Continuation, true, 0, None, b"lo");
        assert_eq!(
            &dst[..],
            [0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f]
        );
        dst.clear();
        encode_frame(&mut dst, OpCode::Ping, true, 0, None, b"Hello");
        assert_eq!(&dst[..], [0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
        dst.clear();
        encode_frame(
            &mut dst,
            OpCode::Pong,
            true,
            0,
            Some([0x37, 0xfa, 0x21, 0x3d]),
            b"Hello",
        );
        assert_eq!(
            &dst[..],
            [
                0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58
            ]
        );
        dst.clear();
        encode_frame(&mut dst, OpCode::Binary, true, 0, None, &[0u8; 256]);
        assert_eq!(&dst[..4], [0x82, 0x7E, 0x01, 0x00]);
        dst.clear();
        encode_frame(&mut dst, OpCode::Binary, true, 0, None, &[0u8; 65536]);
        assert_eq!(&dst[..10], [0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0]);
    }
}
