//! Candidate pairs (RFC 8445 §6.1.2): their priority and states.

use std::net::SocketAddr;

use rtw_stun::TransactionId;

/// The state of a candidate pair (RFC 8445 §6.1.2.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PairState {
    /// Waiting for a check of another pair with the same foundation.
    Frozen,
    /// Ready to be checked.
    Waiting,
    /// A check was sent and has no answer yet.
    InProgress,
    /// A check got a valid success response.
    Succeeded,
    /// The check failed or timed out.
    Failed,
}

/// The priority of a pair (RFC 8445 §6.1.2.3): with `g` the priority of
/// the controlling agent's candidate and `d` the controlled agent's,
/// `2^32 * MIN(G, D) + 2 * MAX(G, D) + (G > D ? 1 : 0)`.
///
/// ```
/// // A host pair (2130706431 both sides) outranks a host/srflx pair.
/// let host = rtw_ice::pair_priority(2130706431, 2130706431);
/// let mixed = rtw_ice::pair_priority(2130706431, 1694498815);
/// assert_eq!(host, 9151314442783293438);
/// assert!(host > mixed);
/// ```
///
/// Candidate priorities made by the formula of RFC 8445 §5.1.2.1 stay below
/// 2^31, where the result fits 64 bits; for the largest values a peer can
/// send (up to 2^32 - 1) the sum saturates at `u64::MAX`.
pub fn pair_priority(g: u32, d: u32) -> u64 {
    let (g, d) = (u64::from(g), u64::from(d));
    (g.min(d) << 32)
        .saturating_add(2 * g.max(d))
        .saturating_add(u64::from(g > d))
}

/// A local candidate's base paired with a remote candidate's address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pair {
    /// Index of the local candidate in the agent's list.
    pub(crate) local: usize,
    /// Index of the remote candidate in the agent's list.
    pub(crate) remote: usize,
    /// The local base: where checks are sent from.
    pub(crate) source: SocketAddr,
    /// The remote candidate's address.
    pub(crate) destination: SocketAddr,
    /// `local foundation ":" remote foundation` (RFC 8445 §6.1.2.6).
    pub(crate) foundation: String,
    /// RFC 8445 §6.1.2.3, for the current roles.
    pub(crate) priority: u64,
    /// RFC 8445 §6.1.2.6.
    pub(crate) state: PairState,
    /// The check in flight, if any.
    pub(crate) transaction: Option<TransactionId>,
    /// Whether the check in flight carries USE-CANDIDATE.
    pub(crate) nominating: bool,
    /// A check of this pair succeeded: it is in the valid list (RFC 8445
    /// §7.2.5.3.2).
    pub(crate) valid: bool,
    /// The pair is nominated (RFC 8445 §7.2.5.3.4, §7.3.1.5).
    pub(crate) nominated: bool,
    /// The controlled agent received USE-CANDIDATE for this pair before
    /// its own check succeeded (RFC 8445 §7.3.1.5).
    pub(crate) nominate_on_success: bool,
    /// The role the check in flight was sent with (RFC 8445 §7.2.5.1).
    pub(crate) check_role: crate::Role,
    /// A triggered check of this pair must carry USE-CANDIDATE again: the
    /// nomination in flight was cancelled by a triggered check.
    pub(crate) renominate: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pair_priority_worked_numbers() {
        // RFC 8445 §6.1.2.3 with G > D: the tie bit is set.
        assert_eq!(pair_priority(2, 1), (1 << 32) + 4 + 1);
        assert_eq!(pair_priority(1, 2), (1 << 32) + 4);
        assert_eq!(pair_priority(u32::MAX, u32::MAX), u64::MAX);
        let top = 126 << 24 | 65535 << 8 | 255;
        assert_eq!(
            pair_priority(top, top),
            (u64::from(top) << 32) + 2 * u64::from(top)
        );
        // Symmetric in the MIN/MAX terms: only the tie bit tells the roles.
        assert_eq!(pair_priority(7, 9) + 1, pair_priority(9, 7));
    }
}
