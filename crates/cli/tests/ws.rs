//! `rtw ws echo-server`, `rtw ws client` and `rtw ws autobahn-client` as a
//! user runs them, over loopback, each step bounded in time.

use std::io::Write;
use std::thread;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rtw_tokio::ws::{Message, accept, connect};
use tokio::net::TcpListener;

mod common;
use common::{Running, TIMEOUT, rtw};

/// A running `rtw ws echo-server`, killed on drop.
struct EchoServer(Running);

impl EchoServer {
    fn start() -> EchoServer {
        EchoServer(Running::start(&["ws", "echo-server", "127.0.0.1:0"]))
    }

    fn url(&self) -> String {
        format!("ws://{}/", self.0.addr)
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_client_sends_lines_and_prints_the_echoes() {
    let server = EchoServer::start();
    let out = rtw(
        &["ws", "client", &server.url()],
        "hello\nwörld\n\nlast".as_bytes(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "hello\nwörld\n\nlast\n");
    assert_eq!(
        text(&out.stderr),
        "closed: 1000\n",
        "the server's close reply"
    );
}

#[test]
fn the_client_sends_binary_with_the_flag() {
    let server = EchoServer::start();
    let out = rtw(
        &["ws", "client", "--binary", &server.url()],
        b"\x01\x02 raw\n",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(out.stdout, b"\x01\x02 raw\n");
}

#[test]
fn the_client_reports_unreachable_servers_and_unreadable_cas() {
    // wss:// is served (tests/tls.rs); an unreadable --ca is named.
    let out = rtw(
        &[
            "ws",
            "client",
            "--ca",
            "/nonexistent/ca.pem",
            "wss://127.0.0.1:1/",
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("/nonexistent/ca.pem"),
        "{}",
        text(&out.stderr)
    );
    for url in ["ws://127.0.0.1:1/", "wss://127.0.0.1:1/"] {
        let out = rtw(&["ws", "client", url], b"");
        assert_eq!(out.status.code(), Some(1));
        assert!(
            text(&out.stderr).starts_with("rtw ws client: "),
            "{}",
            text(&out.stderr)
        );
    }
}

#[tokio::test]
async fn the_echo_server_serves_many_connections_at_once() {
    let server = EchoServer::start();
    let url = server.url();
    // An idle connection does not hold up the others.
    let (mut idle, _) = connect(&url).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..16u32 {
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            let (mut ws, _) = connect(&url).await.unwrap();
            for j in 0..20u32 {
                let m = if j % 2 == 0 {
                    Message::text(format!("{i}-{j}"))
                } else {
                    Message::binary(vec![i as u8; (j * 1000) as usize])
                };
                ws.send(m.clone()).await.unwrap();
                assert_eq!(ws.next().await.unwrap().unwrap(), m);
            }
            ws.close().await.unwrap();
        }));
    }
    for task in tasks {
        tokio::time::timeout(TIMEOUT, task)
            .await
            .expect("a connection hung")
            .unwrap();
    }
    idle.send(Message::text("still here")).await.unwrap();
    let echo = tokio::time::timeout(TIMEOUT, idle.next()).await.unwrap();
    assert_eq!(echo.unwrap().unwrap(), Message::text("still here"));
}

/// A stand-in for Autobahn's fuzzingserver: 3 cases, each sending a text
/// and a binary message that must come back before it closes. Returns the
/// request targets it saw.
async fn fake_fuzzingserver(listener: TcpListener, connections: usize) -> Vec<String> {
    let mut targets = Vec::new();
    for _ in 0..connections {
        let (tcp, _) = listener.accept().await.unwrap();
        let (mut ws, negotiated) = accept(tcp).await.unwrap();
        let target = negotiated.request.uri().to_string();
        if target == "/getCaseCount" {
            ws.send(Message::text("3")).await.unwrap();
        } else if target.starts_with("/runCase?case=") {
            for m in [
                Message::text(target.clone()),
                Message::binary(vec![0xAB; 70_000]),
            ] {
                ws.send(m.clone()).await.unwrap();
                assert_eq!(ws.next().await.unwrap().unwrap(), m, "{target}");
            }
        }
        ws.close().await.unwrap();
        targets.push(target);
    }
    targets
}

#[tokio::test]
async fn the_autobahn_client_runs_each_case_then_updates_reports() {
    for (extra, cases) in [(None, 3), (Some("2"), 2)] {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("ws://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(fake_fuzzingserver(listener, cases + 2));
        let mut args = vec![
            "ws",
            "autobahn-client",
            "--url",
            &url,
            "--agent",
            "rtw test",
        ];
        if let Some(n) = extra {
            args.extend(["--cases", n]);
        }
        let args: Vec<String> = args.into_iter().map(String::from).collect();
        let out = tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            rtw(&args, b"")
        })
        .await
        .unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        let targets = tokio::time::timeout(TIMEOUT, server)
            .await
            .unwrap()
            .unwrap();
        let mut expected = vec!["/getCaseCount".to_owned()];
        expected.extend((1..=cases).map(|i| format!("/runCase?case={i}&agent=rtw%20test")));
        expected.push("/updateReports?agent=rtw%20test".to_owned());
        assert_eq!(targets, expected);
        let stdout = text(&out.stdout);
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(lines[0], format!("3 cases, running {cases}"));
        for (i, line) in (1..=cases).zip(&lines[1..]) {
            assert!(
                line.starts_with(&format!("case {i}/{cases}: 2 echoed, closed 1000 in ")),
                "{stdout}"
            );
        }
        assert_eq!(lines.last(), Some(&"reports updated for agent rtw test"));
    }
}

/// A handshake that trickles in a byte at a time is cut off at
/// `--header-timeout`, and a connection over the per-address cap gets 503
/// before any upgrade.
#[test]
fn echo_server_bounds_slow_handshakes_and_connections_per_address() {
    use std::io::Read;
    use std::net::TcpStream;
    use std::time::Instant;

    let server = Running::start(&[
        "ws",
        "echo-server",
        "127.0.0.1:0",
        "--header-timeout",
        "1",
        "--max-connections-per-ip",
        "2",
    ]);
    let mut slow = TcpStream::connect(server.addr).unwrap();
    slow.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let start = Instant::now();
    let mut closed = None;
    for byte in b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
        .iter()
        .cycle()
    {
        if start.elapsed() > Duration::from_secs(5) {
            break;
        }
        if slow.write_all(&[*byte]).is_err() {
            closed = Some(start.elapsed());
            break;
        }
        let mut buf = [0; 512];
        match slow.read(&mut buf) {
            Ok(_) => {
                // The 400 of a timed-out handshake, or end of file.
                closed = Some(start.elapsed());
                break;
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(_) => {
                closed = Some(start.elapsed());
                break;
            }
        }
    }
    let closed = closed.expect("a trickling handshake still open after 5 s");
    assert!(closed >= Duration::from_millis(900), "{closed:?}");

    // Two connections from 127.0.0.1 are held; the third gets 503.
    let _held: Vec<TcpStream> = (0..2)
        .map(|_| TcpStream::connect(server.addr).unwrap())
        .collect();
    thread::sleep(Duration::from_millis(200));
    let mut third = TcpStream::connect(server.addr).unwrap();
    third.set_read_timeout(Some(TIMEOUT)).unwrap();
    let mut answer = Vec::new();
    let _ = third.read_to_end(&mut answer);
    assert!(
        answer.starts_with(b"HTTP/1.1 503"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
}
