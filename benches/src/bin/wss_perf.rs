//! `wss_perf`: WebSocket echo over TLS (`wss://`) on loopback, rtw beside
//! tokio-tungstenite with rustls, the same certificate for all, in one run.
//!
//! The run makes a test CA and a certificate for `localhost` and
//! `127.0.0.1` signed by it (rcgen, ECDSA P-256), writes them as PEM into a
//! temporary directory (removed at the end), and measures three pairs, each
//! server a separate process started and stopped here and its client this
//! process:
//!
//! - `rtw`: `rtw ws echo-server --tls-cert --tls-key` (the command, which
//!   flushes once no more input is ready), client `rtw_tokio::ws::connect_any`
//!   trusting the CA (`rtw_tokio::tls::client_config`);
//! - `rtw-lib`: `rtw_tokio::tls::accept` and `rtw_tokio::ws::accept` in this
//!   binary (`wss_perf serve rtw-lib`), one `send` per echo as the peer
//!   does; the same client;
//! - `tokio-tungstenite`: a `tokio_rustls::TlsAcceptor` over a rustls
//!   `ServerConfig` (ring provider) from the same PEM files, then
//!   `tokio_tungstenite::accept_async`, one `send` per echo
//!   (`wss_perf serve tokio-tungstenite`); client
//!   `tokio_tungstenite::client_async` over a `tokio_rustls` client stream
//!   trusting the same CA.
//!
//! permessage-deflate is off (tokio-tungstenite has none; the rtw client
//! does not offer it). Each client prints the TLS version and cipher
//! suite it agreed, so that the rows compare the same TLS work.
//!
//! Each measurement: one connection, untimed warm-up windows, then
//! `windows` windows of `count` binary messages of one size (16 B x 100,
//! 1 KiB x 100, 64 KiB x 4): the client queues the window's messages,
//! flushes, and reads all their echoes back (checked byte for byte). The
//! figures are messages per wall-clock second, per server CPU-second (the
//! sum over the server's threads of `/proc/PID/task/*/schedstat`) and per
//! client CPU-second (the same for this process), over the timed windows.
//! Servers are pinned with `taskset -c` to `--server-cpu` (one tokio
//! worker), this process to `--client-cpu` (a current-thread runtime).
//! `--rounds` repeats alternate between the pairs; the median (by server
//! CPU) is printed, with rtw's ratios to tokio-tungstenite.
//!
//! ```text
//! bash benches/ws-perf --wss            # builds both binaries, runs this
//! target/release/wss_perf --rtw target/release/rtw [--rounds N] [--scale F]
//! ```
//!
//! Linux only (`/proc`, `taskset`). Loopback only, bounded: every wait has
//! a timeout, and every server is killed at the end.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rtw_benches::process::{Failure, Running, cpu_ns, load_average, pin};

use bytes::Bytes;
use futures_util::{Sink, SinkExt, Stream, StreamExt};

/// Which pair of server and client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pair {
    /// `rtw ws echo-server` with TLS, rtw client.
    Rtw,
    /// `rtw_tokio::tls` + `rtw_tokio::ws` in this binary, rtw client.
    RtwLib,
    /// tokio-rustls + tokio-tungstenite at both ends.
    TokioTungstenite,
}

impl Pair {
    const ALL: [Pair; 3] = [Pair::Rtw, Pair::RtwLib, Pair::TokioTungstenite];

    fn name(self) -> &'static str {
        match self {
            Pair::Rtw => "rtw",
            Pair::RtwLib => "rtw-lib",
            Pair::TokioTungstenite => "tokio-tungstenite",
        }
    }
}

/// Command-line settings.
#[derive(Debug, Clone)]
struct Settings {
    rtw: String,
    server_cpu: usize,
    client_cpu: usize,
    rounds: usize,
    scale: f64,
}

const USAGE: &str = "usage: wss_perf [--rtw PATH] [--server-cpu N] [--client-cpu N] \
[--rounds N] [--scale F]\n       wss_perf serve rtw-lib|tokio-tungstenite CERT.pem KEY.pem";

fn parse_args(args: &[String]) -> Result<Settings, String> {
    let mut s = Settings {
        rtw: "target/release/rtw".into(),
        server_cpu: 0,
        client_cpu: 1,
        rounds: 3,
        scale: 1.0,
    };
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || it.next().cloned().ok_or(format!("{flag} needs a value"));
        let number = |v: String| v.parse::<usize>().map_err(|e| format!("{flag} {v}: {e}"));
        match flag.as_str() {
            "--rtw" => s.rtw = value()?,
            "--server-cpu" => s.server_cpu = number(value()?)?,
            "--client-cpu" => s.client_cpu = number(value()?)?,
            "--rounds" => s.rounds = number(value()?)?.max(1),
            "--scale" => {
                let v = value()?;
                s.scale = v.parse::<f64>().map_err(|e| format!("--scale {v}: {e}"))?;
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(s)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("serve") {
        let pair = match args.get(1).map(String::as_str) {
            Some("rtw-lib") => Pair::RtwLib,
            Some("tokio-tungstenite") => Pair::TokioTungstenite,
            _ => {
                eprintln!("{USAGE}");
                return ExitCode::FAILURE;
            }
        };
        let (Some(cert), Some(key)) = (args.get(2), args.get(3)) else {
            eprintln!("{USAGE}");
            return ExitCode::FAILURE;
        };
        return match peer::serve(pair, Path::new(cert), Path::new(key)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("wss_perf serve: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let settings = match parse_args(&args) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("wss_perf: {e}\n{USAGE}");
            return ExitCode::FAILURE;
        }
    };
    let pki = match Pki::make() {
        Ok(pki) => pki,
        Err(e) => {
            eprintln!("wss_perf: the test certificate: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = run(&settings, &pki);
    drop(pki);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("wss_perf: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The test CA and the server's certificate and key, as PEM files in a
/// directory removed on drop.
struct Pki {
    dir: PathBuf,
}

impl Pki {
    fn make() -> Result<Pki, Failure> {
        use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
        let dir = std::env::temp_dir().join(format!("wss_perf-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let pki = Pki { dir };
        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "wss_perf test CA");
        let ca_key = KeyPair::generate()?;
        let ca = ca_params.self_signed(&ca_key)?;
        std::fs::write(pki.ca(), ca.pem())?;
        let issuer = Issuer::new(ca_params, ca_key);
        let key = KeyPair::generate()?;
        let leaf = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])?
            .signed_by(&key, &issuer)?;
        std::fs::write(pki.cert(), leaf.pem())?;
        std::fs::write(pki.key(), key.serialize_pem())?;
        Ok(pki)
    }

    fn ca(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    fn cert(&self) -> PathBuf {
        self.dir.join("cert.pem")
    }

    fn key(&self) -> PathBuf {
        self.dir.join("key.pem")
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One measurement: messages per wall-clock second, per server
/// CPU-second, per client CPU-second.
#[derive(Debug, Clone, Copy)]
struct Figures {
    wall: f64,
    server_cpu: f64,
    client_cpu: f64,
}

fn run(s: &Settings, pki: &Pki) -> Result<(), Failure> {
    if !Path::new(&s.rtw).exists() {
        return Err(format!(
            "{}: no rtw binary (cargo build --release -p rtw-cli)",
            s.rtw
        )
        .into());
    }
    pin(std::process::id(), s.client_cpu)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let clients = client::Configs::new(pki)?;
    println!(
        "wss_perf: servers on CPU {}, client on CPU {}; load average {}",
        s.server_cpu,
        s.client_cpu,
        load_average()
    );
    // TLS as agreed, once per pair.
    for pair in Pair::ALL {
        let running = start(s, pki, pair)?;
        let agreed = runtime.block_on(client::agreed(pair, &clients, running.addr()))?;
        println!("  {:<18} {agreed}", pair.name());
    }
    let mut table = Vec::new();
    for (size, count, windows) in [(16, 100, 300), (1024, 100, 200), (64 * 1024, 4, 500)] {
        let windows = ((windows as f64 * s.scale) as usize).max(1);
        let mut results: Vec<Vec<Figures>> = vec![Vec::new(); Pair::ALL.len()];
        for _ in 0..s.rounds {
            for (i, pair) in Pair::ALL.into_iter().enumerate() {
                let running = start(s, pki, pair)?;
                let figures = runtime.block_on(client::measure(
                    pair, &clients, &running, size, count, windows,
                ))?;
                results[i].push(figures);
            }
        }
        let medians: Vec<Figures> = results
            .iter_mut()
            .map(|r| {
                r.sort_by(|a, b| a.server_cpu.total_cmp(&b.server_cpu));
                r[r.len() / 2]
            })
            .collect();
        table.push((size, count, windows, medians));
    }
    println!(
        "\nwss echo, one connection, median of {} runs (by server CPU); \
         messages per second, per server CPU-second, per client CPU-second",
        s.rounds
    );
    println!(
        "  {:<8} {:<18} {:>10} {:>12} {:>12}   rtw / tokio-tungstenite",
        "size", "pair", "msg/s", "msg/srv-CPU-s", "msg/cli-CPU-s"
    );
    for (size, count, windows, medians) in &table {
        let size_name = match size {
            n if n % 1024 == 0 => format!("{} KiB", n / 1024),
            n => format!("{n} B"),
        };
        let tt = medians[2];
        for (pair, f) in Pair::ALL.iter().zip(medians) {
            let ratio = if *pair == Pair::TokioTungstenite {
                format!("({count} x {size} B windows, {windows} timed)")
            } else {
                format!(
                    "{:.2}x msg/s, {:.2}x server, {:.2}x client",
                    f.wall / tt.wall,
                    f.server_cpu / tt.server_cpu,
                    f.client_cpu / tt.client_cpu
                )
            };
            println!(
                "  {size_name:<8} {:<18} {:>10.0} {:>12.0} {:>12.0}   {ratio}",
                pair.name(),
                f.wall,
                f.server_cpu,
                f.client_cpu
            );
        }
    }
    println!("\nload average at the end: {}", load_average());
    Ok(())
}

/// The server of `pair` on its CPU, once it listens.
fn start(s: &Settings, pki: &Pki, pair: Pair) -> Result<Running, Failure> {
    let cpu = s.server_cpu.to_string();
    let mut command = Command::new("taskset");
    command.args(["-c", &cpu]);
    match pair {
        Pair::Rtw => {
            command.args([s.rtw.as_str(), "ws", "echo-server", "127.0.0.1:0"]);
            command.arg("--tls-cert").arg(pki.cert());
            command.arg("--tls-key").arg(pki.key());
        }
        other => {
            command.arg(std::env::current_exe()?);
            command.args(["serve", other.name()]);
            command.arg(pki.cert()).arg(pki.key());
        }
    }
    Running::spawn(command, pair.name(), IO_TIMEOUT)
}

/// Bounded waits: nothing here waits longer than this.
const IO_TIMEOUT: Duration = Duration::from_secs(20);

/// The clients: rtw's and tokio-tungstenite's, over TLS trusting the CA.
mod client {
    use super::*;

    /// The client TLS configurations, both trusting the test CA.
    pub(super) struct Configs {
        rtw: Arc<rtw_tokio::tls::ClientConfig>,
        rustls: Arc<rustls::ClientConfig>,
    }

    impl Configs {
        pub(super) fn new(pki: &Pki) -> Result<Configs, Failure> {
            use rustls_pki_types::CertificateDer;
            use rustls_pki_types::pem::PemObject;
            let rtw = rtw_tokio::tls::client_config(&rtw_tokio::tls::Trust::ca_only(pki.ca()))?;
            let mut roots = rustls::RootCertStore::empty();
            for certificate in CertificateDer::pem_file_iter(pki.ca())? {
                roots.add(certificate?)?;
            }
            let rustls = rustls::ClientConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
            Ok(Configs {
                rtw,
                rustls: Arc::new(rustls),
            })
        }
    }

    type RtwWs =
        rtw_tokio::ws::WebSocketStream<rtw_tokio::tls::MaybeTlsStream<tokio::net::TcpStream>>;
    type TtWs =
        tokio_tungstenite::WebSocketStream<tokio_rustls::client::TlsStream<tokio::net::TcpStream>>;

    async fn rtw_connect(configs: &Configs, addr: SocketAddr) -> Result<RtwWs, Failure> {
        use rtw_tokio::ws::{ClientOptions, Options};
        let options = ClientOptions::new()
            .tls(configs.rtw.clone())
            .stream_options(Options::default().deflate(None));
        let url = format!("wss://localhost:{}/", addr.port());
        let (ws, _) = rtw_tokio::ws::connect_any(&url, options).await?;
        Ok(ws)
    }

    async fn tt_connect(configs: &Configs, addr: SocketAddr) -> Result<TtWs, Failure> {
        let tcp = tokio::net::TcpStream::connect(addr).await?;
        tcp.set_nodelay(true)?;
        let name = rustls_pki_types::ServerName::try_from("localhost")?;
        let tls = tokio_rustls::TlsConnector::from(configs.rustls.clone())
            .connect(name, tcp)
            .await?;
        let url = format!("wss://localhost:{}/", addr.port());
        let (ws, _) = tokio_tungstenite::client_async(url, tls).await?;
        Ok(ws)
    }

    /// `VERSION, CIPHER SUITE` of a connection.
    fn describe(common: &rustls::CommonState) -> String {
        let version = common
            .protocol_version()
            .map_or_else(|| "no TLS version".to_owned(), |v| format!("{v:?}"));
        let suite = common.negotiated_cipher_suite().map_or_else(
            || "no cipher suite".to_owned(),
            |s| format!("{:?}", s.suite()),
        );
        format!("{version}, {suite}")
    }

    /// The TLS version and cipher suite the pair's client agrees.
    pub(super) async fn agreed(
        pair: Pair,
        configs: &Configs,
        addr: SocketAddr,
    ) -> Result<String, Failure> {
        within(async {
            Ok(match pair {
                Pair::Rtw | Pair::RtwLib => {
                    let ws = rtw_connect(configs, addr).await?;
                    match ws.get_ref() {
                        rtw_tokio::tls::MaybeTlsStream::Tls(tls) => describe(tls.get_ref().1),
                        _ => return Err("no TLS".into()),
                    }
                }
                Pair::TokioTungstenite => {
                    let ws = tt_connect(configs, addr).await?;
                    describe(ws.get_ref().get_ref().1)
                }
            })
        })
        .await
    }

    async fn within<T>(f: impl Future<Output = Result<T, Failure>>) -> Result<T, Failure> {
        tokio::time::timeout(IO_TIMEOUT, f)
            .await
            .map_err(|_| format!("no answer within {IO_TIMEOUT:?}"))?
    }

    /// One measurement of `pair` (see the module docs).
    pub(super) async fn measure(
        pair: Pair,
        configs: &Configs,
        running: &Running,
        size: usize,
        count: usize,
        windows: usize,
    ) -> Result<Figures, Failure> {
        let data = Bytes::from(rtw_benches::payload(size));
        let server = running.pid();
        let client = std::process::id();
        match pair {
            Pair::Rtw | Pair::RtwLib => {
                use rtw_tokio::ws::Message;
                let mut ws = within(rtw_connect(configs, running.addr())).await?;
                let message = Message::Binary(data.clone());
                let same = |m: &Message| match m {
                    Message::Binary(b) => Some(*b == data),
                    Message::Text(_) => Some(false),
                    _ => None,
                };
                timed(&mut ws, &message, same, count, windows, server, client).await
            }
            Pair::TokioTungstenite => {
                use tungstenite::Message;
                let mut ws = within(tt_connect(configs, running.addr())).await?;
                let message = Message::Binary(data.clone());
                let same = |m: &Message| match m {
                    Message::Binary(b) => Some(*b == data),
                    Message::Text(_) | Message::Close(_) => Some(false),
                    _ => None,
                };
                timed(&mut ws, &message, same, count, windows, server, client).await
            }
        }
    }

    /// Untimed warm-up windows, then `windows` timed ones.
    async fn timed<W, M, E, F>(
        ws: &mut W,
        message: &M,
        same: F,
        count: usize,
        windows: usize,
        server: u32,
        client: u32,
    ) -> Result<Figures, Failure>
    where
        W: Sink<M, Error = E> + Stream<Item = Result<M, E>> + Unpin,
        M: Clone,
        E: std::error::Error + Send + Sync + 'static,
        F: Fn(&M) -> Option<bool>,
    {
        for _ in 0..windows.div_ceil(10) {
            within(echo_window(ws, message, &same, count)).await?;
        }
        let (server_before, client_before) = (cpu_ns(server)?, cpu_ns(client)?);
        let started = Instant::now();
        for _ in 0..windows {
            within(echo_window(ws, message, &same, count)).await?;
        }
        let wall = started.elapsed().as_secs_f64();
        let server_cpu = (cpu_ns(server)? - server_before) as f64 / 1e9;
        let client_cpu = (cpu_ns(client)? - client_before) as f64 / 1e9;
        let messages = (count * windows) as f64;
        Ok(Figures {
            wall: messages / wall,
            server_cpu: messages / server_cpu,
            client_cpu: messages / client_cpu,
        })
    }

    /// `count` messages queued and flushed, then their `count` echoes read
    /// and checked (control frames skipped).
    async fn echo_window<W, M, E, F>(
        ws: &mut W,
        message: &M,
        same: &F,
        count: usize,
    ) -> Result<(), Failure>
    where
        W: Sink<M, Error = E> + Stream<Item = Result<M, E>> + Unpin,
        M: Clone,
        E: std::error::Error + Send + Sync + 'static,
        F: Fn(&M) -> Option<bool>,
    {
        for _ in 0..count {
            ws.feed(message.clone()).await?;
        }
        ws.flush().await?;
        let mut echoed = 0;
        while echoed < count {
            let got = ws.next().await.ok_or("the server closed")??;
            match same(&got) {
                Some(true) => echoed += 1,
                Some(false) => return Err("the echo differs from what was sent".into()),
                None => {}
            }
        }
        Ok(())
    }
}

/// The peer servers.
mod peer {
    use super::*;

    pub(super) fn serve(pair: Pair, cert: &Path, key: &Path) -> Result<(), Failure> {
        let config = match pair {
            Pair::TokioTungstenite => rustls_server_config(cert, key)?,
            _ => rtw_tokio::tls::server_config_from_pem(cert, key, rtw_tokio::tls::ALPN_HTTP1)?,
        };
        let acceptor = tokio_rustls::TlsAcceptor::from(config);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            println!("listening on {}", listener.local_addr()?);
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let _ = tcp.set_nodelay(true);
                    match pair {
                        Pair::TokioTungstenite => tokio_tungstenite_echo(&acceptor, tcp).await,
                        _ => rtw_echo(&acceptor, tcp).await,
                    }
                });
            }
        })
    }

    /// A rustls server configuration (ring provider, TLS 1.2 and 1.3) as a
    /// tokio-rustls user writes it, from the same PEM files.
    fn rustls_server_config(cert: &Path, key: &Path) -> Result<Arc<rustls::ServerConfig>, Failure> {
        use rustls_pki_types::pem::PemObject;
        use rustls_pki_types::{CertificateDer, PrivateKeyDer};
        let certificates = CertificateDer::pem_file_iter(cert)?.collect::<Result<Vec<_>, _>>()?;
        let key = PrivateKeyDer::from_pem_file(key)?;
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certificates, key)?;
        Ok(Arc::new(config))
    }

    async fn rtw_echo(acceptor: &tokio_rustls::TlsAcceptor, tcp: tokio::net::TcpStream) {
        use rtw_tokio::ws::Message;
        let Ok(tls) = rtw_tokio::tls::accept(acceptor, tcp, Some(IO_TIMEOUT)).await else {
            return;
        };
        let Ok((mut ws, _)) = rtw_tokio::ws::accept(tls).await else {
            return;
        };
        while let Some(Ok(message)) = ws.next().await {
            if matches!(message, Message::Text(_) | Message::Binary(_))
                && ws.send(message).await.is_err()
            {
                break;
            }
        }
    }

    async fn tokio_tungstenite_echo(
        acceptor: &tokio_rustls::TlsAcceptor,
        tcp: tokio::net::TcpStream,
    ) {
        let Ok(Ok(tls)) = tokio::time::timeout(IO_TIMEOUT, acceptor.accept(tcp)).await else {
            return;
        };
        let Ok(mut ws) = tokio_tungstenite::accept_async(tls).await else {
            return;
        };
        while let Some(Ok(message)) = ws.next().await {
            if (message.is_text() || message.is_binary()) && ws.send(message).await.is_err() {
                break;
            }
        }
    }
}
