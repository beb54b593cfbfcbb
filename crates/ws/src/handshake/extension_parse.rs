//! Reading and writing `Sec-WebSocket-Extensions` (RFC 6455 §9.1).
//!
//! ```text
//! extension-list = 1#extension
//! extension      = extension-token *( ";" extension-param )
//! extension-param = token [ "=" (token | quoted-string) ]
//! ```
//!
//! RFC 6455 writes its grammar with RFC 2616's implied linear whitespace, so
//! OWS is accepted around `,` `;` and `=`. Empty list elements are ignored
//! (RFC 9110 §5.6.1). One pass, no backtracking.

use super::error::ExtensionError;
use super::extensions::{ExtensionOffer, ExtensionParam};
use super::headers::{is_ows, is_tchar};

/// Parses every field line of `Sec-WebSocket-Extensions`, in order, into one
/// list (RFC 6455 §9.1; lines combine as in RFC 9110 §5.3).
///
/// Quoted values are unescaped and must then be tokens. A list without any
/// extension is an error (`1#extension`). Works on
/// `headers.get_all(SEC_WEBSOCKET_EXTENSIONS)`, `&str`s or byte slices.
///
/// ```
/// use rtw_ws::handshake::parse_extensions;
/// let offers = parse_extensions([&b"foo; a=\"1\""[..], b"bar ;b , baz"])?;
/// let names: Vec<_> = offers.iter().map(|o| o.name.as_str()).collect();
/// assert_eq!(names, ["foo", "bar", "baz"]);
/// assert_eq!(offers[0].param("a").unwrap().value.as_deref(), Some("1"));
/// assert!(parse_extensions(["foo; a=\"1 2\""]).is_err());
/// # Ok::<(), rtw_ws::handshake::ExtensionError>(())
/// ```
pub fn parse_extensions<I>(lines: I) -> Result<Vec<ExtensionOffer>, ExtensionError>
where
    I: IntoIterator,
    I::Item: AsRef<[u8]>,
{
    let mut out = Vec::new();
    for line in lines {
        Cursor {
            s: line.as_ref(),
            pos: 0,
        }
        .list(&mut out)?;
    }
    if out.is_empty() {
        return Err(ExtensionError::Empty);
    }
    Ok(out)
}

/// Writes offers or responses as one `Sec-WebSocket-Extensions` value,
/// `name; param=value, name` (RFC 6455 §9.1), after checking every name and
/// value is a token. An empty list is [`ExtensionError::Empty`]: leave the
/// field out instead.
pub fn format_extensions(offers: &[ExtensionOffer]) -> Result<String, ExtensionError> {
    if offers.is_empty() {
        return Err(ExtensionError::Empty);
    }
    let mut out = String::new();
    for (i, offer) in offers.iter().enumerate() {
        offer.validate()?;
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&offer.to_string());
    }
    Ok(out)
}

/// A position in one field line value.
struct Cursor<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn skip_ows(&mut self) {
        while self.peek().is_some_and(is_ows) {
            self.pos += 1;
        }
    }

    /// `1*tchar` starting here.
    fn token(&mut self) -> Result<String, ExtensionError> {
        let start = self.pos;
        while self.peek().is_some_and(is_tchar) {
            self.pos += 1;
        }
        if start == self.pos {
            return Err(ExtensionError::ExpectedToken { at: start });
        }
        // tchar is ASCII.
        Ok(String::from_utf8_lossy(&self.s[start..self.pos]).into_owned())
    }

    /// A `quoted-string` (RFC 9110 §5.6.4) starting at the opening quote,
    /// unescaped, which RFC 6455 §9.1 requires to be a token.
    fn quoted_token(&mut self) -> Result<String, ExtensionError> {
        let at = self.pos;
        self.pos += 1;
        let mut value = Vec::new();
        loop {
            let b = self.peek().ok_or(ExtensionError::BadQuotedString { at })?;
            self.pos += 1;
            match b {
                b'"' => break,
                b'\\' => {
                    let escaped = self.peek().ok_or(ExtensionError::BadQuotedString { at })?;
                    if !is_quoted_pair_char(escaped) {
                        return Err(ExtensionError::BadQuotedString { at });
                    }
                    self.pos += 1;
                    value.push(escaped);
                }
                b if is_qdtext(b) => value.push(b),
                _ => return Err(ExtensionError::BadQuotedString { at }),
            }
        }
        if value.is_empty() || !value.iter().all(|&b| is_tchar(b)) {
            return Err(ExtensionError::QuotedValueNotToken { at });
        }
        Ok(String::from_utf8_lossy(&value).into_owned())
    }

    /// The whole line: `#extension`, appended to `out`.
    fn list(&mut self, out: &mut Vec<ExtensionOffer>) -> Result<(), ExtensionError> {
        loop {
            self.skip_ows();
            match self.peek() {
                None => return Ok(()),
                Some(b',') => self.pos += 1, // empty element
                Some(_) => {
                    out.push(self.extension()?);
                    // `extension` stops at the end or after a comma.
                }
            }
        }
    }

    /// `extension-token *( ";" extension-param )`, plus the `,` ending it.
    fn extension(&mut self) -> Result<ExtensionOffer, ExtensionError> {
        let mut offer = ExtensionOffer::new(self.token()?);
        loop {
            self.skip_ows();
            match self.peek() {
                None => return Ok(offer),
                Some(b',') => {
                    self.pos += 1;
                    return Ok(offer);
                }
                Some(b';') => {
                    self.pos += 1;
                    self.skip_ows();
                    offer.params.push(self.param()?);
                }
                Some(byte) => return Err(ExtensionError::UnexpectedByte { byte, at: self.pos }),
            }
        }
    }

    /// `token [ "=" (token | quoted-string) ]`.
    fn param(&mut self) -> Result<ExtensionParam, ExtensionError> {
        let name = self.token()?;
        self.skip_ows();
        if self.peek() != Some(b'=') {
            return Ok(ExtensionParam { name, value: None });
        }
        self.pos += 1;
        self.skip_ows();
        let value = match self.peek() {
            Some(b'"') => self.quoted_token()?,
            _ => self.token()?,
        };
        Ok(ExtensionParam {
            name,
            value: Some(value),
        })
    }
}

/// `qdtext` of RFC 9110 §5.6.4: HTAB, SP, `!`, `#`-`[`, `]`-`~`, obs-text.
const fn is_qdtext(b: u8) -> bool {
    matches!(b, b'\t' | b' ' | 0x21 | 0x23..=0x5B | 0x5D..=0x7E | 0x80..=0xFF)
}

/// What may follow a backslash in a `quoted-pair` (RFC 9110 §5.6.4).
const fn is_quoted_pair_char(b: u8) -> bool {
    matches!(b, b'\t' | b' ' | 0x21..=0x7E | 0x80..=0xFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Vec<ExtensionOffer>, ExtensionError> {
        parse_extensions([s])
    }

    #[test]
    fn rfc7692_style_offers() {
        let offers = parse(
            "permessage-deflate; client_max_window_bits; server_max_window_bits=10, permessage-deflate",
        )
        .unwrap();
        assert_eq!(
            offers,
            [
                ExtensionOffer::new("permessage-deflate")
                    .with_flag("client_max_window_bits")
                    .with_param("server_max_window_bits", "10"),
                ExtensionOffer::new("permessage-deflate"),
            ]
        );
    }

    #[test]
    fn whitespace_empty_elements_and_quotes() {
        let expected = [
            ExtensionOffer::new("foo")
                .with_param("a", "1")
                .with_flag("b"),
            ExtensionOffer::new("bar"),
        ];
        for s in [
            "foo;a=1;b,bar",
            "foo ; a = 1 ; b , bar",
            "\t foo;a=\"1\";b ,\t, bar ,",
            ", ,foo;a=\"\\1\";b,bar",
        ] {
            assert_eq!(parse(s).unwrap(), expected, "{s:?}");
        }
    }

    #[test]
    fn lines_combine_in_order() {
        let offers = parse_extensions(["a; x=1", "", "b, c;y"]).unwrap();
        let names: Vec<_> = offers.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "c"]);
    }

    #[test]
    fn malformed_lists_are_errors() {
        use ExtensionError as E;
        let cases: &[(&str, ExtensionError)] = &[
            ("", E::Empty),
            (" , ,\t", E::Empty),
            (";a", E::ExpectedToken { at: 0 }),
            ("foo;", E::ExpectedToken { at: 4 }),
            ("foo; ;a", E::ExpectedToken { at: 5 }),
            ("foo;a=", E::ExpectedToken { at: 6 }),
            ("foo;=1", E::ExpectedToken { at: 4 }),
            ("foo bar", E::UnexpectedByte { byte: b'b', at: 4 }),
            ("foo;a=1 2", E::UnexpectedByte { byte: b'2', at: 8 }),
            ("foo;a==1", E::ExpectedToken { at: 6 }),
            ("foo;a=\"1", E::BadQuotedString { at: 6 }),
            ("foo;a=\"1\\", E::BadQuotedString { at: 6 }),
            ("foo;a=\"1\x01\"", E::BadQuotedString { at: 6 }),
            ("foo;a=\"\"", E::QuotedValueNotToken { at: 6 }),
            ("foo;a=\"1 2\"", E::QuotedValueNotToken { at: 6 }),
            ("foo;a=\"1,2\"", E::QuotedValueNotToken { at: 6 }),
            ("foo;a=\"1\"x", E::UnexpectedByte { byte: b'x', at: 9 }),
            ("fo\"o\"", E::UnexpectedByte { byte: b'"', at: 2 }),
            ("foo/1", E::UnexpectedByte { byte: b'/', at: 3 }),
        ];
        for (s, err) in cases {
            assert_eq!(parse(s).as_ref(), Err(err), "{s:?}");
        }
        assert_eq!(
            parse_extensions([&b"foo; a=\xff"[..]]),
            Err(E::ExpectedToken { at: 7 })
        );
    }

    #[test]
    fn quoted_obs_text_is_not_a_token() {
        assert_eq!(
            parse_extensions([&b"foo; a=\"\xe9\""[..]]),
            Err(ExtensionError::QuotedValueNotToken { at: 7 })
        );
    }

    #[test]
    fn format_validates_and_joins() {
        let offers = [
            ExtensionOffer::new("permessage-deflate").with_flag("client_max_window_bits"),
            ExtensionOffer::new("x-foo").with_param("level", "9"),
        ];
        let s = format_extensions(&offers).unwrap();
        assert_eq!(
            s,
            "permessage-deflate; client_max_window_bits, x-foo; level=9"
        );
        assert_eq!(parse(&s).unwrap(), offers);
        assert_eq!(format_extensions(&[]), Err(ExtensionError::Empty));
        assert_eq!(
            format_extensions(&[ExtensionOffer::new("ok"), ExtensionOffer::new("not ok")]),
            Err(ExtensionError::InvalidName {
                name: "not ok".into()
            })
        );
    }

    #[test]
    fn long_inputs_parse_in_one_pass() {
        let s = format!("a{}", ";p=v".repeat(20_000));
        let offers = parse(&s).unwrap();
        assert_eq!(offers[0].params.len(), 20_000);
        let s = ",".repeat(50_000) + "a";
        assert_eq!(parse(&s).unwrap().len(), 1);
    }
}
