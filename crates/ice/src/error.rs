//! The one error type of rtw-ice (`docs/ARCHITECTURE.md` §2.5).

use std::net::SocketAddr;

use crate::CandidateError;

/// What can go wrong in rtw-ice: a candidate that does not parse, a peer
/// that signals more than the [`Limits`](crate::Limits) allow, or an
/// agent used the wrong way.
///
/// Failures of connectivity itself (every pair failed, consent lost) are
/// not errors but [`ConnectionState::Failed`](crate::ConnectionState::Failed),
/// reported by [`IceEvent::StateChanged`](crate::IceEvent::StateChanged).
///
/// ```
/// use rtw_ice::{Candidate, Error};
///
/// let err: Error = Candidate::parse("candidate:1 1 udp").unwrap_err().into();
/// assert!(err.is_peer_fault());
/// assert!(err.to_string().contains("RFC 8839 §5.1"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A candidate that breaks RFC 8839 §5.1 or exceeds the limits.
    #[error(transparent)]
    Candidate(#[from] CandidateError),
    /// More remote candidates than
    /// [`Limits::max_remote_candidates`](crate::Limits::max_remote_candidates)
    /// (the check list bound of RFC 8445 §6.1.2.5): the candidate was not
    /// added.
    #[error(
        "more than {limit} remote candidates (Limits::max_remote_candidates, RFC 8445 §6.1.2.5)"
    )]
    TooManyRemoteCandidates {
        /// The limit.
        limit: usize,
    },
    /// Caller misuse: gathering from an address that is the base of no
    /// local candidate (RFC 8445 §5.1.1.2: a server-reflexive candidate
    /// is learnt for a host candidate's base). Add the host candidate
    /// first.
    #[error("{0} is not the base of a local candidate (RFC 8445 §5.1.1.2)")]
    UnknownBase(SocketAddr),
    /// Caller misuse: [`IceAgent::send_data`](crate::IceAgent::send_data)
    /// before a pair is selected, or after the agent failed.
    #[error("no candidate pair is selected")]
    NotConnected,
    /// The TURN client of
    /// [`IceAgent::gather_relayed`](crate::IceAgent::gather_relayed)
    /// refused its configuration.
    #[error(transparent)]
    Turn(#[from] rtw_turn::Error),
}

impl Error {
    /// `true` if the peer broke the protocol or its limits (a malformed
    /// candidate, too many candidates), `false` for caller misuse.
    pub fn is_peer_fault(&self) -> bool {
        match self {
            Error::Candidate(_) | Error::TooManyRemoteCandidates { .. } => true,
            Error::UnknownBase(_) | Error::NotConnected => false,
            Error::Turn(e) => e.is_peer_fault(),
        }
    }
}

impl CandidateError {
    /// `true`: a candidate comes from the peer's signalling, so every way
    /// it fails to parse is the peer's fault.
    pub fn is_peer_fault(&self) -> bool {
        true
    }
}
