//! `rtw ws`: WebSocket (RFC 6455) over TCP with [`rtw_tokio::ws`].
//!
//! - `rtw ws echo-server ADDR`: accept WebSocket connections on ADDR and
//!   send back every text and binary message ([`echo`]). Prints
//!   `listening on IP:PORT` as its first line, so port 0 works.
//! - `rtw ws autobahn-client --url ws://HOST:PORT --agent NAME`: drive an
//!   Autobahn TestSuite fuzzingserver ([`autobahn`]).
//! - `rtw ws client URL`: lines of stdin go out as messages, received
//!   messages are printed ([`client`]).

mod autobahn;
mod client;
mod echo;

use std::error::Error;
use std::process::ExitCode;

use clap::Subcommand;
use rtw_tokio::ws::{Config, Options};

/// What a subcommand fails with; printed on stderr.
type Failure = Box<dyn Error + Send + Sync>;

/// `rtw ws`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Accept WebSocket connections on ADDR (many at once) and send back
    /// every text and binary message; pings and closes are answered as RFC
    /// 6455 says. Prints `listening on IP:PORT` first. Runs until killed.
    EchoServer {
        /// Address to listen on, e.g. 127.0.0.1:9002 (port 0 picks one).
        addr: String,
        #[command(flatten)]
        limits: Limits,
        /// Report each connection's handshake failure or protocol error on
        /// stderr.
        #[arg(long, short)]
        verbose: bool,
    },
    /// Run the cases of an Autobahn TestSuite fuzzingserver: read the case
    /// count, echo every message of each case, then have the reports
    /// written. Prints one line per case.
    AutobahnClient {
        /// The fuzzingserver, e.g. ws://127.0.0.1:9001.
        #[arg(long)]
        url: String,
        /// The agent name the reports are filed under.
        #[arg(long)]
        agent: String,
        /// Run only the first N cases.
        #[arg(long, value_name = "N")]
        cases: Option<u32>,
        #[command(flatten)]
        limits: Limits,
    },
    /// Connect to URL; each line of stdin is sent as a message, each
    /// message received is printed on stdout followed by a newline. At the
    /// end of stdin the connection is closed (code 1000).
    Client {
        /// A ws:// URL.
        url: String,
        /// Send lines as binary messages instead of text.
        #[arg(long)]
        binary: bool,
        #[command(flatten)]
        limits: Limits,
    },
}

/// Size limits of the connection (RFC 6455 leaves them to the endpoint).
#[derive(Debug, clap::Args)]
struct Limits {
    /// Largest message accepted, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 64 << 20)]
    max_message: u64,
    /// Largest frame accepted, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 16 << 20)]
    max_frame: u64,
    /// Neither offer nor accept permessage-deflate (RFC 7692), which is
    /// on by default.
    #[arg(long)]
    no_deflate: bool,
}

impl Limits {
    fn options(&self) -> Options {
        let mut options = Options::with_config(Config {
            max_message_size: self.max_message,
            max_frame_size: self.max_frame,
            ..Config::default()
        });
        if self.no_deflate {
            options.deflate = None;
        }
        options
    }
}

/// Run `rtw ws ...`.
pub(crate) fn run(args: Args) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("rtw ws: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let (name, result) = match args.command {
        Command::EchoServer {
            addr,
            limits,
            verbose,
        } => (
            "echo-server",
            runtime.block_on(echo::serve(&addr, limits.options(), verbose)),
        ),
        Command::AutobahnClient {
            url,
            agent,
            cases,
            limits,
        } => (
            "autobahn-client",
            runtime.block_on(autobahn::run(&url, &agent, cases, limits.options())),
        ),
        Command::Client {
            url,
            binary,
            limits,
        } => (
            "client",
            runtime.block_on(client::run(&url, binary, limits.options())),
        ),
    };
    // A blocking read of stdin may still be pending: do not wait for it.
    runtime.shutdown_background();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("rtw ws {name}: {failure}");
            ExitCode::FAILURE
        }
    }
}
