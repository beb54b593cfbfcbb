//! Headless Chromium, a real browser client for the WebSocket and
//! Server-Sent Events tests: [`Chromium::launch`] opens a page with the
//! flags every browser test uses, and [`ReportPage`] serves that page and
//! takes the JSON report the page POSTs back.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use crate::tool::require_tool;

/// The flags of every browser test: headless, no sandbox (tests run as
/// root in CI), and nothing that talks to the network on its own (no
/// QUIC, no background networking, component updates or sync).
pub const FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/// Profiles made by this process so far, for unique directory names.
static PROFILES: AtomicUsize = AtomicUsize::new(0);

/// A headless Chromium showing one page, in a fresh profile directory.
/// Killed, and its profile removed, on drop.
#[derive(Debug)]
pub struct Chromium {
    child: Child,
    profile: PathBuf,
}

impl Chromium {
    /// Start `chromium` with [`FLAGS`] on `url`. Fails the test when
    /// Chromium is not installed (see [`require_tool`]); its stderr goes
    /// to a log file in the profile, read by [`Chromium::log`].
    pub fn launch(url: &str) -> Chromium {
        Chromium::launch_with(url, &[])
    }

    /// [`Chromium::launch`] with `extra` flags after [`FLAGS`] (for example
    /// `--ignore-certificate-errors-spki-list=HASH` to trust a test
    /// certificate by its public key).
    pub fn launch_with(url: &str, extra: &[&str]) -> Chromium {
        require_tool("chromium");
        let profile = std::env::temp_dir().join(format!(
            "rtw-chromium-{}-{}",
            std::process::id(),
            PROFILES.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&profile);
        std::fs::create_dir_all(&profile)
            .unwrap_or_else(|e| panic!("creating {}: {e}", profile.display()));
        let log = std::fs::File::create(profile.join("chromium.log"))
            .unwrap_or_else(|e| panic!("creating chromium.log: {e}"));
        let child = Command::new("chromium")
            // A process group of its own, so that `kill` ends its helper
            // processes (renderer, GPU, utility, crashpad) too.
            .process_group(0)
            .args(FLAGS)
            .args(extra)
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg(url)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("spawning chromium: {e}"));
        Chromium { child, profile }
    }

    /// The profile directory.
    pub fn profile(&self) -> &Path {
        &self.profile
    }

    /// What Chromium wrote to stderr so far (for a failure message).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.profile.join("chromium.log")).unwrap_or_default()
    }

    /// Kill Chromium and its helper processes (its process group) and wait
    /// for the browser process to be gone.
    pub fn kill(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        self.kill();
        // A helper that was writing into the profile when it was killed
        // may finish that write after a first removal: remove until the
        // directory stays gone (5 s at most).
        for _ in 0..50 {
            let _ = std::fs::remove_dir_all(&self.profile);
            if !self.profile.exists() {
                return;
            }
            thread::sleep(Duration::from_millis(100));
        }
    }
}

/// A one-page HTTP/1.1 server on 127.0.0.1 for a browser test: `GET /`
/// (with any query) answers the page, `POST /report` hands its body to
/// [`ReportPage::report`], anything else is a 404. Runs in a thread until
/// the test process ends; loopback only.
#[derive(Debug)]
pub struct ReportPage {
    addr: SocketAddr,
    reports: mpsc::Receiver<Vec<u8>>,
}

/// The largest request head and report body [`ReportPage`] reads.
const MAX_REQUEST: usize = 1 << 20;

impl ReportPage {
    /// Serve `page` (HTML) on an ephemeral loopback port.
    pub fn serve(page: &'static str) -> ReportPage {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let (tx, reports) = mpsc::channel();
        thread::spawn(move || {
            for tcp in listener.incoming().flatten() {
                let tx = tx.clone();
                thread::spawn(move || {
                    if let Some(body) = exchange(tcp, page) {
                        let _ = tx.send(body);
                    }
                });
            }
        });
        ReportPage { addr, reports }
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR/` followed by `query` (e.g. `?ws=...`, or empty).
    pub fn url(&self, query: &str) -> String {
        format!("http://{}/{query}", self.addr)
    }

    /// The body of the first report POSTed within `timeout`; `None` if
    /// none came.
    pub fn report(&self, timeout: Duration) -> Option<Vec<u8>> {
        self.reports.recv_timeout(timeout).ok()
    }
}

/// One HTTP/1.1 exchange: `Some(body)` for a `POST /report`, `None` after
/// serving the page, a 404 or a broken request.
fn exchange(mut tcp: TcpStream, page: &str) -> Option<Vec<u8>> {
    tcp.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    let mut buf = Vec::new();
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > MAX_REQUEST {
            return None;
        }
        let mut chunk = [0u8; 4096];
        let n = tcp.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    if head.starts_with("POST /report ") {
        let len = content_length(&head).unwrap_or(0).min(MAX_REQUEST);
        let mut body = buf[head_end..].to_vec();
        while body.len() < len {
            let mut chunk = [0u8; 4096];
            let n = tcp.read(&mut chunk).ok()?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
        let _ = tcp.write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
        return Some(body);
    }
    let (status, body) = if head.starts_with("GET / ") || head.starts_with("GET /?") {
        ("200 OK", page)
    } else {
        ("404 Not Found", "")
    };
    let reply = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = tcp.write_all(reply.as_bytes());
    None
}

/// The `Content-Length` of a request head, if it has one.
fn content_length(head: &str) -> Option<usize> {
    head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse().ok())?
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(addr: SocketAddr, raw: &[u8]) -> String {
        let mut tcp = TcpStream::connect(addr).unwrap();
        tcp.write_all(raw).unwrap();
        let mut reply = String::new();
        tcp.read_to_string(&mut reply).unwrap();
        reply
    }

    #[test]
    fn the_page_is_served_and_the_report_taken() {
        let page = ReportPage::serve("<p>hi</p>");
        let addr = page.addr();
        assert_eq!(page.url("?q"), format!("http://{addr}/?q"));
        let reply = request(addr, b"GET /?ws=x HTTP/1.1\r\nHost: a\r\n\r\n");
        assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"), "{reply}");
        assert!(reply.ends_with("\r\n\r\n<p>hi</p>"), "{reply}");
        let reply = request(addr, b"GET /favicon.ico HTTP/1.1\r\n\r\n");
        assert!(reply.starts_with("HTTP/1.1 404 "), "{reply}");
        let reply = request(
            addr,
            b"POST /report HTTP/1.1\r\ncontent-length: 7\r\n\r\n{\"a\":1}",
        );
        assert!(reply.starts_with("HTTP/1.1 204 "), "{reply}");
        assert_eq!(
            page.report(Duration::from_secs(5)).as_deref(),
            Some(&b"{\"a\":1}"[..])
        );
        assert_eq!(page.report(Duration::from_millis(10)), None);
    }

    #[test]
    fn content_length_is_found_in_any_case() {
        assert_eq!(
            content_length("POST / HTTP/1.1\r\nCONTENT-LENGTH: 12\r\n"),
            Some(12)
        );
        assert_eq!(content_length("POST / HTTP/1.1\r\n"), None);
    }
}
