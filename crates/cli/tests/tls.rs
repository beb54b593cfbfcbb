//! TLS on rtw's servers as a user runs them, with a test CA and a leaf for
//! 127.0.0.1 and localhost made here (rcgen): `rtw serve --tls-cert
//! --tls-key` with curl `--cacert` (publish, poll, SSE) and headless
//! Chromium (the demo page and a wss:// WebSocket, the certificate trusted
//! by its public key's hash); `rtw ws echo-server` with `rtw ws client
//! --ca`; `rtw stomp broker` with `rtw stomp send/subscribe --ca` over
//! `stomps://` and `wss://`.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use rtw_testkit::chromium::Chromium;
use rtw_testkit::pki::TestPki;

mod common;
use common::{RTW, Running, TIMEOUT, require_tool, rtw, run};

/// The test PKI (`ca.pem`, `leaf.pem`, `leaf.key` for 127.0.0.1 and
/// localhost) with the paths as the command line takes them.
struct Pki {
    files: TestPki,
}

impl Pki {
    fn new() -> Pki {
        Pki {
            files: TestPki::new(),
        }
    }

    fn path(&self, name: &str) -> String {
        self.files.path(name).display().to_string()
    }

    /// `--tls-cert LEAF --tls-key KEY`.
    fn server_flags(&self) -> Vec<String> {
        vec![
            "--tls-cert".into(),
            self.path("leaf.pem"),
            "--tls-key".into(),
            self.path("leaf.key"),
        ]
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `rtw serve --listen 127.0.0.1:0 ARGS`, killed on drop, with the
/// address of its `listening on https://IP:PORT` line.
struct Serve {
    child: Child,
    addr: String,
}

impl Serve {
    fn start(args: &[String]) -> Serve {
        let mut child = Command::new(RTW)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let _ = tx.send(line);
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });
        let line = rx.recv_timeout(TIMEOUT).unwrap_or_default();
        let Some(addr) = line.trim().strip_prefix("listening on https://") else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("first line {line:?}, not `listening on https://IP:PORT`");
        };
        Serve {
            addr: addr.to_owned(),
            child,
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `curl ARGS` within TIMEOUT: its stdout, or a panic with its stderr.
fn curl(args: &[&str]) -> String {
    let out = run("curl", &[&["-sS", "--max-time", "20"], args].concat(), b"");
    assert!(out.status.success(), "curl {args:?}: {}", text(&out.stderr));
    text(&out.stdout)
}

#[test]
fn rtw_serve_over_https_with_curl() {
    require_tool("curl");
    let pki = Pki::new();
    let serve = Serve::start(&pki.server_flags());
    let ca = pki.path("ca.pem");
    let base = format!("https://{}", serve.addr);
    // Without the CA, curl refuses the certificate.
    let refused = run(
        "curl",
        &["-sS", "--max-time", "20", &format!("{base}/topics/t/poll")],
        b"",
    );
    assert!(!refused.status.success());
    // An SSE reader over https, started before the publish.
    let mut sse = Command::new("curl")
        .args([
            "-sS",
            "-N",
            "--max-time",
            "20",
            "--cacert",
            &ca,
            &format!("{base}/topics/t/events"),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = sse.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        while reader.read_line(&mut line).unwrap_or(0) > 0 {
            if line.starts_with("data:") {
                let _ = tx.send(line.clone());
            }
            line.clear();
        }
    });
    assert_eq!(
        curl(&["--cacert", &ca, &format!("{base}/topics/t/poll")]),
        "[]"
    );
    // The SSE response is open once a publish reaches it: publish until
    // the reader sees one (it starts at the next message).
    let mut seen = None;
    for i in 0..50 {
        let published = curl(&[
            "--cacert",
            &ca,
            "-d",
            &format!("hello {i}"),
            &format!("{base}/topics/t"),
        ]);
        assert!(published.contains("\"id\""), "{published}");
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
            seen = Some(line);
            break;
        }
    }
    let _ = sse.kill();
    let _ = sse.wait();
    let seen = seen.expect("an event over SSE on https");
    let data = seen.trim_start_matches("data:").trim();
    assert!(data.starts_with("hello "), "{seen:?}");
    let polled = curl(&["--cacert", &ca, &format!("{base}/topics/t/poll")]);
    assert!(polled.contains("\"data\":\"hello 0\""), "{polled}");
    // By name too, and the demo page.
    let port = serve.addr.rsplit(':').next().unwrap();
    let page = curl(&["--cacert", &ca, &format!("https://localhost:{port}/")]);
    assert!(
        page.contains("<html") || page.contains("<!doctype"),
        "{page}"
    );
}

#[test]
fn tls_flags_go_together_and_bad_files_are_named() {
    let pki = Pki::new();
    let out = rtw(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--tls-cert",
            &pki.path("leaf.pem"),
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("--tls-key"),
        "{}",
        text(&out.stderr)
    );
    let out = rtw(
        &[
            "ws",
            "echo-server",
            "127.0.0.1:0",
            "--tls-cert",
            &pki.path("leaf.pem"),
            "--tls-key",
            &pki.path("missing.key"),
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("missing.key"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn rtw_ws_echo_server_over_wss_with_the_client_and_ca() {
    let pki = Pki::new();
    let flags = pki.server_flags();
    let mut args = vec!["ws", "echo-server", "127.0.0.1:0"];
    args.extend(flags.iter().map(String::as_str));
    let server = Running::start(&args);
    let ca = pki.path("ca.pem");
    for host in ["127.0.0.1", "localhost"] {
        let url = format!("wss://{host}:{}/", server.port());
        let out = rtw(
            &["ws", "client", "--ca", &ca, &url],
            "hello\nwörld\n".as_bytes(),
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_eq!(text(&out.stdout), "hello\nwörld\n");
    }
    // autobahn-client speaks wss:// too: without --ca the platform's
    // roots do not know the test CA, with a missing one the file is named.
    let url = format!("wss://localhost:{}", server.port());
    let out = rtw(
        &["ws", "autobahn-client", "--url", &url, "--agent", "a"],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("invalid peer certificate")
            || text(&out.stderr).contains("platform's root certificates"),
        "{}",
        text(&out.stderr)
    );
    let missing = pki.path("missing-ca.pem");
    let out = rtw(
        &[
            "ws",
            "autobahn-client",
            "--url",
            &url,
            "--agent",
            "a",
            "--ca",
            &missing,
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("missing-ca.pem"),
        "{}",
        text(&out.stderr)
    );
    // Without --ca the platform's roots do not know the test CA.
    let url = format!("wss://localhost:{}/", server.port());
    let out = rtw(&["ws", "client", &url], b"x\n");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("invalid peer certificate")
            || text(&out.stderr).contains("platform's root certificates"),
        "{}",
        text(&out.stderr)
    );
}

/// `rtw stomp subscribe URL DEST --count N --ca CA`, started.
fn subscriber(url: &str, destination: &str, count: usize, ca: &str) -> Child {
    Command::new(RTW)
        .args([
            "stomp",
            "subscribe",
            url,
            destination,
            "--count",
            &count.to_string(),
            "--ca",
            ca,
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// A child's output once it exits, within TIMEOUT (killed after).
fn output_within(mut child: Child) -> (bool, String, String) {
    let deadline = std::time::Instant::now() + TIMEOUT;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut out = String::new();
            let mut err = String::new();
            child
                .stdout
                .take()
                .unwrap()
                .read_to_string(&mut out)
                .unwrap();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            return (status.success(), out, err);
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("not done within {TIMEOUT:?}");
        }
        thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn rtw_stomp_broker_over_tls_and_wss() {
    let pki = Pki::new();
    let flags = pki.server_flags();
    let mut args = vec![
        "stomp",
        "broker",
        "--tcp",
        "127.0.0.1:0",
        "--ws",
        "127.0.0.1:0",
    ];
    args.extend(flags.iter().map(String::as_str));
    // The first line is the TCP listener; the WebSocket one is found by a
    // second broker without --tcp.
    let tcp_broker = Running::start(&args);
    let mut ws_args = vec!["stomp", "broker", "--ws", "127.0.0.1:0"];
    ws_args.extend(flags.iter().map(String::as_str));
    let ws_broker = Running::start(&ws_args);
    let ca = pki.path("ca.pem");
    for url in [
        format!("stomps://localhost:{}", tcp_broker.port()),
        format!("stomps://127.0.0.1:{}", tcp_broker.port()),
        format!("wss://localhost:{}/stomp", ws_broker.port()),
    ] {
        // A queue keeps what is sent before its consumer comes.
        let sent = rtw(
            &["stomp", "send", &url, "/queue/tls", "--ca", &ca],
            b"one\ntwo\n",
        );
        assert!(sent.status.success(), "{url}: {}", text(&sent.stderr));
        let (ok, out, err) = output_within(subscriber(&url, "/queue/tls", 2, &ca));
        assert!(ok, "{url}: {err}");
        assert_eq!(out, "one\ntwo\n", "{url}");
    }
    // Plain TCP to the TLS listener gets nothing it can read as STOMP.
    let plain = rtw(
        &[
            "stomp",
            "send",
            &format!("tcp://127.0.0.1:{}", tcp_broker.port()),
            "/queue/x",
        ],
        b"x\n",
    );
    assert_eq!(plain.status.code(), Some(1));
    // Without --ca: refused, saying why.
    let refused = rtw(
        &[
            "stomp",
            "send",
            &format!("stomps://localhost:{}", tcp_broker.port()),
            "/queue/x",
        ],
        b"x\n",
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        text(&refused.stderr).contains("invalid peer certificate")
            || text(&refused.stderr).contains("platform's root certificates"),
        "{}",
        text(&refused.stderr)
    );
}

/// The page Chromium opens (over http, from the test's report server): it
/// fetches rtw serve's demo page over https, opens a wss:// WebSocket to
/// /topics/tls/ws, publishes over https once it is open, and reports what
/// came (or the error) as JSON.
const PAGE: &str = r#"<!doctype html>
<meta charset="utf-8">
<title>rtw tls</title>
<script>
const base = new URLSearchParams(location.search).get('base');
const report = (r) => fetch('/report', {method: 'POST', body: JSON.stringify(r)});
(async () => {
  const r = {};
  try {
    const page = await fetch(base + '/');
    r.pageStatus = page.status;
    r.pageHasRtw = (await page.text()).includes('rtw');
  } catch (e) { r.pageError = String(e); }
  try {
    const ws = new WebSocket(base.replace('https:', 'wss:') + '/topics/tls/ws');
    ws.onopen = async () => {
      const sent = await fetch(base + '/topics/tls', {method: 'POST', body: 'over wss'});
      r.publishStatus = sent.status;
    };
    ws.onmessage = (e) => { r.message = e.data; ws.close(); report(r); };
    ws.onerror = () => { r.wsError = true; report(r); };
  } catch (e) { r.wsError = String(e); report(r); }
})();
</script>
"#;

#[test]
fn chromium_loads_https_and_gets_a_message_over_wss() {
    require_tool("chromium");
    let pki = Pki::new();
    let page = rtw_testkit::ReportPage::serve(PAGE);
    let mut flags = pki.server_flags();
    flags.extend([
        "--allow-origin".to_owned(),
        format!("http://{}", page.addr()),
    ]);
    let serve = Serve::start(&flags);
    let base = format!("https://{}", serve.addr);
    let url = page.url(&format!("?base={base}"));
    let trust = format!(
        "--ignore-certificate-errors-spki-list={}",
        pki.files.leaf_spki_sha256()
    );
    let mut browser = Chromium::launch_with(&url, &[&trust]);
    let report = page.report(Duration::from_secs(60));
    let log = browser.log();
    browser.kill();
    let report =
        text(&report.unwrap_or_else(|| panic!("no report from Chromium; its log:\n{log}")));
    assert!(report.contains("\"pageStatus\":200"), "{report}");
    assert!(report.contains("\"pageHasRtw\":true"), "{report}");
    assert!(report.contains("over wss"), "{report}");
    assert!(!report.contains("wsError"), "{report}");
}
