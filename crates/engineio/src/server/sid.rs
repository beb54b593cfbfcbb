//! Session ids.

use std::fmt;

use rtw_core::Random;

/// A session id: 20 characters of base64url (120 bits from the server's
/// [`Random`]).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sid([u8; 20]);

impl Sid {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// Reads a sid from text: exactly 20 characters of `[A-Za-z0-9_-]`.
    pub fn parse(text: &str) -> Option<Sid> {
        let bytes: [u8; 20] = text.as_bytes().try_into().ok()?;
        bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
            .then_some(Sid(bytes))
    }

    pub(super) fn random(random: &mut dyn Random) -> Sid {
        use base64::Engine as _;
        let mut raw = [0u8; 15];
        random.fill_bytes(&mut raw);
        let mut out = [0u8; 20];
        let n = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode_slice(raw, &mut out)
            .unwrap_or_default();
        debug_assert_eq!(n, 20);
        Sid(out)
    }
}

impl fmt::Debug for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sid({})", self.as_str())
    }
}

impl fmt::Display for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sids_are_20_url_safe_characters() {
        let mut r = rtw_core::SeededRandom::new(1);
        let sid = Sid::random(&mut r);
        assert_eq!(sid.as_str().len(), 20);
        assert_eq!(Sid::parse(sid.as_str()), Some(sid));
        assert_eq!(Sid::parse("short"), None);
        assert_eq!(Sid::parse("aaaaaaaaaaaaaaaaaaa/"), None);
    }
}
