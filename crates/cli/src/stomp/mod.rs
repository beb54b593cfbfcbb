//! `rtw stomp`: STOMP 1.2 with `rtw-stomp` over TCP and WebSocket.
//!
//! - `rtw stomp broker --tcp IP:PORT [--ws IP:PORT]`: a broker
//!   (`/topic/...` to every subscriber, `/queue/...` to one consumer each).
//! - `rtw stomp send URL DEST`: each line of stdin as one SEND.
//! - `rtw stomp subscribe URL DEST`: each message's body on its own line.
//! - `rtw stomp check URL`: STOMP 1.2 scenarios against a broker.
//!
//! URLs are `tcp://HOST:PORT`, `stomps://HOST:PORT` (TLS),
//! `ws://HOST:PORT/PATH` or `wss://HOST:PORT/PATH`; TLS trusts the
//! platform's roots, or the CAs of `--ca FILE`. The broker serves TLS on
//! its listeners with `--tls-cert FILE --tls-key FILE`.

mod broker;
mod check;
mod client;

use std::process::ExitCode;

use clap::Subcommand;

use crate::checks::Failure;

/// `rtw stomp`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a STOMP broker on TCP and, with --ws, on WebSocket; prints
    /// `listening on IP:PORT` (the TCP listener, or the WebSocket one
    /// without --tcp) first, then `ws listening on IP:PORT`.
    Broker(broker::BrokerArgs),
    /// Send each line of stdin to DEST as one message, with a receipt on
    /// the last, then disconnect gracefully.
    Send(client::SendArgs),
    /// Subscribe to DEST and print each message's body on its own line.
    Subscribe(client::SubscribeArgs),
    /// Check a broker: run STOMP 1.2 scenarios (receipts, topics, every
    /// ack mode, NACK, transactions, heart-beats, ERROR, DISCONNECT) with
    /// rtw's client, one line per check (`ok    NAME: ...` or
    /// `FAIL  NAME: WHY`); exit 1 if one failed.
    Check(check::CheckArgs),
}

pub(crate) fn run(args: Args) -> ExitCode {
    crate::checks::block_on("stomp", async {
        match args.command {
            Command::Broker(args) => broker::run(args).await,
            Command::Send(args) => client::send(args).await,
            Command::Subscribe(args) => client::subscribe(args).await,
            Command::Check(args) => check::run(args).await,
        }
    })
}
