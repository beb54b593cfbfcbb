//! Randomness the caller controls: masking keys (RFC 6455 §5.3) and the
//! client's `Sec-WebSocket-Key` (RFC 6455 §4.1).
//!
//! rtw-ws never picks a random source itself. RFC 6455 §5.3 asks for masking
//! keys from "a strong source of entropy"; `rtw-tokio` supplies one from the
//! operating system. [`SeededRandom`] is a deterministic generator for tests,
//! simulations and fuzzing.

/// A source of random bytes.
pub trait RandomSource {
    /// Fill `dst` with random bytes.
    fn fill_bytes(&mut self, dst: &mut [u8]);
}

impl<F: FnMut(&mut [u8])> RandomSource for F {
    fn fill_bytes(&mut self, dst: &mut [u8]) {
        self(dst)
    }
}

/// A deterministic generator (xoshiro256**, seeded through SplitMix64).
///
/// Fast and reproducible: the same seed gives the same keys. Not a
/// cryptographic generator: seed it from the operating system's entropy when
/// unpredictability matters, or use a CSPRNG through [`RandomSource`].
#[derive(Debug, Clone)]
pub struct SeededRandom {
    s: [u64; 4],
}

impl SeededRandom {
    /// A generator whose whole output is determined by `seed`.
    pub fn new(seed: u64) -> Self {
        let mut x = seed;
        let mut next = || {
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        SeededRandom {
            s: [next(), next(), next(), next()],
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }
}

impl RandomSource for SeededRandom {
    fn fill_bytes(&mut self, dst: &mut [u8]) {
        for chunk in dst.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_bytes_different_seed_different_bytes() {
        let (mut a, mut b, mut c) = (
            SeededRandom::new(1),
            SeededRandom::new(1),
            SeededRandom::new(2),
        );
        let (mut x, mut y, mut z) = ([0u8; 13], [0u8; 13], [0u8; 13]);
        a.fill_bytes(&mut x);
        b.fill_bytes(&mut y);
        c.fill_bytes(&mut z);
        assert_eq!(x, y);
        assert_ne!(x, z);
        assert_ne!(x, [0u8; 13]);
    }

    #[test]
    fn closures_are_sources() {
        let mut src = |d: &mut [u8]| d.fill(7);
        let mut k = [0u8; 4];
        src.fill_bytes(&mut k);
        assert_eq!(k, [7; 4]);
    }
}
