//! A tokio server sends a chunked response (RFC 9112 §7.1) with
//! `ChunkedWriter`; curl, an independent HTTP/1.1 client, reads it raw
//! (`--raw`: the exact wire bytes) and decoded.
#![cfg(feature = "chunked")]

mod common;

use bytes::Bytes;
use http::HeaderMap;
use rtw_tokio::chunked::ChunkedWriter;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::process::Command;
use tokio::task::JoinHandle;
use tokio::time::timeout;

use common::{RequestHead, TIMEOUT, read_head, require_tool, run};

/// The payload pieces, one chunk each: small, hex with a letter (300 =
/// 0x12c), and one that looks like chunked framing itself.
fn pieces() -> Vec<Bytes> {
    let pattern: Vec<u8> = (0..300u32).map(|i| b'a' + (i % 26) as u8).collect();
    vec![
        Bytes::from_static(b"Hello, "),
        Bytes::from(pattern),
        Bytes::from_static(b"0\r\n\r\n"),
        Bytes::from_static(b" world\n"),
    ]
}

/// The exact response body on the wire, written out by hand.
fn expected_wire() -> Vec<u8> {
    let mut wire = b"7\r\nHello, \r\n12c\r\n".to_vec();
    wire.extend_from_slice(&pieces()[1]);
    wire.extend_from_slice(b"\r\n5\r\n0\r\n\r\n\r\n7\r\n world\n\r\n");
    wire.extend_from_slice(b"0\r\nx-checksum: 5f3a\r\n\r\n");
    wire
}

/// Accept one connection, read its request head, answer with a chunked body
/// and a trailer, close.
async fn serve_once() -> (u16, JoinHandle<RequestHead>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let (mut stream, _) = timeout(TIMEOUT, listener.accept())
            .await
            .expect("curl did not connect")
            .unwrap();
        let (head, _) = read_head(&mut stream).await;
        stream
            .write_all(
                b"HTTP/1.1 200 OK\r\n\
                  Content-Type: application/octet-stream\r\n\
                  Transfer-Encoding: chunked\r\n\
                  Trailer: x-checksum\r\n\
                  Connection: close\r\n\r\n",
            )
            .await
            .unwrap();
        let mut body = ChunkedWriter::new(&mut stream);
        for piece in pieces() {
            body.send(piece).await.unwrap();
            body.get_mut().flush().await.unwrap();
        }
        let mut trailers = HeaderMap::new();
        trailers.insert("x-checksum", "5f3a".parse().unwrap());
        body.finish(&trailers).await.unwrap();
        stream.shutdown().await.unwrap();
        head
    });
    (port, server)
}

fn curl(port: u16, extra: &[&str]) -> Command {
    let mut cmd = Command::new("curl");
    cmd.args(["-s", "-S", "--max-time", "15"])
        .args(extra)
        .arg(format!("http://127.0.0.1:{port}/body"));
    cmd
}

#[tokio::test]
async fn curl_raw_sees_the_exact_chunked_bytes() {
    require_tool("curl");
    let (port, server) = serve_once().await;
    let out = run(&mut curl(port, &["--raw"]), Vec::new()).await;
    let head = server.await.unwrap();
    assert!(out.status.success(), "curl: {out:?}");
    assert_eq!((head.method.as_str(), head.path.as_str()), ("GET", "/body"));
    assert_eq!(
        head.header("host"),
        Some(format!("127.0.0.1:{port}").as_str())
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&expected_wire())
    );
    assert_eq!(out.stdout, expected_wire());
}

#[tokio::test]
async fn curl_decodes_the_payload_and_sees_the_trailer() {
    require_tool("curl");
    let headers = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("rtw-tokio-curl-headers-{}", std::process::id()));
    let (port, server) = serve_once().await;
    let out = run(
        &mut curl(port, &["-D", headers.to_str().unwrap()]),
        Vec::new(),
    )
    .await;
    server.await.unwrap();
    assert!(out.status.success(), "curl: {out:?}");
    assert_eq!(out.stdout, pieces().concat());
    // curl writes trailer fields to its header dump, after the head.
    let dump = std::fs::read_to_string(&headers).unwrap();
    std::fs::remove_file(&headers).unwrap();
    let trailer_at = dump.find("x-checksum: 5f3a").expect(&dump);
    assert!(
        trailer_at > dump.find("Connection: close").unwrap(),
        "{dump}"
    );
}
