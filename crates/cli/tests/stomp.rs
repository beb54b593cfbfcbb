//! `rtw stomp broker`, `send`, `subscribe` and `check` against each other on
//! loopback, over TCP and WebSocket: a topic reaches every subscriber, a
//! queue keeps messages for a later consumer, and bad command lines.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{RTW, Running, rtw};

/// A broker on TCP; its `tcp://` URL.
fn broker() -> (Running, String) {
    let server = Running::start(&["stomp", "broker", "--tcp", "127.0.0.1:0"]);
    let tcp = format!("tcp://{}", server.addr);
    (server, tcp)
}

/// `rtw stomp subscribe URL DEST --count N ...`, started.
fn subscriber(url: &str, destination: &str, count: usize, extra: &[&str]) -> std::process::Child {
    Command::new(RTW)
        .args([
            "stomp",
            "subscribe",
            url,
            destination,
            "--count",
            &count.to_string(),
        ])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawning rtw stomp subscribe")
}

/// The lines a subscriber printed, once it has exited with success.
fn lines_of(child: std::process::Child) -> Vec<String> {
    let output = child.wait_with_output().expect("the subscriber ends");
    assert!(
        output.status.success(),
        "subscriber: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    BufReader::new(&output.stdout[..])
        .lines()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn a_topic_reaches_every_subscriber_and_a_queue_waits_for_its_consumer() {
    let (server, tcp) = broker();
    let a = subscriber(&tcp, "/topic/news", 3, &[]);
    let b = subscriber(&tcp, "/topic/news", 3, &["--ack", "client-individual"]);
    // Both subscriptions are in place before anything is sent (a topic
    // keeps nothing for later subscribers).
    std::thread::sleep(Duration::from_millis(1500));
    let sent = rtw(
        &["stomp", "send", &tcp, "/topic/news"],
        b"one\ntwo\nthree\n",
    );
    assert!(
        sent.status.success(),
        "{}",
        String::from_utf8_lossy(&sent.stderr)
    );
    assert_eq!(lines_of(a), ["one", "two", "three"]);
    assert_eq!(lines_of(b), ["one", "two", "three"]);

    // A queue keeps what nobody consumed yet.
    let sent = rtw(&["stomp", "send", &tcp, "/queue/jobs"], b"j1\nj2\n");
    assert!(sent.status.success());
    let got = rtw(
        &[
            "stomp",
            "subscribe",
            &tcp,
            "/queue/jobs",
            "--count",
            "2",
            "--ack",
            "client",
        ],
        b"",
    );
    assert!(
        got.status.success(),
        "{}",
        String::from_utf8_lossy(&got.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&got.stdout), "j1\nj2\n");
    drop(server);
}

#[test]
fn stomp_over_websocket_with_the_stomp_subprotocols() {
    let server = Running::start(&["stomp", "broker", "--ws", "127.0.0.1:0"]);
    let ws = format!("ws://{}/stomp", server.addr);
    let sent = rtw(&["stomp", "send", &ws, "/queue/w"], b"over websocket\n");
    assert!(
        sent.status.success(),
        "{}",
        String::from_utf8_lossy(&sent.stderr)
    );
    let got = rtw(
        &["stomp", "subscribe", &ws, "/queue/w", "--count", "1"],
        b"",
    );
    assert!(
        got.status.success(),
        "{}",
        String::from_utf8_lossy(&got.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&got.stdout), "over websocket\n");
}

#[test]
fn bad_urls_and_refused_logins_fail_with_a_reason() {
    let bad = rtw(&["stomp", "send", "http://127.0.0.1:1", "/queue/x"], b"");
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("tcp:// or ws://"));

    let server = Running::start(&[
        "stomp",
        "broker",
        "--tcp",
        "127.0.0.1:0",
        "--user",
        "alice:secret",
    ]);
    let tcp = format!("tcp://{}", server.addr);
    let refused = rtw(
        &[
            "stomp",
            "send",
            &tcp,
            "/queue/x",
            "--login",
            "alice",
            "--passcode",
            "wrong",
        ],
        b"x\n",
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("refused"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    let ok = rtw(
        &[
            "stomp",
            "send",
            &tcp,
            "/queue/x",
            "--login",
            "alice",
            "--passcode",
            "secret",
        ],
        b"x\n",
    );
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
}

/// `rtw stomp check URL FLAGS`: its output, once it has exited.
fn check(url: &str, flags: &[&str]) -> (bool, String) {
    let mut args = vec!["stomp", "check", url, "--wait", "5000", "--quiet", "500"];
    args.extend_from_slice(flags);
    let output = rtw(&args, b"");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    (output.status.success(), stdout)
}

#[test]
fn rtw_stomp_check_passes_against_rtw_stomp_broker_over_tcp_and_websocket() {
    for listener in ["--tcp", "--ws"] {
        let server = Running::start(&[
            "stomp",
            "broker",
            listener,
            "127.0.0.1:0",
            "--heart-beat",
            "500,500",
        ]);
        let url = match listener {
            "--tcp" => format!("tcp://{}", server.addr),
            _ => format!("ws://{}/stomp", server.addr),
        };
        let (success, stdout) = check(&url, &["--heart-beat", "500"]);
        assert!(success, "{url}:\n{stdout}");
        let oks: Vec<&str> = stdout.lines().filter(|l| l.starts_with("ok    ")).collect();
        assert_eq!(oks.len(), 12, "{url}:\n{stdout}");
        for name in ["nack:", "commit:", "abort:", "heart-beat:", "error:"] {
            assert!(
                oks.iter().any(|l| l[6..].starts_with(name)),
                "{name}\n{stdout}"
            );
        }
    }
}

#[test]
fn rtw_stomp_check_fails_where_the_broker_declines_heart_beats() {
    let server = Running::start(&[
        "stomp",
        "broker",
        "--tcp",
        "127.0.0.1:0",
        "--heart-beat",
        "0,0",
    ]);
    let url = format!("tcp://{}", server.addr);
    let (success, stdout) = check(&url, &["--only", "heart-beat", "--only", "receipt"]);
    assert!(!success, "{stdout}");
    assert!(stdout.contains("ok    receipt:"), "{stdout}");
    assert!(
        stdout.contains("FAIL  heart-beat: asked for heart-beats both ways"),
        "{stdout}"
    );
    let unknown = rtw(&["stomp", "check", &url, "--only", "nope"], b"");
    assert_eq!(unknown.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("the checks are connect, receipt"));
}
