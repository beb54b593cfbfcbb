//! `rtw stomp broker`: [`rtw_tokio::stomp::BrokerServer`].

use std::io::Write;
use std::net::SocketAddr;

use rtw_tokio::listener::ListenerConfig;
use rtw_tokio::stomp::{BrokerConfig, BrokerLimits, BrokerOptions, BrokerServer, HeartBeat};

use super::Failure;

/// `rtw stomp broker` arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct BrokerArgs {
    /// STOMP over TCP on this address (port 0 picks a free one).
    #[arg(long, value_name = "IP:PORT", required_unless_present = "ws")]
    tcp: Option<SocketAddr>,
    /// STOMP over WebSocket on this address (any path; subprotocols
    /// v12.stomp, v11.stomp, v10.stomp).
    #[arg(long, value_name = "IP:PORT")]
    ws: Option<SocketAddr>,
    /// A user allowed to connect, as LOGIN:PASSCODE; repeat for more.
    /// Without any, every client is let in.
    #[arg(long, value_name = "LOGIN:PASSCODE", value_parser = login_passcode)]
    user: Vec<(String, String)>,
    /// The heart-beats the broker offers, as STOMP writes them:
    /// `CX,CY` in milliseconds (it can send every CX, wants to hear every
    /// CY; 0 for none).
    #[arg(long, value_name = "CX,CY", default_value = "10000,10000")]
    heart_beat: String,
    /// Subscriptions one connection may hold.
    #[arg(long, value_name = "N")]
    max_subscriptions: Option<usize>,
    /// Messages one subscription may hold unacknowledged.
    #[arg(long, value_name = "N")]
    max_unacked: Option<usize>,
    /// Bytes queued for one connection that does not read before it gets
    /// ERROR and is closed.
    #[arg(long, value_name = "BYTES")]
    max_unsent_bytes: Option<usize>,
    /// Connections open at once on each listener; more get a STOMP ERROR
    /// frame (TCP) or 503 Service Unavailable (WebSocket) and are closed.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    max_connections: usize,
    /// Connections open at once from one client address (IPv6: one /64);
    /// more are refused as over --max-connections.
    #[arg(long, value_name = "N", default_value_t = 1_000)]
    max_connections_per_ip: usize,
    /// Print the broker's counters on stderr every SECS seconds.
    #[arg(long, value_name = "SECS")]
    stats_interval: Option<u64>,
    /// TLS on both listeners (`stomps://` on --tcp, `wss://` on --ws).
    #[command(flatten)]
    tls: crate::http_server::TlsArgs,
    #[command(flatten)]
    observe: crate::metrics_endpoint::ObserveArgs,
    #[command(flatten)]
    drain: crate::drain::DrainArgs,
    #[command(flatten)]
    tcp_timers: crate::serve_limits::TcpTimers,
}

fn login_passcode(arg: &str) -> Result<(String, String), String> {
    let (login, passcode) = arg
        .split_once(':')
        .ok_or_else(|| format!("{arg:?} is not LOGIN:PASSCODE"))?;
    Ok((login.to_owned(), passcode.to_owned()))
}

pub(super) async fn run(args: BrokerArgs) -> Result<(), Failure> {
    args.observe.log.init();
    let drain = args.drain.on_signal()?;
    let heart_beat = HeartBeat::parse(&args.heart_beat)
        .map_err(|e| format!("--heart-beat {:?}: {e}", args.heart_beat))?;
    let mut limits = BrokerLimits::default();
    if let Some(n) = args.max_subscriptions {
        limits = limits.max_subscriptions(n);
    }
    if let Some(n) = args.max_unacked {
        limits = limits.max_unacked(n);
    }
    if let Some(n) = args.max_unsent_bytes {
        limits = limits.max_unsent_bytes(n);
    }
    let config = BrokerConfig::default()
        .heart_beat(heart_beat)
        .users(args.user.clone())
        .limits(limits);
    // ALPN http/1.1 only matters to WebSocket clients; a STOMP client over
    // TLS sends no ALPN, and rustls then agrees to none.
    let tls = args.tls.config(rtw_tokio::tls::ALPN_HTTP1)?;
    let options = BrokerOptions::new(config)
        .tls(tls)
        .tcp(args.tcp)
        .ws(args.ws)
        .drain(drain.clone())
        .listener(
            args.tcp_timers.apply(
                ListenerConfig::default()
                    .max_connections(args.max_connections)
                    .max_connections_per_ip(args.max_connections_per_ip),
            ),
        );
    let server = BrokerServer::bind(options).await?;
    let mut stdout = std::io::stdout().lock();
    if let Some(tcp) = server.tcp_addr() {
        writeln!(stdout, "listening on {tcp}")?;
    }
    if let Some(ws) = server.ws_addr() {
        if server.tcp_addr().is_some() {
            writeln!(stdout, "ws listening on {ws}")?;
        } else {
            writeln!(stdout, "listening on {ws}")?;
        }
    }
    stdout.flush()?;
    drop(stdout);
    if let Some(addr) = args.observe.metrics {
        let render = crate::metrics_endpoint::stomp_broker(server.stats());
        crate::metrics_endpoint::serve(addr, render).await?;
    }
    if let Some(secs) = args.stats_interval {
        crate::stats::print_every(secs, server.stats(), |s| {
            format!(
                "connections {} subscriptions {} received {} delivered {} requeued {} dropped {} errors {} slow {}",
                s.connections,
                s.subscriptions,
                s.messages_received,
                s.messages_delivered,
                s.messages_requeued,
                s.messages_dropped,
                s.errors,
                s.slow_consumers
            )
        });
    }
    server.run().await?;
    args.drain.finish(&drain, "rtw stomp broker").await;
    Ok(())
}
