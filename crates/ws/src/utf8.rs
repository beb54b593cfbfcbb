//! Incremental UTF-8 validation, so invalid text fails at the first bad
//! byte even in the middle of a frame (RFC 6455 §8.1: "When an endpoint is
//! to interpret a byte stream as UTF-8 but finds that the byte stream is not,
//! in fact, a valid UTF-8 stream, that endpoint MUST Fail the WebSocket
//! Connection").

use bytes::Bytes;

/// Validates a UTF-8 stream fed in arbitrary pieces.
///
/// A piece may end inside a code point; the validator keeps those (at most
/// three) bytes and finishes them with the next piece. A byte that cannot
/// continue any valid sequence is reported as soon as it is fed.
#[derive(Debug, Clone, Default)]
pub(crate) struct Utf8Validator {
    pending: [u8; 4],
    len: usize,
}

/// The input is not UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct InvalidUtf8;

/// Length of the sequence a valid lead byte starts.
fn sequence_len(lead: u8) -> usize {
    match lead {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    }
}

impl Utf8Validator {
    /// Validate the next piece of the stream.
    pub(crate) fn feed(&mut self, mut input: &[u8]) -> Result<(), InvalidUtf8> {
        if self.len > 0 {
            let need = sequence_len(self.pending[0]) - self.len;
            let take = need.min(input.len());
            self.pending[self.len..self.len + take].copy_from_slice(&input[..take]);
            match std::str::from_utf8(&self.pending[..self.len + take]) {
                Ok(_) => {
                    self.len = 0;
                    input = &input[take..];
                }
                Err(e) if e.error_len().is_some() => return Err(InvalidUtf8),
                Err(_) => {
                    self.len += take;
                    return Ok(());
                }
            }
        }
        match std::str::from_utf8(input) {
            Ok(_) => Ok(()),
            Err(e) if e.error_len().is_some() => Err(InvalidUtf8),
            Err(e) => {
                let tail = &input[e.valid_up_to()..];
                self.pending[..tail.len()].copy_from_slice(tail);
                self.len = tail.len();
                Ok(())
            }
        }
    }

    /// `true` when the stream so far ends on a code point boundary.
    pub(crate) fn is_complete(&self) -> bool {
        self.len == 0
    }

    /// Forget any pending partial sequence.
    pub(crate) fn reset(&mut self) {
        self.len = 0;
    }
}

/// Bytes that are known to hold valid UTF-8: the payload of a text message.
///
/// Built only through validating conversions. Safe Rust cannot skip
/// validation when viewing bytes as `str`, so [`Utf8Bytes::as_str`]
/// re-checks; it runs at memory speed on the standard library's validator.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Utf8Bytes(Bytes);

impl Utf8Bytes {
    /// An empty string.
    pub const fn new() -> Self {
        Utf8Bytes(Bytes::new())
    }

    /// From a static string, without copying.
    pub const fn from_static(s: &'static str) -> Self {
        Utf8Bytes(Bytes::from_static(s.as_bytes()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("Utf8Bytes holds valid UTF-8")
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// `true` if empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The underlying bytes.
    pub fn into_bytes(self) -> Bytes {
        self.0
    }

    /// Wrap bytes already checked by a [`Utf8Validator`].
    pub(crate) fn from_validated(bytes: Bytes) -> Self {
        debug_assert!(std::str::from_utf8(&bytes).is_ok());
        Utf8Bytes(bytes)
    }
}

impl TryFrom<Bytes> for Utf8Bytes {
    type Error = std::str::Utf8Error;
    fn try_from(bytes: Bytes) -> Result<Self, Self::Error> {
        std::str::from_utf8(&bytes)?;
        Ok(Utf8Bytes(bytes))
    }
}

impl From<String> for Utf8Bytes {
    fn from(s: String) -> Self {
        Utf8Bytes(Bytes::from(s))
    }
}

impl From<&str> for Utf8Bytes {
    fn from(s: &str) -> Self {
        Utf8Bytes(Bytes::copy_from_slice(s.as_bytes()))
    }
}

impl std::ops::Deref for Utf8Bytes {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl std::fmt::Display for Utf8Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed_all(pieces: &[&[u8]]) -> Result<bool, InvalidUtf8> {
        let mut v = Utf8Validator::default();
        for p in pieces {
            v.feed(p)?;
        }
        Ok(v.is_complete())
    }

    #[test]
    fn split_code_points() {
        let s = "κόσμε €𝄞".as_bytes();
        for i in 0..=s.len() {
            for j in i..=s.len() {
                assert_eq!(feed_all(&[&s[..i], &s[i..j], &s[j..]]), Ok(true), "{i} {j}");
            }
        }
        assert_eq!(feed_all(&[&s[..s.len() - 1]]), Ok(false));
    }

    #[test]
    fn fails_at_the_first_bad_byte() {
        // 0xF4 0x90 would encode above U+10FFFF: wrong at the second byte.
        assert_eq!(feed_all(&[b"ok\xf4", b"\x90"]), Err(InvalidUtf8));
        // UTF-16 surrogate U+D800 encoded: wrong at the second byte.
        assert_eq!(feed_all(&[b"\xed", b"\xa0"]), Err(InvalidUtf8));
        assert_eq!(feed_all(&[b"\xc0"]), Err(InvalidUtf8));
        assert_eq!(feed_all(&[b"\xff"]), Err(InvalidUtf8));
        assert_eq!(feed_all(&[b"\xe2\x82", b"a"]), Err(InvalidUtf8));
    }

    #[test]
    fn byte_by_byte_agrees_with_std() {
        let samples: [&[u8]; 6] = [
            "Hello-µ@ßöäüàá-UTF-8!!".as_bytes(),
            b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64\x69\x74\x65\x64",
            b"\xf0\x90\x80\x80",
            b"\xf8\x88\x80\x80\x80",
            b"\xef\xbf\xbf",
            b"\xe0\x80\xaf",
        ];
        for s in samples {
            let mut v = Utf8Validator::default();
            let mut r = Ok(());
            for b in s {
                r = v.feed(std::slice::from_ref(b));
                if r.is_err() {
                    break;
                }
            }
            let ok = r.is_ok() && v.is_complete();
            assert_eq!(ok, std::str::from_utf8(s).is_ok(), "{s:x?}");
        }
    }
}
