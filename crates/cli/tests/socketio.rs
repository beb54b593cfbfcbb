//! `rtw socketio check` against `rtw serve` (each transport), against the
//! npm `socket.io` server of `conformance/socketio/server.cjs` under node
//! (each transport), and against a server that refuses Socket.IO (every
//! check fails, exit 1). Servers listen on 127.0.0.1 port 0 and are
//! killed on drop; every run is bounded in time.

mod common;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::{RTW, TIMEOUT, require_tool, rtw};

/// The checks `rtw socketio check` runs, in order.
const CHECKS: [&str; 9] = [
    "connect",
    "echo",
    "echo binary",
    "echo-ack",
    "ack both ways",
    "auth",
    "refused namespace",
    "upgrade",
    "rooms",
];

/// A server that prints `listening on http://IP:PORT` first; killed on
/// drop.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(program: &str, args: &[&str]) -> Server {
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("spawning {program} {args:?}: {e}"));
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let _ = tx.send(line);
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });
        let line = rx.recv_timeout(TIMEOUT).unwrap_or_default();
        let url = match line.trim().strip_prefix("listening on ") {
            Some(url) if url.starts_with("http://127.0.0.1:") => url.to_owned(),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{program} {args:?}: first line {line:?}, not `listening on http://...`");
            }
        };
        Server { child, url }
    }

    fn rtw_serve(args: &[&str]) -> Server {
        let all: Vec<&str> = [&["serve", "--listen", "127.0.0.1:0"], args].concat();
        Server::start(RTW, &all)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn check(url: &str, transport: &str) -> Output {
    rtw(&["socketio", "check", url, "--transport", transport], b"")
}

/// Every check printed `ok` and the exit status is 0.
fn assert_all_ok(out: &Output, what: &str) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{what}:\n{stdout}{stderr}");
    for name in CHECKS {
        let prefix = format!("ok    {name}: ");
        assert!(
            stdout.lines().any(|l| l.starts_with(&prefix)),
            "{what}: no {prefix:?}:\n{stdout}"
        );
    }
    assert!(!stdout.contains("FAIL"), "{what}:\n{stdout}");
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn every_check_passes_against_rtw_serve_on_each_transport() {
    let server = Server::rtw_serve(&[]);
    for transport in ["polling", "websocket", "upgrade"] {
        let out = check(&server.url, transport);
        assert_all_ok(&out, &format!("rtw serve, --transport {transport}"));
        let stdout = String::from_utf8_lossy(&out.stdout);
        let upgrade = stdout
            .lines()
            .find(|l| l.starts_with("ok    upgrade: "))
            .unwrap();
        let want = match transport {
            "polling" => "still on polling",
            "websocket" => "on WebSocket from the handshake on",
            _ => "started on polling, on WebSocket",
        };
        assert!(upgrade.contains(want), "{upgrade}");
    }
}

/// The npm `socket.io` server (4.8.1, installed by
/// `conformance/socketio/install.sh`) under node, with the same
/// application as `rtw serve`. Fails, naming them, without node or npm.
#[test]
fn every_check_passes_against_the_npm_socket_io_server() {
    require_tool("node");
    require_tool("npm");
    let root = repo_root();
    let install = root.join("conformance/socketio/install.sh");
    let out = rtw_testkit::run_for(
        Duration::from_secs(300),
        "bash",
        &[install.to_str().unwrap()],
        b"",
    );
    assert!(
        out.status.success(),
        "conformance/socketio/install.sh failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let npm_dir = stdout
        .lines()
        .last()
        .expect("install.sh prints the npm dir");
    let script = root.join("conformance/socketio/server.cjs");
    let server = Server::start("node", &[script.to_str().unwrap(), npm_dir, "--port", "0"]);
    for transport in ["polling", "websocket", "upgrade"] {
        let out = check(&server.url, transport);
        assert_all_ok(&out, &format!("npm socket.io, --transport {transport}"));
    }
}

/// A server refusing Socket.IO (403 on `/socket.io/`): every check
/// fails, and the exit status is 1.
#[test]
fn every_check_fails_against_a_server_refusing_socket_io() {
    let server = Server::rtw_serve(&["--refuse", "socketio"]);
    let out = check(&server.url, "upgrade");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    for name in CHECKS {
        let prefix = format!("FAIL  {name}: ");
        assert!(
            stdout.lines().any(|l| l.starts_with(&prefix)),
            "no {prefix:?}:\n{stdout}"
        );
    }
    assert!(!stdout.contains("ok    "), "{stdout}");
}

#[test]
fn a_bad_transport_exits_2_and_a_bad_url_fails_the_checks() {
    let out = rtw(
        &[
            "socketio",
            "check",
            "http://127.0.0.1:9",
            "--transport",
            "carrier-pigeon",
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(2));
    let out = rtw(&["socketio", "check", "ftp://127.0.0.1:9"], b"");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("FAIL  connect: connect: bad URL"));
}
