//! Incremental frame decoder (RFC 6455 §5.2).

use std::ops::Range;

use bytes::{Buf, BytesMut};

use super::{Frame, FrameHeader};
use crate::mask::apply_mask;
use crate::{Error, Role};

/// What one call of [`FrameDecoder::advance`] achieved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Progress {
    /// No frame is complete. If a frame's header has been read, the part of
    /// its payload that arrived with this call was unmasked in place and lies
    /// at `new` in the buffer (still unconsumed); it is empty when nothing
    /// arrived.
    Partial {
        /// The header of the frame being received, if one was read.
        header: Option<FrameHeader>,
        /// Range of newly unmasked payload bytes in the buffer.
        new: Range<usize>,
    },
    /// A frame is complete and was split off the buffer.
    Complete {
        /// The frame, payload unmasked.
        frame: Frame,
        /// Where in `frame.payload` the bytes begin that no earlier
        /// [`Progress::Partial`] reported.
        new_from: usize,
    },
}

/// Incremental, zero-copy frame decoder: [`FrameDecoder::decode`] while
/// the stream runs, [`FrameDecoder::decode_eof`] at its end.
///
/// The payload of a frame is unmasked in place as it arrives, so a caller
/// can look at it (e.g. to validate UTF-8) before the frame is complete;
/// the complete payload is then split off the input as [`bytes::Bytes`]
/// without copying. Per-connection rules are checked here: masking
/// direction (§5.1), reserved bits (§5.2) and the frame size limit.
#[derive(Debug, Clone)]
pub struct FrameDecoder {
    expect: Option<Role>,
    allowed_rsv: u8,
    max_frame_size: u64,
    current: Option<FrameHeader>,
    unmasked: usize,
}

impl FrameDecoder {
    /// A decoder for frames *received* by an endpoint in `role`: a server
    /// requires masked frames, a client requires unmasked ones. No reserved
    /// bits are allowed until an extension allows them.
    pub fn new(role: Role, max_frame_size: u64) -> Self {
        FrameDecoder {
            expect: Some(role),
            allowed_rsv: 0,
            max_frame_size,
            current: None,
            unmasked: 0,
        }
    }

    /// A decoder that accepts masked and unmasked frames (for tools that
    /// inspect captured traffic).
    pub fn any_role(max_frame_size: u64) -> Self {
        FrameDecoder {
            expect: None,
            ..FrameDecoder::new(Role::Server, max_frame_size)
        }
    }

    /// Allow RSV bits (as the three low bits, RSV1 = 0b100) that a
    /// negotiated extension defines.
    pub fn set_allowed_rsv(&mut self, bits: u8) {
        self.allowed_rsv = bits & 0x7;
    }

    /// The header of the frame whose payload is being received, if any.
    pub fn current(&self) -> Option<&FrameHeader> {
        self.current.as_ref()
    }

    /// Read as much of the next frame as `src` holds (the connection looks
    /// at payload as it arrives).
    #[inline]
    pub(crate) fn advance(&mut self, src: &mut BytesMut) -> Result<Progress, Error> {
        let header = match self.current {
            Some(h) => h,
            None => match FrameHeader::parse(src)? {
                None => {
                    return Ok(Progress::Partial {
                        header: None,
                        new: 0..0,
                    });
                }
                Some((h, n)) => {
                    self.check(&h)?;
                    // `check` bounded the length by max_frame_size.
                    let len = usize::try_from(h.payload_len).unwrap_or(usize::MAX);
                    if src.len() - n >= len {
                        // The whole frame is here: no partial-frame
                        // bookkeeping, unmask and split it off at once.
                        // One split for header and payload; the header is
                        // then skipped on the frozen bytes, which costs
                        // less than advancing the buffer.
                        let mut whole = src.split_to(n + len);
                        if let Some(key) = h.mask {
                            apply_mask(&mut whole[n..], key, 0);
                        }
                        let mut payload = whole.freeze();
                        payload.advance(n);
                        return Ok(Progress::Complete {
                            frame: Frame { header: h, payload },
                            new_from: 0,
                        });
                    }
                    src.advance(n);
                    self.current = Some(h);
                    self.unmasked = 0;
                    h
                }
            },
        };
        // `check` bounded the length by max_frame_size, which fits in memory.
        let len = usize::try_from(header.payload_len).unwrap_or(usize::MAX);
        let available = src.len().min(len);
        let start = self.unmasked;
        if available > start {
            if let Some(key) = header.mask {
                apply_mask(&mut src[start..available], key, start);
            }
            self.unmasked = available;
        }
        if available < len {
            return Ok(Progress::Partial {
                header: Some(header),
                new: start..available,
            });
        }
        self.current = None;
        self.unmasked = 0;
        let payload = src.split_to(len).freeze();
        Ok(Progress::Complete {
            frame: Frame { header, payload },
            new_from: start,
        })
    }

    /// Decode the next complete frame, or `Ok(None)` when `src` holds none
    /// yet. The frame is split off `src`; the bytes of an incomplete frame
    /// stay in `src` (its header is consumed and remembered, its payload
    /// unmasked in place) for the next call.
    #[inline]
    pub fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, Error> {
        match self.advance(src)? {
            Progress::Complete { frame, .. } => Ok(Some(frame)),
            Progress::Partial { .. } => Ok(None),
        }
    }

    /// [`FrameDecoder::decode`] at the end of the stream: the next complete
    /// frame, `Ok(None)` once `src` is used up at a frame boundary, or
    /// [`Error::TruncatedFrame`] when the stream ended inside a frame.
    pub fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, Error> {
        match self.decode(src)? {
            Some(frame) => Ok(Some(frame)),
            None if src.is_empty() && self.current.is_none() => Ok(None),
            None => Err(Error::TruncatedFrame),
        }
    }

    fn check(&self, h: &FrameHeader) -> Result<(), Error> {
        match (self.expect, h.mask) {
            (Some(Role::Server), None) => return Err(Error::UnmaskedFrame),
            (Some(Role::Client), Some(_)) => return Err(Error::MaskedFrame),
            _ => {}
        }
        if h.rsv & !self.allowed_rsv != 0 {
            return Err(Error::ReservedBits { bits: h.rsv });
        }
        if h.payload_len > self.max_frame_size {
            return Err(Error::FrameTooLarge {
                len: h.payload_len,
                limit: self.max_frame_size,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::OpCode;

    #[test]
    fn rfc6455_section_5_7_masked_hello() {
        let mut dec = FrameDecoder::new(Role::Server, 1 << 20);
        let mut src = BytesMut::from(
            &[
                0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
            ][..],
        );
        let f = dec.decode(&mut src).unwrap().unwrap();
        assert_eq!(f.header.opcode, OpCode::Text);
        assert_eq!(&f.payload[..], b"Hello");
        assert!(src.is_empty());
    }

    #[test]
    fn payload_is_unmasked_as_it_arrives() {
        let mut dec = FrameDecoder::new(Role::Server, 1 << 20);
        let wire = [
            0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
        ];
        let mut src = BytesMut::from(&wire[..8]);
        match dec.advance(&mut src).unwrap() {
            Progress::Partial {
                header: Some(_),
                new,
            } => assert_eq!(&src[new], b"He"),
            other => panic!("{other:?}"),
        }
        src.extend_from_slice(&wire[8..]);
        match dec.advance(&mut src).unwrap() {
            Progress::Complete { frame, new_from } => {
                assert_eq!(&frame.payload[..], b"Hello");
                assert_eq!(new_from, 2);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_stream_may_end_only_between_frames() {
        let wire = [0x82, 0x02, b'o', b'k', 0x82, 0x03, b'a'];
        let mut dec = FrameDecoder::new(Role::Client, 1 << 20);
        let mut src = BytesMut::from(&wire[..]);
        let f = dec.decode_eof(&mut src).unwrap().unwrap();
        assert_eq!(&f.payload[..], b"ok");
        assert_eq!(dec.decode_eof(&mut src), Err(Error::TruncatedFrame));
        // Half a header is truncated too; nothing left is the clean end.
        let mut dec = FrameDecoder::new(Role::Client, 1 << 20);
        assert_eq!(
            dec.decode_eof(&mut BytesMut::from(&[0x82][..])),
            Err(Error::TruncatedFrame)
        );
        assert_eq!(dec.decode_eof(&mut BytesMut::new()), Ok(None));
    }

    #[test]
    fn role_rules_and_limits() {
        let mut server = FrameDecoder::new(Role::Server, 10);
        assert_eq!(
            server.decode(&mut BytesMut::from(&[0x81, 0x00][..])),
            Err(Error::UnmaskedFrame)
        );
        let mut client = FrameDecoder::new(Role::Client, 10);
        assert_eq!(
            client.decode(&mut BytesMut::from(&[0x81, 0x80, 1, 2, 3, 4][..])),
            Err(Error::MaskedFrame)
        );
        assert_eq!(
            client.decode(&mut BytesMut::from(&[0xC1, 0x00][..])),
            Err(Error::ReservedBits { bits: 0b100 })
        );
        client.set_allowed_rsv(0b100);
        assert!(
            client
                .decode(&mut BytesMut::from(&[0xC1, 0x00][..]))
                .unwrap()
                .is_some()
        );
        assert_eq!(
            client.decode(&mut BytesMut::from(&[0x82, 0x0B][..])),
            Err(Error::FrameTooLarge { len: 11, limit: 10 })
        );
    }
}
