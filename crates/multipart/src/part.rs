//! What the decoder yields and the encoder takes.

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use http::{HeaderMap, HeaderValue};

/// One body part (RFC 2046 §5.1.1 `body-part`): its header fields and its
/// body. A plain value: fields are public.
///
/// ```
/// use rtw_multipart::Part;
///
/// let part = Part::new("image/jpeg", &b"\xff\xd8\xff\xd9"[..]);
/// assert_eq!(part.content_type(), Some("image/jpeg"));
/// assert_eq!(part.body.len(), 4);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Part {
    /// The part's header fields, in the order they came (repeats kept).
    /// Values decoded from the wire share the input's memory.
    pub headers: HeaderMap,
    /// The body, without the CRLF that belongs to the next delimiter.
    pub body: Bytes,
}

impl Part {
    /// A part with a `Content-Type` header and `body`. A `content_type`
    /// that is no valid header value is left out.
    pub fn new(content_type: &str, body: impl Into<Bytes>) -> Part {
        let mut headers = HeaderMap::new();
        if let Ok(value) = HeaderValue::from_str(content_type) {
            headers.insert(CONTENT_TYPE, value);
        }
        Part {
            headers,
            body: body.into(),
        }
    }

    /// The `Content-Type` header's value, if any and if it is text
    /// (RFC 2046 §5.1: a part without one is `text/plain`).
    pub fn content_type(&self) -> Option<&str> {
        self.headers.get(CONTENT_TYPE)?.to_str().ok()
    }

    /// The `Content-Length` header's value, if any and if it is a number.
    pub fn content_length(&self) -> Option<u64> {
        self.headers
            .get(CONTENT_LENGTH)?
            .to_str()
            .ok()?
            .parse()
            .ok()
    }
}

/// What [`Decoder::decode`](crate::Decoder::decode) yields.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Item {
    /// A whole part.
    Part(Part),
    /// The close delimiter `--boundary--` (RFC 2046 §5.1.1): no part
    /// follows; the epilogue after it is consumed and ignored.
    End,
}
