//! Faults on the wire: protocol violations fail the connection with the
//! right close code and then close TCP (RFC 6455 §7.1.7); a bad opening
//! handshake is rejected (§4.2.1); peers that vanish or never answer a
//! close frame do not hang us (§7.1.1, §7.1.5).
#![cfg(feature = "ws")]

mod ws_support;

use std::future::Future;
use std::time::{Duration, Instant};

use bytes::{Buf, BytesMut};
use futures_util::{SinkExt, StreamExt};
use rtw_tokio::ws::{
    ClientOptions, Message, Options, State, WsError, accept_with, connect, connect_with,
};
use rtw_ws::frame::OpCode;
use rtw_ws::handshake::{HandshakeError, ServerHandshake};
use rtw_ws::{Config, Connection, Event, Role, SeededRandom};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use ws_support::{RawClient, close_payload, listener, serve_one, url, within};

/// Drain a server stream, returning what it yielded.
async fn drain(mut ws: rtw_tokio::ws::WebSocketStream<TcpStream>) -> Vec<Result<Message, WsError>> {
    let mut seen = Vec::new();
    while let Some(item) = within("server read", ws.next()).await {
        seen.push(item);
    }
    seen
}

#[tokio::test]
async fn an_unmasked_client_frame_gets_1002_and_tcp_close() {
    let (addr, server) = serve_one(Options::default(), drain).await;
    let mut raw = RawClient::connect(addr).await;
    raw.send(OpCode::Text, true, b"not masked", false).await;
    let (first, payload) = raw.frame().await;
    assert_eq!(first, 0x88, "a close frame");
    assert_eq!(payload, close_payload(1002, ""));
    raw.eof().await;
    let seen = within("server end", server).await.unwrap();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(matches!(
        seen[0],
        Err(WsError::Ws(rtw_ws::Error::UnmaskedFrame))
    ));
}

#[tokio::test]
async fn invalid_utf8_gets_1007_even_with_more_data_behind_it() {
    let (addr, server) = serve_one(Options::default(), drain).await;
    let mut raw = RawClient::connect(addr).await;
    // The invalid byte, then much more: the server must neither wait for
    // it nor reset the connection over unread data (its close frame could
    // be lost).
    raw.send(OpCode::Text, false, b"ok \xff", true).await;
    let junk = vec![b'x'; 60_000];
    for _ in 0..16 {
        raw.send(OpCode::Continuation, false, &junk, true).await;
    }
    let (first, payload) = raw.frame().await;
    assert_eq!((first, payload), (0x88, close_payload(1007, "")));
    raw.eof().await;
    let seen = within("server end", server).await.unwrap();
    assert!(
        matches!(seen[..], [Err(WsError::Ws(rtw_ws::Error::InvalidUtf8))]),
        "{seen:?}"
    );
}

#[tokio::test]
async fn a_bad_request_is_rejected_with_its_status() {
    let (listener, addr) = listener().await;
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        accept_with(tcp, &ServerHandshake::new(), Options::default())
            .await
            .map(|_| ())
    });
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(
        b"GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n",
    )
    .await
    .unwrap();
    let mut answer = Vec::new();
    within("rejection and close", tcp.read_to_end(&mut answer))
        .await
        .unwrap();
    let answer = String::from_utf8(answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 426 "), "{answer}");
    assert!(answer.contains("Sec-WebSocket-Version: 13\r\n"), "{answer}");
    let result = within("server", server).await.unwrap();
    assert!(
        matches!(
            result,
            Err(WsError::Handshake(
                HandshakeError::UnsupportedVersion { .. }
            ))
        ),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_slow_handshake_times_out() {
    let (listener, addr) = listener().await;
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut options = Options::default();
        options.handshake_timeout = Some(Duration::from_millis(200));
        accept_with(tcp, &ServerHandshake::new(), options)
            .await
            .map(|_| ())
    });
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(b"GET / HTTP/1.1\r\nHost: a\r\n")
        .await
        .unwrap();
    let result = within("server", server).await.unwrap();
    assert!(
        matches!(result, Err(WsError::HandshakeTimeout)),
        "{result:?}"
    );
}

#[tokio::test]
async fn tcp_closed_without_a_close_frame_is_abnormal() {
    let (addr, server) = serve_one(Options::default(), drain).await;
    let mut raw = RawClient::connect(addr).await;
    raw.send(OpCode::Binary, true, b"last words", true).await;
    raw.tcp.shutdown().await.unwrap();
    raw.eof().await;
    let seen = within("server end", server).await.unwrap();
    assert!(
        matches!(&seen[..], [Ok(Message::Binary(b)), Err(WsError::Ws(rtw_ws::Error::AbnormalClosure))] if b == "last words"),
        "{seen:?}"
    );
}

/// A server of ours that does the handshake, then hands the socket and a
/// sans-IO server `Connection` (used only to decode) to `script`.
async fn raw_server<F, Fut>(script: F) -> (std::net::SocketAddr, tokio::task::JoinHandle<()>)
where
    F: FnOnce(TcpStream, Connection, BytesMut) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let (listener, addr) = listener().await;
    let task = tokio::spawn(async move {
        let (mut tcp, _) = listener.accept().await.unwrap();
        let mut buf = BytesMut::new();
        let hs = ServerHandshake::new();
        let negotiated = loop {
            if let Some((neg, n)) = hs.read_request(&buf).unwrap() {
                buf.advance(n);
                break neg;
            }
            assert!(tcp.read_buf(&mut buf).await.unwrap() > 0);
        };
        tcp.write_all(&negotiated.response_bytes()).await.unwrap();
        let config = Config::default().auto_pong(false);
        script(
            tcp,
            Connection::with_config(Role::Server, config, SeededRandom::new(1)),
            buf,
        )
        .await;
    });
    (addr, task)
}

/// Read until the decoding connection yields an event.
async fn next_event(tcp: &mut TcpStream, conn: &mut Connection, buf: &mut BytesMut) -> Event {
    loop {
        conn.handle_input(Instant::now(), buf);
        if let Some(e) = conn.poll_event() {
            return e;
        }
        let n = within("client frame", tcp.read_buf(buf)).await.unwrap();
        assert!(n > 0, "client closed TCP");
    }
}

#[tokio::test]
async fn a_masked_server_frame_fails_the_client_with_1002() {
    let (addr, server) = raw_server(|mut tcp, mut conn, mut buf| async move {
        // A server must not mask (RFC 6455 §5.1).
        let mut frame = BytesMut::new();
        rtw_ws::frame::encode_frame(
            &mut frame,
            OpCode::Text,
            true,
            0,
            Some([9, 9, 9, 9]),
            b"masked",
        );
        tcp.write_all(&frame).await.unwrap();
        let event = next_event(&mut tcp, &mut conn, &mut buf).await;
        assert_eq!(
            event,
            Event::Message(Message::Close(Some(rtw_ws::CloseFrame::new(
                rtw_ws::CloseCode::PROTOCOL_ERROR,
                ""
            ))))
        );
        // The client waits for us to close TCP first (RFC 6455 §7.1.1).
        drop(tcp);
    })
    .await;
    let (mut ws, _) = within("connect", connect(&url(addr))).await.unwrap();
    let item = within("failure", ws.next()).await.unwrap();
    assert!(
        matches!(item, Err(WsError::Ws(rtw_ws::Error::MaskedFrame))),
        "{item:?}"
    );
    assert_eq!(ws.state(), State::Closed);
    assert!(within("end", ws.next()).await.is_none());
    within("server", server).await.unwrap();
}

#[tokio::test]
async fn a_peer_that_never_answers_our_close_is_given_up_on() {
    let (addr, server) = raw_server(|mut tcp, mut conn, mut buf| async move {
        let event = next_event(&mut tcp, &mut conn, &mut buf).await;
        assert!(
            matches!(event, Event::Message(Message::Close(_))),
            "{event:?}"
        );
        // Never answer; wait for the client to give up and close TCP.
        let mut rest = Vec::new();
        within("client closing TCP", tcp.read_to_end(&mut rest))
            .await
            .unwrap();
        assert!(rest.is_empty());
    })
    .await;
    let mut options = Options::default();
    options.config.close_timeout = Duration::from_millis(300);
    options.config.linger = Duration::from_millis(300);
    let (mut ws, _) = within(
        "connect",
        connect_with(&url(addr), ClientOptions::new().stream_options(options)),
    )
    .await
    .unwrap();
    let started = Instant::now();
    within("close", ws.close()).await.unwrap();
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(250) && took < Duration::from_secs(3),
        "{took:?}"
    );
    // The stream reports why the closing handshake did not complete.
    let reported = within("report", ws.next()).await;
    assert!(
        matches!(
            reported,
            Some(Err(WsError::Ws(rtw_ws::Error::CloseTimeout { .. })))
        ),
        "{reported:?}"
    );
    assert!(within("end", ws.next()).await.is_none());
    within("server", server).await.unwrap();
}

#[tokio::test]
async fn urls_we_cannot_serve_are_refused_clearly() {
    let tls = connect("wss://127.0.0.1:1/").await.unwrap_err();
    assert!(matches!(tls, WsError::TlsUnsupported { .. }), "{tls:?}");
    assert!(tls.to_string().contains("TLS"), "{tls}");
    let http = connect("http://127.0.0.1:1/").await.unwrap_err();
    assert!(
        matches!(
            http,
            WsError::Handshake(HandshakeError::UnsupportedScheme { .. })
        ),
        "{http:?}"
    );
    let bad = connect("ws://exa mple/").await.unwrap_err();
    assert!(matches!(bad, WsError::InvalidUrl { .. }), "{bad:?}");
}

#[tokio::test]
async fn sending_after_the_peer_closed_is_an_error() {
    let (addr, server) = serve_one(Options::default(), |mut ws| async move {
        ws.close().await.unwrap();
    })
    .await;
    let (mut ws, _) = within("connect", connect(&url(addr))).await.unwrap();
    assert!(matches!(
        within("close", ws.next()).await,
        Some(Ok(Message::Close(_)))
    ));
    let err = ws.send(Message::text("too late")).await.unwrap_err();
    assert!(matches!(err, WsError::Ws(rtw_ws::Error::Closed)), "{err:?}");
    assert!(within("end", ws.next()).await.is_none());
    within("server", server).await.unwrap();
}
