//! The TURN attributes (RFC 8656 §18) other than the XOR'd addresses
//! (which are in the address module): CHANNEL-NUMBER, LIFETIME, DATA,
//! REQUESTED-ADDRESS-FAMILY, EVEN-PORT, REQUESTED-TRANSPORT, DONT-FRAGMENT,
//! RESERVATION-TOKEN, ADDITIONAL-ADDRESS-FAMILY, ADDRESS-ERROR-CODE and
//! ICMP.
//!
//! RFFU ("reserved for future use") bits are written as 0 and ignored when
//! read.

use std::time::Duration;

use bytes::{BufMut, BytesMut};

use super::util::{fixed, invalid};
use crate::attributes::{AddressFamily, ErrorCode};
use crate::{Attribute, AttributeType, Error, TransactionId};

/// CHANNEL-NUMBER (RFC 8656 §18.1): a channel number and 16 RFFU bits.
///
/// ```text
/// |        Channel Number         |         RFFU = 0              |
/// ```
///
/// Any number decodes: a server answers a ChannelBind request whose number
/// is outside 0x4000 to 0x4FFF with 400 (RFC 8656 §12.2), so it needs to
/// read it first; check with [`ChannelNumber::is_valid`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChannelNumber(pub u16);

impl ChannelNumber {
    /// The lowest channel number (RFC 8656 §12).
    pub const MIN: ChannelNumber = ChannelNumber(0x4000);
    /// The highest channel number (RFC 8656 §12).
    pub const MAX: ChannelNumber = ChannelNumber(0x4FFF);

    /// `true` if the number is in 0x4000 to 0x4FFF (RFC 8656 §12).
    pub const fn is_valid(self) -> bool {
        self.0 >= Self::MIN.0 && self.0 <= Self::MAX.0
    }
}

impl<'a> Attribute<'a> for ChannelNumber {
    const TYPE: AttributeType = AttributeType::CHANNEL_NUMBER;

    fn decode(value: &'a [u8], _: &TransactionId) -> Result<Self, Error> {
        let b: [u8; 4] = fixed(Self::TYPE, value, "must be 4 bytes (RFC 8656 §18.1)")?;
        Ok(ChannelNumber(u16::from_be_bytes([b[0], b[1]])))
    }

    fn encoded_len(&self) -> usize {
        4
    }

    fn encode(&self, _: &TransactionId, dst: &mut BytesMut) {
        dst.put_u16(self.0);
        dst.put_u16(0);
    }
}

/// LIFETIME (RFC 8656 §18.2): the seconds an allocation has left, or that
/// the client asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Lifetime(pub u32);

impl Lifetime {
    /// The lifetime as a [`Duration`].
    pub const fn as_duration(self) -> Duration {
        Duration::from_secs(self.0 as u64)
    }
}

impl<'a> Attribute<'a> for Lifetime {
    const TYPE: AttributeType = AttributeType::LIFETIME;

    fn decode(value: &'a [u8], _: &TransactionId) -> Result<Self, Error> {
        fixed(Self::TYPE, value, "must be 4 bytes (RFC 8656 §18.2)")
            .map(|b| Lifetime(u32::from_be_bytes(b)))
    }

    fn encoded_len(&self) -> usize {
        4
    }

    fn encode(&self, _: &TransactionId, dst: &mut BytesMut) {
        dst.put_u32(self.0);
    }
}

/// DATA (RFC 8656 §18.4): the application data of a Send or Data
/// indication, borrowed from the message. The builder refuses more than
/// fits in a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Data<'a>(pub &'a [u8]);

impl<'a> Attribute<'a> for Data<'a> {
    const TYPE: AttributeType = AttributeType::DATA;

    fn decode(value: &'a [u8], _: &TransactionId) -> Result<Self, Error> {
        Ok(Data(value))
    }

    fn encoded_len(&self) -> usize {
        self.0.len()
    }

    fn encode(&self, _: &TransactionId, dst: &mut BytesMut) {
        dst.put_slice(self.0);
    }
}

/// Read a family byte followed by 3 reserved bytes.
fn decode_family(
    typ: AttributeType,
    value: &[u8],
    len_rule: &'static str,
) -> Result<AddressFamily, Error> {
    let b: [u8; 4] = fixed(typ, value, len_rule)?;
    AddressFamily::from_code(b[0]).ok_or_else(|| invalid(typ, "unknown address family"))
}

/// REQUESTED-ADDRESS-FAMILY (RFC 8656 §18.6): the address family of the
/// relayed address a client asks for.
///
/// ```text
/// |     Family    |            Reserved                           |
/// ```
///
/// A family other than 0x01 and 0x02 fails to decode with
/// [`Error::InvalidAttribute`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RequestedAddressFamily(pub AddressFamily);

impl<'a> Attribute<'a> for RequestedAddressFamily {
    const TYPE: AttributeType = AttributeType::REQUESTED_ADDRESS_FAMILY;

    fn decode(value: &'a [u8], _: &TransactionId) -> Result<Self, Error> {
        decode_family(Self::TYPE, value, "must be 4 bytes (RFC 8656 §18.6)")
            .map(RequestedAddressFamily)
    }

    fn encoded_len(&self) -> usize {
        4
    }

    fn encode(&self, _: &TransactionId, dst: &mut BytesMut) {
        dst.put_u8(self.0.code());
        dst.put_bytes(0, 3);
    }
}

/// ADDITIONAL-ADDRESS-FAMILY (RFC 8656 §18.11): a client asks for an IPv6
/// relayed address besides the IPv4 one. Encoded like
/// REQUESTED-ADDRESS-FAMILY, but IPv6 (0x02) is the only valid family, so
/// the type has no field; 0x01 fails to decode (a server answers 400).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct AdditionalAddressFamily;

impl AdditionalAddressFamily {
    /// The family, always IPv6.
    pub const fn family(self) -> AddressFamily {
        AddressFamily::V6
    }
}

impl<'a> Attribute<'a> for AdditionalAddressFamily {
    const TYPE: AttributeType = AttributeType::ADDITIONAL_ADDRESS_FAMILY;

    fn decode(value: &'a [u8], _: &TransactionId) -> Result<Self, Error> {
        match decode_family(Self::TYPE, value, "must be 4 bytes (RFC 8656 §18.11)")? {
            AddressFamily::V6 => Ok(AdditionalAddressFamily),
            AddressFamily::V4 => Err(invalid(
                Self::TYPE,
                "only IPv6 (0x02) is allowed (RFC 8656 §18.11)",
            )),
        }
    }

    fn encoded_len(&self) -> usize {
        4
    }

    fn encode(&self, _: &TransactionId, dst: &mut BytesMut) {
        dst.put_u8(AddressFamily::V6.code());
        dst.put_bytes(0, 3);
    }
}

/// EVEN-PORT (RFC 8656 §18.7): the client asks for an even relayed port
/// and, with the R bit, that the next port up be reserved too.
///
/// ```text
/// |R|    RFFU     |
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct EvenPort {
    /// The R bit (0x80): reserve the next-higher port for a later
    /// allocation (RESERVATION-TOKEN).
    pub reserve: bool,
}

impl<'a> Attribute<'a> for EvenPort {
    const TYPE: AttributeType = AttributeType::EVEN_PORT;

    fn decode(value: &'a [u8], _: &TransactionId) -> Result<Self, Error> {
        let [b]: [u8; 1] = fixed(Self::TYPE, value, "must be 1 byte (RFC 8656 §18.7)")?;
        Ok(EvenPort {
            reserve: b & 0x80 != 0,
        })
    }

    fn encoded_len(&self) -> usize {
        1
    }

    fn encode(&self, _: &TransactionId, dst: &mut BytesMut) {
        dst.put_u8(if self.reserve { 0x80 } else { 0 });
    }
}

/// REQUESTED-TRANSPORT (RFC 8656 §18.8): the transport protocol of the
/// relayed address, as an IP protocol number.
///
/// ```text
/// |    Protocol   |                    RFFU                       |
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RequestedTransport {
    /// The IPv4 protocol / IPv6 next header number.
    pub protocol: u8,
}

impl RequestedTransport {
    /// UDP (17), the one transport RFC 8656 allocates.
    pub const UDP: RequestedTransport = RequestedTransport { protocol: 17 };
    /// TCP (6), for TCP allocations (RFC 6062 §4.1).
    pub const TCP: RequestedTransport = RequestedTransport { protocol: 6 };
}

impl<'a> Attribute<'a> for RequestedTransport {
    const TYPE: AttributeType = AttributeType::REQUESTED_TRANSPORT;

    fn decode(value: &'a [u8], _: &TransactionId) -> Result<Self, Error> {
        let b: [u8; 4] = fixed(Self::TYPE, value, "must be 4 bytes (RFC 8656 §18.8)")?;
        Ok(RequestedTransport { protocol: b[0] })
    }

    fn encoded_len(&self) -> usize {
        4
    }

    fn encode(&self, _: &TransactionId, dst: &mut BytesMut) {
        dst.put_u8(self.protocol);
        dst.put_bytes(0, 3);
    }
}

/// DONT-FRAGMENT (RFC 8656 §18.9): the client asks the server to set the
/// DF bit on relayed packets. No value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct DontFragment;

impl<'a> Attribute<'a> for DontFragment {
    const TYPE: AttributeType = AttributeType::DONT_FRAGMENT;

    fn decode(value: &'a [u8], _: &TransactionId) -> Result<Self, Error> {
        if value.is_empty() {
            Ok(DontFragment)
        } else {
            Err(invalid(Self::TYPE, "must have no value (RFC 8656 §18.9)"))
        }
    }

    fn encoded_len(&self) -> usize {
        0
    }

    fn encode(&self, _: &TransactionId, _: &mut BytesMut) {}
}

/// RESERVATION-TOKEN (RFC 8656 §18.10): an 8-byte token naming a relayed
/// port the server reserved (after EVEN-PORT with R set).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReservationToken(pub [u8; 8]);

impl<'a> Attribute<'a> for ReservationToken {
    const TYPE: AttributeType = AttributeType::RESERVATION_TOKEN;

    fn decode(value: &'a [u8], _: &TransactionId) -> Result<Self, Error> {
        fixed(Self::TYPE, value, "must be 8 bytes (RFC 8656 §18.10)").map(ReservationToken)
    }

    fn encoded_len(&self) -> usize {
        8
    }

    fn encode(&self, _: &TransactionId, dst: &mut BytesMut) {
        dst.put_slice(&self.0);
    }
}

/// CONNECTION-ID (RFC 6062 §6.2.1): names one TCP connection between a
/// relayed address and a peer, in Connect responses, ConnectionAttempt
/// indications and ConnectionBind requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectionId(pub u32);

impl<'a> Attribute<'a> for ConnectionId {
    const TYPE: AttributeType = AttributeType::CONNECTION_ID;

    fn decode(value: &'a [u8], _: &TransactionId) -> Result<Self, Error> {
        fixed(Self::TYPE, value, "must be 4 bytes (RFC 6062 §6.2.1)")
            .map(|b| ConnectionId(u32::from_be_bytes(b)))
    }

    fn encoded_len(&self) -> usize {
        4
    }

    fn encode(&self, _: &TransactionId, dst: &mut BytesMut) {
        dst.put_u32(self.0);
    }
}

/// ADDRESS-ERROR-CODE (RFC 8656 §18.12): why the server could not allocate
/// a relayed address of one family, in a dual-stack Allocate response.
///
/// ```text
/// |  Family       |    Rsvd             |Class|     Number        |
/// |      Reason Phrase (variable)                                ..
/// ```
///
/// Class, number and reason phrase follow the rules of ERROR-CODE
/// ([`ErrorCode`]); the family must be 0x01 or 0x02.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AddressErrorCode<'a> {
    /// The family that could not be allocated.
    pub family: AddressFamily,
    /// The error code and reason phrase.
    pub error: ErrorCode<'a>,
}

impl<'a> Attribute<'a> for AddressErrorCode<'a> {
    const TYPE: AttributeType = AttributeType::ADDRESS_ERROR_CODE;

    fn decode(value: &'a [u8], _: &TransactionId) -> Result<Self, Error> {
        let error = ErrorCode::decode_fields(Self::TYPE, value)?;
        let family = AddressFamily::from_code(value[0])
            .ok_or_else(|| invalid(Self::TYPE, "unknown address family"))?;
        Ok(AddressErrorCode { family, error })
    }

    fn encoded_len(&self) -> usize {
        4 + self.error.reason().len()
    }

    fn encode(&self, _: &TransactionId, dst: &mut BytesMut) {
        dst.put_u8(self.family.code());
        dst.put_u8(0);
        self.error.encode_fields(dst);
    }
}

/// ICMP (RFC 8656 §18.13): the ICMP error a server received for a relayed
/// packet, in a Data indication.
///
/// ```text
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |  Reserved                     |  ICMP Type  |  ICMP Code      |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                          Error Data                           |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
///
/// The figure gives the type 7 bits (bits 16 to 22) and the code 9 bits
/// (bits 23 to 31); this follows the figure. ICMP error types (ICMPv4 3,
/// 11, 12; ICMPv6 1 to 4) all fit in 7 bits. The error data is the
/// next-hop MTU for "fragmentation needed" / "packet too big", the pointer
/// for ICMPv6 "parameter problem", 0 otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Icmp {
    icmp_type: u8,
    code: u16,
    error_data: u32,
}

impl Icmp {
    /// An ICMP attribute: [`Error::InvalidAttribute`] if `icmp_type` does
    /// not fit in 7 bits or `code` in 9.
    pub fn new(icmp_type: u8, code: u16, error_data: u32) -> Result<Self, Error> {
        if icmp_type > 0x7F || code > 0x1FF {
            return Err(invalid(
                AttributeType::ICMP,
                "type must fit in 7 bits and code in 9 (RFC 8656 §18.13)",
            ));
        }
        Ok(Icmp {
            icmp_type,
            code,
            error_data,
        })
    }

    /// The ICMP (IPv4) or ICMPv6 type, by the family of the peer.
    pub const fn icmp_type(&self) -> u8 {
        self.icmp_type
    }

    /// The ICMP or ICMPv6 code.
    pub const fn code(&self) -> u16 {
        self.code
    }

    /// The error data.
    pub const fn error_data(&self) -> u32 {
        self.error_data
    }
}

impl<'a> Attribute<'a> for Icmp {
    const TYPE: AttributeType = AttributeType::ICMP;

    fn decode(value: &'a [u8], _: &TransactionId) -> Result<Self, Error> {
        let b: [u8; 8] = fixed(Self::TYPE, value, "must be 8 bytes (RFC 8656 §18.13)")?;
        let type_code = u16::from_be_bytes([b[2], b[3]]);
        Ok(Icmp {
            icmp_type: (type_code >> 9) as u8,
            code: type_code & 0x1FF,
            error_data: u32::from_be_bytes([b[4], b[5], b[6], b[7]]),
        })
    }

    fn encoded_len(&self) -> usize {
        8
    }

    fn encode(&self, _: &TransactionId, dst: &mut BytesMut) {
        dst.put_u16(0);
        dst.put_u16(u16::from(self.icmp_type) << 9 | self.code);
        dst.put_u32(self.error_data);
    }
}
