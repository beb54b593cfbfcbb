//! One waker for the transport that wakes both the reading and the writing
//! side of a WebSocket.
//!
//! A transport keeps a single waker per direction: the last one that polled
//! it. Both sides of a WebSocket poll both directions (the reading side
//! writes automatic pongs and close replies, RFC 6455 §5.5.2 and §5.5.1;
//! the writing side reads while it waits for the peer's close frame), so if
//! each registered its own task's waker, one would overwrite the other and
//! that side could sleep forever. Instead every poll of the transport uses
//! the [`WakerSet`]'s waker, which wakes whichever tasks last polled each
//! side; a side that finds nothing to do goes back to sleep.
//!
//! A side registers its task only when it is about to wait (a poll that
//! returns `Pending`), not on every poll. A wake by the transport between
//! its poll and that registration is not lost: the set counts its wakes
//! ([`WakerSet::wakes`]), and a side that sees the count moved past what
//! it read before polling wakes itself.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Wake, Waker};

/// Which side of a WebSocket a task is polling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    /// `Stream::poll_next`.
    Read,
    /// `Sink::poll_*`.
    Write,
}

/// The latest waker of each side.
#[derive(Debug, Default)]
pub(crate) struct WakerSet {
    read: Mutex<Option<Waker>>,
    write: Mutex<Option<Waker>>,
    /// How often the transport's waker was woken.
    wakes: AtomicUsize,
}

impl WakerSet {
    /// A shared set and the waker to poll the transport with.
    pub(crate) fn new() -> (Arc<WakerSet>, Waker) {
        let set = Arc::new(WakerSet::default());
        let waker = Waker::from(set.clone());
        (set, waker)
    }

    fn slot(&self, side: Side) -> &Mutex<Option<Waker>> {
        match side {
            Side::Read => &self.read,
            Side::Write => &self.write,
        }
    }

    /// Remember `waker` as the one of `side` (cloned only if it changed).
    pub(crate) fn register(&self, side: Side, waker: &Waker) {
        let mut slot = self
            .slot(side)
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match &mut *slot {
            Some(w) => w.clone_from(waker),
            None => *slot = Some(waker.clone()),
        }
    }

    /// How often the shared waker was woken so far.
    pub(crate) fn wakes(&self) -> usize {
        self.wakes.load(Ordering::SeqCst)
    }

    /// Wake the task of `side`, if one registered.
    pub(crate) fn notify(&self, side: Side) {
        let slot = self
            .slot(side)
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(w) = &*slot {
            w.wake_by_ref();
        }
    }
}

impl Wake for WakerSet {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // Counted before the slots are read: see the module docs.
        self.wakes.fetch_add(1, Ordering::SeqCst);
        self.notify(Side::Read);
        self.notify(Side::Write);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn the_shared_waker_wakes_both_sides_and_each_side_alone() {
        let (set, waker) = WakerSet::new();
        let (r, w) = (
            Arc::new(Count(AtomicUsize::new(0))),
            Arc::new(Count(AtomicUsize::new(0))),
        );
        set.register(Side::Read, &Waker::from(r.clone()));
        set.register(Side::Write, &Waker::from(w.clone()));
        let before = set.wakes();
        waker.wake_by_ref();
        assert_eq!(set.wakes(), before + 1);
        assert_eq!(
            (r.0.load(Ordering::SeqCst), w.0.load(Ordering::SeqCst)),
            (1, 1)
        );
        set.notify(Side::Write);
        assert_eq!(
            (r.0.load(Ordering::SeqCst), w.0.load(Ordering::SeqCst)),
            (1, 2)
        );
    }
}
