//! RFC 5769 "Test Vectors for STUN", the four sample messages verbatim:
//! each parses, verifies MESSAGE-INTEGRITY and FINGERPRINT with the given
//! credentials, and re-encodes byte-exactly.

use rtw_stun::key::{PasswordAlgorithm, long_term_key, short_term_key};
use rtw_stun::{AttributeType, IntegrityAlgorithm, Message, MessageBuilder};

fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s
        .split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).expect("hex byte"))
        .collect();
    digits
}

/// §2.1 Sample Request (short-term credentials).
const REQUEST: &str = "
    00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
    80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74
    00 24 00 04 6e 00 01 ff
    80 29 00 08 93 2f f9 b1 51 26 3b 36
    00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20
    00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2
    80 28 00 04 e5 7a 3b cf";

/// §2.2 Sample IPv4 Response.
const RESPONSE_V4: &str = "
    01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
    80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
    00 20 00 08 00 01 a1 47 e1 12 a6 43
    00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7
    80 28 00 04 c0 7d 4c 96";

/// §2.3 Sample IPv6 Response.
const RESPONSE_V6: &str = "
    01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
    80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
    00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9
    00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41
    80 28 00 04 c8 fb 0b 4c";

/// §2.4 Sample Request with Long-Term Authentication.
const REQUEST_LONG_TERM: &str = "
    00 01 00 60 21 12 a4 42 78 ad 34 33 c6 ad 72 c0 29 da 41 2e
    00 06 00 12 e3 83 9e e3 83 88 e3 83 aa e3 83 83 e3 82 af e3 82 b9 00 00
    00 15 00 1c 66 2f 2f 34 39 39 6b 39 35 34 64 36 4f 4c 33 34 6f 4c 39 46 53 54 76 79 36 34 73 41
    00 14 00 0b 65 78 61 6d 70 6c 65 2e 6f 72 67 00
    00 08 00 14 f6 70 24 65 6d d6 4a 3e 02 b8 e0 71 2e 85 c9 a2 8c a8 96 66";

const SHORT_TERM_PASSWORD: &str = "VOkJxbRl1RmTxUk/WvJxBt";

/// Rebuild `msg` from its attributes with the builder computing
/// MESSAGE-INTEGRITY and FINGERPRINT afresh.
fn rebuild(msg: &Message<'_>, key: &[u8], padding: u8) -> Vec<u8> {
    let mut b = MessageBuilder::new(msg.message_type(), msg.transaction_id()).padding_byte(padding);
    for a in msg.attributes() {
        match a.typ {
            AttributeType::MESSAGE_INTEGRITY => {
                b.add_message_integrity(key).unwrap();
            }
            AttributeType::FINGERPRINT => {
                b.add_fingerprint().unwrap();
            }
            _ => {
                b.add_raw(a.typ, a.value).unwrap();
            }
        }
    }
    b.finish().to_vec()
}

fn check(vector: &str, key: &[u8], padding: u8, fingerprinted: bool) {
    let bytes = hex(vector);
    let msg = Message::parse(&bytes).unwrap();
    assert_eq!(msg.verify_integrity(key), Ok(IntegrityAlgorithm::HmacSha1));
    if fingerprinted {
        assert_eq!(msg.verify_fingerprint(), Ok(true));
    } else {
        assert_eq!(
            msg.verify_fingerprint(),
            Err(rtw_stun::Error::MissingFingerprint)
        );
    }
    assert_eq!(msg.check_unknown_attributes(), Ok(()));
    assert_eq!(
        rebuild(&msg, key, padding),
        bytes,
        "re-encoded byte-exactly"
    );
    // One flipped bit anywhere before MESSAGE-INTEGRITY breaks it.
    let mut bad = bytes.clone();
    bad[30] ^= 1;
    let bad = Message::parse(&bad).unwrap();
    assert_eq!(
        bad.verify_integrity(key),
        Err(rtw_stun::Error::IntegrityMismatch)
    );
    if fingerprinted {
        assert_eq!(
            bad.verify_fingerprint(),
            Err(rtw_stun::Error::FingerprintMismatch)
        );
    }
}

#[test]
fn sample_request() {
    let key = short_term_key(SHORT_TERM_PASSWORD).unwrap();
    check(REQUEST, &key, 0x20, true);
}

#[test]
fn sample_ipv4_response() {
    let key = short_term_key(SHORT_TERM_PASSWORD).unwrap();
    check(RESPONSE_V4, &key, 0x20, true);
}

#[test]
fn sample_ipv6_response() {
    let key = short_term_key(SHORT_TERM_PASSWORD).unwrap();
    check(RESPONSE_V6, &key, 0x20, true);
}

#[test]
fn sample_request_long_term() {
    let username = "\u{30DE}\u{30C8}\u{30EA}\u{30C3}\u{30AF}\u{30B9}";
    let key = long_term_key(username, "example.org", "TheMatrIX", PasswordAlgorithm::Md5).unwrap();
    check(REQUEST_LONG_TERM, &key, 0x00, false);
}

#[test]
fn wrong_password_fails() {
    let bytes = hex(REQUEST);
    let msg = Message::parse(&bytes).unwrap();
    let key = short_term_key("wrong").unwrap();
    assert_eq!(
        msg.verify_integrity(&key),
        Err(rtw_stun::Error::IntegrityMismatch)
    );
}

#[test]
fn sample_request_is_one_builder_chain() {
    use rtw_stun::attributes::{IceControlled, Priority, Software, Username};
    use rtw_stun::{Class, MessageType, Method, TransactionId};

    let key = short_term_key(SHORT_TERM_PASSWORD).unwrap();
    let tid = TransactionId(
        hex("b7 e7 a7 01 bc 34 d6 86 fa 87 df ae")
            .try_into()
            .unwrap(),
    );
    let built = MessageBuilder::new(MessageType::new(Method::BINDING, Class::Request), tid)
        .padding_byte(0x20)
        .with(&Software::new("STUN test client").unwrap())
        .and_then(|b| b.with(&Priority(0x6e00_01ff)))
        .and_then(|b| b.with(&IceControlled(0x932f_f9b1_5126_3b36)))
        .and_then(|b| b.with(&Username::new("evtj:h6vY").unwrap()))
        .and_then(|b| b.with_message_integrity(&key))
        .and_then(|b| b.with_fingerprint())
        .unwrap()
        .finish();
    assert_eq!(built.to_vec(), hex(REQUEST));
}
