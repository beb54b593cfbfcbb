//! Telling STUN, ZRTP, DTLS, TURN ChannelData and RTP/RTCP apart by their
//! first byte, when they share one transport address (RFC 7983 §7).
//!
//! ```text
//!                 +----------------+
//!                 |        [0..3] -+--> forward to STUN
//!                 |      [16..19] -+--> forward to ZRTP
//!     packet -->  |      [20..63] -+--> forward to DTLS
//!                 |      [64..79] -+--> forward to TURN Channel
//!                 |    [128..191] -+--> forward to RTP/RTCP
//!                 +----------------+
//! ```
//!
//! Every other first byte is dropped (RFC 7983 §7: "the packet ... MUST be
//! dropped"). RFC 9443 later lets QUIC take 64..=127 where no TURN channel
//! is in use; this helper keeps the RFC 7983 table, as WebRTC stacks do.

/// What a packet is, by its first byte (RFC 7983 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PacketKind {
    /// 0..=3: a STUN message (RFC 8489 §5: the first two bits are zero).
    Stun,
    /// 16..=19: ZRTP (RFC 6189).
    Zrtp,
    /// 20..=63: a DTLS record (its content type, RFC 7983 §7).
    Dtls,
    /// 64..=79: a TURN ChannelData message (RFC 8656 §12.4, channel
    /// numbers 0x4000 to 0x4FFF).
    ChannelData,
    /// 128..=191: RTP or RTCP (RFC 3550 version 2; RFC 5761 §4 tells the
    /// two apart by the second byte).
    RtpRtcp,
    /// Anything else, and the empty packet: to be dropped (RFC 7983 §7).
    Drop,
}

impl PacketKind {
    /// The kind a packet starting with `byte` is (RFC 7983 §7).
    pub const fn from_first_byte(byte: u8) -> Self {
        match byte {
            0..=3 => PacketKind::Stun,
            16..=19 => PacketKind::Zrtp,
            20..=63 => PacketKind::Dtls,
            64..=79 => PacketKind::ChannelData,
            128..=191 => PacketKind::RtpRtcp,
            _ => PacketKind::Drop,
        }
    }
}

/// The kind of `packet` by its first byte (RFC 7983 §7); an empty packet is
/// [`PacketKind::Drop`].
///
/// ```
/// use rtw_stun::{PacketKind, demux};
///
/// assert_eq!(demux(&[0x00, 0x01, 0x00, 0x00]), PacketKind::Stun);
/// assert_eq!(demux(&[0x16, 0xfe, 0xfd]), PacketKind::Dtls); // handshake record
/// assert_eq!(demux(&[0x40, 0x00, 0x00, 0x00]), PacketKind::ChannelData);
/// assert_eq!(demux(&[0x80, 0x60]), PacketKind::RtpRtcp);
/// assert_eq!(demux(&[0xff]), PacketKind::Drop);
/// assert_eq!(demux(&[]), PacketKind::Drop);
/// ```
pub fn demux(packet: &[u8]) -> PacketKind {
    match packet.first() {
        Some(&b) => PacketKind::from_first_byte(b),
        None => PacketKind::Drop,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_first_byte_follows_the_rfc_7983_table() {
        for b in 0..=255u8 {
            let want = if b <= 3 {
                PacketKind::Stun
            } else if (16..=19).contains(&b) {
                PacketKind::Zrtp
            } else if (20..=63).contains(&b) {
                PacketKind::Dtls
            } else if (64..=79).contains(&b) {
                PacketKind::ChannelData
            } else if (128..=191).contains(&b) {
                PacketKind::RtpRtcp
            } else {
                PacketKind::Drop
            };
            assert_eq!(PacketKind::from_first_byte(b), want, "byte {b}");
            assert_eq!(demux(&[b, 0, 0, 0]), want, "byte {b}");
        }
    }

    #[test]
    fn boundaries() {
        assert_eq!(demux(&[3]), PacketKind::Stun);
        assert_eq!(demux(&[4]), PacketKind::Drop);
        assert_eq!(demux(&[15]), PacketKind::Drop);
        assert_eq!(demux(&[79]), PacketKind::ChannelData);
        assert_eq!(demux(&[80]), PacketKind::Drop);
        assert_eq!(demux(&[127]), PacketKind::Drop);
        assert_eq!(demux(&[191]), PacketKind::RtpRtcp);
        assert_eq!(demux(&[192]), PacketKind::Drop);
    }
}
