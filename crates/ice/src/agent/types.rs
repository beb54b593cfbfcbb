//! What an agent reports and is given: roles, credentials, states,
//! events and candidate pairs (RFC 8445 §6.1, §7, §8).

use std::net::SocketAddr;

use crate::Candidate;
use crate::pair::PairState;

/// Which side nominates (RFC 8445 §6.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Nominates the pair to use.
    Controlling,
    /// Follows the controlling agent's nomination.
    Controlled,
}

/// `ice-ufrag` and `ice-pwd` (RFC 8445 §5.3, RFC 8839 §5.4).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Credentials {
    /// The username fragment, 4 to 256 ice-chars.
    pub ufrag: String,
    /// The password, 22 to 256 ice-chars.
    pub pwd: String,
}

impl std::fmt::Debug for Credentials {
    /// The password is a secret: it is not shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("ufrag", &self.ufrag)
            .field("pwd", &"<hidden>")
            .finish()
    }
}

/// The state of the agent (RFC 8445 §6.1.3, with the names of the W3C
/// `RTCIceConnectionState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnectionState {
    /// No check sent or received yet.
    New,
    /// Checking pairs; none is selected yet.
    Checking,
    /// A pair is selected; checks of other pairs may go on.
    Connected,
    /// A pair is selected and no more checks run (RFC 8445 §8.1.2).
    Completed,
    /// Every pair failed after the peer's end-of-candidates, or consent
    /// was lost (RFC 7675 §5.1).
    Failed,
    /// Consent checks of the selected pair go unanswered; it may recover.
    Disconnected,
}

/// What the agent reports, from [`IceAgent::poll_event`](crate::IceAgent::poll_event).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum IceEvent {
    /// The connection state changed.
    StateChanged(ConnectionState),
    /// A local candidate was gathered (server-reflexive from a STUN
    /// server, or relayed from a TURN server): signal it to the peer
    /// (trickle ICE, RFC 8838 §4).
    LocalCandidate(Candidate),
    /// Every gathering asked for has ended: signal end-of-candidates
    /// (RFC 8838 §8.2).
    GatheringComplete,
    /// Data goes over this pair from now on: from the local base `source`
    /// to the remote `destination`.
    SelectedPair {
        /// The local base to send from.
        source: SocketAddr,
        /// The remote address to send to.
        destination: SocketAddr,
    },
    /// A role conflict switched this agent's role (RFC 8445 §7.3.1.1,
    /// §7.2.5.1).
    RoleChanged(Role),
    /// A TURN allocation of [`IceAgent::gather_relayed`](crate::IceAgent::gather_relayed)
    /// failed (no relayed candidate from it) or was lost (a refresh failed
    /// or timed out: its pairs fail).
    RelayFailed {
        /// The TURN server.
        server: SocketAddr,
        /// Why: an error response (401 for wrong credentials, 486 quota,
        /// ...), a timeout, or a response that breaks RFC 8656.
        error: rtw_turn::Error,
    },
}

/// A candidate pair as [`IceAgent::check_list`](crate::IceAgent::check_list) shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CandidatePair {
    /// The local candidate (its base is `source`).
    pub local: Candidate,
    /// The remote candidate.
    pub remote: Candidate,
    /// The local base checks are sent from (RFC 8445 §6.1.2.4).
    pub source: SocketAddr,
    /// The remote address checks are sent to.
    pub destination: SocketAddr,
    /// `local foundation ":" remote foundation` (RFC 8445 §6.1.2.6).
    pub foundation: String,
    /// The pair priority for the agent's current role (RFC 8445 §6.1.2.3).
    pub priority: u64,
    /// Its state (RFC 8445 §6.1.2.6).
    pub state: PairState,
    /// In the valid list (RFC 8445 §7.2.5.3.2).
    pub valid: bool,
    /// Nominated (RFC 8445 §8.1.1).
    pub nominated: bool,
}
