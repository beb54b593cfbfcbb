//! PASSWORD-ALGORITHMS (RFC 8489 §14.11) and PASSWORD-ALGORITHM (§14.12).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |          Algorithm            |  Algorithm Parameters Length  |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                    Algorithm Parameters (variable)
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Parameters are padded to 4 bytes like an attribute; PASSWORD-ALGORITHMS
//! repeats the entry.

use bytes::{BufMut, BytesMut};

use super::util::{invalid, padding};
use crate::{Attribute, AttributeType, Error, TransactionId};

/// PASSWORD-ALGORITHM (RFC 8489 §14.12): the algorithm, from the server's
/// PASSWORD-ALGORITHMS, that a client's request asks the server to derive
/// the long-term key with. Also one entry of [`PasswordAlgorithms`].
///
/// Algorithm numbers are registered in RFC 8489 §18.5:
/// [`PasswordAlgorithm::MD5`] (0x0001) and [`PasswordAlgorithm::SHA256`]
/// (0x0002), both without parameters.
///
/// The value written is the algorithm, the parameters' length and the
/// parameters; the attribute's own padding pads the parameters. A received
/// value may also count that padding in its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PasswordAlgorithm<'a> {
    /// The algorithm number (RFC 8489 §18.5).
    pub algorithm: u16,
    /// The algorithm's parameters, padding excluded.
    pub params: &'a [u8],
}

impl PasswordAlgorithm<'static> {
    /// MD5 (RFC 8489 §18.5.1.1), number 0x0001, no parameters.
    pub const MD5: PasswordAlgorithm<'static> = PasswordAlgorithm {
        algorithm: 0x0001,
        params: &[],
    };
    /// SHA-256 (RFC 8489 §18.5.1.2), number 0x0002, no parameters.
    pub const SHA256: PasswordAlgorithm<'static> = PasswordAlgorithm {
        algorithm: 0x0002,
        params: &[],
    };
}

/// Read one entry from the start of `bytes`; returns it and the bytes after
/// its padding (the padding of the last entry may be missing).
fn read_entry<'a>(
    typ: AttributeType,
    bytes: &'a [u8],
) -> Result<(PasswordAlgorithm<'a>, &'a [u8]), Error> {
    if bytes.len() < 4 {
        return Err(invalid(
            typ,
            "algorithm entry shorter than 4 bytes (RFC 8489 §14.11)",
        ));
    }
    let algorithm = u16::from_be_bytes([bytes[0], bytes[1]]);
    let len = usize::from(u16::from_be_bytes([bytes[2], bytes[3]]));
    let rest = &bytes[4..];
    if rest.len() < len {
        return Err(invalid(
            typ,
            "algorithm parameters run past the value (RFC 8489 §14.11)",
        ));
    }
    let (params, rest) = rest.split_at(len);
    let pad = padding(len).min(rest.len());
    Ok((PasswordAlgorithm { algorithm, params }, &rest[pad..]))
}

impl<'a> Attribute<'a> for PasswordAlgorithm<'a> {
    const TYPE: AttributeType = AttributeType::PASSWORD_ALGORITHM;

    fn decode(value: &'a [u8], _: &TransactionId) -> Result<Self, Error> {
        let (entry, rest) = read_entry(Self::TYPE, value)?;
        if !rest.is_empty() {
            return Err(invalid(
                Self::TYPE,
                "bytes after the algorithm parameters (RFC 8489 §14.12)",
            ));
        }
        Ok(entry)
    }

    fn encoded_len(&self) -> usize {
        4 + self.params.len()
    }

    fn encode(&self, _: &TransactionId, dst: &mut BytesMut) {
        dst.put_u16(self.algorithm);
        // The builder refuses values over 65,535 bytes before encoding.
        dst.put_u16(self.params.len() as u16);
        dst.put_slice(self.params);
    }
}

/// PASSWORD-ALGORITHMS (RFC 8489 §14.11): the algorithms, in order of
/// preference, the server can derive the long-term key with.
///
/// A decoded value borrows the message's bytes, checked once; iterate with
/// [`PasswordAlgorithms::iter`]. [`PasswordAlgorithms::new`] borrows a
/// list to send. Each entry's parameters are written padded to 4 bytes.
#[derive(Clone, Copy)]
pub struct PasswordAlgorithms<'a>(Repr<'a>);

#[derive(Clone, Copy)]
enum Repr<'a> {
    Wire(&'a [u8]),
    List(&'a [PasswordAlgorithm<'a>]),
}

impl<'a> PasswordAlgorithms<'a> {
    /// A list to send: [`Error::ValueTooLong`] if it takes more than 65,535
    /// bytes.
    pub fn new(algorithms: &'a [PasswordAlgorithm<'a>]) -> Result<Self, Error> {
        let attr = PasswordAlgorithms(Repr::List(algorithms));
        let len = attr.encoded_len();
        if len > usize::from(u16::MAX) {
            return Err(Error::ValueTooLong {
                typ: AttributeType::PASSWORD_ALGORITHMS,
                len,
                max: usize::from(u16::MAX),
            });
        }
        Ok(attr)
    }

    /// The algorithms, in order.
    pub fn iter(&self) -> PasswordAlgorithmsIter<'a> {
        PasswordAlgorithmsIter(self.0)
    }

    /// `true` if `algorithm` is listed, with any parameters.
    pub fn contains(&self, algorithm: u16) -> bool {
        self.iter().any(|a| a.algorithm == algorithm)
    }
}

/// The entries of [`PasswordAlgorithms`].
#[derive(Debug, Clone)]
pub struct PasswordAlgorithmsIter<'a>(Repr<'a>);

impl<'a> Iterator for PasswordAlgorithmsIter<'a> {
    type Item = PasswordAlgorithm<'a>;

    fn next(&mut self) -> Option<PasswordAlgorithm<'a>> {
        match &mut self.0 {
            Repr::Wire(bytes) => {
                // Checked when decoded: an error cannot happen here.
                let (entry, rest) = read_entry(AttributeType::PASSWORD_ALGORITHMS, bytes).ok()?;
                *bytes = rest;
                Some(entry)
            }
            Repr::List(list) => {
                let (first, rest) = list.split_first()?;
                *list = rest;
                Some(*first)
            }
        }
    }
}

impl<'a> Attribute<'a> for PasswordAlgorithms<'a> {
    const TYPE: AttributeType = AttributeType::PASSWORD_ALGORITHMS;

    fn decode(value: &'a [u8], _: &TransactionId) -> Result<Self, Error> {
        let mut rest = value;
        while !rest.is_empty() {
            rest = read_entry(Self::TYPE, rest)?.1;
        }
        Ok(PasswordAlgorithms(Repr::Wire(value)))
    }

    fn encoded_len(&self) -> usize {
        self.iter()
            .map(|a| 4 + a.params.len() + padding(a.params.len()))
            .sum()
    }

    fn encode(&self, _: &TransactionId, dst: &mut BytesMut) {
        for a in self.iter() {
            dst.put_u16(a.algorithm);
            // At most 65,535 bytes in all, checked by `new`.
            dst.put_u16(a.params.len() as u16);
            dst.put_slice(a.params);
            dst.put_bytes(0, padding(a.params.len()));
        }
    }
}

impl PartialEq for PasswordAlgorithms<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for PasswordAlgorithms<'_> {}

impl std::fmt::Debug for PasswordAlgorithms<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl std::fmt::Debug for Repr<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(PasswordAlgorithmsIter(*self))
            .finish()
    }
}
