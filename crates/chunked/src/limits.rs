//! Limits and options of the decoder.

/// Bounds on what a peer can make the decoder buffer or accept.
///
/// Chunk data is never buffered by the decoder (it is handed out as it
/// arrives), so the limits cover what must be held: extensions and the
/// trailer section. Defaults, beside the anchors:
///
/// | limit | rtw default | for comparison |
/// |---|---|---|
/// | extension bytes per chunk | 4 KiB | llhttp: none; Go since CVE-2023-39326: ratio of overhead to data |
/// | extension bytes per body | 16 KiB | hyper: 16 KiB per body |
/// | trailer section bytes | 16 KiB | hyper: 16 KiB |
/// | trailer fields | 64 | hyper: 1,024 |
/// | chunk-size digits | 32 | (16 hex digits fill a u64; the rest can only be leading zeros) |
/// | chunk size | none | |
/// | body size | none | |
///
/// Built from the defaults with one setter per field:
///
/// ```
/// use rtw_chunked::{Config, Decoder, Limits};
///
/// let limits = Limits::default()
///     .max_trailer_bytes(4 * 1024)
///     .max_body_size(Some(1 << 20));
/// let decoder = Decoder::with_config(Config::default().limits(limits));
/// # let _ = decoder;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Bytes of `chunk-ext` (everything between the size and the CRLF) in
    /// one chunk line.
    pub max_extension_bytes_per_chunk: usize,
    /// Bytes of `chunk-ext` summed over the whole body.
    pub max_extension_bytes_per_body: usize,
    /// Bytes of the trailer section, line ends and final empty line included.
    pub max_trailer_bytes: usize,
    /// Field lines in the trailer section.
    pub max_trailer_fields: usize,
    /// Digits in one `chunk-size`, leading zeros included.
    pub max_chunk_size_digits: usize,
    /// Largest chunk accepted, if the caller wants one.
    pub max_chunk_size: Option<u64>,
    /// Largest body (sum of chunk sizes) accepted, if the caller wants one.
    pub max_body_size: Option<u64>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_extension_bytes_per_chunk: 4 * 1024,
            max_extension_bytes_per_body: 16 * 1024,
            max_trailer_bytes: 16 * 1024,
            max_trailer_fields: 64,
            max_chunk_size_digits: 32,
            max_chunk_size: None,
            max_body_size: None,
        }
    }
}

/// What the decoder does with trailer fields that RFC 9110 §6.5.1 says must
/// not be trailers (see [`is_prohibited_trailer`](crate::is_prohibited_trailer)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TrailerPolicy {
    /// Fail with [`Error::ProhibitedTrailer`](crate::Error::ProhibitedTrailer). The default.
    #[default]
    Reject,
    /// Leave them out of the reported trailers; their names are kept in
    /// [`Decoder::discarded_trailers`](crate::Decoder::discarded_trailers).
    Discard,
    /// Report them with the others; the caller must not merge them into the
    /// header section (RFC 9110 §6.5.1).
    Allow,
}

/// Decoder configuration: limits and options, passed to
/// [`Decoder::with_config`](crate::Decoder::with_config).
///
/// ```
/// use rtw_chunked::{Config, Decoder, Limits, TrailerPolicy};
///
/// let config = Config::default()
///     .limits(Limits::default().max_trailer_fields(16))
///     .report_chunk_headers(true)
///     .trailer_policy(TrailerPolicy::Discard);
/// let decoder = Decoder::with_config(config);
/// # let _ = decoder;
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Config {
    /// Resource limits.
    pub limits: Limits,
    /// Yield a [`Frame::Chunk`](crate::Frame::Chunk) with the size and the
    /// parsed extensions before each chunk's data. Off by default:
    /// extensions are then validated but not stored.
    pub report_chunk_headers: bool,
    /// Handling of prohibited trailer fields.
    pub trailer_policy: TrailerPolicy,
}

/// By-value setters, one per field.
impl Limits {
    /// Sets [`max_extension_bytes_per_chunk`](Limits::max_extension_bytes_per_chunk).
    #[must_use]
    pub fn max_extension_bytes_per_chunk(mut self, bytes: usize) -> Self {
        self.max_extension_bytes_per_chunk = bytes;
        self
    }

    /// Sets [`max_extension_bytes_per_body`](Limits::max_extension_bytes_per_body).
    #[must_use]
    pub fn max_extension_bytes_per_body(mut self, bytes: usize) -> Self {
        self.max_extension_bytes_per_body = bytes;
        self
    }

    /// Sets [`max_trailer_bytes`](Limits::max_trailer_bytes).
    #[must_use]
    pub fn max_trailer_bytes(mut self, bytes: usize) -> Self {
        self.max_trailer_bytes = bytes;
        self
    }

    /// Sets [`max_trailer_fields`](Limits::max_trailer_fields).
    #[must_use]
    pub fn max_trailer_fields(mut self, fields: usize) -> Self {
        self.max_trailer_fields = fields;
        self
    }

    /// Sets [`max_chunk_size_digits`](Limits::max_chunk_size_digits).
    #[must_use]
    pub fn max_chunk_size_digits(mut self, digits: usize) -> Self {
        self.max_chunk_size_digits = digits;
        self
    }

    /// Sets [`max_chunk_size`](Limits::max_chunk_size); `None` for no cap.
    #[must_use]
    pub fn max_chunk_size(mut self, bytes: Option<u64>) -> Self {
        self.max_chunk_size = bytes;
        self
    }

    /// Sets [`max_body_size`](Limits::max_body_size); `None` for no cap.
    #[must_use]
    pub fn max_body_size(mut self, bytes: Option<u64>) -> Self {
        self.max_body_size = bytes;
        self
    }
}

/// By-value setters, one per field.
impl Config {
    /// Sets [`limits`](Config::limits).
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Sets [`report_chunk_headers`](Config::report_chunk_headers).
    #[must_use]
    pub fn report_chunk_headers(mut self, report: bool) -> Self {
        self.report_chunk_headers = report;
        self
    }

    /// Sets [`trailer_policy`](Config::trailer_policy).
    #[must_use]
    pub fn trailer_policy(mut self, policy: TrailerPolicy) -> Self {
        self.trailer_policy = policy;
        self
    }
}
