//! Unit tests of the server's handshake (RFC 6455 §4.2).

use super::*;
use crate::handshake::test_heads::{RFC_REQUEST, RFC_RESPONSE, head_with};
use crate::handshake::{ExtensionError, ServerPolicy};

/// The RFC request with field lines changed (see [`head_with`]).
fn request_with(changes: &[(&str, Option<&str>)]) -> String {
    head_with(RFC_REQUEST, changes)
}

/// The RFC request with `line` added.
fn request_plus(line: &str) -> String {
    RFC_REQUEST.replace("\r\n\r\n", &format!("\r\n{line}\r\n\r\n"))
}

fn chat_server() -> ServerHandshake<ServerPolicy> {
    ServerHandshake::with_policy(ServerPolicy::new().supported_protocols(["chat"]))
}

fn accept<P: AcceptPolicy>(
    server: &ServerHandshake<P>,
    request: &str,
) -> Result<ServerNegotiated, HandshakeError> {
    server
        .read_request(request.as_bytes())
        .map(|r| r.expect("complete head").0)
}

#[test]
fn rfc6455_example_request_gets_the_example_response_verbatim() {
    let n = accept(&chat_server(), RFC_REQUEST).unwrap();
    assert_eq!(String::from_utf8(n.response_bytes()).unwrap(), RFC_RESPONSE);
    assert_eq!(n.protocol.as_deref(), Some("chat"));
    assert_eq!(n.offered_protocols, ["chat", "superchat"]);
    assert_eq!(n.origin.as_deref(), Some("http://example.com"));
    assert_eq!(n.request.uri(), "/chat");
    assert!(n.extensions.is_empty() && n.offered_extensions.is_empty());
}

#[test]
fn default_policy_speaks_no_subprotocol() {
    let n = accept(&ServerHandshake::new(), RFC_REQUEST).unwrap();
    assert_eq!(n.protocol, None);
    assert!(!n.response.headers().contains_key(SEC_WEBSOCKET_PROTOCOL));
    assert!(!n.response.headers().contains_key(SEC_WEBSOCKET_EXTENSIONS));
}

#[test]
fn odd_spacing_case_and_repeated_lines_are_accepted() {
    let server = chat_server();
    for request in [
        request_with(&[("Connection", Some("keep-alive, Upgrade"))]),
        request_with(&[("connection", Some("  keep-alive ,upgrade\t"))]),
        request_with(&[("Upgrade", Some("WebSocket"))]),
        request_with(&[("upgrade", Some("h2c, HTTP/2.0,websocket"))]),
        request_with(&[("Sec-WebSocket-Version", Some(" 13 "))]),
        request_with(&[("Sec-WebSocket-Protocol", Some("chat,superchat,"))]),
        request_with(&[("Host", Some("server.example.com:8080"))]),
        request_with(&[("Host", Some("[::1]:80"))]),
        request_with(&[("Origin", None)]),
        RFC_REQUEST.replace(
            "Connection: Upgrade",
            "Connection: keep-alive\r\nconnection: UPGRADE",
        ),
        RFC_REQUEST.replace(
            "Sec-WebSocket-Protocol: chat, superchat",
            "Sec-WebSocket-Protocol: superchat\r\nSec-WebSocket-Protocol: chat",
        ),
        RFC_REQUEST.replace("GET /chat", "GET ws://server.example.com/chat"),
        format!("\r\n{RFC_REQUEST}"),
    ] {
        let n = accept(&server, &request).unwrap_or_else(|e| panic!("{request}: {e}"));
        assert_eq!(n.protocol.as_deref(), Some("chat"), "{request}");
    }
}

#[test]
fn every_rejection_rule_has_its_error_and_status() {
    use HandshakeError as E;
    let server = chat_server();
    let cases: Vec<(String, HandshakeError, u16)> = vec![
        (
            RFC_REQUEST.replace("GET", "POST"),
            E::MethodNotGet {
                method: "POST".into(),
            },
            405,
        ),
        (
            RFC_REQUEST.replace("GET", "get"),
            E::MethodNotGet {
                method: "get".into(),
            },
            405,
        ),
        (
            RFC_REQUEST.replace("HTTP/1.1", "HTTP/1.0"),
            E::HttpVersionTooOld {
                version: "HTTP/1.0".into(),
            },
            400,
        ),
        (
            RFC_REQUEST.replace("GET /chat", "GET *"),
            E::InvalidRequestTarget { target: "*".into() },
            400,
        ),
        (
            RFC_REQUEST.replace("GET /chat", "GET server.example.com:80"),
            E::InvalidRequestTarget {
                target: "server.example.com:80".into(),
            },
            400,
        ),
        (request_with(&[("Host", None)]), E::MissingHost, 400),
        (
            request_plus("Host: other.example.com"),
            E::DuplicateHost,
            400,
        ),
        (
            request_with(&[("Host", Some(""))]),
            E::InvalidHost {
                value: String::new(),
            },
            400,
        ),
        (
            request_with(&[("Host", Some("user@server.example.com"))]),
            E::InvalidHost {
                value: "user@server.example.com".into(),
            },
            400,
        ),
        (
            request_with(&[("Host", Some("a b"))]),
            E::InvalidHost {
                value: "a b".into(),
            },
            400,
        ),
        (
            request_with(&[("Upgrade", None)]),
            E::NotWebSocketUpgrade,
            400,
        ),
        (
            request_with(&[("Upgrade", Some("h2c"))]),
            E::NotWebSocketUpgrade,
            400,
        ),
        (
            request_with(&[("Upgrade", Some("websocket/13"))]),
            E::NotWebSocketUpgrade,
            400,
        ),
        (
            request_with(&[("Upgrade", Some("web socket"))]),
            E::MalformedTokenList { name: "Upgrade" },
            400,
        ),
        (
            request_with(&[("Connection", None)]),
            E::MissingConnectionUpgrade,
            400,
        ),
        (
            request_with(&[("Connection", Some("keep-alive"))]),
            E::MissingConnectionUpgrade,
            400,
        ),
        (
            request_with(&[("Connection", Some("Upgrade; x"))]),
            E::MalformedTokenList { name: "Connection" },
            400,
        ),
        (
            request_with(&[("Sec-WebSocket-Version", None)]),
            E::MissingVersion,
            426,
        ),
        (
            request_with(&[("Sec-WebSocket-Version", Some("8"))]),
            E::UnsupportedVersion { found: "8".into() },
            426,
        ),
        (
            request_with(&[("Sec-WebSocket-Version", Some("13, 8"))]),
            E::UnsupportedVersion {
                found: "13, 8".into(),
            },
            426,
        ),
        (
            request_plus("Sec-WebSocket-Version: 13"),
            E::UnsupportedVersion {
                found: "13, 13".into(),
            },
            426,
        ),
        (
            request_with(&[("Sec-WebSocket-Key", None)]),
            E::MissingKey,
            400,
        ),
        (
            request_plus("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="),
            E::DuplicateKey,
            400,
        ),
        (
            request_with(&[("Sec-WebSocket-Key", Some("c2hvcnQ="))]),
            E::InvalidKey {
                value: "c2hvcnQ=".into(),
            },
            400,
        ),
        (
            request_with(&[("Sec-WebSocket-Key", Some("not base64 at all!!!!!!!"))]),
            E::InvalidKey {
                value: "not base64 at all!!!!!!!".into(),
            },
            400,
        ),
        (
            request_plus("Origin: http://evil.example"),
            E::DuplicateOrigin,
            400,
        ),
        (
            request_with(&[("Sec-WebSocket-Protocol", Some("chat, chat"))]),
            E::DuplicateProtocol {
                protocol: "chat".into(),
            },
            400,
        ),
        (
            request_with(&[("Sec-WebSocket-Protocol", Some("chat, super chat"))]),
            E::MalformedTokenList {
                name: "Sec-WebSocket-Protocol",
            },
            400,
        ),
        (
            request_with(&[("Sec-WebSocket-Protocol", Some(" , "))]),
            E::MalformedTokenList {
                name: "Sec-WebSocket-Protocol",
            },
            400,
        ),
        (
            request_with(&[("Sec-WebSocket-Extensions", Some("permessage-deflate; =1"))]),
            E::MalformedExtensions(ExtensionError::ExpectedToken { at: 20 }),
            400,
        ),
        (
            request_with(&[("Sec-WebSocket-Extensions", Some(""))]),
            E::MalformedExtensions(ExtensionError::Empty),
            400,
        ),
    ];
    for (request, err, status) in cases {
        assert_eq!(accept(&server, &request).unwrap_err(), err, "{request}");
        assert_eq!(err.status().as_u16(), status, "{err}");
        assert!(err.is_request_fault(), "{err}");
        let reply = String::from_utf8(err.rejection_bytes()).unwrap();
        assert!(reply.starts_with(&format!("HTTP/1.1 {status} ")), "{reply}");
        assert_eq!(
            reply.contains("\r\nSec-WebSocket-Version: 13\r\n"),
            status == 426,
            "{reply}"
        );
    }
}

#[test]
fn origin_policy_refuses_with_403() {
    let server =
        ServerHandshake::with_policy(ServerPolicy::new().allowed_origins(["https://good.example"]));
    let refused = accept(&server, RFC_REQUEST).unwrap_err();
    assert_eq!(
        refused,
        HandshakeError::OriginRefused {
            origin: Some("http://example.com".into())
        }
    );
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(
        accept(
            &server,
            &request_with(&[("Origin", Some("https://good.example"))])
        )
        .is_ok()
    );
    assert!(accept(&server, &request_with(&[("Origin", None)])).is_ok());
    let strict = ServerHandshake::with_policy(ServerPolicy::new().origin_check(|o| o.is_some()));
    assert_eq!(
        accept(&strict, &request_with(&[("Origin", None)])).unwrap_err(),
        HandshakeError::OriginRefused { origin: None }
    );
    let non_ascii = RFC_REQUEST.replace("http://example.com", "http://ex\u{e4}mple.com");
    assert!(matches!(
        accept(&ServerHandshake::new(), &non_ascii).unwrap_err(),
        HandshakeError::OriginRefused { origin: Some(_) }
    ));
}

#[test]
fn policy_mistakes_are_local_faults() {
    let wrong_protocol = ServerHandshake::with_policy(
        ServerPolicy::new().protocol_selector(|_| Some("other".into())),
    );
    let e = accept(&wrong_protocol, RFC_REQUEST).unwrap_err();
    assert_eq!(
        e,
        HandshakeError::PolicyUnofferedProtocol {
            protocol: "other".into()
        }
    );
    assert_eq!((e.is_peer_fault(), e.status().as_u16()), (false, 500));

    let with_ext = request_with(&[("Sec-WebSocket-Extensions", Some("x-a"))]);
    let wrong_ext = ServerHandshake::with_policy(
        ServerPolicy::new().extension_negotiator(|_| vec![ExtensionOffer::new("x-b")]),
    );
    assert_eq!(
        accept(&wrong_ext, &with_ext).unwrap_err(),
        HandshakeError::PolicyUnofferedExtension { name: "x-b".into() }
    );
    let bad_ext = ServerHandshake::with_policy(
        ServerPolicy::new()
            .extension_negotiator(|_| vec![ExtensionOffer::new("x-a").with_param("p", "a b")]),
    );
    assert_eq!(
        accept(&bad_ext, &with_ext).unwrap_err(),
        HandshakeError::InvalidExtension(ExtensionError::InvalidValue {
            value: "a b".into()
        })
    );
    let reserved = ServerHandshake::new().with_header("Sec-WebSocket-Accept", "x");
    assert_eq!(
        accept(&reserved, RFC_REQUEST).unwrap_err(),
        HandshakeError::ReservedHeader {
            name: "sec-websocket-accept".into()
        }
    );
}

#[test]
fn extensions_are_negotiated_by_the_policy() {
    let request = request_with(&[(
        "Sec-WebSocket-Extensions",
        Some("permessage-deflate; client_max_window_bits, permessage-deflate, x-unknown"),
    )]);
    let server = ServerHandshake::with_policy(ServerPolicy::new().extension_negotiator(|offers| {
        assert_eq!(offers.len(), 3);
        offers
            .iter()
            .find(|o| o.is("permessage-deflate") && o.has_param("client_max_window_bits"))
            .map(|_| {
                ExtensionOffer::new("permessage-deflate").with_param("client_max_window_bits", "10")
            })
            .into_iter()
            .collect()
    }));
    let n = accept(&server, &request).unwrap();
    assert_eq!(n.offered_extensions.len(), 3);
    assert_eq!(n.extensions.len(), 1);
    assert_eq!(
        n.response.headers()[SEC_WEBSOCKET_EXTENSIONS],
        "permessage-deflate; client_max_window_bits=10"
    );
}

#[test]
fn extra_fields_follow_the_handshake_fields() {
    let server = ServerHandshake::new().with_header("Server", "rtw");
    let mut n = accept(&server, RFC_REQUEST).unwrap();
    n.response
        .headers_mut()
        .append("set-cookie", HeaderValue::from_static("s=1"));
    let text = String::from_utf8(n.response_bytes()).unwrap();
    assert!(
        text.ends_with("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nServer: rtw\r\nSet-Cookie: s=1\r\n\r\n"),
        "{text}"
    );
}

#[test]
fn http_requests_with_any_body_type_are_accepted_in_place() {
    let request = Request::get("/chat")
        .header("host", "server.example.com")
        .header("upgrade", "websocket")
        .header("connection", "Upgrade")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .header("sec-websocket-version", "13")
        .body(String::from("ignored body"))
        .unwrap();
    let n = ServerHandshake::new().accept(&request).unwrap();
    assert_eq!(
        n.response.headers()[SEC_WEBSOCKET_ACCEPT],
        "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    );
    let mut h2 = Request::new(());
    *h2.version_mut() = Version::HTTP_2;
    *h2.method_mut() = Method::CONNECT;
    assert!(matches!(
        ServerHandshake::new().accept(&h2),
        Err(HandshakeError::MethodNotGet { .. })
    ));
}

#[test]
fn limits_bound_the_request_head() {
    let few = ServerHandshake::new().with_limits(Limits::default().max_headers(6));
    let e = few.read_request(RFC_REQUEST.as_bytes()).unwrap_err();
    assert_eq!(e, HandshakeError::TooManyRequestHeaders { limit: 6 });
    assert_eq!(e.status(), StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    let small = ServerHandshake::new().with_limits(Limits::default().max_head_bytes(100));
    let e = small.read_request(RFC_REQUEST.as_bytes()).unwrap_err();
    assert_eq!(e, HandshakeError::RequestHeadTooLarge { limit: 100 });
    assert_eq!(e.status(), StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    assert_eq!(small.limits().max_head_bytes, 100);
}
