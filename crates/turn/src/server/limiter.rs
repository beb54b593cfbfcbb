//! The rate limit of requests that are not yet known good: a token bucket
//! per source address, taken before any HMAC is computed.
//!
//! RFC 8656 §21 (security considerations) counts denial of service among
//! the attacks a TURN server faces, and every request with long-term
//! credentials (RFC 8489 §9.2) costs the server an HMAC; over UDP
//! the requests of every client queue in one socket, so a flood of
//! requests with bad MESSAGE-INTEGRITY that the server answers one by one
//! (an HMAC to check, a 401 with a fresh nonce to sign and send) delays
//! everybody else's datagrams behind it. The server therefore charges one
//! token for each UDP request from a 5-tuple that holds no allocation,
//! before it looks at the credentials; a source address with no token left
//! is dropped without an answer, which costs a hash-map lookup instead.
//! Requests from a 5-tuple that holds an allocation (Refresh,
//! CreatePermission, ChannelBind) and ChannelData are not charged.
//!
//! The table of sources is bounded: two generations of at most `capacity
//! / 2` entries each. A source is looked up in the current generation,
//! then in the previous one (and moved to the current); when the current
//! one is full it becomes the previous one and the old previous one is
//! forgotten. A source that keeps sending thus keeps its bucket; one that
//! was forgotten had been idle for a whole generation and starts again
//! with a full bucket, as it would have after a second of silence. The
//! limit is per address, not per port, since a sender picks its ports
//! freely. Spoofed sources each get a bucket of their own: against those
//! only the socket's buffer and the kernel's drops bound the work.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Instant;

use rtw_core::TokenBucket;

/// Token buckets per source address, in a table of bounded size.
#[derive(Debug)]
pub(super) struct SourceLimiter {
    /// Tokens per second (and the burst) of each address; 0 limits nothing.
    rate: u64,
    /// Entries per generation.
    generation: usize,
    current: HashMap<IpAddr, TokenBucket>,
    previous: HashMap<IpAddr, TokenBucket>,
}

impl SourceLimiter {
    /// `rate` requests per second per address (a second's worth as the
    /// burst), at most `capacity` addresses remembered; a `rate` of 0
    /// limits nothing.
    pub(super) fn new(rate: u64, capacity: usize) -> Self {
        SourceLimiter {
            rate,
            generation: (capacity / 2).max(1),
            current: HashMap::new(),
            previous: HashMap::new(),
        }
    }

    /// Takes a token for one request from `source` at `now`: `false` when
    /// the address has none left and the request is to be dropped.
    pub(super) fn allow(&mut self, now: Instant, source: IpAddr) -> bool {
        if self.rate == 0 {
            return true;
        }
        if let Some(bucket) = self.current.get_mut(&source) {
            return bucket.take(now, 1);
        }
        let mut bucket = self
            .previous
            .remove(&source)
            .unwrap_or_else(|| TokenBucket::new(now, self.rate, self.rate));
        let allowed = bucket.take(now, 1);
        if self.current.len() >= self.generation {
            self.previous = std::mem::take(&mut self.current);
        }
        self.current.insert(source, bucket);
        allowed
    }

    /// Addresses remembered now (at most the capacity).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.current.len() + self.previous.len()
    }
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};
    use std::time::{Duration, Instant};

    use super::SourceLimiter;

    fn ip(n: u32) -> IpAddr {
        IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + n))
    }

    #[test]
    fn a_source_gets_its_rate_and_refills() {
        let t0 = Instant::now();
        let mut limiter = SourceLimiter::new(10, 100);
        assert!((0..10).all(|_| limiter.allow(t0, ip(1))));
        assert!(!limiter.allow(t0, ip(1)));
        // Another address has its own bucket.
        assert!(limiter.allow(t0, ip(2)));
        // A tenth of a second later, one more token.
        let later = t0 + Duration::from_millis(100);
        assert!(limiter.allow(later, ip(1)));
        assert!(!limiter.allow(later, ip(1)));
    }

    #[test]
    fn rate_zero_limits_nothing_and_remembers_nothing() {
        let t0 = Instant::now();
        let mut limiter = SourceLimiter::new(0, 100);
        assert!((0..10_000).all(|_| limiter.allow(t0, ip(1))));
        assert_eq!(limiter.len(), 0);
    }

    #[test]
    fn the_table_stays_bounded_under_many_sources() {
        let t0 = Instant::now();
        let mut limiter = SourceLimiter::new(5, 1_000);
        for n in 0..100_000 {
            assert!(limiter.allow(t0, ip(n)), "a new source has a full bucket");
            assert!(limiter.len() <= 1_000);
        }
    }

    #[test]
    fn an_active_source_keeps_its_bucket_while_others_churn() {
        let t0 = Instant::now();
        let mut limiter = SourceLimiter::new(3, 10);
        assert!((0..3).all(|_| limiter.allow(t0, ip(0))));
        // Many other sources pass through the table, ip(0) keeps sending
        // (and being refused): it is never forgotten.
        for n in 1..1_000 {
            assert!(limiter.allow(t0, ip(n)));
            assert!(!limiter.allow(t0, ip(0)), "after {n} other sources");
        }
    }
}
