//! A hyper 1.x server upgrades a request after `ServerHandshake::accept`
//! checked it (RFC 6455 §4.2) and agreed to permessage-deflate (RFC 7692),
//! and `WebSocketStream::from_negotiated` speaks WebSocket on the upgraded
//! connection with our client, compressed messages included.
#![cfg(feature = "deflate")]

mod ws_support;

use std::convert::Infallible;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use rtw_tokio::ws::deflate::{DeflateConfig, WithDeflate};
use rtw_tokio::ws::{
    CloseCode, CloseFrame, Message, Options, ServerHandshake, WebSocketStream, connect,
};
use rtw_ws::handshake::DefaultPolicy;
use tokio::sync::mpsc;
use ws_support::{listener, url, within};

/// Answer a WebSocket upgrade, or 400 with the reason; each upgraded
/// connection echoes and reports what it received on `seen`.
async fn handle(
    mut request: Request<Incoming>,
    seen: mpsc::UnboundedSender<Message>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let handshake =
        ServerHandshake::with_policy(WithDeflate::new(DefaultPolicy, DeflateConfig::default()));
    let negotiated = match handshake.accept(&request) {
        Ok(n) => n,
        Err(e) => {
            let mut response = Response::new(Full::from(e.to_string()));
            *response.status_mut() = e.status();
            return Ok(response);
        }
    };
    let response = negotiated.response.clone();
    let upgrade = hyper::upgrade::on(&mut request);
    tokio::spawn(async move {
        let upgraded = within("hyper upgrade", upgrade).await.unwrap();
        let mut ws = WebSocketStream::from_negotiated(
            TokioIo::new(upgraded),
            &negotiated,
            Options::default(),
        )
        .unwrap();
        while let Some(m) = within("server read", ws.next()).await {
            let m = m.unwrap();
            if let Message::Text(_) | Message::Binary(_) = &m {
                ws.send(m.clone()).await.unwrap();
            }
            seen.send(m).unwrap();
        }
    });
    let (parts, ()) = response.into_parts();
    Ok(Response::from_parts(parts, Full::default()))
}

#[tokio::test]
async fn a_hyper_upgrade_speaks_websocket_with_our_client() {
    let (listener, addr) = listener().await;
    let (seen_tx, mut seen_rx) = mpsc::unbounded_channel();
    let server = tokio::spawn(async move {
        // Two connections: one plain GET (refused), one upgrade.
        for _ in 0..2 {
            let (tcp, _) = within("accept", listener.accept()).await.unwrap();
            let seen = seen_tx.clone();
            let service = service_fn(move |req| handle(req, seen.clone()));
            tokio::spawn(async move {
                http1::Builder::new()
                    .serve_connection(TokioIo::new(tcp), service)
                    .with_upgrades()
                    .await
                    .unwrap();
            });
        }
    });

    // A plain request is refused by the handshake, through hyper.
    let mut plain = tokio::net::TcpStream::connect(addr).await.unwrap();
    tokio::io::AsyncWriteExt::write_all(
        &mut plain,
        b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    )
    .await
    .unwrap();
    let mut answer = Vec::new();
    within(
        "plain answer",
        tokio::io::AsyncReadExt::read_to_end(&mut plain, &mut answer),
    )
    .await
    .unwrap();
    let status = StatusCode::BAD_REQUEST.as_str().to_owned();
    assert!(String::from_utf8_lossy(&answer).starts_with(&format!("HTTP/1.1 {status}")));

    let (mut ws, negotiated) = within("connect", connect(&url(addr))).await.unwrap();
    assert_eq!(
        negotiated.response.status(),
        StatusCode::SWITCHING_PROTOCOLS
    );
    let extensions = negotiated.response.headers()["sec-websocket-extensions"]
        .to_str()
        .unwrap();
    assert!(extensions.starts_with("permessage-deflate"), "{extensions}");
    ws.send(Message::text("through hyper")).await.unwrap();
    assert_eq!(
        within("echo", ws.next()).await.unwrap().unwrap(),
        Message::text("through hyper")
    );
    let big = Bytes::from(vec![0xA5; 3 << 20]);
    ws.send(Message::Binary(big.clone())).await.unwrap();
    assert_eq!(
        within("echo", ws.next()).await.unwrap().unwrap(),
        Message::Binary(big)
    );
    ws.send(Message::Close(Some(CloseFrame::new(
        CloseCode(4321),
        "bye",
    ))))
    .await
    .unwrap();
    assert_eq!(
        within("close reply", ws.next()).await.unwrap().unwrap(),
        Message::Close(Some(CloseFrame::new(CloseCode(4321), "")))
    );
    assert!(within("end", ws.next()).await.is_none());

    within("server", server).await.unwrap();
    let mut seen = Vec::new();
    while let Some(m) = within("server report", seen_rx.recv()).await {
        seen.push(m);
        if matches!(seen.last(), Some(Message::Close(_))) {
            break;
        }
    }
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[0], Message::text("through hyper"));
    assert_eq!(
        seen[2],
        Message::Close(Some(CloseFrame::new(CloseCode(4321), "bye")))
    );
}

/// A handshake that accepted an extension the stream cannot run is refused
/// when the stream is built, not on the first frame that uses it.
#[test]
fn an_extension_the_stream_cannot_run_is_refused_up_front() {
    let handshake = ServerHandshake::with_policy(
        rtw_tokio::ws::ServerPolicy::new()
            .extension_negotiator(|offers: &[rtw_ws::handshake::ExtensionOffer]| offers.to_vec()),
    );
    let request = Request::get("/")
        .header("host", "example.com")
        .header("upgrade", "websocket")
        .header("connection", "Upgrade")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-extensions", "x-custom")
        .body(())
        .unwrap();
    let negotiated = handshake.accept(&request).unwrap();
    assert_eq!(negotiated.extensions.len(), 1);
    let (io, _peer) = tokio::io::duplex(64);
    match WebSocketStream::from_negotiated(io, &negotiated, Options::default()) {
        Err(rtw_tokio::ws::WsError::UnsupportedExtension { name }) => assert_eq!(name, "x-custom"),
        other => panic!("{:?}", other.map(|_| ())),
    }
}
