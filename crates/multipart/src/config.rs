//! Limits and the tolerances of the decoder.

/// Bounds on what a peer can make the decoder buffer or accept.
///
/// A part is handed out whole (its body split off the input without
/// copying), so the decoder holds at most one part, its header block and
/// a delimiter's worth of bytes. Preamble and epilogue are dropped as they
/// are scanned. Defaults:
///
/// | limit | default | why |
/// |---|---|---|
/// | `max_part_size` | 16 MiB | a 4K M-JPEG frame is 1-4 MiB |
/// | `max_headers` | 32 | cameras send 2-4 (`Content-Type`, `Content-Length`, `X-Timestamp`) |
/// | `max_header_bytes` | 8 KiB | the header block of one part, empty line included |
/// | `max_preamble_size` | 64 KiB | bytes before the first delimiter |
/// | `max_transport_padding` | 256 | spaces and tabs after a boundary (RFC 2046 §5.1.1 `transport-padding`) |
///
/// ```
/// use rtw_multipart::{Boundary, Config, Decoder, Limits};
///
/// let limits = Limits::default().max_part_size(1 << 20).max_headers(8);
/// let decoder = Decoder::with_config(Boundary::new("frame")?, Config::default().limits(limits));
/// # let _ = decoder;
/// # Ok::<(), rtw_multipart::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest part body, in bytes.
    pub max_part_size: usize,
    /// Most header fields in one part.
    pub max_headers: usize,
    /// Largest header block of one part, line ends and empty line included.
    pub max_header_bytes: usize,
    /// Most bytes before the first delimiter line.
    pub max_preamble_size: usize,
    /// Most spaces and tabs between a boundary and its line end.
    pub max_transport_padding: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_part_size: 16 << 20,
            max_headers: 32,
            max_header_bytes: 8 * 1024,
            max_preamble_size: 64 * 1024,
            max_transport_padding: 256,
        }
    }
}

/// By-value setters, one per field.
impl Limits {
    /// Sets [`max_part_size`](Limits::max_part_size).
    #[must_use]
    pub fn max_part_size(mut self, bytes: usize) -> Self {
        self.max_part_size = bytes;
        self
    }

    /// Sets [`max_headers`](Limits::max_headers).
    #[must_use]
    pub fn max_headers(mut self, fields: usize) -> Self {
        self.max_headers = fields;
        self
    }

    /// Sets [`max_header_bytes`](Limits::max_header_bytes).
    #[must_use]
    pub fn max_header_bytes(mut self, bytes: usize) -> Self {
        self.max_header_bytes = bytes;
        self
    }

    /// Sets [`max_preamble_size`](Limits::max_preamble_size).
    #[must_use]
    pub fn max_preamble_size(mut self, bytes: usize) -> Self {
        self.max_preamble_size = bytes;
        self
    }

    /// Sets [`max_transport_padding`](Limits::max_transport_padding).
    #[must_use]
    pub fn max_transport_padding(mut self, bytes: usize) -> Self {
        self.max_transport_padding = bytes;
        self
    }
}

/// Decoder configuration: [`Limits`] and one switch per tolerance.
///
/// The default is strict RFC 2046 §5.1.1. Each tolerance accepts one
/// departure that real senders make; [`Config::lenient`] turns them all
/// on (what `rtw multipart split` uses). Always accepted, because the RFC
/// allows them: a first delimiter at the very start of the body (no
/// preamble; ffmpeg's `mpjpeg` muxer and mjpg-streamer start so), extra
/// part headers such as mjpg-streamer's and ESP32 cameras' `X-Timestamp`,
/// transport padding after a boundary, any preamble and epilogue.
///
/// ```
/// use rtw_multipart::Config;
///
/// let config = Config::default().allow_missing_close_delimiter(true);
/// assert!(!config.allow_lf_line_ends);
/// assert!(Config::lenient().allow_lf_line_ends);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Config {
    /// Resource limits.
    pub limits: Limits,
    /// Accept LF alone as a line end in delimiter lines and part headers
    /// (RFC 2046 §5.1.1 wants CRLF). For streams written by scripts that
    /// print `\n` (Python and shell M-JPEG relays). The CR before a
    /// delimiter's LF, when present, still belongs to the delimiter.
    pub allow_lf_line_ends: bool,
    /// After a body of `Content-Length` bytes, accept the next
    /// `--boundary` without the CRLF that RFC 2046 §5.1.1 puts before it
    /// (and in the preamble, a first `--boundary` that does not start a
    /// line). For hand-written ESP32 and Arduino streamers that print
    /// `--boundary\r\n` before each JPEG and nothing after it. Without
    /// `Content-Length` the end of a body cannot be told from its data, so
    /// the CRLF stays required there.
    pub allow_missing_crlf_before_delimiter: bool,
    /// When the boundary itself starts with `--` (`boundary=--frame`),
    /// also accept a body that uses it as the whole dash-boundary
    /// (`--frame` instead of `----frame`), as cameras that repeat the
    /// Content-Type's value in the body do (ffmpeg's demuxer has the same
    /// allowance, its `strict_mime_boundary` off by default). The form of
    /// the first delimiter is kept for the rest of the body.
    pub allow_dashed_boundary: bool,
    /// Accept the end of the stream between parts as the end of the body,
    /// without the close delimiter. `multipart/x-mixed-replace` senders
    /// (mjpg-streamer, ESP32 cameras, ffmpeg's `mpjpeg` when stopped)
    /// stream until the connection closes and never send it. A stream
    /// that ends inside a part is still [`Error::Truncated`](crate::Error::Truncated).
    pub allow_missing_close_delimiter: bool,
}

impl Config {
    /// Every tolerance on, with default limits: for real cameras and
    /// streaming servers.
    pub fn lenient() -> Self {
        Config {
            limits: Limits::default(),
            allow_lf_line_ends: true,
            allow_missing_crlf_before_delimiter: true,
            allow_dashed_boundary: true,
            allow_missing_close_delimiter: true,
        }
    }

    /// Sets [`limits`](Config::limits).
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Sets [`allow_lf_line_ends`](Config::allow_lf_line_ends).
    #[must_use]
    pub fn allow_lf_line_ends(mut self, allow: bool) -> Self {
        self.allow_lf_line_ends = allow;
        self
    }

    /// Sets [`allow_missing_crlf_before_delimiter`](Config::allow_missing_crlf_before_delimiter).
    #[must_use]
    pub fn allow_missing_crlf_before_delimiter(mut self, allow: bool) -> Self {
        self.allow_missing_crlf_before_delimiter = allow;
        self
    }

    /// Sets [`allow_dashed_boundary`](Config::allow_dashed_boundary).
    #[must_use]
    pub fn allow_dashed_boundary(mut self, allow: bool) -> Self {
        self.allow_dashed_boundary = allow;
        self
    }

    /// Sets [`allow_missing_close_delimiter`](Config::allow_missing_close_delimiter).
    #[must_use]
    pub fn allow_missing_close_delimiter(mut self, allow: bool) -> Self {
        self.allow_missing_close_delimiter = allow;
        self
    }
}
