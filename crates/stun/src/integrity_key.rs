//! [`IntegrityKey`]: a key for MESSAGE-INTEGRITY and
//! MESSAGE-INTEGRITY-SHA256 with its HMAC pads hashed once.
//!
//! HMAC (RFC 2104 §2) hashes `key XOR ipad` and `key XOR opad`, one block
//! each, before any message byte. Those two blocks depend on the key
//! alone, and a key serves every message of an ICE session (short-term
//! credentials, RFC 8489 §9.1) or of a TURN allocation (long-term
//! credentials, §9.2). An [`IntegrityKey`] hashes them once per hash
//! function, on first use of that function; each message then clones the
//! keyed state, which saves two of the five SHA-1 compressions of a
//! typical 100-byte Binding request.

use std::sync::OnceLock;

use hmac::{KeyInit, Mac};

/// HMAC-SHA1 of MESSAGE-INTEGRITY (RFC 8489 §14.5).
type HmacSha1 = hmac::Hmac<sha1::Sha1>;
/// HMAC-SHA256 of MESSAGE-INTEGRITY-SHA256 (RFC 8489 §14.6).
type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// A MESSAGE-INTEGRITY key made ready once, to sign and verify many
/// messages (see the module docs for what is saved).
///
/// Every method that takes a key, [`Message::verify_integrity`] and
/// [`MessageBuilder::add_message_integrity`] among them, takes either raw
/// key bytes (the output of [`crate::key::short_term_key`] or
/// [`crate::key::long_term_key`]) or an `IntegrityKey`; both give the same
/// bytes on the wire.
///
/// ```
/// use rtw_stun::{Class, IntegrityKey, Message, MessageBuilder, MessageType, Method, TransactionId};
///
/// let key = IntegrityKey::new(&rtw_stun::key::short_term_key("VOkJxbRl1RmTxUk/WvJxBt")?);
/// let typ = MessageType::new(Method::BINDING, Class::Request);
/// let signed = MessageBuilder::new(typ, TransactionId([7; 12]))
///     .with_message_integrity(&key)?
///     .finish();
/// Message::parse(&signed)?.verify_integrity(&key)?;
/// # Ok::<(), rtw_stun::Error>(())
/// ```
///
/// [`Message::verify_integrity`]: crate::Message::verify_integrity
/// [`MessageBuilder::add_message_integrity`]: crate::MessageBuilder::add_message_integrity
#[derive(Clone)]
pub struct IntegrityKey {
    key: Vec<u8>,
    sha1: OnceLock<HmacSha1>,
    sha256: OnceLock<HmacSha256>,
}

impl IntegrityKey {
    /// A key from its bytes. The pads are hashed when a function first
    /// needs them, so that a key used only with MESSAGE-INTEGRITY never
    /// pays for SHA-256.
    pub fn new(key: &[u8]) -> Self {
        IntegrityKey {
            key: key.to_vec(),
            sha1: OnceLock::new(),
            sha256: OnceLock::new(),
        }
    }

    /// The key bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.key
    }
}

impl PartialEq for IntegrityKey {
    /// Keys are equal when their bytes are, compared in constant time.
    fn eq(&self, other: &Self) -> bool {
        use subtle::ConstantTimeEq;
        bool::from(self.key.ct_eq(&other.key))
    }
}

impl Eq for IntegrityKey {}

impl std::fmt::Debug for IntegrityKey {
    /// The key is secret: only the type is shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IntegrityKey { .. }")
    }
}

/// What a MESSAGE-INTEGRITY key can be given as: raw key bytes (`[u8]`,
/// `[u8; N]`, `Vec<u8>`) or an [`IntegrityKey`], which computes the same
/// MACs faster.
///
/// Sealed: the integrity methods are the only users.
pub trait AsIntegrityKey: sealed::Sealed {
    /// HMAC-SHA1 of `pieces`, in order.
    #[doc(hidden)]
    fn hmac_sha1(&self, pieces: &[&[u8]]) -> [u8; 20];
    /// HMAC-SHA256 of `pieces`, in order.
    #[doc(hidden)]
    fn hmac_sha256(&self, pieces: &[&[u8]]) -> [u8; 32];
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for [u8] {}
    impl<const N: usize> Sealed for [u8; N] {}
    impl Sealed for Vec<u8> {}
    impl Sealed for super::IntegrityKey {}
}

fn run<M: Mac>(mut mac: M, pieces: &[&[u8]]) -> hmac::digest::Output<M> {
    pieces.iter().for_each(|p| mac.update(p));
    mac.finalize().into_bytes()
}

impl AsIntegrityKey for [u8] {
    fn hmac_sha1(&self, pieces: &[&[u8]]) -> [u8; 20] {
        let mac = HmacSha1::new_from_slice(self).expect("HMAC takes a key of any length");
        run(mac, pieces).into()
    }
    fn hmac_sha256(&self, pieces: &[&[u8]]) -> [u8; 32] {
        let mac = HmacSha256::new_from_slice(self).expect("HMAC takes a key of any length");
        run(mac, pieces).into()
    }
}

impl<const N: usize> AsIntegrityKey for [u8; N] {
    fn hmac_sha1(&self, pieces: &[&[u8]]) -> [u8; 20] {
        self[..].hmac_sha1(pieces)
    }
    fn hmac_sha256(&self, pieces: &[&[u8]]) -> [u8; 32] {
        self[..].hmac_sha256(pieces)
    }
}

impl AsIntegrityKey for Vec<u8> {
    fn hmac_sha1(&self, pieces: &[&[u8]]) -> [u8; 20] {
        self[..].hmac_sha1(pieces)
    }
    fn hmac_sha256(&self, pieces: &[&[u8]]) -> [u8; 32] {
        self[..].hmac_sha256(pieces)
    }
}

impl AsIntegrityKey for IntegrityKey {
    fn hmac_sha1(&self, pieces: &[&[u8]]) -> [u8; 20] {
        let keyed = self.sha1.get_or_init(|| {
            HmacSha1::new_from_slice(&self.key).expect("HMAC takes a key of any length")
        });
        run(keyed.clone(), pieces).into()
    }
    fn hmac_sha256(&self, pieces: &[&[u8]]) -> [u8; 32] {
        let keyed = self.sha256.get_or_init(|| {
            HmacSha256::new_from_slice(&self.key).expect("HMAC takes a key of any length")
        });
        run(keyed.clone(), pieces).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The precomputed key gives the MACs of the raw key, for keys
    /// shorter than, equal to and longer than the 64-byte block (a longer
    /// key is hashed first, RFC 2104 §2).
    #[test]
    fn same_macs_as_the_raw_key() {
        for len in [0, 1, 16, 20, 32, 63, 64, 65, 200] {
            let raw: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
            let key = IntegrityKey::new(&raw);
            let pieces: &[&[u8]] = &[b"\x00\x01", b"\x00\x50", &[0xAB; 97]];
            // Twice each: once hashing the pads, once from the kept state.
            for _ in 0..2 {
                assert_eq!(key.hmac_sha1(pieces), raw.hmac_sha1(pieces), "{len}");
                assert_eq!(key.hmac_sha256(pieces), raw.hmac_sha256(pieces), "{len}");
            }
            assert_eq!(key.as_bytes(), &raw[..]);
            assert_eq!(key, IntegrityKey::new(&raw));
        }
    }

    /// RFC 2202 §3 test case 2: HMAC-SHA1 with key "Jefe".
    #[test]
    fn rfc2202_vector() {
        let key = IntegrityKey::new(b"Jefe");
        let mac = key.hmac_sha1(&[b"what do ya want ", b"for nothing?"]);
        let expected = [
            0xef, 0xfc, 0xdf, 0x6a, 0xe5, 0xeb, 0x2f, 0xa2, 0xd2, 0x74, 0x16, 0xd5, 0xf1, 0x84,
            0xdf, 0x9c, 0x25, 0x9a, 0x7c, 0x79,
        ];
        assert_eq!(mac, expected);
    }

    #[test]
    fn debug_hides_the_key() {
        assert_eq!(
            format!("{:?}", IntegrityKey::new(b"secret")),
            "IntegrityKey { .. }"
        );
    }
}
