//! Header escapes (STOMP 1.2 "Value Encoding").

use crate::{Error, Version};

/// Whether frames of `version` escape their headers at all (1.1 and 1.2;
/// the caller also exempts CONNECT, STOMP and CONNECTED).
pub(crate) fn escapes(version: Version) -> bool {
    version >= Version::V1_1
}

/// Appends `text` to `dst` with the escapes of `version` (STOMP 1.2
/// "Value Encoding": `\r`, `\n`, `\c`, `\\`; 1.1 lacks `\r`).
pub(crate) fn escape_into(text: &str, version: Version, dst: &mut Vec<u8>) {
    let bytes = text.as_bytes();
    let needs =
        |b: u8| matches!(b, b'\n' | b':' | b'\\') || (b == b'\r' && version >= Version::V1_2);
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if needs(b) {
            dst.extend_from_slice(&bytes[start..i]);
            dst.extend_from_slice(match b {
                b'\n' => b"\\n",
                b':' => b"\\c",
                b'\\' => b"\\\\",
                _ => b"\\r",
            });
            start = i + 1;
        }
    }
    dst.extend_from_slice(&bytes[start..]);
}

/// Whether `text` must be escaped in `version` (a fast path check).
pub(crate) fn needs_escape(text: &[u8], version: Version) -> bool {
    if version >= Version::V1_2 {
        memchr::memchr3(b'\n', b':', b'\\', text).is_some() || memchr::memchr(b'\r', text).is_some()
    } else {
        memchr::memchr3(b'\n', b':', b'\\', text).is_some()
    }
}

/// Undoes the escapes of `version` in `raw` and checks UTF-8. An
/// undefined escape, or a backslash that ends `raw`, is
/// [`Error::UndefinedEscape`], fatal (STOMP 1.2 "Value Encoding").
pub(crate) fn unescape(raw: &[u8], version: Version, escaped: bool) -> Result<String, Error> {
    if !escaped || memchr::memchr(b'\\', raw).is_none() {
        return std::str::from_utf8(raw)
            .map(str::to_owned)
            .map_err(|_| Error::NotUtf8);
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while let Some(at) = memchr::memchr(b'\\', &raw[i..]) {
        out.extend_from_slice(&raw[i..i + at]);
        let next = raw.get(i + at + 1).copied();
        out.push(match next {
            Some(b'n') => b'\n',
            Some(b'c') => b':',
            Some(b'\\') => b'\\',
            Some(b'r') if version >= Version::V1_2 => b'\r',
            byte => return Err(Error::UndefinedEscape { byte }),
        });
        i += at + 2;
    }
    out.extend_from_slice(&raw[i..]);
    String::from_utf8(out).map_err(|_| Error::NotUtf8)
}

#[cfg(test)]
mod tests {
    use super::{escape_into, needs_escape, unescape};
    use crate::{Error, Version};

    fn escaped(text: &str, version: Version) -> String {
        let mut dst = Vec::new();
        escape_into(text, version, &mut dst);
        String::from_utf8(dst).unwrap()
    }

    #[test]
    fn the_four_escapes_of_1_2_and_the_three_of_1_1() {
        // STOMP 1.2 "Value Encoding": \r, \n, \c and \\.
        assert_eq!(escaped("a\r\nb:c\\d", Version::V1_2), "a\\r\\nb\\cc\\\\d");
        // STOMP 1.1 has no \r escape: a CR goes as it is.
        assert_eq!(escaped("a\r\nb", Version::V1_1), "a\r\\nb");
        assert!(needs_escape(b"x\ry", Version::V1_2));
        assert!(!needs_escape(b"x\ry", Version::V1_1));
        assert!(!needs_escape(b"plain", Version::V1_2));
    }

    #[test]
    fn unescape_undoes_escape_and_refuses_undefined_ones() {
        let text = "line\nwith:colon\\and\rcr";
        let raw = escaped(text, Version::V1_2);
        assert_eq!(unescape(raw.as_bytes(), Version::V1_2, true).unwrap(), text);
        // An undefined escape is fatal, and so is a backslash at the end.
        assert_eq!(
            unescape(b"a\\tb", Version::V1_2, true),
            Err(Error::UndefinedEscape { byte: Some(b't') })
        );
        assert_eq!(
            unescape(b"a\\", Version::V1_2, true),
            Err(Error::UndefinedEscape { byte: None })
        );
        // \r is undefined in 1.1.
        assert!(unescape(b"a\\rb", Version::V1_1, true).is_err());
        // CONNECT and CONNECTED headers are taken as they are.
        assert_eq!(unescape(b"a\\tb", Version::V1_2, false).unwrap(), "a\\tb");
        assert_eq!(unescape(b"\xff", Version::V1_2, true), Err(Error::NotUtf8));
    }
}
