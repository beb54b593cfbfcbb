//! Keys for message integrity (RFC 8489 §9.1.1, §9.2.2) and the
//! OpaqueString profile (RFC 8265 §4.2) passwords go through.

use md5::Digest;
use unicode_normalization::UnicodeNormalization;

use crate::Error;

/// The algorithm of a long-term key (RFC 8489 §14.11, §18.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PasswordAlgorithm {
    /// 0x0001: MD5, 16-byte key; the default without PASSWORD-ALGORITHM.
    Md5,
    /// 0x0002: SHA-256, 32-byte key.
    Sha256,
}

/// Prepare `s` with the OpaqueString profile of PRECIS (RFC 8265 §4.2):
/// non-ASCII spaces become U+0020, the result is NFC-normalized, and it may
/// not be empty nor contain control characters.
///
/// The profile's full FreeformClass table (RFC 8264 §9) is not applied:
/// beyond control characters, code points it disallows (e.g. unassigned
/// ones) are passed through.
pub fn opaque_string(s: &str) -> Result<String, Error> {
    let mapped: String = s
        .chars()
        .map(|c| {
            if c != ' ' && is_space_separator(c) {
                ' '
            } else {
                c
            }
        })
        .nfc()
        .collect();
    if mapped.is_empty() || mapped.chars().any(char::is_control) {
        return Err(Error::InvalidPassword);
    }
    Ok(mapped)
}

/// Unicode general category Zs.
fn is_space_separator(c: char) -> bool {
    matches!(
        c,
        '\u{0020}' | '\u{00A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}'
    )
}

/// The short-term credential key: OpaqueString(password) (RFC 8489 §9.1.1).
pub fn short_term_key(password: &str) -> Result<Vec<u8>, Error> {
    Ok(opaque_string(password)?.into_bytes())
}

/// The long-term credential key (RFC 8489 §9.2.2):
/// `MD5(username ":" OpaqueString(realm) ":" OpaqueString(password))`, or
/// SHA-256 of the same string.
pub fn long_term_key(
    username: &str,
    realm: &str,
    password: &str,
    algorithm: PasswordAlgorithm,
) -> Result<Vec<u8>, Error> {
    let realm = opaque_string(realm)?;
    let password = opaque_string(password)?;
    let input = [
        username.as_bytes(),
        b":",
        realm.as_bytes(),
        b":",
        password.as_bytes(),
    ];
    Ok(match algorithm {
        PasswordAlgorithm::Md5 => {
            let mut h = md5::Md5::new();
            input.iter().for_each(|p| h.update(p));
            h.finalize().to_vec()
        }
        PasswordAlgorithm::Sha256 => {
            let mut h = sha2::Sha256::new();
            input.iter().for_each(|p| h.update(p));
            h.finalize().to_vec()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opaque_string_rules() {
        assert_eq!(opaque_string("TheMatrIX").unwrap(), "TheMatrIX");
        assert_eq!(opaque_string("a\u{00A0}b").unwrap(), "a b");
        // NFC: e + combining acute becomes é.
        assert_eq!(opaque_string("e\u{0301}").unwrap(), "\u{00E9}");
        assert_eq!(opaque_string(""), Err(Error::InvalidPassword));
        assert_eq!(opaque_string("a\u{0007}"), Err(Error::InvalidPassword));
    }

    #[test]
    fn rfc5769_long_term_key() {
        // RFC 5769 §2.4: username "マトリックス", realm "example.org",
        // password "TheMatrIX" (SASLprep'd form "TheMatrIX").
        let key = long_term_key(
            "\u{30DE}\u{30C8}\u{30EA}\u{30C3}\u{30AF}\u{30B9}",
            "example.org",
            "TheMatrIX",
            PasswordAlgorithm::Md5,
        )
        .unwrap();
        assert_eq!(key.len(), 16);
        let sha = long_term_key("u", "r", "p", PasswordAlgorithm::Sha256).unwrap();
        assert_eq!(sha.len(), 32);
    }
}
