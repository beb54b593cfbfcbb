//! `rtw socketio`: Socket.IO v5 with rtw's client
//! (`rtw_tokio::socketio`, over `rtw-engineio` and `rtw-socketio`).
//!
//! - `rtw socketio check URL [--transport polling|websocket|upgrade]
//!   [--namespace /]`: scenarios against a server with `rtw serve`'s
//!   application (`rtw serve`, or `conformance/socketio/server.cjs` on the
//!   npm `socket.io` server).
//!
//! URLs are `http://HOST:PORT[/PATH]`, the path `/socket.io/` by default.

mod check;

use std::process::ExitCode;

use clap::Subcommand;

/// `rtw socketio`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check a Socket.IO server that runs `rtw serve`'s application
    /// (echo, echo-ack, auth, ask, join, to-room; other namespaces
    /// refused): connect, echo (text, binary), acks both ways, auth, a
    /// refused namespace, the upgrade, rooms; one line per check
    /// (`ok    NAME: ...` or `FAIL  NAME: WHY`); exit 1 if one failed.
    Check(check::CheckArgs),
}

pub(crate) fn run(args: Args) -> ExitCode {
    crate::checks::block_on("socketio", async {
        match args.command {
            Command::Check(args) => check::run(args).await,
        }
    })
}
