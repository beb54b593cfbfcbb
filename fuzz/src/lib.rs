//! Helpers the fuzz targets share: where to cut an input into pieces, so
//! that every target checks split invariance the same way.
#![forbid(unsafe_code)]

/// The ends of the pieces `len` input bytes are fed in, in order; the last
/// is always `len`. `pattern` picks the shape, `param` tunes it:
///
/// - 0: byte by byte, so every state boundary falls between two calls;
/// - 1: a fixed stride of 1 to 256 bytes (`param + 1`);
/// - 2: pseudo-random pieces of 0 to 15 bytes, seeded by `param` (xorshift32);
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
            let mut state = 0x9E37_79B9_u32 ^ u32::from(param);
            let mut cuts = Vec::new();
            let mut at = 0;
            loop {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                at = (at + (state % 16) as usize).min(len);
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
    use super::cut_points;

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
}
