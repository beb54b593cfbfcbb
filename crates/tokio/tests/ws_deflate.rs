//! permessage-deflate (RFC 7692) between our client and server over
//! loopback TCP: negotiated by default, declined when either side turns it
//! off, and large compressible messages echo intact.
#![cfg(feature = "deflate")]

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rtw_tokio::ws::{ClientOptions, Message, Options, accept, accept_with, connect_with};
use rtw_ws::deflate::{DeflateConfig, DeflateParams};
use rtw_ws::handshake::ServerHandshake;
use tokio::net::TcpListener;

const TIMEOUT: Duration = Duration::from_secs(20);

fn json(n: usize) -> String {
    (0..n)
        .map(|i| format!("{{\"id\":{i},\"name\":\"item {i}\",\"ok\":true}},"))
        .collect()
}

/// Echo every text and binary message of one connection; returns the
/// negotiated parameters the server saw.
async fn echo_once(listener: TcpListener, plain: bool) -> Option<DeflateParams> {
    let (tcp, _) = listener.accept().await.unwrap();
    let (mut ws, negotiated) = if plain {
        accept_with(tcp, &ServerHandshake::new(), Options::default())
            .await
            .unwrap()
    } else {
        accept(tcp).await.unwrap()
    };
    let params = DeflateParams::from_extensions(&negotiated.extensions).unwrap();
    while let Some(Ok(m)) = ws.next().await {
        if let Message::Text(_) | Message::Binary(_) = m {
            ws.send(m).await.unwrap();
        }
    }
    params
}

async fn round_trip(client: ClientOptions, plain_server: bool) -> (Option<DeflateParams>, bool) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(echo_once(listener, plain_server));
    let config = client.options.deflate.clone().unwrap_or_default();
    let (mut ws, negotiated) = connect_with(&format!("ws://{addr}/"), client)
        .await
        .unwrap();
    let client_params = config.accept_response(&negotiated.extensions).unwrap();
    let big = json(20_000);
    for i in 0..3 {
        let m = if i % 2 == 0 {
            Message::text(big.clone())
        } else {
            Message::binary(big.clone().into_bytes())
        };
        ws.send(m.clone()).await.unwrap();
        assert_eq!(ws.next().await.unwrap().unwrap(), m);
    }
    ws.close().await.unwrap();
    let server_params = server.await.unwrap();
    // The same, but for a client's promise of no context takeover, which
    // the server need not repeat (RFC 7692 §7.1.1.2).
    let without_promise = |p: Option<DeflateParams>| {
        p.map(|p| DeflateParams {
            client_no_context_takeover: false,
            ..p
        })
    };
    assert_eq!(
        without_promise(client_params),
        without_promise(server_params)
    );
    (server_params, negotiated.extensions.is_empty())
}

#[tokio::test]
async fn negotiated_by_default_and_large_messages_echo() {
    let (params, none) = tokio::time::timeout(TIMEOUT, round_trip(ClientOptions::new(), false))
        .await
        .unwrap();
    assert_eq!(params, Some(DeflateParams::default()));
    assert!(!none);
}

#[tokio::test]
async fn client_parameters_are_honoured() {
    let mut options = Options::default();
    options.deflate = Some(
        DeflateConfig::default()
            .server_no_context_takeover(true)
            .client_no_context_takeover(true)
            .server_max_window_bits(10)
            .client_max_window_bits(9),
    );
    let client = ClientOptions::new().stream_options(options);
    let (params, _) = tokio::time::timeout(TIMEOUT, round_trip(client, false))
        .await
        .unwrap();
    assert_eq!(
        params,
        Some(DeflateParams {
            server_no_context_takeover: true,
            client_no_context_takeover: false,
            server_max_window_bits: 10,
            client_max_window_bits: 9,
        })
    );
}

#[tokio::test]
async fn declined_when_either_side_does_not_want_it() {
    let (params, none) = tokio::time::timeout(TIMEOUT, round_trip(ClientOptions::new(), true))
        .await
        .unwrap();
    assert_eq!((params, none), (None, true));
    let mut options = Options::default();
    options.deflate = None;
    let client = ClientOptions::new().stream_options(options);
    let (params, none) = tokio::time::timeout(TIMEOUT, round_trip(client, false))
        .await
        .unwrap();
    assert_eq!((params, none), (None, true));
}
