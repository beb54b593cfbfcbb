//! The typed attributes of RFC 8489 §14, RFC 8445 §16.1 and RFC 8656 §18:
//! wire layouts (RFC 5769 vectors for XOR-MAPPED-ADDRESS), round trips,
//! every decoding rule and every sending limit.

use std::fmt::Debug;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6};

use bytes::BytesMut;
use proptest::prelude::*;
use rtw_stun::attributes::*;
use rtw_stun::{Class, Error, Message, MessageBuilder, MessageType, Method, TransactionId};

fn hex(s: &str) -> Vec<u8> {
    s.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).expect("hex byte"))
        .collect()
}

/// The transaction ID of the RFC 5769 responses.
const RFC5769_TID: TransactionId = TransactionId([
    0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
]);

/// Encode `attr`, checking that `encoded_len` is what `encode` writes.
fn encode<'a, A: Attribute<'a>>(attr: &A, tid: &TransactionId) -> Vec<u8> {
    let mut out = BytesMut::new();
    attr.encode(tid, &mut out);
    assert_eq!(out.len(), attr.encoded_len(), "{} encoded_len", A::TYPE);
    out.to_vec()
}

/// Decode `value` as `A` and assert it was refused as an invalid `A`.
fn assert_invalid<'a, A: Attribute<'a> + Debug>(value: &'a [u8]) {
    let tid = TransactionId([0x5A; 12]);
    match A::decode(value, &tid) {
        Err(Error::InvalidAttribute { typ, .. }) => assert_eq!(typ, A::TYPE),
        other => panic!(
            "{} of {value:02x?}: expected InvalidAttribute, got {other:?}",
            A::TYPE
        ),
    }
}

fn assert_too_long<T: Debug>(result: Result<T, Error>, typ: AttributeType) {
    match result {
        Err(Error::ValueTooLong { typ: t, len, max }) => {
            assert_eq!(t, typ);
            assert!(len > max || typ == AttributeType::MESSAGE_INTEGRITY_SHA256);
        }
        other => panic!("{typ}: expected ValueTooLong, got {other:?}"),
    }
}

/// Encode `$attr` with `$tid`, decode it as `$ty`, and compare.
macro_rules! round_trip {
    ($ty:ty, $attr:expr, $tid:expr) => {{
        let attr: $ty = $attr;
        let tid: TransactionId = $tid;
        let bytes = encode(&attr, &tid);
        let back = <$ty as Attribute>::decode(&bytes, &tid).expect("decodes");
        assert_eq!(back, attr);
        bytes
    }};
    ($ty:ty, $attr:expr) => {
        round_trip!($ty, $attr, TransactionId([0x42; 12]))
    };
}

/// Put `$attr` in a message with the builder, parse the message, read
/// the attribute back with `Message::get` and compare.
macro_rules! via_message {
    ($ty:ty, $attr:expr, $tid:expr) => {{
        let attr: $ty = $attr;
        let mut b = MessageBuilder::new(
            MessageType::new(Method::BINDING, Class::SuccessResponse),
            $tid,
        );
        b.add(&attr).expect("added");
        let bytes = b.finish();
        let msg = Message::parse(&bytes).expect("parses");
        assert_eq!(msg.get::<$ty>().expect("present").expect("decodes"), attr);
    }};
}

// ---------------------------------------------------------------------
// Addresses (RFC 8489 §14.1, §14.2, §14.15; RFC 8656 §18.3, §18.5)
// ---------------------------------------------------------------------

#[test]
fn rfc5769_xor_mapped_address_ipv4() {
    // RFC 5769 §2.2: 192.0.2.1 port 32853.
    let addr: SocketAddr = "192.0.2.1:32853".parse().unwrap();
    let bytes = round_trip!(XorMappedAddress, XorMappedAddress(addr), RFC5769_TID);
    assert_eq!(bytes, hex("00 01 a1 47 e1 12 a6 43"));
}

#[test]
fn rfc5769_xor_mapped_address_ipv6() {
    // RFC 5769 §2.3: 2001:db8:1234:5678:11:2233:4455:6677 port 32853.
    let addr: SocketAddr = "[2001:db8:1234:5678:11:2233:4455:6677]:32853"
        .parse()
        .unwrap();
    let bytes = round_trip!(XorMappedAddress, XorMappedAddress(addr), RFC5769_TID);
    assert_eq!(
        bytes,
        hex("00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9")
    );
}

#[test]
fn plain_addresses_are_in_the_clear() {
    let tid = TransactionId([0xFF; 12]);
    let v4: SocketAddr = "192.0.2.1:32853".parse().unwrap();
    assert_eq!(
        round_trip!(MappedAddress, MappedAddress(v4), tid),
        hex("00 01 80 55 c0 00 02 01")
    );
    let v6: SocketAddr = "[2001:db8::1]:3478".parse().unwrap();
    assert_eq!(
        round_trip!(AlternateServer, AlternateServer(v6), tid),
        hex("00 02 0d 96 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01")
    );
}

#[test]
fn xor_addresses_share_the_encoding() {
    let tid = RFC5769_TID;
    let addr: SocketAddr = "192.0.2.1:32853".parse().unwrap();
    let expected = hex("00 01 a1 47 e1 12 a6 43");
    assert_eq!(
        round_trip!(XorPeerAddress, XorPeerAddress(addr), tid),
        expected
    );
    assert_eq!(
        round_trip!(XorRelayedAddress, XorRelayedAddress(addr), tid),
        expected
    );
}

#[test]
fn address_reserved_byte_is_ignored() {
    let value = hex("ff 01 a1 47 e1 12 a6 43");
    let addr = XorMappedAddress::decode(&value, &RFC5769_TID).unwrap();
    assert_eq!(addr.0, "192.0.2.1:32853".parse::<SocketAddr>().unwrap());
}

macro_rules! address_rules {
    ($($ty:ty),*) => {$(
        // Unknown family.
        assert_invalid::<$ty>(&hex("00 03 00 01 01 02 03 04"));
        assert_invalid::<$ty>(&hex("00 00 00 01 01 02 03 04"));
        // Shorter than the family/port header.
        assert_invalid::<$ty>(&[]);
        assert_invalid::<$ty>(&hex("00 01 00"));
        // Wrong length for the family.
        assert_invalid::<$ty>(&hex("00 01 00 01 01 02 03"));
        assert_invalid::<$ty>(&hex("00 01 00 01 01 02 03 04 05"));
        assert_invalid::<$ty>(&[0, 1, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
        assert_invalid::<$ty>(&hex("00 02 00 01 01 02 03 04"));
        assert_invalid::<$ty>(&[0, 2, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    )*};
}

#[test]
fn address_rules() {
    address_rules!(
        MappedAddress,
        XorMappedAddress,
        AlternateServer,
        XorPeerAddress,
        XorRelayedAddress
    );
}

fn socket_addr() -> impl Strategy<Value = SocketAddr> {
    prop_oneof![
        (any::<[u8; 4]>(), any::<u16>())
            .prop_map(|(ip, port)| SocketAddr::new(IpAddr::V4(Ipv4Addr::from(ip)), port)),
        (any::<[u8; 16]>(), any::<u16>()).prop_map(|(ip, port)| SocketAddr::V6(SocketAddrV6::new(
            Ipv6Addr::from(ip),
            port,
            0,
            0
        ))),
    ]
}

fn tid() -> impl Strategy<Value = TransactionId> {
    any::<[u8; 12]>().prop_map(TransactionId)
}

proptest! {
    #[test]
    fn addresses_round_trip(addr in socket_addr(), tid in tid()) {
        round_trip!(MappedAddress, MappedAddress(addr), tid);
        round_trip!(XorMappedAddress, XorMappedAddress(addr), tid);
        round_trip!(AlternateServer, AlternateServer(addr), tid);
        round_trip!(XorPeerAddress, XorPeerAddress(addr), tid);
        round_trip!(XorRelayedAddress, XorRelayedAddress(addr), tid);
        via_message!(XorMappedAddress, XorMappedAddress(addr), tid);
        via_message!(XorPeerAddress, XorPeerAddress(addr), tid);
        // XOR'd with the cookie: never the address in the clear.
        let plain = encode(&MappedAddress(addr), &tid);
        let xor = encode(&XorMappedAddress(addr), &tid);
        prop_assert_eq!(&plain[..2], &xor[..2]);
        prop_assert_ne!(&plain[2..4], &xor[2..4]);
    }
}

#[test]
fn address_family_codes() {
    assert_eq!(AddressFamily::V4.code(), 0x01);
    assert_eq!(AddressFamily::V6.code(), 0x02);
    assert_eq!(AddressFamily::from_code(0x02), Some(AddressFamily::V6));
    assert_eq!(AddressFamily::from_code(0x00), None);
    assert_eq!(AddressFamily::from_code(0x03), None);
    assert_eq!(
        AddressFamily::of(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        AddressFamily::V4
    );
    assert_eq!(
        AddressFamily::of(IpAddr::V6(Ipv6Addr::LOCALHOST)),
        AddressFamily::V6
    );
}

// ---------------------------------------------------------------------
// Text (RFC 8489 §14.3, §14.9, §14.10, §14.14, §14.16)
// ---------------------------------------------------------------------

#[test]
fn username_limits() {
    // Sent: fewer than 509 bytes. Received: up to 763.
    let ok = "u".repeat(508);
    round_trip!(Username, Username::new(&ok).unwrap());
    assert_too_long(Username::new(&"u".repeat(509)), AttributeType::USERNAME);
    let tid = TransactionId::default();
    let long = "u".repeat(763);
    assert_eq!(
        Username::decode(long.as_bytes(), &tid).unwrap().as_str(),
        long
    );
    assert_invalid::<Username>("u".repeat(764).as_bytes());
    assert_invalid::<Username>(b"user\xff");
    // No character limit: 200 two-byte characters are fine.
    let chars = "é".repeat(200);
    round_trip!(Username, Username::new(&chars).unwrap());
}

macro_rules! short_text_rules {
    ($($ty:ident),*) => {$(
        let typ = <$ty as Attribute>::TYPE;
        let tid = TransactionId::default();
        // Fewer than 128 characters, multi-byte ones included.
        let max = "ü".repeat(127);
        round_trip!($ty, $ty::new(&max).unwrap());
        round_trip!($ty, $ty::new("").unwrap());
        let four_byte = "\u{1F600}".repeat(127);
        assert_eq!(four_byte.len(), 508);
        round_trip!($ty, $ty::new(&four_byte).unwrap());
        assert_too_long($ty::new(&"a".repeat(128)), typ);
        assert_too_long($ty::new(&"ü".repeat(128)), typ);
        // Receiving: 128 characters, more than 763 bytes, or not UTF-8.
        assert_invalid::<$ty>("a".repeat(128).as_bytes());
        assert_invalid::<$ty>("\u{1F600}".repeat(191).as_bytes());
        assert_invalid::<$ty>(b"caf\xc3");
        assert_invalid::<$ty>(b"\xff\xfe");
        assert_eq!($ty::decode("a".repeat(127).as_bytes(), &tid).unwrap().as_str().len(), 127);
    )*};
}

#[test]
fn realm_nonce_software_limits() {
    short_text_rules!(Realm, Nonce, Software);
}

#[test]
fn text_borrows_the_message() {
    let value = b"example.org".as_slice();
    let realm = Realm::decode(value, &TransactionId::default()).unwrap();
    assert_eq!(realm.as_str().as_ptr(), value.as_ptr());
    assert_eq!(realm.to_string(), "example.org");
}

proptest! {
    #[test]
    fn text_round_trips(s in "\\PC{0,127}", t in "[ -~]{0,508}") {
        round_trip!(Realm, Realm::new(&s).unwrap());
        round_trip!(Nonce, Nonce::new(&s).unwrap());
        round_trip!(Software, Software::new(&s).unwrap());
        round_trip!(Username, Username::new(&s).unwrap());
        round_trip!(Username, Username::new(&t).unwrap());
        via_message!(Software, Software::new(&s).unwrap(), TransactionId::default());
    }

    #[test]
    fn alternate_domain_round_trips(
        d in "[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,20}[A-Za-z0-9])?){0,5}\\.?"
    ) {
        round_trip!(AlternateDomain, AlternateDomain::new(&d).unwrap());
    }
}

#[test]
fn alternate_domain_rules() {
    round_trip!(
        AlternateDomain,
        AlternateDomain::new("stun.example.org").unwrap()
    );
    round_trip!(
        AlternateDomain,
        AlternateDomain::new("xn--bcher-kva.example.").unwrap()
    );
    let label = "a".repeat(63);
    let max = format!("{label}.{label}.{label}.{}", "b".repeat(63));
    assert_eq!(max.len(), 255);
    round_trip!(AlternateDomain, AlternateDomain::new(&max).unwrap());
    let too_long = format!("{max}c");
    assert_too_long(
        AlternateDomain::new(&too_long),
        AttributeType::ALTERNATE_DOMAIN,
    );
    for bad in [
        too_long.as_str(),
        "",
        ".",
        "a..b",
        ".example.org",
        "-a.example.org",
        "a-.example.org",
        "under_score.org",
        "sp ace.org",
        "bücher.example",
        &"a".repeat(64),
    ] {
        assert_invalid::<AlternateDomain>(bad.as_bytes());
        if bad.len() <= 255 {
            assert!(matches!(
                AlternateDomain::new(bad),
                Err(Error::InvalidAttribute { .. })
            ));
        }
    }
}

/// The security features of the nonce `text`.
fn features(text: &str) -> Option<SecurityFeatures> {
    Nonce::new(text).unwrap().security_features()
}

#[test]
fn nonce_security_features() {
    // The nonce of RFC 8489 Appendix B.1: "Username anonymity" set.
    let f = features("obMatJos2AAACf//499k954d6OL34oL9FSTvy64sA").unwrap();
    assert!(f.username_anonymity());
    assert!(!f.password_algorithms());
    assert_eq!(f.bits(), 0b10);
    // RFC 5769 §2.4's nonce has no cookie.
    assert_eq!(features("f//499k954d6OL34oL9FSTvy64sA"), None);
    let both = SecurityFeatures::PASSWORD_ALGORITHMS | SecurityFeatures::USERNAME_ANONYMITY;
    let cookie = both.cookie();
    assert_eq!(cookie, format!("{NONCE_COOKIE}AAAD"));
    let nonce = format!("{cookie}1234");
    let f = features(&nonce).unwrap();
    assert!(f.password_algorithms() && f.username_anonymity());
    assert!(f.contains(both));
    // Invalid base64 or too short: no features.
    assert_eq!(features("obMatJos2AA*A"), None);
    assert_eq!(features("obMatJos2AAA"), None);
}

proptest! {
    #[test]
    fn security_feature_cookie_round_trips(bits in 0u32..1 << 24, rest in "[a-zA-Z0-9]{0,20}") {
        let set = SecurityFeatures::from_bits(bits);
        let nonce = format!("{}{rest}", set.cookie());
        prop_assert_eq!(features(&nonce), Some(set));
    }
}

// ---------------------------------------------------------------------
// USERHASH, MESSAGE-INTEGRITY(-SHA256), FINGERPRINT (RFC 8489 §14.4-§14.7)
// ---------------------------------------------------------------------

#[test]
fn userhash_rfc8489_appendix_b1() {
    // Username "<U+30DE><U+30C8><U+30EA><U+30C3><U+30AF><U+30B9>", realm
    // "example.org": the USERHASH of the RFC 8489 Appendix B.1 request.
    let hash = Userhash::compute(
        "\u{30DE}\u{30C8}\u{30EA}\u{30C3}\u{30AF}\u{30B9}",
        "example.org",
    );
    let expected = hex("4a 3c f3 8f ef 69 92 bd a9 52 c6 78 04 17 da 0f
         24 81 94 15 56 9e 60 b2 05 c4 6e 41 40 7f 17 04");
    assert_eq!(hash.0.as_slice(), expected.as_slice());
    round_trip!(Userhash, hash);
    assert_invalid::<Userhash>(&[0; 31]);
    assert_invalid::<Userhash>(&[0; 33]);
    assert_invalid::<Userhash>(&[]);
}

#[test]
fn message_integrity_sha256_truncation() {
    let mac: [u8; 32] = core::array::from_fn(|i| i as u8);
    for len in [16, 20, 24, 28, 32] {
        let v = MessageIntegritySha256::truncated(&mac, len).unwrap();
        assert_eq!(v.as_bytes(), &mac[..len]);
        assert_eq!(v.is_truncated(), len < 32);
        let bytes = round_trip!(MessageIntegritySha256, v);
        assert_eq!(bytes.len(), len);
        assert_eq!(MessageIntegritySha256::new(&mac[..len]).unwrap(), v);
    }
    for len in [0, 4, 12, 15, 17, 18, 22, 30, 31, 33, 36, 64] {
        assert_invalid::<MessageIntegritySha256>(&vec![0; len]);
        assert_too_long(
            MessageIntegritySha256::new(&vec![0; len]),
            AttributeType::MESSAGE_INTEGRITY_SHA256,
        );
    }
    for len in [12, 18, 33, 36] {
        assert_too_long(
            MessageIntegritySha256::truncated(&mac, len),
            AttributeType::MESSAGE_INTEGRITY_SHA256,
        );
    }
}

#[test]
fn integrity_and_fingerprint_values() {
    round_trip!(MessageIntegrity, MessageIntegrity([0xAB; 20]));
    assert_invalid::<MessageIntegrity>(&[0; 19]);
    assert_invalid::<MessageIntegrity>(&[0; 21]);
    assert_invalid::<MessageIntegrity>(&[0; 32]);
    let bytes = round_trip!(Fingerprint, Fingerprint(0xc07d_4c96));
    assert_eq!(bytes, hex("c0 7d 4c 96"));
    assert_invalid::<Fingerprint>(&[0; 3]);
    assert_invalid::<Fingerprint>(&[0; 5]);
}

#[test]
fn rfc5769_integrity_values_read_back() {
    // RFC 5769 §2.2: MESSAGE-INTEGRITY and FINGERPRINT values.
    let msg = hex("01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
         80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
         00 20 00 08 00 01 a1 47 e1 12 a6 43
         00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7
         80 28 00 04 c0 7d 4c 96");
    let msg = Message::parse(&msg).unwrap();
    assert_eq!(get::<Software>(&msg).as_str(), "test vector");
    assert_eq!(
        get::<XorMappedAddress>(&msg).0,
        "192.0.2.1:32853".parse::<SocketAddr>().unwrap()
    );
    let mi = get::<MessageIntegrity>(&msg);
    assert_eq!(
        mi.0.to_vec(),
        hex("2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7")
    );
    assert_eq!(get::<Fingerprint>(&msg), Fingerprint(0xc07d_4c96));
}

proptest! {
    #[test]
    fn fixed_values_round_trip(
        mi in any::<[u8; 20]>(),
        mac in any::<[u8; 32]>(),
        words in 4usize..=8,
        n in any::<u32>(),
        tie in any::<u64>(),
        token in any::<[u8; 8]>(),
        channel in any::<u16>(),
    ) {
        round_trip!(MessageIntegrity, MessageIntegrity(mi));
        round_trip!(MessageIntegritySha256, MessageIntegritySha256::truncated(&mac, words * 4).unwrap());
        round_trip!(Userhash, Userhash(mac));
        round_trip!(Fingerprint, Fingerprint(n));
        round_trip!(Priority, Priority(n));
        round_trip!(IceControlled, IceControlled(tie));
        round_trip!(IceControlling, IceControlling(tie));
        round_trip!(Lifetime, Lifetime(n));
        round_trip!(ReservationToken, ReservationToken(token));
        round_trip!(ChannelNumber, ChannelNumber(channel));
        via_message!(IceControlling, IceControlling(tie), TransactionId::default());
        via_message!(Priority, Priority(n), TransactionId::default());
    }
}

// ---------------------------------------------------------------------
// ERROR-CODE (RFC 8489 §14.8), UNKNOWN-ATTRIBUTES (§14.13)
// ---------------------------------------------------------------------

#[test]
fn error_code_wire_layout() {
    // 21 reserved zero bits, class 4 (3 bits), number 20 (8 bits), reason.
    let bytes = round_trip!(ErrorCode, ErrorCode::UNKNOWN_ATTRIBUTE);
    let mut expected = hex("00 00 04 14");
    expected.extend_from_slice(b"Unknown Attribute");
    assert_eq!(bytes, expected);

    let bytes = round_trip!(ErrorCode, ErrorCode::new(699, "").unwrap());
    assert_eq!(bytes, hex("00 00 06 63"));
    let bytes = round_trip!(ErrorCode, ErrorCode::new(300, "x").unwrap());
    assert_eq!(bytes, hex("00 00 03 00 78"));

    // Reserved bits are ignored when read.
    let value = hex("ff ff fc 26 41");
    let e = ErrorCode::decode(&value, &TransactionId::default()).unwrap();
    assert_eq!(
        (e.code(), e.class(), e.number(), e.reason()),
        (438, 4, 38, "A")
    );
}

#[test]
fn error_code_rules() {
    // Class 3 to 6, number 0 to 99, at least 4 bytes, UTF-8 reason.
    assert_invalid::<ErrorCode>(&hex("00 00 02 00"));
    assert_invalid::<ErrorCode>(&hex("00 00 07 00"));
    assert_invalid::<ErrorCode>(&hex("00 00 00 00"));
    assert_invalid::<ErrorCode>(&hex("00 00 04 64"));
    assert_invalid::<ErrorCode>(&hex("00 00 04 ff"));
    assert_invalid::<ErrorCode>(&hex("00 00 04"));
    assert_invalid::<ErrorCode>(&[]);
    assert_invalid::<ErrorCode>(&hex("00 00 04 00 ff"));
    let mut long = hex("00 00 04 00");
    long.extend_from_slice("a".repeat(128).as_bytes());
    assert_invalid::<ErrorCode>(&long);

    for code in [0, 299, 700, 999] {
        assert!(matches!(
            ErrorCode::new(code, "x"),
            Err(Error::InvalidAttribute {
                typ: AttributeType::ERROR_CODE,
                ..
            })
        ));
    }
    assert_too_long(
        ErrorCode::new(400, &"a".repeat(128)),
        AttributeType::ERROR_CODE,
    );
    assert_too_long(
        ErrorCode::BAD_REQUEST.with_reason(&"é".repeat(128)),
        AttributeType::ERROR_CODE,
    );
    assert_eq!(
        ErrorCode::BAD_REQUEST.with_reason("no").unwrap().code(),
        400
    );
}

#[test]
fn error_code_constants() {
    let table = [
        (ErrorCode::TRY_ALTERNATE, 300, "Try Alternate"),
        (ErrorCode::BAD_REQUEST, 400, "Bad Request"),
        (ErrorCode::UNAUTHENTICATED, 401, "Unauthenticated"),
        (ErrorCode::FORBIDDEN, 403, "Forbidden"),
        (ErrorCode::UNKNOWN_ATTRIBUTE, 420, "Unknown Attribute"),
        (ErrorCode::ALLOCATION_MISMATCH, 437, "Allocation Mismatch"),
        (ErrorCode::STALE_NONCE, 438, "Stale Nonce"),
        (
            ErrorCode::ADDRESS_FAMILY_NOT_SUPPORTED,
            440,
            "Address Family not Supported",
        ),
        (ErrorCode::WRONG_CREDENTIALS, 441, "Wrong Credentials"),
        (
            ErrorCode::UNSUPPORTED_TRANSPORT_PROTOCOL,
            442,
            "Unsupported Transport Protocol",
        ),
        (
            ErrorCode::PEER_ADDRESS_FAMILY_MISMATCH,
            443,
            "Peer Address Family Mismatch",
        ),
        (
            ErrorCode::ALLOCATION_QUOTA_REACHED,
            486,
            "Allocation Quota Reached",
        ),
        (ErrorCode::ROLE_CONFLICT, 487, "Role Conflict"),
        (ErrorCode::SERVER_ERROR, 500, "Server Error"),
        (
            ErrorCode::INSUFFICIENT_CAPACITY,
            508,
            "Insufficient Capacity",
        ),
    ];
    for (constant, code, reason) in table {
        assert_eq!((constant.code(), constant.reason()), (code, reason));
        assert_eq!(ErrorCode::standard(code), Some(constant));
        assert_eq!(ErrorCode::recommended_reason(code), Some(reason));
        assert_eq!(ErrorCode::new(code, reason).unwrap(), constant);
        assert_eq!(constant.to_string(), format!("{code} {reason}"));
        round_trip!(ErrorCode, constant);
    }
    assert_eq!(ErrorCode::standard(499), None);
}

proptest! {
    #[test]
    fn error_code_round_trips(code in 300u16..700, reason in "\\PC{0,127}", v6 in any::<bool>()) {
        let e = ErrorCode::new(code, &reason).unwrap();
        prop_assert_eq!(u16::from(e.class()) * 100 + u16::from(e.number()), code);
        round_trip!(ErrorCode, e);
        via_message!(ErrorCode, e, TransactionId::default());
        let family = if v6 { AddressFamily::V6 } else { AddressFamily::V4 };
        round_trip!(AddressErrorCode, AddressErrorCode { family, error: e });
    }

    #[test]
    fn unknown_attributes_round_trip(types in proptest::collection::vec(any::<u16>(), 0..40)) {
        let types: Vec<AttributeType> = types.into_iter().map(AttributeType).collect();
        let attr = UnknownAttributes::new(&types).unwrap();
        let bytes = round_trip!(UnknownAttributes, attr);
        prop_assert_eq!(bytes.len(), types.len() * 2);
        let back = UnknownAttributes::decode(&bytes, &TransactionId::default()).unwrap();
        prop_assert_eq!(back.len(), types.len());
        prop_assert_eq!(back.iter().collect::<Vec<_>>(), types.clone());
        via_message!(UnknownAttributes, attr, TransactionId::default());
    }
}

#[test]
fn unknown_attributes_layout_and_rules() {
    // An odd count is fine; the attribute is padded as usual.
    let types = [
        AttributeType(0x0001),
        AttributeType::ICMP,
        AttributeType(0x7F00),
    ];
    let bytes = round_trip!(UnknownAttributes, UnknownAttributes::new(&types).unwrap());
    assert_eq!(bytes, hex("00 01 80 04 7f 00"));
    let decoded = UnknownAttributes::decode(&bytes, &TransactionId::default()).unwrap();
    assert!(decoded.contains(AttributeType::ICMP));
    assert!(!decoded.contains(AttributeType::DATA));
    assert!(!decoded.is_empty());
    assert_eq!(format!("{decoded:?}"), format!("{:?}", types));
    assert!(
        UnknownAttributes::decode(&[], &TransactionId::default())
            .unwrap()
            .is_empty()
    );
    assert_invalid::<UnknownAttributes>(&hex("00 01 80"));
    assert_invalid::<UnknownAttributes>(&hex("00"));
    let many = vec![AttributeType(1); 32768];
    assert_too_long(
        UnknownAttributes::new(&many),
        AttributeType::UNKNOWN_ATTRIBUTES,
    );
    assert!(UnknownAttributes::new(&many[..32767]).is_ok());
}

// ---------------------------------------------------------------------
// PASSWORD-ALGORITHMS, PASSWORD-ALGORITHM (RFC 8489 §14.11, §14.12)
// ---------------------------------------------------------------------

#[test]
fn password_algorithms_layout() {
    let list = [PasswordAlgorithm::SHA256, PasswordAlgorithm::MD5];
    let bytes = round_trip!(PasswordAlgorithms, PasswordAlgorithms::new(&list).unwrap());
    assert_eq!(bytes, hex("00 02 00 00 00 01 00 00"));
    let decoded = PasswordAlgorithms::decode(&bytes, &TransactionId::default()).unwrap();
    assert!(decoded.contains(0x0001) && decoded.contains(0x0002) && !decoded.contains(0x0003));
    assert_eq!(decoded.iter().collect::<Vec<_>>(), list);

    // Parameters are padded to 4 bytes inside the list.
    let with_params = [alg(9, &[1, 2, 3]), PasswordAlgorithm::MD5];
    let bytes = round_trip!(
        PasswordAlgorithms,
        PasswordAlgorithms::new(&with_params).unwrap()
    );
    assert_eq!(bytes, hex("00 09 00 03 01 02 03 00 00 01 00 00"));
    // The last entry's padding may be left to the attribute's padding.
    let short = hex("00 01 00 00 00 09 00 03 01 02 03");
    let decoded = PasswordAlgorithms::decode(&short, &TransactionId::default()).unwrap();
    assert_eq!(decoded.iter().nth(1).unwrap().params, &[1, 2, 3]);

    assert_eq!(
        round_trip!(PasswordAlgorithm, PasswordAlgorithm::SHA256),
        hex("00 02 00 00")
    );
    // The single attribute's parameters are padded by the attribute padding;
    // a length that counts the padding is accepted too.
    let one = alg(7, &[0xAA]);
    assert_eq!(round_trip!(PasswordAlgorithm, one), hex("00 07 00 01 aa"));
    let padded = hex("00 07 00 01 aa 00 00 00");
    assert_eq!(
        PasswordAlgorithm::decode(&padded, &TransactionId::default()).unwrap(),
        one
    );
}

#[test]
fn password_algorithm_rules() {
    assert_invalid::<PasswordAlgorithm>(&[]);
    assert_invalid::<PasswordAlgorithm>(&hex("00 01 00"));
    // Parameters run past the value.
    assert_invalid::<PasswordAlgorithm>(&hex("00 01 00 04 aa bb"));
    // More bytes than the parameters and their padding.
    assert_invalid::<PasswordAlgorithm>(&hex("00 01 00 00 00"));
    assert_invalid::<PasswordAlgorithm>(&hex("00 07 00 01 aa 00 00 00 00"));

    assert_invalid::<PasswordAlgorithms>(&hex("00 01 00"));
    assert_invalid::<PasswordAlgorithms>(&hex("00 01 00 08 aa bb cc dd"));
    assert_invalid::<PasswordAlgorithms>(&hex("00 01 00 00 00 02"));
    assert_invalid::<PasswordAlgorithms>(&hex("00 01 00 01 aa 00 00 00 00"));

    // Entries take multiples of 4 bytes: 65,532 in all at most.
    let big = vec![0u8; 65529];
    let list = [alg(1, &big[..65528])];
    assert_eq!(PasswordAlgorithms::new(&list).unwrap().encoded_len(), 65532);
    let list = [alg(1, &big)];
    assert_too_long(
        PasswordAlgorithms::new(&list),
        AttributeType::PASSWORD_ALGORITHMS,
    );
}

fn alg(algorithm: u16, params: &[u8]) -> PasswordAlgorithm<'_> {
    PasswordAlgorithm { algorithm, params }
}

fn password_algorithm_list() -> impl Strategy<Value = Vec<(u16, Vec<u8>)>> {
    proptest::collection::vec(
        (any::<u16>(), proptest::collection::vec(any::<u8>(), 0..12)),
        0..8,
    )
}

proptest! {
    #[test]
    fn password_algorithms_round_trip(list in password_algorithm_list()) {
        let entries: Vec<PasswordAlgorithm<'_>> = list
            .iter()
            .map(|(algorithm, params)| PasswordAlgorithm { algorithm: *algorithm, params })
            .collect();
        let attr = PasswordAlgorithms::new(&entries).unwrap();
        let bytes = round_trip!(PasswordAlgorithms, attr);
        prop_assert_eq!(bytes.len() % 4, 0);
        via_message!(PasswordAlgorithms, attr, TransactionId::default());
        for entry in &entries {
            round_trip!(PasswordAlgorithm, *entry);
            via_message!(PasswordAlgorithm, *entry, TransactionId::default());
        }
    }
}

// ---------------------------------------------------------------------
// ICE (RFC 8445 §16.1)
// ---------------------------------------------------------------------

#[test]
fn ice_attributes() {
    assert_eq!(
        round_trip!(Priority, Priority(0x6e00_01ff)),
        hex("6e 00 01 ff")
    );
    assert_eq!(
        round_trip!(IceControlled, IceControlled(0x932f_f9b1_5126_3b36)),
        hex("93 2f f9 b1 51 26 3b 36")
    );
    assert_eq!(
        round_trip!(IceControlling, IceControlling(0x0102_0304_0506_0708)),
        hex("01 02 03 04 05 06 07 08")
    );
    assert_eq!(round_trip!(UseCandidate, UseCandidate), Vec::<u8>::new());
    via_message!(UseCandidate, UseCandidate, TransactionId::default());

    assert_invalid::<Priority>(&[0; 3]);
    assert_invalid::<Priority>(&[0; 8]);
    assert_invalid::<UseCandidate>(&[0]);
    assert_invalid::<UseCandidate>(&[0; 4]);
    assert_invalid::<IceControlled>(&[0; 7]);
    assert_invalid::<IceControlled>(&[0; 4]);
    assert_invalid::<IceControlling>(&[0; 9]);
    assert_invalid::<IceControlling>(&[]);
}

// ---------------------------------------------------------------------
// TURN (RFC 8656 §18)
// ---------------------------------------------------------------------

#[test]
fn channel_number() {
    assert_eq!(
        round_trip!(ChannelNumber, ChannelNumber(0x4001)),
        hex("40 01 00 00")
    );
    // RFFU ignored; any number decodes, `is_valid` tells the range.
    let n = ChannelNumber::decode(&hex("30 00 ff ff"), &TransactionId::default()).unwrap();
    assert_eq!(n, ChannelNumber(0x3000));
    assert!(!n.is_valid());
    assert!(ChannelNumber::MIN.is_valid() && ChannelNumber::MAX.is_valid());
    assert!(!ChannelNumber(0x3FFF).is_valid() && !ChannelNumber(0x5000).is_valid());
    assert_invalid::<ChannelNumber>(&[0x40, 0x00]);
    assert_invalid::<ChannelNumber>(&[0; 8]);
}

#[test]
fn lifetime_and_data() {
    let bytes = round_trip!(Lifetime, Lifetime(600));
    assert_eq!(bytes, hex("00 00 02 58"));
    assert_eq!(Lifetime(600).as_duration().as_secs(), 600);
    assert_invalid::<Lifetime>(&[0; 2]);
    assert_invalid::<Lifetime>(&[0; 8]);

    let payload = [1u8, 2, 3, 4, 5];
    assert_eq!(round_trip!(Data, Data(&payload)), payload);
    assert_eq!(round_trip!(Data, Data(&[])), Vec::<u8>::new());
    let data = Data::decode(&payload, &TransactionId::default()).unwrap();
    assert_eq!(data.0.as_ptr(), payload.as_ptr());
}

proptest! {
    #[test]
    fn data_round_trips(payload in proptest::collection::vec(any::<u8>(), 0..600)) {
        round_trip!(Data, Data(&payload));
        via_message!(Data, Data(&payload), TransactionId::default());
    }
}

#[test]
fn address_families() {
    assert_eq!(
        round_trip!(
            RequestedAddressFamily,
            RequestedAddressFamily(AddressFamily::V4)
        ),
        hex("01 00 00 00")
    );
    assert_eq!(
        round_trip!(
            RequestedAddressFamily,
            RequestedAddressFamily(AddressFamily::V6)
        ),
        hex("02 00 00 00")
    );
    let tid = TransactionId::default();
    assert_eq!(
        RequestedAddressFamily::decode(&hex("02 ff ff ff"), &tid).unwrap(),
        RequestedAddressFamily(AddressFamily::V6)
    );
    assert_invalid::<RequestedAddressFamily>(&hex("03 00 00 00"));
    assert_invalid::<RequestedAddressFamily>(&hex("00 00 00 00"));
    assert_invalid::<RequestedAddressFamily>(&hex("01"));
    assert_invalid::<RequestedAddressFamily>(&hex("01 00 00 00 00"));

    assert_eq!(
        round_trip!(AdditionalAddressFamily, AdditionalAddressFamily),
        hex("02 00 00 00")
    );
    assert_eq!(AdditionalAddressFamily.family(), AddressFamily::V6);
    via_message!(AdditionalAddressFamily, AdditionalAddressFamily, tid);
    // Only IPv6 is valid (RFC 8656 §18.11).
    assert_invalid::<AdditionalAddressFamily>(&hex("01 00 00 00"));
    assert_invalid::<AdditionalAddressFamily>(&hex("03 00 00 00"));
    assert_invalid::<AdditionalAddressFamily>(&hex("02 00"));
}

#[test]
fn even_port_transport_dont_fragment_token() {
    assert_eq!(round_trip!(EvenPort, EvenPort { reserve: true }), hex("80"));
    assert_eq!(
        round_trip!(EvenPort, EvenPort { reserve: false }),
        hex("00")
    );
    let tid = TransactionId::default();
    // RFFU bits ignored.
    assert_eq!(
        EvenPort::decode(&[0x7F], &tid).unwrap(),
        EvenPort { reserve: false }
    );
    assert_eq!(
        EvenPort::decode(&[0xFF], &tid).unwrap(),
        EvenPort { reserve: true }
    );
    assert_invalid::<EvenPort>(&[]);
    assert_invalid::<EvenPort>(&[0x80, 0, 0, 0]);

    assert_eq!(
        round_trip!(RequestedTransport, RequestedTransport::UDP),
        hex("11 00 00 00")
    );
    assert_eq!(
        round_trip!(RequestedTransport, RequestedTransport::TCP),
        hex("06 00 00 00")
    );
    assert_eq!(
        RequestedTransport::decode(&hex("11 01 02 03"), &tid).unwrap(),
        RequestedTransport::UDP
    );
    assert_invalid::<RequestedTransport>(&hex("11"));
    assert_invalid::<RequestedTransport>(&hex("11 00 00 00 00 00 00 00"));

    assert_eq!(round_trip!(DontFragment, DontFragment), Vec::<u8>::new());
    via_message!(DontFragment, DontFragment, tid);
    assert_invalid::<DontFragment>(&[0]);

    let token = ReservationToken(*b"\x01\x02\x03\x04\x05\x06\x07\x08");
    assert_eq!(
        round_trip!(ReservationToken, token),
        hex("01 02 03 04 05 06 07 08")
    );
    assert_invalid::<ReservationToken>(&[0; 4]);
    assert_invalid::<ReservationToken>(&[0; 12]);
}

#[test]
fn address_error_code() {
    let attr = AddressErrorCode {
        family: AddressFamily::V6,
        error: ErrorCode::ADDRESS_FAMILY_NOT_SUPPORTED,
    };
    let bytes = round_trip!(AddressErrorCode, attr);
    let mut expected = hex("02 00 04 28");
    expected.extend_from_slice(b"Address Family not Supported");
    assert_eq!(bytes, expected);
    via_message!(AddressErrorCode, attr, TransactionId::default());
    // Reserved bits ignored.
    let value = hex("01 ff fd 08");
    let e = AddressErrorCode::decode(&value, &TransactionId::default()).unwrap();
    assert_eq!(
        (e.family, e.error.code(), e.error.reason()),
        (AddressFamily::V4, 508, "")
    );

    assert_invalid::<AddressErrorCode>(&hex("00 00 04 28"));
    assert_invalid::<AddressErrorCode>(&hex("03 00 04 28"));
    assert_invalid::<AddressErrorCode>(&hex("02 00 07 00"));
    assert_invalid::<AddressErrorCode>(&hex("02 00 02 00"));
    assert_invalid::<AddressErrorCode>(&hex("02 00 04 64"));
    assert_invalid::<AddressErrorCode>(&hex("02 00 04"));
    assert_invalid::<AddressErrorCode>(&hex("02 00 04 28 c3"));
}

#[test]
fn icmp() {
    // ICMPv4 type 3 code 4 (fragmentation needed), next-hop MTU 1400.
    let attr = Icmp::new(3, 4, 1400).unwrap();
    let bytes = round_trip!(Icmp, attr);
    // Type in bits 16-22, code in bits 23-31 (RFC 8656 §18.13 figure).
    assert_eq!(bytes, hex("00 00 06 04 00 00 05 78"));
    assert_eq!(
        (attr.icmp_type(), attr.code(), attr.error_data()),
        (3, 4, 1400)
    );
    // Reserved bits ignored.
    let back = Icmp::decode(&hex("ff ff 06 04 00 00 05 78"), &TransactionId::default()).unwrap();
    assert_eq!(back, attr);

    assert_invalid::<Icmp>(&[0; 4]);
    assert_invalid::<Icmp>(&[0; 9]);
    assert!(matches!(
        Icmp::new(128, 0, 0),
        Err(Error::InvalidAttribute {
            typ: AttributeType::ICMP,
            ..
        })
    ));
    assert!(matches!(
        Icmp::new(0, 512, 0),
        Err(Error::InvalidAttribute {
            typ: AttributeType::ICMP,
            ..
        })
    ));
}

proptest! {
    #[test]
    fn turn_values_round_trip(
        family in prop_oneof![Just(AddressFamily::V4), Just(AddressFamily::V6)],
        reserve in any::<bool>(),
        protocol in any::<u8>(),
        icmp_type in 0u8..128,
        code in 0u16..512,
        data in any::<u32>(),
    ) {
        round_trip!(ConnectionId, ConnectionId(data));
        round_trip!(RequestedAddressFamily, RequestedAddressFamily(family));
        round_trip!(EvenPort, EvenPort { reserve });
        round_trip!(RequestedTransport, RequestedTransport { protocol });
        round_trip!(Icmp, Icmp::new(icmp_type, code, data).unwrap());
        via_message!(Icmp, Icmp::new(icmp_type, code, data).unwrap(), TransactionId::default());
    }
}

// ---------------------------------------------------------------------
// All of them
// ---------------------------------------------------------------------

/// The type codes of the typed attributes `$ty`.
macro_rules! types {
    ($($ty:ty),* $(,)?) => {
        vec![$(<$ty as Attribute>::TYPE),*]
    };
}

#[test]
fn every_known_type_has_a_typed_attribute() {
    let mut typed = types! {
        MappedAddress, XorMappedAddress, Username, Userhash, MessageIntegrity,
        MessageIntegritySha256, Fingerprint, ErrorCode, Realm, Nonce, PasswordAlgorithms,
        PasswordAlgorithm, UnknownAttributes, Software, AlternateServer, AlternateDomain,
        Priority, UseCandidate, IceControlled, IceControlling, ChannelNumber, Lifetime,
        XorPeerAddress, Data, XorRelayedAddress, RequestedAddressFamily, EvenPort,
        RequestedTransport, DontFragment, ReservationToken, AdditionalAddressFamily,
        AddressErrorCode, Icmp, ConnectionId
    };
    let mut known = AttributeType::KNOWN.to_vec();
    typed.sort_unstable();
    known.sort_unstable();
    assert_eq!(typed, known);
}

/// Add each attribute to the builder `$b`.
macro_rules! add_all {
    ($b:ident; $($attr:expr;)*) => {
        $($b.add(&$attr).expect("added");)*
    };
}

/// The first attribute `A` of `msg`, which must be there and decode.
fn get<'a, A: Attribute<'a>>(msg: &Message<'a>) -> A {
    msg.get::<A>().expect("present").expect("decodes")
}

#[test]
fn a_message_with_many_attributes() {
    let tid = RFC5769_TID;
    let peer: SocketAddr = "[2001:db8::7]:49152".parse().unwrap();
    let relayed: SocketAddr = "203.0.113.9:50000".parse().unwrap();
    let algorithms = [PasswordAlgorithm::SHA256, PasswordAlgorithm::MD5];
    let unknown = [AttributeType(0x7777)];
    let mut b = MessageBuilder::new(
        MessageType::new(Method::ALLOCATE, Class::ErrorResponse),
        tid,
    );
    add_all! { b;
        ErrorCode::UNAUTHENTICATED;
        Realm::new("example.org").unwrap();
        Nonce::new("obMatJos2AAADxyz").unwrap();
        PasswordAlgorithms::new(&algorithms).unwrap();
        UnknownAttributes::new(&unknown).unwrap();
        XorRelayedAddress(relayed);
        XorPeerAddress(peer);
        Lifetime(600);
        EvenPort { reserve: true };
        Software::new("rtw test").unwrap();
    }
    let bytes = b.finish();
    let msg = Message::parse(&bytes).unwrap();
    assert_eq!(get::<ErrorCode>(&msg), ErrorCode::UNAUTHENTICATED);
    assert_eq!(get::<Realm>(&msg).as_str(), "example.org");
    let nonce = get::<Nonce>(&msg);
    assert!(nonce.security_features().unwrap().password_algorithms());
    let got = get::<PasswordAlgorithms>(&msg);
    assert_eq!(got.iter().collect::<Vec<_>>(), algorithms);
    assert!(get::<UnknownAttributes>(&msg).contains(AttributeType(0x7777)));
    assert_eq!(get::<XorRelayedAddress>(&msg).0, relayed);
    assert_eq!(get::<XorPeerAddress>(&msg).0, peer);
    assert_eq!(get::<Lifetime>(&msg), Lifetime(600));
    assert_eq!(get::<EvenPort>(&msg), EvenPort { reserve: true });
    assert_eq!(get::<Software>(&msg).as_str(), "rtw test");
    assert!(msg.get::<Data>().is_none());
}
