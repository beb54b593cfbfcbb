//! A cryptographically secure random source for masking keys (RFC 6455
//! §5.3) and the client's `Sec-WebSocket-Key` (RFC 6455 §4.1).

use std::io;

use rand::rngs::{StdRng, SysRng};
use rand::{Rng, SeedableRng};
use rtw_ws::Random;

/// A CSPRNG (rand's [`StdRng`], ChaCha12) seeded from the operating
/// system's entropy, as RFC 6455 §5.3 asks for masking keys ("derived from
/// a strong source of entropy"): a key must not be predictable from the
/// keys before it, which a seeded non-cryptographic generator would allow.
///
/// Each connection gets its own, so none shares state with another.
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

impl Random for OsRandom {
    fn fill_bytes(&mut self, dst: &mut [u8]) {
        self.0.fill_bytes(dst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_generators_differ_and_fill_everything() {
        let (mut a, mut b) = (OsRandom::new().unwrap(), OsRandom::new().unwrap());
        let (mut x, mut y) = ([0u8; 32], [0u8; 32]);
        a.fill_bytes(&mut x);
        b.fill_bytes(&mut y);
        assert_ne!(x, y);
        assert_ne!(x, [0; 32]);
    }
}
