//! STUN and TURN ChannelData over a byte stream (TCP, TLS): RFC 8489
//! §6.2.2 frames STUN messages by their length field, RFC 8656 §12.5 pads
//! ChannelData messages to a multiple of 4 so that the next one starts
//! aligned. The first byte tells the two apart (RFC 7983 §7).

use bytes::{Bytes, BytesMut};

use crate::channel_data::{frame_len, frame_len_rfc5766};
use crate::{CHANNEL_DATA_HEADER_LEN, Error, Limits, Message};

/// One frame cut out of a stream by [`Decoder`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Frame {
    /// A whole STUN message that [`Message::parse_with_limits`] accepted;
    /// read it with [`Message::parse`].
    Stun(Bytes),
    /// A ChannelData message (RFC 8656 §12.4), its padding dropped.
    ChannelData {
        /// The channel number, 0x4000 to 0x4FFF.
        channel: u16,
        /// The application data, exactly `length` bytes, shared with the
        /// buffer it came in (no copy).
        data: Bytes,
    },
}

/// Cuts STUN messages and ChannelData messages out of a byte stream
/// (RFC 8489 §6.2.2, RFC 8656 §12.5), in the `decode` / `decode_eof`
/// shape of `docs/ARCHITECTURE.md` §2.1.
///
/// The length of a frame is known from its first 4 bytes and checked
/// against [`Limits::max_message_size`] before anything more is buffered.
/// A frame that is cut out but invalid (a STUN message that breaks RFC
/// 8489, or beyond [`Limits::max_attributes`]) is consumed and reported;
/// decoding may go on with the next frame. A first byte that is neither
/// STUN nor ChannelData ([`Error::UnknownFrame`]), a STUN length that is
/// not a multiple of 4, and a frame over the size limit leave the stream
/// unframeable: close it.
///
/// ```
/// use bytes::BytesMut;
/// use rtw_stun::{Class, Decoder, Frame, Message, MessageBuilder, MessageType, Method, TransactionId};
///
/// let request = MessageBuilder::new(MessageType::new(Method::BINDING, Class::Request), TransactionId([3; 12]))
///     .finish();
/// let mut stream = BytesMut::new();
/// stream.extend_from_slice(&request);
/// stream.extend_from_slice(b"\x40\x01\x00\x02hi\x00\x00"); // ChannelData, padded
/// stream.extend_from_slice(b"\x40\x02"); // the start of the next one
///
/// let mut decoder = Decoder::default();
/// let Some(Frame::Stun(msg)) = decoder.decode(&mut stream)? else { unreachable!() };
/// assert_eq!(Message::parse(&msg)?.transaction_id(), TransactionId([3; 12]));
/// assert_eq!(
///     decoder.decode(&mut stream)?,
///     Some(Frame::ChannelData { channel: 0x4001, data: "hi".into() })
/// );
/// assert_eq!(decoder.decode(&mut stream)?, None); // waits for more
/// assert!(decoder.decode_eof(&mut stream).is_err()); // ended mid-frame
/// # Ok::<(), rtw_stun::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Decoder {
    limits: Limits,
    rfc5766_channels: bool,
}

impl Decoder {
    /// A decoder with `limits`.
    pub fn with_limits(limits: Limits) -> Self {
        Decoder {
            limits,
            rfc5766_channels: false,
        }
    }

    /// Also read ChannelData with the channel numbers of RFC 5766
    /// ([`RFC5766_CHANNEL_NUMBERS`](crate::RFC5766_CHANNEL_NUMBERS),
    /// 0x4000-0x7FFF), for a server that accepts clients still using them.
    /// Off by default: RFC 8656 §12 allows 0x4000-0x4FFF only.
    #[must_use]
    pub fn rfc5766_channels(mut self, accept: bool) -> Self {
        self.rfc5766_channels = accept;
        self
    }

    /// The limits in use.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The next frame at the start of `src`, consumed from it; `Ok(None)`
    /// when more bytes are needed (`src` is then left as it is, with room
    /// reserved for the rest of the frame).
    pub fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, Error> {
        let len = if self.rfc5766_channels {
            frame_len_rfc5766(src)?
        } else {
            frame_len(src)?
        };
        let Some(len) = len else {
            return Ok(None);
        };
        if len > self.limits.max_message_size {
            return Err(Error::MessageTooLarge {
                len,
                limit: self.limits.max_message_size,
            });
        }
        if src.len() < len {
            src.reserve(len - src.len());
            return Ok(None);
        }
        let frame = src.split_to(len).freeze();
        if frame[0] & 0xC0 == 0 {
            Message::parse_with_limits(&frame, &self.limits)?;
            return Ok(Some(Frame::Stun(frame)));
        }
        let channel = u16::from_be_bytes([frame[0], frame[1]]);
        let data_len = usize::from(u16::from_be_bytes([frame[2], frame[3]]));
        let data = frame.slice(CHANNEL_DATA_HEADER_LEN..CHANNEL_DATA_HEADER_LEN + data_len);
        Ok(Some(Frame::ChannelData { channel, data }))
    }

    /// [`Decoder::decode`] at the end of the stream: bytes left that make
    /// no whole frame are [`Error::TruncatedFrame`].
    pub fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, Error> {
        match self.decode(src)? {
            Some(frame) => Ok(Some(frame)),
            None if src.is_empty() => Ok(None),
            None => Err(Error::TruncatedFrame(src.len())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_is_checked_from_the_header() {
        let mut d = Decoder::with_limits(Limits::default().max_message_size(16));
        let mut src = BytesMut::from(&b"\x40\x00\x00\x10"[..]);
        assert_eq!(
            d.decode(&mut src),
            Err(Error::MessageTooLarge { len: 20, limit: 16 })
        );
        assert_eq!(src.len(), 4, "nothing consumed");
    }

    #[test]
    fn eof_on_a_boundary_is_clean() {
        let mut d = Decoder::default();
        let mut src = BytesMut::from(&b"\x40\x00\x00\x00"[..]);
        assert_eq!(
            d.decode_eof(&mut src),
            Ok(Some(Frame::ChannelData {
                channel: 0x4000,
                data: Bytes::new()
            }))
        );
        assert_eq!(d.decode_eof(&mut src), Ok(None));
        let mut src = BytesMut::from(&b"\x00"[..]);
        assert_eq!(d.decode_eof(&mut src), Err(Error::TruncatedFrame(1)));
    }
}
