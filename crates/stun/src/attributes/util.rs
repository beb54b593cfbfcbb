//! Helpers shared by the attribute codecs.

use crate::{AttributeType, Error};

/// An [`Error::InvalidAttribute`] for `typ`.
pub(crate) fn invalid(typ: AttributeType, reason: &'static str) -> Error {
    Error::InvalidAttribute { typ, reason }
}

/// `value` as exactly `N` bytes, or [`Error::InvalidAttribute`] with `reason`.
pub(crate) fn fixed<const N: usize>(
    typ: AttributeType,
    value: &[u8],
    reason: &'static str,
) -> Result<[u8; N], Error> {
    value.try_into().map_err(|_| invalid(typ, reason))
}

/// The number of padding bytes after `len` bytes (RFC 8489 §14).
pub(crate) fn padding(len: usize) -> usize {
    (4 - len % 4) % 4
}

/// Limits of a text value: what a sender may write and what a receiver
/// accepts (RFC 8489 §14.3, §14.8 to §14.10, §14.14).
#[derive(Debug, Clone, Copy)]
pub(crate) struct TextLimits {
    /// Most bytes a sender writes.
    pub(crate) encode_bytes: usize,
    /// Most bytes a receiver accepts.
    pub(crate) decode_bytes: usize,
    /// Most characters, on both sides, if the value has a character limit.
    pub(crate) chars: Option<usize>,
}

impl TextLimits {
    /// "Fewer than 128 characters (which can be as long as 509 bytes when
    /// encoding them and as long as 763 bytes when decoding them)": REALM,
    /// NONCE, SOFTWARE and the ERROR-CODE reason phrase.
    pub(crate) const SHORT_TEXT: TextLimits = TextLimits {
        encode_bytes: 509,
        decode_bytes: 763,
        chars: Some(127),
    };

    /// Read `value` as UTF-8 text within the receiving limits.
    pub(crate) fn decode<'a>(
        self,
        typ: AttributeType,
        value: &'a [u8],
        too_long: &'static str,
        too_many_chars: &'static str,
    ) -> Result<&'a str, Error> {
        if value.len() > self.decode_bytes {
            return Err(invalid(typ, too_long));
        }
        let text = std::str::from_utf8(value).map_err(|_| invalid(typ, "not UTF-8"))?;
        if self.chars.is_some_and(|max| text.chars().count() > max) {
            return Err(invalid(typ, too_many_chars));
        }
        Ok(text)
    }

    /// Check `text` against the sending limits: [`Error::ValueTooLong`]
    /// with a length in bytes, or in characters for the character limit.
    pub(crate) fn check_encode(self, typ: AttributeType, text: &str) -> Result<(), Error> {
        if text.len() > self.encode_bytes {
            return Err(Error::ValueTooLong {
                typ,
                len: text.len(),
                max: self.encode_bytes,
            });
        }
        if let Some(max) = self.chars {
            let count = text.chars().count();
            if count > max {
                return Err(Error::ValueTooLong {
                    typ,
                    len: count,
                    max,
                });
            }
        }
        Ok(())
    }
}
