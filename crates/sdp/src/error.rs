//! Parse errors, each with the line it was found on.

/// Why a session description could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {kind}")]
pub struct Error {
    /// 1-based line number (0 for errors about the whole text).
    pub line: usize,
    /// What was wrong.
    pub kind: ErrorKind,
}

/// What was wrong with a line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A line is not `<type>=<value>` with a single lowercase letter type
    /// (RFC 8866 §5).
    #[error("expected `<type>=<value>` (RFC 8866 §5)")]
    Malformed,
    /// A line type RFC 8866 does not define at this point, or out of the
    /// order of §5 (`v o s i u e p c b t r z k a`, then media sections of
    /// `m i c b k a`).
    #[error("unexpected `{found}=` line, expected {expected} (RFC 8866 §5)")]
    Unexpected {
        /// The line type found.
        found: char,
        /// What the grammar allows here.
        expected: &'static str,
    },
    /// A required line is missing (`v=`, `o=`, `s=`, `t=`).
    #[error("missing `{0}=` line (RFC 8866 §5)")]
    Missing(char),
    /// A field's value breaks its grammar.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// Which field.
        field: &'static str,
        /// The rule broken.
        reason: &'static str,
    },
    /// A bare CR, or CR not followed by LF; or a NUL (RFC 8866 §5, §9).
    #[error("bare CR or NUL in text")]
    BadCharacter,
    /// The text exceeds [`Limits`](crate::Limits).
    #[error("{what} exceeds the limit of {limit}")]
    TooLarge {
        /// Which limit.
        what: &'static str,
        /// The configured limit.
        limit: usize,
    },
}
