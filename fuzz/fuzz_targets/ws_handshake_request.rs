//! Fuzz target for the server's side of the rtw-ws opening handshake
//! (RFC 6455 §4.2), and for a client handshake built from fuzzed options
//! (RFC 6455 §4.1).
//!
//! Input layout: two control bytes, then the bytes a client sent (missing
//! control bytes count as zero).
//!
//! - byte 0, options: bit 0 small [`Limits`] (from byte 1); bit 1
//!   a policy that accepts subprotocols and extensions instead of
//!   [`DefaultPolicy`]; bit 2 an origin check refusing one origin.
//! - byte 1: parameter of the small limits, also where prefixes are cut.
//!
//! Properties checked for every input; a panic is a bug:
//!
//! 1. `read_request` is `parse_request` then `accept`: same errors, same
//!    `Ok(None)`, same outcome of `accept` on the parsed head.
//! 2. A complete head of `n` bytes: `n` is within the input and the limit,
//!    the head alone parses to the same request, and its proper prefixes
//!    give `Ok(None)`. `Ok(None)` only below the head size limit.
//! 3. An accepted request: the 101 response bytes parse completely with
//!    `parse_response`, with status 101, `Sec-WebSocket-Accept` equal to
//!    `accept_key` of the request's key, and the subprotocol and extensions
//!    the server negotiated; the negotiated subprotocol and extensions were
//!    offered.
//! 4. A refused request: the error is the request's fault or the
//!    caller's (never a response's), and the rejection parses as a response
//!    with the error's status and its `Content-Length` body.
//! 5. Round trip of a client: the input also gives the options of a
//!    `ClientHandshake` (lines: host, resource, subprotocols separated by
//!    commas, an extensions field value, an origin, an extra header as
//!    `name: value`). When those options build, the server accepts the
//!    request in full, and the client validates the server's response with
//!    the subprotocol and extensions the server picked.
#![no_main]

use http::header::{SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_PROTOCOL};
use http::{Request, StatusCode};
use libfuzzer_sys::fuzz_target;
use rtw_fuzz::ws::{check_complete_head, head_input};
use rtw_ws::handshake::{
    ClientHandshake, HandshakeError, ServerHandshake, ServerNegotiated, ServerPolicy, accept_key,
    parse_extensions, parse_request_with_limits, parse_response,
};
use rtw_ws::{Limits, SeededRandom};

/// The origin refused when option bit 2 is set.
const REFUSED_ORIGIN: &str = "http://evil.example";

fuzz_target!(|input: &[u8]| {
    let (opts, param, wire, limits) = head_input(input);
    let server = ServerHandshake::with_policy(policy(opts)).with_limits(limits.clone());

    check_server(&server, &limits, wire, param);
    check_client_round_trip(&server, wire);
});

/// The server's decisions for option bits 1 and 2.
fn policy(opts: u8) -> ServerPolicy {
    let mut policy = ServerPolicy::new();
    if opts & 2 != 0 {
        // The client's last subprotocol (not its favourite, to tell the two
        // apart) and its first extension offer echoed as is.
        policy = policy
            .protocol_selector(|offered| offered.last().cloned())
            .extension_negotiator(|offered| offered.iter().take(1).cloned().collect());
    }
    if opts & 4 != 0 {
        policy = policy.origin_check(|origin| origin != Some(REFUSED_ORIGIN));
    }
    policy
}

/// Properties 1 to 4.
fn check_server(server: &ServerHandshake<ServerPolicy>, limits: &Limits, wire: &[u8], param: u8) {
    let parsed = parse_request_with_limits(wire, limits);
    assert_eq!(
        parsed.as_ref().map(|p| p.as_ref().map(|(_, n)| *n)),
        server
            .parse_request(wire)
            .as_ref()
            .map(|p| p.as_ref().map(|(_, n)| *n)),
        "ServerHandshake::parse_request uses other limits"
    );
    let read = server.read_request(wire);
    match (&parsed, &read) {
        (Err(p), Err(r)) => assert_eq!(p, r, "read_request error"),
        (Ok(None), Ok(None)) => assert!(
            wire.len() < limits.max_head_bytes,
            "Ok(None) for {} bytes, over the limit {}",
            wire.len(),
            limits.max_head_bytes
        ),
        (Ok(Some((request, n))), read) => {
            // 2.
            let same = |alone: &Request<()>| same_request(request, alone);
            check_complete_head(limits, wire, *n, param, parse_request_with_limits, same);
            let accepted = server.accept(request);
            match (&accepted, read) {
                (Ok(a), Ok(Some((r, m)))) => {
                    assert_eq!(n, m, "head length");
                    assert_eq!(a.response_bytes(), r.response_bytes(), "response");
                }
                (Err(a), Err(r)) => assert_eq!(a, r, "accept error"),
                _ => panic!("read_request gave {read:?}, accept {accepted:?}"),
            }
        }
        _ => panic!("parse_request gave {parsed:?}, read_request {read:?}"),
    }
    match read {
        Ok(Some((negotiated, _))) => check_accepted(&negotiated),
        Err(e) => check_rejection(&e),
        Ok(None) => {}
    }
}

fn same_request(a: &Request<()>, b: &Request<()>) -> bool {
    a.method() == b.method()
        && a.uri() == b.uri()
        && a.version() == b.version()
        && a.headers() == b.headers()
}

/// Property 3.
fn check_accepted(negotiated: &ServerNegotiated) {
    let bytes = negotiated.response_bytes();
    let (response, n) = match parse_response(&bytes) {
        Ok(Some(parsed)) => parsed,
        other => panic!("the 101 response does not parse: {other:?}"),
    };
    assert_eq!(n, bytes.len(), "response head length");
    assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
    let key = negotiated
        .request
        .headers()
        .get(SEC_WEBSOCKET_KEY)
        .expect("an accepted request has a key");
    let key = key.as_bytes().trim_ascii();
    assert_eq!(
        response
            .headers()
            .get(SEC_WEBSOCKET_ACCEPT)
            .map(|v| v.as_bytes()),
        Some(accept_key(key).as_bytes()),
        "Sec-WebSocket-Accept"
    );
    assert_eq!(
        response
            .headers()
            .get(SEC_WEBSOCKET_PROTOCOL)
            .map(|v| v.to_str().unwrap()),
        negotiated.protocol.as_deref(),
        "Sec-WebSocket-Protocol"
    );
    if let Some(p) = &negotiated.protocol {
        assert!(negotiated.offered_protocols.contains(p), "unoffered {p}");
    }
    let extensions = response
        .headers()
        .get_all(http::header::SEC_WEBSOCKET_EXTENSIONS);
    if negotiated.extensions.is_empty() {
        assert!(extensions.iter().next().is_none(), "extensions field");
    } else {
        assert_eq!(
            parse_extensions(extensions).as_ref(),
            Ok(&negotiated.extensions),
            "Sec-WebSocket-Extensions"
        );
    }
    for e in &negotiated.extensions {
        assert!(
            negotiated.offered_extensions.iter().any(|o| o.is(&e.name)),
            "unoffered extension {}",
            e.name
        );
    }
}

/// Property 4.
fn check_rejection(error: &HandshakeError) {
    assert!(
        !error.is_peer_fault() || error.is_request_fault(),
        "a server blamed a response: {error:?}"
    );
    let bytes = error.rejection_bytes();
    let (response, n) = match parse_response(&bytes) {
        Ok(Some(parsed)) => parsed,
        other => panic!("the rejection of {error:?} does not parse: {other:?}"),
    };
    assert_eq!(response.status(), error.status(), "rejection status");
    let length: usize = response
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse().ok())
        .expect("a rejection has a Content-Length");
    assert_eq!(bytes.len() - n, length, "rejection body length");
}

/// Property 5.
fn check_client_round_trip(server: &ServerHandshake<ServerPolicy>, wire: &[u8]) {
    let mut lines = wire.split(|&b| b == b'\n').map(String::from_utf8_lossy);
    let host = lines.next().unwrap_or_default();
    let resource = lines.next().unwrap_or_default();
    let mut builder = ClientHandshake::builder(host, resource);
    if let Some(protocols) = lines.next().filter(|l| !l.is_empty()) {
        builder = builder.protocols(protocols.split(',').map(str::to_owned));
    }
    if let Some(extensions) = lines.next().filter(|l| !l.is_empty()) {
        let Ok(offers) = parse_extensions([extensions.as_bytes()]) else {
            return;
        };
        builder = builder.extensions(offers);
    }
    if let Some(origin) = lines.next().filter(|l| !l.is_empty()) {
        builder = builder.origin(origin);
    }
    if let Some(field) = lines.next()
        && let Some((name, value)) = field.split_once(':')
    {
        builder = builder.header(name, value.trim());
    }
    let seed = wire
        .iter()
        .fold(0u64, |h, &b| h.rotate_left(5) ^ u64::from(b));
    let Ok(client) = builder.build(&mut SeededRandom::new(seed)) else {
        return;
    };
    let request = client.request_bytes();
    let negotiated = match server.read_request(&request) {
        Ok(Some((negotiated, n))) => {
            assert_eq!(n, request.len(), "client request head length");
            negotiated
        }
        // The two refusals the policy or the limits may make.
        Err(HandshakeError::OriginRefused { origin }) => {
            // Only the policy refuses: the client builds ASCII origins only
            // (RFC 6454 §6.2), which the server accepts.
            let origin = origin.expect("an origin was sent");
            assert_eq!(origin, REFUSED_ORIGIN, "refused origin");
            return;
        }
        Err(
            HandshakeError::RequestHeadTooLarge { .. }
            | HandshakeError::TooManyRequestHeaders { .. },
        ) if server.limits() != &Limits::default() => return,
        other => panic!(
            "server refused a client request: {other:?}\n{}",
            String::from_utf8_lossy(&request)
        ),
    };
    assert_eq!(negotiated.offered_protocols, client.offered_protocols());
    assert_eq!(negotiated.offered_extensions, client.offered_extensions());
    let mut response = negotiated.response_bytes();
    response.extend_from_slice(b"\x81\x00");
    match client.read_response(&response) {
        Ok(Some((accepted, n))) => {
            assert_eq!(&response[n..], b"\x81\x00", "bytes after the head");
            assert_eq!(accepted.protocol, negotiated.protocol, "subprotocol");
            assert_eq!(accepted.extensions, negotiated.extensions, "extensions");
        }
        other => panic!(
            "client refused the server's response: {other:?}\n{}",
            String::from_utf8_lossy(&response)
        ),
    }
}
