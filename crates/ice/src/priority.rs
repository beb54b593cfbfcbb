//! Candidate priority (RFC 8445 §5.1.2).

use crate::CandidateKind;

/// The recommended type preference of a candidate type (RFC 8445
/// §5.1.2.2): 126 for host, 110 for peer-reflexive, 100 for
/// server-reflexive and 0 for relayed candidates.
///
/// ```
/// use rtw_ice::{CandidateKind, type_preference};
/// assert_eq!(type_preference(CandidateKind::Host), 126);
/// assert_eq!(type_preference(CandidateKind::Relayed), 0);
/// ```
pub const fn type_preference(kind: CandidateKind) -> u8 {
    match kind {
        CandidateKind::Host => 126,
        CandidateKind::PeerReflexive => 110,
        CandidateKind::ServerReflexive => 100,
        CandidateKind::Relayed => 0,
    }
}

/// The local preference recommended for a host that is not multihomed
/// (RFC 8445 §5.1.2.1): the highest, 65535.
pub const SINGLE_HOMED_LOCAL_PREFERENCE: u16 = 65535;

/// The priority of a candidate (RFC 8445 §5.1.2.1):
///
/// ```text
/// priority = (2^24)*(type preference) + (2^8)*(local preference) + (2^0)*(256 - component ID)
/// ```
///
/// with the recommended type preference of `kind` ([`type_preference`]).
/// A `component` outside 1 to 256 (the range of RFC 8445 §5.1.2.1) is
/// clamped into it, so the result never spills into the local preference
/// bits.
///
/// ```
/// use rtw_ice::{CandidateKind, priority};
/// assert_eq!(priority(CandidateKind::Host, 65535, 1), 2130706431);
/// assert_eq!(priority(CandidateKind::ServerReflexive, 65535, 1), 1694498815);
/// assert_eq!(priority(CandidateKind::Relayed, 65535, 1), 16777215);
/// ```
pub const fn priority(kind: CandidateKind, local_preference: u16, component: u16) -> u32 {
    priority_with(type_preference(kind), local_preference, component)
}

/// The RFC 8445 §5.1.2.1 formula with an explicit type preference, for
/// agents that pick their own (the RFC allows any value from 0 to 126,
/// distinct per type, host highest and relayed lowest in general).
/// Values above 126 are clamped to 126, and `component` to 1..=256, so
/// the result fits the 2^31 - 1 bound the RFC sets.
pub const fn priority_with(type_preference: u8, local_preference: u16, component: u16) -> u32 {
    let tp = if type_preference > 126 {
        126
    } else {
        type_preference
    };
    let component = if component == 0 {
        1
    } else if component > 256 {
        256
    } else {
        component
    };
    ((tp as u32) << 24) + ((local_preference as u32) << 8) + (256 - component as u32)
}

/// The three parts of a priority, read back (the inverse of
/// [`priority_with`] for priorities it produces).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PriorityParts {
    /// The top byte: the type preference.
    pub type_preference: u8,
    /// Bits 8 to 23: the local preference.
    pub local_preference: u16,
    /// 256 minus the low byte: the component the priority was computed
    /// for (1 to 256).
    pub component: u16,
}

impl PriorityParts {
    /// Split a priority into its RFC 8445 §5.1.2.1 parts.
    ///
    /// ```
    /// use rtw_ice::PriorityParts;
    /// let p = PriorityParts::of(2122260223);
    /// assert_eq!((p.type_preference, p.local_preference, p.component), (126, 32542, 1));
    /// ```
    pub const fn of(priority: u32) -> Self {
        PriorityParts {
            type_preference: (priority >> 24) as u8,
            local_preference: ((priority >> 8) & 0xffff) as u16,
            component: 256 - (priority & 0xff) as u16,
        }
    }
}

/// Local preferences for the addresses of a multihomed host (RFC 8445
/// §5.1.2.1): candidates of the same type for one component must each get
/// a distinct local preference, the most preferred address the highest.
/// `rank` 0 is the most preferred address (65535), rank 1 the next
/// (65534), and so on; ranks past 65535 all get 0.
///
/// RFC 8445 §5.1.2.2 points multihomed and dual-stack hosts to RFC 8421
/// for how to rank their addresses (e.g. interleaving IPv6 and IPv4);
/// the ranking is the caller's, this only turns it into distinct values.
pub const fn multihomed_local_preference(rank: usize) -> u16 {
    if rank >= 65535 {
        0
    } else {
        (65535 - rank) as u16
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worked_numbers() {
        // RFC 8445 §5.1.2.1 with local preference 65535, component 1.
        assert_eq!(priority(CandidateKind::Host, 65535, 1), 2_130_706_431);
        assert_eq!(
            priority(CandidateKind::PeerReflexive, 65535, 1),
            1_862_270_975
        );
        assert_eq!(
            priority(CandidateKind::ServerReflexive, 65535, 1),
            1_694_498_815
        );
        assert_eq!(priority(CandidateKind::Relayed, 65535, 1), 16_777_215);
        // Component 2 is one lower.
        assert_eq!(priority(CandidateKind::Host, 65535, 2), 2_130_706_430);
        // Extremes: the RFC's upper bound 2^31 - 1 is never exceeded.
        assert_eq!(priority(CandidateKind::Relayed, 0, 256), 0);
        assert!(priority_with(255, 65535, 0) < 1 << 31);
        assert_eq!(
            priority_with(255, 65535, 0),
            priority(CandidateKind::Host, 65535, 1)
        );
        // Chrome's host candidates in crates/sdp/tests/corpus/chromium-156.
        assert_eq!(priority(CandidateKind::Host, 32542, 1), 2_122_260_223);
        assert_eq!(priority(CandidateKind::Host, 30, 1), 2_113_937_151);
        assert_eq!(priority(CandidateKind::Host, 50, 1), 2_113_942_271);
        assert_eq!(
            priority(CandidateKind::ServerReflexive, 30, 1),
            1_677_729_535
        );
    }

    #[test]
    fn parts_invert_the_formula() {
        for kind in [
            CandidateKind::Host,
            CandidateKind::PeerReflexive,
            CandidateKind::ServerReflexive,
            CandidateKind::Relayed,
        ] {
            for lp in [0, 1, 255, 256, 32542, 65535] {
                for component in [1, 2, 255, 256] {
                    let p = PriorityParts::of(priority(kind, lp, component));
                    assert_eq!(p.type_preference, type_preference(kind));
                    assert_eq!((p.local_preference, p.component), (lp, component));
                }
            }
        }
    }

    #[test]
    fn multihomed_preferences_are_distinct_and_descending() {
        assert_eq!(
            multihomed_local_preference(0),
            SINGLE_HOMED_LOCAL_PREFERENCE
        );
        assert_eq!(multihomed_local_preference(1), 65534);
        assert_eq!(multihomed_local_preference(70_000), 0);
        let p: Vec<u16> = (0..10).map(multihomed_local_preference).collect();
        assert!(p.windows(2).all(|w| w[0] > w[1]));
    }
}
