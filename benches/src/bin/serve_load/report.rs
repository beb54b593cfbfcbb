//! The coordinator: starts the subscriber processes, connects the SSE
//! subscribers and then the WebSocket ones (reading each node's memory
//! before and after), publishes, waits for the last delivery, collects the
//! subscribers' counts and latencies and prints the table.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use rtw_benches::process::{Failure, cpu_ns, load_average, rss_kib};

use crate::histogram::Histogram;
use crate::{Args, split};

/// A line from worker `.0` (`None`: its output ended), when it was read.
type Line = (usize, Option<String>, Instant);

/// The subscriber processes; killed when dropped.
struct Workers {
    children: Vec<Child>,
    stdins: Vec<ChildStdin>,
    lines: Receiver<Line>,
    /// When each said `done`.
    done: Vec<Option<Instant>>,
}

impl Drop for Workers {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Workers {
    /// Starts `args.workers` workers, each with its share of every node's
    /// subscribers of each transport.
    fn spawn(args: &Args) -> Result<Workers, Failure> {
        let exe = std::env::current_exe()?;
        let (tx, lines) = channel();
        let mut workers = Workers {
            children: vec![],
            stdins: vec![],
            lines,
            done: vec![],
        };
        let mut first = 0;
        for w in 0..args.workers as usize {
            let mut command = Command::new(&exe);
            command.args(["--worker", "--topic", &args.topic]);
            command.args(["--messages", &args.messages.to_string()]);
            command.args(["--sources", &args.sources.to_string()]);
            command.args(["--first", &first.to_string()]);
            for (transport, total) in [("sse", args.sse), ("ws", args.ws)] {
                for (node, share) in args.nodes.iter().zip(split(total, args.nodes.len() as u64)) {
                    let count = split(share, args.workers)[w];
                    if count > 0 {
                        command.args(["--group", &format!("{transport}@{node}={count}")]);
                        first += count;
                    }
                }
            }
            let mut child = command
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .map_err(|e| format!("starting a worker: {e}"))?;
            let stdout = child.stdout.take().ok_or("no stdout")?;
            workers.stdins.push(child.stdin.take().ok_or("no stdin")?);
            workers.children.push(child);
            workers.done.push(None);
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    if tx.send((w, Some(line), Instant::now())).is_err() {
                        return;
                    }
                }
                let _ = tx.send((w, None, Instant::now()));
            });
        }
        Ok(workers)
    }

    /// Writes `command` to every worker.
    fn tell(&mut self, command: &str) -> Result<(), Failure> {
        for stdin in &mut self.stdins {
            writeln!(stdin, "{command}")?;
            stdin.flush()?;
        }
        Ok(())
    }

    /// The next line before `deadline` (a `done` is noted as well);
    /// `Ok(None)` when the deadline passes. A worker that ends is an error.
    fn next(&mut self, deadline: Instant) -> Result<Option<(usize, String)>, Failure> {
        let left = deadline.saturating_duration_since(Instant::now());
        match self.lines.recv_timeout(left) {
            Ok((w, Some(line), at)) => {
                if line == "done" {
                    self.done[w] = Some(at);
                }
                Ok(Some((w, line)))
            }
            Ok((w, None, _)) => Err(format!("worker {w} ended early").into()),
            Err(RecvTimeoutError::Timeout) => Ok(None),
            Err(RecvTimeoutError::Disconnected) => Err("the workers are gone".into()),
        }
    }

    /// Tells every worker to connect its `transport` subscribers and waits
    /// for each to answer: how many connected and failed in all.
    fn connect(&mut self, transport: &str, deadline: Instant) -> Result<(u64, u64), Failure> {
        self.tell(&format!("connect {transport}"))?;
        let (mut ok, mut failed, mut answered) = (0, 0, 0);
        while answered < self.children.len() {
            let Some((_, line)) = self.next(deadline)? else {
                return Err(format!("{transport}: not connected within the deadline").into());
            };
            let words: Vec<&str> = line.split_whitespace().collect();
            if let ["connected", t, o, f] = words[..] {
                if t == transport {
                    ok += o.parse::<u64>()?;
                    failed += f.parse::<u64>()?;
                    answered += 1;
                }
            }
        }
        Ok((ok, failed))
    }

    /// When the last worker said `done`, once all have, before `deadline`.
    fn all_done(&mut self, deadline: Instant) -> Result<Option<Instant>, Failure> {
        while self.done.iter().any(Option::is_none) {
            if self.next(deadline)?.is_none() {
                return Ok(None);
            }
        }
        Ok(self.done.iter().flatten().max().copied())
    }

    /// The `group` lines of every worker's report.
    fn report(&mut self, deadline: Instant) -> Result<Vec<String>, Failure> {
        self.tell("report")?;
        let (mut groups, mut ended) = (vec![], 0);
        while ended < self.children.len() {
            match self.next(deadline)? {
                None => return Err("the workers did not report in time".into()),
                Some((_, line)) if line == "end" => ended += 1,
                Some((_, line)) if line.starts_with("group ") => groups.push(line),
                Some(_) => {}
            }
        }
        Ok(groups)
    }
}

/// What the subscribers of one node and transport saw, all together.
#[derive(Debug, Default)]
struct Row {
    subscribers: u64,
    delivered: u64,
    disorder: u64,
    missed: u64,
    failed: u64,
    complete: u64,
    latency: Histogram,
}

impl Row {
    /// Adds a `group T@ADDR k=v ... hist=...` line; returns its key.
    fn add(rows: &mut BTreeMap<(String, String), Row>, line: &str) -> Result<(), Failure> {
        let (head, hist) = line
            .split_once(" hist=")
            .ok_or("a group line without hist")?;
        let mut words = head.split_whitespace().skip(1);
        let key = words.next().ok_or("a group line without its group")?;
        let (transport, addr) = key.split_once('@').ok_or("bad group")?;
        let row = rows
            .entry((addr.to_owned(), transport.to_owned()))
            .or_default();
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

/// CPU nanoseconds of each node, each watched process and the client.
fn cpu_snapshot(args: &Args, workers: &Workers) -> (Vec<u64>, Vec<u64>, u64) {
    let cpu = |pid: u32| cpu_ns(pid).unwrap_or(0);
    let client =
        workers.children.iter().map(|c| cpu(c.id())).sum::<u64>() + cpu(std::process::id());
    (
        args.server_pids.iter().map(|&p| cpu(p)).collect(),
        args.watch.iter().map(|(_, p)| cpu(*p)).collect(),
        client,
    )
}

fn ms(us: Option<u64>) -> String {
    us.map_or_else(|| "-".into(), |us| format!("{:.1}", us as f64 / 1000.0))
}

/// The whole run; `Ok(true)` when every message reached every subscriber.
pub(crate) fn run(args: &Args) -> Result<bool, Failure> {
    let nodes = args.nodes.len();
    println!(
        "# serve_load: {} SSE + {} WebSocket subscribers over {nodes} node(s), {} messages at {}/s \
         to {}; {} worker process(es), {} source address(es); load average {}",
        args.sse,
        args.ws,
        args.messages,
        args.rate,
        args.addr,
        args.workers,
        args.sources,
        load_average()
    );
    let rss = |i: usize| args.server_pids.get(i).and_then(|&p| rss_kib(p).ok());
    let mut workers = Workers::spawn(args)?;
    // KiB each node grew by while each transport's subscribers connected.
    let mut grown: BTreeMap<(String, &str), Option<u64>> = BTreeMap::new();
    for (transport, total) in [("sse", args.sse), ("ws", args.ws)] {
        if total == 0 {
            continue;
        }
        let before: Vec<Option<u64>> = (0..nodes).map(rss).collect();
        let t0 = Instant::now();
        let deadline = t0 + Duration::from_secs(60 + total / 50);
        let (ok, failed) = workers.connect(transport, deadline)?;
        println!(
            "# {transport}: {ok} subscribers connected in {:.1} s, {failed} failed",
            t0.elapsed().as_secs_f64()
        );
        if failed > 0 {
            return Err(format!("{failed} {transport} subscribers could not connect").into());
        }
        // Let the servers settle before reading their memory.
        std::thread::sleep(Duration::from_secs(1));
        for (i, node) in args.nodes.iter().enumerate() {
            let delta = before[i].zip(rss(i)).map(|(b, a)| a.saturating_sub(b));
            grown.insert((node.to_string(), transport), delta);
        }
    }
    let cpu0 = cpu_snapshot(args, &workers);
    let start = Instant::now();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let published = runtime.block_on(crate::publish::publish(
        args.addr,
        &args.topic,
        args.messages,
        args.rate,
    ))?;
    let secs = published.elapsed.as_secs_f64();
    println!(
        "# published {} messages in {secs:.1} s ({:.1}/s achieved, {}/s asked); POST round trip \
         p50 {} ms, p99 {} ms, max {} ms",
        args.messages,
        args.messages as f64 / secs,
        args.rate,
        ms(published.round_trip.quantile(0.5)),
        ms(published.round_trip.quantile(0.99)),
        ms(published.round_trip.quantile(1.0)),
    );
    let drained = Instant::now() + Duration::from_secs(args.drain);
    let last = workers.all_done(drained)?;
    let cpu1 = cpu_snapshot(args, &workers);
    let until = last.unwrap_or_else(Instant::now);
    let window = until.duration_since(start).as_secs_f64();
    match last {
        Some(_) => println!("# last delivery {window:.1} s after the first publish"),
        None => println!(
            "# not every subscriber had every message {} s after the last publish",
            args.drain
        ),
    }
    let mut rows = BTreeMap::new();
    for line in workers.report(Instant::now() + Duration::from_secs(30))? {
        Row::add(&mut rows, &line)?;
    }
    drop(workers);
    let mut pass = last.is_some();
    println!(
        "{:<21} {:<4} {:>6} {:>11} {:>9} {:>8} {:>6} {:>6} {:>8} {:>8} {:>8} {:>8}",
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
    for ((node, transport), row) in &rows {
        let lost = (row.subscribers * args.messages).saturating_sub(row.delivered);
        pass &= lost == 0 && row.disorder == 0 && row.missed == 0 && row.failed == 0;
        pass &= row.complete == row.subscribers;
        let kib = grown
            .get(&(node.clone(), transport.as_str()))
            .copied()
            .flatten()
            .map_or_else(
                || "-".into(),
                |k| format!("{:.1}", k as f64 / row.subscribers.max(1) as f64),
            );
        println!(
            "{node:<21} {transport:<4} {:>6} {:>11} {lost:>9} {:>8} {:>6} {:>6} {:>8} {:>8} {:>8} {kib:>8}",
            row.subscribers,
            row.delivered,
            row.disorder,
            row.missed,
            row.failed,
            ms(row.latency.quantile(0.5)),
            ms(row.latency.quantile(0.99)),
            ms(row.latency.quantile(1.0)),
        );
        all.merge(&row.latency);
    }
    println!(
        "{:<21} {:<4} {:>6} {:>11} {:>9} {:>8} {:>6} {:>6} {:>8} {:>8} {:>8}",
        "all",
        "",
        args.sse + args.ws,
        all.count(),
        "",
        "",
        "",
        "",
        ms(all.quantile(0.5)),
        ms(all.quantile(0.99)),
        ms(all.quantile(1.0)),
    );
    println!(
        "{:<21} {:>6} {:>11} {:>8} {:>12} {:>9} {:>9}",
        "process", "subs", "deliveries", "cpu_s", "us/delivery", "rss_MiB", "KiB/conn"
    );
    for (i, node) in args.nodes.iter().enumerate() {
        let node = node.to_string();
        let subs: u64 = rows
            .iter()
            .filter(|((n, _), _)| *n == node)
            .map(|(_, r)| r.subscribers)
            .sum();
        let deliveries: u64 = rows
            .iter()
            .filter(|((n, _), _)| *n == node)
            .map(|(_, r)| r.delivered)
            .sum();
        let grew: Option<u64> = ["sse", "ws"]
            .iter()
            .filter_map(|t| grown.get(&(node.clone(), *t)))
            .try_fold(0, |sum, g| g.map(|g| sum + g));
        let cpu = cpu1
            .0
            .get(i)
            .zip(cpu0.0.get(i))
            .map(|(a, b)| a.saturating_sub(*b));
        println!(
            "{:<21} {subs:>6} {deliveries:>11} {:>8} {:>12} {:>9} {:>9}",
            format!("rtw serve {node}"),
            cpu.map_or_else(|| "-".into(), |c| format!("{:.2}", c as f64 / 1e9)),
            cpu.map_or_else(
                || "-".into(),
                |c| format!("{:.3}", c as f64 / 1e3 / deliveries.max(1) as f64)
            ),
            rss(i).map_or_else(|| "-".into(), |k| format!("{:.0}", k as f64 / 1024.0)),
            grew.map_or_else(
                || "-".into(),
                |g| format!("{:.1}", g as f64 / subs.max(1) as f64)
            ),
        );
    }
    let deliveries: u64 = rows.values().map(|r| r.delivered).sum();
    for (i, (name, pid)) in args.watch.iter().enumerate() {
        let cpu = cpu1.1[i].saturating_sub(cpu0.1[i]);
        println!(
            "{:<21} {:>6} {deliveries:>11} {:>8.2} {:>12.3} {:>9}  ({:.1} us per published message)",
            name,
            "",
            cpu as f64 / 1e9,
            cpu as f64 / 1e3 / deliveries.max(1) as f64,
            rss_kib(*pid).map_or_else(|_| "-".into(), |k| format!("{:.0}", k as f64 / 1024.0)),
            cpu as f64 / 1e3 / args.messages as f64,
        );
    }
    let client = cpu1.2.saturating_sub(cpu0.2);
    println!(
        "{:<21} {:>6} {deliveries:>11} {:>8.2} {:>12.3}",
        "client (serve_load)",
        args.sse + args.ws,
        client as f64 / 1e9,
        client as f64 / 1e3 / deliveries.max(1) as f64,
    );
    println!(
        "# CPU from the first publish to the last delivery ({window:.1} s); load average {}",
        load_average()
    );
    println!(
        "result: {}",
        if pass {
            "PASS (every message, in order, to every subscriber)"
        } else {
            "FAIL"
        }
    );
    Ok(pass)
}
