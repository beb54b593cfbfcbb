//! DTLS-SRTP attributes: `setup` (RFC 4145) and `fingerprint` (RFC 8122).

use super::syntax::{is_token, required};
use super::{AttributeError, AttributeValue};

/// `a=setup:<role>`: which side opens the (D)TLS connection (RFC 4145 §4,
/// RFC 5763 §5; JSEP offers `actpass`, RFC 8829 §5.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Setup {
    /// `active`: this side connects.
    Active,
    /// `passive`: this side accepts.
    Passive,
    /// `actpass`: either; the answerer picks.
    ActPass,
    /// `holdconn`: no connection for now.
    HoldConn,
}

impl Setup {
    /// The role as written.
    pub fn name(self) -> &'static str {
        match self {
            Setup::Active => "active",
            Setup::Passive => "passive",
            Setup::ActPass => "actpass",
            Setup::HoldConn => "holdconn",
        }
    }
}

impl AttributeValue for Setup {
    const NAME: &'static str = "setup";

    fn parse_value(value: Option<&str>) -> Result<Self, AttributeError> {
        const RULE: &str = "expected active, passive, actpass or holdconn (RFC 4145 §4)";
        Ok(match required(Self::NAME, value, RULE)? {
            "active" => Setup::Active,
            "passive" => Setup::Passive,
            "actpass" => Setup::ActPass,
            "holdconn" => Setup::HoldConn,
            _ => return Err(AttributeError::new(Self::NAME, RULE)),
        })
    }

    fn to_value(&self) -> Option<String> {
        Some(self.name().to_owned())
    }
}

/// `a=fingerprint:<hash-func> <fingerprint>`: the hash of the (D)TLS
/// certificate, as uppercase hex bytes separated by colons (RFC 8122 §5).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fingerprint {
    /// The hash function's name as written: `sha-256`, `sha-1`, ...
    pub hash_function: String,
    /// The hash.
    pub value: Vec<u8>,
}

impl Fingerprint {
    /// The length in bytes of the hash functions RFC 8122 §5 names.
    fn digest_len(hash_function: &str) -> Option<usize> {
        Some(match hash_function.to_ascii_lowercase().as_str() {
            "md2" | "md5" => 16,
            "sha-1" => 20,
            "sha-224" => 28,
            "sha-256" => 32,
            "sha-384" => 48,
            "sha-512" => 64,
            _ => return None,
        })
    }
}

impl AttributeValue for Fingerprint {
    const NAME: &'static str = "fingerprint";

    fn parse_value(value: Option<&str>) -> Result<Self, AttributeError> {
        const RULE: &str = "expected <hash-func> <2 uppercase hex digits>*(:<2 uppercase hex digits>) (RFC 8122 §5)";
        let v = required(Self::NAME, value, RULE)?;
        let (func, hex) = v
            .split_once(' ')
            .ok_or(AttributeError::new(Self::NAME, RULE))?;
        if !is_token(func) {
            return Err(AttributeError::new(Self::NAME, RULE));
        }
        let upper_hex = |b: u8| match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'A'..=b'F' => Some(b - b'A' + 10),
            _ => None,
        };
        let mut bytes = Vec::with_capacity(hex.len() / 3 + 1);
        for pair in hex.split(':') {
            let &[hi, lo] = pair.as_bytes() else {
                return Err(AttributeError::new(Self::NAME, RULE));
            };
            let (Some(hi), Some(lo)) = (upper_hex(hi), upper_hex(lo)) else {
                return Err(AttributeError::new(Self::NAME, RULE));
            };
            bytes.push(hi << 4 | lo);
        }
        if Self::digest_len(func).is_some_and(|n| n != bytes.len()) {
            return Err(AttributeError::new(
                Self::NAME,
                "the fingerprint's length does not match its hash function (RFC 8122 §5)",
            ));
        }
        Ok(Fingerprint {
            hash_function: func.to_owned(),
            value: bytes,
        })
    }

    fn to_value(&self) -> Option<String> {
        let mut v = self.hash_function.clone();
        for (i, b) in self.value.iter().enumerate() {
            v.push(if i == 0 { ' ' } else { ':' });
            v.push_str(&format!("{b:02X}"));
        }
        Some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA256: &str = "sha-256 E7:E4:6F:24:9C:0B:9E:6A:1B:7F:59:3F:DA:6C:0C:5E:2A:4C:80:AB:13:91:C4:DE:6D:01:F1:7E:6B:5F:73:22";

    #[test]
    fn setup_roles() {
        for r in ["active", "passive", "actpass", "holdconn"] {
            assert_eq!(
                Setup::parse_value(Some(r)).unwrap().to_value().as_deref(),
                Some(r)
            );
        }
        assert!(Setup::parse_value(Some("ACTIVE")).is_err());
    }

    #[test]
    fn fingerprints_are_uppercase_hex_of_the_right_length() {
        let f = Fingerprint::parse_value(Some(SHA256)).unwrap();
        assert_eq!(f.value.len(), 32);
        assert_eq!(f.value[0], 0xE7);
        assert_eq!(f.to_value().as_deref(), Some(SHA256));
        assert!(Fingerprint::parse_value(Some(&SHA256.to_ascii_lowercase())).is_err());
        assert!(Fingerprint::parse_value(Some("sha-256 E7:E4")).is_err());
        assert!(Fingerprint::parse_value(Some("sha-1 E7:E4:")).is_err());
        assert!(Fingerprint::parse_value(Some("sha-256")).is_err());
        let other = Fingerprint::parse_value(Some("x-hash 0A:0B")).unwrap();
        assert_eq!(other.value, [10, 11]);
    }
}
