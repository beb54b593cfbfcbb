//! `rtw signal`: WebRTC signaling with [`rtw_signal`].
//!
//! - `rtw signal serve`: rooms over WebSocket at `/signal` (the JSON
//!   protocol documented in [`rtw_signal`]), a demo page at `/`, and, on
//!   request, rtw's STUN and TURN servers beside it, whose addresses and
//!   fresh TURN REST credentials each joining peer gets as `iceServers`.
//! - `rtw signal peer`: rtw's own ICE agent as a WebRTC peer of a browser,
//!   driven through a signaling server.

mod demo;
mod hub;
mod peer;
mod serve;
mod session;

use std::process::ExitCode;

use clap::Subcommand;

/// `rtw signal`: `rtw signal --listen IP:PORT ...` is short for
/// `rtw signal serve --listen IP:PORT ...`.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: Box<serve::ServeArgs>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve signaling rooms over WebSocket at /signal, the demo page at /,
    /// and optionally STUN and TURN beside them.
    ///
    /// Prints `listening on IP:PORT` first, then `stun listening on ...`
    /// and `turn listening on ...` for the servers it runs beside.
    // Boxed: its arguments are many more than `peer`'s (clippy).
    Serve(Box<serve::ServeArgs>),
    /// Join a room as a WebRTC peer made of rtw's ICE agent: answer (or
    /// make) offers, trickle candidates, follow ICE restarts, and print
    /// one JSON object per line for each step.
    Peer(peer::PeerArgs),
}

pub(crate) fn run(args: Args) -> ExitCode {
    match args.command {
        Some(Command::Serve(args)) => serve::run(*args),
        Some(Command::Peer(args)) => peer::run(args),
        None => serve::run(*args.serve),
    }
}
