//! Bounds on what a peer can make the agent parse or keep
//! (`docs/ARCHITECTURE.md` §2.6, §2.8).

/// Limits on candidates read and on what an [`IceAgent`](crate::IceAgent)
/// keeps for a peer.
///
/// | limit | default | why |
/// |---|---|---|
/// | [`max_candidate_len`](Limits::max_candidate_len) | 1,024 bytes | browsers write 100 to 250; RFC 8839 sets no bound |
/// | [`max_extensions`](Limits::max_extensions) | 64 | libwebrtc writes at most 4 or 5 extension pairs |
/// | [`max_pairs`](Limits::max_pairs) | 100 | RFC 8445 §6.1.2.5 suggests 100 pairs as the check list limit |
/// | [`max_remote_candidates`](Limits::max_remote_candidates) | 100 | signalled and peer-reflexive remote candidates together; a browser signals 2 to 10 per interface |
/// | [`max_local_candidates`](Limits::max_local_candidates) | 100 | local candidates, counting the peer-reflexive ones learnt from checks (RFC 8445 §7.2.5.3.1) |
///
/// The agent's pair list holds at most `2 × max_pairs` entries in all:
/// the live pairs, plus pairs removed by the limit or by nomination that
/// are still referenced (the selected pair, a check whose late answer
/// still counts). Removed pairs nothing refers to any more are reused.
///
/// ```
/// use rtw_ice::{Candidate, Limits};
///
/// let limits = Limits::default().max_candidate_len(300).max_pairs(20);
/// let line = "candidate:1 1 udp 2130706431 192.0.2.1 54400 typ host";
/// assert!(Candidate::parse_with_limits(line, &limits).is_ok());
/// assert!(Candidate::parse_with_limits(line, &Limits::default().max_candidate_len(10)).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Bytes of one candidate's text, prefix included
    /// ([`CandidateError::TooLong`](crate::CandidateError::TooLong)).
    /// Default 1,024.
    pub max_candidate_len: usize,
    /// Extension attribute pairs of one candidate
    /// ([`CandidateError::TooManyExtensions`](crate::CandidateError::TooManyExtensions)).
    /// Default 64.
    pub max_extensions: usize,
    /// Candidate pairs in play (RFC 8445 §6.1.2.5): beyond it the
    /// lowest-priority Frozen or Waiting pairs are removed. Default 100.
    pub max_pairs: usize,
    /// Remote candidates kept, signalled and peer-reflexive together.
    /// [`IceAgent::add_remote_candidate`](crate::IceAgent::add_remote_candidate)
    /// refuses more with
    /// [`Error::TooManyRemoteCandidates`](crate::Error::TooManyRemoteCandidates);
    /// a check from yet another address is answered but not paired.
    /// Cleared by [`IceAgent::restart`](crate::IceAgent::restart).
    /// Default 100.
    pub max_remote_candidates: usize,
    /// Local candidates kept. The caller's own candidates are never
    /// refused (they count, though); a peer-reflexive local candidate
    /// learnt from a check beyond it is not kept (the check still
    /// succeeds). Default 100.
    pub max_local_candidates: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_candidate_len: 1024,
            max_extensions: 64,
            max_pairs: 100,
            max_remote_candidates: 100,
            max_local_candidates: 100,
        }
    }
}

impl Limits {
    /// Set [`Limits::max_candidate_len`].
    #[must_use]
    pub fn max_candidate_len(mut self, max: usize) -> Self {
        self.max_candidate_len = max;
        self
    }

    /// Set [`Limits::max_extensions`].
    #[must_use]
    pub fn max_extensions(mut self, max: usize) -> Self {
        self.max_extensions = max;
        self
    }

    /// Set [`Limits::max_pairs`].
    #[must_use]
    pub fn max_pairs(mut self, max: usize) -> Self {
        self.max_pairs = max;
        self
    }

    /// Set [`Limits::max_remote_candidates`].
    #[must_use]
    pub fn max_remote_candidates(mut self, max: usize) -> Self {
        self.max_remote_candidates = max;
        self
    }

    /// Set [`Limits::max_local_candidates`].
    #[must_use]
    pub fn max_local_candidates(mut self, max: usize) -> Self {
        self.max_local_candidates = max;
        self
    }
}
