//! The Binding responder (RFC 8489 §6.3.1): success answers, 400 and 420,
//! and the messages that get no answer.

use std::net::SocketAddr;

use rtw_stun::attributes::{ErrorCode, Software, UnknownAttributes, XorMappedAddress};
use rtw_stun::{
    AttributeType, BindingServer, BindingServerConfig, Class, Error, Message, MessageBuilder,
    MessageType, Method, TransactionId,
};

const TID: TransactionId = TransactionId([0xA5; 12]);

fn server(software: Option<&str>, fingerprint: bool) -> BindingServer {
    BindingServer::with_config(
        match software {
            Some(s) => BindingServerConfig::default().software(s),
            None => BindingServerConfig::default(),
        }
        .fingerprint(fingerprint),
    )
    .unwrap()
}

fn builder(method: Method, class: Class) -> MessageBuilder {
    MessageBuilder::new(MessageType::new(method, class), TID)
}

fn binding_request() -> Vec<u8> {
    builder(Method::BINDING, Class::Request).finish().to_vec()
}

fn src() -> SocketAddr {
    "198.51.100.7:40000".parse().unwrap()
}

#[test]
fn success_carries_the_source_and_verifies() {
    let s = server(Some("rtw-stun test"), true);
    let resp = s.handle(&binding_request(), src()).unwrap();
    let msg = Message::parse(&resp).unwrap();
    assert_eq!(msg.method(), Method::BINDING);
    assert_eq!(msg.class(), Class::SuccessResponse);
    assert_eq!(msg.transaction_id(), TID);
    assert_eq!(msg.verify_fingerprint(), Ok(true));
    assert_eq!(msg.get::<XorMappedAddress>().unwrap().unwrap().0, src());
    assert_eq!(
        msg.get::<Software>().unwrap().unwrap().as_str(),
        "rtw-stun test"
    );
    // Attribute order: XOR-MAPPED-ADDRESS, SOFTWARE, FINGERPRINT last.
    let types: Vec<AttributeType> = msg.attributes().map(|a| a.typ).collect();
    assert_eq!(
        types,
        [
            AttributeType::XOR_MAPPED_ADDRESS,
            AttributeType::SOFTWARE,
            AttributeType::FINGERPRINT
        ]
    );
    // On the wire the address is XOR'd, not in the clear.
    let raw = msg.raw(AttributeType::XOR_MAPPED_ADDRESS).unwrap();
    assert_ne!(&raw.value[4..8], &[198, 51, 100, 7]);
}

#[test]
fn the_xor_address_round_trips_for_ipv4_and_ipv6_sources() {
    let s = server(None, true);
    for source in [
        "192.0.2.1:1",
        "255.255.255.255:65535",
        "0.0.0.0:0",
        "[2001:db8::1]:3478",
        "[2001:db8:1234:5678:9abc:def0:1234:5678]:65535",
        "[::1]:9",
        "[fe80::1]:5000",
    ] {
        let source: SocketAddr = source.parse().unwrap();
        let resp = s.handle(&binding_request(), source).unwrap();
        let msg = Message::parse(&resp).unwrap();
        let got = msg.get::<XorMappedAddress>().unwrap().unwrap().0;
        assert_eq!(got, source);
        // IPv6 values are 20 bytes, IPv4 8 (RFC 8489 §14.2).
        let raw = msg.raw(AttributeType::XOR_MAPPED_ADDRESS).unwrap();
        assert_eq!(raw.value.len(), if source.is_ipv4() { 8 } else { 20 });
    }
}

#[test]
fn an_ipv4_mapped_source_is_answered_as_ipv4() {
    let s = server(None, false);
    let mapped: SocketAddr = "[::ffff:203.0.113.5]:4444".parse().unwrap();
    let resp = s.handle(&binding_request(), mapped).unwrap();
    let msg = Message::parse(&resp).unwrap();
    assert_eq!(
        msg.get::<XorMappedAddress>().unwrap().unwrap().0,
        "203.0.113.5:4444".parse::<SocketAddr>().unwrap()
    );
}

#[test]
fn software_and_fingerprint_follow_the_config() {
    let s = server(None, false);
    assert_eq!(s.config().software, None);
    let resp = s.handle(&binding_request(), src()).unwrap();
    let msg = Message::parse(&resp).unwrap();
    let types: Vec<AttributeType> = msg.attributes().map(|a| a.typ).collect();
    assert_eq!(types, [AttributeType::XOR_MAPPED_ADDRESS]);
    assert_eq!(msg.verify_fingerprint(), Err(Error::MissingFingerprint));

    assert!(BindingServerConfig::default().fingerprint);
    let too_long = "x".repeat(128);
    assert!(matches!(
        BindingServer::with_config(BindingServerConfig::default().software(too_long)),
        Err(Error::ValueTooLong { .. })
    ));
}

fn error_code(resp: &[u8]) -> (u16, Message<'_>) {
    let msg = Message::parse(resp).unwrap();
    assert_eq!(msg.class(), Class::ErrorResponse);
    assert_eq!(msg.transaction_id(), TID);
    assert_eq!(msg.verify_fingerprint(), Ok(true));
    let code = msg.get::<ErrorCode>().unwrap().unwrap();
    (code.code(), msg)
}

#[test]
fn unknown_comprehension_required_attributes_get_420_listing_them() {
    let mut b = builder(Method::BINDING, Class::Request);
    b.add_raw(AttributeType(0x7F01), b"a").unwrap();
    b.add_raw(AttributeType(0xC001), b"optional, ignored")
        .unwrap();
    b.add_raw(
        AttributeType(0x0002),
        b"RESPONSE-ADDRESS, gone since RFC 5389",
    )
    .unwrap();
    b.add_raw(AttributeType(0x7F01), b"listed once").unwrap();
    b.add_raw(AttributeType::SOFTWARE, b"client").unwrap();
    b.add_fingerprint().unwrap();
    let req = b.finish();

    let resp = server(Some("srv"), true).handle(&req, src()).unwrap();
    let (code, msg) = error_code(&resp);
    assert_eq!(code, 420);
    assert_eq!(msg.method(), Method::BINDING);
    let unknown = msg.get::<UnknownAttributes>().unwrap().unwrap();
    let listed: Vec<AttributeType> = unknown.iter().collect();
    assert_eq!(listed, [AttributeType(0x7F01), AttributeType(0x0002)]);
    assert_eq!(msg.get::<XorMappedAddress>(), None);
    assert_eq!(msg.get::<Software>().unwrap().unwrap().as_str(), "srv");
}

#[test]
fn malformed_requests_with_a_readable_header_get_400() {
    let good = binding_request();

    // Length field says 4 more bytes than arrived.
    let mut short = good.clone();
    short[3] = 4;
    // Datagram longer than the length field.
    let mut long = good.clone();
    long.extend_from_slice(&[0, 0, 0, 0]);
    // Length not a multiple of 4.
    let mut unaligned = good.clone();
    unaligned[3] = 2;
    unaligned.extend_from_slice(&[0, 0]);
    // An attribute running past the end.
    let mut overflow = good.clone();
    overflow[3] = 8;
    overflow.extend_from_slice(&[0x80, 0x22, 0x00, 0x09, b'a', b'b', b'c', b'd']);
    // FINGERPRINT not last.
    let mut b = builder(Method::BINDING, Class::Request);
    b.add_fingerprint().unwrap();
    let mut not_last = b.finish().to_vec();
    not_last[3] += 8;
    not_last.extend_from_slice(&[0x80, 0x22, 0x00, 0x01, b'x', 0, 0, 0]);

    let s = server(None, true);
    for (name, req) in [
        ("short", short),
        ("long", long),
        ("unaligned", unaligned),
        ("overflow", overflow),
        ("fingerprint not last", not_last),
    ] {
        let resp = s
            .handle(&req, src())
            .unwrap_or_else(|| panic!("{name}: no answer"));
        assert_eq!(error_code(&resp).0, 400, "{name}");
    }
}

#[test]
fn other_methods_get_400() {
    let req = builder(Method::ALLOCATE, Class::Request).finish();
    let resp = server(None, true).handle(&req, src()).unwrap();
    let (code, msg) = error_code(&resp);
    assert_eq!((code, msg.method()), (400, Method::ALLOCATE));
}

#[test]
fn indications_responses_and_garbage_get_no_answer() {
    let s = server(Some("srv"), true);
    let mut bad_cookie = binding_request();
    bad_cookie[4] ^= 0xFF;
    let mut rtp = binding_request();
    rtp[0] = 0x80;
    let mut garbage_indication = builder(Method::BINDING, Class::Indication)
        .finish()
        .to_vec();
    garbage_indication[3] = 0x40; // and malformed
    for (name, msg) in [
        (
            "indication",
            builder(Method::BINDING, Class::Indication)
                .finish()
                .to_vec(),
        ),
        ("malformed indication", garbage_indication),
        (
            "success response",
            builder(Method::BINDING, Class::SuccessResponse)
                .finish()
                .to_vec(),
        ),
        (
            "error response",
            builder(Method::BINDING, Class::ErrorResponse)
                .finish()
                .to_vec(),
        ),
        ("empty", Vec::new()),
        ("19 bytes", binding_request()[..19].to_vec()),
        ("bad magic cookie", bad_cookie),
        ("first bits not zero", rtp),
        ("ChannelData", b"\x40\x00\x00\x04abcd".to_vec()),
        (
            "text",
            b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n".to_vec(),
        ),
    ] {
        assert_eq!(s.handle(&msg, src()), None, "{name}");
    }
}

#[test]
fn a_wrong_fingerprint_is_silently_discarded() {
    let mut b = builder(Method::BINDING, Class::Request);
    b.add_fingerprint().unwrap();
    let mut req = b.finish().to_vec();
    let s = server(None, true);
    assert!(
        s.handle(&req, src()).is_some(),
        "right FINGERPRINT answered"
    );
    let last = req.len() - 1;
    req[last] ^= 0x01;
    assert_eq!(s.handle(&req, src()), None);
    // Even when the request also has unknown attributes.
    let mut b = builder(Method::BINDING, Class::Request);
    b.add_raw(AttributeType(0x7F01), b"").unwrap();
    b.add_fingerprint().unwrap();
    let mut req = b.finish().to_vec();
    let last = req.len() - 1;
    req[last] ^= 0x01;
    assert_eq!(s.handle(&req, src()), None);
}

#[test]
fn the_rfc_5769_sample_request_is_answered() {
    // RFC 5769 §2.1: SOFTWARE, PRIORITY, ICE-CONTROLLED, USERNAME,
    // MESSAGE-INTEGRITY, FINGERPRINT: all known, so a success response.
    let req = rtw_testkit::hex(rtw_testkit::rfc5769::REQUEST);
    let resp = server(None, true).handle(&req, src()).unwrap();
    let msg = Message::parse(&resp).unwrap();
    assert_eq!(msg.class(), Class::SuccessResponse);
    assert_eq!(&msg.transaction_id().0, &req[8..20]);
    assert_eq!(msg.get::<XorMappedAddress>().unwrap().unwrap().0, src());
}

#[test]
fn handle_message_takes_a_parsed_request() {
    let s = server(None, true);
    let req = binding_request();
    let msg = Message::parse(&req).unwrap();
    assert_eq!(s.handle_message(&msg, src()), s.handle(&req, src()));
    let ind = builder(Method::BINDING, Class::Indication).finish();
    assert_eq!(
        s.handle_message(&Message::parse(&ind).unwrap(), src()),
        None
    );
}

#[test]
fn requests_beyond_the_limits_are_answered_400() {
    let limits = rtw_stun::Limits::default().max_attributes(2);
    let s = BindingServer::with_config(BindingServerConfig::default().limits(limits)).unwrap();
    let mut b = builder(Method::BINDING, Class::Request);
    for _ in 0..3 {
        b.add(&Software::new("x").unwrap()).unwrap();
    }
    let resp = s.handle(&b.finish(), src()).unwrap();
    let resp = Message::parse(&resp).unwrap();
    assert_eq!(resp.class(), Class::ErrorResponse);
    assert_eq!(resp.get::<ErrorCode>().unwrap().unwrap().code(), 400);
    // Within the limits the same server answers with the address.
    let mut b = builder(Method::BINDING, Class::Request);
    b.add(&Software::new("x").unwrap()).unwrap();
    let resp = s.handle(&b.finish(), src()).unwrap();
    assert_eq!(
        Message::parse(&resp).unwrap().class(),
        Class::SuccessResponse
    );
}
