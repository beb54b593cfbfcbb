//! Helpers shared by the real-peer tests: a bounded HTTP/1.1 request-head
//! reader, a guard for required tools, and a child process runner with a
//! timeout.

use std::process::{Output, Stdio};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::Command;
use tokio::time::timeout;

/// Bounded waits and required tools come from `rtw_testkit`.
#[allow(unused_imports)]
pub(crate) use rtw_testkit::{TIMEOUT, require_tool};

/// Largest request head the test servers accept.
const MAX_HEAD: usize = 16 * 1024;

/// A parsed request head (RFC 9112 §3).
#[derive(Debug)]
pub(crate) struct RequestHead {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) headers: Vec<(String, String)>,
}

impl RequestHead {
    /// The first field called `name` (case-insensitive).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Read and parse a request head with httparse; returns it with the bytes
/// read past it (the start of the body).
pub(crate) async fn read_head(stream: &mut TcpStream) -> (RequestHead, BytesMut) {
    let mut buf = BytesMut::with_capacity(4096);
    loop {
        let n = timeout(TIMEOUT, stream.read_buf(&mut buf))
            .await
            .expect("timed out reading the request head")
            .expect("reading the request head");
        assert!(n > 0, "connection closed inside the request head");
        let mut fields = [httparse::EMPTY_HEADER; 64];
        let mut req = httparse::Request::new(&mut fields);
        match req.parse(&buf).expect("malformed request head") {
            httparse::Status::Complete(len) => {
                let head = RequestHead {
                    method: req.method.unwrap_or_default().to_owned(),
                    path: req.path.unwrap_or_default().to_owned(),
                    headers: req
                        .headers
                        .iter()
                        .map(|h| {
                            (
                                h.name.to_owned(),
                                String::from_utf8_lossy(h.value).into_owned(),
                            )
                        })
                        .collect(),
                };
                let body = buf.split_off(len);
                return (head, body);
            }
            httparse::Status::Partial => {
                assert!(buf.len() < MAX_HEAD, "request head over {MAX_HEAD} bytes");
            }
        }
    }
}

/// Run `cmd` to completion within [`TIMEOUT`], feeding `stdin` piece by
/// piece with a short pause between pieces (so a streaming peer sees them
/// apart), then closing it. Panics on timeout; the child is killed.
pub(crate) async fn run(cmd: &mut Command, stdin: Vec<Bytes>) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawning the peer");
    let mut input = child.stdin.take().expect("piped stdin");
    let feeder = tokio::spawn(async move {
        for piece in stdin {
            if input.write_all(&piece).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    let output = timeout(TIMEOUT, child.wait_with_output())
        .await
        .expect("peer did not finish in time")
        .expect("waiting for the peer");
    feeder.await.expect("stdin feeder");
    output
}
