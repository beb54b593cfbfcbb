//! The errors of rtw-multipart, one variant per broken rule.

/// Everything that can go wrong while reading a `Content-Type`, decoding a
/// multipart body or encoding one.
///
/// Variants up to [`Error::Truncated`] are faults of the peer (the sender
/// of the body or of its `Content-Type`): [`Error::is_peer_fault`] is
/// `true`. The others are misuse of the API by the caller. Decoding errors
/// are final: the decoder returns the same error again on every later
/// call, because after a framing error the next part cannot be found.
///
/// ```
/// use bytes::BytesMut;
/// use rtw_multipart::{Boundary, Decoder, Error};
///
/// let mut decoder = Decoder::new(Boundary::new("b").unwrap());
/// let mut src = BytesMut::from(&b"--b junk\r\n"[..]);
/// let error = decoder.decode(&mut src).unwrap_err();
/// assert!(matches!(error, Error::DelimiterLineJunk { found: b'j' }));
/// assert!(error.is_peer_fault());
/// assert!(error.to_string().contains("RFC 2046 §5.1.1"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A boundary breaks RFC 2046 §5.1.1: 1 to 70 characters from `bchars`,
    /// not ending with a space.
    #[error("invalid boundary: {reason} (RFC 2046 §5.1.1)")]
    InvalidBoundary {
        /// The rule it broke.
        reason: &'static str,
    },
    /// A `Content-Type` value that is not `type "/" subtype *(";"
    /// parameter)` (RFC 2045 §5.1).
    #[error("malformed Content-Type: {reason} (RFC 2045 §5.1)")]
    InvalidContentType {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The media type is not `multipart/*` (RFC 2046 §5.1).
    #[error("media type is not multipart/* (RFC 2046 §5.1)")]
    NotMultipart,
    /// A `multipart/*` type without its required `boundary` parameter
    /// (RFC 2046 §5.1.1).
    #[error("multipart Content-Type without a boundary parameter (RFC 2046 §5.1.1)")]
    MissingBoundary,
    /// No delimiter line within [`Limits::max_preamble_size`] bytes: the
    /// boundary is wrong or the body is not multipart (RFC 2046 §5.1.1).
    ///
    /// [`Limits::max_preamble_size`]: crate::Limits::max_preamble_size
    #[error("no boundary delimiter within the first {limit} bytes (RFC 2046 §5.1.1)")]
    PreambleTooLong {
        /// The configured limit.
        limit: usize,
    },
    /// A delimiter line goes on with something other than transport
    /// padding and CRLF, or `--` (RFC 2046 §5.1.1: a line that starts with
    /// the dash-boundary is a delimiter, so the boundary must not appear
    /// at the start of a line inside a part).
    #[error(
        "byte 0x{found:02x} after a boundary delimiter: only LWSP padding then CRLF, or \"--\", may follow (RFC 2046 §5.1.1)"
    )]
    DelimiterLineJunk {
        /// The byte found.
        found: u8,
    },
    /// Transport padding after a delimiter longer than
    /// [`Limits::max_transport_padding`].
    ///
    /// [`Limits::max_transport_padding`]: crate::Limits::max_transport_padding
    #[error("transport padding after a delimiter exceeds {limit} bytes (RFC 2046 §5.1.1)")]
    PaddingTooLong {
        /// The configured limit.
        limit: usize,
    },
    /// A LF not preceded by CR, without
    /// [`Config::allow_lf_line_ends`](crate::Config::allow_lf_line_ends)
    /// (RFC 2046 §5.1.1 and RFC 2045 §2.1: lines end with CRLF).
    #[error("bare LF in the {context}: lines end with CRLF (RFC 2046 §5.1.1)")]
    BareLf {
        /// Where: `delimiter line` or `part headers`.
        context: &'static str,
    },
    /// A part header line that is not a header field (RFC 2046 §5.1.1
    /// `MIME-part-headers`, RFC 5322 §2.2), as httparse reads it.
    #[error("malformed part header: {0} (RFC 2046 §5.1.1, RFC 5322 §2.2)")]
    InvalidHeader(&'static str),
    /// More part header fields than [`Limits::max_headers`].
    ///
    /// [`Limits::max_headers`]: crate::Limits::max_headers
    #[error("a part has more than {limit} header fields")]
    TooManyHeaders {
        /// The configured limit.
        limit: usize,
    },
    /// A part's header block (up to and including its empty line) longer
    /// than [`Limits::max_header_bytes`].
    ///
    /// [`Limits::max_header_bytes`]: crate::Limits::max_header_bytes
    #[error("part header block exceeds {limit} bytes")]
    HeaderBlockTooLarge {
        /// The configured limit.
        limit: usize,
    },
    /// A `Content-Length` part header that is not one decimal byte count,
    /// or several that differ (RFC 9110 §8.6, used by multipart streams).
    #[error("invalid Content-Length in a part (RFC 9110 §8.6)")]
    InvalidContentLength,
    /// A part body larger than [`Limits::max_part_size`], declared by its
    /// `Content-Length` or found while scanning for the next delimiter.
    ///
    /// [`Limits::max_part_size`]: crate::Limits::max_part_size
    #[error("part body exceeds {limit} bytes")]
    PartTooLarge {
        /// The configured limit.
        limit: usize,
    },
    /// The bytes after a body of `Content-Length` bytes are not a
    /// delimiter (RFC 2046 §5.1.1: `CRLF "--" boundary`): the length is
    /// wrong.
    #[error("no boundary delimiter right after Content-Length bytes of body (RFC 2046 §5.1.1)")]
    MissingDelimiterAfterBody,
    /// The stream ended between parts, without the close delimiter
    /// `--boundary--` (RFC 2046 §5.1.1), and
    /// [`Config::allow_missing_close_delimiter`](crate::Config::allow_missing_close_delimiter)
    /// is off.
    #[error("stream ended without the close delimiter (RFC 2046 §5.1.1)")]
    MissingCloseDelimiter,
    /// The stream ended inside a part, a delimiter line or before the
    /// first delimiter.
    #[error("stream ended inside the {0} (RFC 2046 §5.1.1)")]
    Truncated(&'static str),

    /// Caller misuse: a part body that holds its delimiter (`CRLF
    /// "--" boundary`), which RFC 2046 §5.1.1 forbids; pick another
    /// boundary.
    #[error("part body contains the boundary delimiter (RFC 2046 §5.1.1)")]
    BoundaryInBody,
    /// Caller misuse: a part after the close delimiter.
    #[error("the body was already closed with the close delimiter")]
    EncoderFinished,
}

impl Error {
    /// `true` for faults of the peer (the body or the `Content-Type` it
    /// sent), `false` for misuse of the encoder by the caller.
    pub fn is_peer_fault(&self) -> bool {
        !matches!(self, Error::BoundaryInBody | Error::EncoderFinished)
    }
}
