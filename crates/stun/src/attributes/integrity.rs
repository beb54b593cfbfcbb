//! The values of MESSAGE-INTEGRITY (RFC 8489 §14.5),
//! MESSAGE-INTEGRITY-SHA256 (§14.6) and FINGERPRINT (§14.7).
//!
//! These types only read and write the values. Computing and checking them
//! over the message is [`crate::MessageBuilder`]'s and
//! [`crate::Message`]'s job.

use bytes::{BufMut, BytesMut};

use super::util::{fixed, invalid};
use crate::{Attribute, AttributeType, Error, TransactionId};

/// MESSAGE-INTEGRITY (RFC 8489 §14.5): the 20-byte HMAC-SHA1 of the
/// message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MessageIntegrity(pub [u8; 20]);

impl<'a> Attribute<'a> for MessageIntegrity {
    const TYPE: AttributeType = AttributeType::MESSAGE_INTEGRITY;

    fn decode(value: &'a [u8], _: &TransactionId) -> Result<Self, Error> {
        fixed(Self::TYPE, value, "must be 20 bytes (RFC 8489 §14.5)").map(MessageIntegrity)
    }

    fn encoded_len(&self) -> usize {
        20
    }

    fn encode(&self, _: &TransactionId, dst: &mut BytesMut) {
        dst.put_slice(&self.0);
    }
}

/// MESSAGE-INTEGRITY-SHA256 (RFC 8489 §14.6): the HMAC-SHA256 of the
/// message, possibly truncated.
///
/// The value is the first 16 to 32 bytes of the HMAC, a multiple of 4. It
/// is the full 32 bytes unless the STUN usage allows truncation; a usage
/// may also require more than 16.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MessageIntegritySha256 {
    bytes: [u8; 32],
    len: u8,
}

impl MessageIntegritySha256 {
    /// Shortest allowed value (RFC 8489 §14.6).
    pub const MIN_LEN: usize = 16;
    /// Longest allowed value, the full HMAC-SHA256 (RFC 8489 §14.6).
    pub const MAX_LEN: usize = 32;

    /// `true` if `len` is an allowed length: 16 to 32, a multiple of 4.
    pub const fn is_valid_len(len: usize) -> bool {
        len >= Self::MIN_LEN && len <= Self::MAX_LEN && len % 4 == 0
    }

    /// A value from `mac`, a full or already truncated HMAC-SHA256:
    /// [`Error::ValueTooLong`] if its length is not allowed.
    pub fn new(mac: &[u8]) -> Result<Self, Error> {
        if !Self::is_valid_len(mac.len()) {
            return Err(Error::ValueTooLong {
                typ: AttributeType::MESSAGE_INTEGRITY_SHA256,
                len: mac.len(),
                max: Self::MAX_LEN,
            });
        }
        let mut bytes = [0u8; 32];
        bytes[..mac.len()].copy_from_slice(mac);
        Ok(MessageIntegritySha256 {
            bytes,
            len: mac.len() as u8,
        })
    }

    /// The first `len` bytes of the full HMAC `mac`: [`Error::ValueTooLong`]
    /// if `len` is not allowed.
    pub fn truncated(mac: &[u8; 32], len: usize) -> Result<Self, Error> {
        match mac.get(..len) {
            Some(prefix) => Self::new(prefix),
            None => Err(Error::ValueTooLong {
                typ: AttributeType::MESSAGE_INTEGRITY_SHA256,
                len,
                max: Self::MAX_LEN,
            }),
        }
    }

    /// The value's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// The value's length, 16 to 32.
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// `true` if the value is shorter than the full 32-byte HMAC.
    pub fn is_truncated(&self) -> bool {
        self.len() < Self::MAX_LEN
    }
}

impl<'a> Attribute<'a> for MessageIntegritySha256 {
    const TYPE: AttributeType = AttributeType::MESSAGE_INTEGRITY_SHA256;

    fn decode(value: &'a [u8], _: &TransactionId) -> Result<Self, Error> {
        if !Self::is_valid_len(value.len()) {
            return Err(invalid(
                Self::TYPE,
                "must be 16 to 32 bytes, a multiple of 4 (RFC 8489 §14.6)",
            ));
        }
        Self::new(value)
    }

    fn encoded_len(&self) -> usize {
        self.len()
    }

    fn encode(&self, _: &TransactionId, dst: &mut BytesMut) {
        dst.put_slice(self.as_bytes());
    }
}

/// FINGERPRINT (RFC 8489 §14.7): the CRC-32 of the message up to this
/// attribute, XOR'd with 0x5354554E.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint(pub u32);

impl<'a> Attribute<'a> for Fingerprint {
    const TYPE: AttributeType = AttributeType::FINGERPRINT;

    fn decode(value: &'a [u8], _: &TransactionId) -> Result<Self, Error> {
        fixed(Self::TYPE, value, "must be 4 bytes (RFC 8489 §14.7)")
            .map(|b| Fingerprint(u32::from_be_bytes(b)))
    }

    fn encoded_len(&self) -> usize {
        4
    }

    fn encode(&self, _: &TransactionId, dst: &mut BytesMut) {
        dst.put_u32(self.0);
    }
}
