//! `rtw turn`: a TURN relay server and client (RFC 8656, RFC 6062) with
//! [`rtw_tokio::turn`] (over the sans-IO `rtw-turn`).
//!
//! - `rtw turn server --listen IP:PORT --realm REALM --user USER:PASS ...`:
//!   a relay on UDP and TCP (and TLS with `--tls-cert`/`--tls-key`);
//!   prints `listening on IP:PORT` first and runs until killed
//!   ([`server`]).
//! - `rtw turn client SERVER --user USER:PASS --peer IP:PORT [--tcp]`:
//!   allocates on SERVER, sends the lines of stdin to the peer through
//!   the relay and prints what the peer sends back ([`client`]).

mod client;
mod server;

use std::process::ExitCode;

use clap::Subcommand;

use crate::checks::Failure;

/// `rtw turn`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a TURN relay server (RFC 8656) on UDP and TCP, and TLS.
    ///
    /// Listens on --listen for UDP and TCP (one port for both) and, with
    /// --tls-cert and --tls-key, for TLS on --tls-listen. Prints `listening
    /// on IP:PORT` first (the UDP and TCP address), then `tls listening on
    /// IP:PORT` if TLS is on, and runs until killed.
    ///
    /// Clients authenticate with long-term credentials (--user, MD5 or
    /// SHA-256) or TURN REST API credentials (--auth-secret: username
    /// `EXPIRY:NAME`, password base64(HMAC-SHA1(SECRET, username))).
    /// Relaying to loopback, private, link-local, multicast and unspecified
    /// addresses is refused with 403 unless allowed by the --allow-* flags.
    Server(server::Args),
    /// Relay stdin's lines to a peer through a TURN server and print what
    /// the peer sends back.
    ///
    /// Allocates on SERVER (UDP by default, TCP with --tcp), asks for a
    /// permission for the peer (or binds a channel with --channel), sends
    /// each line of stdin (without its newline) to the peer as one
    /// datagram through the relay, and prints each datagram the peer sends
    /// back as a line. Prints `relayed IP:PORT` on stderr once allocated. At
    /// the end of stdin it waits until as many datagrams came back as
    /// went out, or --linger passes without one, then releases the
    /// allocation and exits. Exits with 1 when the allocation or
    /// permission fails (the server's error code on stderr).
    Client(client::Args),
}

/// Run `rtw turn ...`.
pub(crate) fn run(args: Args) -> ExitCode {
    let (name, result) = match args.command {
        Command::Server(args) => ("server", server::run(args)),
        Command::Client(args) => ("client", client::run(args)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("rtw turn {name}: {failure}");
            ExitCode::FAILURE
        }
    }
}

/// `USER:PASS`, split at the last colon: a TURN REST API username
/// (`EXPIRY:NAME`) has a colon of its own, its password (base64) none.
fn user_pass(arg: &str) -> Result<(String, String), String> {
    match arg.rsplit_once(':') {
        Some((user, pass)) if !user.is_empty() && !pass.is_empty() => {
            Ok((user.to_owned(), pass.to_owned()))
        }
        _ => Err(format!("{arg:?} is not USER:PASS")),
    }
}

#[cfg(test)]
mod tests {
    use super::user_pass;

    #[test]
    fn user_pass_splits_at_the_last_colon() {
        assert_eq!(
            user_pass("alice:secret"),
            Ok(("alice".into(), "secret".into()))
        );
        assert_eq!(
            user_pass("1700000000:alice:c2VjcmV0"),
            Ok(("1700000000:alice".into(), "c2VjcmV0".into()))
        );
        assert!(user_pass("alice").is_err());
        assert!(user_pass("alice:").is_err());
        assert!(user_pass(":x").is_err());
    }
}
