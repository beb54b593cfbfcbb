//! `rtw serve`: every push transport of the real-time web over one
//! publish/subscribe hub, a thin binary over
//! [`rtw_tokio::serve::ServeService`] (whose docs list the routes).
//!
//! | what | default | flag |
//! |---|---|---|
//! | connections open at once, per client address | 10,000, 1,000 (503 beyond) | `--max-connections`, `--max-connections-per-ip` |
//! | request head | 10 s | `--header-timeout` |
//! | a write that makes no progress while the client reads nothing (a WebSocket or stream subscriber that stopped reading: the hub evicts it, and the connection is closed once its writes are stuck that long) | 30 s | `--write-timeout` |
//! | message (request body, WebSocket text) | 64 KiB (413; WebSocket 1009 at twice that) | `--max-body` |
//! | messages kept per topic to resume from | 1,000 | `--history` |
//! | topics | 10,000 (503 beyond) | `--max-topics` |
//! | long-poll wait | 30 s, at most `--longpoll-max` (60 s) | `timeout=`, `--longpoll-max` |
//! | long polls held, streams open | 10,000 each (503 beyond) | `--max-longpolls`, `--max-streams` |
//! | cross-origin pages | none (same origin only) | `--allow-origin` (repeat) |
//! | transports refused (403), to try clients' fallbacks | none | `--refuse` (repeat) |
//! | age at which the server ends a stream, iframe, SSE or WebSocket (clients resume) | never | `--max-stream-age` |
//! | Engine.IO heartbeat at `/socket.io/`: ping every, pong within | 25,000 ms, 20,000 ms | `--ping-interval`, `--ping-timeout` |
//! | WebSocket keep-alive (`/topics/{topic}/ws`, `/stomp`): ping after quiet, close 1011 when nothing comes back within | 30 s, 30 s | `--ws-ping-interval`, `--ws-ping-timeout` |
//! | counters (connections, messages and bytes, evictions, refusals, errors by transport) | `GET /metrics`, Prometheus text format 0.0.4 | |
//! | log lines on stderr (WebSocket and STOMP sessions opened and closed at debug, errors at warn; level from `RTW_LOG`) | text | `--log-format text\|json` |
//! | where the hub lives: one RabbitMQ stream shared by every node (ids = stream offsets + 1) | in-process | `--hub stomp://HOST:PORT`, `--hub-login`, `--hub-max-bytes`, `--hub-ca` |
//! | TLS (https and wss on the one listener, ALPN `http/1.1`; the handshake within `--header-timeout`) | off | `--tls-cert`, `--tls-key` |
//! | on SIGTERM or SIGINT: listener closed; streams, iframes, SSE and M-JPEG ended (last chunk) after the messages already queued; held long polls answered (what they have, else 204); WebSocket close 1001 `server shutting down: resume with since=N`; STOMP ERROR `server shutting down` after its receipts; Socket.IO sessions closed (close packet; WebSocket 1001); exit 0 once all closed | 10 s at most | `--drain-timeout` |

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use rtw_tokio::listener::Listener;
use rtw_tokio::serve::hub::{Config as HubConfig, Limits as HubLimits};
use rtw_tokio::serve::{Limits, ServeConfig, ServeService, SharedHub, Transport};

use crate::serve_limits::{ServerLimits, seconds};

use crate::checks::Failure;

mod hub;

/// `rtw serve` arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Address to listen on, e.g. 127.0.0.1:8080 (port 0 picks a free
    /// one). Prints `listening on http://IP:PORT` first (`https://` with
    /// --tls-cert and --tls-key).
    #[arg(long, value_name = "IP:PORT")]
    listen: SocketAddr,
    /// An origin (`scheme://host[:port]`) whose pages may use every
    /// transport across origins: CORS headers and preflights, and the
    /// WebSocket Origin allow-list. Repeat for more. Without it only
    /// same-origin pages are served.
    #[arg(long, value_name = "ORIGIN")]
    allow_origin: Vec<String>,
    /// Messages kept per topic for clients to resume from (since=N,
    /// Last-Event-ID).
    #[arg(long, value_name = "N", default_value_t = 1_000)]
    history: usize,
    /// The longest a long poll may wait, seconds; a larger timeout= is
    /// lowered to it.
    #[arg(long, value_name = "SECS", default_value = "60", value_parser = seconds)]
    longpoll_max: Duration,
    /// The largest message, bytes (a POST body; a WebSocket text message).
    #[arg(long, value_name = "BYTES", default_value_t = 64 * 1024)]
    max_body: usize,
    /// Topics held at once; more get 503.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    max_topics: usize,
    /// Long polls held at once; more get 503.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    max_longpolls: usize,
    /// Streaming connections (stream, iframe, SSE, WebSocket, STOMP,
    /// M-JPEG) open at once; more get 503.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    max_streams: usize,
    /// Answer 403 Forbidden to every request of this transport, as a
    /// server or proxy that blocks it would (to try clients' fallbacks:
    /// rtw.js goes from WebSocket to SSE to long polling): ws, sse,
    /// stream, iframe, longpoll, poll, stomp or socketio. Repeat for more.
    #[arg(long, value_name = "TRANSPORT", value_parser = transport)]
    refuse: Vec<Transport>,
    /// End every HTTP stream, iframe stream, SSE response and WebSocket
    /// (close 1001) once it is this old, seconds; clients resume from the
    /// last id they saw (an EventSource by itself, with Last-Event-ID:
    /// SSE responses then start with `retry: 500`). To rebalance
    /// long-lived connections across nodes and stay under proxies' idle
    /// limits. Without it: never.
    #[arg(long, value_name = "SECS", value_parser = seconds)]
    max_stream_age: Option<Duration>,
    /// Socket.IO at /socket.io/: the server pings each Engine.IO session
    /// this often, milliseconds (the open packet's pingInterval).
    #[arg(long, value_name = "MS", default_value = "25000", value_parser = millis)]
    ping_interval: Duration,
    /// Socket.IO at /socket.io/: a session whose pong does not come within
    /// this of a ping is closed, milliseconds (pingTimeout).
    #[arg(long, value_name = "MS", default_value = "20000", value_parser = millis)]
    ping_timeout: Duration,
    /// WebSocket (/topics/{topic}/ws, /stomp): ping a peer after this many
    /// seconds without anything from it (RFC 6455 §5.5.2).
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = seconds)]
    ws_ping_interval: Duration,
    /// WebSocket: close a connection (1011) when nothing comes back this
    /// many seconds after the ping: the peer vanished or stopped reading.
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = seconds)]
    ws_ping_timeout: Duration,
    #[command(flatten)]
    hub: hub::HubArgs,
    #[command(flatten)]
    limits: ServerLimits,
    #[command(flatten)]
    tls: crate::http_server::TlsArgs,
    #[command(flatten)]
    log: crate::metrics_endpoint::LogArgs,
    #[command(flatten)]
    drain: crate::drain::DrainArgs,
    /// Report connection errors on stderr.
    #[arg(long, short)]
    verbose: bool,
}

fn transport(name: &str) -> Result<Transport, String> {
    name.parse()
}

/// A positive number of milliseconds.
fn millis(text: &str) -> Result<Duration, String> {
    match text.parse::<u64>() {
        Ok(ms) if ms > 0 => Ok(Duration::from_millis(ms)),
        _ => Err(format!("{text:?} is not a positive number of milliseconds")),
    }
}

pub(crate) fn run(args: Args) -> ExitCode {
    args.log.init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("rtw serve: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rtw serve: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: Args) -> Result<(), Failure> {
    let tls = args.tls.http_acceptor()?;
    let drain = args.drain.on_signal()?;
    let listener = Listener::bind(args.listen, args.limits.listener_config())
        .await
        .map_err(|e| format!("binding {}: {e}", args.listen))?;
    let bound = listener.local_addr()?;
    let hub = SharedHub::new(
        HubConfig::default().limits(
            HubLimits::default()
                .history_messages(args.history)
                .max_topics(args.max_topics)
                .max_message_bytes(args.max_body),
        ),
    );
    let config = ServeConfig::default()
        .allowed_origins(args.allow_origin.clone())
        .refused(args.refuse.iter().copied())
        .ping_interval(args.ping_interval)
        .ping_timeout(args.ping_timeout)
        .drain(drain.clone())
        .limits(
            Limits::default()
                .max_body(args.max_body)
                .longpoll_max(args.longpoll_max)
                .max_longpolls(args.max_longpolls)
                .max_streams(args.max_streams)
                .max_stream_age(args.max_stream_age),
        )
        .ws_options(
            rtw_tokio::ws::Options::default().config(
                rtw_tokio::ws::Config::default()
                    .ping_interval(Some(args.ws_ping_interval))
                    .ping_timeout(args.ws_ping_timeout),
            ),
        );
    // Kept while serving: dropping it stops the backend.
    let _backend = args.hub.start(&hub).await?;
    let service = ServeService::new(config, hub);
    let mut stdout = std::io::stdout().lock();
    let scheme = if tls.is_some() { "https" } else { "http" };
    writeln!(stdout, "listening on {scheme}://{bound}")?;
    stdout.flush()?;
    drop(stdout);
    let verbose = args.verbose;
    crate::http_server::serve_tls(
        listener,
        &drain,
        tls,
        &args.limits,
        "rtw serve",
        verbose,
        || service.clone(),
    )
    .await;
    args.drain.finish(&drain, "rtw serve").await;
    Ok(())
}
