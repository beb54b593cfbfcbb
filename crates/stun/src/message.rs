//! Zero-copy reading of a STUN message (RFC 8489 §5, §6.3, §14).

use crate::attributes::{Attribute, AttributeType, RawAttribute};
use crate::header::{HEADER_LEN, MAGIC_COOKIE};
use crate::{Class, Error, Limits, MessageType, Method, TransactionId};

/// A validated STUN message borrowed from the bytes it was read from.
///
/// [`Message::parse`] checks everything once: the header (§5), the length
/// against the datagram (§6.3), every attribute's bounds (§14) and that
/// FINGERPRINT comes last (§14.7). Attributes are then read lazily, without
/// copying, through [`Message::attributes`] and [`Message::get`]. Following
/// §14.5 and §14.6, attributes after MESSAGE-INTEGRITY other than
/// MESSAGE-INTEGRITY-SHA256 and FINGERPRINT, and after
/// MESSAGE-INTEGRITY-SHA256 other than FINGERPRINT, are ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message<'a> {
    bytes: &'a [u8],
    typ: MessageType,
    tid: TransactionId,
    integrity: Option<usize>,
    integrity_sha256: Option<usize>,
    fingerprint: Option<usize>,
}

/// The length of the message at the start of `bytes`, from its header, for
/// framing STUN over stream transports (RFC 8489 §6.2.2); `None` until 4
/// bytes are there. Does not validate the message.
pub fn message_len(bytes: &[u8]) -> Option<usize> {
    let b = bytes.get(2..4)?;
    Some(HEADER_LEN + usize::from(u16::from_be_bytes([b[0], b[1]])))
}

impl<'a> Message<'a> {
    /// Validate `bytes` as exactly one STUN message, with the default
    /// [`Limits`].
    ///
    /// ```
    /// use rtw_stun::{Class, Message, MessageBuilder, MessageType, Method, TransactionId};
    ///
    /// let typ = MessageType::new(Method::BINDING, Class::Request);
    /// let bytes = MessageBuilder::new(typ, TransactionId([1; 12])).finish();
    /// let msg = Message::parse(&bytes)?;
    /// assert_eq!((msg.method(), msg.class()), (Method::BINDING, Class::Request));
    /// # Ok::<(), rtw_stun::Error>(())
    /// ```
    pub fn parse(bytes: &'a [u8]) -> Result<Self, Error> {
        Self::parse_with_limits(bytes, &Limits::default())
    }

    /// Validate `bytes` as exactly one STUN message within `limits`:
    /// [`Error::MessageTooLarge`] beyond [`Limits::max_message_size`]
    /// (checked first), [`Error::TooManyAttributes`] beyond
    /// [`Limits::max_attributes`] (checked as the attributes are walked,
    /// so no more than the limit is looked at).
    ///
    /// ```
    /// use rtw_stun::attributes::Software;
    /// use rtw_stun::{Class, Error, Limits, Message, MessageBuilder, MessageType, Method, TransactionId};
    ///
    /// let typ = MessageType::new(Method::BINDING, Class::Request);
    /// let bytes = MessageBuilder::new(typ, TransactionId([1; 12]))
    ///     .with(&Software::new("a")?)?
    ///     .with(&Software::new("b")?)?
    ///     .finish();
    /// let tight = Limits::default().max_attributes(1);
    /// assert_eq!(Message::parse_with_limits(&bytes, &tight), Err(Error::TooManyAttributes(1)));
    /// # Ok::<(), rtw_stun::Error>(())
    /// ```
    pub fn parse_with_limits(bytes: &'a [u8], limits: &Limits) -> Result<Self, Error> {
        if bytes.len() > limits.max_message_size {
            return Err(Error::MessageTooLarge {
                len: bytes.len(),
                limit: limits.max_message_size,
            });
        }
        if bytes.len() < HEADER_LEN {
            return Err(Error::Truncated("shorter than the 20-byte header"));
        }
        if bytes[0] & 0xC0 != 0 {
            return Err(Error::NotStun);
        }
        let length = u16::from_be_bytes([bytes[2], bytes[3]]);
        let cookie = u32::from_be_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
        if cookie != MAGIC_COOKIE {
            return Err(Error::BadMagicCookie(cookie));
        }
        if length % 4 != 0 {
            return Err(Error::UnalignedLength(length));
        }
        let declared = HEADER_LEN + usize::from(length);
        if declared != bytes.len() {
            return Err(Error::LengthMismatch {
                declared,
                actual: bytes.len(),
            });
        }
        let typ = MessageType::from_bits(u16::from_be_bytes([bytes[0], bytes[1]]));
        let mut tid = [0u8; 12];
        tid.copy_from_slice(&bytes[8..20]);
        let mut msg = Message {
            bytes,
            typ,
            tid: TransactionId(tid),
            integrity: None,
            integrity_sha256: None,
            fingerprint: None,
        };
        for (count, attr) in RawIter::new(bytes).enumerate() {
            if count >= limits.max_attributes {
                return Err(Error::TooManyAttributes(limits.max_attributes));
            }
            let attr = attr?;
            if msg.fingerprint.is_some() {
                return Err(Error::FingerprintNotLast);
            }
            let slot = match attr.typ {
                AttributeType::MESSAGE_INTEGRITY => &mut msg.integrity,
                AttributeType::MESSAGE_INTEGRITY_SHA256 => &mut msg.integrity_sha256,
                AttributeType::FINGERPRINT => &mut msg.fingerprint,
                _ => continue,
            };
            slot.get_or_insert(attr.offset);
        }
        Ok(msg)
    }

    /// The message type.
    pub fn message_type(&self) -> MessageType {
        self.typ
    }

    /// The method.
    pub fn method(&self) -> Method {
        self.typ.method
    }

    /// The class.
    pub fn class(&self) -> Class {
        self.typ.class
    }

    /// The transaction ID.
    pub fn transaction_id(&self) -> TransactionId {
        self.tid
    }

    /// The whole message.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The attributes that count, in order (see the type's docs for those
    /// ignored after message integrity).
    pub fn attributes(&self) -> impl Iterator<Item = RawAttribute<'a>> + 'a {
        let mut after_mi = false;
        let mut after_mi256 = false;
        RawIter::new(self.bytes)
            .map_while(Result::ok)
            .filter(move |a| {
                let keep = match a.typ {
                    AttributeType::FINGERPRINT => true,
                    AttributeType::MESSAGE_INTEGRITY_SHA256 => !after_mi256,
                    _ => !after_mi && !after_mi256,
                };
                match a.typ {
                    AttributeType::MESSAGE_INTEGRITY => after_mi = true,
                    AttributeType::MESSAGE_INTEGRITY_SHA256 => after_mi256 = true,
                    _ => {}
                }
                keep
            })
    }

    /// The first attribute of type `A::TYPE`, read as `A`.
    pub fn get<A: Attribute<'a>>(&self) -> Option<Result<A, Error>> {
        self.raw(A::TYPE).map(|a| A::decode(a.value, &self.tid))
    }

    /// The first attribute of type `typ`, raw.
    pub fn raw(&self, typ: AttributeType) -> Option<RawAttribute<'a>> {
        self.attributes().find(|a| a.typ == typ)
    }

    /// Comprehension-required attributes (type below 0x8000) that this
    /// crate does not know (RFC 8489 §6.3.1), in order, without
    /// duplicates.
    pub fn unknown_attributes(&self) -> Vec<AttributeType> {
        let mut unknown: Vec<AttributeType> = Vec::new();
        for a in self.attributes() {
            if a.typ.is_comprehension_required()
                && a.typ.name().is_none()
                && !unknown.contains(&a.typ)
            {
                unknown.push(a.typ);
            }
        }
        unknown
    }

    /// Fail with [`Error::UnknownAttributes`] if
    /// [`Message::unknown_attributes`] is not empty.
    pub fn check_unknown_attributes(&self) -> Result<(), Error> {
        let unknown = self.unknown_attributes();
        if unknown.is_empty() {
            Ok(())
        } else {
            Err(Error::UnknownAttributes(unknown))
        }
    }

    /// Offset of MESSAGE-INTEGRITY, if present.
    pub(crate) fn integrity_offset(&self) -> Option<usize> {
        self.integrity
    }

    /// Offset of MESSAGE-INTEGRITY-SHA256, if present and not after another
    /// MESSAGE-INTEGRITY-SHA256.
    pub(crate) fn integrity_sha256_offset(&self) -> Option<usize> {
        self.integrity_sha256
    }

    /// Offset of FINGERPRINT, if present.
    pub(crate) fn fingerprint_offset(&self) -> Option<usize> {
        self.fingerprint
    }
}

/// Every attribute of a message whose header was checked, with bounds
/// checks.
struct RawIter<'a> {
    bytes: &'a [u8],
    at: usize,
    failed: bool,
}

impl<'a> RawIter<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        RawIter {
            bytes,
            at: HEADER_LEN,
            failed: false,
        }
    }
}

impl<'a> Iterator for RawIter<'a> {
    type Item = Result<RawAttribute<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.at >= self.bytes.len() {
            return None;
        }
        let at = self.at;
        let Some(h) = self.bytes.get(at..at + 4) else {
            self.failed = true;
            return Some(Err(Error::Truncated("attribute header")));
        };
        let typ = AttributeType(u16::from_be_bytes([h[0], h[1]]));
        let len = u16::from_be_bytes([h[2], h[3]]);
        let padded = (usize::from(len) + 3) & !3;
        let start = at + 4;
        if start + padded > self.bytes.len() {
            self.failed = true;
            return Some(Err(Error::AttributeOverflow { typ, len }));
        }
        self.at = start + padded;
        Some(Ok(RawAttribute {
            typ,
            value: &self.bytes[start..start + usize::from(len)],
            offset: at,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(length: u16) -> Vec<u8> {
        let mut m = vec![0x00, 0x01];
        m.extend_from_slice(&length.to_be_bytes());
        m.extend_from_slice(&MAGIC_COOKIE.to_be_bytes());
        m.extend_from_slice(&[7; 12]);
        m
    }

    #[test]
    fn header_rules() {
        assert_eq!(
            Message::parse(&[0; 19]),
            Err(Error::Truncated("shorter than the 20-byte header"))
        );
        let mut m = header(0);
        m[0] = 0x40;
        assert_eq!(Message::parse(&m), Err(Error::NotStun));
        let mut m = header(0);
        m[4] = 0;
        assert_eq!(Message::parse(&m), Err(Error::BadMagicCookie(0x0012_A442)));
        assert_eq!(
            Message::parse(&header(2)[..]),
            Err(Error::UnalignedLength(2))
        );
        assert_eq!(
            Message::parse(&header(4)),
            Err(Error::LengthMismatch {
                declared: 24,
                actual: 20
            })
        );
        let m = header(0);
        let msg = Message::parse(&m).unwrap();
        assert_eq!(
            (msg.method(), msg.class()),
            (Method::BINDING, Class::Request)
        );
        assert_eq!(message_len(&m), Some(20));
    }

    #[test]
    fn attribute_bounds_and_order() {
        let mut m = header(8);
        m.extend_from_slice(&[0x80, 0x22, 0x00, 0x05, b'a', b'b', b'c', b'd']);
        assert_eq!(
            Message::parse(&m),
            Err(Error::AttributeOverflow {
                typ: AttributeType::SOFTWARE,
                len: 5
            })
        );
        let mut m = header(16);
        m.extend_from_slice(&[0x80, 0x28, 0x00, 0x04, 1, 2, 3, 4]);
        m.extend_from_slice(&[0x80, 0x22, 0x00, 0x01, b'x', 0, 0, 0]);
        assert_eq!(Message::parse(&m), Err(Error::FingerprintNotLast));
    }

    #[test]
    fn attributes_after_integrity_are_ignored_and_unknowns_reported() {
        let mut m = header(44);
        m.extend_from_slice(&[0x7F, 0xFF, 0x00, 0x00]); // unknown, comprehension-required
        m.extend_from_slice(&[0x00, 0x08, 0x00, 0x14]);
        m.extend_from_slice(&[0; 20]); // MESSAGE-INTEGRITY
        m.extend_from_slice(&[0x80, 0x22, 0x00, 0x01, b'x', 0, 0, 0]); // ignored SOFTWARE
        m.extend_from_slice(&[0x80, 0x28, 0x00, 0x04, 1, 2, 3, 4]);
        let msg = Message::parse(&m).unwrap();
        let types: Vec<u16> = msg.attributes().map(|a| a.typ.0).collect();
        assert_eq!(types, [0x7FFF, 0x0008, 0x8028]);
        assert_eq!(msg.raw(AttributeType::SOFTWARE), None);
        assert_eq!(
            msg.check_unknown_attributes(),
            Err(Error::UnknownAttributes(vec![AttributeType(0x7FFF)]))
        );
        assert_eq!(msg.integrity_offset(), Some(24));
        assert_eq!(msg.fingerprint_offset(), Some(56));
    }
}
