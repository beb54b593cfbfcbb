//! `serve_load`: `--sse` Server-Sent Events subscribers and `--ws`
//! WebSocket subscribers of one topic, spread over one or more `rtw serve`
//! nodes (`--nodes`, the same hub: the in-process one for one node,
//! RabbitMQ's for several), and one publisher that POSTs a message to
//! node `--addr` `--rate` times a second for `--seconds` (open loop, on
//! up to `--publishers` connections); every subscriber must receive every
//! message once, in the hub's order.
//!
//! Printed per node and transport: messages delivered, lost, out of order
//! or announced missed, delivery latency p50 / p99 / max (from the
//! publisher's stamp, taken just before its POST, to the subscriber's
//! read; one clock, the machine's), and the growth of the node's `VmRSS`
//! while those subscribers connected, per subscriber. Per node: CPU time
//! (`rtw_benches::process::cpu_ns`) from the first publish to the last
//! delivery, per delivery, and memory per connection; the same CPU figure
//! for each `--watch NAME=PID` process (RabbitMQ) and for this client.
//!
//! The subscribers live in `--workers` child processes of this program
//! (`serve_load --worker`, src/bin/serve_load/worker.rs), so that none
//! needs more descriptors than the hard limit allows; each subscriber's
//! socket is bound to one of `--sources` loopback addresses, so that the
//! connections to one port fit the ephemeral port range. All subscribers
//! ask for `since=0`, so a message published while a subscription was
//! still being set up is replayed from the history, not lost (the topic is
//! new for each run).
//!
//! ```text
//! cargo build --release -p rtw-cli -p rtw-benches --bin rtw --bin serve_load
//! bash benches/serve-load/run.sh --help
//! ```
//!
//! Loopback only; bounded: every phase has a deadline, and the process
//! exits non-zero when a message is lost or a deadline passes.

mod histogram;
mod publish;
mod report;
mod table;
mod worker;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::ExitCode;

use rtw_benches::process::Failure;

/// The command line of the coordinator.
#[derive(Debug, Clone)]
pub(crate) struct Args {
    /// The node the publisher POSTs to.
    pub(crate) addr: SocketAddr,
    /// The nodes the subscribers are spread over (`--addr` by default).
    pub(crate) nodes: Vec<SocketAddr>,
    /// Each node's process id, in the order of `nodes`.
    pub(crate) server_pids: Vec<u32>,
    /// Other processes whose CPU time and memory are reported (RabbitMQ).
    pub(crate) watch: Vec<(String, u32)>,
    /// The topic (new for each run by default).
    pub(crate) topic: String,
    /// SSE subscribers in all.
    pub(crate) sse: u64,
    /// WebSocket subscribers in all.
    pub(crate) ws: u64,
    /// Messages to publish.
    pub(crate) messages: u64,
    /// Messages a second.
    pub(crate) rate: u64,
    /// Subscriber processes.
    pub(crate) workers: u64,
    /// Loopback source addresses (127.0.0.1 and up).
    pub(crate) sources: u8,
    /// Seconds after the last publish for the last deliveries.
    pub(crate) drain: u64,
    /// Connections the publisher may have POSTs in flight on at once.
    pub(crate) publishers: usize,
}

const USAGE: &str = "usage: serve_load --addr IP:PORT [--nodes IP:PORT,...] [--server-pids PID,...] \
[--watch NAME=PID,...] [--sse N] [--ws N] [--rate N] [--seconds N | --messages N] [--workers N] \
[--sources N] [--drain SECS] [--publishers N] [--topic NAME]";

/// A comma-separated list.
fn list<T: std::str::FromStr>(value: &str, what: &str) -> Result<Vec<T>, Failure> {
    value
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().map_err(|_| format!("bad {what} {s:?}").into()))
        .collect()
}

/// The soft limit this process may raise its descriptors to.
fn hard_nofile() -> u64 {
    rlimit::getrlimit(rlimit::Resource::NOFILE).map_or(1024, |(_, hard)| hard)
}

/// The size of `net.ipv4.ip_local_port_range`.
fn ephemeral_ports() -> u64 {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|s| {
            let mut it = s.split_whitespace().map(|w| w.parse::<u64>().ok());
            let (low, high) = (it.next()??, it.next()??);
            Some(high.saturating_sub(low) + 1)
        })
        .unwrap_or(28_232)
}

impl Args {
    fn parse(argv: &[String]) -> Result<Args, Failure> {
        let mut options: BTreeMap<String, String> = BTreeMap::new();
        let mut argv = argv.iter();
        while let Some(name) = argv.next() {
            let Some(name) = name.strip_prefix("--") else {
                return Err(format!("unexpected argument {name:?}\n{USAGE}").into());
            };
            let value = argv.next().ok_or(format!("--{name} needs a value"))?;
            options.insert(name.to_owned(), value.clone());
        }
        let known = [
            "addr",
            "nodes",
            "server-pids",
            "server-pid",
            "watch",
            "topic",
            "sse",
            "ws",
            "rate",
            "seconds",
            "messages",
            "workers",
            "sources",
            "drain",
            "publishers",
        ];
        if let Some(name) = options.keys().find(|k| !known.contains(&k.as_str())) {
            return Err(format!("unknown option --{name}\n{USAGE}").into());
        }
        let get = |name: &str, default: &str| -> String {
            options.get(name).cloned().unwrap_or_else(|| default.into())
        };
        let addr: SocketAddr = options
            .get("addr")
            .ok_or(format!(
                "--addr IP:PORT (the node to publish to) is required\n{USAGE}"
            ))?
            .parse()?;
        let nodes = match options.get("nodes") {
            Some(v) => list(v, "node address")?,
            None => vec![addr],
        };
        let pids = options.get("server-pids").or(options.get("server-pid"));
        let server_pids = pids.map_or(Ok(vec![]), |v| list(v, "pid"))?;
        if !server_pids.is_empty() && server_pids.len() != nodes.len() {
            return Err("--server-pids needs one pid per node of --nodes".into());
        }
        let mut watch = Vec::new();
        for item in get("watch", "").split(',').filter(|s| !s.is_empty()) {
            let (name, pid) = item
                .split_once('=')
                .ok_or(format!("bad --watch {item:?}"))?;
            watch.push((name.to_owned(), pid.parse()?));
        }
        let (sse, ws): (u64, u64) = (get("sse", "5000").parse()?, get("ws", "5000").parse()?);
        let rate: u64 = get("rate", "100").parse()?;
        let messages = match options.get("messages") {
            Some(m) => m.parse()?,
            None => rate * get("seconds", "60").parse::<u64>()?,
        };
        if rate == 0 || messages == 0 || nodes.is_empty() {
            return Err("--rate, the messages and --nodes must not be 0 or empty".into());
        }
        // Each worker keeps 256 descriptors spare; the coordinator needs few.
        let per_worker = hard_nofile().saturating_sub(256).max(1);
        let workers = match options.get("workers") {
            Some(w) => w.parse()?,
            None => (sse + ws).div_ceil(per_worker).max(1),
        };
        // Each source address keeps half the ephemeral ports spare.
        let ports = ephemeral_ports() / 2;
        let sources = match options.get("sources") {
            Some(s) => s.parse()?,
            None => u8::try_from(((sse + ws) / nodes.len() as u64).div_ceil(ports).max(2))?,
        };
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        Ok(Args {
            addr,
            nodes,
            server_pids,
            watch,
            topic: get("topic", &format!("load-{millis}")),
            sse,
            ws,
            messages,
            rate,
            workers,
            sources,
            drain: get("drain", "60").parse()?,
            publishers: get("publishers", "16").parse()?,
        })
    }
}

/// `total` split into `parts` shares that differ by at most one.
pub(crate) fn split(total: u64, parts: u64) -> Vec<u64> {
    let parts = parts.max(1);
    (0..parts)
        .map(|i| total / parts + u64::from(i < total % parts))
        .collect()
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    if argv.first().map(String::as_str) == Some("--worker") {
        return match worker::main(&argv[1..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("serve_load worker: {e}");
                ExitCode::FAILURE
            }
        };
    }
    if argv.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let args = match Args::parse(&argv) {
        Ok(args) => args,
        Err(e) => {
            eprintln!("serve_load: {e}");
            return ExitCode::from(2);
        }
    };
    match report::run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("serve_load: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_add_up() {
        assert_eq!(split(10, 3), vec![4, 3, 3]);
        assert_eq!(split(2, 4), vec![1, 1, 0, 0]);
        assert_eq!(split(5, 0), vec![5]);
    }

    #[test]
    fn arguments() {
        let argv = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
        let a = Args::parse(&argv(
            "--addr 127.0.0.1:1 --sse 3 --ws 4 --seconds 2 --rate 5",
        ))
        .unwrap();
        assert_eq!((a.sse, a.ws, a.messages, a.nodes.len()), (3, 4, 10, 1));
        let a = Args::parse(&argv(
            "--addr 127.0.0.1:1 --nodes 127.0.0.1:1,127.0.0.1:2 --server-pids 7,8 --watch rabbitmq=9 --messages 3",
        ))
        .unwrap();
        assert_eq!((a.nodes.len(), a.messages), (2, 3));
        assert_eq!(a.watch, vec![("rabbitmq".to_owned(), 9)]);
        assert!(Args::parse(&argv("--addr 127.0.0.1:1 --server-pids 7,8")).is_err());
        assert!(Args::parse(&argv("--addr 127.0.0.1:1 --bogus 1")).is_err());
        assert!(Args::parse(&argv("--sse 1")).is_err());
    }
}
