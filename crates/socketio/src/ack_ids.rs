//! The acknowledgement ids one side hands out (Socket.IO v5 protocol,
//! "Acknowledgement"): increasing from 0 per socket, each awaited until
//! its ACK comes once.

use std::collections::BTreeSet;

/// The ids asked for on one socket and still awaited.
#[derive(Debug, Default)]
pub(crate) struct AckIds {
    next: u64,
    awaiting: BTreeSet<u64>,
}

impl AckIds {
    /// A new id, awaited from now on.
    pub(crate) fn take(&mut self) -> u64 {
        let id = self.next;
        self.next = self.next.wrapping_add(1);
        self.awaiting.insert(id);
        id
    }

    /// Whether `id` was awaited (and no longer is): an ACK for an id never
    /// handed out, or answered already, is `false`.
    pub(crate) fn settle(&mut self, id: u64) -> bool {
        self.awaiting.remove(&id)
    }
}

#[cfg(test)]
mod tests {
    use super::AckIds;

    #[test]
    fn ids_increase_and_settle_once() {
        let mut ids = AckIds::default();
        assert_eq!((ids.take(), ids.take()), (0, 1));
        assert!(ids.settle(1));
        assert!(!ids.settle(1), "answered already");
        assert!(!ids.settle(7), "never handed out");
        assert!(ids.settle(0));
    }
}
