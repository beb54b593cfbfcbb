//! `rtw turn server`: a TURN relay, [`rtw_tokio::turn::Server`].

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::time::Duration;

use rtw_tokio::listener::ListenerConfig;
use rtw_tokio::turn::{
    PeerPolicy, Quotas, Server, ServerConfig, ServerEvent, ServerOptions,
    server_tls_config_from_pem,
};

use super::{Failure, user_pass};

/// The TURN-over-TLS port of RFC 8656 §3.1, used with --tls-cert when
/// --tls-listen is not given (port 0 when --listen has port 0).
const TLS_PORT: u16 = 5349;

/// `rtw turn server` arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Address for UDP and TCP clients, one port for both, e.g.
    /// 127.0.0.1:3478 (port 0 picks a free one).
    #[arg(long, value_name = "IP:PORT")]
    listen: SocketAddr,
    /// The REALM of the long-term credentials (RFC 8489 §9.2).
    #[arg(long, value_name = "REALM")]
    realm: String,
    /// A user allowed to allocate, as USER:PASS; repeat for more.
    #[arg(long, value_name = "USER:PASS", value_parser = user_pass)]
    user: Vec<(String, String)>,
    /// The TURN REST API secret (coturn's use-auth-secret): username
    /// `EXPIRY:NAME` with EXPIRY in Unix seconds, password
    /// base64(HMAC-SHA1(SECRET, username)). Expiry is checked on every
    /// request, refreshes included.
    #[arg(long, value_name = "SECRET")]
    auth_secret: Option<String>,
    /// The IP relayed addresses are bound on, one per address family
    /// (repeat for IPv4 and IPv6). Default: the --listen IP, which must
    /// then not be unspecified (0.0.0.0, ::).
    #[arg(long, value_name = "IP")]
    relay_ip: Vec<IpAddr>,
    /// The port range of relayed addresses.
    #[arg(long, value_name = "LOW-HIGH", default_value = "49152-65535", value_parser = port_range)]
    relay_ports: RangeInclusive<u16>,
    /// Relay to and from loopback peers (127.0.0.0/8, ::1): for tests on
    /// one machine. Refused with 403 otherwise.
    #[arg(long)]
    allow_loopback_peers: bool,
    /// Accept the ChannelBind numbers of RFC 5766 (0x4000-0x7FFF), which
    /// some clients still pick from (coturn's turnutils_uclient). Without
    /// it, RFC 8656 §12's range 0x4000-0x4FFF only; others get 400.
    #[arg(long)]
    rfc5766_channels: bool,
    /// Relay to and from private peers (10/8, 172.16/12, 192.168/16,
    /// 100.64/10, fc00::/7). Refused with 403 otherwise.
    #[arg(long)]
    allow_private_peers: bool,
    /// A peer IP always allowed (except unspecified and multicast ones);
    /// repeat for more.
    #[arg(long, value_name = "IP")]
    allow_peer: Vec<IpAddr>,
    /// A peer IP always refused; repeat for more.
    #[arg(long, value_name = "IP")]
    deny_peer: Vec<IpAddr>,
    /// The certificate chain (PEM) of the TLS listener; with --tls-key.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The private key (PEM: PKCS#8, PKCS#1 or SEC1) of the TLS listener;
    /// with --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Address of the TLS listener. Default: the --listen IP with port
    /// 5349 (RFC 8656 §3.1), or port 0 (a free one) when --listen has
    /// port 0.
    #[arg(long, value_name = "IP:PORT", requires = "tls_cert")]
    tls_listen: Option<SocketAddr>,
    /// Bytes per second one allocation may relay, both directions
    /// together; packets beyond are dropped.
    #[arg(
        long,
        value_name = "BYTES",
        default_value_t = 10_000_000,
        conflicts_with = "no_bandwidth_cap"
    )]
    bandwidth: u64,
    /// No bandwidth cap per allocation (for load tests).
    #[arg(long)]
    no_bandwidth_cap: bool,
    /// UDP requests per second one source address may send from a
    /// 5-tuple without an allocation (unauthenticated requests, Allocates,
    /// Bindings, bad MESSAGE-INTEGRITY), a second's worth as the burst;
    /// beyond, they are dropped unanswered before any HMAC (RFC 8656 §21).
    /// Clients with an allocation are not counted. 0: no limit (for load
    /// tests from one address).
    #[arg(long, value_name = "N", default_value_t = 100)]
    unauth_rate: u32,
    /// Allocations held at once; more get 508 Insufficient Capacity.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    max_allocations: usize,
    /// Allocations one username may hold at once; more get 486
    /// Allocation Quota Reached. The default is above the library's (10)
    /// because test clients such as coturn's turnutils_uclient take two
    /// allocations per client and leave failed ones to expire.
    #[arg(long, value_name = "N", default_value_t = 100)]
    allocations_per_user: usize,
    /// TCP (and, separately, TLS) connections open at once; more are
    /// closed at once. Lowered to fit the file descriptor limit.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    max_connections: usize,
    /// TCP (and TLS) connections open at once from one client address
    /// (IPv6: one /64).
    #[arg(long, value_name = "N", default_value_t = 1_000)]
    max_connections_per_ip: usize,
    /// The longest allocation lifetime granted, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 3600)]
    max_lifetime: u64,
    /// The timeouts of TCP and TLS connections (boxed: `rtw turn`'s
    /// subcommands stay close in size).
    #[command(flatten)]
    timeouts: Box<Timeouts>,
    /// Report the server's events on stderr: allocations created and
    /// deleted, relayed addresses opened and closed, connections closed.
    #[arg(long, short)]
    verbose: bool,
    /// Print the server's counters (allocations, permissions, channels,
    /// packets relayed and dropped) on stderr every SECS seconds.
    #[arg(long, value_name = "SECS")]
    stats_interval: Option<u64>,
    // Boxed: `rtw turn`'s subcommands stay close in size (clippy).
    #[command(flatten)]
    observe: Box<crate::metrics_endpoint::ObserveArgs>,
}

/// `--idle-timeout`, `--frame-timeout`, `--drain-timeout`,
/// `--tcp-keepalive`, `--tcp-user-timeout`.
#[derive(Debug, clap::Args)]
struct Timeouts {
    /// Seconds a TCP or TLS connection that holds no allocation may send
    /// nothing before it is closed (one with an allocation lives as long
    /// as the allocation). Fractions allowed.
    #[arg(long, value_name = "SECS", default_value = "60", value_parser = crate::serve_limits::seconds)]
    idle_timeout: Duration,
    /// Seconds a STUN message or ChannelData frame may take to arrive
    /// whole on a TCP or TLS connection once it began (a header sent a
    /// byte at a time), and the TLS handshake may take; then the
    /// connection is closed. Fractions allowed.
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = crate::serve_limits::seconds)]
    frame_timeout: Duration,
    // On SIGTERM or SIGINT the allocations are released at once (here to
    // keep `rtw turn`'s subcommands close in size).
    #[command(flatten)]
    drain: crate::drain::DrainArgs,
    /// TCP and TLS connections: a client that vanished (its allocation
    /// with it) is dropped by these.
    #[command(flatten)]
    tcp: crate::serve_limits::TcpTimers,
}

/// `LOW-HIGH` with LOW <= HIGH.
fn port_range(arg: &str) -> Result<RangeInclusive<u16>, String> {
    let (low, high) = arg
        .split_once('-')
        .ok_or_else(|| format!("{arg:?} is not LOW-HIGH"))?;
    let port = |p: &str| {
        p.trim()
            .parse::<u16>()
            .map_err(|_| format!("{p:?} is not a port"))
    };
    let (low, high) = (port(low)?, port(high)?);
    if low == 0 || low > high {
        return Err(format!("{arg:?}: need 1 <= LOW <= HIGH"));
    }
    Ok(low..=high)
}

/// Build the server, print its addresses, and serve until SIGTERM or
/// SIGINT (then allocations are released and it returns).
pub(super) fn run(args: Args) -> Result<(), Failure> {
    // One thread: the server's state is one task; socket tasks are light.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(serve(args))
}

async fn serve(args: Args) -> Result<(), Failure> {
    args.observe.log.init();
    let options = options(&args)?;
    let drain = args.timeouts.drain.on_signal()?;
    let mut server = Server::bind(options).await?;
    if args.verbose {
        let mut events = server.events(1024);
        tokio::spawn(async move {
            while let Some(event) = events.recv().await {
                eprintln!("{}", describe(&event));
            }
        });
    }
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on {}", server.local_addr())?;
    if let Some(tls) = server.tls_local_addr() {
        writeln!(stdout, "tls listening on {tls}")?;
    }
    stdout.flush()?;
    drop(stdout);
    if let Some(addr) = args.observe.metrics {
        let render = crate::metrics_endpoint::turn_server(server.stats());
        crate::metrics_endpoint::serve(addr, render).await?;
    }
    if let Some(secs) = args.stats_interval {
        crate::stats::print_every(secs, server.stats(), |s| {
            format!(
                "allocations {} permissions {} channels {} to-peers {} to-clients {} \
                 dropped: no-permission {} bandwidth {} forbidden-peer {} rate-limited {}; \
                 error responses {}",
                s.allocations,
                s.permissions,
                s.channels,
                s.relayed_to_peers,
                s.relayed_to_clients,
                s.dropped_no_permission,
                s.dropped_bandwidth,
                s.dropped_forbidden_peer,
                s.dropped_rate_limited,
                s.error_responses
            )
        });
    }
    // On SIGTERM or SIGINT: listeners closed, allocations released,
    // client connections closed.
    server.run_until(drain.draining()).await?;
    args.timeouts.drain.finish(&drain, "rtw turn server").await;
    Ok(())
}

/// One line for an event of the server.
fn describe(event: &ServerEvent) -> String {
    match event {
        ServerEvent::AllocationCreated {
            five_tuple,
            relayed,
            username,
            lifetime,
        } => format!(
            "allocated {relayed} for {username:?} ({:?} {}), {} s",
            five_tuple.transport,
            five_tuple.client,
            lifetime.as_secs()
        ),
        ServerEvent::AllocationDeleted {
            five_tuple,
            relayed,
            reason,
        } => format!(
            "deleted {relayed} of {:?} {}: {reason:?}",
            five_tuple.transport, five_tuple.client
        ),
        other => format!("{other:?}"),
    }
}

/// The server's options from the command line.
fn options(args: &Args) -> Result<ServerOptions, Failure> {
    if args.relay_ip.is_empty() && args.listen.ip().is_unspecified() {
        return Err(format!(
            "--listen {} is unspecified: give --relay-ip, the address peers reach relayed \
             addresses at",
            args.listen
        )
        .into());
    }
    let mut config = ServerConfig::new(args.realm.clone())
        .peers(
            PeerPolicy::default()
                .allow_loopback(args.allow_loopback_peers)
                .allow_private(args.allow_private_peers)
                .allow(args.allow_peer.clone())
                .deny(args.deny_peer.clone()),
        )
        .quotas(
            Quotas::default()
                .allocations(args.max_allocations)
                .allocations_per_user(args.allocations_per_user)
                .bandwidth((!args.no_bandwidth_cap).then_some(args.bandwidth))
                .unauthenticated_rate(u64::from(args.unauth_rate)),
        )
        .max_lifetime(Duration::from_secs(args.max_lifetime))
        .rfc5766_channels(args.rfc5766_channels);
    for (user, pass) in &args.user {
        config = config.user(user.clone(), pass.clone());
    }
    if let Some(secret) = &args.auth_secret {
        config = config.auth_secret(secret.as_bytes().to_vec());
    }
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => {
            let listen = args.tls_listen.unwrap_or_else(|| {
                let port = if args.listen.port() == 0 { 0 } else { TLS_PORT };
                SocketAddr::new(args.listen.ip(), port)
            });
            Some((listen, server_tls_config_from_pem(cert, key)?))
        }
        _ => None,
    };
    Ok(ServerOptions::new(config, args.listen)
        .relay_ips(args.relay_ip.clone())
        .relay_ports(args.relay_ports.clone())
        .tls(tls)
        .idle_timeout(args.timeouts.idle_timeout)
        .frame_timeout(args.timeouts.frame_timeout)
        .tls_handshake_timeout(args.timeouts.frame_timeout)
        .listener(
            args.timeouts.tcp.apply(
                ListenerConfig::default()
                    .busy_response(Vec::new())
                    .max_connections(args.max_connections)
                    .max_connections_per_ip(args.max_connections_per_ip),
            ),
        ))
}

#[cfg(test)]
mod tests {
    use super::port_range;

    #[test]
    fn port_ranges_are_low_dash_high() {
        assert_eq!(port_range("49152-65535"), Ok(49152..=65535));
        assert_eq!(port_range("5000-5000"), Ok(5000..=5000));
        assert!(port_range("6000-5000").is_err());
        assert!(port_range("0-10").is_err());
        assert!(port_range("5000").is_err());
        assert!(port_range("a-b").is_err());
    }
}
