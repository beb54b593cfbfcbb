//! Headless Chromium's WebSocket, a real browser client, offers
//! permessage-deflate (RFC 7692) to `rtw ws echo-server`: the extension is
//! negotiated, and large compressible messages come back intact. A tiny
//! HTTP server in the test serves the page and takes its report (a POST of
//! JSON). Loopback only, bounded in time.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// How long Chromium gets to start, load the page, echo and report.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(60);

/// The page: opens the WebSocket given in its query, sends 5 messages of
/// 100 KiB of JSON (text and binary), checks every echo, POSTs a report.
const PAGE: &str = r#"<!doctype html>
<meta charset="utf-8">
<title>rtw ws deflate</title>
<script>
const report = (r) => fetch('/report', {method: 'POST', body: JSON.stringify(r)});
const url = new URLSearchParams(location.search).get('ws');
const make = (n) => {
  let s = '';
  for (let i = 0; s.length < 100 * 1024; i++) {
    s += JSON.stringify({id: i, message: n, name: 'item ' + i, tags: ['alpha', 'beta'], ok: true}) + ',';
  }
  return s.slice(0, 100 * 1024);
};
const sent = [0, 1, 2, 3, 4].map(make);
const results = [];
const ws = new WebSocket(url);
ws.binaryType = 'arraybuffer';
ws.onopen = () => {
  sent.forEach((s, i) => ws.send(i % 2 ? new TextEncoder().encode(s) : s));
};
ws.onmessage = (e) => {
  const i = results.length;
  const text = typeof e.data === 'string' ? e.data : new TextDecoder().decode(e.data);
  results.push({binary: typeof e.data !== 'string', intact: text === sent[i], length: text.length});
  if (results.length === sent.length) {
    ws.close(1000);
    report({extensions: ws.extensions, results});
  }
};
ws.onerror = () => report({error: 'websocket error', extensions: ws.extensions, results});
</script>
"#;

/// Processes killed on drop, and a profile directory removed on drop.
struct Cleanup(Vec<Child>, PathBuf);

impl Drop for Cleanup {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = std::fs::remove_dir_all(&self.1);
    }
}

mod common;
use common::Running;

/// One HTTP/1.1 exchange on `tcp`: `Some(body)` for a POST, `None` after
/// serving the page (or a 404).
async fn http_exchange(mut tcp: tokio::net::TcpStream) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let head_end = loop {
        let mut chunk = [0u8; 4096];
        let n = tcp.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    if head.starts_with("POST /report") {
        let len: usize = head
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse().ok())?
            })
            .unwrap_or(0);
        let mut body = buf[head_end..].to_vec();
        while body.len() < len {
            let mut chunk = [0u8; 4096];
            let n = tcp.read(&mut chunk).await.ok()?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
        let _ = tcp
            .write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
            .await;
        return Some(body);
    }
    let (status, body) = if head.starts_with("GET / ") || head.starts_with("GET /?") {
        ("200 OK", PAGE)
    } else {
        ("404 Not Found", "")
    };
    let reply = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = tcp.write_all(reply.as_bytes()).await;
    None
}

#[tokio::test]
async fn chromium_negotiates_permessage_deflate_with_the_echo_server() {
    // A missing peer fails the test (the CI installs Debian's `chromium`).
    if let Err(e) = Command::new("chromium").arg("--version").output() {
        panic!("chromium is required by this test and could not be run: {e}");
    }
    let server = Running::start(&["ws", "echo-server", "127.0.0.1:0"]);
    let ws_port = server.port();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let http = listener.local_addr().unwrap();
    let profile = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("rtw-ws-deflate-chromium-{}", std::process::id()));
    std::fs::create_dir_all(&profile).unwrap();
    let browser = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("http://{http}/?ws=ws://127.0.0.1:{ws_port}/"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawning chromium");
    let _cleanup = Cleanup(vec![browser], profile);

    let report = tokio::time::timeout(BROWSER_TIMEOUT, async {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            if let Some(body) = http_exchange(tcp).await {
                return body;
            }
        }
    })
    .await
    .expect("a report from the page in time");
    let report: serde_json::Value = serde_json::from_slice(&report).expect("JSON report");
    assert!(report.get("error").is_none(), "{report:#}");
    let extensions = report["extensions"].as_str().unwrap_or_default();
    assert!(
        extensions.starts_with("permessage-deflate"),
        "negotiated extensions {extensions:?}"
    );
    let results = report["results"].as_array().expect("results");
    assert_eq!(results.len(), 5, "{report:#}");
    for (i, r) in results.iter().enumerate() {
        assert_eq!(r["intact"], true, "message {i}: {report:#}");
        assert_eq!(r["length"], 100 * 1024, "message {i}");
        assert_eq!(r["binary"], i % 2 == 1, "message {i}");
    }
}
