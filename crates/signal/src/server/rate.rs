//! The per-connection rate limit: a token bucket (`Limits::burst` tokens,
//! refilled at `Limits::messages_per_second`), counted exactly in
//! nano-tokens so that no refill is lost to rounding however often the
//! client sends.

use std::time::Instant;

const NANOS: u128 = 1_000_000_000;

/// One connection's bucket.
#[derive(Debug)]
pub(super) struct TokenBucket {
    /// Tokens left, in billionths of a message.
    nano_tokens: u128,
    last: Instant,
}

impl TokenBucket {
    /// A full bucket.
    pub(super) fn new(now: Instant, burst: u32) -> Self {
        TokenBucket {
            nano_tokens: u128::from(burst) * NANOS,
            last: now,
        }
    }

    /// Takes one message's token at `now`, or `false` when the bucket is
    /// empty.
    pub(super) fn take(&mut self, now: Instant, rate: u32, burst: u32) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_nanos();
        self.last = self.last.max(now);
        let refill = elapsed.saturating_mul(u128::from(rate));
        let capacity = u128::from(burst) * NANOS;
        self.nano_tokens = self.nano_tokens.saturating_add(refill).min(capacity);
        if self.nano_tokens >= NANOS {
            self.nano_tokens -= NANOS;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::TokenBucket;

    #[test]
    fn burst_then_rate() {
        let start = std::time::Instant::now();
        let mut bucket = TokenBucket::new(start, 3);
        assert!((0..3).all(|_| bucket.take(start, 10, 3)));
        assert!(!bucket.take(start, 10, 3));
        // 10 per second: one token every 100 ms, gathered from small steps.
        let mut now = start;
        for _ in 0..99 {
            now += Duration::from_millis(1);
            assert!(!bucket.take(now, 10, 3));
        }
        now += Duration::from_millis(1);
        assert!(bucket.take(now, 10, 3));
        // A long pause refills up to the burst only.
        now += Duration::from_secs(60);
        assert!((0..3).all(|_| bucket.take(now, 10, 3)));
        assert!(!bucket.take(now, 10, 3));
        // Time going backwards refills nothing.
        assert!(!bucket.take(start, 10, 3));
    }
}
