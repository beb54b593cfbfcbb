//! The one error of rtw-sdp: a line that breaks the grammar of RFC 8866
//! §5, a limit passed, or a known attribute whose value breaks its own
//! grammar.

use crate::attributes::AttributeError;

/// Why a session description, or an attribute value in it, could not be
/// read.
///
/// Every variant but [`Error::Attribute`] carries the 1-based number of
/// the line it was found on (0 when it concerns the whole text), also
/// given by [`Error::line`]. Reading a typed attribute
/// ([`MediaDescription::get`](crate::MediaDescription::get)) returns the
/// nested [`AttributeError`] directly; `?` turns it into
/// [`Error::Attribute`].
///
/// Every error comes from reading text, and the text is the peer's offer or
/// answer, so [`Error::is_peer_fault`] is `true` for all of them: the
/// answer to the peer is to reject its description (JSEP: the
/// `setRemoteDescription` promise is rejected, RFC 8829 §5.10). SDP has no
/// error codes of its own to send back.
///
/// ```
/// use rtw_sdp::{Error, SessionDescription};
///
/// let error = SessionDescription::parse("v=0\r\ns=-\r\no=- 1 1 IN IP4 h\r\n").unwrap_err();
/// assert!(matches!(error, Error::Unexpected { line: 3, found: 'o', .. }));
/// assert_eq!(error.line(), Some(3));
/// assert!(error.is_peer_fault());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A line is not `<type>=<value>` with a single lowercase letter type
    /// (RFC 8866 §5).
    #[error("line {line}: expected `<type>=<value>` (RFC 8866 §5)")]
    Malformed {
        /// 1-based line number.
        line: usize,
    },
    /// A line type RFC 8866 does not define at this point, or out of the
    /// order of §5 (`v o s i u e p c b t r z k a`, then media sections of
    /// `m i c b k a`).
    #[error("line {line}: unexpected `{found}=` line, expected {expected} (RFC 8866 §5)")]
    Unexpected {
        /// 1-based line number.
        line: usize,
        /// The line type found.
        found: char,
        /// What the grammar allows here.
        expected: &'static str,
    },
    /// A required line is missing (`v=`, `o=`, `s=`, `t=`).
    #[error("line {line}: missing `{line_type}=` line (RFC 8866 §5)")]
    Missing {
        /// 1-based number of the line where it was expected (0 for an
        /// empty text).
        line: usize,
        /// The line type that is missing.
        line_type: char,
    },
    /// A field's value breaks its grammar (the reason names the rule and
    /// its RFC section).
    #[error("line {line}: invalid {field}: {reason}")]
    Invalid {
        /// 1-based line number.
        line: usize,
        /// Which field.
        field: &'static str,
        /// The rule broken.
        reason: &'static str,
    },
    /// A bare CR, or CR not followed by LF; or a NUL (RFC 8866 §5, §9).
    #[error("line {line}: bare CR or NUL in text (RFC 8866 §5, §9)")]
    BadCharacter {
        /// 1-based line number.
        line: usize,
    },
    /// The text exceeds [`Limits`](crate::Limits).
    #[error("line {line}: {what} exceeds the limit of {limit} (rtw_sdp::Limits)")]
    TooLarge {
        /// 1-based line number (0 for the size of the whole text).
        line: usize,
        /// Which limit.
        what: &'static str,
        /// The configured limit.
        limit: usize,
    },
    /// A known attribute's value breaks its grammar.
    #[error(transparent)]
    Attribute(#[from] AttributeError),
}

impl Error {
    /// The 1-based number of the line the error was found on; `None` when
    /// it concerns the whole text (its size, an empty text) or came from
    /// reading one attribute value ([`Error::Attribute`]).
    pub fn line(&self) -> Option<usize> {
        let line = match self {
            Error::Malformed { line }
            | Error::Unexpected { line, .. }
            | Error::Missing { line, .. }
            | Error::Invalid { line, .. }
            | Error::BadCharacter { line }
            | Error::TooLarge { line, .. } => *line,
            Error::Attribute(_) => 0,
        };
        (line != 0).then_some(line)
    }

    /// `true` when the text broke the rules (the peer's fault), `false`
    /// for caller misuse. This crate's errors all come from reading text,
    /// so this is `true` for every variant; when the text is your own,
    /// the fault is yours.
    pub fn is_peer_fault(&self) -> bool {
        match self {
            Error::Attribute(error) => error.is_peer_fault(),
            _ => true,
        }
    }
}
