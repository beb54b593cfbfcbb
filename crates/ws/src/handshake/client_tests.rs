//! Unit tests of the client's handshake (RFC 6455 §4.1).

use super::*;
use crate::SeededRandom;
use crate::handshake::test_heads::{RFC_RESPONSE, head_with};

/// RFC 6455 §1.2: the example nonce is the 16 bytes "the sample nonce".
fn sample_nonce(dst: &mut [u8]) {
    dst.copy_from_slice(b"the sample nonce");
}

fn rfc_client() -> ClientHandshake {
    ClientHandshake::builder("server.example.com", "/chat")
        .protocols(["chat", "superchat"])
        .origin("http://example.com")
        .build(&mut sample_nonce)
        .unwrap()
}

/// The RFC response with field lines changed (see [`head_with`]).
fn response_with(changes: &[(&str, Option<&str>)]) -> String {
    head_with(RFC_RESPONSE, changes)
}

fn validate(client: &ClientHandshake, response: &str) -> Result<ClientNegotiated, HandshakeError> {
    client
        .read_response(response.as_bytes())
        .map(|r| r.expect("complete head").0)
}

#[test]
fn request_is_the_rfc6455_section_1_2_example_verbatim() {
    let client = rfc_client();
    assert_eq!(
        String::from_utf8(client.request_bytes()).unwrap(),
        rtw_testkit::rfc6455::REQUEST
    );
    assert_eq!(client.key(), rtw_testkit::rfc6455::KEY);
    assert_eq!(client.expected_accept(), rtw_testkit::rfc6455::ACCEPT);
    let req = client.request();
    assert_eq!(req.method(), http::Method::GET);
    assert_eq!(req.uri(), "/chat");
    assert_eq!(req.version(), Version::HTTP_11);
    assert_eq!(req.headers()[SEC_WEBSOCKET_VERSION], "13");
    assert_eq!(client.offered_protocols(), ["chat", "superchat"]);
}

#[test]
fn rfc6455_section_1_3_response_is_accepted() {
    let n = validate(&rfc_client(), RFC_RESPONSE).unwrap();
    assert_eq!(n.protocol.as_deref(), Some("chat"));
    assert!(n.extensions.is_empty());
    assert_eq!(n.response.status(), StatusCode::SWITCHING_PROTOCOLS);
    assert_eq!(
        n.response.headers()[SEC_WEBSOCKET_ACCEPT],
        "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    );
}

#[test]
fn keys_come_from_the_random_source() {
    let mut rng = SeededRandom::new(9);
    let a = ClientHandshake::new("h", "/", &mut rng).unwrap();
    let b = ClientHandshake::new("h", "/", &mut rng).unwrap();
    assert_ne!(a.key(), b.key());
    let again = ClientHandshake::new("h", "/", &mut SeededRandom::new(9)).unwrap();
    assert_eq!(a.key(), again.key());
    assert_eq!(a.expected_accept(), accept_key(a.key().as_bytes()));
}

#[test]
fn tolerant_where_rfc_is_tolerant() {
    let c = rfc_client();
    for changes in [
        &[("Upgrade", Some("WebSocket"))][..],
        &[("Upgrade", Some("  websocket\t"))],
        &[("Connection", Some("keep-alive, upgrade"))],
        &[("Connection", Some("UPGRADE,"))],
        &[("Sec-WebSocket-Protocol", None)],
        &[("Sec-WebSocket-Protocol", Some("superchat"))],
        &[("X-Extra", Some("anything"))],
    ] {
        assert!(validate(&c, &response_with(changes)).is_ok(), "{changes:?}");
    }
    assert_eq!(
        validate(&c, &response_with(&[("Sec-WebSocket-Protocol", None)]))
            .unwrap()
            .protocol,
        None
    );
}

#[test]
fn every_response_check_fails_with_its_error() {
    let c = rfc_client();
    let accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
    use HandshakeError as E;
    let cases: Vec<(String, HandshakeError)> = vec![
        (
            RFC_RESPONSE.replace("101 Switching Protocols", "200 OK"),
            E::UnexpectedStatus { status: 200 },
        ),
        (
            RFC_RESPONSE.replace("101 Switching Protocols", "403 Forbidden"),
            E::UnexpectedStatus { status: 403 },
        ),
        (
            RFC_RESPONSE.replace("HTTP/1.1", "HTTP/1.0"),
            E::ResponseHttpVersion {
                version: "HTTP/1.0".into(),
            },
        ),
        (
            response_with(&[("Upgrade", None)]),
            E::ResponseNotWebSocketUpgrade { found: None },
        ),
        (
            response_with(&[("Upgrade", Some("websocket, h2c"))]),
            E::ResponseNotWebSocketUpgrade {
                found: Some("websocket, h2c".into()),
            },
        ),
        (
            response_with(&[("Upgrade", Some("websocket/13"))]),
            E::ResponseNotWebSocketUpgrade {
                found: Some("websocket/13".into()),
            },
        ),
        (
            response_with(&[("Connection", None)]),
            E::ResponseMissingConnectionUpgrade,
        ),
        (
            response_with(&[("Connection", Some("keep-alive"))]),
            E::ResponseMissingConnectionUpgrade,
        ),
        (
            response_with(&[("Connection", Some("Upgrade, a b"))]),
            E::ResponseMalformedConnection,
        ),
        (
            response_with(&[("Sec-WebSocket-Accept", None)]),
            E::ResponseMissingAccept,
        ),
        (
            response_with(&[("Sec-WebSocket-Accept", Some("S3pPLMBiTxaQ9kYGzzhZRbK+xOo="))]),
            E::ResponseAcceptMismatch {
                expected: accept.into(),
                found: "S3pPLMBiTxaQ9kYGzzhZRbK+xOo=".into(),
            },
        ),
        (
            response_with(&[("Sec-WebSocket-Accept", Some("dGhlIHNhbXBsZSBub25jZQ=="))]),
            E::ResponseAcceptMismatch {
                expected: accept.into(),
                found: "dGhlIHNhbXBsZSBub25jZQ==".into(),
            },
        ),
        (
            RFC_RESPONSE.replace(
                "\r\n\r\n",
                &format!("\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"),
            ),
            E::ResponseAcceptMismatch {
                expected: accept.into(),
                found: format!("{accept}, {accept}"),
            },
        ),
        (
            response_with(&[("Sec-WebSocket-Protocol", Some("v2.chat"))]),
            E::UnofferedProtocol {
                protocol: "v2.chat".into(),
            },
        ),
        (
            response_with(&[("Sec-WebSocket-Protocol", Some("Chat"))]),
            E::UnofferedProtocol {
                protocol: "Chat".into(),
            },
        ),
        (
            response_with(&[("Sec-WebSocket-Protocol", Some("chat, superchat"))]),
            E::ResponseMalformedProtocol {
                found: "chat, superchat".into(),
            },
        ),
        (
            response_with(&[("Sec-WebSocket-Protocol", Some(""))]),
            E::ResponseMalformedProtocol {
                found: String::new(),
            },
        ),
        (
            response_with(&[("Sec-WebSocket-Extensions", Some("permessage-deflate"))]),
            E::UnofferedExtension {
                name: "permessage-deflate".into(),
            },
        ),
        (
            response_with(&[("Sec-WebSocket-Extensions", Some("permessage-deflate;"))]),
            E::ResponseMalformedExtensions(crate::handshake::ExtensionError::ExpectedToken {
                at: 19,
            }),
        ),
    ];
    for (response, err) in cases {
        assert_eq!(validate(&c, &response).unwrap_err(), err, "{response}");
        assert!(err.is_peer_fault() && !err.is_request_fault());
    }
}

#[test]
fn a_protocol_when_none_was_offered_is_refused() {
    let c = ClientHandshake::new("h", "/", &mut sample_nonce).unwrap();
    assert_eq!(
        validate(&c, RFC_RESPONSE).unwrap_err(),
        HandshakeError::UnofferedProtocol {
            protocol: "chat".into()
        }
    );
    let ok = response_with(&[("Sec-WebSocket-Protocol", None)]);
    assert!(validate(&c, &ok).is_ok());
}

#[test]
fn accepted_extensions_keep_the_servers_parameters() {
    let c = ClientHandshake::builder("h", "/")
        .extensions(vec![
            ExtensionOffer::new("permessage-deflate").with_flag("client_max_window_bits"),
            ExtensionOffer::new("permessage-deflate"),
            ExtensionOffer::new("x-other"),
        ])
        .build(&mut sample_nonce)
        .unwrap();
    let head = c.request_bytes();
    let head = String::from_utf8(head).unwrap();
    assert!(
        head.contains(
            "\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits, permessage-deflate, x-other\r\n"
        ),
        "{head}"
    );
    let res = response_with(&[
        ("Sec-WebSocket-Protocol", None),
        (
            "Sec-WebSocket-Extensions",
            Some("Permessage-Deflate; server_max_window_bits=\"10\""),
        ),
    ]);
    let n = validate(&c, &res).unwrap();
    assert_eq!(
        n.extensions,
        [ExtensionOffer::new("Permessage-Deflate").with_param("server_max_window_bits", "10")]
    );
}

#[test]
fn incomplete_responses_wait_and_frames_after_the_head_are_left() {
    let c = rfc_client();
    for i in 0..RFC_RESPONSE.len() {
        assert!(
            matches!(c.read_response(&RFC_RESPONSE.as_bytes()[..i]), Ok(None)),
            "{i}"
        );
    }
    let mut wire = RFC_RESPONSE.as_bytes().to_vec();
    wire.extend_from_slice(b"\x81\x05hello");
    let (_, n) = c.read_response(&wire).unwrap().unwrap();
    assert_eq!(&wire[n..], b"\x81\x05hello");
}

#[test]
fn response_limits_apply() {
    let c = ClientHandshake::builder("h", "/")
        .protocols(["chat"])
        .limits(Limits::default().max_head_bytes(64).max_headers(64))
        .build(&mut sample_nonce)
        .unwrap();
    assert_eq!(
        c.read_response(RFC_RESPONSE.as_bytes()).unwrap_err(),
        HandshakeError::ResponseHeadTooLarge { limit: 64 }
    );
    assert!(matches!(
        c.read_response(&RFC_RESPONSE.as_bytes()[..63]),
        Ok(None)
    ));
}

#[test]
fn builder_mistakes_are_reported_by_build() {
    use HandshakeError as E;
    let cases: Vec<(ClientBuilder, HandshakeError)> = vec![
        (
            ClientHandshake::builder("", "/"),
            E::InvalidClientHost {
                host: String::new(),
            },
        ),
        (
            ClientHandshake::builder("a b", "/"),
            E::InvalidClientHost { host: "a b".into() },
        ),
        (
            ClientHandshake::builder("user@host", "/"),
            E::InvalidClientHost {
                host: "user@host".into(),
            },
        ),
        (
            ClientHandshake::builder("h", "chat"),
            E::InvalidResourceName {
                resource: "chat".into(),
            },
        ),
        (
            ClientHandshake::builder("h", "/a#b"),
            E::InvalidResourceName {
                resource: "/a#b".into(),
            },
        ),
        (
            ClientHandshake::builder("h", "/a b"),
            E::InvalidResourceName {
                resource: "/a b".into(),
            },
        ),
        (
            ClientHandshake::builder("h", "/é"),
            E::InvalidResourceName {
                resource: "/é".into(),
            },
        ),
        (
            ClientHandshake::builder("h", "/").protocols(["chat", "bad name"]),
            E::InvalidOfferedProtocol {
                protocol: "bad name".into(),
            },
        ),
        (
            ClientHandshake::builder("h", "/").protocols(["chat", ""]),
            E::InvalidOfferedProtocol {
                protocol: String::new(),
            },
        ),
        (
            ClientHandshake::builder("h", "/")
                .protocols(["chat"])
                .protocols(["chat"]),
            E::DuplicateOfferedProtocol {
                protocol: "chat".into(),
            },
        ),
        (
            ClientHandshake::builder("h", "/")
                .extensions(vec![ExtensionOffer::new("x").with_param("a", "1 2")]),
            E::InvalidExtension(crate::handshake::ExtensionError::InvalidValue {
                value: "1 2".into(),
            }),
        ),
        (
            ClientHandshake::builder("h", "/").origin("http://a\r\nInjected: 1"),
            E::InvalidHeader {
                name: "Origin".into(),
            },
        ),
        (
            ClientHandshake::builder("h", "/").header("Sec-WebSocket-Key", "x"),
            E::ReservedHeader {
                name: "sec-websocket-key".into(),
            },
        ),
        (
            ClientHandshake::builder("h", "/")
                .header("X-Ok", "1")
                .header("bad:name", "1"),
            E::InvalidHeader {
                name: "bad:name".into(),
            },
        ),
        (
            ClientHandshake::builder_from_uri(&"https://h/".parse().unwrap()).protocols(["chat"]),
            E::UnsupportedScheme {
                scheme: "https".into(),
            },
        ),
    ];
    for (builder, err) in cases {
        assert_eq!(builder.build(&mut sample_nonce).unwrap_err(), err);
        assert!(!err.is_peer_fault(), "{err}");
    }
}

#[test]
fn uri_builder_and_extra_headers() {
    let uri: Uri = "ws://example.com:8080/socket?token=1".parse().unwrap();
    let c = ClientHandshake::builder_from_uri(&uri)
        .header("Authorization", "Bearer x")
        .header("Cookie", "a=1")
        .build(&mut sample_nonce)
        .unwrap();
    let head = String::from_utf8(c.request_bytes()).unwrap();
    assert!(
        head.starts_with("GET /socket?token=1 HTTP/1.1\r\nHost: example.com:8080\r\n"),
        "{head}"
    );
    assert!(
        head.ends_with(
            "Sec-WebSocket-Version: 13\r\nAuthorization: Bearer x\r\nCookie: a=1\r\n\r\n"
        ),
        "{head}"
    );
    let ipv6 = ClientHandshake::new("[::1]:9001", "/", &mut sample_nonce).unwrap();
    assert_eq!(ipv6.request().headers()[HOST], "[::1]:9001");
    let mut buf = bytes::BytesMut::new();
    ipv6.write_request(&mut buf);
    assert_eq!(&buf[..], &ipv6.request_bytes()[..]);
}
