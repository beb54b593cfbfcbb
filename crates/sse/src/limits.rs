//! Limits and options of the parser.

/// Bounds on what a stream can make the parser hold.
///
/// The anchors mostly have none: browsers cap nothing documented, and
/// several Rust crates buffer without bound.
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// Parser configuration.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Config {
    /// Resource limits.
    pub limits: Limits,
    /// Yield comment lines (those starting with `:`, often heartbeats) as
    /// [`Item::Comment`](crate::Item::Comment). Off by default: the
    /// interpreter ignores them.
    pub comments: bool,
}
