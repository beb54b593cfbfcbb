//! The errors of rtw-turn.

/// What went wrong in a TURN exchange, the one error type of the crate.
///
/// [`Error::is_peer_fault`] tells what the other side did wrong from what
/// the caller misused; [`Error::error_code`] is the STUN ERROR-CODE a
/// server answers with (RFC 8656 §19), when there is one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A STUN message or ChannelData that does not parse (RFC 8489 §5,
    /// RFC 8656 §12.4).
    #[error(transparent)]
    Stun(#[from] rtw_stun::Error),
    /// A configuration value out of its range.
    #[error("invalid configuration: {0}")]
    Config(&'static str),
    /// A call that the state of the allocation does not allow, such as
    /// sending before the allocation exists.
    #[error("{0}")]
    InvalidState(&'static str),
    /// No permission is installed for the peer's address (RFC 8656 §9):
    /// create one before sending to it.
    #[error("no permission for peer {0} (RFC 8656 §9)")]
    NoPermission(std::net::IpAddr),
    /// The server answered a request with an error response.
    #[error("{method} failed: {code} {reason}")]
    ErrorResponse {
        /// The request's method name.
        method: &'static str,
        /// The ERROR-CODE (RFC 8489 §14.8).
        code: u16,
        /// Its reason phrase.
        reason: String,
    },
    /// A request was not answered within its transaction's time
    /// (RFC 8489 §6.2.1).
    #[error("{0} timed out (RFC 8489 §6.2.1)")]
    Timeout(&'static str),
    /// A response that breaks RFC 8656, e.g. a success without
    /// XOR-RELAYED-ADDRESS or with a bad MESSAGE-INTEGRITY.
    #[error("invalid response: {0}")]
    InvalidResponse(&'static str),
    /// Every channel number of the range 0x4000-0x4FFF is in use
    /// (RFC 8656 §12).
    #[error("no channel number left (RFC 8656 §12)")]
    ChannelsExhausted,
    /// A limit of the configuration was reached.
    #[error("limit reached: {0}")]
    Limit(&'static str),
}

impl Error {
    /// `true` when the other side sent something wrong or answered with an
    /// error; `false` when the caller misused the API.
    pub fn is_peer_fault(&self) -> bool {
        match self {
            Error::Stun(e) => e.is_peer_fault(),
            Error::ErrorResponse { .. } | Error::Timeout(_) | Error::InvalidResponse(_) => true,
            Error::Config(_)
            | Error::InvalidState(_)
            | Error::NoPermission(_)
            | Error::ChannelsExhausted
            | Error::Limit(_) => false,
        }
    }

    /// The ERROR-CODE a server answers a request with for this error, if
    /// any (RFC 8489 §14.8, RFC 8656 §19).
    pub fn error_code(&self) -> Option<u16> {
        match self {
            Error::Stun(e) => e.error_code(),
            Error::ErrorResponse { code, .. } => Some(*code),
            _ => None,
        }
    }
}
