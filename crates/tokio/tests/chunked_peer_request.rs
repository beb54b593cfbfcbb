//! Chunked request bodies (RFC 9112 §7.1) from independent producers,
//! Python's `http.client` and curl, decoded by a tokio server of ours that
//! parses the head with httparse and the body with `ChunkedCodec`.
#![cfg(feature = "chunked")]

mod common;

use bytes::Bytes;
use futures_util::StreamExt;
use http::HeaderMap;
use rtw_chunked::Frame;
use rtw_core::{Random, SeededRandom};
use rtw_tokio::chunked::{ChunkedCodec, CodecError};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::process::Command;
use tokio::task::JoinHandle;
use tokio::time::timeout;

use common::{RequestHead, TIMEOUT, read_head, require_tool, run};

/// What the server received.
#[derive(Debug)]
struct Received {
    head: RequestHead,
    body: Vec<u8>,
    trailers: HeaderMap,
    /// How many `Frame::Data` pieces the body came in.
    pieces: usize,
}

/// Accept one request with a chunked body, decode the body with
/// `ChunkedCodec`, answer `200` with the number of bytes received.
async fn serve_once() -> (u16, JoinHandle<Result<Received, CodecError>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let (mut stream, _) = timeout(TIMEOUT, listener.accept())
            .await
            .expect("the peer did not connect")?;
        let (head, rest) = read_head(&mut stream).await;
        assert_eq!(
            head.header("transfer-encoding"),
            Some("chunked"),
            "{head:?}"
        );
        assert_eq!(head.header("content-length"), None, "{head:?}");
        if head
            .header("expect")
            .is_some_and(|e| e.eq_ignore_ascii_case("100-continue"))
        {
            stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").await?;
        }
        let (reader, mut writer) = stream.split();
        // `rest` may hold the whole body (Python sends it right after the
        // head): `framed` decodes it before reading again.
        let mut frames = ChunkedCodec::new().framed(reader, rest);
        let (mut body, mut trailers, mut pieces) = (Vec::new(), HeaderMap::new(), 0);
        loop {
            let frame = timeout(TIMEOUT, frames.next())
                .await
                .expect("timed out inside the body")
                .expect("connection closed before Frame::End")?;
            match frame {
                Frame::Data(data) => {
                    body.extend_from_slice(&data);
                    pieces += 1;
                }
                Frame::Trailers(t) => trailers = t,
                Frame::End => break,
                other => unreachable!("{other:?}: chunk headers not requested"),
            }
        }
        assert!(frames.read_buffer().is_empty(), "bytes after the body");
        let reply = format!("{} bytes", body.len());
        writer
            .write_all(
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
                    reply.len()
                )
                .as_bytes(),
            )
            .await?;
        writer.shutdown().await?;
        Ok(Received {
            head,
            body,
            trailers,
            pieces,
        })
    });
    (port, server)
}

/// A deterministic, incompressible payload of `len` bytes.
fn payload(len: usize, seed: u32) -> Vec<u8> {
    let mut out = vec![0; len];
    SeededRandom::new(seed.into()).fill_bytes(&mut out);
    out
}

const PYTHON_CLIENT: &str = r#"
import http.client, sys
port = int(sys.argv[1])
pattern = bytes((i * 7) % 256 for i in range(300))
chunks = [b"alpha,", b"", bytes(range(256)), pattern, b"0\r\n\r\n", b"omega"]
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
conn.request("POST", "/upload", body=iter(chunks), encode_chunked=True)
resp = conn.getresponse()
sys.stdout.write("%d %s" % (resp.status, resp.read().decode()))
"#;

#[tokio::test]
async fn python_http_client_chunked_request() {
    require_tool("python3");
    let (port, server) = serve_once().await;
    let out = run(
        Command::new("python3").args(["-c", PYTHON_CLIENT, &port.to_string()]),
        Vec::new(),
    )
    .await;
    let received = server.await.unwrap().unwrap();
    assert!(out.status.success(), "python3: {out:?}");
    let pattern: Vec<u8> = (0..300u32).map(|i| (i * 7 % 256) as u8).collect();
    let all_bytes: Vec<u8> = (0..=255).collect();
    // http.client drops the empty piece (a zero-size chunk would end the body).
    let expected = [&b"alpha,"[..], &all_bytes, &pattern, b"0\r\n\r\n", b"omega"].concat();
    assert_eq!(received.head.method, "POST");
    assert_eq!(received.head.path, "/upload");
    assert_eq!(received.body, expected);
    assert!(received.trailers.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("200 {} bytes", expected.len())
    );
}

#[tokio::test]
async fn curl_chunked_upload_from_a_file() {
    require_tool("curl");
    let data = payload(200_000, 1);
    let file = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("rtw-tokio-upload-{}", std::process::id()));
    std::fs::write(&file, &data).unwrap();
    let (port, server) = serve_once().await;
    let out = run(
        Command::new("curl")
            .args(["-s", "-S", "--max-time", "15"])
            .args(["-H", "Transfer-Encoding: chunked", "--data-binary"])
            .arg(format!("@{}", file.display()))
            .arg(format!("http://127.0.0.1:{port}/file")),
        Vec::new(),
    )
    .await;
    std::fs::remove_file(&file).unwrap();
    let received = server.await.unwrap().unwrap();
    assert!(out.status.success(), "curl: {out:?}");
    assert_eq!(received.head.method, "POST");
    assert_eq!(received.head.path, "/file");
    assert!(received.body == data, "decoded body differs from the file");
    assert!(received.pieces > 1, "a 200 kB body came in one piece");
    assert_eq!(out.stdout, b"200000 bytes");
}

#[tokio::test]
async fn curl_chunked_upload_streamed_from_stdin() {
    require_tool("curl");
    let pieces: Vec<Bytes> = (0..6u32)
        .map(|i| Bytes::from(payload(5_000 + 997 * i as usize, i)))
        .collect();
    let expected = pieces.concat();
    let (port, server) = serve_once().await;
    // `-T -` uploads stdin as it comes, with chunked coding (size unknown).
    let out = run(
        Command::new("curl")
            .args(["-s", "-S", "--max-time", "15", "-T", "-"])
            .arg(format!("http://127.0.0.1:{port}/stream")),
        pieces,
    )
    .await;
    let received = server.await.unwrap().unwrap();
    assert!(out.status.success(), "curl: {out:?}");
    assert_eq!(received.head.method, "PUT");
    assert!(received.body == expected, "decoded body differs from stdin");
    assert_eq!(out.stdout, format!("{} bytes", expected.len()).as_bytes());
}
