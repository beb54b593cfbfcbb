//! Bounded waits: every wait in a test has an upper bound, and running
//! past it fails the test naming what did not happen.

use std::future::Future;
use std::thread;
use std::time::{Duration, Instant};

/// The default upper bound of one step of a test (a peer's whole run, an
/// accept, a read). Generous: a debug build on a busy 2-core machine.
pub const TIMEOUT: Duration = Duration::from_secs(20);

/// How long [`poll_until`] sleeps between two looks.
const POLL_INTERVAL: Duration = Duration::from_millis(2);

/// Call `check` until it returns `Some`, sleeping a little between calls;
/// returns that value. Panics naming `what` when `timeout` has passed
/// without one.
///
/// `check` is called at least once, also with a zero `timeout`.
pub fn poll_until<T>(what: &str, timeout: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check() {
            return value;
        }
        if Instant::now() >= deadline {
            panic!("timed out after {timeout:?}: {what}");
        }
        thread::sleep(POLL_INTERVAL);
    }
}

/// `fut`'s output, or a panic naming `what` after [`TIMEOUT`]. Needs a
/// tokio runtime with time enabled (`#[tokio::test]`).
pub async fn within<F: Future>(what: &str, fut: F) -> F::Output {
    within_for(TIMEOUT, what, fut).await
}

/// `fut`'s output, or a panic naming `what` after `timeout`.
pub async fn within_for<F: Future>(timeout: Duration, what: &str, fut: F) -> F::Output {
    tokio::time::timeout(timeout, fut)
        .await
        .unwrap_or_else(|_| panic!("timed out after {timeout:?}: {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poll_until_returns_the_first_value() {
        let mut calls = 0;
        let got = poll_until("the third call", TIMEOUT, || {
            calls += 1;
            (calls == 3).then_some(calls * 10)
        });
        assert_eq!((got, calls), (30, 3));
    }

    #[test]
    #[should_panic(expected = "timed out after 10ms: never")]
    fn poll_until_panics_naming_what_did_not_happen() {
        poll_until("never", Duration::from_millis(10), || None::<()>);
    }

    #[test]
    fn poll_until_looks_once_even_with_no_time() {
        assert_eq!(poll_until("now", Duration::ZERO, || Some(1)), 1);
    }

    #[tokio::test]
    async fn within_passes_the_output_through() {
        assert_eq!(within("ready", async { 7 }).await, 7);
    }

    #[tokio::test]
    #[should_panic(expected = "timed out after 10ms: a pending future")]
    async fn within_for_panics_naming_what_did_not_happen() {
        within_for(
            Duration::from_millis(10),
            "a pending future",
            std::future::pending::<()>(),
        )
        .await;
    }
}
