//! `MessageBuilder`: the by-value chain (`with*`) writes the same bytes as
//! the `&mut` methods (`add*`), and keeps the order rules of RFC 8489
//! §14.5-§14.7.

use rtw_stun::attributes::{Software, Username};
use rtw_stun::key::short_term_key;
use rtw_stun::{
    AttributeType, Class, Error, IntegrityAlgorithm, Message, MessageBuilder, MessageType, Method,
    TransactionId,
};

const TID: TransactionId = TransactionId([0x42; 12]);

fn new() -> MessageBuilder {
    MessageBuilder::new(MessageType::new(Method::BINDING, Class::Request), TID)
}

fn chained(key: &[u8]) -> Result<Vec<u8>, Error> {
    Ok(new()
        .padding_byte(0x20)
        .with(&Username::new("alice:bob")?)?
        .with_raw(AttributeType(0x8030), b"odd")?
        .with_message_integrity(key)?
        .with_message_integrity_sha256(key, 24)?
        .with_fingerprint()?
        .finish()
        .to_vec())
}

fn step_by_step(key: &[u8]) -> Vec<u8> {
    let mut b = new().padding_byte(0x20);
    b.add(&Username::new("alice:bob").unwrap()).unwrap();
    b.add_raw(AttributeType(0x8030), b"odd").unwrap();
    b.add_message_integrity(key).unwrap();
    b.add_message_integrity_sha256(key, 24).unwrap();
    b.add_fingerprint().unwrap();
    b.finish().to_vec()
}

#[test]
fn a_chain_writes_the_same_bytes_as_the_mut_methods() {
    let key = short_term_key("secret").unwrap();
    let bytes = chained(&key).unwrap();
    assert_eq!(bytes, step_by_step(&key));

    let msg = Message::parse(&bytes).unwrap();
    assert_eq!(
        msg.get::<Username>().unwrap().unwrap().as_str(),
        "alice:bob"
    );
    assert_eq!(msg.raw(AttributeType(0x8030)).unwrap().value, b"odd");
    // The padding byte was used after the 3-byte value.
    assert_eq!(bytes[20 + 4 + 12 + 4 + 3], 0x20);
    assert_eq!(
        msg.verify_integrity(&key),
        Ok(IntegrityAlgorithm::HmacSha256)
    );
    assert_eq!(msg.verify_fingerprint(), Ok(true));
}

#[test]
fn a_chain_keeps_the_order_rules() {
    let key = short_term_key("secret").unwrap();
    let software = Software::new("late").unwrap();
    let after_integrity = new()
        .with_message_integrity(&key)
        .and_then(|b| b.with(&software));
    assert_eq!(after_integrity.unwrap_err(), Error::AfterIntegrity);

    let after_sha256 = new()
        .with_message_integrity_sha256(&key, 32)
        .and_then(|b| b.with_message_integrity(&key));
    assert_eq!(after_sha256.unwrap_err(), Error::AfterIntegrity);

    let after_fingerprint = new()
        .with_fingerprint()
        .and_then(|b| b.with_raw(AttributeType(0x8030), b""));
    assert_eq!(after_fingerprint.unwrap_err(), Error::AfterFingerprint);

    let bad_len = new().with_message_integrity_sha256(&key, 18);
    assert!(matches!(bad_len, Err(Error::ValueTooLong { .. })));
}

#[test]
fn verify_fingerprint_and_verify_integrity_report_a_missing_attribute_alike() {
    let key = short_term_key("secret").unwrap();
    let bare = new().finish();
    let bare = Message::parse(&bare).unwrap();
    assert_eq!(bare.verify_integrity(&key), Err(Error::MissingIntegrity));
    assert_eq!(bare.verify_fingerprint(), Err(Error::MissingFingerprint));
    assert_eq!(Error::MissingFingerprint.error_code(), Some(400));

    // Both present and right.
    let both = new()
        .with_message_integrity(&key)
        .and_then(MessageBuilder::with_fingerprint)
        .unwrap()
        .finish();
    let mut bytes = both.to_vec();
    let msg = Message::parse(&bytes).unwrap();
    assert_eq!(msg.verify_integrity(&key), Ok(IntegrityAlgorithm::HmacSha1));
    assert_eq!(msg.verify_fingerprint(), Ok(true));

    // Both present and wrong: one mismatch error each.
    bytes[8] ^= 1;
    let msg = Message::parse(&bytes).unwrap();
    assert_eq!(msg.verify_integrity(&key), Err(Error::IntegrityMismatch));
    assert_eq!(msg.verify_fingerprint(), Err(Error::FingerprintMismatch));
}
