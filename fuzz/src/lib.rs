//! Helpers the fuzz targets share, written once: where to cut an input
//! into pieces, so that every target checks split invariance the same way;
//! what a complete head and its prefixes must give a head parser; and the
//! one seeded generator (`rtw_core::SeededRandom`, re-exported
//! here) for masking keys, transaction IDs and anything else a target
//! needs random.
#![forbid(unsafe_code)]

pub use rtw_core::{Random, SeededRandom};

pub mod signal;
pub mod turn;
pub mod ws;

/// The steps a session target's input is cut into: each is a control
/// byte, a clock byte, a length byte and a body of at most that many bytes
/// (shorter at the end of the input), at most `max` of them. The session
/// targets (`turn_server`, `turn_client`, `signal_server`, `ice_agent`)
/// read their inputs so.
pub fn steps(input: &[u8], max: usize) -> impl Iterator<Item = (u8, u8, &[u8])> {
    let mut rest = input;
    std::iter::from_fn(move || {
        let [control, clock, len, tail @ ..] = rest else {
            return None;
        };
        let body = &tail[..usize::from(*len).min(tail.len())];
        rest = &tail[body.len()..];
        Some((*control, *clock, body))
    })
    .take(max)
}

/// Fire `session`'s timer when it is due at `now` (its `poll_timeout` at
/// or before `now`) and check the contract's promise (docs/ARCHITECTURE.md
/// §2.2): after `handle_timeout(now)` the next timer is later than `now`,
/// so a session never makes its driver spin. `true` when it fired (the
/// caller then drains what the timer produced).
pub fn fire_due_timer<S: ?Sized>(
    session: &mut S,
    now: std::time::Instant,
    poll_timeout: impl Fn(&S) -> Option<std::time::Instant>,
    handle_timeout: impl FnOnce(&mut S, std::time::Instant),
) -> bool {
    if poll_timeout(session).is_none_or(|at| at > now) {
        return false;
    }
    handle_timeout(session, now);
    assert!(
        poll_timeout(session).is_none_or(|next| next > now),
        "handle_timeout leaves a timer that is already due"
    );
    true
}

/// A deterministic random source for a target, as the codecs store one
/// (`Box<dyn Random + Send>`): the same `seed` gives the same bytes, so a
/// crash reproduces from its input alone.
pub fn seeded(seed: u64) -> Box<dyn Random + Send> {
    Box::new(SeededRandom::new(seed))
}

/// The ends of the pieces `len` input bytes are fed in, in order; the last
/// is always `len`. `pattern` picks the shape, `param` tunes it:
///
/// - 0: byte by byte, so every state boundary falls between two calls;
/// - 1: a fixed stride of 1 to 256 bytes (`param + 1`);
/// - 2: pseudo-random pieces of 0 to 15 bytes, seeded by `param`
///   ([`SeededRandom`]);
///   an empty piece is a call with no new bytes;
/// - 3: two pieces, cut at `param` (the second empty when `param >= len`).
pub fn cut_points(len: usize, pattern: u8, param: u8) -> Vec<usize> {
    match pattern & 3 {
        0 => (1..=len).collect(),
        1 => {
            let stride = 1 + usize::from(param);
            let mut cuts: Vec<usize> = (stride..len).step_by(stride).collect();
            cuts.push(len);
            cuts
        }
        2 => {
            let mut random = SeededRandom::new(u64::from(param));
            let mut cuts = Vec::new();
            let mut at = 0;
            loop {
                at = (at + random.below(16) as usize).min(len);
                cuts.push(at);
                if at == len {
                    return cuts;
                }
            }
        }
        _ => vec![usize::from(param).min(len), len],
    }
}

/// The proper prefixes of a complete head of `n` bytes worth trying: every
/// one of a short head (up to 300 bytes), a sample of a long one (both
/// ends, the middle and three placed by `param`). Empty for `n == 0`.
pub fn prefix_cuts(n: usize, param: u8) -> Vec<usize> {
    if n <= 300 {
        return (0..n).collect();
    }
    let p = usize::from(param);
    vec![0, 1, n / 2, n - 1, p % n, (p * 61) % n, n - 1 - (p % n)]
}

/// Panics unless `parse` answers `Ok(None)` (wait for more bytes) for each
/// prefix of `wire[..n]` that [`prefix_cuts`] picks: a head parser must
/// not decide before the head is whole.
pub fn assert_prefixes_incomplete<T: std::fmt::Debug, E: std::fmt::Debug>(
    wire: &[u8],
    n: usize,
    param: u8,
    parse: impl Fn(&[u8]) -> Result<Option<T>, E>,
) {
    for k in prefix_cuts(n, param) {
        let result = parse(&wire[..k]);
        assert!(
            matches!(result, Ok(None)),
            "prefix of {k} of a complete head of {n} bytes gave {result:?}"
        );
    }
}

/// Panics unless `wire[..n]`, which `parse` found to be a complete head
/// of `n` bytes, holds as one: `n` is within the input and `max_head`, the
/// head alone parses again to `n` bytes and a value `same` accepts, and
/// its prefixes are incomplete ([`assert_prefixes_incomplete`]). `parse`
/// answers value first, then bytes consumed.
pub fn check_complete_head<T: std::fmt::Debug, E: std::fmt::Debug>(
    wire: &[u8],
    n: usize,
    max_head: usize,
    param: u8,
    parse: impl Fn(&[u8]) -> Result<Option<(T, usize)>, E>,
    same: impl Fn(&T) -> bool,
) {
    assert!(n <= wire.len() && n <= max_head, "head of {n} bytes");
    match parse(&wire[..n]) {
        Ok(Some((alone, m))) => {
            assert_eq!(m, n, "head alone, length");
            assert!(same(&alone), "head alone gave another value: {alone:?}");
        }
        other => panic!("the head alone gave {other:?}"),
    }
    assert_prefixes_incomplete(wire, n, param, parse);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_control_clock_length_and_a_body_cut_short_at_the_end() {
        let input = [1, 2, 2, b'a', b'b', 3, 4, 9, b'c'];
        let all: Vec<_> = steps(&input, 8).collect();
        assert_eq!(all, [(1, 2, &b"ab"[..]), (3, 4, &b"c"[..])]);
        assert_eq!(steps(&input, 1).count(), 1);
        assert_eq!(steps(&[1, 2], 8).count(), 0);
        assert_eq!(steps(&[1, 2, 0, 5, 6, 0], 8).count(), 2);
    }

    #[test]
    fn every_pattern_ends_at_len_and_never_goes_back() {
        for len in [0, 1, 7, 300] {
            for pattern in 0..4 {
                for param in [0, 1, 5, 255] {
                    let cuts = cut_points(len, pattern, param);
                    assert_eq!(cuts.last().copied().unwrap_or(0), len);
                    assert!(cuts.windows(2).all(|w| w[0] <= w[1]), "{cuts:?}");
                }
            }
        }
    }

    #[test]
    fn random_pieces_are_short_and_repeat_for_a_seed() {
        let cuts = cut_points(1000, 2, 9);
        assert!(cuts.windows(2).all(|w| w[1] - w[0] < 16), "{cuts:?}");
        assert!(cuts.windows(2).any(|w| w[1] - w[0] > 1), "{cuts:?}");
        assert_eq!(cuts, cut_points(1000, 2, 9));
        assert_ne!(cuts, cut_points(1000, 2, 10));
    }

    #[test]
    fn prefix_cuts_are_proper_prefixes() {
        assert!(prefix_cuts(0, 9).is_empty());
        assert_eq!(prefix_cuts(3, 9), [0, 1, 2]);
        for param in [0, 7, 255] {
            let cuts = prefix_cuts(5000, param);
            assert_eq!(cuts.len(), 7);
            assert!(cuts.iter().all(|&k| k < 5000), "{cuts:?}");
        }
    }

    #[test]
    fn prefixes_of_a_line_are_incomplete() {
        let parse = |b: &[u8]| -> Result<Option<usize>, ()> {
            Ok(b.iter().position(|&c| c == b'\n').map(|i| i + 1))
        };
        assert_prefixes_incomplete(b"GET /\n", 6, 0, parse);
    }

    #[test]
    #[should_panic(expected = "prefix of 1 of a complete head of 3 bytes")]
    fn a_parser_deciding_early_is_caught() {
        let parse = |b: &[u8]| -> Result<Option<usize>, ()> { Ok((b.len() == 1).then_some(1)) };
        assert_prefixes_incomplete(b"abc", 3, 0, parse);
    }

    #[test]
    fn a_complete_line_is_a_head() {
        let parse = |b: &[u8]| -> Result<Option<(usize, usize)>, ()> {
            Ok(b.iter().position(|&c| c == b'\n').map(|i| (i, i + 1)))
        };
        check_complete_head(b"GET /\nrest", 6, 100, 3, parse, |&len| len == 5);
    }

    #[test]
    #[should_panic(expected = "head of 6 bytes")]
    fn a_head_over_the_limit_is_caught() {
        let parse = |_: &[u8]| -> Result<Option<((), usize)>, ()> { Ok(None) };
        check_complete_head(b"GET /\n", 6, 5, 0, parse, |_| true);
    }

    #[test]
    fn seeded_sources_repeat() {
        let (mut a, mut b) = (seeded(5), seeded(5));
        let (mut x, mut y) = ([0u8; 16], [0u8; 16]);
        a.fill_bytes(&mut x);
        b.fill_bytes(&mut y);
        assert_eq!(x, y);
        assert_ne!(x, [0; 16]);
    }
}
