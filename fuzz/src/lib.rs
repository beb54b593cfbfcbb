//! Helpers the fuzz targets share, written once: where to cut an input
//! into pieces, so that every target checks split invariance the same way,
//! and the one seeded generator (`rtw_core::SeededRandom`, re-exported
//! here) for masking keys, transaction IDs and anything else a target
//! needs random.
#![forbid(unsafe_code)]

pub use rtw_core::{Random, SeededRandom};

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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn seeded_sources_repeat() {
        let (mut a, mut b) = (seeded(5), seeded(5));
        let (mut x, mut y) = ([0u8; 16], [0u8; 16]);
        a.fill_bytes(&mut x);
        b.fill_bytes(&mut y);
        assert_eq!(x, y);
        assert_ne!(x, [0; 16]);
    }
}
