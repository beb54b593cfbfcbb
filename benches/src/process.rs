//! The load programs' view of the processes they measure (Linux: `/proc`
//! and `taskset`): a server started and killed on drop, its CPU time and
//! resident memory, pinning to a CPU, and the load average to print beside
//! the figures.

use std::error::Error;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// What a load program fails with.
pub type Failure = Box<dyn Error + Send + Sync>;

/// A server process that printed `listening on IP:PORT` as its first line;
/// killed when dropped.
#[derive(Debug)]
pub struct Running {
    child: Child,
    addr: SocketAddr,
}

impl Running {
    /// Spawns `command` (stdout piped) and reads its first line within
    /// `wait` (on a thread, so that a server that prints nothing fails the
    /// run instead of hanging it); `name` names the server in errors.
    pub fn spawn(mut command: Command, name: &str, wait: Duration) -> Result<Running, Failure> {
        let mut child = command
            .stdout(Stdio::piped())
            .stdin(Stdio::null())
            .spawn()
            .map_err(|e| format!("starting {name}: {e}"))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(wait).unwrap_or_default();
        let Some(addr) = line.trim().strip_prefix("listening on ") else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("{name}: expected `listening on`, got {line:?}").into());
        };
        let addr = addr.parse()?;
        Ok(Running { child, addr })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Pins every thread of process `pid` to `cpu` (`taskset -a -p -c`).
pub fn pin(pid: u32, cpu: usize) -> Result<(), Failure> {
    let status = Command::new("taskset")
        .args(["-a", "-p", "-c", &cpu.to_string(), &pid.to_string()])
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("taskset (util-linux) is needed: {e}"))?;
    if !status.success() {
        return Err(format!("taskset -p -c {cpu} {pid} failed: {status}").into());
    }
    Ok(())
}

/// The 1, 5 and 15 minute load averages, as `/proc/loadavg` gives them.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// Nanoseconds on CPU of process `pid`, all its threads together (the
/// first field of each `/proc/PID/task/*/schedstat`).
pub fn cpu_ns(pid: u32) -> Result<u64, Failure> {
    let mut total = 0;
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))? {
        let stat = std::fs::read_to_string(task?.path().join("schedstat"))?;
        total += stat
            .split_whitespace()
            .next()
            .ok_or("bad schedstat")?
            .parse::<u64>()?;
    }
    Ok(total)
}

/// `VmRSS` of process `pid`, in KiB.
pub fn rss_kib(pid: u32) -> Result<u64, Failure> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .ok_or("no VmRSS")?;
    Ok(line.split_whitespace().nth(1).ok_or("bad VmRSS")?.parse()?)
}
