//! Fuzz target for the rtw-stun message reader, builder, integrity checks
//! and Binding server (RFC 8489).
//!
//! The whole input is one datagram; there are no control bytes, so the
//! RFC 5769 samples can seed the corpus as they are.
//!
//! Properties checked for every input; a panic is a bug in rtw-stun:
//!
//! 1. [`Message::parse`] never panics, and neither does anything asked of
//!    a message it accepted: iterating the attributes, reading every typed
//!    attribute the crate knows with `get`, `check_unknown_attributes`,
//!    `verify_fingerprint` and `verify_integrity` with a fixed key.
//! 2. A typed attribute that decodes, written back with
//!    [`MessageBuilder::add`], decodes to the same value.
//! 3. Rebuilding the message from its attributes ([`MessageBuilder::add_raw`],
//!    with MESSAGE-INTEGRITY(-SHA256) and FINGERPRINT computed afresh with
//!    the fixed key where the original had them) gives a message that
//!    parses, has the same attributes, and verifies: its FINGERPRINT if it
//!    has one, its integrity with the same key if it has one.
//! 4. [`BindingServer::handle`] never panics, for IPv4, IPv6 and
//!    IPv4-mapped IPv6 sources, with and without SOFTWARE and FINGERPRINT;
//!    every answer parses, is a response with the request's transaction ID,
//!    and its FINGERPRINT verifies when the server adds one.
#![no_main]

use std::net::SocketAddr;
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use rtw_stun::attributes::{
    AdditionalAddressFamily, AddressErrorCode, AlternateDomain, AlternateServer, ChannelNumber,
    Data, DontFragment, ErrorCode, EvenPort, Fingerprint, IceControlled, IceControlling, Icmp,
    Lifetime, MappedAddress, MessageIntegrity, MessageIntegritySha256, Nonce, PasswordAlgorithm,
    PasswordAlgorithms, Priority, Realm, RequestedAddressFamily, RequestedTransport,
    ReservationToken, Software, UnknownAttributes, UseCandidate, Userhash, Username,
    XorMappedAddress, XorPeerAddress, XorRelayedAddress,
};
use rtw_stun::key::short_term_key;
use rtw_stun::{
    AttributeType, BindingServer, BindingServerConfig, Class, Error, IntegrityAlgorithm, Message,
    MessageBuilder,
};

/// The short-term key of the RFC 5769 samples, so that seeds from there
/// verify and the fuzzer can reach the code after a successful check.
static KEY: LazyLock<Vec<u8>> =
    LazyLock::new(|| short_term_key("VOkJxbRl1RmTxUk/WvJxBt").expect("valid password"));

static SERVERS: LazyLock<[BindingServer; 2]> = LazyLock::new(|| {
    [
        BindingServer::with_config(BindingServerConfig::default()).expect("default config"),
        BindingServer::with_config(
            BindingServerConfig::default()
                .software("rtw fuzz")
                .fingerprint(false),
        )
        .expect("short SOFTWARE"),
    ]
});

static SOURCES: LazyLock<[SocketAddr; 3]> = LazyLock::new(|| {
    [
        "192.0.2.1:32853".parse().unwrap(),
        "[2001:db8:1234:5678:11:2233:4455:6677]:32853"
            .parse()
            .unwrap(),
        "[::ffff:198.51.100.7]:40000".parse().unwrap(),
    ]
});

fuzz_target!(|input: &[u8]| {
    if let Ok(msg) = Message::parse(input) {
        check_message(&msg);
    }
    check_server(input);
});

/// Properties 1 to 3 for a message that parsed.
fn check_message(msg: &Message<'_>) {
    let _ = (msg.message_type(), msg.method().name(), msg.class());
    for attr in msg.attributes() {
        assert!(
            attr.offset >= 20 && attr.offset + 4 + attr.value.len() <= msg.as_bytes().len(),
            "attribute out of the message"
        );
        let _ = attr.typ.name();
    }
    check_typed_attributes(msg);
    match msg.check_unknown_attributes() {
        Ok(()) => assert!(msg.unknown_attributes().is_empty()),
        Err(Error::UnknownAttributes(types)) => {
            assert!(!types.is_empty());
            assert!(types.iter().all(|t| t.is_comprehension_required()));
        }
        Err(other) => panic!("check_unknown_attributes gave {other:?}"),
    }
    let _ = msg.verify_fingerprint();
    if let Err(e) = msg.verify_integrity(KEY.as_slice()) {
        let _ = e.error_code();
    }
    check_rebuild(msg);
}

/// Read `$typ` with `get`; if it decodes, write it back with the builder
/// and read it again (property 2). `$eq` compares two decoded values.
macro_rules! round_trip {
    ($msg:expr, $($typ:ty),* $(,)?) => {
        $(round_trip!(@one $msg, $typ, |a: &$typ, b: &$typ| a == b);)*
    };
    (@one $msg:expr, $typ:ty, $eq:expr) => {{
        if let Some(Ok(value)) = $msg.get::<$typ>() {
            let mut b = MessageBuilder::new($msg.message_type(), $msg.transaction_id());
            b.add(&value).expect("a decoded attribute is short enough to add");
            let bytes = b.finish();
            let again = Message::parse(&bytes).expect("one attribute parses");
            let decoded = again
                .get::<$typ>()
                .expect("the attribute just added")
                .unwrap_or_else(|e| {
                    panic!("{} re-decodes with {e:?}: {value:?}", stringify!($typ))
                });
            let eq = $eq;
            assert!(
                eq(&value, &decoded),
                "{} round trip: {value:?} became {decoded:?}",
                stringify!($typ)
            );
        }
    }};
}

/// Property 2 for every typed attribute of the crate.
fn check_typed_attributes(msg: &Message<'_>) {
    round_trip!(
        msg,
        MappedAddress,
        XorMappedAddress,
        XorPeerAddress,
        XorRelayedAddress,
        AlternateServer,
        ErrorCode<'_>,
        Priority,
        UseCandidate,
        IceControlled,
        IceControlling,
        MessageIntegrity,
        MessageIntegritySha256,
        Fingerprint,
        PasswordAlgorithm<'_>,
        Username<'_>,
        Realm<'_>,
        Nonce<'_>,
        Software<'_>,
        AlternateDomain<'_>,
        ChannelNumber,
        Lifetime,
        Data<'_>,
        RequestedAddressFamily,
        AdditionalAddressFamily,
        EvenPort,
        RequestedTransport,
        DontFragment,
        ReservationToken,
        AddressErrorCode<'_>,
        Icmp,
        Userhash,
    );
    round_trip!(@one msg, PasswordAlgorithms<'_>, |a: &PasswordAlgorithms<'_>,
                                                  b: &PasswordAlgorithms<'_>| {
        a == b && a.iter().eq(b.iter())
    });
    if let Some(Ok(list)) = msg.get::<PasswordAlgorithms<'_>>() {
        for alg in list.iter() {
            assert!(list.contains(alg.algorithm));
        }
    }
    if let Some(Ok(unknown)) = msg.get::<UnknownAttributes<'_>>() {
        let types: Vec<AttributeType> = unknown.iter().collect();
        assert_eq!(types.len(), unknown.len());
        assert_eq!(types.is_empty(), unknown.is_empty());
        assert!(types.iter().all(|&t| unknown.contains(t)));
        let mut b = MessageBuilder::new(msg.message_type(), msg.transaction_id());
        b.add(&unknown)
            .expect("a decoded attribute is short enough to add");
        let bytes = b.finish();
        let again = Message::parse(&bytes).expect("one attribute parses");
        let decoded = again
            .get::<UnknownAttributes<'_>>()
            .expect("the attribute just added")
            .expect("UNKNOWN-ATTRIBUTES re-decodes");
        assert!(decoded.iter().eq(types.iter().copied()));
    }
    if let Some(Ok(nonce)) = msg.get::<Nonce<'_>>()
        && let Some(features) = nonce.security_features()
    {
        let _ = (features.bits(), features.cookie());
    }
}

/// Property 3: rebuild `msg` from its attributes.
fn check_rebuild(msg: &Message<'_>) {
    let mut b = MessageBuilder::new(msg.message_type(), msg.transaction_id());
    let mut had_integrity = false;
    let mut had_fingerprint = false;
    for attr in msg.attributes() {
        let added = match attr.typ {
            AttributeType::MESSAGE_INTEGRITY => {
                had_integrity = true;
                b.add_message_integrity(KEY.as_slice())
            }
            AttributeType::MESSAGE_INTEGRITY_SHA256 => {
                let len = attr.value.len();
                if !(16..=32).contains(&len) || len % 4 != 0 {
                    // The builder cannot write a length the RFC forbids.
                    return;
                }
                had_integrity = true;
                b.add_message_integrity_sha256(KEY.as_slice(), len)
            }
            AttributeType::FINGERPRINT => {
                had_fingerprint = true;
                b.add_fingerprint()
            }
            typ => b.add_raw(typ, attr.value),
        };
        match added {
            Ok(_) => {}
            // MESSAGE-INTEGRITY written as 20 bytes where the original was
            // shorter can push a message near 64 KiB over the limit.
            Err(Error::ValueTooLong { .. }) if msg.as_bytes().len() > 65_000 => return,
            Err(e) => panic!("rebuilding {:?} at {}: {e:?}", attr.typ, attr.offset),
        }
    }
    let bytes = b.finish();
    let rebuilt = Message::parse(&bytes)
        .unwrap_or_else(|e| panic!("the rebuilt message does not parse: {e:?}"));
    assert_eq!(rebuilt.message_type(), msg.message_type());
    assert_eq!(rebuilt.transaction_id(), msg.transaction_id());
    let same_attributes = rebuilt
        .attributes()
        .map(|a| (a.typ, a.value))
        .zip(msg.attributes().map(|a| (a.typ, a.value)))
        .all(|(new, old)| {
            new.0 == old.0
                && (matches!(
                    new.0,
                    AttributeType::MESSAGE_INTEGRITY
                        | AttributeType::MESSAGE_INTEGRITY_SHA256
                        | AttributeType::FINGERPRINT
                ) || new.1 == old.1)
        });
    assert!(same_attributes, "attributes changed in the rebuild");
    assert_eq!(rebuilt.attributes().count(), msg.attributes().count());
    assert_eq!(
        rebuilt.verify_fingerprint(),
        if had_fingerprint {
            Ok(true)
        } else {
            Err(Error::MissingFingerprint)
        },
        "FINGERPRINT of the rebuilt message"
    );
    if had_integrity {
        let alg = rebuilt
            .verify_integrity(KEY.as_slice())
            .unwrap_or_else(|e| panic!("integrity of the rebuilt message: {e:?}"));
        let has_sha256 = rebuilt
            .raw(AttributeType::MESSAGE_INTEGRITY_SHA256)
            .is_some();
        assert_eq!(alg == IntegrityAlgorithm::HmacSha256, has_sha256);
        // Another key must not verify.
        assert!(rebuilt.verify_integrity(b"not the key").is_err());
    } else {
        assert!(matches!(
            rebuilt.verify_integrity(KEY.as_slice()),
            Err(Error::MissingIntegrity)
        ));
    }
}

/// Property 4.
fn check_server(input: &[u8]) {
    let tid = input.get(8..20);
    for server in SERVERS.iter() {
        for &source in SOURCES.iter() {
            let Some(answer) = server.handle(input, source) else {
                continue;
            };
            let answer = Message::parse(&answer)
                .unwrap_or_else(|e| panic!("the server's answer does not parse: {e:?}"));
            assert!(
                matches!(
                    answer.class(),
                    Class::SuccessResponse | Class::ErrorResponse
                ),
                "the server answered with a {:?}",
                answer.class()
            );
            assert_eq!(Some(&answer.transaction_id().0[..]), tid);
            assert_eq!(
                answer.verify_fingerprint(),
                if server.config().fingerprint {
                    Ok(true)
                } else {
                    Err(Error::MissingFingerprint)
                },
                "FINGERPRINT of the server's answer"
            );
            if answer.class() == Class::SuccessResponse {
                let mapped = answer
                    .get::<XorMappedAddress>()
                    .expect("XOR-MAPPED-ADDRESS in a success response")
                    .expect("XOR-MAPPED-ADDRESS decodes");
                let expected = match source {
                    SocketAddr::V6(v6) => match v6.ip().to_ipv4_mapped() {
                        Some(v4) => SocketAddr::new(v4.into(), v6.port()),
                        None => source,
                    },
                    v4 => v4,
                };
                assert_eq!(mapped.0, expected);
            } else {
                let code = answer
                    .get::<ErrorCode<'_>>()
                    .expect("ERROR-CODE in an error response")
                    .expect("ERROR-CODE decodes");
                assert!((300..700).contains(&code.code()));
            }
            check_message(&answer);
        }
    }
}
