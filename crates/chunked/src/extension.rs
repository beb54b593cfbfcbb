//! Chunk extensions (RFC 9112 §7.1.1).

use bytes::{BufMut, Bytes, BytesMut};

use crate::Error;
use crate::grammar::{is_qdtext, is_quoted_pair_char, is_tchar};

/// One `chunk-ext-name [ "=" chunk-ext-val ]` of a chunk line
/// (RFC 9112 §7.1.1).
///
/// RFC 9112 §7.1.1 says a recipient must ignore extensions it does not
/// understand; the decoder reports them only when
/// [`Config::report_chunk_headers`](crate::Config::report_chunk_headers) is set.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ChunkExtension {
    name: Bytes,
    value: Option<ExtensionValue>,
}

/// A `chunk-ext-val`: `token / quoted-string` (RFC 9112 §7.1.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ExtensionValue {
    /// A bare token (RFC 9110 §5.6.2).
    Token(Bytes),
    /// A quoted-string (RFC 9110 §5.6.4), holding its content with the
    /// quotes removed and quoted-pairs resolved. May contain obs-text bytes
    /// (0x80-0xFF), so it is bytes, not text.
    Quoted(Bytes),
}

impl ExtensionValue {
    /// The value's content (for `Quoted`, without quotes and escapes).
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            ExtensionValue::Token(b) | ExtensionValue::Quoted(b) => b,
        }
    }
}

impl ChunkExtension {
    /// An extension with a name only, e.g. `;last`.
    ///
    /// Fails with [`Error::InvalidExtensionName`] unless `name` is a token.
    pub fn new(name: impl Into<Bytes>) -> Result<Self, Error> {
        let name = name.into();
        if name.is_empty() || !name.iter().all(|&b| is_tchar(b)) {
            return Err(Error::InvalidExtensionName);
        }
        Ok(ChunkExtension { name, value: None })
    }

    /// An extension with a value. The encoder writes the value as a token
    /// when it is one, and as a quoted-string otherwise.
    ///
    /// Fails when the name is not a token, or when the value holds a control
    /// character other than HTAB (no quoted-string can carry those).
    pub fn with_value(name: impl Into<Bytes>, value: impl Into<Bytes>) -> Result<Self, Error> {
        let mut ext = ChunkExtension::new(name)?;
        let value = value.into();
        let as_token = !value.is_empty() && value.iter().all(|&b| is_tchar(b));
        ext.value = Some(if as_token {
            ExtensionValue::Token(value)
        } else if value.iter().all(|&b| is_quoted_pair_char(b)) {
            ExtensionValue::Quoted(value)
        } else {
            return Err(Error::InvalidExtensionValue);
        });
        Ok(ext)
    }

    pub(crate) fn from_parts(name: Bytes, value: Option<ExtensionValue>) -> Self {
        ChunkExtension { name, value }
    }

    /// The extension's name, a token: ASCII, so also available as text
    /// through [`ChunkExtension::name_str`].
    pub fn name(&self) -> &[u8] {
        &self.name
    }

    /// The name as text.
    pub fn name_str(&self) -> &str {
        // Names are validated as tokens, which are ASCII.
        std::str::from_utf8(&self.name).unwrap_or_default()
    }

    /// The value, if the extension has one.
    pub fn value(&self) -> Option<&ExtensionValue> {
        self.value.as_ref()
    }

    /// Append `;name[=value]` to `dst`, quoting and escaping as needed.
    pub(crate) fn write_to(&self, dst: &mut BytesMut) {
        dst.put_u8(b';');
        dst.put_slice(&self.name);
        match &self.value {
            None => {}
            Some(ExtensionValue::Token(v)) => {
                dst.put_u8(b'=');
                dst.put_slice(v);
            }
            Some(ExtensionValue::Quoted(v)) => {
                dst.put_u8(b'=');
                dst.put_u8(b'"');
                for &b in v.iter() {
                    if !is_qdtext(b) {
                        dst.put_u8(b'\\');
                    }
                    dst.put_u8(b);
                }
                dst.put_u8(b'"');
            }
        }
    }

    /// Bytes that [`ChunkExtension::write_to`] appends.
    pub(crate) fn encoded_len(&self) -> usize {
        1 + self.name.len()
            + match &self.value {
                None => 0,
                Some(ExtensionValue::Token(v)) => 1 + v.len(),
                Some(ExtensionValue::Quoted(v)) => {
                    3 + v.len() + v.iter().filter(|&&b| !is_qdtext(b)).count()
                }
            }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(ext: &ChunkExtension) -> String {
        let mut dst = BytesMut::new();
        ext.write_to(&mut dst);
        assert_eq!(dst.len(), ext.encoded_len());
        String::from_utf8(dst.to_vec()).unwrap()
    }

    #[test]
    fn names_must_be_tokens() {
        assert_eq!(ChunkExtension::new(""), Err(Error::InvalidExtensionName));
        assert_eq!(ChunkExtension::new("a b"), Err(Error::InvalidExtensionName));
        assert_eq!(ChunkExtension::new("a=b"), Err(Error::InvalidExtensionName));
        assert_eq!(written(&ChunkExtension::new("last").unwrap()), ";last");
    }

    #[test]
    fn values_are_tokens_or_quoted() {
        let e = ChunkExtension::with_value("sig", "abc").unwrap();
        assert_eq!(e.value(), Some(&ExtensionValue::Token(Bytes::from("abc"))));
        assert_eq!(written(&e), ";sig=abc");
        let e = ChunkExtension::with_value("q", "a \"b\" \\c").unwrap();
        assert_eq!(written(&e), r#";q="a \"b\" \\c""#);
        assert_eq!(
            written(&ChunkExtension::with_value("e", "").unwrap()),
            ";e=\"\""
        );
        assert_eq!(
            ChunkExtension::with_value("n", "a\0b"),
            Err(Error::InvalidExtensionValue)
        );
        assert_eq!(
            ChunkExtension::with_value("n", "a\r\nb"),
            Err(Error::InvalidExtensionValue)
        );
    }
}
