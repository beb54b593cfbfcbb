//! The opening handshake (RFC 6455 §4) through the public API: the RFC's own
//! example, our client against our server, every rejection with its status,
//! incomplete heads, leftover bytes and limits.

use rtw_ws::handshake::{
    ClientHandshake, ExtensionOffer, HandshakeError, ServerHandshake, ServerPolicy, accept_key,
    parse_response,
};
use rtw_ws::{Limits, SeededRandom};

// RFC 6455 §1.2, the client's and the server's handshake.
use rtw_testkit::rfc6455::{REQUEST as RFC_REQUEST, RESPONSE as RFC_RESPONSE};

/// The 16 bytes whose base64 is the RFC's example key.
fn sample_nonce(dst: &mut [u8]) {
    dst.copy_from_slice(b"the sample nonce");
}

fn chat_server() -> ServerHandshake<ServerPolicy> {
    ServerHandshake::with_policy(ServerPolicy::new().supported_protocols(["chat"]))
}

#[test]
fn rfc6455_section_1_3_accept_value() {
    assert_eq!(
        accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
        "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    );
}

#[test]
fn rfc6455_example_request_is_accepted_with_the_example_response() {
    let (accepted, n) = chat_server()
        .read_request(RFC_REQUEST.as_bytes())
        .unwrap()
        .unwrap();
    assert_eq!(n, RFC_REQUEST.len());
    assert_eq!(accepted.protocol.as_deref(), Some("chat"));
    assert_eq!(accepted.origin.as_deref(), Some("http://example.com"));
    assert_eq!(accepted.request.uri().path(), "/chat");
    assert_eq!(
        String::from_utf8(accepted.response_bytes()).unwrap(),
        RFC_RESPONSE
    );
}

#[test]
fn rfc6455_example_is_what_our_client_sends_and_accepts() {
    let client = ClientHandshake::builder("server.example.com", "/chat")
        .protocols(["chat", "superchat"])
        .origin("http://example.com")
        .build(&mut sample_nonce)
        .unwrap();
    assert_eq!(
        String::from_utf8(client.request_bytes()).unwrap(),
        RFC_REQUEST
    );
    let (negotiated, n) = client
        .read_response(RFC_RESPONSE.as_bytes())
        .unwrap()
        .unwrap();
    assert_eq!(n, RFC_RESPONSE.len());
    assert_eq!(negotiated.protocol.as_deref(), Some("chat"));
    assert!(negotiated.extensions.is_empty());
}

#[test]
fn round_trip_with_a_subprotocol_and_an_extension() {
    let mut rng = SeededRandom::new(0x5eed);
    let uri: http::Uri = "ws://127.0.0.1:9001/echo?room=7".parse().unwrap();
    let client = ClientHandshake::builder_from_uri(&uri)
        .protocols(["v2.chat", "chat"])
        .extensions(vec![
            ExtensionOffer::new("permessage-deflate")
                .with_flag("client_max_window_bits")
                .with_flag("server_no_context_takeover"),
            ExtensionOffer::new("permessage-deflate"),
            ExtensionOffer::new("x-unsupported"),
        ])
        .header("Authorization", "Bearer t0k3n")
        .build(&mut rng)
        .unwrap();

    let policy = ServerPolicy::new()
        .supported_protocols(["chat"])
        .extension_negotiator(|offers: &[ExtensionOffer]| {
            // Answer the first permessage-deflate offer, keeping its
            // server_no_context_takeover (RFC 7692 §7.1.1.1).
            let Some(offer) = offers.iter().find(|o| o.is("permessage-deflate")) else {
                return Vec::new();
            };
            let mut response = ExtensionOffer::new("permessage-deflate");
            if offer.has_param("server_no_context_takeover") {
                response = response.with_flag("server_no_context_takeover");
            }
            vec![response]
        });
    let server = ServerHandshake::with_policy(policy).with_header("Server", "rtw-test");

    // The client's first frame may arrive right behind its head.
    let mut wire = client.request_bytes();
    wire.extend_from_slice(b"\x81\x85\x00\x00\x00\x00hello");
    let (accepted, n) = server.read_request(&wire).unwrap().unwrap();
    assert_eq!(&wire[n..], b"\x81\x85\x00\x00\x00\x00hello");
    assert_eq!(accepted.request.uri(), "/echo?room=7");
    assert_eq!(accepted.request.headers()["host"], "127.0.0.1:9001");
    assert_eq!(accepted.request.headers()["authorization"], "Bearer t0k3n");
    assert_eq!(accepted.offered_protocols, ["v2.chat", "chat"]);
    assert_eq!(accepted.offered_extensions.len(), 3);
    assert_eq!(accepted.protocol.as_deref(), Some("chat"));

    let mut wire = accepted.response_bytes();
    wire.extend_from_slice(b"\x81\x02hi");
    let (negotiated, n) = client.read_response(&wire).unwrap().unwrap();
    assert_eq!(&wire[n..], b"\x81\x02hi");
    assert_eq!(negotiated.protocol, accepted.protocol);
    assert_eq!(negotiated.extensions, accepted.extensions);
    assert_eq!(
        negotiated.extensions,
        [ExtensionOffer::new("permessage-deflate").with_flag("server_no_context_takeover")]
    );
    assert_eq!(negotiated.response.headers()["server"], "rtw-test");
}

#[test]
fn our_client_passes_our_server_through_http_types() {
    let client = ClientHandshake::new("example.com", "/", &mut SeededRandom::new(1)).unwrap();
    let accepted = ServerHandshake::new().accept(client.request()).unwrap();
    let negotiated = client.validate_response(&accepted.response).unwrap();
    assert_eq!(
        (negotiated.protocol, negotiated.extensions.len()),
        (None, 0)
    );
}

#[test]
fn browser_shaped_requests_are_accepted() {
    let chromium = "GET /ws HTTP/1.1\r\nHost: localhost:8080\r\nConnection: Upgrade\r\nPragma: no-cache\r\n\
                    Cache-Control: no-cache\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\nUpgrade: websocket\r\n\
                    Origin: http://localhost:8080\r\nSec-WebSocket-Version: 13\r\n\
                    Accept-Encoding: gzip, deflate, br\r\nAccept-Language: en-US,en;q=0.9\r\n\
                    Sec-WebSocket-Key: x3JJHMbDL1EzLkh9GBhXDw==\r\n\
                    Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n";
    let firefox = "GET /ws HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: Mozilla/5.0 Firefox\r\n\
                   Accept: */*\r\nSec-WebSocket-Version: 13\r\nOrigin: http://localhost:8080\r\n\
                   Sec-WebSocket-Extensions: permessage-deflate\r\nSec-WebSocket-Key: x3JJHMbDL1EzLkh9GBhXDw==\r\n\
                   Connection: keep-alive, Upgrade\r\nSec-Fetch-Mode: websocket\r\nPragma: no-cache\r\n\
                   Upgrade: websocket\r\n\r\n";
    for request in [chromium, firefox] {
        let (accepted, _) = ServerHandshake::new()
            .read_request(request.as_bytes())
            .unwrap()
            .unwrap();
        assert_eq!(accepted.offered_extensions[0].name, "permessage-deflate");
        assert_eq!(
            accepted.response.headers()["sec-websocket-accept"],
            "HSmrc0sMlYUkAGmm5OPpG2HaGWk="
        );
    }
}

#[test]
fn incomplete_heads_wait_at_every_split_point() {
    let server = chat_server();
    let client = ClientHandshake::builder("server.example.com", "/chat")
        .protocols(["chat", "superchat"])
        .origin("http://example.com")
        .build(&mut sample_nonce)
        .unwrap();
    for i in 0..RFC_REQUEST.len() {
        assert!(
            matches!(server.read_request(&RFC_REQUEST.as_bytes()[..i]), Ok(None)),
            "request prefix {i}"
        );
    }
    for i in 0..RFC_RESPONSE.len() {
        assert!(
            matches!(
                client.read_response(&RFC_RESPONSE.as_bytes()[..i]),
                Ok(None)
            ),
            "response prefix {i}"
        );
    }
    // Fed one byte at a time, as a caller appending to its buffer would.
    let mut buf = Vec::new();
    let mut done = None;
    for &b in RFC_REQUEST.as_bytes().iter().chain(b"\x88\x80") {
        buf.push(b);
        if done.is_none() {
            done = server.read_request(&buf).unwrap().map(|(_, n)| n);
        }
    }
    assert_eq!(done, Some(RFC_REQUEST.len()));
}

/// The RFC request with `from` replaced by `to`.
fn rfc_request_with(from: &str, to: &str) -> String {
    assert!(RFC_REQUEST.contains(from), "{from}");
    RFC_REQUEST.replacen(from, to, 1)
}

#[test]
fn every_rejection_rule_with_its_status_and_reply() {
    let server = chat_server();
    let drop = |line: &str| rfc_request_with(&format!("{line}\r\n"), "");
    let add = |line: &str| rfc_request_with("\r\n\r\n", &format!("\r\n{line}\r\n\r\n"));
    let cases: Vec<(&str, String, u16)> = vec![
        ("method", rfc_request_with("GET", "POST"), 405),
        ("version", rfc_request_with("HTTP/1.1", "HTTP/1.0"), 400),
        ("target", rfc_request_with("GET /chat", "GET *"), 400),
        ("no host", drop("Host: server.example.com"), 400),
        ("two hosts", add("Host: server.example.com"), 400),
        (
            "bad host",
            rfc_request_with("server.example.com", "server example"),
            400,
        ),
        ("no upgrade", drop("Upgrade: websocket"), 400),
        (
            "upgrade h2c",
            rfc_request_with("Upgrade: websocket", "Upgrade: h2c"),
            400,
        ),
        ("no connection", drop("Connection: Upgrade"), 400),
        (
            "connection close",
            rfc_request_with("Connection: Upgrade", "Connection: close"),
            400,
        ),
        ("no version", drop("Sec-WebSocket-Version: 13"), 426),
        (
            "version 8",
            rfc_request_with("Version: 13", "Version: 8"),
            426,
        ),
        (
            "no key",
            drop("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="),
            400,
        ),
        (
            "two keys",
            add("Sec-WebSocket-Key: x3JJHMbDL1EzLkh9GBhXDw=="),
            400,
        ),
        (
            "short key",
            rfc_request_with("dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZQ=="),
            400,
        ),
        ("two origins", add("Origin: http://example.com"), 400),
        (
            "protocol twice",
            rfc_request_with("chat, superchat", "chat, chat"),
            400,
        ),
        (
            "protocol not token",
            rfc_request_with("chat, superchat", "chat, \"superchat\""),
            400,
        ),
        (
            "bad extensions",
            add("Sec-WebSocket-Extensions: permessage-deflate; a=\"b c\""),
            400,
        ),
        ("malformed head", rfc_request_with("Host: ", "Host : "), 400),
    ];
    for (what, request, status) in cases {
        let err = server.read_request(request.as_bytes()).unwrap_err();
        assert_eq!(err.status().as_u16(), status, "{what}: {err}");
        assert!(err.is_request_fault(), "{what}");
        // The reply is a well-formed response that our client refuses.
        let reply = err.rejection_bytes();
        let (response, n) = parse_response(&reply).unwrap().unwrap();
        assert_eq!(response.status().as_u16(), status, "{what}");
        let connection = response.headers()["connection"].to_str().unwrap();
        assert!(connection.contains("close"), "{what}: {connection}");
        let body_len: usize = response.headers()["content-length"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(reply.len() - n, body_len, "{what}");
        assert_eq!(
            response
                .headers()
                .get("sec-websocket-version")
                .map(|v| v.to_str().unwrap()),
            (status == 426).then_some("13"),
            "{what}"
        );
        assert_eq!(
            response.headers().get("allow").is_some(),
            status == 405,
            "{what}"
        );
        let client =
            ClientHandshake::new("server.example.com", "/chat", &mut sample_nonce).unwrap();
        assert_eq!(
            client.read_response(&reply).unwrap_err(),
            HandshakeError::UnexpectedStatus { status }
        );
    }

    let refused = ServerHandshake::with_policy(
        ServerPolicy::new().allowed_origins(["https://elsewhere.example"]),
    )
    .read_request(RFC_REQUEST.as_bytes())
    .unwrap_err();
    assert_eq!(
        refused,
        HandshakeError::OriginRefused {
            origin: Some("http://example.com".into())
        }
    );
    assert_eq!(refused.status().as_u16(), 403);
}

#[test]
fn header_count_and_head_size_are_bounded() {
    let server = ServerHandshake::new();
    // CVE-2024-37890 (node ws): a flood of header lines.
    let mut flood = String::from("GET / HTTP/1.1\r\nHost: a\r\n");
    for i in 0..65 {
        flood.push_str(&format!("X-{i}: v\r\n"));
    }
    flood.push_str("\r\n");
    let err = server.read_request(flood.as_bytes()).unwrap_err();
    assert_eq!(err, HandshakeError::TooManyRequestHeaders { limit: 64 });
    assert_eq!(err.status().as_u16(), 431);

    // A head that never ends: refused once the limit is buffered, never
    // "incomplete" beyond it.
    let limit = Limits::default().max_head_bytes;
    let mut endless = String::from("GET / HTTP/1.1\r\nX-Long: ");
    while endless.len() < limit - 1 {
        endless.push('a');
    }
    assert!(matches!(server.read_request(endless.as_bytes()), Ok(None)));
    endless.push('a');
    let err = server.read_request(endless.as_bytes()).unwrap_err();
    assert_eq!(err, HandshakeError::RequestHeadTooLarge { limit });
    assert_eq!(err.status().as_u16(), 431);
    endless.push_str("\r\n\r\n");
    assert_eq!(
        server.read_request(endless.as_bytes()).unwrap_err(),
        HandshakeError::RequestHeadTooLarge { limit }
    );

    // Raised limits let the same head through to the WebSocket checks.
    let roomy = ServerHandshake::new()
        .with_limits(Limits::default().max_head_bytes(1 << 20).max_headers(100));
    assert_eq!(
        roomy.read_request(flood.as_bytes()).unwrap_err(),
        HandshakeError::NotWebSocketUpgrade
    );
}

#[test]
fn a_long_protocol_list_is_parsed_in_linear_time() {
    // CVE-2021-32640 (node ws): a slow regular expression on this field.
    let protocols: Vec<String> = (0..2_000).map(|i| format!("p{i}")).collect();
    let value = format!("{}, {}", protocols.join(",  \t"), "chat");
    let request = rfc_request_with("chat, superchat", &value);
    let server = chat_server().with_limits(Limits::default().max_head_bytes(64 * 1024));
    let (accepted, _) = server.read_request(request.as_bytes()).unwrap().unwrap();
    assert_eq!(accepted.offered_protocols.len(), 2_001);
    assert_eq!(accepted.protocol.as_deref(), Some("chat"));
    let spaces = rfc_request_with("chat, superchat", &format!("chat{}x", " ".repeat(30_000)));
    assert!(matches!(
        server.read_request(spaces.as_bytes()),
        Err(HandshakeError::MalformedTokenList { .. })
    ));
}

#[test]
fn client_uri_rules() {
    for (uri, err) in [
        (
            "http://example.com/",
            HandshakeError::UnsupportedScheme {
                scheme: "http".into(),
            },
        ),
        (
            "ftp://example.com/",
            HandshakeError::UnsupportedScheme {
                scheme: "ftp".into(),
            },
        ),
    ] {
        let uri: http::Uri = uri.parse().unwrap();
        assert_eq!(
            ClientHandshake::builder_from_uri(&uri)
                .build(&mut sample_nonce)
                .unwrap_err(),
            err
        );
    }
    for (uri, host) in [
        ("ws://example.com/", "example.com"),
        ("ws://example.com:80/", "example.com"),
        ("wss://example.com:443/", "example.com"),
        ("wss://example.com:80/", "example.com:80"),
        ("ws://[::1]:9001/", "[::1]:9001"),
    ] {
        let uri: http::Uri = uri.parse().unwrap();
        let client = ClientHandshake::builder_from_uri(&uri)
            .build(&mut sample_nonce)
            .unwrap();
        assert_eq!(client.request().headers()["host"], host, "{uri}");
    }
}
