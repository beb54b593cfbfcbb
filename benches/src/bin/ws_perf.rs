//! `ws_perf`: WebSocket echo servers measured over loopback TCP, in one run:
//! `rtw ws echo-server` beside an echo server on fastwebsockets and one on
//! tokio-tungstenite (both built into this binary: `ws_perf serve NAME`).
//!
//! Two measurements, each server a separate process started and stopped
//! here, the same client (this process, plain blocking sockets, frames
//! built by hand) for all:
//!
//! 1. Memory per open connection: a warm-up connection echoes once and
//!    closes; the server's `VmRSS` (`/proc/PID/status`) is the baseline.
//!    Then `--connections` (5,000) clients each complete the opening
//!    handshake and echo one 1 KiB binary message, and all stay open and
//!    idle; after a pause the growth of `VmRSS` divided by the connections
//!    is the figure (KiB per connection).
//! 2. Echo throughput as messages per server CPU-second: one connection
//!    sends a window of messages (100 x 20 B, then 50 x 16 KiB), reads all
//!    their echoes back (checked byte for byte), and repeats. The server's
//!    CPU time is the sum over its threads of `/proc/PID/task/*/schedstat`
//!    (nanoseconds on CPU) across the timed windows, so the figure does not
//!    depend on how busy the machine is, only on the work per message.
//!    Each server is pinned with `taskset -c` to `--server-cpu` (one tokio
//!    worker thread each), this client to `--client-cpu`. `--rounds`
//!    repeats alternate between the servers; the median is printed.
//!
//! The peer servers do the opening handshake (RFC 6455 §4.2) by hand, then
//! hand the socket to their library (`WebSocket::after_handshake` in a
//! `FragmentCollector`, `WebSocketStream::from_raw_socket`) and echo text
//! and binary messages as each library's examples do: read a message,
//! write it back. All sockets set `TCP_NODELAY`, as rtw's listener does.
//! `rtw ws echo-server` feeds each echo and flushes once no more input is
//! ready, so the echoes of a window go out in one vectored write
//! (`crates/cli/src/ws/echo.rs`); fastwebsockets' `write_frame` writes each
//! frame at once, and the tokio-tungstenite peer sends (and so flushes)
//! each one, as its examples do. `rtw-send` is `rtw_tokio::ws` served
//! that way too (`WebSocketStream::send` per echo, this binary's
//! handshake): the library's cost beside the peers' with the same writes. The duplex echo bench
//! (`benches/benches/ws.rs`) compares the libraries with the same
//! one-write-per-message server at every end.
//!
//! Run it with `bash benches/ws-perf` (builds the release binaries and also
//! runs the duplex echo criterion bench), or:
//!
//! ```text
//! cargo build --release -p rtw-cli -p rtw-benches --bin rtw --bin ws_perf
//! target/release/ws_perf --rtw target/release/rtw
//! ```
//!
//! Linux only (`/proc`, `taskset`). Loopback only, bounded: every read and
//! write has a timeout, and every server is killed at the end.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, ExitCode};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rtw_benches::process::{Failure, Running, cpu_ns, load_average, pin, rss_kib};

/// Which server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Server {
    /// `rtw ws echo-server`.
    Rtw,
    Fastwebsockets,
    TokioTungstenite,
    /// `rtw_tokio::ws` serving as the peers do: one `send` (a write) per
    /// echo, for the library's own cost beside theirs.
    RtwSend,
}

impl Server {
    const ALL: [Server; 4] = [
        Server::Rtw,
        Server::Fastwebsockets,
        Server::TokioTungstenite,
        Server::RtwSend,
    ];

    fn name(self) -> &'static str {
        match self {
            Server::Rtw => "rtw",
            Server::Fastwebsockets => "fastwebsockets",
            Server::TokioTungstenite => "tokio-tungstenite",
            Server::RtwSend => "rtw-send",
        }
    }
}

/// Command-line settings.
#[derive(Debug, Clone)]
struct Settings {
    rtw: String,
    connections: usize,
    server_cpu: usize,
    client_cpu: usize,
    rounds: usize,
    memory: bool,
    throughput: bool,
    /// Scales the number of windows of the throughput runs.
    scale: f64,
}

const USAGE: &str = "usage: ws_perf [--rtw PATH] [--connections N] [--server-cpu N] \
[--client-cpu N] [--rounds N] [--scale F] [--only memory|throughput]\n       \
ws_perf serve fastwebsockets|tokio-tungstenite";

fn parse_args(args: &[String]) -> Result<Settings, String> {
    let mut s = Settings {
        rtw: "target/release/rtw".into(),
        connections: 5_000,
        server_cpu: 0,
        client_cpu: 1,
        rounds: 3,
        memory: true,
        throughput: true,
        scale: 1.0,
    };
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || it.next().cloned().ok_or(format!("{flag} needs a value"));
        let number = |v: String| v.parse::<usize>().map_err(|e| format!("{flag} {v}: {e}"));
        match flag.as_str() {
            "--rtw" => s.rtw = value()?,
            "--connections" => s.connections = number(value()?)?.max(1),
            "--server-cpu" => s.server_cpu = number(value()?)?,
            "--client-cpu" => s.client_cpu = number(value()?)?,
            "--rounds" => s.rounds = number(value()?)?.max(1),
            "--scale" => {
                let v = value()?;
                s.scale = v.parse::<f64>().map_err(|e| format!("--scale {v}: {e}"))?;
            }
            "--only" => match value()?.as_str() {
                "memory" => s.throughput = false,
                "throughput" => s.memory = false,
                other => return Err(format!("--only {other}: memory or throughput")),
            },
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(s)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("serve") {
        return match args.get(1).map(String::as_str) {
            Some("fastwebsockets") => peer::serve(Server::Fastwebsockets),
            Some("tokio-tungstenite") => peer::serve(Server::TokioTungstenite),
            Some("rtw-send") => peer::serve(Server::RtwSend),
            _ => {
                eprintln!("{USAGE}");
                ExitCode::FAILURE
            }
        };
    }
    let settings = match parse_args(&args) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("ws_perf: {e}\n{USAGE}");
            return ExitCode::FAILURE;
        }
    };
    match run(&settings) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ws_perf: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(s: &Settings) -> Result<(), Failure> {
    if !std::path::Path::new(&s.rtw).exists() {
        return Err(format!(
            "{}: no rtw binary (cargo build --release -p rtw-cli)",
            s.rtw
        )
        .into());
    }
    raise_nofile(2 * s.connections as u64 + 256)?;
    pin(std::process::id(), s.client_cpu)?;
    println!(
        "ws_perf: servers on CPU {}, client on CPU {}; load average {}",
        s.server_cpu,
        s.client_cpu,
        load_average()
    );
    if s.memory {
        println!(
            "\nmemory per idle connection: {} connections, one 1 KiB echo each, \
             server VmRSS growth / connections",
            s.connections
        );
        let mut figures = Vec::new();
        for server in Server::ALL {
            let per = memory(s, server)?;
            println!("  {:<18} {per:7.1} KiB", server.name());
            figures.push(per);
        }
        println!(
            "  rtw / fastwebsockets {:.2}x, rtw / tokio-tungstenite {:.2}x, \
             rtw-send / fastwebsockets {:.2}x (lower is better)",
            figures[0] / figures[1],
            figures[0] / figures[2],
            figures[3] / figures[1]
        );
    }
    if s.throughput {
        for (size, window, windows) in [(20, 100, 3_000), (16 * 1024, 50, 600)] {
            let windows = ((windows as f64 * s.scale) as usize).max(1);
            println!(
                "\necho throughput, {window} x {size} B per window, {} messages per run, \
                 median of {} runs: messages per server CPU-second (wall-clock messages/s)",
                window * windows,
                s.rounds
            );
            let mut results: Vec<Vec<(f64, f64)>> = vec![Vec::new(); Server::ALL.len()];
            for _ in 0..s.rounds {
                for (i, server) in Server::ALL.into_iter().enumerate() {
                    results[i].push(throughput(s, server, size, window, windows)?);
                }
            }
            let medians: Vec<(f64, f64)> = results
                .iter_mut()
                .map(|r| {
                    r.sort_by(|a, b| a.0.total_cmp(&b.0));
                    r[r.len() / 2]
                })
                .collect();
            for (server, (per_cpu, per_wall)) in Server::ALL.iter().zip(&medians) {
                println!(
                    "  {:<18} {per_cpu:10.0} /CPU-s  ({per_wall:.0}/s)",
                    server.name()
                );
            }
            println!(
                "  rtw / fastwebsockets {:.2}x, rtw / tokio-tungstenite {:.2}x, \
                 rtw-send / fastwebsockets {:.2}x (higher is better)",
                medians[0].0 / medians[1].0,
                medians[0].0 / medians[2].0,
                medians[3].0 / medians[1].0
            );
        }
    }
    println!("\nload average at the end: {}", load_average());
    Ok(())
}

/// The raised descriptor limit, for both ends.
fn raise_nofile(want: u64) -> Result<(), Failure> {
    let got = rlimit::increase_nofile_limit(want)?;
    if got < want {
        return Err(format!("RLIMIT_NOFILE is {got}, {want} needed").into());
    }
    Ok(())
}

/// The server `server` on its CPU, once it listens.
fn start(s: &Settings, server: Server) -> Result<Running, Failure> {
    let cpu = s.server_cpu.to_string();
    let mut command = Command::new("taskset");
    command.args(["-c", &cpu]);
    match server {
        Server::Rtw => {
            let cap = (2 * s.connections + 100).to_string();
            command.args([
                s.rtw.as_str(),
                "ws",
                "echo-server",
                "127.0.0.1:0",
                "--max-connections",
                &cap,
                "--max-connections-per-ip",
                &cap,
            ]);
        }
        other => {
            command.arg(std::env::current_exe()?);
            command.args(["serve", other.name()]);
        }
    }
    Running::spawn(command, server.name(), IO_TIMEOUT)
}

/// Bounded I/O: nothing here waits longer than this.
const IO_TIMEOUT: Duration = Duration::from_secs(20);

/// A client connection after the opening handshake.
fn connect(addr: SocketAddr) -> Result<TcpStream, Failure> {
    let mut tcp = TcpStream::connect_timeout(&addr, IO_TIMEOUT)?;
    tcp.set_nodelay(true)?;
    tcp.set_read_timeout(Some(IO_TIMEOUT))?;
    tcp.set_write_timeout(Some(IO_TIMEOUT))?;
    write!(
        tcp,
        "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )?;
    // Read the response head byte by byte: nothing past it is consumed.
    let mut head = Vec::new();
    let mut byte = [0u8];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 4096 || tcp.read(&mut byte)? == 0 {
            return Err(format!(
                "bad handshake response {:?}",
                String::from_utf8_lossy(&head)
            )
            .into());
        }
        head.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&head);
    // RFC 6455 §1.3: the accept value for the RFC's sample key.
    if !text.starts_with("HTTP/1.1 101") || !text.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") {
        return Err(format!("bad handshake response {text:?}").into());
    }
    Ok(tcp)
}

/// An unmasked binary frame as a server sends it (RFC 6455 §5.2).
fn server_frame(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x82];
    match data.len() {
        n @ 0..=125 => out.push(n as u8),
        n @ 126..=0xFFFF => {
            out.push(126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(data);
    out
}

/// `count` masked binary frames of `data` (what we send) and the unmasked
/// frames the server echoes (what we expect).
fn window(data: &[u8], count: usize) -> (Vec<u8>, Vec<u8>) {
    let (mut wire, mut echo) = (Vec::new(), Vec::new());
    for i in 0..count {
        let key = (0x9E37_79B9u32.wrapping_mul(i as u32 + 1)).to_le_bytes();
        rtw_benches::ws::push_masked_binary(&mut wire, data, key);
        echo.extend_from_slice(&server_frame(data));
    }
    (wire, echo)
}

/// One echo of `wire` over `tcp`, checked against `echo`.
fn echo_once(tcp: &mut TcpStream, wire: &[u8], echo: &[u8]) -> Result<(), Failure> {
    tcp.write_all(wire)?;
    let mut got = vec![0u8; echo.len()];
    tcp.read_exact(&mut got)?;
    if got != echo {
        return Err("the echo differs from what was sent".into());
    }
    Ok(())
}

/// (1) KiB of server memory per idle connection.
fn memory(s: &Settings, server: Server) -> Result<f64, Failure> {
    let running = start(s, server)?;
    let data = rtw_benches::payload(1024);
    let (wire, echo) = window(&data, 1);
    // Warm-up: the first connection sets up what every later one shares.
    echo_once(&mut connect(running.addr())?, &wire, &echo)?;
    std::thread::sleep(Duration::from_millis(300));
    let base = rss_kib(running.pid())?;
    let mut open = Vec::with_capacity(s.connections);
    for _ in 0..s.connections {
        let mut tcp = connect(running.addr())?;
        echo_once(&mut tcp, &wire, &echo)?;
        open.push(tcp);
    }
    std::thread::sleep(Duration::from_millis(1_000));
    let held = rss_kib(running.pid())?;
    drop(open);
    Ok(held.saturating_sub(base) as f64 / s.connections as f64)
}

/// (2) Messages per server CPU-second and per wall-clock second.
fn throughput(
    s: &Settings,
    server: Server,
    size: usize,
    count: usize,
    windows: usize,
) -> Result<(f64, f64), Failure> {
    let running = start(s, server)?;
    let data = rtw_benches::payload(size);
    let (wire, echo) = window(&data, count);
    let mut tcp = connect(running.addr())?;
    // Untimed warm-up windows.
    for _ in 0..windows.div_ceil(10) {
        echo_once(&mut tcp, &wire, &echo)?;
    }
    // A reader thread, so that neither end blocks on a full socket while
    // the other waits for it: it reads each window's echoes, checks them,
    // and tells the writer to send the next window.
    let mut reader = tcp.try_clone()?;
    let (done_tx, done_rx) = mpsc::sync_channel::<Result<(), String>>(1);
    let expected = echo.clone();
    let cpu_before = cpu_ns(running.pid())?;
    let started = Instant::now();
    let reading = std::thread::spawn(move || {
        let mut got = vec![0u8; expected.len()];
        for _ in 0..windows {
            let result = match reader.read_exact(&mut got) {
                Ok(()) if got == expected => Ok(()),
                Ok(()) => Err("the echo differs from what was sent".to_string()),
                Err(e) => Err(e.to_string()),
            };
            let failed = result.is_err();
            if done_tx.send(result).is_err() || failed {
                return;
            }
        }
    });
    for _ in 0..windows {
        tcp.write_all(&wire)?;
        done_rx
            .recv_timeout(IO_TIMEOUT)
            .map_err(|e| format!("{}: no echo: {e}", server.name()))??;
    }
    let wall = started.elapsed().as_secs_f64();
    let cpu = (cpu_ns(running.pid())? - cpu_before) as f64 / 1e9;
    let _ = reading.join();
    let messages = (count * windows) as f64;
    Ok((messages / cpu, messages / wall))
}

/// The peer servers.
mod peer {
    use std::process::ExitCode;

    use futures_util::{SinkExt, StreamExt};
    use sha1::{Digest, Sha1};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    use super::Server;

    pub(super) fn serve(server: Server) -> ExitCode {
        if let Err(e) = rlimit::increase_nofile_limit(u64::MAX) {
            eprintln!("ws_perf serve: RLIMIT_NOFILE: {e}");
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("tokio runtime");
        runtime.block_on(async move {
            let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
            println!("listening on {}", listener.local_addr().expect("address"));
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                tokio::spawn(async move {
                    let _ = tcp.set_nodelay(true);
                    let Some(tcp) = handshake(tcp).await else {
                        return;
                    };
                    match server {
                        Server::Fastwebsockets => fastwebsockets_echo(tcp).await,
                        Server::RtwSend => rtw_send_echo(tcp).await,
                        _ => tokio_tungstenite_echo(tcp).await,
                    }
                });
            }
        })
    }

    /// The server's opening handshake (RFC 6455 §4.2), minimal: find the
    /// key, answer 101. `None` when the request is not one (or the client
    /// sent frames before the answer, which our client never does).
    async fn handshake(mut tcp: TcpStream) -> Option<TcpStream> {
        let mut head = Vec::with_capacity(512);
        while !head.ends_with(b"\r\n\r\n") {
            if head.len() > 8192 {
                return None;
            }
            let mut byte = [0u8];
            if tcp.read(&mut byte).await.ok()? == 0 {
                return None;
            }
            head.push(byte[0]);
        }
        let text = std::str::from_utf8(&head).ok()?;
        let key = text.lines().find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("sec-websocket-key")
                .then(|| value.trim())
        })?;
        let mut sha = Sha1::new();
        sha.update(key.as_bytes());
        sha.update(b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
        let accept = base64(&sha.finalize());
        let response = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
             Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
        );
        tcp.write_all(response.as_bytes()).await.ok()?;
        Some(tcp)
    }

    /// Standard base64 with padding (RFC 4648 §4).
    fn base64(bytes: &[u8]) -> String {
        const ALPHABET: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    async fn fastwebsockets_echo(tcp: TcpStream) {
        use fastwebsockets::{FragmentCollector, OpCode, Role, WebSocket};
        let mut ws = FragmentCollector::new(WebSocket::after_handshake(tcp, Role::Server));
        while let Ok(frame) = ws.read_frame().await {
            let echo = match frame.opcode {
                OpCode::Close => break,
                OpCode::Text | OpCode::Binary => ws.write_frame(frame).await.is_ok(),
                _ => true,
            };
            if !echo {
                break;
            }
        }
    }

    async fn rtw_send_echo(tcp: TcpStream) {
        use rtw_tokio::ws::{Message, Options, Role, WebSocketStream};
        let Ok(mut ws) = WebSocketStream::from_upgraded(tcp, Role::Server, Options::default())
        else {
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

    async fn tokio_tungstenite_echo(tcp: TcpStream) {
        use tokio_tungstenite::WebSocketStream;
        use tungstenite::protocol::Role;
        let mut ws = WebSocketStream::from_raw_socket(tcp, Role::Server, None).await;
        while let Some(Ok(message)) = ws.next().await {
            if (message.is_text() || message.is_binary()) && ws.send(message).await.is_err() {
                break;
            }
        }
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn base64_of_rfc4648_vectors() {
            for (input, output) in [
                ("", ""),
                ("f", "Zg=="),
                ("fo", "Zm8="),
                ("foo", "Zm9v"),
                ("foob", "Zm9vYg=="),
                ("fooba", "Zm9vYmE="),
                ("foobar", "Zm9vYmFy"),
            ] {
                assert_eq!(super::base64(input.as_bytes()), output);
            }
        }
    }
}
