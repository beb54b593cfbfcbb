//! `rtw stun`: STUN (RFC 8489) and the TURN Allocate exchange (RFC 8656)
//! with [`rtw_stun`] and [`rtw_tokio::stun`].
//!
//! - `rtw stun decode [--password P | --long-term USER:REALM:PASS]`: one
//!   message on stdin, hex or binary, printed attribute by attribute with
//!   MESSAGE-INTEGRITY and FINGERPRINT checked ([`decode`]).
//! - `rtw stun server ADDR`: a Binding server on UDP ([`server`]). Prints
//!   `listening on IP:PORT` as its first line, so port 0 works.
//! - `rtw stun binding SERVER`: one Binding transaction; prints the mapped
//!   address ([`binding`]).
//! - `rtw stun allocate SERVER --user U --password P`: a TURN allocation
//!   with long-term credentials; prints the relayed and mapped addresses
//!   and the lifetime, then releases it ([`allocate`]).

mod allocate;
mod binding;
mod decode;
mod describe;
mod server;

use std::io;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::Subcommand;
use rtw_tokio::stun::TransactionConfig;

use crate::checks::Failure;

/// `rtw stun`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Decode one STUN message from stdin and print it, integrity and
    /// fingerprint checked.
    ///
    /// Prints the header, then each attribute's name, type code, length and
    /// value. Input is hex (digits and whitespace only) or the raw message;
    /// a binary message always holds bytes that are not hex digits (its
    /// magic cookie), so the two cannot be confused. FINGERPRINT is always checked;
    /// MESSAGE-INTEGRITY(-SHA256) when a password is given. Exits with 1,
    /// the reason on stderr, when the input is not one valid STUN message
    /// (nothing is printed then), or when a value breaks its attribute's
    /// definition, FINGERPRINT or MESSAGE-INTEGRITY does not match, or a
    /// password was given for a message without MESSAGE-INTEGRITY (the
    /// message is printed then, each failure marked on its line).
    Decode {
        #[command(flatten)]
        credentials: decode::Credentials,
    },
    /// Answer STUN Binding requests on UDP ADDR.
    ///
    /// Each Binding request gets the sender's XOR-MAPPED-ADDRESS (RFC
    /// 8489). Prints `listening on IP:PORT` first.
    /// Runs until killed.
    Server {
        /// Address to listen on, e.g. 127.0.0.1:3478 (port 0 picks one).
        addr: String,
        /// Report each datagram and the answer on stderr.
        #[arg(long, short)]
        verbose: bool,
    },
    /// Ask a STUN server for our mapped address and print it.
    ///
    /// Sends a Binding request to SERVER over UDP, retransmitting as RFC
    /// 8489 §6.2.1 says, and prints the mapped address the server saw
    /// (XOR-MAPPED-ADDRESS, or MAPPED-ADDRESS from an RFC 3489 server).
    /// Exits with 1 on an error response or when no response comes.
    Binding {
        /// The STUN server, e.g. 127.0.0.1:3478 (a host name is resolved).
        server: String,
        /// Local address to send from; by default the unspecified address
        /// of the server's family with a port the system picks.
        #[arg(long, value_name = "ADDR")]
        local: Option<SocketAddr>,
        #[command(flatten)]
        timing: Timing,
        /// Print the local address on stderr.
        #[arg(long, short)]
        verbose: bool,
    },
    /// Allocate a TURN relay on a server with long-term credentials.
    ///
    /// Allocates (RFC 8656 §7) on SERVER over UDP: the first Allocate
    /// request gets 401 with REALM and NONCE, the second carries USERNAME,
    /// REALM, NONCE, MESSAGE-INTEGRITY and FINGERPRINT. Prints each step, then the
    /// relayed address, the mapped address and the lifetime; then releases
    /// the allocation with a Refresh of lifetime 0 (unless --keep). Exits
    /// with 1 when the allocation fails.
    Allocate {
        /// The TURN server, e.g. 127.0.0.1:3478 (a host name is resolved).
        server: String,
        /// The long-term credential's username.
        #[arg(long, value_name = "NAME")]
        user: String,
        /// The long-term credential's password.
        #[arg(long, value_name = "PASSWORD")]
        password: String,
        /// The realm the server must announce; by default any is accepted.
        #[arg(long, value_name = "REALM")]
        realm: Option<String>,
        /// Local address to send from, as for `binding`.
        #[arg(long, value_name = "ADDR")]
        local: Option<SocketAddr>,
        /// Leave the allocation to expire instead of releasing it.
        #[arg(long)]
        keep: bool,
        #[command(flatten)]
        timing: Timing,
        /// Print each request and response on stderr in hex, as `> HEX`
        /// and `< HEX` lines that `rtw stun decode` reads.
        #[arg(long, short)]
        verbose: bool,
    },
}

/// Retransmission timing of the client transactions (RFC 8489 §6.2.1).
#[derive(Debug, Clone, Copy, clap::Args)]
struct Timing {
    /// Initial retransmission timeout in milliseconds (RTO); it doubles
    /// after each retransmission.
    #[arg(long, value_name = "MS", default_value_t = 500, value_parser = clap::value_parser!(u64).range(1..=60_000))]
    rto_ms: u64,
    /// Requests sent in all, the first included (Rc).
    #[arg(long, value_name = "N", default_value_t = 7, value_parser = clap::value_parser!(u32).range(1..=20))]
    requests: u32,
}

impl Timing {
    fn config(self) -> TransactionConfig {
        TransactionConfig::default()
            .rto(Duration::from_millis(self.rto_ms))
            .rc(self.requests)
    }
}

/// Run `rtw stun ...`.
pub(crate) fn run(args: Args) -> ExitCode {
    let (name, result) = match args.command {
        Command::Decode { credentials } => {
            return decode::run(&credentials);
        }
        Command::Server { addr, verbose } => (
            "server",
            runtime().and_then(|rt| rt.block_on(server::run(&addr, verbose))),
        ),
        Command::Binding {
            server,
            local,
            timing,
            verbose,
        } => (
            "binding",
            runtime()
                .and_then(|rt| rt.block_on(binding::run(&server, local, timing.config(), verbose))),
        ),
        Command::Allocate {
            server,
            user,
            password,
            realm,
            local,
            keep,
            timing,
            verbose,
        } => (
            "allocate",
            runtime().and_then(|rt| {
                rt.block_on(allocate::run(allocate::Options {
                    server: &server,
                    user: &user,
                    password: &password,
                    realm: realm.as_deref(),
                    local,
                    keep,
                    config: timing.config(),
                    verbose,
                }))
            }),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("rtw stun {name}: {failure}");
            ExitCode::FAILURE
        }
    }
}

/// A runtime for the networked subcommands: one thread is plenty for UDP
/// request/response.
fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

/// Resolve `server` to one socket address (the first the resolver gives).
async fn resolve(server: &str) -> Result<SocketAddr, Failure> {
    tokio::net::lookup_host(server)
        .await
        .map_err(|e| format!("resolving {server}: {e}"))?
        .next()
        .ok_or_else(|| io::Error::other(format!("{server} resolves to no address")).into())
}

/// A UDP socket for talking to `server`: bound to `local`, or to the
/// unspecified address of `server`'s family on a port the system picks.
async fn client_socket(
    server: SocketAddr,
    local: Option<SocketAddr>,
) -> Result<tokio::net::UdpSocket, Failure> {
    let local = local.unwrap_or_else(|| rtw_tokio::stun::unspecified_for(server));
    tokio::net::UdpSocket::bind(local)
        .await
        .map_err(|e| format!("binding {local}: {e}").into())
}
