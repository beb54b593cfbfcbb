//! Limits and options of the decoder.

/// Bounds on what a stream can make the decoder hold.
///
/// The anchors mostly have none: browsers cap nothing documented, and
/// several Rust crates buffer without bound. The format declares no
/// lengths, so nothing is ever allocated ahead of the bytes that arrived.
///
/// | limit | rtw default |
/// |---|---|
/// | line length | 1 MiB |
/// | data of one event | 8 MiB |
///
/// ```
/// use rtw_sse::{Config, Decoder, Limits};
///
/// let limits = Limits::default().max_line_len(64 * 1024).max_event_size(256 * 1024);
/// let decoder = Decoder::with_config(Config::default().limits(limits));
/// # let _ = decoder;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Longest line, field name and value included, line end excluded.
    /// Default 1 MiB.
    pub max_line_len: usize,
    /// Largest data buffer of one event. Default 8 MiB.
    pub max_event_size: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_line_len: 1 << 20,
            max_event_size: 8 << 20,
        }
    }
}

impl Limits {
    /// Sets [`max_line_len`](Limits::max_line_len).
    #[must_use]
    pub fn max_line_len(mut self, bytes: usize) -> Self {
        self.max_line_len = bytes;
        self
    }

    /// Sets [`max_event_size`](Limits::max_event_size).
    #[must_use]
    pub fn max_event_size(mut self, bytes: usize) -> Self {
        self.max_event_size = bytes;
        self
    }
}

/// Decoder configuration: limits and options, passed to
/// [`Decoder::with_config`](crate::Decoder::with_config).
///
/// ```
/// use rtw_sse::{Config, Decoder};
///
/// let decoder = Decoder::with_config(Config::default().comments(true));
/// # let _ = decoder;
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Config {
    /// Resource limits.
    pub limits: Limits,
    /// Yield comment lines (those starting with `:`, often heartbeats) as
    /// [`Item::Comment`](crate::Item::Comment). Off by default: the
    /// interpreter ignores them.
    pub comments: bool,
}

impl Config {
    /// Sets [`limits`](Config::limits).
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Sets [`comments`](Config::comments).
    #[must_use]
    pub fn comments(mut self, comments: bool) -> Self {
        self.comments = comments;
        self
    }
}
