//! TURN ChannelData messages (RFC 8656 §12.4 to §12.6) and framing STUN
//! and ChannelData on stream transports.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |         Channel Number        |            Length             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                                                               |
//! /                       Application Data                        /
//! /                                                               /
//! |                                                               |
//! |                               +-------------------------------+
//! |                               |
//! +-------------------------------+
//! ```
//!
//! The length counts the application data only, never the padding. Over
//! TCP and TLS the message is padded to a multiple of 4 bytes so the next
//! message starts aligned; over UDP padding is optional (RFC 8656 §12.5).
//!
//! Peers have got the padding wrong in both directions, and this module
//! guards against each mistake seen:
//! - a reader that demanded the datagram be exactly `4 + length` dropped
//!   padded UDP messages: [`ChannelData::parse`] accepts a UDP datagram
//!   with or without padding (and any trailing bytes, RFC 8656 §12.6 only
//!   discards datagrams shorter than `4 + length`);
//! - a reader that took the rest of the buffer as the data forwarded the
//!   padding to the peer: the data is always exactly `length` bytes;
//! - a writer that left the padding bytes uninitialised leaked old buffer
//!   contents: the encoder writes zero padding.

use bytes::{BufMut, BytesMut};

use crate::header::HEADER_LEN;
use crate::{Error, Transport};

/// The channel numbers a ChannelData message may carry (RFC 8656 §12:
/// 0x4000 through 0x4FFF; 0x5000-0xFFFF are reserved).
pub const CHANNEL_NUMBERS: std::ops::RangeInclusive<u16> = 0x4000..=0x4FFF;

/// The channel numbers of RFC 5766 §11, which RFC 8656 narrowed to
/// [`CHANNEL_NUMBERS`]: 0x4000 through 0x7FFF. Some clients still pick
/// from the whole range (coturn's `turnutils_uclient` does); a server that
/// chooses to accept them reads their ChannelData with
/// [`ChannelData::parse_rfc5766`], [`frame_len_rfc5766`] and
/// [`Decoder::rfc5766_channels`](crate::Decoder::rfc5766_channels).
pub const RFC5766_CHANNEL_NUMBERS: std::ops::RangeInclusive<u16> = 0x4000..=0x7FFF;

/// Length of the ChannelData header: channel number and length.
pub const CHANNEL_DATA_HEADER_LEN: usize = 4;

/// A ChannelData message borrowed from the bytes it was read from
/// (RFC 8656 §12.4). Always carries a channel number in
/// [`CHANNEL_NUMBERS`] and at most 65,535 bytes of data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChannelData<'a> {
    channel: u16,
    data: &'a [u8],
}

fn padded(len: usize) -> usize {
    (len + 3) & !3
}

impl<'a> ChannelData<'a> {
    /// A ChannelData message to send: [`Error::InvalidChannelNumber`] for a
    /// channel outside [`CHANNEL_NUMBERS`], [`Error::ChannelDataTooLong`]
    /// for more than 65,535 bytes of data.
    pub fn new(channel: u16, data: &'a [u8]) -> Result<Self, Error> {
        if !CHANNEL_NUMBERS.contains(&channel) {
            return Err(Error::InvalidChannelNumber(channel));
        }
        if data.len() > usize::from(u16::MAX) {
            return Err(Error::ChannelDataTooLong(data.len()));
        }
        Ok(ChannelData { channel, data })
    }

    /// Read one ChannelData message from the start of `bytes`, which came
    /// over `transport`: `Ok(Some((message, used)))`, value first, then
    /// the bytes it took; `Ok(None)` when `bytes` is too short to hold it
    /// (`docs/ARCHITECTURE.md` §2.1).
    ///
    /// - The channel number must be in 0x4000-0x4FFF (RFC 8656 §12.4),
    ///   else [`Error::InvalidChannelData`].
    /// - `bytes` must hold at least `4 + length` bytes, else `Ok(None)`:
    ///   on a stream, wait for more; over UDP a datagram that short is
    ///   silently discarded (RFC 8656 §12.6).
    /// - Over UDP and DTLS, `bytes` is one datagram: padding may be there
    ///   or not, and the whole datagram is consumed.
    /// - Over TCP and TLS the message is padded to a multiple of 4: the
    ///   padding must be there (else `Ok(None)`: wait for more bytes) and
    ///   is consumed; bytes after it are the next message. The stream
    ///   [`Decoder`](crate::Decoder) frames STUN and ChannelData for you.
    ///
    /// The data is exactly `length` bytes: padding is never part of it.
    ///
    /// ```
    /// use rtw_stun::{ChannelData, Transport};
    ///
    /// // Channel 0x4001, 5 bytes of data, 3 bytes of padding, then more.
    /// let stream = b"\x40\x01\x00\x05hello\x00\x00\x00\x40\x02";
    /// let (msg, used) = ChannelData::parse(stream, Transport::Tcp)?.unwrap();
    /// assert_eq!((msg.channel(), msg.data(), used), (0x4001, &b"hello"[..], 12));
    ///
    /// // Over UDP the padding is optional.
    /// let (msg, used) = ChannelData::parse(b"\x40\x01\x00\x05hello", Transport::Udp)?.unwrap();
    /// assert_eq!((msg.data(), used), (&b"hello"[..], 9));
    ///
    /// // Too short: more bytes are needed (or, over UDP, the datagram is dropped).
    /// assert_eq!(ChannelData::parse(b"\x40\x01\x00\x05hel", Transport::Tcp)?, None);
    /// # Ok::<(), rtw_stun::Error>(())
    /// ```
    pub fn parse(bytes: &'a [u8], transport: Transport) -> Result<Option<(Self, usize)>, Error> {
        Self::parse_in(bytes, transport, 0x4F)
    }

    /// [`ChannelData::parse`] for a reader that also accepts the channel
    /// numbers of RFC 5766 ([`RFC5766_CHANNEL_NUMBERS`], 0x4000-0x7FFF).
    pub fn parse_rfc5766(
        bytes: &'a [u8],
        transport: Transport,
    ) -> Result<Option<(Self, usize)>, Error> {
        Self::parse_in(bytes, transport, 0x7F)
    }

    /// Parses with channel numbers from 0x4000 up to `last_first_byte`'s.
    fn parse_in(
        bytes: &'a [u8],
        transport: Transport,
        last_first_byte: u8,
    ) -> Result<Option<(Self, usize)>, Error> {
        let Some(&first) = bytes.first() else {
            return Ok(None);
        };
        // The first byte alone rules out channels outside the range.
        if !(0x40..=last_first_byte).contains(&first) {
            return Err(Error::InvalidChannelData(if last_first_byte == 0x4F {
                "channel number outside 0x4000-0x4FFF"
            } else {
                "channel number outside 0x4000-0x7FFF"
            }));
        }
        let Some(h) = bytes.get(..CHANNEL_DATA_HEADER_LEN) else {
            return Ok(None);
        };
        let channel = u16::from_be_bytes([h[0], h[1]]);
        let len = usize::from(u16::from_be_bytes([h[2], h[3]]));
        let end = CHANNEL_DATA_HEADER_LEN + len;
        let Some(data) = bytes.get(CHANNEL_DATA_HEADER_LEN..end) else {
            return Ok(None);
        };
        let used = if transport.is_reliable() {
            let with_padding = padded(end);
            if bytes.len() < with_padding {
                return Ok(None);
            }
            with_padding
        } else {
            bytes.len()
        };
        Ok(Some((ChannelData { channel, data }, used)))
    }

    /// The channel number, in 0x4000-0x4FFF.
    pub fn channel(&self) -> u16 {
        self.channel
    }

    /// The application data, padding excluded.
    pub fn data(&self) -> &'a [u8] {
        self.data
    }

    /// Bytes [`ChannelData::encode`] writes for `transport`.
    pub fn encoded_len(&self, transport: Transport) -> usize {
        let end = CHANNEL_DATA_HEADER_LEN + self.data.len();
        if transport.is_reliable() {
            padded(end)
        } else {
            end
        }
    }

    /// Write the message for `transport`: padded with zeros to a multiple
    /// of 4 over TCP and TLS, where it must be (RFC 8656 §12.5), unpadded
    /// over UDP and DTLS.
    pub fn encode(&self, transport: Transport, dst: &mut BytesMut) {
        self.encode_with_padding(transport.is_reliable(), dst);
    }

    /// Write the message, padded with zeros to a multiple of 4 if `pad`
    /// (RFC 8656 §12.5: required on streams, allowed on UDP).
    pub fn encode_with_padding(&self, pad: bool, dst: &mut BytesMut) {
        let end = CHANNEL_DATA_HEADER_LEN + self.data.len();
        let total = if pad { padded(end) } else { end };
        dst.reserve(total);
        dst.put_u16(self.channel);
        // `new` and `parse` keep the data within u16.
        dst.put_u16(self.data.len() as u16);
        dst.put_slice(self.data);
        dst.put_bytes(0, total - end);
    }
}

/// The length of the frame at the start of `bytes` on a stream transport
/// (TCP, TLS), where STUN messages and ChannelData messages follow each
/// other (RFC 8489 §6.2.2, RFC 8656 §12.5): the whole STUN message, or the
/// ChannelData message with its padding.
///
/// `Ok(None)` until enough bytes are there to tell (at most 4);
/// [`Error::UnknownFrame`] if the first byte is neither STUN (0-3) nor
/// ChannelData (64-79, which also rules out the reserved channel numbers
/// 0x5000-0xFFFF) and [`Error::UnalignedLength`] for a STUN length that
/// is not a multiple of 4: the stream cannot be framed past either. The frame is at most 65,555 bytes.
///
/// ```
/// use rtw_stun::frame_len;
///
/// assert_eq!(frame_len(b"\x40"), Ok(None));
/// assert_eq!(frame_len(b"\x40\x01\x00\x05hel"), Ok(Some(12)));
/// assert_eq!(frame_len(b"\x00\x01\x00\x08"), Ok(Some(28)));
/// assert!(frame_len(b"\x16\x03\x01").is_err());
/// ```
pub fn frame_len(bytes: &[u8]) -> Result<Option<usize>, Error> {
    frame_len_in(bytes, 0x4F)
}

/// [`frame_len`] for a reader that also accepts the ChannelData channel
/// numbers of RFC 5766 ([`RFC5766_CHANNEL_NUMBERS`]): first bytes 0x40 to
/// 0x7F.
pub fn frame_len_rfc5766(bytes: &[u8]) -> Result<Option<usize>, Error> {
    frame_len_in(bytes, 0x7F)
}

fn frame_len_in(bytes: &[u8], last_channel_byte: u8) -> Result<Option<usize>, Error> {
    let Some(&first) = bytes.first() else {
        return Ok(None);
    };
    let is_stun = match first {
        0..=3 => true,
        b if (0x40..=last_channel_byte).contains(&b) => false,
        _ => return Err(Error::UnknownFrame(first)),
    };
    let Some(h) = bytes.get(..4) else {
        return Ok(None);
    };
    let len = u16::from_be_bytes([h[2], h[3]]);
    if is_stun {
        if len % 4 != 0 {
            return Err(Error::UnalignedLength(len));
        }
        Ok(Some(HEADER_LEN + usize::from(len)))
    } else {
        Ok(Some(padded(CHANNEL_DATA_HEADER_LEN + usize::from(len))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_rule() {
        assert_eq!([0, 1, 2, 3, 4, 5, 8].map(padded), [0, 4, 4, 4, 4, 8, 8]);
    }

    #[test]
    fn encode_lengths() {
        let m = ChannelData::new(0x4000, b"abc").unwrap();
        assert_eq!(m.encoded_len(Transport::Udp), 7);
        assert_eq!(m.encoded_len(Transport::Dtls), 7);
        assert_eq!(m.encoded_len(Transport::Tcp), 8);
        assert_eq!(m.encoded_len(Transport::Tls), 8);
        let mut b = BytesMut::new();
        m.encode(Transport::Tls, &mut b);
        assert_eq!(&b[..], b"\x40\x00\x00\x03abc\x00");
    }

    #[test]
    fn frame_len_waits_for_four_bytes() {
        assert_eq!(frame_len(b""), Ok(None));
        assert_eq!(frame_len(b"\x00\x01\x00"), Ok(None));
        assert_eq!(frame_len(b"\x4f\xff\x00"), Ok(None));
        // The first byte is judged at once.
        assert_eq!(frame_len(b"\x80"), Err(Error::UnknownFrame(0x80)));
        assert_eq!(frame_len(b"\x50"), Err(Error::UnknownFrame(0x50)));
        assert_eq!(frame_len_rfc5766(b"\x7f\xff\x00\x01"), Ok(Some(8)));
        assert_eq!(frame_len_rfc5766(b"\x80"), Err(Error::UnknownFrame(0x80)));
    }

    #[test]
    fn the_rfc5766_range_is_read_only_when_asked() {
        let msg = b"\x6a\xbc\x00\x01z";
        assert!(ChannelData::parse(msg, Transport::Udp).is_err());
        let (m, used) = ChannelData::parse_rfc5766(msg, Transport::Udp)
            .unwrap()
            .unwrap();
        assert_eq!((m.channel(), m.data(), used), (0x6abc, &b"z"[..], 5));
        assert!(ChannelData::parse_rfc5766(b"\x80\x00\x00\x00", Transport::Udp).is_err());
    }
}
