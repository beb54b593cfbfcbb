//! [`PublishGate`]: the publishes in progress, so that a draining
//! service's subscribers end only once every publish it let in has
//! reached the hub, and nothing a publisher was acknowledged misses a
//! subscriber that was connected.

use std::sync::atomic::{AtomicUsize, Ordering, fence};

use tokio::sync::Notify;

use crate::drain::Drain;

/// Publishes let in and not yet done.
#[derive(Debug, Default)]
pub(crate) struct PublishGate {
    in_flight: AtomicUsize,
    idle: Notify,
}

/// A publish let in; dropped once it is done.
#[derive(Debug)]
pub(crate) struct Entered<'a>(&'a PublishGate);

impl PublishGate {
    /// Lets a publish in, unless `drain` has started (then `None`).
    ///
    /// With [`PublishGate::settled`] it is Dekker's handshake: the count
    /// goes up before the drain is looked at, and a subscriber looks at
    /// the count after it saw the drain, each with a sequentially
    /// consistent fence between, so that one of the two sees the other.
    pub(crate) fn enter(&self, drain: &Drain) -> Option<Entered<'_>> {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        if drain.is_draining() {
            self.leave();
            return None;
        }
        Some(Entered(self))
    }

    fn leave(&self) {
        if self.in_flight.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.idle.notify_waiters();
        }
    }

    /// Done once no publish let in is in progress; call it after the
    /// drain was seen to start (no publish is let in after that).
    pub(crate) async fn settled(&self) {
        loop {
            let idle = self.idle.notified();
            tokio::pin!(idle);
            idle.as_mut().enable();
            fence(Ordering::SeqCst);
            if self.in_flight.load(Ordering::SeqCst) == 0 {
                return;
            }
            idle.await;
        }
    }
}

impl Drop for Entered<'_> {
    fn drop(&mut self) {
        self.0.leave();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::PublishGate;
    use crate::drain::Drain;

    #[tokio::test]
    async fn settled_waits_for_the_publishes_let_in_and_none_is_let_in_after() {
        let gate = Arc::new(PublishGate::default());
        let drain = Drain::new();
        gate.settled().await;
        let entered = gate.enter(&drain).expect("let in before the drain");
        drain.start();
        assert!(gate.enter(&drain).is_none());
        let waiting = tokio::spawn({
            let gate = gate.clone();
            async move { gate.settled().await }
        });
        tokio::time::sleep(Duration::from_millis(30)).await;
        assert!(!waiting.is_finished());
        drop(entered);
        tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("settled once the publish is done")
            .unwrap();
    }
}
