//! MESSAGE-INTEGRITY (RFC 8489 §14.5), MESSAGE-INTEGRITY-SHA256 (§14.6)
//! and FINGERPRINT (§14.7): computing and verifying.
//!
//! Each is computed over the message up to the attribute, with the header's
//! length field set as if the attribute were the last one (§14.5: "the
//! length ... MUST be adjusted to point to the end of the
//! MESSAGE-INTEGRITY attribute"). The bytes are fed in pieces with the
//! adjusted length in between, so nothing is copied.

use subtle::ConstantTimeEq;

use crate::header::HEADER_LEN;
use crate::integrity_key::AsIntegrityKey;
use crate::{Error, Message};

/// XOR applied to the CRC-32 of FINGERPRINT (§14.7): "STUN" in ASCII.
pub const FINGERPRINT_XOR: u32 = 0x5354_554E;

/// Which integrity attribute verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntegrityAlgorithm {
    /// MESSAGE-INTEGRITY: HMAC-SHA1.
    HmacSha1,
    /// MESSAGE-INTEGRITY-SHA256: HMAC-SHA256, possibly truncated.
    HmacSha256,
}

/// The message bytes in front of an attribute at `offset`, in three pieces,
/// with the length field set for an attribute of `value_len` there.
fn pieces(msg: &[u8], offset: usize, value_len: usize) -> ([u8; 2], [u8; 2], &[u8]) {
    let length = (offset - HEADER_LEN + 4 + value_len) as u16;
    ([msg[0], msg[1]], length.to_be_bytes(), &msg[4..offset])
}

pub(crate) fn hmac_sha1<K: AsIntegrityKey + ?Sized>(
    key: &K,
    msg: &[u8],
    offset: usize,
) -> [u8; 20] {
    let (a, b, c) = pieces(msg, offset, 20);
    key.hmac_sha1(&[&a, &b, c])
}

pub(crate) fn hmac_sha256<K: AsIntegrityKey + ?Sized>(
    key: &K,
    msg: &[u8],
    offset: usize,
    value_len: usize,
) -> [u8; 32] {
    let (a, b, c) = pieces(msg, offset, value_len);
    key.hmac_sha256(&[&a, &b, c])
}

pub(crate) fn fingerprint(msg: &[u8], offset: usize) -> u32 {
    let (a, b, c) = pieces(msg, offset, 4);
    let mut crc = crc32fast::Hasher::new();
    crc.update(&a);
    crc.update(&b);
    crc.update(c);
    crc.finalize() ^ FINGERPRINT_XOR
}

impl Message<'_> {
    /// Verify MESSAGE-INTEGRITY-SHA256 if the message has it, else
    /// MESSAGE-INTEGRITY, with `key`: raw key bytes (see [`crate::key`]
    /// for how keys are made) or an [`IntegrityKey`](crate::IntegrityKey),
    /// which saves the hashing of the key's pads. Comparison is in constant
    /// time.
    ///
    /// RFC 8489 §9.1.4, §9.2.4: when both are present, MESSAGE-INTEGRITY-SHA256
    /// is the one that counts.
    ///
    /// Neither present: [`Error::MissingIntegrity`]; wrong:
    /// [`Error::IntegrityMismatch`]; a value of the wrong length:
    /// [`Error::InvalidAttribute`] (the same shape as
    /// [`Message::verify_fingerprint`]).
    pub fn verify_integrity<K: AsIntegrityKey + ?Sized>(
        &self,
        key: &K,
    ) -> Result<IntegrityAlgorithm, Error> {
        let bytes = self.as_bytes();
        if let Some(at) = self.integrity_sha256_offset() {
            let value = &bytes[at + 4..][..attr_len(bytes, at)];
            if !(16..=32).contains(&value.len()) || value.len() % 4 != 0 {
                return Err(Error::InvalidAttribute {
                    typ: crate::AttributeType::MESSAGE_INTEGRITY_SHA256,
                    reason: "length must be 16 to 32 and a multiple of 4 (RFC 8489 §14.6)",
                });
            }
            let mac = hmac_sha256(key, bytes, at, value.len());
            return if bool::from(mac[..value.len()].ct_eq(value)) {
                Ok(IntegrityAlgorithm::HmacSha256)
            } else {
                Err(Error::IntegrityMismatch)
            };
        }
        let Some(at) = self.integrity_offset() else {
            return Err(Error::MissingIntegrity);
        };
        let value = &bytes[at + 4..][..attr_len(bytes, at)];
        if value.len() != 20 {
            return Err(Error::InvalidAttribute {
                typ: crate::AttributeType::MESSAGE_INTEGRITY,
                reason: "value must be 20 bytes (RFC 8489 §14.5)",
            });
        }
        if bool::from(hmac_sha1(key, bytes, at).ct_eq(value)) {
            Ok(IntegrityAlgorithm::HmacSha1)
        } else {
            Err(Error::IntegrityMismatch)
        }
    }

    /// Check FINGERPRINT (RFC 8489 §14.7), with the same shape as
    /// [`Message::verify_integrity`]:
    ///
    /// - present and right: `Ok(true)` (never `Ok(false)`; the `bool` is
    ///   kept so that `assert!(msg.verify_fingerprint()?)` still reads);
    /// - absent: [`Error::MissingFingerprint`], as a missing
    ///   MESSAGE-INTEGRITY is [`Error::MissingIntegrity`];
    /// - wrong: [`Error::FingerprintMismatch`], as a wrong
    ///   MESSAGE-INTEGRITY is [`Error::IntegrityMismatch`];
    /// - not 4 bytes long: [`Error::InvalidAttribute`].
    ///
    /// FINGERPRINT is optional unless a usage requires it (RFC 8489 §7);
    /// an agent that accepts messages without it but discards those with a
    /// wrong one (§7.3) accepts `Ok(_) | Err(Error::MissingFingerprint)`:
    ///
    /// ```
    /// use rtw_stun::{Class, Error, Message, MessageBuilder, MessageType, Method, TransactionId};
    ///
    /// let typ = MessageType::new(Method::BINDING, Class::Request);
    /// let plain = MessageBuilder::new(typ, TransactionId([1; 12])).finish();
    /// let plain = Message::parse(&plain)?;
    /// assert_eq!(plain.verify_fingerprint(), Err(Error::MissingFingerprint));
    /// assert!(matches!(plain.verify_fingerprint(), Ok(_) | Err(Error::MissingFingerprint)));
    ///
    /// let signed = MessageBuilder::new(typ, TransactionId([1; 12]))
    ///     .with_fingerprint()?
    ///     .finish();
    /// assert_eq!(Message::parse(&signed)?.verify_fingerprint(), Ok(true));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn verify_fingerprint(&self) -> Result<bool, Error> {
        let Some(at) = self.fingerprint_offset() else {
            return Err(Error::MissingFingerprint);
        };
        let bytes = self.as_bytes();
        let value = &bytes[at + 4..][..attr_len(bytes, at)];
        let Ok(value) = <[u8; 4]>::try_from(value) else {
            return Err(Error::InvalidAttribute {
                typ: crate::AttributeType::FINGERPRINT,
                reason: "value must be 4 bytes (RFC 8489 §14.7)",
            });
        };
        if u32::from_be_bytes(value) == fingerprint(bytes, at) {
            Ok(true)
        } else {
            Err(Error::FingerprintMismatch)
        }
    }
}

fn attr_len(bytes: &[u8], at: usize) -> usize {
    usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]))
}
