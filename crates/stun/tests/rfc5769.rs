//! RFC 5769 "Test Vectors for STUN", the four sample messages verbatim:
//! each parses, verifies MESSAGE-INTEGRITY and FINGERPRINT with the given
//! credentials, and re-encodes byte-exactly.

use rtw_stun::key::{PasswordAlgorithm, long_term_key, short_term_key};
use rtw_stun::{AttributeType, IntegrityAlgorithm, Message, MessageBuilder};

// The four samples and their credentials, written once in rtw-testkit.
use rtw_testkit::hex;
use rtw_testkit::rfc5769::{
    LONG_TERM_PASSWORD, LONG_TERM_USERNAME, REALM, REQUEST, REQUEST_LONG_TERM, RESPONSE_V4,
    RESPONSE_V6, SHORT_TERM_PASSWORD,
};

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
    let key = long_term_key(
        LONG_TERM_USERNAME,
        REALM,
        LONG_TERM_PASSWORD,
        PasswordAlgorithm::Md5,
    )
    .unwrap();
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
