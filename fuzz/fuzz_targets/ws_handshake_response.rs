//! Fuzz target for the client's side of the rtw-ws opening handshake
//! (RFC 6455 §4.1): reading and validating the server's response.
//!
//! Input layout: two control bytes, then the bytes the server sent
//! (missing control bytes count as zero).
//!
//! - byte 0, options: bit 0 small [`rtw_ws::Limits`] (from byte 1); bit 1
//!   the client offers subprotocols `chat` and `superchat`; bit 2 it offers
//!   `permessage-deflate` and `x-test`; bit 3 the response starts with a
//!   valid head for that client (the accept key is hard to guess), the
//!   input follows it as more fields, body or frames.
//! - byte 1: parameter of the small limits, also where prefixes are cut.
//!
//! The client's key comes from a fixed seed. Properties checked; a panic
//! is a bug:
//!
//! 1. `read_response` is `parse_response` then `validate_response`.
//! 2. A complete head of `n` bytes: `n` is within the input and the limit,
//!    the head alone parses to the same response, its proper prefixes give
//!    `Ok(None)`. `Ok(None)` only below the head size limit.
//! 3. An accepted response has status 101, the expected
//!    `Sec-WebSocket-Accept`, and negotiated only what was offered: a
//!    subprotocol from the list, extensions by offered names.
//! 4. Every error says whose fault it is (`is_peer_fault`, no panic
//!    formatting it either); every error of a response is the peer's.
#![no_main]

use http::header::SEC_WEBSOCKET_ACCEPT;
use http::{Response, StatusCode};
use libfuzzer_sys::fuzz_target;
use rtw_fuzz::ws::{check_complete_head, head_input};
use rtw_ws::SeededRandom;
use rtw_ws::handshake::{ClientHandshake, ExtensionOffer, parse_response_with_limits};

fuzz_target!(|input: &[u8]| {
    let (opts, param, data, limits) = head_input(input);
    let mut builder = ClientHandshake::builder("server.example", "/chat").limits(limits.clone());
    if opts & 2 != 0 {
        builder = builder.protocols(["chat", "superchat"]);
    }
    if opts & 4 != 0 {
        builder = builder.extensions(vec![
            ExtensionOffer::new("permessage-deflate").with_flag("client_max_window_bits"),
            ExtensionOffer::new("x-test"),
        ]);
    }
    let client = builder
        .build(&mut SeededRandom::new(6455))
        .expect("fixed options build");

    let mut wire = Vec::new();
    if opts & 8 != 0 {
        wire.extend_from_slice(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n");
        wire.extend_from_slice(b"Connection: Upgrade\r\nSec-WebSocket-Accept: ");
        wire.extend_from_slice(client.expected_accept().as_bytes());
        wire.extend_from_slice(b"\r\n");
    }
    wire.extend_from_slice(data);

    // 1.
    let parsed = parse_response_with_limits(&wire, &limits);
    assert_eq!(
        parsed.as_ref().map(|p| p.as_ref().map(|(_, n)| *n)),
        client
            .parse_response(&wire)
            .as_ref()
            .map(|p| p.as_ref().map(|(_, n)| *n)),
        "ClientHandshake::parse_response uses other limits"
    );
    let read = client.read_response(&wire);
    match (&parsed, &read) {
        (Err(p), Err(r)) => assert_eq!(p, r, "read_response error"),
        (Ok(None), Ok(None)) => assert!(
            wire.len() < limits.max_head_bytes,
            "Ok(None) over the limit"
        ),
        (Ok(Some((response, n))), read) => {
            // 2.
            let same = |alone: &Response<()>| {
                (alone.status(), alone.version(), alone.headers())
                    == (response.status(), response.version(), response.headers())
            };
            check_complete_head(&limits, &wire, *n, param, parse_response_with_limits, same);
            let validated = client.validate_response(response);
            match (&validated, read) {
                (Ok(v), Ok(Some((r, m)))) => {
                    assert_eq!(n, m, "head length");
                    assert_eq!(v.protocol, r.protocol);
                    assert_eq!(v.extensions, r.extensions);
                }
                (Err(v), Err(r)) => assert_eq!(v, r, "validate error"),
                _ => panic!("read_response gave {read:?}, validate {validated:?}"),
            }
        }
        _ => panic!("parse_response gave {parsed:?}, read_response {read:?}"),
    }

    match read {
        // 3.
        Ok(Some((negotiated, _))) => {
            let response = &negotiated.response;
            assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
            let accept = response.headers().get(SEC_WEBSOCKET_ACCEPT).unwrap();
            assert_eq!(
                accept.as_bytes().trim_ascii(),
                client.expected_accept().as_bytes()
            );
            if let Some(p) = &negotiated.protocol {
                assert!(client.offered_protocols().contains(p), "unoffered {p}");
            }
            for e in &negotiated.extensions {
                assert!(
                    client.offered_extensions().iter().any(|o| o.is(&e.name)),
                    "unoffered extension {}",
                    e.name
                );
            }
        }
        // 4.
        Err(e) => {
            let _ = e.to_string();
            assert!(e.is_peer_fault(), "a response error is the peer's: {e:?}");
            assert!(!e.is_request_fault(), "a client blamed a request: {e:?}");
        }
        Ok(None) => {}
    }
});
