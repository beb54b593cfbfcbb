//! A memory budget that many connections share: the bytes of messages
//! that have begun to arrive but are not complete yet.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A cap on the bytes that incomplete received messages hold across every
/// [`Connection`](crate::Connection) that shares it: fragments waiting for
/// the rest of their message, inflated output of a compressed message, and
/// the part of a frame that has arrived.
///
/// One connection's messages are bounded by
/// [`Limits::max_message_size`](crate::Limits::max_message_size), but a
/// thousand connections that each leave a message unfinished hold a
/// thousand times that. Give every connection of a server a clone of one
/// budget ([`Config::message_memory`](crate::Config::message_memory)):
/// the connection whose input would take the total past the limit is failed
/// with [`Error::MemoryBudgetExceeded`](crate::Error::MemoryBudgetExceeded)
/// (close code 1009); the others go on. A connection gives its share back
/// as each message completes (the application then holds it) and when it
/// is dropped.
///
/// Clones share the count. It is an atomic counter: no lock, no thread,
/// no clock.
///
/// ```
/// use rtw_ws::{Config, MemoryBudget};
///
/// let budget = MemoryBudget::new(256 << 20);
/// let config = Config::default().message_memory(Some(budget.clone()));
/// assert_eq!(budget.used(), 0);
/// # let _ = config;
/// ```
#[derive(Clone)]
pub struct MemoryBudget {
    inner: Arc<Shared>,
}

struct Shared {
    limit: u64,
    used: AtomicU64,
}

impl MemoryBudget {
    /// A budget of `limit` bytes, none of it used.
    pub fn new(limit: u64) -> Self {
        MemoryBudget {
            inner: Arc::new(Shared {
                limit,
                used: AtomicU64::new(0),
            }),
        }
    }

    /// The limit, in bytes.
    pub fn limit(&self) -> u64 {
        self.inner.limit
    }

    /// Bytes held now by all the connections sharing the budget.
    pub fn used(&self) -> u64 {
        self.inner.used.load(Ordering::Relaxed)
    }

    /// Bytes that may still be taken.
    pub fn available(&self) -> u64 {
        self.limit().saturating_sub(self.used())
    }

    /// Take `n` bytes; `false` (and nothing taken) when that would pass
    /// the limit.
    pub(crate) fn try_acquire(&self, n: u64) -> bool {
        let limit = self.inner.limit;
        self.inner
            .used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                used.checked_add(n).filter(|&total| total <= limit)
            })
            .is_ok()
    }

    /// Give back `n` bytes taken earlier.
    pub(crate) fn release(&self, n: u64) {
        self.inner.used.fetch_sub(n, Ordering::Relaxed);
    }
}

impl fmt::Debug for MemoryBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryBudget")
            .field("limit", &self.limit())
            .field("used", &self.used())
            .finish()
    }
}

/// Budgets are equal when they are the same shared count.
impl PartialEq for MemoryBudget {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl Eq for MemoryBudget {}

/// What one connection holds of a shared budget.
#[derive(Debug, Default)]
pub(crate) struct Held {
    budget: Option<MemoryBudget>,
    bytes: u64,
}

impl Held {
    pub(crate) fn new(budget: Option<MemoryBudget>) -> Self {
        Held { budget, bytes: 0 }
    }

    /// Bytes held now.
    pub(crate) fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Room left in the shared budget (unbounded without one).
    #[cfg_attr(not(feature = "deflate"), allow(dead_code))]
    pub(crate) fn room(&self) -> u64 {
        self.budget
            .as_ref()
            .map_or(u64::MAX, MemoryBudget::available)
    }

    /// Hold `total` bytes from now on, taking or giving back the
    /// difference; `false` (holding what it held) when the budget has no
    /// room for the growth.
    #[inline]
    pub(crate) fn set(&mut self, total: u64) -> bool {
        if total == self.bytes {
            // Nothing to take or give back: no atomic operation.
            return true;
        }
        if let Some(budget) = &self.budget {
            if total > self.bytes {
                if !budget.try_acquire(total - self.bytes) {
                    return false;
                }
            } else {
                budget.release(self.bytes - total);
            }
        }
        self.bytes = total;
        true
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.set(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_count_with_a_hard_limit() {
        let budget = MemoryBudget::new(100);
        let mut a = Held::new(Some(budget.clone()));
        let mut b = Held::new(Some(budget.clone()));
        assert!(a.set(60));
        assert!(!b.set(41), "60 + 41 passes 100");
        assert_eq!(b.bytes(), 0);
        assert!(b.set(40));
        assert_eq!(budget.used(), 100);
        assert_eq!(b.room(), 0);
        assert!(a.set(10));
        assert_eq!(budget.used(), 50);
        drop(b);
        assert_eq!(budget.used(), 10);
        drop(a);
        assert_eq!(budget.used(), 0);
    }

    #[test]
    fn without_a_budget_everything_fits() {
        let mut h = Held::new(None);
        assert!(h.set(u64::MAX));
        assert_eq!(h.room(), u64::MAX);
    }
}
