//! `Limits` (attributes per message, message size) and the split of
//! `Error` into peer faults and caller misuse.

use rtw_stun::attributes::Software;
use rtw_stun::{Class, Error, Limits, Message, MessageBuilder, MessageType, Method, TransactionId};

fn with_attributes(n: usize) -> bytes::BytesMut {
    let typ = MessageType::new(Method::BINDING, Class::Request);
    let mut b = MessageBuilder::new(typ, TransactionId([9; 12]));
    for _ in 0..n {
        b.add(&Software::new("x").unwrap()).unwrap();
    }
    b.finish()
}

#[test]
fn attributes_are_counted_against_the_limit() {
    let limits = Limits::default();
    assert_eq!(limits.max_attributes, 128);
    assert!(Message::parse(&with_attributes(128)).is_ok());
    let err = Message::parse(&with_attributes(129)).unwrap_err();
    assert_eq!(err, Error::TooManyAttributes(128));
    assert!(err.is_peer_fault());
    assert_eq!(err.error_code(), Some(400));
    let tight = Limits::default().max_attributes(3);
    assert!(Message::parse_with_limits(&with_attributes(3), &tight).is_ok());
    assert_eq!(
        Message::parse_with_limits(&with_attributes(4), &tight),
        Err(Error::TooManyAttributes(3))
    );
}

#[test]
fn size_is_checked_before_anything_else() {
    let msg = with_attributes(10); // 20 + 10 * 8 bytes
    assert_eq!(msg.len(), 100);
    let limits = Limits::default().max_message_size(99);
    assert_eq!(
        Message::parse_with_limits(&msg, &limits),
        Err(Error::MessageTooLarge {
            len: 100,
            limit: 99
        })
    );
    // Even garbage is refused by size first.
    assert_eq!(
        Message::parse_with_limits(&[0xff; 100], &limits),
        Err(Error::MessageTooLarge {
            len: 100,
            limit: 99
        })
    );
    assert!(Message::parse_with_limits(&msg, &limits.max_message_size(100)).is_ok());
}

#[test]
fn caller_misuse_is_not_a_peer_fault() {
    let typ = MessageType::new(Method::BINDING, Class::Request);
    let mut b = MessageBuilder::new(typ, TransactionId([1; 12]));
    b.add_fingerprint().unwrap();
    let err = b.add(&Software::new("late").unwrap()).unwrap_err();
    assert_eq!(err, Error::AfterFingerprint);
    assert!(!err.is_peer_fault());
    assert_eq!(err.error_code(), None);
    let err = Message::parse(&[0; 4]).unwrap_err();
    assert!(err.is_peer_fault());
}
