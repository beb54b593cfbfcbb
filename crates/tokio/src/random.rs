//! The one OS-seeded random source of rtw-tokio (`docs/ARCHITECTURE.md`
//! §2.7): STUN transaction IDs (RFC 8489 §5), ICE tie-breakers,
//! credentials and consent jitter (RFC 8445 §5.3, §16.1, RFC 7675 §5.1),
//! and WebSocket masking keys (RFC 6455 §5.3).

use std::io;

use rand::rngs::{StdRng, SysRng};
use rand::{Rng, SeedableRng};

/// A CSPRNG (rand's [`StdRng`], ChaCha12) seeded from the operating
/// system's entropy, implementing [`rtw_core::Random`], which every rtw
/// codec takes its randomness through.
///
/// RFC 8489 §5 wants transaction IDs "cryptographically random", RFC 8445
/// §5.3 credentials with at least 24 and 128 random bits, RFC 6455 §5.3
/// masking keys "derived from a strong source of entropy": none may be
/// predictable from the ones before, which a seeded non-cryptographic
/// generator would allow. Give each session its own.
///
/// ```
/// use rtw_core::Random;
/// use rtw_tokio::OsRandom;
///
/// let mut random = OsRandom::new()?;
/// let id: [u8; 12] = random.array();
/// assert_ne!(id, OsRandom::new()?.array::<12>());
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct OsRandom(StdRng);

impl OsRandom {
    /// A generator seeded from the operating system; fails only if the
    /// operating system cannot provide entropy.
    pub fn new() -> io::Result<Self> {
        StdRng::try_from_rng(&mut SysRng)
            .map(OsRandom)
            .map_err(|e| io::Error::other(format!("no entropy from the operating system: {e}")))
    }
}

impl rtw_core::Random for OsRandom {
    fn fill_bytes(&mut self, dst: &mut [u8]) {
        self.0.fill_bytes(dst);
    }
}

#[cfg(test)]
mod tests {
    use rtw_core::Random;

    use super::*;

    #[test]
    fn two_generators_differ_and_fill_everything() {
        let (mut a, mut b) = (OsRandom::new().unwrap(), OsRandom::new().unwrap());
        let (x, y): ([u8; 32], [u8; 32]) = (a.array(), b.array());
        assert_ne!(x, y);
        assert_ne!(x, [0; 32]);
        // Boxed, as the ICE agent keeps it.
        let mut boxed: Box<dyn Random + Send> = Box::new(a);
        let mut z = [0u8; 32];
        boxed.fill_bytes(&mut z);
        assert_ne!(z, x);
    }
}
