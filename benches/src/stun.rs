//! Inputs of the STUN benches (`benches/benches/stun.rs`): the RFC 5769
//! §2.1 sample request, an ICE connectivity check, and what it is made of.
//!
//! The sample is taken verbatim from the RFC. Its USERNAME and SOFTWARE are
//! padded with spaces (0x20), which RFC 8489 §14 allows, while the encoders
//! under test pad with zeros; [`zero_padded_request`] is the same request
//! with zero padding and MESSAGE-INTEGRITY and FINGERPRINT computed afresh,
//! the bytes every encoder should produce. It is assembled here by hand,
//! with `hmac`, `sha1` and `crc32fast`, not by any of the crates under test.

use hmac::{Hmac, KeyInit, Mac};

/// The RFC 5769 §2.1 sample request: a Binding request with SOFTWARE,
/// PRIORITY, ICE-CONTROLLED, USERNAME, MESSAGE-INTEGRITY and FINGERPRINT,
/// 108 bytes.
pub const SAMPLE_REQUEST: [u8; 108] = [
    0x00, 0x01, 0x00, 0x58, // Binding request, length 88
    0x21, 0x12, 0xa4, 0x42, // magic cookie
    0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, // transaction ID
    0x80, 0x22, 0x00, 0x10, // SOFTWARE, 16 bytes
    b'S', b'T', b'U', b'N', b' ', b't', b'e', b's', b't', b' ', b'c', b'l', b'i', b'e', b'n', b't',
    0x00, 0x24, 0x00, 0x04, // PRIORITY
    0x6e, 0x00, 0x01, 0xff, //
    0x80, 0x29, 0x00, 0x08, // ICE-CONTROLLED
    0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36, //
    0x00, 0x06, 0x00, 0x09, // USERNAME, 9 bytes and 3 bytes of padding
    b'e', b'v', b't', b'j', b':', b'h', b'6', b'v', b'Y', 0x20, 0x20, 0x20, //
    0x00, 0x08, 0x00, 0x14, // MESSAGE-INTEGRITY
    0x9a, 0xea, 0xa7, 0x0c, 0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49,
    0xc1, 0xb5, 0x71, 0xa2, //
    0x80, 0x28, 0x00, 0x04, // FINGERPRINT
    0xe5, 0x7a, 0x3b, 0xcf,
];

/// The short-term password of the sample; as it is plain ASCII, the key
/// (OpaqueString of the password, RFC 8489 §9.1.1) is its bytes.
pub const PASSWORD: &str = "VOkJxbRl1RmTxUk/WvJxBt";

/// Transaction ID of the sample.
pub const TRANSACTION_ID: [u8; 12] = [
    0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
];

/// SOFTWARE of the sample.
pub const SOFTWARE: &str = "STUN test client";

/// PRIORITY of the sample.
pub const PRIORITY: u32 = 0x6e00_01ff;

/// ICE-CONTROLLED (the tie-breaker) of the sample.
pub const ICE_CONTROLLED: u64 = 0x932f_f9b1_5126_3b36;

/// USERNAME of the sample.
pub const USERNAME: &str = "evtj:h6vY";

/// Offset of MESSAGE-INTEGRITY in the sample (and in
/// [`zero_padded_request`]): the bytes it covers.
pub const INTEGRITY_OFFSET: usize = 76;

/// HMAC-SHA1 of `data` with `key`, as the floor bench computes it: a keyed
/// HMAC set up, fed and finished once per call.
pub fn hmac_sha1(key: &[u8], data: &[u8]) -> [u8; 20] {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// The sample request with zero padding instead of spaces, and
/// MESSAGE-INTEGRITY and FINGERPRINT recomputed for it (RFC 8489 §14.5,
/// §14.7): the message every encoder should write for the sample's
/// attributes, in the sample's order.
pub fn zero_padded_request() -> Vec<u8> {
    let mut msg = Vec::with_capacity(SAMPLE_REQUEST.len());
    msg.extend_from_slice(&[0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42]);
    msg.extend_from_slice(&TRANSACTION_ID);
    push_attr(&mut msg, 0x8022, SOFTWARE.as_bytes());
    push_attr(&mut msg, 0x0024, &PRIORITY.to_be_bytes());
    push_attr(&mut msg, 0x8029, &ICE_CONTROLLED.to_be_bytes());
    push_attr(&mut msg, 0x0006, USERNAME.as_bytes());
    debug_assert_eq!(msg.len(), INTEGRITY_OFFSET);

    // MESSAGE-INTEGRITY covers everything before it, with the length field
    // counting up to its own end.
    set_len(&mut msg, INTEGRITY_OFFSET + 24);
    let mac = hmac_sha1(PASSWORD.as_bytes(), &msg);
    push_attr(&mut msg, 0x0008, &mac);

    // FINGERPRINT likewise, CRC-32 XOR "STUN".
    let total = msg.len() + 8;
    set_len(&mut msg, total);
    let crc = crc32fast::hash(&msg) ^ 0x5354_554e;
    push_attr(&mut msg, 0x8028, &crc.to_be_bytes());
    debug_assert_eq!(msg.len(), SAMPLE_REQUEST.len());
    msg
}

/// Append an attribute, padded with zeros to a multiple of 4.
fn push_attr(msg: &mut Vec<u8>, typ: u16, value: &[u8]) {
    msg.extend_from_slice(&typ.to_be_bytes());
    let len = u16::try_from(value.len()).expect("short value");
    msg.extend_from_slice(&len.to_be_bytes());
    msg.extend_from_slice(value);
    msg.resize(msg.len() + (4 - value.len() % 4) % 4, 0);
}

/// Set the header's length field for a message of `total` bytes.
fn set_len(msg: &mut [u8], total: usize) {
    let len = u16::try_from(total - 20).expect("short message");
    msg[2..4].copy_from_slice(&len.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sample's MESSAGE-INTEGRITY and FINGERPRINT check out with the
    /// helpers here, so [`zero_padded_request`] is computed the right way.
    #[test]
    fn helpers_reproduce_the_sample() {
        let mut covered = SAMPLE_REQUEST[..INTEGRITY_OFFSET].to_vec();
        set_len(&mut covered, INTEGRITY_OFFSET + 24);
        assert_eq!(
            hmac_sha1(PASSWORD.as_bytes(), &covered),
            SAMPLE_REQUEST[INTEGRITY_OFFSET + 4..INTEGRITY_OFFSET + 24]
        );
        let crc = crc32fast::hash(&SAMPLE_REQUEST[..100]) ^ 0x5354_554e;
        assert_eq!(crc.to_be_bytes(), SAMPLE_REQUEST[104..]);
    }

    #[test]
    fn zero_padded_differs_only_in_padding_and_checks() {
        let z = zero_padded_request();
        assert_eq!(z.len(), SAMPLE_REQUEST.len());
        let differ: Vec<usize> = (0..z.len())
            .filter(|&i| z[i] != SAMPLE_REQUEST[i])
            .collect();
        // Three padding bytes of USERNAME, then only MI and FINGERPRINT values.
        assert_eq!(&differ[..3], &[73, 74, 75]);
        assert!(
            differ[3..]
                .iter()
                .all(|&i| (80..100).contains(&i) || i >= 104)
        );
    }

    #[test]
    fn rtw_verifies_both() {
        let key = rtw_stun::key::short_term_key(PASSWORD).unwrap();
        for bytes in [&SAMPLE_REQUEST[..], &zero_padded_request()] {
            let msg = rtw_stun::Message::parse(bytes).unwrap();
            assert!(msg.verify_fingerprint().unwrap());
            msg.verify_integrity(&key).unwrap();
        }
    }
}
