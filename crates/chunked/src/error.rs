//! The errors of the chunked transfer coding, one variant per broken rule.

use http::StatusCode;

/// Where in the chunked framing a line-ending fault was found.
///
/// Line endings are the main battleground of request smuggling
/// (CVE-2025-22871, CVE-2025-55315): two parsers that disagree about
/// where a line ends disagree about where a chunk ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LineContext {
    /// The `chunk-size [ chunk-ext ] CRLF` line.
    ChunkLine,
    /// The `CRLF` that must follow `chunk-data`.
    AfterData,
    /// A line of the trailer section.
    Trailer,
}

impl std::fmt::Display for LineContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LineContext::ChunkLine => "chunk line",
            LineContext::AfterData => "end of chunk data",
            LineContext::Trailer => "trailer section",
        })
    }
}

/// Everything that can go wrong while decoding or encoding a chunked body.
///
/// Variants up to [`Error::UnexpectedEof`] are faults of the peer that sent
/// the body ([`Error::is_peer_fault`] is `true`); a server answers them with
/// [`Error::status`] and closes the connection, because after a framing error
/// the position of the next message is unknown. The remaining variants are
/// misuse by the caller of the encoder.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A chunk line does not start with a hexadecimal digit (RFC 9112 §7.1:
    /// `chunk-size = 1*HEXDIG`). Catches `0x10`, `+5`, `-1`, ` 5`, `;ext`.
    #[error("chunk-size must start with a hex digit (RFC 9112 §7.1), found byte 0x{found:02x}")]
    MissingChunkSize {
        /// The byte found where the first digit should be.
        found: u8,
    },
    /// A byte that is neither a hex digit, `;`, whitespace before `;`, nor
    /// CR follows the chunk size (RFC 9112 §7.1).
    #[error("invalid byte 0x{found:02x} after chunk-size (RFC 9112 §7.1)")]
    InvalidChunkSize {
        /// The offending byte.
        found: u8,
    },
    /// The chunk size does not fit in 64 bits (CVE-2021-32714: hyper wrapped
    /// such sizes around and read the rest as a new request).
    #[error("chunk-size overflows 64 bits (RFC 9112 §7.1, CVE-2021-32714)")]
    ChunkSizeOverflow,
    /// The chunk size has more digits than [`Limits::max_chunk_size_digits`]
    /// (leading zeros would otherwise make the line unbounded).
    ///
    /// [`Limits::max_chunk_size_digits`]: crate::Limits::max_chunk_size_digits
    #[error("chunk-size has more than {limit} digits")]
    TooManySizeDigits {
        /// The configured limit.
        limit: usize,
    },
    /// The chunk is larger than [`Limits::max_chunk_size`].
    ///
    /// [`Limits::max_chunk_size`]: crate::Limits::max_chunk_size
    #[error("chunk of {size} bytes exceeds the limit of {limit}")]
    ChunkTooLarge {
        /// The declared chunk size (or the part of it read so far).
        size: u64,
        /// The configured limit.
        limit: u64,
    },
    /// The body is longer than [`Limits::max_body_size`].
    ///
    /// [`Limits::max_body_size`]: crate::Limits::max_body_size
    #[error("body exceeds the limit of {limit} bytes")]
    BodyTooLarge {
        /// The configured limit.
        limit: u64,
    },
    /// A chunk extension breaks the grammar of RFC 9112 §7.1.1 (`chunk-ext =
    /// *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )`), for
    /// example a control character (NUL included), whitespace before the
    /// line end, or a missing name.
    #[error("invalid byte 0x{found:02x} in chunk extension (RFC 9112 §7.1.1)")]
    InvalidExtension {
        /// The offending byte.
        found: u8,
    },
    /// One chunk's extensions exceed
    /// [`Limits::max_extension_bytes_per_chunk`] (CVE-2023-39326,
    /// CVE-2024-22019: unbounded extensions as a resource exhaustion).
    ///
    /// [`Limits::max_extension_bytes_per_chunk`]: crate::Limits::max_extension_bytes_per_chunk
    #[error("chunk extensions exceed {limit} bytes in one chunk")]
    ExtensionTooLong {
        /// The configured limit.
        limit: usize,
    },
    /// The extensions of the whole body exceed
    /// [`Limits::max_extension_bytes_per_body`] (CVE-2023-39326).
    ///
    /// [`Limits::max_extension_bytes_per_body`]: crate::Limits::max_extension_bytes_per_body
    #[error("chunk extensions exceed {limit} bytes in one body")]
    ExtensionsTooLong {
        /// The configured limit.
        limit: usize,
    },
    /// Whitespace right before the CRLF of a chunk line: `BWS` is allowed
    /// only before `;` and around `=` (RFC 9112 §7.1.1), never at the end.
    #[error(
        "whitespace before the end of the chunk line: BWS is only allowed around ';' and '=' (RFC 9112 §7.1.1)"
    )]
    WhitespaceBeforeLineEnd,
    /// A LF that is not preceded by CR (RFC 9112 §2.2 allows a recipient to
    /// accept it; rtw never does, see CVE-2025-22871 and CVE-2025-55315).
    #[error("bare LF in {context}: line ends must be CRLF (RFC 9112 §2.2, §7.1)")]
    BareLf {
        /// Where the bare LF was found.
        context: LineContext,
    },
    /// A CR that is not followed by LF (RFC 9112 §2.2: a bare CR must be
    /// rejected or replaced; in framing, rtw rejects it).
    #[error("CR not followed by LF in {context}, found 0x{found:02x} (RFC 9112 §2.2)")]
    BareCr {
        /// Where the bare CR was found.
        context: LineContext,
        /// The byte that followed the CR.
        found: u8,
    },
    /// Chunk data is not followed by exactly CRLF: the chunk carried more
    /// bytes than its size declared (CVE-2025-43859).
    #[error("chunk data not followed by CRLF, found 0x{found:02x} (RFC 9112 §7.1, CVE-2025-43859)")]
    MissingCrlfAfterData {
        /// The byte found where CR was expected.
        found: u8,
    },
    /// A trailer line starts with whitespace: obsolete line folding is not
    /// allowed in trailers (RFC 9112 §5.2).
    #[error("obsolete line folding in trailer section (RFC 9112 §5.2)")]
    ObsoleteLineFolding,
    /// A trailer field line is malformed (RFC 9112 §5, §7.1.2).
    #[error("malformed trailer field (RFC 9112 §7.1.2): {0}")]
    InvalidTrailer(String),
    /// The trailer section exceeds [`Limits::max_trailer_bytes`].
    ///
    /// [`Limits::max_trailer_bytes`]: crate::Limits::max_trailer_bytes
    #[error("trailer section exceeds {limit} bytes")]
    TrailerTooLarge {
        /// The configured limit.
        limit: usize,
    },
    /// The trailer section has more fields than [`Limits::max_trailer_fields`].
    ///
    /// [`Limits::max_trailer_fields`]: crate::Limits::max_trailer_fields
    #[error("trailer section has more than {limit} fields")]
    TooManyTrailerFields {
        /// The configured limit.
        limit: usize,
    },
    /// A field that must not be sent as a trailer (RFC 9110 §6.5.1), such as
    /// `Content-Length` or `Transfer-Encoding`, was found with
    /// [`TrailerPolicy::Reject`](crate::TrailerPolicy::Reject).
    #[error("field {0:?} is not allowed in a trailer section (RFC 9110 §6.5.1)")]
    ProhibitedTrailer(String),
    /// The stream ended before the last chunk and trailer section.
    #[error("body truncated: stream ended inside the {0}")]
    UnexpectedEof(&'static str),

    /// Caller misuse: a chunk extension name that is not a token
    /// (RFC 9110 §5.6.2).
    #[error("chunk extension name must be a token (RFC 9110 §5.6.2)")]
    InvalidExtensionName,
    /// Caller misuse: an extension value that can be neither a token nor a
    /// quoted-string (RFC 9110 §5.6.4), i.e. it contains a control character.
    #[error("chunk extension value cannot be sent as token or quoted-string (RFC 9110 §5.6.4)")]
    InvalidExtensionValue,
    /// Caller misuse: extensions on an empty chunk; a chunk of size zero is
    /// the last-chunk and would end the body.
    #[error("an empty data chunk cannot carry extensions: size 0 is the last-chunk")]
    EmptyChunkWithExtensions,
    /// Caller misuse: something was encoded after the last-chunk.
    #[error("the body was already finished with the last-chunk")]
    EncoderFinished,
}

impl Error {
    /// `true` for faults of the peer that sent the body, `false` for misuse
    /// of the encoder by the caller.
    pub fn is_peer_fault(&self) -> bool {
        !matches!(
            self,
            Error::InvalidExtensionName
                | Error::InvalidExtensionValue
                | Error::EmptyChunkWithExtensions
                | Error::EncoderFinished
        )
    }

    /// The HTTP status a server answers a request body with this error with
    /// (RFC 9110 §15): 413 for size limits, 431 for the trailer limits,
    /// 400 for malformed framing.
    pub fn status(&self) -> StatusCode {
        match self {
            Error::ChunkTooLarge { .. } | Error::BodyTooLarge { .. } => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            Error::TrailerTooLarge { .. } | Error::TooManyTrailerFields { .. } => {
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
            }
            Error::InvalidExtensionName
            | Error::InvalidExtensionValue
            | Error::EmptyChunkWithExtensions
            | Error::EncoderFinished => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}
