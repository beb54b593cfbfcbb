//! Text attributes: USERNAME (RFC 8489 §14.3), REALM (§14.9), NONCE
//! (§14.10) with its security feature cookie (§9.2), SOFTWARE (§14.14) and
//! ALTERNATE-DOMAIN (§14.16).
//!
//! Values borrow from the message as `&str`. Each type's `new` checks the
//! limits a sender must keep ([`Error::ValueTooLong`]); `decode` checks the
//! wider limits a receiver must accept and that the value is UTF-8
//! ([`Error::InvalidAttribute`]).

use bytes::{BufMut, BytesMut};

use super::util::{TextLimits, invalid};
use crate::{Attribute, AttributeType, Error, TransactionId};

macro_rules! text_attribute {
    (
        $(#[$doc:meta])*
        $name:ident, $typ:ident, $limits:expr,
        too_long: $too_long:literal, too_many_chars: $too_many:literal
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name<'a>(&'a str);

        impl<'a> $name<'a> {
            /// The sending limits of this attribute.
            const LIMITS: TextLimits = $limits;

            /// A value to send: [`Error::ValueTooLong`] beyond the sending
            /// limits (its `len` and `max` count characters when the
            /// character limit is the one exceeded).
            pub fn new(text: &'a str) -> Result<Self, Error> {
                Self::LIMITS.check_encode(AttributeType::$typ, text)?;
                Ok($name(text))
            }

            /// The text.
            pub fn as_str(&self) -> &'a str {
                self.0
            }
        }

        impl<'a> Attribute<'a> for $name<'a> {
            const TYPE: AttributeType = AttributeType::$typ;

            fn decode(value: &'a [u8], _: &TransactionId) -> Result<Self, Error> {
                Self::LIMITS
                    .decode(Self::TYPE, value, $too_long, $too_many)
                    .map($name)
            }

            fn encoded_len(&self) -> usize {
                self.0.len()
            }

            fn encode(&self, _: &TransactionId, dst: &mut BytesMut) {
                dst.put_slice(self.0.as_bytes());
            }
        }

        impl AsRef<str> for $name<'_> {
            fn as_ref(&self) -> &str {
                self.0
            }
        }

        impl std::fmt::Display for $name<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.0)
            }
        }
    };
}

text_attribute! {
    /// USERNAME (RFC 8489 §14.3): the username of the credentials the
    /// message integrity is keyed with.
    ///
    /// UTF-8, fewer than 509 bytes when sent; receivers accept up to 763
    /// bytes (RFC 5389 compatibility). The username must already have been
    /// processed with the OpaqueString profile (see [`crate::key`]).
    Username, USERNAME,
    TextLimits { encode_bytes: 508, decode_bytes: 763, chars: None },
    too_long: "longer than 763 bytes (RFC 8489 §14.3)",
    too_many_chars: "unreachable: USERNAME has no character limit"
}

text_attribute! {
    /// REALM (RFC 8489 §14.9): the realm of long-term credentials, an
    /// unquoted realm-value already processed with OpaqueString.
    ///
    /// UTF-8, fewer than 128 characters (at most 509 bytes when sent, 763
    /// when received).
    Realm, REALM, TextLimits::SHORT_TEXT,
    too_long: "longer than 763 bytes (RFC 8489 §14.9)",
    too_many_chars: "128 characters or more (RFC 8489 §14.9)"
}

text_attribute! {
    /// NONCE (RFC 8489 §14.10): the server's nonce, echoed by the client.
    ///
    /// UTF-8, fewer than 128 characters (at most 509 bytes when sent, 763
    /// when received). A nonce that starts with the "nonce cookie" carries
    /// the server's security features (§9.2): see
    /// [`Nonce::security_features`].
    Nonce, NONCE, TextLimits::SHORT_TEXT,
    too_long: "longer than 763 bytes (RFC 8489 §14.10)",
    too_many_chars: "128 characters or more (RFC 8489 §14.10)"
}

text_attribute! {
    /// SOFTWARE (RFC 8489 §14.14): a description of the sender's software,
    /// for diagnostics only.
    ///
    /// UTF-8, fewer than 128 characters (at most 509 bytes when sent, 763
    /// when received).
    Software, SOFTWARE, TextLimits::SHORT_TEXT,
    too_long: "longer than 763 bytes (RFC 8489 §14.14)",
    too_many_chars: "128 characters or more (RFC 8489 §14.14)"
}

/// The "nonce cookie" a NONCE starts with when it carries the server's
/// security feature set (RFC 8489 §9.2).
pub const NONCE_COOKIE: &str = "obMatJos2";

/// The STUN security features a server announces in its NONCE (RFC 8489
/// §9.2, registry in §18.1): 24 bits, encoded after the nonce cookie as 4
/// base64 characters.
///
/// Bit 0 is the least significant bit of the 24 (RFC 8489 erratum 6290).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SecurityFeatures(u32);

impl SecurityFeatures {
    /// Bit 0, "Password algorithms": the server supports PASSWORD-ALGORITHMS
    /// and PASSWORD-ALGORITHM (RFC 8489 §9.2.1).
    pub const PASSWORD_ALGORITHMS: SecurityFeatures = SecurityFeatures(1 << 0);
    /// Bit 1, "Username anonymity": the server supports USERHASH (RFC 8489
    /// §9.2.1).
    pub const USERNAME_ANONYMITY: SecurityFeatures = SecurityFeatures(1 << 1);

    /// The features from their 24 bits (higher bits are dropped).
    pub const fn from_bits(bits: u32) -> Self {
        SecurityFeatures(bits & 0x00FF_FFFF)
    }

    /// The 24 bits.
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// `true` if every feature of `other` is set.
    pub const fn contains(self, other: SecurityFeatures) -> bool {
        self.0 & other.0 == other.0
    }

    /// `true` if the "Password algorithms" bit is set.
    pub const fn password_algorithms(self) -> bool {
        self.contains(Self::PASSWORD_ALGORITHMS)
    }

    /// `true` if the "Username anonymity" bit is set.
    pub const fn username_anonymity(self) -> bool {
        self.contains(Self::USERNAME_ANONYMITY)
    }

    /// The 13 characters a server starts its nonce with to announce these
    /// features: [`NONCE_COOKIE`] and the 4 base64 characters of the bits.
    pub fn cookie(self) -> String {
        let mut out = String::with_capacity(13);
        out.push_str(NONCE_COOKIE);
        for shift in [18, 12, 6, 0] {
            out.push(char::from(BASE64[((self.0 >> shift) & 0x3F) as usize]));
        }
        out
    }
}

impl std::ops::BitOr for SecurityFeatures {
    type Output = SecurityFeatures;

    fn bitor(self, rhs: SecurityFeatures) -> SecurityFeatures {
        SecurityFeatures(self.0 | rhs.0)
    }
}

/// The base64 alphabet (RFC 4648 §4).
const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64_value(c: u8) -> Option<u32> {
    let v = match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    };
    Some(u32::from(v))
}

impl Nonce<'_> {
    /// The security features announced by the nonce cookie (RFC 8489 §9.2):
    /// `None` when the nonce does not start with [`NONCE_COOKIE`] followed
    /// by 4 base64 characters.
    pub fn security_features(&self) -> Option<SecurityFeatures> {
        let rest = self.0.as_bytes().strip_prefix(NONCE_COOKIE.as_bytes())?;
        let chars = rest.get(..4)?;
        let mut bits = 0u32;
        for &c in chars {
            bits = bits << 6 | base64_value(c)?;
        }
        Some(SecurityFeatures(bits))
    }
}

/// ALTERNATE-DOMAIN (RFC 8489 §14.16): the domain name that authenticates
/// the ALTERNATE-SERVER over TLS or DTLS.
///
/// A DNS host name (RFC 1123, A-labels for internationalized names) of at
/// most 255 ASCII characters: labels of 1 to 63 letters, digits and
/// hyphens, not starting or ending with a hyphen, separated by dots, with
/// an optional final dot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AlternateDomain<'a>(&'a str);

impl<'a> AlternateDomain<'a> {
    /// A domain to send: [`Error::ValueTooLong`] beyond 255 bytes,
    /// [`Error::InvalidAttribute`] if it is not a host name.
    pub fn new(domain: &'a str) -> Result<Self, Error> {
        if domain.len() > 255 {
            return Err(Error::ValueTooLong {
                typ: AttributeType::ALTERNATE_DOMAIN,
                len: domain.len(),
                max: 255,
            });
        }
        check_host_name(domain.as_bytes())?;
        Ok(AlternateDomain(domain))
    }

    /// The domain name.
    pub fn as_str(&self) -> &'a str {
        self.0
    }
}

fn check_host_name(name: &[u8]) -> Result<(), Error> {
    let typ = AttributeType::ALTERNATE_DOMAIN;
    if name.len() > 255 {
        return Err(invalid(typ, "longer than 255 characters (RFC 8489 §14.16)"));
    }
    let name = name.strip_suffix(b".").unwrap_or(name);
    if name.is_empty() {
        return Err(invalid(typ, "empty domain name (RFC 8489 §14.16)"));
    }
    for label in name.split(|&b| b == b'.') {
        if label.is_empty() || label.len() > 63 {
            return Err(invalid(
                typ,
                "a label is empty or longer than 63 characters (RFC 1123)",
            ));
        }
        if !label
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
        {
            return Err(invalid(
                typ,
                "not a DNS host name: only letters, digits, hyphens and dots (RFC 1123)",
            ));
        }
        if label.starts_with(b"-") || label.ends_with(b"-") {
            return Err(invalid(
                typ,
                "a label starts or ends with a hyphen (RFC 1123)",
            ));
        }
    }
    Ok(())
}

impl<'a> Attribute<'a> for AlternateDomain<'a> {
    const TYPE: AttributeType = AttributeType::ALTERNATE_DOMAIN;

    fn decode(value: &'a [u8], _: &TransactionId) -> Result<Self, Error> {
        check_host_name(value)?;
        // All ASCII, checked above.
        let text = std::str::from_utf8(value).map_err(|_| invalid(Self::TYPE, "not ASCII"))?;
        Ok(AlternateDomain(text))
    }

    fn encoded_len(&self) -> usize {
        self.0.len()
    }

    fn encode(&self, _: &TransactionId, dst: &mut BytesMut) {
        dst.put_slice(self.0.as_bytes());
    }
}

impl AsRef<str> for AlternateDomain<'_> {
    fn as_ref(&self) -> &str {
        self.0
    }
}

impl std::fmt::Display for AlternateDomain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_round_trips() {
        for bits in [0, 1, 2, 3, 0x00FF_FFFF, 0x0012_3456] {
            let features = SecurityFeatures::from_bits(bits);
            let cookie = features.cookie();
            assert_eq!(cookie.len(), 13);
            let nonce = format!("{cookie}abcdef");
            assert_eq!(Nonce(&nonce).security_features(), Some(features));
        }
    }

    #[test]
    fn bit_zero_is_the_rightmost() {
        // "AAAB" is 0x000001, "AAAC" 0x000002 (RFC 8489 erratum 6290).
        let n = Nonce("obMatJos2AAABxyz");
        assert!(n.security_features().unwrap().password_algorithms());
        assert!(!n.security_features().unwrap().username_anonymity());
        let n = Nonce("obMatJos2AAACxyz");
        assert!(n.security_features().unwrap().username_anonymity());
        assert!(!n.security_features().unwrap().password_algorithms());
        assert_eq!(
            (SecurityFeatures::PASSWORD_ALGORITHMS | SecurityFeatures::USERNAME_ANONYMITY).cookie(),
            "obMatJos2AAAD"
        );
    }

    #[test]
    fn no_cookie_no_features() {
        assert_eq!(
            Nonce("f//499k954d6OL34oL9FSTvy64sA").security_features(),
            None
        );
        assert_eq!(Nonce("obMatJos2AA").security_features(), None);
        assert_eq!(Nonce("obMatJos2AA=A").security_features(), None);
    }
}
