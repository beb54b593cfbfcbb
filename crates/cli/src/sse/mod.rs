//! `rtw sse`: Server-Sent Events (HTML Living Standard, "Server-sent
//! events") with [`rtw_sse`] and [`rtw_tokio::sse`].
//!
//! - `rtw sse parse [--comments]`: an event stream on stdin, one JSON
//!   object per line on stdout for each dispatched event and each change of
//!   the reconnection time ([`parse`]).
//! - `rtw sse client URL`: an EventSource following an `http://` URL,
//!   reconnecting with `Last-Event-ID`; events as JSON lines like `parse`
//!   ([`client`]).
//! - `rtw sse serve ADDR [--interval-ms N] [--count N]`: an HTTP/1.1 server
//!   of a demo event stream that resumes after the client's
//!   `Last-Event-ID` ([`serve`]). Prints `listening on IP:PORT` as its
//!   first line, so port 0 works. Connections are capped in total and per
//!   client address, and request heads and bodies must arrive in time
//!   ([`ServerLimits`], `--body-timeout`).

mod client;
mod parse;
mod serve;

use std::io;
use std::process::ExitCode;
use std::time::Duration;

use clap::Subcommand;

use crate::serve_limits::{self, ServerLimits};

use crate::checks::Failure;

/// `rtw sse`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Parse an event stream from stdin as an EventSource would. Each
    /// dispatched event is printed as {"type":..,"data":..,"last_event_id":..},
    /// and {"retry":N} whenever a retry field changes the reconnection
    /// time; one JSON object a line, as the input arrives. An event not
    /// ended by a blank line before the end of input is discarded, as the
    /// standard says. Exits with 1 when a line or event passes the limits.
    Parse {
        /// Also print comment lines (keep-alives) as {"comment":..}.
        #[arg(long)]
        comments: bool,
    },
    /// Follow an event stream at URL (http:// only) as a browser's
    /// EventSource does: reconnect when it ends, with Last-Event-ID, after
    /// the reconnection time. Events and reconnection-time changes go to
    /// stdout as `parse` prints them; open, disconnects and the end to
    /// stderr. Ends with 0 when the server answers 204 No Content or
    /// --count events came, with 1 when the EventSource fails (a status
    /// other than 200, a Content-Type other than text/event-stream, or
    /// --max-retries failed attempts in a row).
    Client {
        /// The event stream, e.g. http://127.0.0.1:8080/events.
        url: String,
        /// Milliseconds to wait before reconnecting, until the stream's
        /// `retry` field says otherwise.
        #[arg(long, value_name = "MS", default_value_t = 3000)]
        reconnect_ms: u64,
        /// Give up after N reconnection attempts in a row that fail.
        #[arg(long, value_name = "N")]
        max_retries: Option<u32>,
        /// Exit after N events.
        #[arg(long, value_name = "N")]
        count: Option<u64>,
    },
    /// Serve a demo event stream over HTTP/1.1 on ADDR, at any path: one
    /// event every interval, with ids counting up from 1, or from one past
    /// the request's Last-Event-ID, so a reconnecting client resumes.
    /// Prints `listening on IP:PORT` first. Runs until killed.
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:8080 (port 0 picks one).
        addr: String,
        /// Milliseconds between events.
        #[arg(long, value_name = "N", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
        interval_ms: u64,
        /// End each response after event N; a client that already has
        /// event N gets 204 No Content, which stops an EventSource.
        #[arg(long, value_name = "N")]
        count: Option<u64>,
        /// Seconds a client has to send a whole request body, from the end
        /// of its head (fractions allowed). The demo reads and drops
        /// bodies of up to 64 KiB; a body that is late gets 408 Request
        /// Timeout, a larger one 413 Content Too Large, and the connection
        /// is closed.
        #[arg(long, value_name = "SECS", default_value = "30", value_parser = serve_limits::seconds)]
        body_timeout: Duration,
        #[command(flatten)]
        limits: ServerLimits,
        #[command(flatten)]
        observe: crate::metrics_endpoint::ObserveArgs,
        #[command(flatten)]
        drain: crate::drain::DrainArgs,
        /// Report each request on stderr, and the listener's counters
        /// every 10 seconds when they change.
        #[arg(long, short)]
        verbose: bool,
    },
}

/// Run `rtw sse ...`.
pub(crate) fn run(args: Args) -> ExitCode {
    let (name, result) = match args.command {
        Command::Parse { comments } => (
            "parse",
            parse::run(io::stdin().lock(), &mut io::stdout().lock(), comments),
        ),
        Command::Client {
            url,
            reconnect_ms,
            max_retries,
            count,
        } => (
            "client",
            runtime().and_then(|runtime| {
                runtime.block_on(client::run(
                    &url,
                    client::Options {
                        reconnection_time: Duration::from_millis(reconnect_ms),
                        max_retries,
                        count,
                    },
                ))
            }),
        ),
        Command::Serve {
            addr,
            interval_ms,
            count,
            body_timeout,
            limits,
            observe,
            drain,
            verbose,
        } => (
            "serve",
            runtime().and_then(|runtime| {
                observe.log.init();
                runtime.block_on(serve::run(
                    &addr,
                    serve::Demo {
                        interval: Duration::from_millis(interval_ms),
                        count,
                    },
                    serve::Options {
                        write_timeout: limits.write_timeout,
                        limits,
                        body_timeout,
                        verbose,
                        metrics: observe.metrics,
                        drain,
                    },
                ))
            }),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("rtw sse {name}: {failure}");
            ExitCode::FAILURE
        }
    }
}

/// A runtime for the networked subcommands.
fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

/// An event as one JSON object: `{"type":..,"data":..,"last_event_id":..}`.
fn event_json(event: &rtw_sse::Event) -> String {
    format!(
        "{{\"type\":{},\"data\":{},\"last_event_id\":{}}}",
        json(event.event_type()),
        json(event.data()),
        json(event.last_event_id())
    )
}

/// `s` as a JSON string.
fn json(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}
