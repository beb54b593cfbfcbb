//! `Sec-WebSocket-Key` and `Sec-WebSocket-Accept` (RFC 6455 §4.1, §4.2.2).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha1::{Digest, Sha1};

use crate::Random;

/// The GUID a server appends to the client's key before hashing
/// (RFC 6455 §1.3, §4.2.2 item 5.4).
pub const ACCEPT_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// The only `Sec-WebSocket-Version` this crate speaks (RFC 6455 §4.1 item 9,
/// §4.4).
pub const WEBSOCKET_VERSION: &str = "13";

/// The `Sec-WebSocket-Accept` value for a `Sec-WebSocket-Key` (RFC 6455 §1.3,
/// §4.2.2 item 5.4): base64 of the SHA-1 of the key followed by
/// [`ACCEPT_GUID`].
///
/// `key` is the header value as sent (the base64 text, not the 16 bytes it
/// decodes to).
///
/// ```
/// use rtw_ws::handshake::accept_key;
/// assert_eq!(accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
/// ```
pub fn accept_key(key: &[u8]) -> String {
    let mut sha = Sha1::new();
    sha.update(key);
    sha.update(ACCEPT_GUID.as_bytes());
    STANDARD.encode(sha.finalize())
}

/// A fresh `Sec-WebSocket-Key`: base64 of 16 bytes from `rng` (RFC 6455 §4.1
/// item 7).
pub(crate) fn generate_key<R: Random + ?Sized>(rng: &mut R) -> String {
    let mut nonce = [0u8; 16];
    rng.fill_bytes(&mut nonce);
    STANDARD.encode(nonce)
}

/// Whether `value` is the base64 (RFC 4648 §4, canonical padding) of exactly
/// 16 bytes, as RFC 6455 §4.2.1 item 5 requires of `Sec-WebSocket-Key`.
pub(crate) fn is_valid_key(value: &[u8]) -> bool {
    // 16 bytes encode to 22 characters plus "==": checking the length first
    // keeps decoding bounded whatever the peer sent.
    if value.len() != 24 {
        return false;
    }
    let mut out = [0u8; 18];
    matches!(STANDARD.decode_slice(value, &mut out), Ok(16))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6455_section_1_3_example() {
        assert_eq!(
            accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn generated_keys_are_valid_and_come_from_the_source() {
        let mut nonce = |d: &mut [u8]| d.copy_from_slice(b"the sample nonce");
        let key = generate_key(&mut nonce);
        assert_eq!(key, "dGhlIHNhbXBsZSBub25jZQ==");
        assert!(is_valid_key(key.as_bytes()));
        let mut rng = crate::SeededRandom::new(3);
        let (a, b) = (generate_key(&mut rng), generate_key(&mut rng));
        assert_ne!(a, b);
        assert!(is_valid_key(a.as_bytes()) && is_valid_key(b.as_bytes()));
    }

    #[test]
    fn keys_of_the_wrong_length_or_alphabet_are_invalid() {
        for bad in [
            &b""[..],
            b"dGhlIHNhbXBsZSBub25jZQ",         // padding missing
            b"dGhlIHNhbXBsZSBub25jZQ=",        // padding short
            b"dGhlIHNhbXBsZSBub25jZSE=",       // 17 bytes
            b"dGhlIHNhbXBsZSBub25j",           // 15 bytes
            b"dGhlIHNhbXBsZSBub25jZR==",       // non-zero trailing bits
            b"dGhlIHNhbXBsZSBub25jZQ-=",       // URL-safe alphabet
            b"dGhlIHNhbXBs ZSBub25jZQ=",       // space inside
            b"dGhlIHNhbXBsZSBub25jZQ==dGhlIH", // too long
        ] {
            assert!(!is_valid_key(bad), "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
