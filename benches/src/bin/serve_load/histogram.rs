//! A latency histogram of fixed size that many subscriber tasks fill at
//! once (atomic counters), written on one line and read back, so that the
//! subscriber processes can hand theirs to the coordinator.
//!
//! Buckets are log-linear: values below 64 µs each have their own; above,
//! every power of two is cut into 32 buckets, so a quantile read from a
//! bucket is within 1/32 (3.1 %) of the true value. The largest value is
//! kept exactly beside them.

use std::sync::atomic::{AtomicU64, Ordering};

/// Sub-buckets per power of two, as a number of bits.
const SUB_BITS: u32 = 5;
/// Values below this have a bucket each.
const LINEAR: u64 = 2 << SUB_BITS;
/// Buckets in all: the linear ones, then 32 per power of two from 2^6 to
/// 2^63.
pub(crate) const BUCKETS: usize =
    LINEAR as usize + (64 - (SUB_BITS as usize + 1)) * (1 << SUB_BITS);

/// The bucket of `value`.
fn bucket(value: u64) -> usize {
    if value < LINEAR {
        return value as usize;
    }
    let exponent = 63 - value.leading_zeros(); // >= SUB_BITS + 1
    let mantissa = value >> (exponent - SUB_BITS); // in [32, 64)
    LINEAR as usize
        + (exponent - SUB_BITS - 1) as usize * (1 << SUB_BITS)
        + (mantissa as usize - (1 << SUB_BITS))
}

/// The smallest value that falls in bucket `index`.
fn lower_bound(index: usize) -> u64 {
    if index < LINEAR as usize {
        return index as u64;
    }
    let rest = index - LINEAR as usize;
    let exponent = (rest >> SUB_BITS) as u32 + SUB_BITS + 1;
    let mantissa = (rest & ((1 << SUB_BITS) - 1)) as u64 + (1 << SUB_BITS);
    mantissa << (exponent - SUB_BITS)
}

/// Counts of values (microseconds) by bucket, and the largest.
#[derive(Debug)]
pub(crate) struct Histogram {
    counts: Vec<AtomicU64>,
    max: AtomicU64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
            max: AtomicU64::new(0),
        }
    }
}

impl Histogram {
    /// Counts `value`.
    pub(crate) fn record(&self, value: u64) {
        self.counts[bucket(value)].fetch_add(1, Ordering::Relaxed);
        self.max.fetch_max(value, Ordering::Relaxed);
    }

    /// Values counted.
    pub(crate) fn count(&self) -> u64 {
        self.counts.iter().map(|c| c.load(Ordering::Relaxed)).sum()
    }

    /// The largest value counted (0 if none).
    pub(crate) fn max(&self) -> u64 {
        self.max.load(Ordering::Relaxed)
    }

    /// Adds `other`'s counts to these.
    pub(crate) fn merge(&self, other: &Histogram) {
        for (mine, theirs) in self.counts.iter().zip(&other.counts) {
            mine.fetch_add(theirs.load(Ordering::Relaxed), Ordering::Relaxed);
        }
        self.max.fetch_max(other.max(), Ordering::Relaxed);
    }

    /// The `q` quantile (0 to 1): the lower bound of the bucket that holds
    /// it, or the exact largest value for `q = 1`; `None` when empty.
    pub(crate) fn quantile(&self, q: f64) -> Option<u64> {
        let total = self.count();
        if total == 0 {
            return None;
        }
        if q >= 1.0 {
            return Some(self.max());
        }
        // The rank of the value, 1-based, as `ceil(q * total)`.
        let rank = ((q * total as f64).ceil() as u64).clamp(1, total);
        let mut seen = 0;
        for (index, count) in self.counts.iter().enumerate() {
            seen += count.load(Ordering::Relaxed);
            if seen >= rank {
                return Some(lower_bound(index).min(self.max()));
            }
        }
        Some(self.max())
    }

    /// One line: `MAX INDEX:COUNT ...` for the buckets that are not empty.
    pub(crate) fn to_line(&self) -> String {
        let mut line = self.max().to_string();
        for (index, count) in self.counts.iter().enumerate() {
            let count = count.load(Ordering::Relaxed);
            if count > 0 {
                line.push_str(&format!(" {index}:{count}"));
            }
        }
        line
    }

    /// Reads what [`Histogram::to_line`] wrote.
    pub(crate) fn from_line(line: &str) -> Result<Histogram, String> {
        let histogram = Histogram::default();
        let mut words = line.split_whitespace();
        let max = words.next().ok_or("an empty histogram line")?;
        histogram.max.store(
            max.parse().map_err(|_| format!("bad maximum {max:?}"))?,
            Ordering::Relaxed,
        );
        for word in words {
            let parsed = word
                .split_once(':')
                .and_then(|(i, c)| Some((i.parse::<usize>().ok()?, c.parse::<u64>().ok()?)));
            let Some((index, count)) = parsed.filter(|(i, _)| *i < BUCKETS) else {
                return Err(format!("bad bucket {word:?}"));
            };
            histogram.counts[index].fetch_add(count, Ordering::Relaxed);
        }
        Ok(histogram)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_ordered_and_within_a_32nd() {
        let mut previous = 0;
        for value in (0..5000).chain([1 << 20, (1 << 20) + 12345, u64::MAX / 3, u64::MAX]) {
            let index = bucket(value);
            assert!(index < BUCKETS, "{value}");
            assert!(index >= previous, "{value}");
            previous = index;
            let low = lower_bound(index);
            assert!(low <= value, "{value}: {low}");
            assert!(
                (value - low) as f64 <= value as f64 / 32.0,
                "{value}: {low}"
            );
            assert_eq!(bucket(low), index, "{value}");
        }
        assert_eq!(bucket(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn quantiles_survive_the_line() {
        let h = Histogram::default();
        for v in 1..=1000 {
            h.record(v);
        }
        let back = Histogram::from_line(&h.to_line()).unwrap();
        assert_eq!(back.count(), 1000);
        assert_eq!(back.quantile(1.0), Some(1000));
        let p50 = back.quantile(0.5).unwrap();
        assert!((485..=500).contains(&p50), "{p50}");
        let p99 = back.quantile(0.99).unwrap();
        assert!((960..=990).contains(&p99), "{p99}");
        let merged = Histogram::default();
        merged.merge(&back);
        merged.merge(&h);
        assert_eq!(merged.count(), 2000);
        assert!(Histogram::from_line("7 99999:1").is_err());
        assert_eq!(Histogram::default().quantile(0.5), None);
    }
}
