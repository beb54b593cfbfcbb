//! Boundaries: their rules (RFC 2046 §5.1.1), reading one from a
//! `Content-Type` value (RFC 2045 §5.1), writing one, generating one.

use std::fmt;

use rtw_core::Random;

use crate::Error;

/// Longest boundary, RFC 2046 §5.1.1: `boundary := 0*69<bchars>
/// bcharsnospace`.
pub const MAX_BOUNDARY_LEN: usize = 70;

/// A valid multipart boundary (RFC 2046 §5.1.1): 1 to 70 characters from
/// `bchars` (digits, letters, `'()+_,-./:=?` and space), not ending with a
/// space. The dash-boundary on the wire is `--` followed by it.
///
/// ```
/// use rtw_multipart::Boundary;
///
/// let b = Boundary::from_content_type("multipart/x-mixed-replace; boundary=\"my frame\"")?;
/// assert_eq!(b.as_str(), "my frame");
/// assert_eq!(b.content_type("x-mixed-replace"), "multipart/x-mixed-replace; boundary=\"my frame\"");
/// assert!(Boundary::new("ends with space ").is_err());
/// # Ok::<(), rtw_multipart::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Boundary(String);

impl fmt::Debug for Boundary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Boundary({:?})", self.0)
    }
}

impl fmt::Display for Boundary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `bcharsnospace` of RFC 2046 §5.1.1.
pub(crate) fn is_bchar_nospace(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"'()+_,-./:=?".contains(&b)
}

/// `tspecials` of RFC 2045 §5.1.
fn is_tspecial(b: u8) -> bool {
    b"()<>@,;:\\\"/[]?=".contains(&b)
}

/// `token` characters of RFC 2045 §5.1.
fn is_token_char(b: u8) -> bool {
    b.is_ascii_graphic() && !is_tspecial(b)
}

/// The alphabet of [`Boundary::generate`]: 64 characters, each a token
/// character and a `bchar`, so the boundary needs no quotes.
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

impl Boundary {
    /// Check `boundary` against RFC 2046 §5.1.1.
    pub fn new(boundary: impl Into<String>) -> Result<Boundary, Error> {
        let boundary = boundary.into();
        let bytes = boundary.as_bytes();
        if bytes.is_empty() {
            return Err(Error::InvalidBoundary { reason: "empty" });
        }
        if bytes.len() > MAX_BOUNDARY_LEN {
            return Err(Error::InvalidBoundary {
                reason: "longer than 70 characters",
            });
        }
        if !bytes.iter().all(|&b| b == b' ' || is_bchar_nospace(b)) {
            return Err(Error::InvalidBoundary {
                reason: "a character outside bchars",
            });
        }
        if bytes.ends_with(b" ") {
            return Err(Error::InvalidBoundary {
                reason: "ends with a space",
            });
        }
        Ok(Boundary(boundary))
    }

    /// A fresh boundary: `rtw-` and 32 characters drawn from `random`
    /// (192 bits), all token characters, so
    /// [`content_type`](Boundary::content_type) needs no quotes. RFC 2046
    /// §5.1.1 asks for a boundary unlikely to appear in the parts; the
    /// encoder still checks each body ([`Error::BoundaryInBody`]).
    pub fn generate(random: &mut (impl Random + ?Sized)) -> Boundary {
        let mut bytes = [0u8; 32];
        random.fill_bytes(&mut bytes);
        let mut s = String::with_capacity(36);
        s.push_str("rtw-");
        s.extend(
            bytes
                .iter()
                .map(|&b| char::from(ALPHABET[usize::from(b & 63)])),
        );
        Boundary(s)
    }

    /// The boundary parameter of a `Content-Type` value such as
    /// `multipart/x-mixed-replace; boundary=frame` (RFC 2045 §5.1:
    /// parameter names are case-insensitive, values a token or a
    /// quoted-string; RFC 2046 §5.1.1: `boundary` is required for every
    /// `multipart/*`).
    pub fn from_content_type(value: &str) -> Result<Boundary, Error> {
        let mut p = Params::new(value.as_bytes());
        let media_type = p.token()?;
        p.expect(b'/', "no '/' after the type")?;
        let _subtype = p.token()?;
        if !media_type.eq_ignore_ascii_case(b"multipart") {
            return Err(Error::NotMultipart);
        }
        let mut boundary = None;
        while let Some((name, value)) = p.parameter()? {
            if name.eq_ignore_ascii_case(b"boundary") && boundary.is_none() {
                boundary = Some(value);
            }
        }
        let value = boundary.ok_or(Error::MissingBoundary)?;
        let value = String::from_utf8(value).map_err(|_| Error::InvalidBoundary {
            reason: "a character outside bchars",
        })?;
        Boundary::new(value)
    }

    /// The boundary of the first line of `input` that starts with `--`,
    /// for a body whose `Content-Type` is unknown: `Ok(None)` while no
    /// whole such line has arrived. A close delimiter's `--` and the
    /// transport padding are not part of the boundary.
    pub fn sniff(input: &[u8]) -> Result<Option<Boundary>, Error> {
        let mut rest = input;
        loop {
            let Some(end) = memchr::memchr(b'\n', rest) else {
                return Ok(None);
            };
            let line = &rest[..end];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if let Some(b) = line.strip_prefix(b"--") {
                let b = b.strip_suffix(b"--").filter(|b| !b.is_empty()).unwrap_or(b);
                let b = b.trim_ascii_end();
                let b = std::str::from_utf8(b).map_err(|_| Error::InvalidBoundary {
                    reason: "a character outside bchars",
                })?;
                return Boundary::new(b).map(Some);
            }
            rest = &rest[end + 1..];
        }
    }

    /// The boundary as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `multipart/SUBTYPE; boundary=...`, the value quoted when it is not
    /// a token (RFC 2045 §5.1).
    pub fn content_type(&self, subtype: &str) -> String {
        if self.0.bytes().all(is_token_char) {
            format!("multipart/{subtype}; boundary={}", self.0)
        } else {
            format!("multipart/{subtype}; boundary=\"{}\"", self.0)
        }
    }

    /// The dash-boundary, `"--" boundary`.
    pub(crate) fn dash_boundary(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.0.len() + 2);
        v.extend_from_slice(b"--");
        v.extend_from_slice(self.0.as_bytes());
        v
    }
}

/// A parameter's name and unquoted value.
type Param<'a> = (&'a [u8], Vec<u8>);

/// A cursor over a `Content-Type` value.
struct Params<'a> {
    s: &'a [u8],
    i: usize,
}

impl<'a> Params<'a> {
    fn new(s: &'a [u8]) -> Self {
        Params { s, i: 0 }
    }

    fn skip_ws(&mut self) {
        while self
            .s
            .get(self.i)
            .is_some_and(|b| matches!(b, b' ' | b'\t'))
        {
            self.i += 1;
        }
    }

    fn token(&mut self) -> Result<&'a [u8], Error> {
        self.skip_ws();
        let start = self.i;
        while self.s.get(self.i).copied().is_some_and(is_token_char) {
            self.i += 1;
        }
        if self.i == start {
            return Err(Error::InvalidContentType {
                reason: "a token is missing",
            });
        }
        let t = &self.s[start..self.i];
        self.skip_ws();
        Ok(t)
    }

    fn expect(&mut self, byte: u8, reason: &'static str) -> Result<(), Error> {
        self.skip_ws();
        if self.s.get(self.i) == Some(&byte) {
            self.i += 1;
            Ok(())
        } else {
            Err(Error::InvalidContentType { reason })
        }
    }

    /// The next `; name=value`, `None` at the end.
    fn parameter(&mut self) -> Result<Option<Param<'a>>, Error> {
        self.skip_ws();
        if self.i == self.s.len() {
            return Ok(None);
        }
        self.expect(b';', "parameters must be separated by ';'")?;
        self.skip_ws();
        if self.i == self.s.len() {
            // A trailing ';' is common and harmless.
            return Ok(None);
        }
        let name = self.token()?;
        self.expect(b'=', "a parameter without '='")?;
        self.skip_ws();
        let value = if self.s.get(self.i) == Some(&b'"') {
            self.quoted()?
        } else {
            self.token()?.to_vec()
        };
        Ok(Some((name, value)))
    }

    /// A quoted-string (RFC 822 §3.3), its quotes and escapes removed.
    fn quoted(&mut self) -> Result<Vec<u8>, Error> {
        self.i += 1;
        let mut out = Vec::new();
        loop {
            match self.s.get(self.i) {
                None => {
                    return Err(Error::InvalidContentType {
                        reason: "an unterminated quoted-string",
                    });
                }
                Some(b'"') => {
                    self.i += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    let Some(&b) = self.s.get(self.i + 1) else {
                        return Err(Error::InvalidContentType {
                            reason: "an unterminated quoted-string",
                        });
                    };
                    out.push(b);
                    self.i += 2;
                }
                Some(&b) if b == b'\r' || b == b'\n' => {
                    return Err(Error::InvalidContentType {
                        reason: "a line end in a quoted-string",
                    });
                }
                Some(&b) => {
                    out.push(b);
                    self.i += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_of_5_1_1() {
        assert!(Boundary::new("a").is_ok());
        assert!(Boundary::new("a".repeat(70)).is_ok());
        assert!(Boundary::new("a".repeat(71)).is_err());
        assert!(Boundary::new("").is_err());
        assert!(Boundary::new("a b").is_ok());
        assert!(Boundary::new("a ").is_err());
        assert!(Boundary::new("a;b").is_err());
        assert!(Boundary::new("gc0pJq0M:08jU534c0p").is_ok());
    }

    #[test]
    fn content_types() {
        let cases = [
            ("multipart/x-mixed-replace;boundary=ffmpeg", "ffmpeg"),
            (
                "multipart/x-mixed-replace; boundary=boundarydonotcross",
                "boundarydonotcross",
            ),
            ("Multipart/Mixed; BOUNDARY=\"a b\\\"\"", "a b\""),
            ("multipart/mixed; charset=x; boundary=--frame;", "--frame"),
            ("multipart/mixed ; boundary = x", "x"),
        ];
        for (value, boundary) in cases {
            let b = Boundary::from_content_type(value);
            if boundary.contains('"') {
                // '"' is no bchar.
                assert!(b.is_err(), "{value}");
            } else {
                assert_eq!(b.unwrap().as_str(), boundary, "{value}");
            }
        }
        assert_eq!(
            Boundary::from_content_type("image/jpeg; boundary=x"),
            Err(Error::NotMultipart)
        );
        assert_eq!(
            Boundary::from_content_type("multipart/mixed"),
            Err(Error::MissingBoundary)
        );
        assert!(matches!(
            Boundary::from_content_type("multipart/mixed; boundary=\"x"),
            Err(Error::InvalidContentType { .. })
        ));
        assert!(matches!(
            Boundary::from_content_type("multipart"),
            Err(Error::InvalidContentType { .. })
        ));
    }

    #[test]
    fn content_type_round_trip() {
        for b in ["frame", "a b", "x:y", "(c)"] {
            let boundary = Boundary::new(b).unwrap();
            let ct = boundary.content_type("mixed");
            assert_eq!(Boundary::from_content_type(&ct).unwrap(), boundary);
        }
    }

    #[test]
    fn generated_boundaries_differ_and_need_no_quotes() {
        let mut random = rtw_core::SeededRandom::new(7);
        let a = Boundary::generate(&mut random);
        let b = Boundary::generate(&mut random);
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 36);
        assert!(Boundary::new(a.as_str()).is_ok());
        assert!(!a.content_type("mixed").contains('"'));
    }

    #[test]
    fn sniffing() {
        let b = Boundary::sniff(b"preamble\r\n--frame  \r\nrest").unwrap();
        assert_eq!(b.unwrap().as_str(), "frame");
        assert_eq!(Boundary::sniff(b"--fra").unwrap(), None);
        let b = Boundary::sniff(b"--x--\n").unwrap();
        assert_eq!(b.unwrap().as_str(), "x");
        assert!(Boundary::sniff(b"--\r\n").is_err());
    }
}
