//! Limits of the frame decoder (STOMP 1.2 "Size Limits").

/// Bounds on what a peer can make the [`Decoder`](crate::Decoder) hold.
///
/// STOMP 1.2 "Size Limits" lets a server cap the number of headers, the
/// length of a header line and the size of a body, and answer a frame
/// past them with an ERROR frame and a close;
/// [`Error::error_frame`](crate::Error::error_frame) gives that frame, its `message` header
/// naming the limit. A `content-length` past a limit is refused as soon as
/// the header arrives, before any of the body is buffered.
///
/// | limit | rtw default | RabbitMQ (for comparison) |
/// |---|---|---|
/// | [`max_frame_size`](Limits::max_frame_size) | 1 MiB + 64 KiB | |
/// | [`max_headers`](Limits::max_headers) | 64 | |
/// | [`max_header_line`](Limits::max_header_line) | 8 KiB | |
/// | [`max_body`](Limits::max_body) | 1 MiB | `stomp.max_frame_size` 4 MiB |
///
/// ```
/// use rtw_stomp::{Decoder, Limits};
///
/// let limits = Limits::default().max_body(64 * 1024).max_headers(16);
/// let decoder = Decoder::with_limits(limits);
/// # let _ = decoder;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest whole frame: command line, header lines, blank line, body
    /// and NUL. Default 1 MiB + 64 KiB (a full body and a head of up to
    /// 64 KiB).
    pub max_frame_size: usize,
    /// Most header lines in one frame. Default 64.
    pub max_headers: usize,
    /// Longest line (the command line or one header line), line end
    /// excluded, before escapes are undone. Default 8 KiB.
    pub max_header_line: usize,
    /// Largest body, by `content-length` or up to the NUL. Default 1 MiB.
    pub max_body: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_frame_size: (1 << 20) + (64 << 10),
            max_headers: 64,
            max_header_line: 8 << 10,
            max_body: 1 << 20,
        }
    }
}

impl Limits {
    /// Sets [`max_frame_size`](Limits::max_frame_size).
    #[must_use]
    pub fn max_frame_size(mut self, bytes: usize) -> Self {
        self.max_frame_size = bytes;
        self
    }

    /// Sets [`max_headers`](Limits::max_headers).
    #[must_use]
    pub fn max_headers(mut self, count: usize) -> Self {
        self.max_headers = count;
        self
    }

    /// Sets [`max_header_line`](Limits::max_header_line).
    #[must_use]
    pub fn max_header_line(mut self, bytes: usize) -> Self {
        self.max_header_line = bytes;
        self
    }

    /// Sets [`max_body`](Limits::max_body).
    #[must_use]
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }
}
