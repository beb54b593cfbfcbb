//! STUN: the RFC 5769 §2.1 sample request, an ICE connectivity check
//! (USERNAME, PRIORITY, ICE-CONTROLLED, SOFTWARE, MESSAGE-INTEGRITY,
//! FINGERPRINT), decoded with its MESSAGE-INTEGRITY and FINGERPRINT
//! verified, and encoded, rtw beside the peer crates a user would pick
//! instead. Inputs come from `rtw_benches::stun`.
//!
//! Group `stun_decode_verify`, per message: parse, check FINGERPRINT,
//! check MESSAGE-INTEGRITY with the short-term key, and read the four
//! other attributes as typed values (what an ICE agent answering the check
//! needs; the lazy readers would otherwise skip work the eager ones do).
//! Keys and decoders are made once, outside the timed loop.
//!
//! - `rtw`: [`rtw_stun::Message::parse`], `verify_fingerprint`,
//!   `verify_integrity`, `get`, with the key as an
//!   [`rtw_stun::IntegrityKey`], as the ICE agent and the TURN client and
//!   server keep it: its HMAC pads are hashed once, not per message.
//! - `rtw_raw_key`: the same with the key as plain bytes, hashed per
//!   message like every peer's.
//! - `stun-rs`: its `MessageDecoder` with the key and validation on, which
//!   checks MESSAGE-INTEGRITY and FINGERPRINT while decoding every
//!   attribute eagerly into owned values.
//! - `stun_codec`: its bytecodec `MessageDecoder` over an attribute enum of
//!   RFC 5389 and RFC 5245 (ICE) attributes. It checks FINGERPRINT while
//!   decoding (by re-encoding the message before it); MESSAGE-INTEGRITY
//!   keeps a re-encoded copy of the preceding message, checked afterwards
//!   with `check_short_term_credential`. (It keeps the padding bytes it
//!   read, so it verifies the sample's space padding too.)
//! - `stun-types`: `Message::from_bytes` (which checks FINGERPRINT),
//!   `validate_integrity_with_key`, and `attribute` for USERNAME and
//!   SOFTWARE. It has no typed PRIORITY or ICE-CONTROLLED (those live in
//!   other crates), so those two are read from their raw values.
//! - `hmac_sha1_floor`: HMAC-SHA1 of the 108 sample bytes with the same
//!   key, nothing else: the one computation every verifier must do (the
//!   76 bytes MESSAGE-INTEGRITY covers take as many SHA-1 blocks as 108).
//!   It hashes the key's pads, as every peer does per message; `rtw`,
//!   which does not, can be faster than this floor.
//!
//! Group `stun_encode`, per message: from the plain values (transaction
//! ID, texts, numbers, key) to the wire bytes of the same request with
//! MESSAGE-INTEGRITY and FINGERPRINT, through each crate's own message
//! representation (`rtw` with an [`rtw_stun::IntegrityKey`],
//! `rtw_raw_key` with the key's bytes, both into one reused buffer with
//! `MessageBuilder::new_in`, as `stun-rs` writes into one reused array);
//! every output is checked untimed to equal
//! [`zero_padded_request`] byte for byte. `stun-types` writes PRIORITY and
//! ICE-CONTROLLED as raw attributes, for the reason above. `stun_codec`
//! computes MESSAGE-INTEGRITY and FINGERPRINT by encoding the message so
//! far, so it encodes three times per message: that is its API.
//!
//! Throughput is in messages (elements/s). Run with
//! `cargo bench -p rtw-benches --bench stun`.

use std::hint::black_box;

use bytecodec::{DecodeExt, EncodeExt};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rtw_benches::Group;
use rtw_benches::stun::{
    ICE_CONTROLLED, PASSWORD, PRIORITY, SAMPLE_REQUEST, SOFTWARE, TRANSACTION_ID, USERNAME,
    hmac_sha1, zero_padded_request,
};

rtw_benches::count_allocations!();

/// What every decoder hands back: the four attributes besides the checks.
#[derive(Debug, PartialEq, Eq)]
struct Decoded<'a> {
    username: &'a str,
    priority: u32,
    ice_controlled: u64,
    software: &'a str,
}

const EXPECTED: Decoded<'static> = Decoded {
    username: USERNAME,
    priority: PRIORITY,
    ice_controlled: ICE_CONTROLLED,
    software: SOFTWARE,
};

// ---------------------------------------------------------------- rtw

mod rtw {
    use rtw_stun::attributes::{IceControlled, Priority, Software, Username};
    use rtw_stun::{
        AsIntegrityKey, Class, IntegrityKey, Message, MessageBuilder, MessageType, Method,
        TransactionId,
    };

    use super::*;

    pub(super) fn raw_key() -> Vec<u8> {
        rtw_stun::key::short_term_key(PASSWORD).expect("valid password")
    }

    pub(super) fn key() -> IntegrityKey {
        IntegrityKey::new(&raw_key())
    }

    /// Decode and verify; `f` gets the attributes (they borrow `bytes`).
    pub(super) fn decode<R, K: AsIntegrityKey + ?Sized>(
        bytes: &[u8],
        key: &K,
        f: impl FnOnce(Decoded<'_>) -> R,
    ) -> R {
        let msg = Message::parse(bytes).expect("parses");
        assert!(msg.verify_fingerprint().expect("FINGERPRINT verifies"));
        msg.verify_integrity(key)
            .expect("MESSAGE-INTEGRITY verifies");
        let username = msg.get::<Username<'_>>().unwrap().unwrap();
        let software = msg.get::<Software<'_>>().unwrap().unwrap();
        f(Decoded {
            username: username.as_str(),
            priority: msg.get::<Priority>().unwrap().unwrap().0,
            ice_controlled: msg.get::<IceControlled>().unwrap().unwrap().0,
            software: software.as_str(),
        })
    }

    pub(super) fn encode<K: AsIntegrityKey + ?Sized>(key: &K) -> bytes::BytesMut {
        let mut buf = bytes::BytesMut::new();
        encode_into(key, &mut buf);
        buf
    }

    /// Encode into `buf`, cleared first, reusing its allocation: the way
    /// a sender of many messages uses `MessageBuilder::new_in`.
    pub(super) fn encode_into<K: AsIntegrityKey + ?Sized>(key: &K, buf: &mut bytes::BytesMut) {
        let mut b = MessageBuilder::new_in(
            MessageType::new(Method::BINDING, Class::Request),
            TransactionId(TRANSACTION_ID),
            std::mem::take(buf),
        );
        b.add(&Software::new(SOFTWARE).unwrap())
            .unwrap()
            .add(&Priority(PRIORITY))
            .unwrap()
            .add(&IceControlled(ICE_CONTROLLED))
            .unwrap()
            .add(&Username::new(USERNAME).unwrap())
            .unwrap()
            .add_message_integrity(key)
            .unwrap()
            .add_fingerprint()
            .unwrap();
        *buf = b.finish();
    }
}

// ---------------------------------------------------------------- stun-rs

mod stun_rs_peer {
    use stun_rs::attributes::ice::{IceControlled, Priority};
    use stun_rs::attributes::stun::{Fingerprint, MessageIntegrity, Software, UserName};
    use stun_rs::methods::BINDING;
    use stun_rs::{
        DecoderContextBuilder, HMACKey, MessageClass, MessageDecoder, MessageDecoderBuilder,
        MessageEncoder, MessageEncoderBuilder, StunAttribute, StunMessageBuilder, TransactionId,
    };

    use super::*;

    pub(super) fn key() -> HMACKey {
        HMACKey::new_short_term(PASSWORD).expect("valid password")
    }

    /// A decoder that checks MESSAGE-INTEGRITY (with `key`) and
    /// FINGERPRINT.
    pub(super) fn decoder() -> MessageDecoder {
        let ctx = DecoderContextBuilder::default()
            .with_key(key())
            .with_validation()
            .build();
        MessageDecoderBuilder::default().with_context(ctx).build()
    }

    pub(super) fn decode<R>(
        dec: &MessageDecoder,
        bytes: &[u8],
        f: impl FnOnce(Decoded<'_>) -> R,
    ) -> R {
        let (msg, used) = dec.decode(bytes).expect("decodes and verifies");
        assert_eq!(used, bytes.len());
        f(Decoded {
            username: get(msg.get::<UserName>()).as_user_name().unwrap().as_str(),
            priority: get(msg.get::<Priority>()).as_priority().unwrap().as_u32(),
            ice_controlled: get(msg.get::<IceControlled>())
                .as_ice_controlled()
                .unwrap()
                .as_u64(),
            software: get(msg.get::<Software>()).as_software().unwrap().as_str(),
        })
    }

    fn get(a: Option<&StunAttribute>) -> &StunAttribute {
        a.expect("attribute present")
    }

    pub(super) fn encoder() -> MessageEncoder {
        MessageEncoderBuilder::default().build()
    }

    /// Encode into `buf`; returns the length written.
    pub(super) fn encode(enc: &MessageEncoder, key: &HMACKey, buf: &mut [u8]) -> usize {
        let msg = StunMessageBuilder::new(BINDING, MessageClass::Request)
            .with_transaction_id(TransactionId::from(TRANSACTION_ID))
            .with_attribute(Software::new(SOFTWARE).unwrap())
            .with_attribute(Priority::from(PRIORITY))
            .with_attribute(IceControlled::from(ICE_CONTROLLED))
            .with_attribute(UserName::new(USERNAME).unwrap())
            .with_attribute(MessageIntegrity::new(key.clone()))
            .with_attribute(Fingerprint::default())
            .build();
        enc.encode(buf, &msg).expect("encodes")
    }
}

// ---------------------------------------------------------------- stun_codec

mod stun_codec_peer {
    use stun_codec::rfc5245::attributes::{IceControlled, IceControlling, Priority, UseCandidate};
    use stun_codec::rfc5389::attributes::{
        AlternateServer, ErrorCode, Fingerprint, MappedAddress, MessageIntegrity, Nonce, Realm,
        Software, UnknownAttributes, Username, XorMappedAddress, XorMappedAddress2,
    };
    use stun_codec::rfc5389::methods::BINDING;
    use stun_codec::{
        Message, MessageClass, MessageDecoder, MessageEncoder, TransactionId,
        define_attribute_enums,
    };

    use super::*;

    define_attribute_enums!(
        Attribute,
        AttributeDecoder,
        AttributeEncoder,
        [
            MappedAddress,
            Username,
            MessageIntegrity,
            ErrorCode,
            UnknownAttributes,
            Realm,
            Nonce,
            XorMappedAddress,
            XorMappedAddress2,
            Software,
            AlternateServer,
            Fingerprint,
            Priority,
            UseCandidate,
            IceControlled,
            IceControlling
        ]
    );

    pub(super) fn decode<R>(
        dec: &mut MessageDecoder<Attribute>,
        bytes: &[u8],
        f: impl FnOnce(Decoded<'_>) -> R,
    ) -> R {
        let msg = dec
            .decode_from_bytes(bytes)
            .expect("decodes, FINGERPRINT verified")
            .expect("not a broken message");
        msg.get_attribute::<MessageIntegrity>()
            .expect("MESSAGE-INTEGRITY present")
            .check_short_term_credential(PASSWORD)
            .expect("MESSAGE-INTEGRITY verifies");
        f(Decoded {
            username: msg.get_attribute::<Username>().unwrap().name(),
            priority: msg.get_attribute::<Priority>().unwrap().prio(),
            ice_controlled: msg.get_attribute::<IceControlled>().unwrap().prio(),
            software: msg.get_attribute::<Software>().unwrap().description(),
        })
    }

    pub(super) fn encode(enc: &mut MessageEncoder<Attribute>) -> Vec<u8> {
        let mut msg = Message::<Attribute>::new(
            MessageClass::Request,
            BINDING,
            TransactionId::new(TRANSACTION_ID),
        );
        msg.add_attribute(Software::new(SOFTWARE.to_owned()).unwrap());
        msg.add_attribute(Priority::new(PRIORITY));
        msg.add_attribute(IceControlled::new(ICE_CONTROLLED));
        msg.add_attribute(Username::new(USERNAME.to_owned()).unwrap());
        let mi = MessageIntegrity::new_short_term_credential(&msg, PASSWORD).unwrap();
        msg.add_attribute(mi);
        let fp = Fingerprint::new(&msg).unwrap();
        msg.add_attribute(fp);
        enc.encode_into_bytes(msg).expect("encodes")
    }
}

// ---------------------------------------------------------------- stun-types

mod stun_types_peer {
    use stun_types::attribute::{AttributeType, RawAttribute, Software, Username};
    use stun_types::message::{
        BINDING, IntegrityAlgorithm, IntegrityKey, Message, MessageClass, MessageType,
        MessageWrite, MessageWriteExt, MessageWriteVec, ShortTermCredentials,
    };

    use super::*;

    const PRIORITY_TYPE: u16 = 0x0024;
    const ICE_CONTROLLED_TYPE: u16 = 0x8029;

    pub(super) fn key() -> IntegrityKey {
        ShortTermCredentials::new(PASSWORD.to_owned()).make_key()
    }

    /// `f` gets owned strings turned into borrows: stun-types' `Username`
    /// and `Software` own their text.
    pub(super) fn decode<R>(
        bytes: &[u8],
        key: &IntegrityKey,
        f: impl FnOnce(Decoded<'_>) -> R,
    ) -> R {
        let msg = Message::from_bytes(bytes).expect("parses, FINGERPRINT verified");
        msg.validate_integrity_with_key(key)
            .expect("MESSAGE-INTEGRITY verifies");
        let username = msg.attribute::<Username>().unwrap();
        let software = msg.attribute::<Software>().unwrap();
        let raw = |t: u16| msg.raw_attribute(AttributeType::new(t)).expect("present");
        let priority = u32::from_be_bytes(raw(PRIORITY_TYPE).value[..].try_into().unwrap());
        let ice_controlled =
            u64::from_be_bytes(raw(ICE_CONTROLLED_TYPE).value[..].try_into().unwrap());
        f(Decoded {
            username: username.username(),
            priority,
            ice_controlled,
            software: software.software(),
        })
    }

    pub(super) fn encode(key: &IntegrityKey) -> Vec<u8> {
        let mut msg = Message::builder(
            MessageType::from_class_method(MessageClass::Request, BINDING),
            u128::from_be_bytes({
                let mut id = [0; 16];
                id[4..].copy_from_slice(&TRANSACTION_ID);
                id
            })
            .into(),
            MessageWriteVec::with_capacity(128),
        );
        msg.add_attribute(&Software::new(SOFTWARE).unwrap())
            .unwrap();
        let priority = PRIORITY.to_be_bytes();
        msg.add_attribute(&RawAttribute::new(
            AttributeType::new(PRIORITY_TYPE),
            &priority,
        ))
        .unwrap();
        let tie = ICE_CONTROLLED.to_be_bytes();
        msg.add_attribute(&RawAttribute::new(
            AttributeType::new(ICE_CONTROLLED_TYPE),
            &tie,
        ))
        .unwrap();
        msg.add_attribute(&Username::new(USERNAME).unwrap())
            .unwrap();
        msg.add_message_integrity_with_key(key, IntegrityAlgorithm::Sha1)
            .unwrap();
        msg.add_fingerprint().unwrap();
        msg.finish()
    }
}

// ---------------------------------------------------------------- benches

fn decode_verify(c: &mut Criterion) {
    let sample = &SAMPLE_REQUEST[..];
    let zero_padded = zero_padded_request();
    let rtw_key = rtw::key();
    let rtw_raw_key = rtw::raw_key();
    let stun_rs_dec = stun_rs_peer::decoder();
    let mut codec_dec = stun_codec::MessageDecoder::<stun_codec_peer::Attribute>::new();
    let types_key = stun_types_peer::key();

    // Untimed: each contender decodes and verifies the sample, and gets
    // its values; also with zero padding, as the encoders write it.
    for bytes in [sample, &zero_padded[..]] {
        rtw::decode(bytes, &rtw_key, |d| assert_eq!(d, EXPECTED, "rtw"));
        rtw::decode(bytes, &rtw_raw_key, |d| assert_eq!(d, EXPECTED, "rtw"));
        stun_rs_peer::decode(&stun_rs_dec, bytes, |d| assert_eq!(d, EXPECTED, "stun-rs"));
        stun_codec_peer::decode(&mut codec_dec, bytes, |d| {
            assert_eq!(d, EXPECTED, "stun_codec")
        });
        stun_types_peer::decode(bytes, &types_key, |d| assert_eq!(d, EXPECTED, "stun-types"));
    }
    // The checks are real: a flipped bit in USERNAME fails every verifier.
    let mut tampered = SAMPLE_REQUEST;
    tampered[70] ^= 1;
    let tampered_msg = rtw_stun::Message::parse(&tampered).unwrap();
    assert!(tampered_msg.verify_fingerprint().is_err());
    assert!(tampered_msg.verify_integrity(&rtw_key).is_err());
    assert!(tampered_msg.verify_integrity(&rtw_raw_key).is_err());
    assert!(stun_rs_dec.decode(&tampered).is_err());
    assert!(stun_types::message::Message::from_bytes(&tampered).is_err());
    let mut fresh = stun_codec::MessageDecoder::<stun_codec_peer::Attribute>::new();
    assert!(
        !matches!(fresh.decode_from_bytes(&tampered), Ok(Ok(_))),
        "stun_codec accepted a tampered message"
    );

    let mut group = Group::new(c, "stun_decode_verify");
    group.throughput(Throughput::Elements(1));
    group.bench("rtw", || {
        rtw::decode(black_box(sample), &rtw_key, |d| black_box(d).priority)
    });
    group.bench("rtw_raw_key", || {
        rtw::decode(black_box(sample), &rtw_raw_key[..], |d| {
            black_box(d).priority
        })
    });
    group.bench("stun-rs", || {
        stun_rs_peer::decode(&stun_rs_dec, black_box(sample), |d| black_box(d).priority)
    });
    group.bench("stun_codec", || {
        stun_codec_peer::decode(&mut codec_dec, black_box(sample), |d| black_box(d).priority)
    });
    group.bench("stun-types", || {
        stun_types_peer::decode(black_box(sample), &types_key, |d| black_box(d).priority)
    });
    let floor_key = PASSWORD.as_bytes();
    assert_eq!(floor_key, &rtw_raw_key[..]);
    assert_eq!(floor_key, rtw_key.as_bytes());
    group.bench("hmac_sha1_floor", || {
        hmac_sha1(black_box(floor_key), black_box(sample))
    });
    group.finish();
}

fn encode(c: &mut Criterion) {
    let expected = zero_padded_request();
    let rtw_key = rtw::key();
    let rtw_raw_key = rtw::raw_key();
    let stun_rs_key = stun_rs_peer::key();
    let stun_rs_enc = stun_rs_peer::encoder();
    let mut stun_rs_buf = [0u8; 256];
    let mut codec_enc = stun_codec::MessageEncoder::<stun_codec_peer::Attribute>::new();
    let types_key = stun_types_peer::key();

    // Untimed: every encoder writes exactly the expected request.
    assert_eq!(&rtw::encode(&rtw_key)[..], &expected[..], "rtw");
    assert_eq!(&rtw::encode(&rtw_raw_key)[..], &expected[..], "rtw");
    let n = stun_rs_peer::encode(&stun_rs_enc, &stun_rs_key, &mut stun_rs_buf);
    assert_eq!(&stun_rs_buf[..n], &expected[..], "stun-rs");
    assert_eq!(
        stun_codec_peer::encode(&mut codec_enc),
        expected,
        "stun_codec"
    );
    assert_eq!(stun_types_peer::encode(&types_key), expected, "stun-types");

    let mut group = Group::new(c, "stun_encode");
    group.throughput(Throughput::Elements(1));
    let mut buf = bytes::BytesMut::with_capacity(128);
    group.bench("rtw", || {
        rtw::encode_into(black_box(&rtw_key), black_box(&mut buf))
    });
    group.bench("rtw_raw_key", || {
        rtw::encode_into(black_box(&rtw_raw_key[..]), black_box(&mut buf))
    });
    group.bench("stun-rs", || {
        stun_rs_peer::encode(&stun_rs_enc, black_box(&stun_rs_key), &mut stun_rs_buf)
    });
    group.bench("stun_codec", || stun_codec_peer::encode(&mut codec_enc));
    group.bench("stun-types", || {
        stun_types_peer::encode(black_box(&types_key))
    });
    group.finish();
}

criterion_group!(benches, decode_verify, encode);
criterion_main!(benches);
