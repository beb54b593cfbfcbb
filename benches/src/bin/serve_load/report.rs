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

use crate::table::{Cpu, Measured, Row, ms, user_system};
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
    /// Whether each has said `end` (its report is whole).
    ended: Vec<bool>,
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
            ended: vec![],
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
            workers.ended.push(false);
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

    /// The next line before `deadline` (`done` and `end` are noted too);
    /// `Ok(None)` when the deadline passes. A worker that ends is an error.
    fn next(&mut self, deadline: Instant) -> Result<Option<(usize, String)>, Failure> {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            return match self.lines.recv_timeout(left) {
                Ok((w, Some(line), at)) => {
                    match line.as_str() {
                        "done" => self.done[w] = Some(at),
                        "end" => self.ended[w] = true,
                        _ => {}
                    }
                    Ok(Some((w, line)))
                }
                // Its output ends after its report.
                Ok((w, None, _)) if self.ended[w] => continue,
                Ok((w, None, _)) => Err(format!("worker {w} ended early").into()),
                Err(RecvTimeoutError::Timeout) => Ok(None),
                Err(RecvTimeoutError::Disconnected) => Err("the workers are gone".into()),
            };
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

/// CPU nanoseconds of each node, each watched process and the client.
fn cpu_snapshot(args: &Args, workers: &Workers) -> Cpu {
    let cpu = |pid: u32| cpu_ns(pid).unwrap_or(0);
    let client =
        workers.children.iter().map(|c| cpu(c.id())).sum::<u64>() + cpu(std::process::id());
    Cpu {
        nodes: args.server_pids.iter().map(|&p| cpu(p)).collect(),
        watch: args.watch.iter().map(|(_, p)| cpu(*p)).collect(),
        client,
        node_times: args.server_pids.iter().map(|&p| user_system(p)).collect(),
    }
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
    let mut grown: BTreeMap<(usize, &str), Option<u64>> = BTreeMap::new();
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
        for (i, before) in before.into_iter().enumerate() {
            let delta = before.zip(rss(i)).map(|(b, a)| a.saturating_sub(b));
            grown.insert((i, transport), delta);
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
        args.publishers,
    ))?;
    let secs = published.elapsed.as_secs_f64();
    println!(
        "# published {} messages in {secs:.1} s ({:.1}/s achieved, {}/s asked) on {} connection(s); \
         POST round trip p50 {} ms, p99 {} ms, max {} ms",
        args.messages,
        args.messages as f64 / secs,
        args.rate,
        published.connections,
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
        Row::add(&mut rows, &args.nodes, &line)?;
    }
    drop(workers);
    Ok(crate::table::print(
        args,
        &Measured {
            rows,
            grown,
            cpu: (cpu0, cpu1),
            window,
            drained: last.is_some(),
        },
    ))
}
