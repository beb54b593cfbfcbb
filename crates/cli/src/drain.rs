//! `--drain-timeout`: how every `rtw` server ends on SIGTERM or SIGINT,
//! over [`rtw_tokio::drain::Drain`].
//!
//! On the signal a server stops accepting (its listeners are closed, so
//! new connections are refused), ends each connection the way its
//! protocol offers (WebSocket close 1001 Going Away, RFC 6455 §7.4.1; the
//! last chunk of a streamed body, RFC 9112 §7.1; a STOMP 1.2 ERROR after
//! the receipts already due; ...), waits for them to close, at most the
//! drain timeout, and exits 0.

use std::time::Duration;

use rtw_tokio::drain::Drain;

use crate::checks::Failure;
use crate::serve_limits::seconds;

/// `--drain-timeout SECS`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct DrainArgs {
    /// On SIGTERM or SIGINT: stop accepting, end each connection as its
    /// protocol offers (WebSocket close 1001, streams ended, long polls
    /// answered, STOMP ERROR after the receipts due), wait this many
    /// seconds at most for them to close (a second signal ends the wait),
    /// then exit 0. Fractions allowed.
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = seconds)]
    pub(crate) drain_timeout: Duration,
}

impl DrainArgs {
    /// A drain started by the first SIGTERM or SIGINT. Call inside the
    /// runtime, before saying the server listens.
    pub(crate) fn on_signal(&self) -> Result<Drain, Failure> {
        let drain = Drain::new();
        drain
            .start_on_signal()
            .map_err(|e| format!("installing the SIGTERM and SIGINT handlers: {e}"))?;
        Ok(drain)
    }

    /// Once `name`'s accept loops have stopped: waits for its connections
    /// to close, at most `--drain-timeout`; says on stderr how many were
    /// still open then (they are dropped with the runtime).
    pub(crate) async fn finish(&self, drain: &Drain, name: &str) {
        let ended = tokio::select! {
            ended = drain.drained(self.drain_timeout) => ended,
            // A second signal: no more waiting.
            () = drain.forced() => Err(drain.held()),
        };
        match ended {
            Ok(()) => tracing::info!("drained"),
            Err(left) => {
                tracing::warn!(left, "drain timeout");
                eprintln!(
                    "{name}: {left} connection(s) still open at the end of the drain \
                     (--drain-timeout {:?}, or a second signal); closing them",
                    self.drain_timeout
                );
            }
        }
    }
}
