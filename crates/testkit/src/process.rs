//! Child processes of a test: a program run to completion with input on
//! stdin, and a server that prints `listening on ADDR` first. Both are
//! bounded in time and never outlive the test.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use crate::wait::{TIMEOUT, poll_until};

/// Run `program ARGS` with `stdin` written to it, collecting stdout and
/// stderr, within [`TIMEOUT`]. See [`run_for`].
pub fn run(program: &str, args: &[&str], stdin: &[u8]) -> Output {
    run_for(TIMEOUT, program, args, stdin)
}

/// Run `program ARGS` with `stdin` written to it, collecting stdout and
/// stderr; panics (after killing it) if it has not exited within
/// `timeout`.
///
/// Input and output go through their own threads, so a large input cannot
/// deadlock against output; a program that stops reading early (on an
/// error) is fine.
pub fn run_for(timeout: Duration, program: &str, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = spawn(program, args, Stdio::piped(), Stdio::piped());
    let mut input = child.stdin.take().expect("piped stdin");
    let stdin = stdin.to_vec();
    let writer = thread::spawn(move || {
        // A broken pipe means the program read all it wanted.
        let _ = input.write_all(&stdin);
    });
    let stdout = read_all(child.stdout.take().expect("piped stdout"));
    let stderr = read_all(child.stderr.take().expect("piped stderr"));
    let status = wait_for(&mut child, timeout, &format!("{program} {args:?} to exit"));
    let _ = writer.join();
    Output {
        status,
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
    }
}

/// Start `program ARGS` with stdout piped and `stdin` and `stderr` as
/// given; panics naming the program if it cannot start.
fn spawn(program: &str, args: &[&str], stdin: Stdio, stderr: Stdio) -> Child {
    Command::new(program)
        .args(args)
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap_or_else(|e| panic!("spawning {program} {args:?}: {e}"))
}

/// Read `pipe` to its end in a thread.
fn read_all(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut out = Vec::new();
        let _ = pipe.read_to_end(&mut out);
        out
    })
}

/// Wait for `child` to exit within `timeout`; kill it and panic naming
/// `what` otherwise.
fn wait_for(child: &mut Child, timeout: Duration, what: &str) -> ExitStatus {
    let mut status = None;
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        poll_until(what, timeout, || {
            status = child.try_wait().expect("waiting for the child");
            status
        })
    }));
    match outcome {
        Ok(status) => status,
        Err(panic) => {
            let _ = child.kill();
            let _ = child.wait();
            std::panic::resume_unwind(panic)
        }
    }
}

/// The address in a server's first line, `listening on ADDR`.
pub fn parse_listening(line: &str) -> Option<SocketAddr> {
    line.trim().strip_prefix("listening on ")?.parse().ok()
}

/// A running server, killed on drop: a program that prints
/// `listening on ADDR` as its first line on stdout (as every `rtw` server
/// does when given port 0).
#[derive(Debug)]
pub struct Server {
    /// The process.
    pub child: Child,
    /// The address from its `listening on ADDR` line.
    pub addr: SocketAddr,
}

impl Server {
    /// Start `program ARGS` and read the address it prints first; panics
    /// if none comes within [`TIMEOUT`] or the first line is something
    /// else. What it prints later on stdout is read and dropped (so the
    /// server never blocks on a full pipe); stderr is discarded.
    pub fn start(program: &str, args: &[&str]) -> Server {
        let mut child = spawn(program, args, Stdio::null(), Stdio::null());
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let _ = tx.send(line);
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });
        let line = match rx.recv_timeout(TIMEOUT) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{program} {args:?} printed no address within {TIMEOUT:?}");
            }
        };
        let Some(addr) = parse_listening(&line) else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{program} {args:?}: first line {line:?}, not `listening on ADDR`");
        };
        Server { child, addr }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_listening_line_gives_the_address() {
        assert_eq!(
            parse_listening("listening on 127.0.0.1:4000\n"),
            Some("127.0.0.1:4000".parse().unwrap())
        );
        assert_eq!(
            parse_listening("listening on [::1]:80"),
            Some("[::1]:80".parse().unwrap())
        );
        assert_eq!(parse_listening("listening on nowhere"), None);
        assert_eq!(parse_listening("ready 127.0.0.1:4000"), None);
    }

    #[test]
    fn run_feeds_stdin_and_collects_both_outputs() {
        let out = run("sh", &["-c", "cat; echo err >&2; exit 3"], b"through");
        assert_eq!(out.stdout, b"through");
        assert_eq!(out.stderr, b"err\n");
        assert_eq!(out.status.code(), Some(3));
    }

    #[test]
    fn run_takes_more_input_than_a_pipe_holds() {
        let input = vec![b'x'; 1 << 20];
        let out = run("cat", &[], &input);
        assert_eq!(out.stdout.len(), input.len());
    }

    #[test]
    #[should_panic(expected = "to exit")]
    fn run_for_kills_a_program_that_does_not_end() {
        run_for(Duration::from_millis(100), "sleep", &["10"], b"");
    }

    #[test]
    fn a_server_is_found_by_its_first_line_and_killed_on_drop() {
        let server = Server::start(
            "sh",
            &["-c", "echo 'listening on 127.0.0.1:9'; exec sleep 60"],
        );
        assert_eq!(server.port(), 9);
        let pid = server.child.id();
        drop(server);
        assert!(
            !std::path::Path::new(&format!("/proc/{pid}")).exists(),
            "the server outlived its Server"
        );
    }

    #[test]
    #[should_panic(expected = "not `listening on ADDR`")]
    fn a_server_with_another_first_line_fails() {
        Server::start("sh", &["-c", "echo hello; exec sleep 60"]);
    }
}
