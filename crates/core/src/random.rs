//! Randomness the caller controls (`docs/ARCHITECTURE.md` §2.7): WebSocket
//! masking keys and `Sec-WebSocket-Key` (RFC 6455 §5.3, §4.1), STUN
//! transaction IDs (RFC 8489 §6), ICE tie-breakers, credentials and
//! jitter (RFC 8445 §5.3, §16.1).
//!
//! No rtw codec picks a random source itself. RFC 6455 §5.3 asks for
//! masking keys from "a strong source of entropy" and RFC 8489 §6 for
//! transaction IDs "uniformly and randomly chosen"; `rtw-tokio` supplies
//! a source seeded from the operating system. [`SeededRandom`] is a
//! deterministic generator for tests, simulations and fuzzing.

/// A source of random bytes, passed into every codec that needs one.
///
/// Implemented by any `FnMut(&mut [u8])` (so also by a boxed closure) and
/// by [`SeededRandom`]. A codec that keeps its source stores it as
/// `Box<dyn Random + Send>` and calls `fill_bytes` through it.
pub trait Random {
    /// Fill `dst` with random bytes.
    fn fill_bytes(&mut self, dst: &mut [u8]);

    /// `N` random bytes.
    fn array<const N: usize>(&mut self) -> [u8; N]
    where
        Self: Sized,
    {
        let mut out = [0u8; N];
        self.fill_bytes(&mut out);
        out
    }

    /// A random `u64`.
    fn u64(&mut self) -> u64
    where
        Self: Sized,
    {
        u64::from_le_bytes(self.array())
    }
}

impl<F: FnMut(&mut [u8])> Random for F {
    fn fill_bytes(&mut self, dst: &mut [u8]) {
        self(dst)
    }
}

/// A deterministic generator (xoshiro256**, seeded through SplitMix64).
///
/// Fast and reproducible: the same seed gives the same bytes. Not a
/// cryptographic generator: seed it from the operating system's entropy
/// when unpredictability matters, or pass a CSPRNG through [`Random`].
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

    /// A number in `0..bound` (`bound` > 0), nearly uniform for bounds far
    /// below 2^64; for tests and simulations.
    pub fn below(&mut self, bound: u64) -> u64 {
        assert!(bound > 0, "SeededRandom::below(0)");
        ((u128::from(self.next_u64()) * u128::from(bound)) >> 64) as u64
    }
}

impl Random for SeededRandom {
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
        let (x, y, z): ([u8; 13], [u8; 13], [u8; 13]) = (a.array(), b.array(), c.array());
        assert_eq!(x, y);
        assert_ne!(x, z);
        assert_ne!(x, [0u8; 13]);
    }

    #[test]
    fn closures_and_boxes_are_sources() {
        let mut src = |d: &mut [u8]| d.fill(7);
        assert_eq!(src.array::<4>(), [7; 4]);
        let mut boxed: Box<dyn Random + Send> = Box::new(SeededRandom::new(1));
        let mut other = SeededRandom::new(1);
        let mut k = [0u8; 3];
        boxed.fill_bytes(&mut k);
        assert_eq!(k, other.array::<3>());
    }

    #[test]
    fn below_stays_below() {
        let mut r = SeededRandom::new(3);
        assert!((0..1000).all(|_| r.below(7) < 7));
    }
}
