//! The subscribers' reports added up, and the table printed from them.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use rtw_benches::process::{Failure, load_average, rss_kib};

use crate::Args;
use crate::histogram::Histogram;

/// What the subscribers of one node and transport saw, all together.
#[derive(Debug, Default)]
pub(crate) struct Row {
    subscribers: u64,
    delivered: u64,
    disorder: u64,
    missed: u64,
    failed: u64,
    complete: u64,
    latency: Histogram,
}

/// Rows by node (its index in `--nodes`) and transport.
pub(crate) type Rows = BTreeMap<(usize, String), Row>;

impl Row {
    /// Adds a worker's `group T@ADDR k=v ... hist=...` line to `rows`.
    pub(crate) fn add(rows: &mut Rows, nodes: &[SocketAddr], line: &str) -> Result<(), Failure> {
        let (head, hist) = line
            .split_once(" hist=")
            .ok_or("a group line without hist")?;
        let mut words = head.split_whitespace().skip(1);
        let key = words.next().ok_or("a group line without its group")?;
        let (transport, addr) = key.split_once('@').ok_or("bad group")?;
        let addr: SocketAddr = addr.parse()?;
        let node = nodes
            .iter()
            .position(|n| *n == addr)
            .ok_or(format!("a report from {addr}, not a node"))?;
        let row = rows.entry((node, transport.to_owned())).or_default();
        for word in words {
            let (name, value) = word.split_once('=').ok_or("bad field")?;
            let value: u64 = value.parse()?;
            match name {
                "subscribers" => row.subscribers += value,
                "delivered" => row.delivered += value,
                "disorder" => row.disorder += value,
                "missed" => row.missed += value,
                "failed" => row.failed += value,
                "complete" => row.complete += value,
                _ => {}
            }
        }
        row.latency.merge(&Histogram::from_line(hist)?);
        Ok(())
    }
}

/// CPU nanoseconds at one moment.
#[derive(Debug, Clone)]
pub(crate) struct Cpu {
    /// Each node's, in the order of `--nodes`.
    pub(crate) nodes: Vec<u64>,
    /// Each `--watch` process's.
    pub(crate) watch: Vec<u64>,
    /// The client's: this process and its workers.
    pub(crate) client: u64,
    /// Each node's user and system time in clock ticks (`/proc/PID/stat`),
    /// to tell the kernel's share (loopback TCP) from rtw's own.
    pub(crate) node_times: Vec<(u64, u64)>,
}

/// User and system time of `pid` in clock ticks (fields 14 and 15 of
/// `/proc/PID/stat`, counted after the command name, which may hold
/// blanks).
pub(crate) fn user_system(pid: u32) -> (u64, u64) {
    let read = || -> Option<(u64, u64)> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let rest = &stat[stat.rfind(')')? + 2..];
        let mut fields = rest.split_whitespace().skip(11);
        Some((fields.next()?.parse().ok()?, fields.next()?.parse().ok()?))
    };
    read().unwrap_or((0, 0))
}

/// Everything the run measured.
#[derive(Debug)]
pub(crate) struct Measured {
    /// The subscribers' reports.
    pub(crate) rows: Rows,
    /// KiB each node grew by while each transport's subscribers connected.
    pub(crate) grown: BTreeMap<(usize, &'static str), Option<u64>>,
    /// CPU at the first publish and at the last delivery.
    pub(crate) cpu: (Cpu, Cpu),
    /// Seconds from the first publish to the last delivery.
    pub(crate) window: f64,
    /// Whether every subscriber had every message within the drain.
    pub(crate) drained: bool,
}

/// Microseconds as milliseconds, `-` for none.
pub(crate) fn ms(us: Option<u64>) -> String {
    us.map_or_else(|| "-".into(), |us| format!("{:.1}", us as f64 / 1000.0))
}

fn or_dash(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "-".into(), |v| format!("{v:.decimals$}"))
}

/// A node's name in the table: `A 127.0.0.1:PORT`.
fn node_name(args: &Args, i: usize) -> String {
    let letter = char::from(b'A' + u8::try_from(i % 26).unwrap_or(0));
    format!("{letter} {}", args.nodes[i])
}

/// Prints the tables; true when every message reached every subscriber,
/// in order, once.
pub(crate) fn print(args: &Args, m: &Measured) -> bool {
    let mut pass = m.drained;
    println!(
        "{:<17} {:<4} {:>6} {:>10} {:>8} {:>8} {:>6} {:>6} {:>8} {:>8} {:>8} {:>7}",
        "node",
        "tr",
        "subs",
        "delivered",
        "lost",
        "disorder",
        "missed",
        "failed",
        "p50_ms",
        "p99_ms",
        "max_ms",
        "KiB/sub"
    );
    let all = Histogram::default();
    for ((node, transport), row) in &m.rows {
        let lost = (row.subscribers * args.messages).saturating_sub(row.delivered);
        pass &= lost == 0 && row.disorder == 0 && row.missed == 0 && row.failed == 0;
        pass &= row.complete == row.subscribers;
        let kib = m
            .grown
            .get(&(*node, transport.as_str()))
            .copied()
            .flatten()
            .map(|k| k as f64 / row.subscribers.max(1) as f64);
        println!(
            "{:<17} {transport:<4} {:>6} {:>10} {lost:>8} {:>8} {:>6} {:>6} {:>8} {:>8} {:>8} {:>7}",
            node_name(args, *node),
            row.subscribers,
            row.delivered,
            row.disorder,
            row.missed,
            row.failed,
            ms(row.latency.quantile(0.5)),
            ms(row.latency.quantile(0.99)),
            ms(row.latency.quantile(1.0)),
            or_dash(kib, 1),
        );
        all.merge(&row.latency);
    }
    let subscribers: u64 = m.rows.values().map(|r| r.subscribers).sum();
    let deliveries: u64 = m.rows.values().map(|r| r.delivered).sum();
    println!(
        "{:<17} {:<4} {subscribers:>6} {deliveries:>10} {:>8} {:>8} {:>6} {:>6} {:>8} {:>8} {:>8}",
        "all",
        "",
        (subscribers * args.messages).saturating_sub(deliveries),
        "",
        "",
        "",
        ms(all.quantile(0.5)),
        ms(all.quantile(0.99)),
        ms(all.quantile(1.0)),
    );
    println!(
        "{:<28} {:>6} {:>10} {:>8} {:>11} {:>10} {:>8} {:>8} {:>5}",
        "process",
        "subs",
        "deliveries",
        "cpu_s",
        "us/delivery",
        "us/message",
        "rss_MiB",
        "KiB/conn",
        "sys%"
    );
    let (cpu0, cpu1) = &m.cpu;
    let per = |cpu: u64, n: u64| (n > 0).then(|| cpu as f64 / 1e3 / n as f64);
    let mut servers = 0;
    for i in 0..args.nodes.len() {
        let on_node = |f: fn(&Row) -> u64| -> u64 {
            m.rows
                .iter()
                .filter(|((n, _), _)| *n == i)
                .map(|(_, r)| f(r))
                .sum()
        };
        let (subs, deliveries) = (on_node(|r| r.subscribers), on_node(|r| r.delivered));
        let grew: Option<u64> = ["sse", "ws"]
            .iter()
            .filter_map(|t| m.grown.get(&(i, *t)))
            .try_fold(0, |sum, g| g.map(|g| sum + g));
        let cpu = cpu1
            .nodes
            .get(i)
            .zip(cpu0.nodes.get(i))
            .map(|(a, b)| a.saturating_sub(*b));
        servers += cpu.unwrap_or(0);
        let rss = args.server_pids.get(i).and_then(|&p| rss_kib(p).ok());
        let sys = cpu1
            .node_times
            .get(i)
            .zip(cpu0.node_times.get(i))
            .and_then(|(a, b)| {
                let (user, system) = (a.0.saturating_sub(b.0), a.1.saturating_sub(b.1));
                (user + system > 0).then(|| 100.0 * system as f64 / (user + system) as f64)
            });
        println!(
            "{:<28} {subs:>6} {deliveries:>10} {:>8} {:>11} {:>10} {:>8} {:>8} {:>5}",
            format!("rtw serve {}", node_name(args, i)),
            or_dash(cpu.map(|c| c as f64 / 1e9), 2),
            or_dash(cpu.and_then(|c| per(c, deliveries)), 3),
            or_dash(cpu.and_then(|c| per(c, args.messages)), 1),
            or_dash(rss.map(|k| k as f64 / 1024.0), 0),
            or_dash(grew.map(|g| g as f64 / subs.max(1) as f64), 1),
            or_dash(sys, 0),
        );
    }
    for (i, (name, pid)) in args.watch.iter().enumerate() {
        let cpu = cpu1.watch[i].saturating_sub(cpu0.watch[i]);
        servers += cpu;
        println!(
            "{name:<24} {:>6} {:>10} {:>8.2} {:>11} {:>10} {:>8}",
            "",
            "",
            cpu as f64 / 1e9,
            or_dash(per(cpu, deliveries), 3),
            or_dash(per(cpu, args.messages), 1),
            or_dash(rss_kib(*pid).ok().map(|k| k as f64 / 1024.0), 0),
        );
    }
    if args.nodes.len() + args.watch.len() > 1 && !args.server_pids.is_empty() {
        println!(
            "{:<28} {subscribers:>6} {deliveries:>10} {:>8.2} {:>11} {:>10}",
            "all servers",
            servers as f64 / 1e9,
            or_dash(per(servers, deliveries), 3),
            or_dash(per(servers, args.messages), 1),
        );
    }
    let client = cpu1.client.saturating_sub(cpu0.client);
    println!(
        "{:<28} {subscribers:>6} {deliveries:>10} {:>8.2} {:>11}",
        "client (serve_load)",
        client as f64 / 1e9,
        or_dash(per(client, deliveries), 3),
    );
    println!(
        "# CPU from the first publish to the last delivery ({:.1} s); load average {}",
        m.window,
        load_average()
    );
    println!(
        "result: {}",
        if pass {
            "PASS (every message, in order, once, to every subscriber)"
        } else {
            "FAIL"
        }
    );
    pass
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measured(args: &Args, lines: &[&str]) -> Measured {
        let mut rows = Rows::new();
        for line in lines {
            Row::add(&mut rows, &args.nodes, line).unwrap();
        }
        let cpu = Cpu {
            nodes: vec![],
            watch: vec![],
            client: 0,
            node_times: vec![],
        };
        Measured {
            rows,
            grown: BTreeMap::new(),
            cpu: (cpu.clone(), cpu),
            window: 1.0,
            drained: true,
        }
    }

    #[test]
    fn a_lost_or_repeated_message_fails_the_run() {
        let argv = "--addr 127.0.0.1:1 --nodes 127.0.0.1:1,127.0.0.1:2 --messages 3 --sse 2 --ws 0";
        let args = Args::parse(&argv.split(' ').map(String::from).collect::<Vec<_>>()).unwrap();
        let whole = "group sse@127.0.0.1:2 subscribers=1 delivered=3 disorder=0 missed=0 failed=0 complete=1 hist=9 5:2 9:1";
        // A second subscriber on node B whose latencies differ.
        let other = whole.replace(" 5:2 ", " 7:2 ");
        let m = measured(&args, &[whole, &other]);
        assert!(print(&args, &m));
        assert_eq!(m.rows[&(1, "sse".to_owned())].delivered, 6);
        assert_eq!(m.rows[&(1, "sse".to_owned())].latency.count(), 6);
        let short = whole.replace("delivered=3", "delivered=2");
        assert!(!print(&args, &measured(&args, &[whole, &short])));
        let twice = whole.replace("disorder=0", "disorder=1");
        assert!(!print(&args, &measured(&args, &[&twice])));
        let missed = whole.replace("missed=0", "missed=1");
        assert!(!print(&args, &measured(&args, &[&missed])));
        let mut late = measured(&args, &[whole]);
        late.drained = false;
        assert!(!print(&args, &late));
        let mut rows = Rows::new();
        let elsewhere = whole.replace("127.0.0.1:2", "127.0.0.1:3");
        assert!(Row::add(&mut rows, &args.nodes, &elsewhere).is_err());
    }
}
