//! Bounds on what a description may make the parser hold.

/// Bounds on what a description may make the parser hold, passed to
/// [`SessionDescription::parse_with_limits`](crate::SessionDescription::parse_with_limits)
/// ([`SessionDescription::parse`](crate::SessionDescription::parse) uses
/// the defaults).
///
/// | limit | rtw default | for comparison |
/// |---|---|---|
/// | text size | 1 MiB | browser offers are about 6-20 KiB |
/// | lines | 20,000 | |
/// | attributes in one section | 4,096 | |
///
/// The size is checked before the text is split into lines, so nothing
/// is allocated for a text past it.
///
/// ```
/// use rtw_sdp::{Limits, SessionDescription};
///
/// let limits = Limits::default().max_size(64 * 1024).max_lines(2_000).max_attributes(512);
/// let text = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";
/// let sd = SessionDescription::parse_with_limits(text, &limits)?;
/// assert_eq!(sd.to_string(), text);
/// # Ok::<(), rtw_sdp::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Bytes of text. Default 1 MiB (Chrome offers are about 6-20 KiB).
    pub max_size: usize,
    /// Lines. Default 20,000.
    pub max_lines: usize,
    /// Attributes in one section. Default 4,096.
    pub max_attributes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_size: 1 << 20,
            max_lines: 20_000,
            max_attributes: 4_096,
        }
    }
}

impl Limits {
    /// Sets [`max_size`](Limits::max_size).
    #[must_use]
    pub fn max_size(mut self, bytes: usize) -> Self {
        self.max_size = bytes;
        self
    }

    /// Sets [`max_lines`](Limits::max_lines).
    #[must_use]
    pub fn max_lines(mut self, lines: usize) -> Self {
        self.max_lines = lines;
        self
    }

    /// Sets [`max_attributes`](Limits::max_attributes).
    #[must_use]
    pub fn max_attributes(mut self, attributes: usize) -> Self {
        self.max_attributes = attributes;
        self
    }
}
