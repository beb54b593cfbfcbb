//! UNKNOWN-ATTRIBUTES (RFC 8489 §14.13).

use bytes::{BufMut, BytesMut};

use super::util::invalid;
use crate::{Attribute, AttributeType, Error, TransactionId};

/// UNKNOWN-ATTRIBUTES (RFC 8489 §14.13): the comprehension-required
/// attribute types a server did not understand, sent with 420 (Unknown
/// Attribute).
///
/// A list of 16-bit types; the count may be odd (the attribute is padded
/// like any other, not by repeating a type as RFC 3489 did). A decoded
/// value borrows the message's bytes; [`UnknownAttributes::new`] borrows a
/// list to send.
#[derive(Clone, Copy)]
pub struct UnknownAttributes<'a>(Repr<'a>);

#[derive(Clone, Copy)]
enum Repr<'a> {
    /// The value as received: an even number of bytes.
    Wire(&'a [u8]),
    /// A list to send.
    List(&'a [AttributeType]),
}

impl<'a> UnknownAttributes<'a> {
    /// A list to send: [`Error::ValueTooLong`] if it takes more than 65,535
    /// bytes.
    pub fn new(types: &'a [AttributeType]) -> Result<Self, Error> {
        if types.len() * 2 > usize::from(u16::MAX) {
            return Err(Error::ValueTooLong {
                typ: AttributeType::UNKNOWN_ATTRIBUTES,
                len: types.len() * 2,
                max: usize::from(u16::MAX),
            });
        }
        Ok(UnknownAttributes(Repr::List(types)))
    }

    /// The attribute types, in order.
    pub fn iter(&self) -> impl Iterator<Item = AttributeType> + 'a {
        let (wire, list): (&'a [u8], &'a [AttributeType]) = match self.0 {
            Repr::Wire(bytes) => (bytes, &[]),
            Repr::List(types) => (&[], types),
        };
        wire.chunks_exact(2)
            .map(|b| AttributeType(u16::from_be_bytes([b[0], b[1]])))
            .chain(list.iter().copied())
    }

    /// How many types.
    pub fn len(&self) -> usize {
        match self.0 {
            Repr::Wire(bytes) => bytes.len() / 2,
            Repr::List(types) => types.len(),
        }
    }

    /// `true` if there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `true` if `typ` is listed.
    pub fn contains(&self, typ: AttributeType) -> bool {
        self.iter().any(|t| t == typ)
    }
}

impl<'a> Attribute<'a> for UnknownAttributes<'a> {
    const TYPE: AttributeType = AttributeType::UNKNOWN_ATTRIBUTES;

    fn decode(value: &'a [u8], _: &TransactionId) -> Result<Self, Error> {
        if value.len() % 2 != 0 {
            return Err(invalid(
                Self::TYPE,
                "length is not a multiple of 2 (RFC 8489 §14.13)",
            ));
        }
        Ok(UnknownAttributes(Repr::Wire(value)))
    }

    fn encoded_len(&self) -> usize {
        self.len() * 2
    }

    fn encode(&self, _: &TransactionId, dst: &mut BytesMut) {
        for typ in self.iter() {
            dst.put_u16(typ.0);
        }
    }
}

impl PartialEq for UnknownAttributes<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for UnknownAttributes<'_> {}

impl std::fmt::Debug for UnknownAttributes<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}
