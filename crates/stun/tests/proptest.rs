//! Property tests: a message built from random attributes reads back with
//! the same attributes, its integrity verifies with the key it was built
//! with and with no other, and any changed byte is caught.

use std::net::SocketAddr;

use proptest::prelude::*;
use rtw_stun::attributes::{IceControlled, Priority, Software, Username, XorMappedAddress};
use rtw_stun::{
    AttributeType, Class, IntegrityAlgorithm, Message, MessageBuilder, MessageType, Method,
    TransactionId,
};

#[derive(Debug, Clone)]
struct Spec {
    tid: [u8; 12],
    username: String,
    software: Option<String>,
    priority: u32,
    tie_breaker: u64,
    mapped: SocketAddr,
    optional: Vec<(u16, Vec<u8>)>,
    key: Vec<u8>,
    sha256: Option<usize>,
    sha1: bool,
    fingerprint: bool,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        any::<[u8; 12]>(),
        "[a-zA-Z0-9:+/]{1,64}",
        proptest::option::of("\\PC{0,40}"),
        any::<u32>(),
        any::<u64>(),
        any::<SocketAddr>(),
        proptest::collection::vec(
            (
                0x8100u16..0xFFFF,
                proptest::collection::vec(any::<u8>(), 0..40),
            ),
            0..4,
        ),
        proptest::collection::vec(any::<u8>(), 1..64),
        proptest::option::of(prop_oneof![
            Just(16usize),
            Just(20),
            Just(24),
            Just(28),
            Just(32)
        ]),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(
                tid,
                username,
                software,
                priority,
                tie_breaker,
                mapped,
                optional,
                key,
                sha256,
                sha1,
                fingerprint,
            )| Spec {
                tid,
                username,
                software,
                priority,
                tie_breaker,
                mapped,
                optional,
                key,
                // At least one integrity attribute.
                sha1: sha1 || sha256.is_none(),
                sha256,
                fingerprint,
            },
        )
}

fn build(s: &Spec) -> Vec<u8> {
    let typ = MessageType::new(Method::BINDING, Class::Request);
    let mut b = MessageBuilder::new(typ, TransactionId(s.tid));
    b.add(&Username::new(&s.username).unwrap()).unwrap();
    if let Some(sw) = &s.software {
        b.add(&Software::new(sw).unwrap()).unwrap();
    }
    b.add(&Priority(s.priority)).unwrap();
    b.add(&IceControlled(s.tie_breaker)).unwrap();
    b.add(&XorMappedAddress(s.mapped)).unwrap();
    for (typ, value) in &s.optional {
        b.add_raw(AttributeType(*typ), value).unwrap();
    }
    if s.sha1 {
        b.add_message_integrity(&s.key).unwrap();
    }
    if let Some(len) = s.sha256 {
        b.add_message_integrity_sha256(&s.key, len).unwrap();
    }
    if s.fingerprint {
        b.add_fingerprint().unwrap();
    }
    b.finish().to_vec()
}

/// What `verify_fingerprint` gives for a message built with or without
/// FINGERPRINT: `Ok(true)`, or `MissingFingerprint` as `verify_integrity`
/// gives `MissingIntegrity`.
fn fingerprint_verdict(present: bool) -> Result<bool, rtw_stun::Error> {
    if present {
        Ok(true)
    } else {
        Err(rtw_stun::Error::MissingFingerprint)
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4096, ..ProptestConfig::default() })]

    #[test]
    fn build_then_read(s in spec()) {
        let bytes = build(&s);
        let msg = Message::parse(&bytes).unwrap();
        prop_assert_eq!(msg.transaction_id(), TransactionId(s.tid));
        let username = msg.get::<Username>().unwrap().unwrap();
        prop_assert_eq!(&*format!("{username:?}"), &*format!("{:?}", Username::new(&s.username).unwrap()));
        prop_assert_eq!(msg.get::<Priority>().unwrap().unwrap(), Priority(s.priority));
        prop_assert_eq!(msg.get::<IceControlled>().unwrap().unwrap(), IceControlled(s.tie_breaker));
        let mapped = msg.get::<XorMappedAddress>().unwrap().unwrap().0;
        prop_assert_eq!(mapped.ip(), s.mapped.ip());
        prop_assert_eq!(mapped.port(), s.mapped.port());
        prop_assert_eq!(msg.software_present(), s.software.is_some());
        for (typ, value) in &s.optional {
            prop_assert!(msg.attributes().any(|a| a.typ.0 == *typ && a.value == &value[..]));
        }
        prop_assert_eq!(msg.check_unknown_attributes(), Ok(()));
        let expected = if s.sha256.is_some() { IntegrityAlgorithm::HmacSha256 } else { IntegrityAlgorithm::HmacSha1 };
        prop_assert_eq!(msg.verify_integrity(&s.key), Ok(expected));
        let mut other = s.key.clone();
        other[0] ^= 1;
        prop_assert_eq!(msg.verify_integrity(&other), Err(rtw_stun::Error::IntegrityMismatch));
        prop_assert_eq!(msg.verify_fingerprint(), fingerprint_verdict(s.fingerprint));
    }

    #[test]
    fn any_changed_byte_is_caught(s in spec(), at in any::<prop::sample::Index>(), flip in 1u8..=255) {
        let expected = if s.sha256.is_some() { IntegrityAlgorithm::HmacSha256 } else { IntegrityAlgorithm::HmacSha1 };
        let mut bytes = build(&s);
        // Change a byte of the type, cookie, transaction ID or attributes
        // (not the length field, which moves the frame instead).
        let i = 4 + at.index(bytes.len() - 4);
        bytes[i] ^= flip;
        let caught = match Message::parse(&bytes) {
            Err(_) => true,
            // A FINGERPRINT whose type code changed is an ignored attribute
            // after MESSAGE-INTEGRITY (RFC 8489 §14.5): the message then
            // reads as having none, which an agent expecting one notices.
            // Likewise a MESSAGE-INTEGRITY-SHA256 whose type code changed
            // leaves MESSAGE-INTEGRITY to verify: the algorithm changes,
            // which an agent that requires SHA-256 notices.
            Ok(m) => {
                m.verify_integrity(&s.key) != Ok(expected)
                    || m.verify_fingerprint() != fingerprint_verdict(s.fingerprint)
            }
        };
        prop_assert!(caught, "byte {} changed unnoticed", i);
    }
}

/// Whether SOFTWARE is present, through the raw accessor.
trait SoftwarePresent {
    fn software_present(&self) -> bool;
}

impl SoftwarePresent for Message<'_> {
    fn software_present(&self) -> bool {
        self.raw(AttributeType::SOFTWARE).is_some()
    }
}
