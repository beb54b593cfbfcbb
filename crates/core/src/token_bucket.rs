//! A token bucket, the rate limit of relays and signaling servers.

use std::time::Instant;

/// Billionths of a token per token: refills are counted exactly, so none
/// is lost to rounding however often tokens are taken.
const NANOS: u128 = 1_000_000_000;

/// A token bucket: it holds at most `capacity` tokens, refills at `rate`
/// tokens per second, and starts full. Time comes in as an argument, like
/// every timer of the codec crates.
///
/// rtw-turn caps each allocation's relayed bytes with one (a second's
/// worth of bytes); rtw-signal caps each connection's messages (a burst
/// of messages).
///
/// ```
/// use std::time::{Duration, Instant};
/// use rtw_core::TokenBucket;
///
/// let start = Instant::now();
/// let mut bucket = TokenBucket::new(start, 10, 3); // 10 per second, burst of 3
/// assert!((0..3).all(|_| bucket.take(start, 1)));
/// assert!(!bucket.take(start, 1));
/// assert!(bucket.take(start + Duration::from_millis(100), 1));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenBucket {
    rate: u64,
    capacity: u64,
    /// Tokens held, in billionths of a token.
    nano_tokens: u128,
    /// When the bucket was last refilled.
    last: Instant,
}

impl TokenBucket {
    /// A full bucket of `capacity` tokens refilled at `rate` per second.
    pub fn new(now: Instant, rate: u64, capacity: u64) -> Self {
        TokenBucket {
            rate,
            capacity,
            nano_tokens: u128::from(capacity) * NANOS,
            last: now,
        }
    }

    /// Take `amount` tokens at `now`: `true` when the bucket held them,
    /// `false` (and nothing taken) otherwise. Time that goes backwards
    /// refills nothing.
    pub fn take(&mut self, now: Instant, amount: u64) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_nanos();
        self.last = self.last.max(now);
        let refill = elapsed.saturating_mul(u128::from(self.rate));
        let full = u128::from(self.capacity) * NANOS;
        self.nano_tokens = self.nano_tokens.saturating_add(refill).min(full);
        let want = u128::from(amount) * NANOS;
        if self.nano_tokens >= want {
            self.nano_tokens -= want;
            true
        } else {
            false
        }
    }

    /// Tokens added per second.
    pub fn rate(&self) -> u64 {
        self.rate
    }

    /// The most tokens the bucket holds.
    pub fn capacity(&self) -> u64 {
        self.capacity
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::TokenBucket;

    #[test]
    fn burst_then_rate_gathered_from_small_steps() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(start, 10, 3);
        assert!((0..3).all(|_| bucket.take(start, 1)));
        assert!(!bucket.take(start, 1));
        // 10 per second: one token every 100 ms, gathered from 1 ms steps.
        let mut now = start;
        for _ in 0..99 {
            now += Duration::from_millis(1);
            assert!(!bucket.take(now, 1));
        }
        now += Duration::from_millis(1);
        assert!(bucket.take(now, 1));
        // A long pause refills up to the capacity only.
        now += Duration::from_secs(60);
        assert!((0..3).all(|_| bucket.take(now, 1)));
        assert!(!bucket.take(now, 1));
        // Time going backwards refills nothing.
        assert!(!bucket.take(start, 1));
    }

    #[test]
    fn amounts_are_taken_whole_or_not_at_all() {
        let t0 = Instant::now();
        let mut bytes = TokenBucket::new(t0, 1000, 1000);
        assert!(bytes.take(t0, 1000));
        assert!(!bytes.take(t0, 1));
        assert!(!bytes.take(t0 + Duration::from_millis(100), 101));
        assert!(bytes.take(t0 + Duration::from_millis(100), 100));
        assert!(bytes.take(t0 + Duration::from_secs(60), 1000));
        assert!(!bytes.take(t0 + Duration::from_secs(60), 1));
        let mut huge = TokenBucket::new(t0, u64::MAX, u64::MAX);
        assert_eq!((huge.rate(), huge.capacity()), (u64::MAX, u64::MAX));
        assert!(huge.take(t0 + Duration::from_secs(1 << 40), u64::MAX));
    }
}
