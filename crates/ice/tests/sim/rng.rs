//! A seeded pseudo-random source: SplitMix64, written out here so that the
//! simulation needs no dependency and gives the same run for the same seed.

/// SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number
/// generators", OOPSLA 2014): a 64-bit counter stepped by the golden-ratio
/// increment and passed through a bit mixer.
#[derive(Debug, Clone)]
pub(crate) struct Rng {
    state: u64,
}

impl Rng {
    /// A generator whose whole output is fixed by `seed`.
    pub(crate) fn new(seed: u64) -> Self {
        Rng { state: seed }
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`), by multiply-high (Lemire): the bias is
    /// below 2^-32 for the small `n` the simulation uses.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "below(0) has no value");
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// `true` with probability `p` (0.0 never, 1.0 always).
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        // 53 random bits make a uniform float in [0, 1).
        let unit = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        unit < p
    }

    /// Fill `buf` with random bytes.
    pub(crate) fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }

    /// An independent generator seeded from this one, for a component
    /// (an agent, the network) that draws numbers in its own order.
    pub(crate) fn fork(&mut self) -> Rng {
        Rng::new(self.next_u64())
    }
}

#[test]
fn rng_same_seed_same_sequence_and_seeds_differ() {
    let mut a = Rng::new(42);
    let mut b = Rng::new(42);
    let mut c = Rng::new(43);
    let xs: Vec<u64> = (0..16).map(|_| a.next_u64()).collect();
    let ys: Vec<u64> = (0..16).map(|_| b.next_u64()).collect();
    let zs: Vec<u64> = (0..16).map(|_| c.next_u64()).collect();
    assert_eq!(xs, ys);
    assert_ne!(xs, zs);
    // Seed 0 must not be a fixed point.
    let mut zero = Rng::new(0);
    assert_ne!(zero.next_u64(), zero.next_u64());
}

#[test]
fn rng_below_chance_and_fill_are_in_range() {
    let mut rng = Rng::new(7);
    let mut seen = [false; 10];
    for _ in 0..1000 {
        let x = rng.below(10);
        assert!(x < 10);
        seen[x as usize] = true;
    }
    assert!(seen.iter().all(|s| *s), "every value of 0..10 comes up");

    let hits = (0..10_000).filter(|_| rng.chance(0.3)).count();
    assert!(
        (2_700..3_300).contains(&hits),
        "30 % of 10000 is about 3000, got {hits}"
    );
    assert!(!(0..1000).any(|_| rng.chance(0.0)));
    assert!((0..1000).all(|_| rng.chance(1.0)));

    let mut buf = [0u8; 13];
    rng.fill(&mut buf);
    assert!(buf.iter().any(|b| *b != 0));
}
