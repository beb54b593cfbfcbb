//! A per-connection budget of inflated bytes per second: what holds a peer
//! that sends highly compressible data (RFC 7692 §8.1 leaves "the
//! resource consumption of decompression" to the implementation).

use std::time::{Duration, Instant};

/// A token bucket of inflated bytes per second, kept as the time at which
/// the bytes charged so far are paid off (the "theoretical arrival time"
/// of the generic cell rate algorithm): no thread, no clock of its own,
/// time comes in as an argument.
///
/// A connection may inflate up to one [`InflateRate::burst`] worth of
/// bytes at once (`rate` bytes with the default burst of one second);
/// after that, [`InflateRate::resume_at`] says how long its driver must
/// stop reading so that the average stays at `rate` bytes per second.
/// Bytes are charged after they were inflated
/// ([`Connection::inflated_bytes`](crate::Connection::inflated_bytes)
/// counts them), so a single message may overdraw the bucket by up to
/// [`Limits::max_inflated_message_size`](crate::Limits::max_inflated_message_size):
/// the pause that follows repays it.
///
/// permessage-deflate (RFC 7692) lets 1 MB of input inflate to about
/// 1 GB, which costs a core a second: a peer sending 1 MB/s of compressed
/// zeros keeps a core busy and slows every other connection. With this
/// budget it costs the inflated bytes of `rate`, whatever the ratio.
///
/// ```
/// use std::time::{Duration, Instant};
///
/// use rtw_ws::InflateRate;
///
/// let t0 = Instant::now();
/// let mut rate = InflateRate::new(1_000_000); // 1 MB/s, a burst of 1 s
/// rate.charge(t0, 1_000_000);
/// assert_eq!(rate.resume_at(t0), None, "the burst is spent, not overdrawn");
/// rate.charge(t0, 500_000);
/// assert_eq!(rate.resume_at(t0), Some(t0 + Duration::from_millis(500)));
/// assert_eq!(rate.resume_at(t0 + Duration::from_millis(500)), None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InflateRate {
    /// Bytes per second (at least 1).
    rate: u64,
    burst: Duration,
    /// When everything charged so far is paid off; `None` before the
    /// first charge.
    paid_at: Option<Instant>,
}

impl InflateRate {
    /// A budget of `bytes_per_second` inflated bytes (0 counts as 1), with
    /// a burst of one second.
    pub fn new(bytes_per_second: u64) -> Self {
        InflateRate {
            rate: bytes_per_second.max(1),
            burst: Duration::from_secs(1),
            paid_at: None,
        }
    }

    /// The same budget with a burst of `burst` (how far ahead of the rate
    /// a connection may inflate before it is paused).
    #[must_use]
    pub fn with_burst(mut self, burst: Duration) -> Self {
        self.burst = burst;
        self
    }

    /// Bytes per second.
    pub fn rate(&self) -> u64 {
        self.rate
    }

    /// How far ahead of the rate a connection may inflate.
    pub fn burst(&self) -> Duration {
        self.burst
    }

    /// How long `bytes` take to pay off at the rate.
    fn cost(&self, bytes: u64) -> Duration {
        let nanos = u128::from(bytes) * 1_000_000_000 / u128::from(self.rate);
        Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }

    /// `bytes` were inflated at `now`.
    pub fn charge(&mut self, now: Instant, bytes: u64) {
        if bytes == 0 {
            return;
        }
        let from = self.paid_at.map_or(now, |t| t.max(now));
        self.paid_at = Some(from.checked_add(self.cost(bytes)).unwrap_or(from));
    }

    /// When input may be read again, if it must wait at `now`: the
    /// inflated bytes charged are more than one burst ahead of the rate.
    /// `None`: read on.
    pub fn resume_at(&self, now: Instant) -> Option<Instant> {
        let at = self.paid_at?.checked_sub(self.burst)?;
        (at > now).then_some(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn a_burst_goes_at_once_and_the_rest_waits_its_time() {
        let t0 = Instant::now();
        let mut r = InflateRate::new(1000);
        assert_eq!(r.resume_at(t0), None);
        r.charge(t0, 1000);
        assert_eq!(r.resume_at(t0), None, "one second's worth is the burst");
        r.charge(t0, 1);
        assert_eq!(r.resume_at(t0), Some(t0 + MS));
        r.charge(t0, 16_000);
        assert_eq!(r.resume_at(t0), Some(t0 + 16_001 * MS));
        assert_eq!(r.resume_at(t0 + 16_001 * MS), None);
    }

    #[test]
    fn idle_time_refills_the_bucket_but_not_beyond_one_burst() {
        let t0 = Instant::now();
        let mut r = InflateRate::new(1000);
        r.charge(t0, 1000);
        // An hour idle: still one burst, not an hour's worth.
        let later = t0 + Duration::from_secs(3600);
        r.charge(later, 1500);
        assert_eq!(r.resume_at(later), Some(later + 500 * MS));
    }

    #[test]
    fn the_average_over_time_stays_at_the_rate() {
        // A peer that inflates as fast as it is let: 100 KB per step,
        // waiting only when told to. Over 10 s it gets 10 s worth plus
        // one burst and one step.
        let t0 = Instant::now();
        let rate = 1_000_000;
        let mut r = InflateRate::new(rate);
        let (mut now, mut total) = (t0, 0u64);
        while now < t0 + Duration::from_secs(10) {
            if let Some(at) = r.resume_at(now) {
                now = at;
                continue;
            }
            r.charge(now, 100_000);
            total += 100_000;
        }
        assert!(total <= 11 * rate + 100_000, "{total}");
        assert!(total >= 10 * rate, "{total}");
    }

    #[test]
    fn time_going_backwards_changes_nothing_and_zero_is_one() {
        let t0 = Instant::now() + Duration::from_secs(10);
        let mut r = InflateRate::new(0).with_burst(Duration::ZERO);
        assert_eq!((r.rate(), r.burst()), (1, Duration::ZERO));
        r.charge(t0, 2);
        r.charge(t0 - Duration::from_secs(5), 0);
        assert_eq!(r.resume_at(t0), Some(t0 + Duration::from_secs(2)));
        r.charge(t0 - Duration::from_secs(5), 1);
        assert_eq!(r.resume_at(t0), Some(t0 + Duration::from_secs(3)));
        let mut huge = InflateRate::new(1);
        huge.charge(t0, u64::MAX);
        assert!(huge.resume_at(t0).is_some(), "saturates, does not wrap");
    }
}
