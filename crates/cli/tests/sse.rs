//! `rtw sse parse` and `rtw sse serve` as a user runs them: parse reads
//! stdin, serve is read by curl and by parse, over loopback, each step
//! bounded in time.

use std::io::Read;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

mod common;
use common::{RTW, Running, TIMEOUT, require_tool, run};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn parse_prints_events_and_retry_changes_as_json_lines() {
    let input = "\u{feff}: hello\r\nretry: 1500\r\nevent: add\r\ndata: {\"n\": 1}\r\ndata: ü\r\nid: 7\r\n\r\n\
                 retry: 1500\ndata:no space\n\nretry: 10\nid\ndata: x\n\ndata: cut off";
    let out = run(RTW, &["sse", "parse"], input.as_bytes());
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        concat!(
            "{\"retry\":1500}\n",
            "{\"type\":\"add\",\"data\":\"{\\\"n\\\": 1}\\nü\",\"last_event_id\":\"7\"}\n",
            "{\"type\":\"message\",\"data\":\"no space\",\"last_event_id\":\"7\"}\n",
            "{\"retry\":10}\n",
            "{\"type\":\"message\",\"data\":\"x\",\"last_event_id\":\"\"}\n",
        )
    );
    let out = run(RTW, &["sse", "parse", "--comments"], b":\n: ka\n");
    assert_eq!(
        text(&out.stdout),
        "{\"comment\":\"\"}\n{\"comment\":\" ka\"}\n"
    );
}

#[test]
fn parse_fails_on_an_overlong_line() {
    let mut input = b"data: fine\n\ndata: ".to_vec();
    input.resize(input.len() + (2 << 20), b'a');
    let out = run(RTW, &["sse", "parse"], &input);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stdout),
        "{\"type\":\"message\",\"data\":\"fine\",\"last_event_id\":\"\"}\n"
    );
    assert!(
        text(&out.stderr).starts_with("rtw sse parse: line longer than"),
        "{}",
        text(&out.stderr)
    );
}

/// A running `rtw sse serve`, killed on drop.
struct Server(Running);

impl Server {
    fn start(args: &[&str]) -> Server {
        Server(Running::serve(&["sse", "serve"], args))
    }

    fn url(&self) -> String {
        format!("http://{}/events", self.0.addr)
    }
}

fn curl(args: &[&str]) -> Output {
    run(
        "curl",
        &[&["-N", "-s", "-S", "--max-time", "15"], args].concat(),
        b"",
    )
}

fn tick(n: u64) -> String {
    format!("{{\"type\":\"message\",\"data\":\"event {n}\",\"last_event_id\":\"{n}\"}}\n")
}

#[test]
fn serve_streams_counted_events_and_resumes_after_last_event_id() {
    require_tool("curl");
    let server = Server::start(&["--interval-ms", "100", "--count", "4"]);
    let started = Instant::now();
    let out = curl(&["-i", &server.url()]);
    let elapsed = started.elapsed();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let response = text(&out.stdout);
    let (head, body) = response.split_once("\r\n\r\n").expect(&response);
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    let head = head.to_ascii_lowercase();
    assert!(
        head.contains("\r\ncontent-type: text/event-stream\r\n"),
        "{head}"
    );
    assert!(head.contains("\r\ncache-control: no-store\r\n"), "{head}");
    assert_eq!(
        body,
        "data: event 1\nid: 1\n\ndata: event 2\nid: 2\n\ndata: event 3\nid: 3\n\ndata: event 4\nid: 4\n\n"
    );
    // The first event goes out at once, then one per interval.
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");

    // A reconnecting client gets what follows its last event id; curl's
    // output piped into `rtw sse parse`.
    let out = curl(&["-H", "Last-Event-ID: 2", &server.url()]);
    let parsed = run(RTW, &["sse", "parse"], &out.stdout);
    assert_eq!(text(&parsed.stdout), tick(3) + &tick(4));

    // Nothing left: 204 No Content, which stops an EventSource.
    let out = curl(&[
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "-H",
        "Last-Event-ID: 4",
        &server.url(),
    ]);
    assert_eq!(text(&out.stdout), "204");
    // Only GET and HEAD.
    let out = curl(&[
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "-X",
        "POST",
        &server.url(),
    ]);
    assert_eq!(text(&out.stdout), "405");
}

#[test]
fn serve_without_count_streams_until_the_client_leaves() {
    require_tool("curl");
    let server = Server::start(&["--interval-ms", "20"]);
    // Read 50 events' lines from a live stream, then hang up.
    let mut child = Command::new("curl")
        .args([
            "-N",
            "-s",
            "--max-time",
            "15",
            "-H",
            "Last-Event-ID: 1000",
            &server.url(),
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawning curl");
    let mut stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut buf = vec![0; 64];
        let mut got = Vec::new();
        while got.iter().filter(|&&b| b == b'\n').count() < 150 {
            match stdout.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
        let _ = tx.send(got);
    });
    let got = rx
        .recv_timeout(TIMEOUT)
        .expect("50 events from the live stream");
    let _ = child.kill();
    let _ = child.wait();
    let parsed = run(RTW, &["sse", "parse"], &got);
    let expected: String = (1001..1051).map(tick).collect();
    assert_eq!(text(&parsed.stdout), expected);
}

#[test]
fn client_follows_the_stream_across_its_end_until_204() {
    let server = Server::start(&["--interval-ms", "20", "--count", "3"]);
    let out = run(
        RTW,
        &["sse", "client", "--reconnect-ms", "50", &server.url()],
        b"",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), tick(1) + &tick(2) + &tick(3));
    assert_eq!(
        text(&out.stderr),
        "open\ndisconnected; reconnecting in 50ms\nthe server said 204 No Content: done\n"
    );

    let out = run(RTW, &["sse", "client", "--count", "2", &server.url()], b"");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), tick(1) + &tick(2));
}

#[test]
fn client_gives_up_on_refused_connections_and_wrong_urls() {
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/");
    let out = run(
        RTW,
        &[
            "sse",
            "client",
            "--reconnect-ms",
            "10",
            "--max-retries",
            "1",
            &url,
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.starts_with("disconnected (connecting: "), "{stderr}");
    assert!(
        stderr.contains("\nrtw sse client: Disconnected, giving up: connecting: "),
        "{stderr}"
    );

    let out = run(RTW, &["sse", "client", "https://127.0.0.1:1/"], b"");
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("TLS"), "{}", text(&out.stderr));
}
