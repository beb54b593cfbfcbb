//! Helpers shared by the tests of the `rtw` binary.
#![allow(dead_code, unreachable_pub)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// The binary under test.
pub const RTW: &str = env!("CARGO_BIN_EXE_rtw");

/// A running `rtw` server, killed on drop.
pub struct Running {
    /// The process.
    pub child: Child,
    /// The address from its `listening on ADDR` line.
    pub addr: SocketAddr,
}

impl Running {
    /// Start `rtw ARGS` (a server given `127.0.0.1:0`) and read the
    /// address it prints first; panics if none comes within 20 s.
    pub fn start(args: &[&str]) -> Running {
        let mut child = Command::new(RTW)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("spawning rtw {args:?}: {e}"));
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let Ok(line) = rx.recv_timeout(Duration::from_secs(20)) else {
            let _ = child.kill();
            panic!("rtw {args:?} printed no address within 20 s");
        };
        let addr = line
            .trim()
            .strip_prefix("listening on ")
            .and_then(|addr| addr.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
        Running { child, addr }
    }

    /// Start `rtw COMMAND... 127.0.0.1:0 ARGS...`.
    pub fn serve(command: &[&str], args: &[&str]) -> Running {
        let mut all = command.to_vec();
        all.push("127.0.0.1:0");
        all.extend_from_slice(args);
        Running::start(&all)
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
