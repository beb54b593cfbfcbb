//! [`PublishGate`]: the publishes in progress, so that a draining
//! service's subscribers end only once every publish it let in has
//! reached the hub, and nothing a publisher was acknowledged misses a
//! subscriber that was connected.
//!
//! Every publishing path of `rtw serve` enters it: `POST /topics/{t}`, a
//! topic WebSocket's text, a `/stomp` SEND (or COMMIT) and a Socket.IO
//! `publish`. The entry is held until the hub has the message, through
//! its backend too (`--hub stomp://`: until the node's own consumer saw
//! it), so that a subscriber's last look comes after it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering, fence};

use tokio::sync::Notify;

use crate::drain::Drain;

/// Publishes let in and not yet done.
#[derive(Debug, Default)]
pub(crate) struct PublishGate {
    in_flight: AtomicUsize,
    idle: Notify,
}

/// What a publish refused by a draining server is told: the HTTP 503's
/// text, the Socket.IO `publish` ack's `error`.
pub(crate) const SHUTTING_DOWN: &str = "server shutting down; retry";

/// A publish let in; dropped once it is done.
#[derive(Debug)]
pub(crate) struct Entered(Arc<PublishGate>);

/// Runs `publish` with `entered` held until it is done: the future of a
/// publish through the hub's backend, which may outlive the caller.
pub(crate) async fn holding<F: Future>(entered: Entered, publish: F) -> F::Output {
    let outcome = publish.await;
    drop(entered);
    outcome
}

impl PublishGate {
    /// Lets a publish in, unless `drain` has started (then `None`).
    ///
    /// With [`PublishGate::settled`] it is Dekker's handshake: the count
    /// goes up before the drain is looked at, and a subscriber looks at
    /// the count after it saw the drain, each with a sequentially
    /// consistent fence between, so that one of the two sees the other.
    pub(crate) fn enter(self: &Arc<Self>, drain: &Drain) -> Option<Entered> {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        if drain.is_draining() {
            self.leave();
            return None;
        }
        Some(Entered(self.clone()))
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

impl Drop for Entered {
    fn drop(&mut self) {
        self.0.leave();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::{PublishGate, holding};
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

    #[tokio::test]
    async fn holding_keeps_the_gate_until_the_publish_is_done() {
        // A publish through the hub's backend: done once RabbitMQ
        // confirmed it and the node's consumer saw it, after the drain
        // started.
        let gate = Arc::new(PublishGate::default());
        let drain = Drain::new();
        let (confirm, confirmed) = tokio::sync::oneshot::channel::<u64>();
        let entered = gate.enter(&drain).expect("let in before the drain");
        let publish = tokio::spawn(holding(entered, confirmed));
        drain.start();
        let settled = tokio::spawn({
            let gate = gate.clone();
            async move { gate.settled().await }
        });
        tokio::time::sleep(Duration::from_millis(30)).await;
        assert!(
            !settled.is_finished(),
            "settled before the publish was done"
        );
        confirm.send(7).unwrap();
        assert_eq!(publish.await.unwrap(), Ok(7));
        tokio::time::timeout(Duration::from_secs(5), settled)
            .await
            .expect("settled once the publish is done")
            .unwrap();
    }
}
