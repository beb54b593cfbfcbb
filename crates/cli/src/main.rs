//! The `rtw` command: inspect, serve and test real-time web protocols.
//!
//! `main` only parses the command line and dispatches: each protocol is one
//! subcommand implemented in its own module (`rtw chunked ...` in
//! [`chunked`], `rtw ws ...` in [`ws`], `rtw stun ...` in [`stun`], `rtw sdp ...` in [`sdp`], `rtw ice ...` in [`ice`], `rtw turn ...` in [`turn`], `rtw signal ...` in [`signal`], `rtw stomp ...` in [`stomp`], `rtw socketio ...` in [`socketio`]), so a new protocol adds a module and one variant of
//! [`Protocol`].
//!
//! Exit status: 0 on success, 1 when the input breaks the protocol or I/O
//! fails (the reason is printed on stderr), 2 for a bad command line.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod checks;
mod chunked;
mod drain;
mod http_server;
mod ice;
mod input;
mod metrics_endpoint;
mod multipart;
mod sdp;
mod serve;
mod serve_limits;
mod signal;
mod socketio;
mod sse;
mod stats;
mod stomp;
mod stun;
mod turn;
mod write_deadline;
mod ws;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Inspect, serve and test real-time web protocols.
#[derive(Debug, Parser)]
#[command(name = "rtw", version, about, propagate_version = true)]
struct Cli {
    /// The protocol to work with.
    #[command(subcommand)]
    protocol: Protocol,
}

/// One subcommand per protocol.
#[derive(Debug, Subcommand)]
enum Protocol {
    /// HTTP/1.1 chunked transfer coding (RFC 9112 §7.1).
    Chunked(chunked::Args),
    /// WebSocket (RFC 6455): echo server, Autobahn client, interactive
    /// client.
    Ws(ws::Args),
    /// Server-Sent Events: parse an event stream, serve a demo stream.
    Sse(sse::Args),
    /// STUN (RFC 8489) and TURN (RFC 8656): decode a message, run a Binding
    /// server, ask a server for the mapped address, allocate a relay.
    Stun(stun::Args),
    /// SDP (RFC 8866): re-write a session description.
    Sdp(sdp::Args),
    /// ICE (RFC 8445, RFC 8839): read candidates.
    Ice(ice::Args),
    /// TURN (RFC 8656, RFC 6062): run a relay server, relay lines to a
    /// peer through a server.
    Turn(turn::Args),
    /// WebRTC signaling: serve rooms over WebSocket (with STUN and TURN
    /// beside them), or join one as a peer made of rtw's ICE agent.
    Signal(signal::Args),
    /// STOMP 1.2 over TCP and WebSocket: a broker, and clients that send
    /// stdin's lines or print what a subscription receives.
    Stomp(stomp::Args),
    /// Socket.IO v5 over Engine.IO v4: check a server with rtw's client.
    Socketio(socketio::Args),
    /// Multipart bodies (RFC 2046 §5.1): split an M-JPEG stream into files.
    Multipart(multipart::Args),
    /// Every push transport of the real-time web (polling, long polling,
    /// HTTP and iframe streaming, SSE, WebSocket) over one publish/subscribe
    /// hub.
    Serve(serve::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Servers need descriptors; their listeners fit their caps to the limit.
    let _ = rtw_tokio::listener::raise_nofile_limit();
    match cli.protocol {
        Protocol::Chunked(args) => chunked::run(args),
        Protocol::Ws(args) => ws::run(args),
        Protocol::Sse(args) => sse::run(args),
        Protocol::Stun(args) => stun::run(args),
        Protocol::Sdp(args) => sdp::run(args),
        Protocol::Ice(args) => ice::run(args),
        Protocol::Turn(args) => turn::run(args),
        Protocol::Signal(args) => signal::run(args),
        Protocol::Stomp(args) => stomp::run(args),
        Protocol::Socketio(args) => socketio::run(args),
        Protocol::Multipart(args) => multipart::run(args),
        Protocol::Serve(args) => serve::run(args),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    #[test]
    fn command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
