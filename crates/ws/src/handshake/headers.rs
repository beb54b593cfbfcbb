//! Field syntax the handshake relies on: tokens (RFC 9110 §5.6.2), lists
//! (RFC 9110 §5.6.1) and fields that may appear only once.
//!
//! A field may be sent as several field lines; their values combine in order,
//! separated by commas (RFC 9110 §5.3), so every list helper walks all lines.
//! Everything here is one pass over the bytes.

use http::{HeaderMap, HeaderName, HeaderValue};

use super::error::HandshakeError;

/// `tchar` of RFC 9110 §5.6.2: the characters of a token.
pub(crate) const fn is_tchar(b: u8) -> bool {
    matches!(b,
        b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'.'
        | b'^' | b'_' | b'`' | b'|' | b'~'
        | b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z')
}

/// `token = 1*tchar` (RFC 9110 §5.6.2).
pub(crate) fn is_token(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| is_tchar(b))
}

/// `OWS = *( SP / HTAB )` (RFC 9110 §5.6.3).
pub(crate) const fn is_ows(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// `s` without leading and trailing OWS.
pub(crate) fn trim_ows(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&b| !is_ows(b)).unwrap_or(s.len());
    let end = s.iter().rposition(|&b| !is_ows(b)).map_or(start, |i| i + 1);
    &s[start..end]
}

/// The elements of a `#element` list over every line of field `name`
/// (RFC 9110 §5.6.1): split at commas, OWS trimmed, empty elements dropped
/// ("a recipient MUST parse and ignore a reasonable number of empty list
/// elements").
///
/// Only for lists whose elements cannot hold a comma (tokens, `token/token`);
/// `Sec-WebSocket-Extensions` has its own parser.
pub(crate) fn list_elements<'a>(
    headers: &'a HeaderMap,
    name: &HeaderName,
) -> impl Iterator<Item = &'a [u8]> + 'a {
    headers
        .get_all(name)
        .into_iter()
        .flat_map(|v| v.as_bytes().split(|&b| b == b','))
        .map(trim_ows)
        .filter(|e| !e.is_empty())
}

/// The elements of `1#token` / `#token` field `name` as strings, or `Err`
/// when one is not a token (RFC 9110 §5.6.1, §5.6.2).
pub(crate) fn token_list<'a>(
    headers: &'a HeaderMap,
    name: &HeaderName,
) -> Result<Vec<&'a str>, ()> {
    list_elements(headers, name)
        .map(|e| {
            if is_token(e) {
                // Tokens are ASCII, so this never fails.
                std::str::from_utf8(e).map_err(|_| ())
            } else {
                Err(())
            }
        })
        .collect()
}

/// Whether `#token` field `name` lists `token`, compared ASCII
/// case-insensitively; `Err` when an element is not a token.
///
/// Used for `Connection` (RFC 9110 §7.6.1: "Connection options are
/// case-insensitive").
pub(crate) fn has_token(headers: &HeaderMap, name: &HeaderName, token: &str) -> Result<bool, ()> {
    let mut found = false;
    for e in list_elements(headers, name) {
        if !is_token(e) {
            return Err(());
        }
        found |= e.eq_ignore_ascii_case(token.as_bytes());
    }
    Ok(found)
}

/// Whether `Upgrade` (`#protocol`, `protocol = protocol-name ["/"
/// protocol-version]`, RFC 9110 §7.8) lists `name` without a version,
/// compared ASCII case-insensitively (RFC 6455 §4.2.1 item 3); `Err` when
/// an element does not follow that grammar.
pub(crate) fn upgrade_lists(headers: &HeaderMap, name: &str) -> Result<bool, ()> {
    let mut found = false;
    for e in list_elements(headers, &http::header::UPGRADE) {
        let (proto, version) = match e.iter().position(|&b| b == b'/') {
            Some(i) => (&e[..i], Some(&e[i + 1..])),
            None => (e, None),
        };
        if !is_token(proto) || version.is_some_and(|v| !is_token(v)) {
            return Err(());
        }
        found |= version.is_none() && proto.eq_ignore_ascii_case(name.as_bytes());
    }
    Ok(found)
}

/// How often a field that may appear once appears.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Single<'a> {
    /// Not at all.
    Missing,
    /// Once, with this value.
    One(&'a HeaderValue),
    /// More than once.
    Many,
}

/// How often field `name` appears, and its value when once.
pub(crate) fn single<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Single<'a> {
    let mut values = headers.get_all(name).into_iter();
    match (values.next(), values.next()) {
        (None, _) => Single::Missing,
        (Some(v), None) => Single::One(v),
        (Some(_), Some(_)) => Single::Many,
    }
}

/// Every line of field `name` joined with `, ` (RFC 9110 §5.3), lossy
/// UTF-8, for error messages; `None` when absent.
pub(crate) fn combined(headers: &HeaderMap, name: &HeaderName) -> Option<String> {
    let mut out: Option<String> = None;
    for v in headers.get_all(name) {
        let text = String::from_utf8_lossy(v.as_bytes());
        match &mut out {
            None => out = Some(text.into_owned()),
            Some(s) => {
                s.push_str(", ");
                s.push_str(&text);
            }
        }
    }
    out
}

/// Fields the handshake writes itself (RFC 6455 §4.1, §4.2.2), and the
/// framing fields that would give a GET or a 101 a body (RFC 9110 §8.6,
/// RFC 9112 §6.1): an extra header may not be one of them.
pub(crate) fn is_reserved(name: &HeaderName) -> bool {
    use http::header::{
        CONNECTION, CONTENT_LENGTH, HOST, ORIGIN, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_EXTENSIONS,
        SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_PROTOCOL, SEC_WEBSOCKET_VERSION, TRANSFER_ENCODING,
        UPGRADE,
    };
    [
        HOST,
        UPGRADE,
        CONNECTION,
        SEC_WEBSOCKET_KEY,
        SEC_WEBSOCKET_VERSION,
        SEC_WEBSOCKET_PROTOCOL,
        SEC_WEBSOCKET_EXTENSIONS,
        SEC_WEBSOCKET_ACCEPT,
        ORIGIN,
        CONTENT_LENGTH,
        TRANSFER_ENCODING,
    ]
    .contains(name)
}

/// Extra fields a caller adds to a handshake head, with the first mistake
/// kept for the builder to report.
#[derive(Debug, Clone, Default)]
pub(crate) struct ExtraHeaders {
    map: HeaderMap,
    error: Option<HandshakeError>,
}

impl ExtraHeaders {
    /// Adds `name: value`, or records why it cannot be added.
    pub(crate) fn add<K, V>(&mut self, name: K, value: V)
    where
        K: AsRef<str>,
        HeaderValue: TryFrom<V>,
    {
        if self.error.is_some() {
            return;
        }
        let invalid = || HandshakeError::InvalidHeader {
            name: name.as_ref().to_owned(),
        };
        let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_ref().as_bytes()),
            HeaderValue::try_from(value),
        ) else {
            self.error = Some(invalid());
            return;
        };
        if is_reserved(&n) {
            self.error = Some(HandshakeError::ReservedHeader {
                name: n.to_string(),
            });
            return;
        }
        self.map.append(n, v);
    }

    /// The first mistake, if any.
    pub(crate) fn error(&self) -> Option<&HandshakeError> {
        self.error.as_ref()
    }

    /// Appends the fields to `dst`, in the order added.
    pub(crate) fn append_to(&self, dst: &mut HeaderMap) {
        for (n, v) in &self.map {
            dst.append(n.clone(), v.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header::{CONNECTION, SEC_WEBSOCKET_PROTOCOL, UPGRADE};

    fn map(lines: &[(&HeaderName, &str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (n, v) in lines {
            m.append((*n).clone(), HeaderValue::from_str(v).unwrap());
        }
        m
    }

    #[test]
    fn tokens() {
        assert!(is_token(b"chat"));
        assert!(is_token(b"v1.chat.example~!#$%&'*+-.^_`|"));
        for bad in [
            &b""[..],
            b"a b",
            b"a,b",
            b"a;b",
            b"\"a\"",
            b"a/b",
            b"a=b",
            b"\xc3\xa9",
        ] {
            assert!(!is_token(bad), "{bad:?}");
        }
    }

    #[test]
    fn trimming_ows() {
        assert_eq!(trim_ows(b" \t a b\t "), b"a b");
        assert_eq!(trim_ows(b"   "), b"");
        assert_eq!(trim_ows(b""), b"");
        assert_eq!(trim_ows(b"x"), b"x");
    }

    #[test]
    fn connection_lists_with_odd_spacing_case_and_lines() {
        for lines in [
            &[(&CONNECTION, "Upgrade")][..],
            &[(&CONNECTION, "upgrade")],
            &[(&CONNECTION, "keep-alive, Upgrade")],
            &[(&CONNECTION, "keep-alive,Upgrade")],
            &[(&CONNECTION, " \tkeep-alive ,\t UPGRADE \t")],
            &[(&CONNECTION, ",, keep-alive,,, uPgRaDe ,")],
            &[(&CONNECTION, "keep-alive"), (&CONNECTION, "Upgrade")],
        ] {
            assert_eq!(
                has_token(&map(lines), &CONNECTION, "upgrade"),
                Ok(true),
                "{lines:?}"
            );
        }
        for lines in [
            &[][..],
            &[(&CONNECTION, "keep-alive")],
            &[(&CONNECTION, "Upgraded")],
            &[(&CONNECTION, "")],
            &[(&CONNECTION, ", ,")],
        ] {
            assert_eq!(
                has_token(&map(lines), &CONNECTION, "upgrade"),
                Ok(false),
                "{lines:?}"
            );
        }
        for bad in [
            "Upgrade, keep alive",
            "Upgrade; q=1",
            "\"Upgrade\"",
            "Up/grade",
        ] {
            assert_eq!(
                has_token(&map(&[(&CONNECTION, bad)]), &CONNECTION, "upgrade"),
                Err(()),
                "{bad}"
            );
        }
    }

    #[test]
    fn upgrade_lists_accept_versions_beside_websocket() {
        for ok in [
            "websocket",
            "WebSocket",
            "h2c, websocket",
            "HTTP/2.0,  websocket ",
            "websocket, foo/1",
        ] {
            assert_eq!(
                upgrade_lists(&map(&[(&UPGRADE, ok)]), "websocket"),
                Ok(true),
                "{ok}"
            );
        }
        for no in ["", "h2c", "websocket/13", "websockets"] {
            assert_eq!(
                upgrade_lists(&map(&[(&UPGRADE, no)]), "websocket"),
                Ok(false),
                "{no}"
            );
        }
        for bad in [
            "web socket",
            "websocket/",
            "/13",
            "websocket/1/2",
            "websocket;x",
        ] {
            assert_eq!(
                upgrade_lists(&map(&[(&UPGRADE, bad)]), "websocket"),
                Err(()),
                "{bad}"
            );
        }
        assert_eq!(
            upgrade_lists(
                &map(&[(&UPGRADE, "h2c"), (&UPGRADE, "websocket")]),
                "websocket"
            ),
            Ok(true)
        );
    }

    #[test]
    fn token_lists_keep_order_across_lines() {
        let m = map(&[
            (&SEC_WEBSOCKET_PROTOCOL, "chat ,superchat"),
            (&SEC_WEBSOCKET_PROTOCOL, "\tv2.chat"),
        ]);
        assert_eq!(
            token_list(&m, &SEC_WEBSOCKET_PROTOCOL),
            Ok(vec!["chat", "superchat", "v2.chat"])
        );
        let m = map(&[(&SEC_WEBSOCKET_PROTOCOL, "chat, super chat")]);
        assert_eq!(token_list(&m, &SEC_WEBSOCKET_PROTOCOL), Err(()));
    }

    #[test]
    fn extra_headers_refuse_reserved_and_invalid_fields() {
        let mut x = ExtraHeaders::default();
        x.add("X-Trace", "1");
        x.add("cookie", String::from("a=b"));
        assert_eq!(x.error(), None);
        let mut m = HeaderMap::new();
        x.append_to(&mut m);
        assert_eq!(m["x-trace"], "1");
        assert_eq!(m["cookie"], "a=b");
        x.add("Sec-WebSocket-Accept", "nope");
        x.add("x-later", "ignored after the first mistake");
        assert_eq!(
            x.error(),
            Some(&HandshakeError::ReservedHeader {
                name: "sec-websocket-accept".into()
            })
        );
        let mut y = ExtraHeaders::default();
        y.add("bad name", "v");
        assert_eq!(
            y.error(),
            Some(&HandshakeError::InvalidHeader {
                name: "bad name".into()
            })
        );
        let mut z = ExtraHeaders::default();
        z.add("x", "line\r\nbreak");
        assert_eq!(
            z.error(),
            Some(&HandshakeError::InvalidHeader { name: "x".into() })
        );
        for reserved in [
            "host",
            "Content-Length",
            "transfer-encoding",
            "origin",
            "connection",
        ] {
            let mut r = ExtraHeaders::default();
            r.add(reserved, "v");
            assert!(
                matches!(r.error(), Some(HandshakeError::ReservedHeader { .. })),
                "{reserved}"
            );
        }
    }

    #[test]
    fn single_and_combined() {
        let m = map(&[(&UPGRADE, "a"), (&UPGRADE, "b"), (&CONNECTION, "c")]);
        assert_eq!(single(&m, &UPGRADE), Single::Many);
        assert!(matches!(single(&m, &CONNECTION), Single::One(v) if v == "c"));
        assert_eq!(single(&m, &SEC_WEBSOCKET_PROTOCOL), Single::Missing);
        assert_eq!(combined(&m, &UPGRADE).as_deref(), Some("a, b"));
        assert_eq!(combined(&m, &SEC_WEBSOCKET_PROTOCOL), None);
    }
}
