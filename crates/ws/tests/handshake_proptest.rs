//! Properties of the opening handshake (RFC 6455 §4, §9.1).

use proptest::prelude::*;
use rtw_ws::handshake::{
    ClientHandshake, ExtensionOffer, ExtensionParam, ServerHandshake, ServerPolicy,
    format_extensions, parse_extensions, parse_request_with_limits, parse_response_with_limits,
};
use rtw_ws::{Limits, SeededRandom};

/// `token` of RFC 9110 §5.6.2.
fn token() -> impl Strategy<Value = String> {
    "[!#$%&'*+.^_`|~0-9A-Za-z-]{1,10}"
}

fn offer() -> impl Strategy<Value = ExtensionOffer> {
    (
        token(),
        proptest::collection::vec((token(), proptest::option::of(token())), 0..5),
    )
        .prop_map(|(name, params)| ExtensionOffer {
            name,
            params: params
                .into_iter()
                .map(|(name, value)| ExtensionParam { name, value })
                .collect(),
        })
}

fn offers() -> impl Strategy<Value = Vec<ExtensionOffer>> {
    proptest::collection::vec(offer(), 1..6)
}

/// Optional whitespace, as RFC 6455 §9.1's implied LWS allows.
fn ows(pick: u8) -> &'static str {
    ["", " ", "\t", " \t "][usize::from(pick % 4)]
}

/// `value` as a quoted-string, escaping each byte where `escape` says so
/// (RFC 9110 §5.6.4 allows escaping any VCHAR).
fn quoted(value: &str, escape: &[bool]) -> String {
    let mut out = String::from("\"");
    for (i, c) in value.chars().enumerate() {
        if escape.get(i).copied().unwrap_or(false) {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

proptest! {
    #[test]
    fn extension_header_write_then_parse_round_trips(offers in offers()) {
        let header = format_extensions(&offers).unwrap();
        prop_assert_eq!(parse_extensions([header.as_str()]).unwrap(), offers);
    }

    #[test]
    fn any_spelling_of_the_same_offers_parses_the_same(
        offers in offers(),
        style in proptest::collection::vec((any::<u8>(), any::<bool>(), proptest::collection::vec(any::<bool>(), 10)), 64),
        line_breaks in proptest::collection::vec(any::<bool>(), 6),
    ) {
        // Write by hand: random OWS, random quoting and escaping, random
        // empty list elements, and the list split over several field lines.
        let mut lines = vec![String::new()];
        let mut k = 0;
        let mut next = || { k += 1; &style[k % style.len()] };
        for (i, o) in offers.iter().enumerate() {
            if i > 0 {
                if line_breaks[i % line_breaks.len()] {
                    lines.push(String::new());
                } else {
                    let (ws, empty, _) = next();
                    let line = lines.last_mut().unwrap();
                    line.push_str(ows(*ws));
                    line.push(',');
                    if *empty { line.push_str(" ,"); }
                }
            }
            let line = lines.last_mut().unwrap();
            let (ws, _, _) = next();
            line.push_str(ows(*ws));
            line.push_str(&o.name);
            for p in &o.params {
                let (ws, quote, escape) = next();
                line.push_str(ows(*ws));
                line.push(';');
                line.push_str(ows(ws >> 2));
                line.push_str(&p.name);
                if let Some(v) = &p.value {
                    line.push_str(ows(ws >> 4));
                    line.push('=');
                    line.push_str(ows(ws >> 6));
                    if *quote { line.push_str(&quoted(v, escape)); } else { line.push_str(v); }
                }
            }
        }
        prop_assert_eq!(parse_extensions(&lines).unwrap(), offers);
    }

    #[test]
    fn extension_parser_never_panics_and_its_output_can_be_written(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(offers) = parse_extensions([&bytes]) {
            let written = format_extensions(&offers).unwrap();
            prop_assert_eq!(parse_extensions([written.as_str()]).unwrap(), offers);
        }
    }

    #[test]
    fn head_parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let limits = Limits::default().max_head_bytes(300).max_headers(8);
        let _ = parse_request_with_limits(&bytes, &limits);
        let _ = parse_response_with_limits(&bytes, &limits);
        let _ = ServerHandshake::new().read_request(&bytes);
        let mut with_prefix = b"GET / HTTP/1.1\r\n".to_vec();
        with_prefix.extend_from_slice(&bytes);
        let _ = ServerHandshake::new().read_request(&with_prefix);
    }

    #[test]
    fn client_and_server_agree_at_any_split(
        seed in any::<u64>(),
        offered in proptest::collection::btree_set(token(), 0..5),
        supported in proptest::collection::vec(token(), 0..5),
        extensions in proptest::collection::vec(offer(), 0..4),
        split in any::<prop::sample::Index>(),
    ) {
        let offered: Vec<String> = offered.into_iter().collect();
        let client = ClientHandshake::builder("example.com:8080", "/p?q=1")
            .protocols(offered.clone())
            .extensions(extensions.clone())
            .build(&mut SeededRandom::new(seed))
            .unwrap();
        let echo_first = |o: &[ExtensionOffer]| o.iter().take(1).cloned().collect();
        let server = ServerHandshake::with_policy(
            ServerPolicy::new().supported_protocols(supported.clone()).extension_negotiator(echo_first),
        );
        let request = client.request_bytes();
        let k = split.index(request.len());
        prop_assert!(server.read_request(&request[..k]).unwrap().is_none());
        let (accepted, n) = server.read_request(&request).unwrap().unwrap();
        prop_assert_eq!(n, request.len());
        prop_assert_eq!(&accepted.offered_extensions, &extensions);
        let expected = offered.iter().find(|p| supported.contains(p)).cloned();
        prop_assert_eq!(&accepted.protocol, &expected);

        let response = accepted.response_bytes();
        let k = split.index(response.len());
        prop_assert!(client.read_response(&response[..k]).unwrap().is_none());
        let (negotiated, n) = client.read_response(&response).unwrap().unwrap();
        prop_assert_eq!(n, response.len());
        prop_assert_eq!(negotiated.protocol, expected);
        prop_assert_eq!(negotiated.extensions, extensions.into_iter().take(1).collect::<Vec<_>>());
    }
}
