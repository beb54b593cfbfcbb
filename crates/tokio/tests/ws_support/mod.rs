//! Helpers for the WebSocket tests: a one-connection server of ours, a raw
//! TCP peer that speaks frames by hand, and timeouts on everything.
#![allow(dead_code)]

use std::future::Future;
use std::net::SocketAddr;

use bytes::{Buf, BytesMut};
use rtw_tokio::ws::{Options, OsRandom, WebSocketStream, WsError, accept_with};
use rtw_ws::frame::{OpCode, encode_frame};
use rtw_ws::handshake::{ClientHandshake, ServerHandshake};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// Every step is bounded by `rtw_testkit`'s [`TIMEOUT`].
#[allow(unused_imports)]
pub(crate) use rtw_testkit::{TIMEOUT, within};

/// A listener on an ephemeral loopback port.
pub(crate) async fn listener() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    (listener, addr)
}

/// Accept one TCP connection on a fresh port, run our server handshake with
/// `options`, then `handler` on the stream.
pub(crate) async fn serve_one<F, Fut, T>(
    options: Options,
    handler: F,
) -> (SocketAddr, JoinHandle<T>)
where
    F: FnOnce(WebSocketStream<TcpStream>) -> Fut + Send + 'static,
    Fut: Future<Output = T> + Send,
    T: Send + 'static,
{
    let (listener, addr) = listener().await;
    let task = tokio::spawn(async move {
        let (tcp, _) = within("accept", listener.accept()).await.unwrap();
        let (ws, _) = within(
            "server handshake",
            accept_with(tcp, &ServerHandshake::new(), options),
        )
        .await
        .expect("server handshake");
        handler(ws).await
    });
    (addr, task)
}

/// `ws://addr/`.
pub(crate) fn url(addr: SocketAddr) -> String {
    format!("ws://{addr}/")
}

/// An echo handler: sends back every text and binary message until the
/// stream ends; returns what it received, errors included.
pub(crate) async fn echo(
    mut ws: WebSocketStream<TcpStream>,
) -> Vec<Result<rtw_ws::Message, WsError>> {
    use futures_util::{SinkExt, StreamExt};
    let mut seen = Vec::new();
    while let Some(item) = within("echo server read", ws.next()).await {
        if let Ok(m @ (rtw_ws::Message::Text(_) | rtw_ws::Message::Binary(_))) = &item {
            within("echo server write", ws.send(m.clone()))
                .await
                .unwrap();
        }
        seen.push(item);
    }
    seen
}

/// A TCP peer that did the client handshake by hand and now reads and
/// writes raw frames.
pub(crate) struct RawClient {
    pub(crate) tcp: TcpStream,
    pub(crate) buf: BytesMut,
}

impl RawClient {
    /// Connect to `addr` and complete the client handshake.
    pub(crate) async fn connect(addr: SocketAddr) -> RawClient {
        let mut tcp = TcpStream::connect(addr).await.unwrap();
        let hs =
            ClientHandshake::new(addr.to_string(), "/", &mut OsRandom::new().unwrap()).unwrap();
        tcp.write_all(&hs.request_bytes()).await.unwrap();
        let mut buf = BytesMut::new();
        loop {
            if let Some((_, n)) = hs.read_response(&buf).unwrap() {
                buf.advance(n);
                return RawClient { tcp, buf };
            }
            let read = within("handshake response", tcp.read_buf(&mut buf))
                .await
                .unwrap();
            assert!(read > 0, "server closed during the handshake");
        }
    }

    /// Send one frame, masked as a client must unless `masked` is false.
    pub(crate) async fn send(&mut self, opcode: OpCode, fin: bool, payload: &[u8], masked: bool) {
        let mut out = BytesMut::new();
        encode_frame(
            &mut out,
            opcode,
            fin,
            0,
            masked.then_some([1, 2, 3, 4]),
            payload,
        );
        self.tcp.write_all(&out).await.unwrap();
    }

    /// Read one unmasked frame from the server: (opcode byte, payload).
    pub(crate) async fn frame(&mut self) -> (u8, Vec<u8>) {
        loop {
            if let Some(frame) = parse_server_frame(&mut self.buf) {
                return frame;
            }
            let n = within("a frame from the server", self.tcp.read_buf(&mut self.buf))
                .await
                .unwrap();
            assert!(n > 0, "server closed TCP before a whole frame");
        }
    }

    /// Wait for the server to close TCP, discarding what comes first.
    /// Returns the number of bytes discarded.
    pub(crate) async fn eof(&mut self) -> usize {
        let mut discarded = self.buf.len();
        self.buf.clear();
        loop {
            let n = within("the server closing TCP", self.tcp.read_buf(&mut self.buf))
                .await
                .unwrap_or(0);
            if n == 0 {
                return discarded;
            }
            discarded += n;
            self.buf.clear();
        }
    }
}

/// One unmasked frame with a length under 64 KiB off the front of `buf`.
fn parse_server_frame(buf: &mut BytesMut) -> Option<(u8, Vec<u8>)> {
    if buf.len() < 2 {
        return None;
    }
    assert_eq!(buf[1] & 0x80, 0, "the server masked a frame");
    let (len, at) = match buf[1] & 0x7f {
        126 if buf.len() >= 4 => (usize::from(u16::from_be_bytes([buf[2], buf[3]])), 4),
        126 => return None,
        127 => panic!("frame too large for this helper"),
        n => (usize::from(n), 2),
    };
    if buf.len() < at + len {
        return None;
    }
    let first = buf[0];
    buf.advance(at);
    let payload = buf.split_to(len).to_vec();
    Some((first, payload))
}

/// The close payload for `code` and `reason`.
pub(crate) fn close_payload(code: u16, reason: &str) -> Vec<u8> {
    let mut p = code.to_be_bytes().to_vec();
    p.extend_from_slice(reason.as_bytes());
    p
}
