//! The encoder.

use bytes::{BufMut, Bytes, BytesMut};
use http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use memchr::memmem;

use crate::{Boundary, Error, Part};

/// Writes a multipart body (RFC 2046 §5.1.1) one part at a time, as a
/// `multipart/x-mixed-replace` server streams frames.
///
/// Each part is its delimiter line, its `Content-Type` (when the part has
/// one; every value when it has several), a `Content-Length` computed from the body, the part's other
/// header fields, the empty line and the body. The first delimiter opens
/// the body without a preamble; later ones start with the CRLF that
/// belongs to them; [`Encoder::close`] writes the close delimiter. The
/// body is handed back beside the head ([`EncodedPart`]), never copied.
///
/// ```
/// use bytes::BytesMut;
/// use rtw_multipart::{Boundary, Encoder, Part};
///
/// let mut encoder = Encoder::new(Boundary::new("frame")?);
/// let mut wire = BytesMut::new();
/// encoder.encode_part(&Part::new("text/plain", "hi"))?.write_to(&mut wire);
/// wire.extend_from_slice(&encoder.close()?);
/// assert_eq!(
///     &wire[..],
///     b"--frame\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\nhi\r\n--frame--\r\n"
/// );
/// # Ok::<(), rtw_multipart::Error>(())
/// ```
#[derive(Debug)]
pub struct Encoder {
    boundary: Boundary,
    /// `CRLF "--" boundary`: the delimiter, also what a body must not hold.
    delimiter: Vec<u8>,
    finder: memmem::Finder<'static>,
    parts: u64,
    closed: bool,
}

/// One encoded part: the head (delimiter line and header block) and the
/// caller's body, unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EncodedPart {
    /// Delimiter line, header fields and the empty line.
    pub head: Bytes,
    /// The part's body, the same `Bytes` the part held.
    pub body: Bytes,
}

impl EncodedPart {
    /// Append head and body to `dst`.
    pub fn write_to(&self, dst: &mut BytesMut) {
        dst.reserve(self.head.len() + self.body.len());
        dst.extend_from_slice(&self.head);
        dst.extend_from_slice(&self.body);
    }

    /// Bytes on the wire.
    pub fn len(&self) -> usize {
        self.head.len() + self.body.len()
    }

    /// Never `true`: a head is never empty.
    pub fn is_empty(&self) -> bool {
        false
    }
}

impl Encoder {
    /// An encoder for `boundary`; announce it with
    /// [`Boundary::content_type`].
    pub fn new(boundary: Boundary) -> Encoder {
        let mut delimiter = b"\r\n".to_vec();
        delimiter.extend_from_slice(&boundary.dash_boundary());
        let finder = memmem::Finder::new(&delimiter).into_owned();
        Encoder {
            boundary,
            delimiter,
            finder,
            parts: 0,
            closed: false,
        }
    }

    /// The boundary in use.
    pub fn boundary(&self) -> &Boundary {
        &self.boundary
    }

    /// Parts encoded so far.
    pub fn parts(&self) -> u64 {
        self.parts
    }

    /// Encode `part`. Its `Content-Length` header, if any, is replaced by
    /// the body's length. Fails with [`Error::BoundaryInBody`] when the
    /// body holds the delimiter (or starts with the dash-boundary, which
    /// would make an empty part's body a delimiter line), and with
    /// [`Error::EncoderFinished`] after [`Encoder::close`].
    pub fn encode_part(&mut self, part: &Part) -> Result<EncodedPart, Error> {
        if self.closed {
            return Err(Error::EncoderFinished);
        }
        let dash = &self.delimiter[2..];
        if self.finder.find(&part.body).is_some() || part.body.starts_with(dash) {
            return Err(Error::BoundaryInBody);
        }
        let mut head = BytesMut::with_capacity(128);
        if self.parts == 0 {
            head.put_slice(dash);
        } else {
            head.put_slice(&self.delimiter);
        }
        head.put_slice(b"\r\n");
        for value in part.headers.get_all(CONTENT_TYPE) {
            put_field(&mut head, CONTENT_TYPE.as_str(), value.as_bytes());
        }
        let len = part.body.len().to_string();
        put_field(&mut head, CONTENT_LENGTH.as_str(), len.as_bytes());
        for (name, value) in &part.headers {
            if name != CONTENT_TYPE && name != CONTENT_LENGTH {
                put_field(&mut head, name.as_str(), value.as_bytes());
            }
        }
        head.put_slice(b"\r\n");
        self.parts += 1;
        Ok(EncodedPart {
            head: head.freeze(),
            body: part.body.clone(),
        })
    }

    /// The close delimiter (RFC 2046 §5.1.1 `close-delimiter`) and a
    /// final CRLF; no epilogue. Fails with [`Error::EncoderFinished`] the
    /// second time.
    pub fn close(&mut self) -> Result<Bytes, Error> {
        if self.closed {
            return Err(Error::EncoderFinished);
        }
        self.closed = true;
        let delimiter = if self.parts == 0 {
            &self.delimiter[2..]
        } else {
            &self.delimiter[..]
        };
        let mut out = BytesMut::with_capacity(delimiter.len() + 4);
        out.put_slice(delimiter);
        out.put_slice(b"--\r\n");
        Ok(out.freeze())
    }
}

fn put_field(dst: &mut BytesMut, name: &str, value: &[u8]) {
    dst.put_slice(name.as_bytes());
    dst.put_slice(b": ");
    dst.put_slice(value);
    dst.put_slice(b"\r\n");
}
