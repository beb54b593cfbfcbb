//! `rtw signal serve`: signaling rooms over WebSocket, the demo page, and
//! rtw's STUN and TURN servers beside them.
//!
//! | what | default | flag |
//! |---|---|---|
//! | connections open at once, per client address | 10,000, 1,000 (503 beyond) | `--max-connections`, `--max-connections-per-ip` |
//! | request head | 10 s | `--header-timeout` |
//! | WebSocket handshake after the head | 10 s | (rtw-tokio's `handshake_timeout`) |
//! | time to join a room | 10 s, then 1008 | `--join-timeout` |
//! | WebSocket message | twice `--max-message-size`, then 1009 | |
//! | a message half-sent | 60 s, then 1008 | (rtw-ws `message_timeout`) |
//! | a silent peer | ping after 30 s, 30 s to answer, then 1011 | `--ping-interval`, `--ping-timeout` |
//! | bytes queued for a peer that does not read (beyond rtw-ws's 1 MiB write buffer) | 1 MiB, then cut off with 1008 | `--outbox-bytes` |
//! | bytes queued for all peers together | 256 MiB, then the peer whose message would pass it is cut off | `--total-outbox-bytes` |
//! | peers per room, message size, rate | rtw-signal's `Limits` | `--room-size`, `--max-message-size`, `--rate` |
//! | reconnect grace | 10 s | `--reconnect-grace` |

use std::convert::Infallible;
use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_TYPE};
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use rtw_signal::{Config, IceCredentials, IceServer, Limits, Rooms, Server};
use rtw_tokio::drain::Drain;
use rtw_tokio::listener::Listener;
use rtw_tokio::turn::{PeerPolicy, ServerConfig, ServerOptions};
use rtw_tokio::ws::{Options, ServerHandshake, WebSocketStream};

use super::demo;
use super::hub::{Hub, HubOptions};
use super::session;
use crate::serve_limits::{ServerLimits, seconds};

use crate::checks::Failure;
use crate::metrics_endpoint::ServerMetrics;
use std::sync::Arc;

/// rtw-ws's write buffer per signaling WebSocket (its default, 16 MiB, is
/// for bulk data; signaling messages are at most 64 KiB by default).
const WS_WRITE_BUFFER: usize = 1 << 20;

/// `rtw signal serve` arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct ServeArgs {
    /// Address of the HTTP and WebSocket server, e.g. 127.0.0.1:8080 (port
    /// 0 picks a free one).
    // Required; an `Option` only so that `rtw signal peer ...` parses
    // beside the flattened `rtw signal --listen ...`.
    #[arg(long, value_name = "IP:PORT", required = true)]
    listen: Option<SocketAddr>,
    /// Run rtw's STUN Binding server on this UDP address and hand it to
    /// every joining peer as `stun:IP:PORT`.
    #[arg(long, value_name = "IP:PORT")]
    stun: Option<SocketAddr>,
    /// Run rtw's TURN server on this address (UDP and TCP) and hand it to
    /// every joining peer as `turn:IP:PORT` with fresh TURN REST
    /// credentials (with --turn-secret).
    #[arg(long, value_name = "IP:PORT", requires = "turn_secret")]
    turn: Option<SocketAddr>,
    /// The TURN REST secret shared with the TURN server: each peer gets
    /// username `EXPIRY:PEER` and credential
    /// base64(HMAC-SHA1(SECRET, username)). With --turn, rtw's TURN server
    /// checks them; without it, they are for --ice-server turn: URLs of a
    /// server run elsewhere with the same secret (coturn's
    /// use-auth-secret).
    #[arg(long, value_name = "SECRET")]
    turn_secret: Option<String>,
    /// How long the TURN REST credentials handed out stay valid, seconds.
    #[arg(long, value_name = "SECS", default_value_t = 3600)]
    turn_ttl: u64,
    /// Relay to and from loopback peers on the TURN server run with --turn
    /// (tests on one machine). Refused with 403 otherwise.
    #[arg(long)]
    turn_allow_loopback_peers: bool,
    /// Another ICE server URL to hand out (stun:, turns:, turn:); turn:
    /// and turns: URLs get the TURN REST credentials of --turn-secret.
    /// Repeat for more.
    #[arg(long, value_name = "URL")]
    ice_server: Vec<String>,
    /// Only these rooms exist; joining another gets `unknown-room`. Repeat
    /// for more. Default: any room, made by its first join.
    #[arg(long, value_name = "NAME")]
    room: Vec<String>,
    /// Peers one room holds; more get `room-full`.
    #[arg(long, value_name = "N", default_value_t = 16)]
    room_size: usize,
    /// The largest signaling message, bytes; larger ones get
    /// `message-too-large`, and WebSocket messages of twice that close
    /// the connection with 1009.
    #[arg(long, value_name = "BYTES", default_value_t = 64 * 1024)]
    max_message_size: usize,
    /// Messages per second one connection may send (twice that in a
    /// burst); more get `rate-limited`.
    #[arg(long, value_name = "N", default_value_t = 50)]
    rate: u32,
    /// Seconds a dropped peer keeps its id and messages for it are kept,
    /// so that it can come back with its `resume` token.
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = seconds)]
    reconnect_grace: Duration,
    /// Seconds a connection has to join a room before it is closed (1008).
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = seconds)]
    join_timeout: Duration,
    /// Bytes queued for one peer that does not read (beyond the 1 MiB its
    /// WebSocket buffers) before it is cut off with 1008.
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 20)]
    outbox_bytes: usize,
    /// Bytes queued for all peers together; the peer whose message would
    /// pass it is cut off with 1008.
    #[arg(long, value_name = "BYTES", default_value_t = 256 << 20)]
    total_outbox_bytes: usize,
    /// Ping a peer after this many seconds without anything from it (RFC
    /// 6455 §5.5.2).
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = seconds)]
    ping_interval: Duration,
    /// Close a connection (1011) when nothing comes back this many seconds
    /// after the ping: the peer vanished or stopped reading.
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = seconds)]
    ping_timeout: Duration,
    #[command(flatten)]
    limits: ServerLimits,
    #[command(flatten)]
    observe: crate::metrics_endpoint::ObserveArgs,
    #[command(flatten)]
    drain: crate::drain::DrainArgs,
    /// Report joins, leaves, closes and the STUN server's count on stderr.
    #[arg(long, short)]
    verbose: bool,
}

pub(super) fn run(args: ServeArgs) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("rtw signal serve: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rtw signal serve: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: ServeArgs) -> Result<(), Failure> {
    args.observe.log.init();
    let drain = args.drain.on_signal()?;
    let listen = args.listen.ok_or("--listen IP:PORT is required")?;
    let listener = Listener::bind(listen, args.limits.listener_config())
        .await
        .map_err(|e| format!("binding {listen}: {e}"))?;
    let bound = listener.local_addr()?;
    let mut ice_servers = Vec::new();
    let mut side_lines = Vec::new();
    if let Some(addr) = args.stun {
        let stun = beside::stun(addr, args.verbose, &drain).await?;
        side_lines.push(format!("stun listening on {stun}"));
        ice_servers.push(IceServer::new(vec![format!("stun:{stun}")]));
    }
    let rest = |secret: &String| IceCredentials::TurnRest {
        secret: secret.clone(),
        ttl: Duration::from_secs(args.turn_ttl),
    };
    if let (Some(addr), Some(secret)) = (args.turn, &args.turn_secret) {
        let turn = beside::turn(addr, secret, args.turn_allow_loopback_peers, &drain).await?;
        side_lines.push(format!("turn listening on {turn}"));
        ice_servers.push(
            IceServer::new(vec![
                format!("turn:{turn}?transport=udp"),
                format!("turn:{turn}?transport=tcp"),
            ])
            .credentials(rest(secret)),
        );
    }
    for url in &args.ice_server {
        let mut server = IceServer::new(vec![url.clone()]);
        if let (true, Some(secret)) = (url.starts_with("turn"), &args.turn_secret) {
            server = server.credentials(rest(secret));
        }
        ice_servers.push(server);
    }
    let rooms = if args.room.is_empty() {
        Rooms::Open
    } else {
        Rooms::Only(args.room.clone())
    };
    let burst = args.rate.saturating_mul(2);
    let config = Config::default()
        .rooms(rooms)
        .reconnect_grace(args.reconnect_grace)
        .ice_servers(ice_servers)
        .limits(
            Limits::default()
                .max_room_size(args.room_size)
                .max_message_size(args.max_message_size)
                .messages_per_second(args.rate)
                .burst(burst),
        );
    let server = Server::new(config, Box::new(rtw_tokio::OsRandom::new()?));
    let hub = Hub::spawn(
        server,
        HubOptions {
            outbox_bytes: args.outbox_bytes,
            total_bytes: args.total_outbox_bytes,
            join_timeout: args.join_timeout,
            verbose: args.verbose,
        },
    );
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on {bound}")?;
    for line in side_lines {
        writeln!(stdout, "{line}")?;
    }
    stdout.flush()?;
    drop(stdout);
    let counters = ServerMetrics::new("signal");
    if let Some(addr) = args.observe.metrics {
        crate::metrics_endpoint::serve(addr, counters.renderer()).await?;
    }

    let ws_limits = rtw_tokio::ws::Limits::default()
        .max_write_buffer(WS_WRITE_BUFFER)
        .max_message_size(
            u64::try_from(args.max_message_size.saturating_mul(2)).unwrap_or(u64::MAX),
        );
    let mut ws_config = rtw_tokio::ws::Config::default().limits(ws_limits);
    ws_config.ping_interval = Some(args.ping_interval);
    ws_config.ping_timeout = args.ping_timeout;
    let ws_options = Options::with_config(ws_config);
    crate::http_server::serve_tls(
        listener,
        &drain,
        None,
        &args.limits,
        "rtw signal serve",
        args.verbose,
        || {
            let hub = hub.clone();
            let drain = drain.clone();
            let ws_options = ws_options.clone();
            let counters = counters.clone();
            service_fn(move |request: Request<Incoming>| {
                let hub = hub.clone();
                let ws_options = ws_options.clone();
                let counters = counters.clone();
                let drain = drain.clone();
                async move {
                    Ok::<_, Infallible>(route(request, (hub, drain), ws_options, &counters))
                }
            })
        },
    )
    .await;
    args.drain.finish(&drain, "rtw signal serve").await;
    Ok(())
}

/// `/signal`: the WebSocket upgrade; `/`: the demo page; 404 otherwise.
/// A WebSocket session counts in `counters` (accepted, open until it
/// ends; a refused handshake as an error) and holds `drain` until it
/// ends.
fn route(
    mut request: Request<Incoming>,
    (hub, drain): (Hub, Drain),
    options: Options,
    counters: &Arc<ServerMetrics>,
) -> Response<Full<Bytes>> {
    match request.uri().path() {
        "/signal" => {
            let negotiated = match ServerHandshake::new().accept(&request) {
                Ok(negotiated) => negotiated,
                Err(e) => {
                    counters.error();
                    tracing::warn!(error = %e, "WebSocket handshake refused");
                    return plain(e.status(), e.to_string());
                }
            };
            let upgrade = hyper::upgrade::on(&mut request);
            let (parts, ()) = negotiated.response.clone().into_parts();
            let open = counters.accepted();
            let hold = drain.hold();
            tokio::spawn(async move {
                let counters = open.shared();
                let _open = open;
                let _hold = hold;
                let Ok(upgraded) = upgrade.await else { return };
                let io = TokioIo::new(upgraded);
                if let Ok(ws) = WebSocketStream::from_negotiated(io, &negotiated, options) {
                    tracing::debug!("signaling session opened");
                    session::run(ws, hub, drain, counters).await;
                    tracing::debug!("signaling session closed");
                }
            });
            Response::from_parts(parts, Full::default())
        }
        "/" | "/index.html"
            if request.method() == Method::GET || request.method() == Method::HEAD =>
        {
            let mut response = Response::new(Full::from(demo::PAGE));
            let headers = response.headers_mut();
            headers.insert(
                CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        "/" | "/index.html" => plain(StatusCode::METHOD_NOT_ALLOWED, "GET or HEAD".into()),
        _ => plain(
            StatusCode::NOT_FOUND,
            "not found: / is the demo, /signal the WebSocket".into(),
        ),
    }
}

fn plain(status: StatusCode, text: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::from(text));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// The STUN and TURN servers run beside the signaling server.
mod beside {
    use std::net::SocketAddr;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::Duration;

    use super::{Drain, Failure, PeerPolicy, ServerConfig, ServerOptions};

    /// The realm of the TURN server run beside (RFC 8489 §9.2).
    const REALM: &str = "rtw";

    /// Start a Binding server on `addr`; its bound address. With
    /// `verbose`, its count of answered requests goes to stderr each
    /// second it changed. It stops (its socket closed) once `drain`
    /// starts, and holds the drain until then.
    pub(super) async fn stun(
        addr: SocketAddr,
        verbose: bool,
        drain: &Drain,
    ) -> Result<SocketAddr, Failure> {
        let server = rtw_tokio::stun::Server::bind(addr)
            .await
            .map_err(|e| format!("binding STUN {addr}: {e}"))?;
        let bound = server.local_addr()?;
        let answered = Arc::new(AtomicU64::new(0));
        let count = Arc::clone(&answered);
        let hold = drain.hold();
        let stop = drain.draining();
        tokio::spawn(async move {
            let _hold = hold;
            let run = server.run_with(move |exchange| {
                if exchange.reply.is_some() {
                    count.fetch_add(1, Ordering::Relaxed);
                }
            });
            // STUN Binding is stateless (RFC 8489 §6.3.1): nothing to hand
            // over, the socket closes with the server.
            tokio::select! {
                result = run => if let Err(e) = result {
                    eprintln!("rtw signal serve: STUN server: {e}");
                },
                () = stop => {}
            }
        });
        if verbose {
            tokio::spawn(async move {
                let mut last = 0;
                loop {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    let now = answered.load(Ordering::Relaxed);
                    if now != last {
                        eprintln!("stun: {now} binding requests answered");
                        last = now;
                    }
                }
            });
        }
        Ok(bound)
    }

    /// Start a TURN server on `addr` (UDP and TCP) checking TURN REST
    /// credentials made with `secret`; its bound address. Once `drain`
    /// starts it is drained as `rtw turn server` is
    /// ([`rtw_tokio::turn::Server::run_until`]: listeners closed,
    /// allocations released, client connections closed), holding the drain
    /// until it is done.
    pub(super) async fn turn(
        addr: SocketAddr,
        secret: &str,
        allow_loopback_peers: bool,
        drain: &Drain,
    ) -> Result<SocketAddr, Failure> {
        if addr.ip().is_unspecified() {
            return Err(format!(
                "--turn {addr} is unspecified: give the address peers reach the relay at"
            )
            .into());
        }
        let config = ServerConfig::new(REALM.to_owned())
            .auth_secret(secret.as_bytes().to_vec())
            .peers(PeerPolicy::default().allow_loopback(allow_loopback_peers));
        let server = rtw_tokio::turn::Server::bind(ServerOptions::new(config, addr))
            .await
            .map_err(|e| format!("binding TURN {addr}: {e}"))?;
        let bound = server.local_addr();
        let hold = drain.hold();
        let stop = drain.draining();
        tokio::spawn(async move {
            let _hold = hold;
            if let Err(e) = server.run_until(stop).await {
                eprintln!("rtw signal serve: TURN server: {e}");
            }
        });
        Ok(bound)
    }
}
