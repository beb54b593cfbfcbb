//! `rtw ws`: WebSocket (RFC 6455) over TCP, or TLS (`wss://`), with
//! [`rtw_tokio::ws`].
//!
//! - `rtw ws echo-server ADDR`: accept WebSocket connections on ADDR and
//!   send back every text and binary message ([`echo`]). Prints
//!   `listening on IP:PORT` as its first line, so port 0 works. With
//!   `--tls-cert` and `--tls-key`, over TLS (`wss://`).
//! - `rtw ws autobahn-client --url ws://HOST:PORT --agent NAME`: drive an
//!   Autobahn TestSuite fuzzingserver ([`autobahn`]); `wss://` with
//!   `--ca FILE` too.
//! - `rtw ws client URL`: lines of stdin go out as messages, received
//!   messages are printed ([`client`]); `wss://` trusts the platform's
//!   roots, or the CAs of `--ca FILE`.

mod autobahn;
mod client;
mod echo;

use std::process::ExitCode;

use std::time::Duration;

use clap::Subcommand;
use rtw_tokio::ws::{Config, Options};
use rtw_ws::MemoryBudget;

use crate::http_server::{CaArg, TlsArgs};
use crate::serve_limits::{self, ServerLimits};

use crate::checks::Failure;

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
    ///
    /// A connection over a cap gets 503 before any upgrade; a handshake
    /// not done within --header-timeout is dropped; a quiet peer is pinged
    /// and dropped when it stays silent; a message not finished in time, or
    /// past the memory that all unfinished messages may hold together, ends
    /// its connection (1008, 1009); a peer that stops reading makes its
    /// echo wait (16 MiB write buffer), and is closed once its writes made no
    /// progress for --write-timeout.
    ///
    /// On SIGTERM or SIGINT the listener closes, each connection gets a
    /// close 1001 Going Away (`server shutting down`) and 5 s to answer
    /// it, and the server exits 0 once they are all closed, after
    /// --drain-timeout at most.
    EchoServer {
        /// Address to listen on, e.g. 127.0.0.1:9002 (port 0 picks one).
        addr: String,
        #[command(flatten)]
        limits: Limits,
        #[command(flatten)]
        server: ServerLimits,
        #[command(flatten)]
        liveness: Liveness,
        #[command(flatten)]
        tls: TlsArgs,
        #[command(flatten)]
        observe: crate::metrics_endpoint::ObserveArgs,
        #[command(flatten)]
        drain: crate::drain::DrainArgs,
        /// Report each connection's handshake failure or protocol error on
        /// stderr.
        #[arg(long, short)]
        verbose: bool,
    },
    /// Run the cases of an Autobahn TestSuite fuzzingserver: read the case
    /// count, echo every message of each case, then have the reports
    /// written. Prints one line per case.
    AutobahnClient {
        /// The fuzzingserver, e.g. ws://127.0.0.1:9001 (or wss://).
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
        #[command(flatten)]
        ca: CaArg,
    },
    /// Connect to URL; each line of stdin is sent as a message, each
    /// message received is printed on stdout followed by a newline. At the
    /// end of stdin the connection is closed (code 1000).
    Client {
        /// A ws:// or wss:// URL.
        url: String,
        /// Send lines as binary messages instead of text.
        #[arg(long)]
        binary: bool,
        #[command(flatten)]
        limits: Limits,
        #[command(flatten)]
        ca: CaArg,
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
    /// Largest message accepted when it arrives compressed
    /// (permessage-deflate), in bytes after inflation.
    #[arg(long, value_name = "BYTES", default_value_t = 16 << 20)]
    max_inflated_message: u64,
    /// Bytes a connection may inflate per second from compressed messages
    /// (permessage-deflate), a second's worth at once: past it, its input
    /// waits until the budget refills, so that data which inflates a
    /// thousandfold cannot take a core from the other connections. 0: no
    /// budget.
    #[arg(long, value_name = "BYTES_PER_SEC", default_value_t = rtw_tokio::ws::DEFAULT_MAX_INFLATE_RATE)]
    max_inflate_rate: u64,
    /// Neither offer nor accept permessage-deflate (RFC 7692), which is
    /// on by default.
    #[arg(long)]
    no_deflate: bool,
}

impl Limits {
    fn options(&self) -> Options {
        let limits = rtw_ws::Limits::default()
            .max_message_size(self.max_message)
            .max_frame_size(self.max_frame)
            .max_inflated_message_size(self.max_inflated_message);
        let mut options = Options::with_config(Config::default().limits(limits))
            .max_inflate_rate(Some(self.max_inflate_rate).filter(|&r| r > 0));
        if self.no_deflate {
            options.deflate = None;
        }
        options
    }
}

/// How a server finds dead peers and bounds unfinished messages.
#[derive(Debug, clap::Args)]
struct Liveness {
    /// Ping a peer after this many seconds without anything from it (RFC
    /// 6455 §5.5.2).
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = serve_limits::seconds)]
    ping_interval: Duration,
    /// Close a connection (1011) when nothing comes back this many seconds
    /// after the ping: the peer vanished or stopped reading.
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = serve_limits::seconds)]
    ping_timeout: Duration,
    /// Seconds a message may take from its first frame to its last; a
    /// slower one closes its connection (1008).
    #[arg(long, value_name = "SECS", default_value = "60", value_parser = serve_limits::seconds)]
    message_timeout: Duration,
    /// Bytes that unfinished received messages may hold across all
    /// connections together (fragments, inflated data, partial frames);
    /// the connection that would pass it is closed (1009), the others go
    /// on.
    #[arg(long, value_name = "BYTES", default_value_t = 256 << 20)]
    message_memory: u64,
}

impl Liveness {
    /// `options` with these timers and one budget for every connection.
    fn apply(&self, mut options: Options, server: &ServerLimits) -> Options {
        options.config.ping_interval = Some(self.ping_interval);
        options.config.ping_timeout = self.ping_timeout;
        options.config.message_timeout = Some(self.message_timeout);
        options.config.message_memory = Some(MemoryBudget::new(self.message_memory));
        options.handshake_timeout = Some(server.header_timeout);
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
            server,
            liveness,
            tls,
            observe,
            drain,
            verbose,
        } => {
            observe.log.init();
            let options = liveness.apply(limits.options(), &server);
            let listener = server.listener_config();
            let result = match tls.http_acceptor() {
                Ok(tls) => runtime.block_on(echo::serve(
                    &addr,
                    listener,
                    (options, server.write_timeout),
                    tls,
                    observe.metrics,
                    &drain,
                    verbose,
                )),
                Err(e) => Err(e.into()),
            };
            ("echo-server", result)
        }
        Command::AutobahnClient {
            url,
            agent,
            cases,
            limits,
            ca,
        } => {
            let result = match ca.client_config() {
                Ok(tls) => {
                    runtime.block_on(autobahn::run(&url, &agent, cases, limits.options(), tls))
                }
                Err(e) => Err(e.into()),
            };
            ("autobahn-client", result)
        }
        Command::Client {
            url,
            binary,
            limits,
            ca,
        } => {
            let result = match ca.client_config() {
                Ok(tls) => runtime.block_on(client::run(&url, binary, limits.options(), tls)),
                Err(e) => Err(e.into()),
            };
            ("client", result)
        }
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
