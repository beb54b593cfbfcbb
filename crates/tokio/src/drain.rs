//! Graceful shutdown: one [`Drain`] per server, watched by every accept
//! loop and connection task.
//!
//! A server makes a [`Drain`] and hands clones of it to its accept loops
//! and connections. [`Drain::start_on_signal`] starts draining on SIGTERM
//! or SIGINT (POSIX `signal.h`; Ctrl-C elsewhere); [`Drain::start`] does
//! it by hand. From then on:
//!
//! - accept loops stop ([`Drain::unless_draining`] gives them `None`), and
//!   drop their listeners, so that new connections are refused;
//! - each connection ends the way its protocol offers (a WebSocket close
//!   1001 Going Away, RFC 6455 §7.4.1; the last chunk of a streamed body,
//!   RFC 9112 §7.1; a STOMP 1.2 ERROR frame after the receipts already
//!   due; ...) when [`Drain::draining`] is done;
//! - the server waits, at most a grace period, for every [`Hold`] (taken
//!   by each connection while it lasts, [`Drain::hold`]) to be dropped:
//!   [`Drain::drained`].
//!
//! ```
//! # async fn demo() {
//! use std::time::Duration;
//! use rtw_tokio::drain::Drain;
//!
//! let drain = Drain::new();
//! let connection = {
//!     let drain = drain.clone();
//!     let hold = drain.hold();
//!     tokio::spawn(async move {
//!         drain.draining().await; // ... say goodbye to the peer ...
//!         drop(hold);
//!     })
//! };
//! drain.start();
//! assert_eq!(drain.drained(Duration::from_secs(5)).await, Ok(()));
//! # connection.await.unwrap();
//! # }
//! ```

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

/// The drain of one server: whether it has started, and how many
/// connections still hold it open. Cheap to clone; every clone is the same
/// drain.
#[derive(Debug, Clone)]
pub struct Drain {
    started: CancellationToken,
    /// Cut short: a second signal came while draining.
    forced: CancellationToken,
    /// One receiver per [`Hold`]; the sender sees when none is left.
    holds: Arc<watch::Sender<()>>,
}

/// Held by a connection while it lasts: [`Drain::drained`] waits for every
/// one to be dropped.
#[derive(Debug)]
#[must_use = "a Hold counts only while it is kept"]
pub struct Hold(
    #[allow(dead_code, reason = "counted by the drain while alive")] watch::Receiver<()>,
);

impl Default for Drain {
    fn default() -> Self {
        Drain::new()
    }
}

impl Drain {
    /// A drain not started, holding nothing.
    pub fn new() -> Self {
        let (holds, _) = watch::channel(());
        Drain {
            started: CancellationToken::new(),
            forced: CancellationToken::new(),
            holds: Arc::new(holds),
        }
    }

    /// Start draining (once; later calls do nothing).
    pub fn start(&self) {
        self.started.cancel();
    }

    /// Whether draining has started.
    pub fn is_draining(&self) -> bool {
        self.started.is_cancelled()
    }

    /// Done when draining starts (at once if it has).
    pub fn draining(&self) -> WaitForCancellationFutureOwned {
        self.started.clone().cancelled_owned()
    }

    /// Done when the drain is cut short ([`Drain::force`]; a second
    /// SIGTERM or SIGINT after [`Drain::start_on_signal`]): the server
    /// should stop waiting for its connections.
    pub fn forced(&self) -> WaitForCancellationFutureOwned {
        self.forced.clone().cancelled_owned()
    }

    /// Cut the drain short (starting it too, if it had not started).
    pub fn force(&self) {
        self.start();
        self.forced.cancel();
    }

    /// `work`'s output, or `None` when draining starts first (or had
    /// started): what an accept loop waits on.
    pub async fn unless_draining<F: Future>(&self, work: F) -> Option<F::Output> {
        tokio::select! {
            biased;
            () = self.started.cancelled() => None,
            output = work => Some(output),
        }
    }

    /// A hold on the drain, for one connection while it lasts.
    pub fn hold(&self) -> Hold {
        Hold(self.holds.subscribe())
    }

    /// Holds not yet dropped.
    pub fn held(&self) -> usize {
        self.holds.receiver_count()
    }

    /// Waits until every [`Hold`] is dropped, at most `grace`: `Ok`, or
    /// `Err` with the number still held then. Does not start the drain.
    pub async fn drained(&self, grace: Duration) -> Result<(), usize> {
        match tokio::time::timeout(grace, self.holds.closed()).await {
            Ok(()) => Ok(()),
            Err(_) => Err(self.held()),
        }
    }

    /// Start draining on the first SIGTERM or SIGINT (Ctrl-C where there
    /// are no POSIX signals), and cut it short ([`Drain::force`]) on the
    /// next one, from a task spawned now. The handlers are installed before
    /// this returns, so that a signal sent as soon as a server says it
    /// listens is not lost. The name of each signal is logged (`tracing`,
    /// info).
    ///
    /// # Errors
    ///
    /// When a handler cannot be installed. Must be called inside a tokio
    /// runtime.
    pub fn start_on_signal(&self) -> io::Result<()> {
        let mut signals = Signals::install()?;
        let drain = self.clone();
        tokio::spawn(async move {
            let name = signals.next().await;
            tracing::info!(signal = name, "draining");
            drain.start();
            let name = signals.next().await;
            tracing::info!(signal = name, "drain cut short");
            drain.force();
        });
        Ok(())
    }
}

/// SIGTERM and SIGINT, their handlers installed.
#[cfg(unix)]
struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    fn install() -> io::Result<Signals> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
        })
    }

    /// The next one, by name.
    async fn next(&mut self) -> &'static str {
        tokio::select! {
            _ = self.term.recv() => "SIGTERM",
            _ = self.int.recv() => "SIGINT",
        }
    }
}

/// Ctrl-C, where there are no POSIX signals.
#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn install() -> io::Result<Signals> {
        Ok(Signals)
    }

    /// The next one.
    async fn next(&mut self) -> &'static str {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::Drain;

    #[tokio::test]
    async fn drained_waits_for_every_hold_and_no_longer_than_the_grace() {
        let drain = Drain::new();
        assert!(!drain.is_draining());
        assert_eq!(drain.drained(Duration::from_millis(1)).await, Ok(()));
        let first = drain.hold();
        let second = drain.clone().hold();
        assert_eq!(drain.held(), 2);
        assert_eq!(drain.drained(Duration::from_millis(20)).await, Err(2));
        drop(first);
        let later = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            drop(second);
        });
        assert_eq!(drain.drained(Duration::from_secs(10)).await, Ok(()));
        later.await.unwrap();
    }

    #[tokio::test]
    async fn accept_loops_stop_once_draining() {
        let drain = Drain::new();
        assert_eq!(drain.unless_draining(async { 7 }).await, Some(7));
        let waiting = tokio::spawn({
            let drain = drain.clone();
            async move { drain.unless_draining(std::future::pending::<()>()).await }
        });
        drain.clone().start();
        assert!(drain.is_draining());
        assert_eq!(waiting.await.unwrap(), None);
        // Already started: even ready work is not taken.
        assert_eq!(drain.unless_draining(async { 7 }).await, None);
        drain.draining().await;
        drain.start();
    }

    #[tokio::test]
    async fn force_cuts_the_drain_short_and_starts_it() {
        let drain = Drain::new();
        let forced = drain.forced();
        drain.force();
        assert!(drain.is_draining());
        forced.await;
        drain.draining().await;
    }
}
