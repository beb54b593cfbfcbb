//! `rtw stomp check URL`: STOMP 1.2 scenarios run with rtw's client
//! against any broker, one line per check (`ok    NAME: ...` or
//! `FAIL  NAME: WHY`), exit 1 if one failed.
//!
//! Each scenario opens its own connections and uses destinations of its
//! own (`/queue/rtw-check-TAG-NAME`, `/topic/...`), named after this run,
//! so that a broker that keeps queues across runs (RabbitMQ) starts each
//! one empty. The scenarios:
//!
//! | check | what the broker must do (STOMP 1.2 section) |
//! |---|---|
//! | `connect` | CONNECTED naming version 1.2 ("Protocol Negotiation") |
//! | `receipt` | a RECEIPT whose `receipt-id` is the SEND's `receipt` ("Header receipt") |
//! | `topic` | every subscriber of a topic gets every message, in order ("SUBSCRIBE", "MESSAGE") |
//! | `ack auto` | a queue's messages once, then nothing left ("SUBSCRIBE ack Header") |
//! | `ack client` | an ACK covers the earlier messages too; the rest come again to the next consumer ("ACK") |
//! | `ack client-individual` | an ACK covers that message only; the unacknowledged one comes again |
//! | `nack` | a NACKed message is delivered again ("NACK") |
//! | `commit` | SENDs in a transaction are held until COMMIT ("BEGIN", "COMMIT") |
//! | `abort` | SENDs of an aborted transaction are never delivered ("ABORT") |
//! | `heart-beat` | the negotiated heart-beats flow both ways: an idle session outlives several intervals ("Heart-beating") |
//! | `error` | a SEND without `destination` gets an ERROR, then the connection closes ("ERROR") |
//! | `disconnect` | DISCONNECT gets its RECEIPT ("DISCONNECT") |

mod scenarios;
mod session;

use std::time::Duration;

use session::Checker;

use super::client::Login;

use crate::checks::{Failure, run_checks};

/// `rtw stomp check` arguments.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct CheckArgs {
    /// `tcp://HOST:PORT`, `stomps://HOST:PORT` (TLS), `ws://HOST:PORT/PATH`
    /// or `wss://HOST:PORT/PATH`.
    url: String,
    #[command(flatten)]
    login: Login,
    /// The heart-beat interval asked for both ways in check `heart-beat`,
    /// in milliseconds; the broker may raise it (up to 10 s is checked).
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    heart_beat: u64,
    /// How long to wait for each thing expected, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    wait: u64,
    /// How long to wait for what must not come (a message already
    /// acknowledged, one of an open transaction), in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    quiet: u64,
    /// Run only the checks named (repeat the flag); all by default.
    #[arg(long = "only", value_name = "CHECK")]
    only: Vec<String>,
}

/// Run every scenario (or those of `--only`), print one line per check.
pub(super) async fn run(args: CheckArgs) -> Result<(), Failure> {
    let checker = Checker::new(&args)?;
    let names: Vec<&str> = scenarios::NAMES.to_vec();
    if let Some(unknown) = args.only.iter().find(|n| !names.contains(&n.as_str())) {
        return Err(format!("--only {unknown:?}: the checks are {}", names.join(", ")).into());
    }
    let selected = names
        .into_iter()
        .filter(|name| args.only.is_empty() || args.only.iter().any(|n| n == name));
    // A scenario waits at most `wait` per step; this bounds a broker that
    // keeps a scenario going by trickling.
    let bound = Duration::from_millis(args.wait) * 6 + Duration::from_secs(40);
    run_checks("stomp check", &args.url, selected, bound, |name| {
        scenarios::run(&checker, name)
    })
    .await
}
