//! STOMP over WebSocket at `/stomp` of `rtw_tokio::serve::ServeService` on
//! a real hyper server on 127.0.0.1, with rtw's STOMP client: the same
//! topics, with the same ids, as the other transports.
#![cfg(feature = "serve")]

mod serve_support;

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use rtw_hub::Config as HubConfig;
use rtw_tokio::serve::{ServeConfig, SharedHub};
use rtw_tokio::stomp::{AckMode, ClientConfig, ClientEvent, FrameOptions, StompClient, Version};
use rtw_tokio::ws::{ClientOptions, Message};
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(10);

async fn server(config: ServeConfig) -> (SocketAddr, SharedHub) {
    serve_support::server(config, HubConfig::default()).await
}

async fn client(addr: SocketAddr) -> StompClient {
    let url = format!("ws://{addr}/stomp");
    let mut client = StompClient::connect(&url, ClientConfig::default())
        .await
        .unwrap();
    match next(&mut client).await {
        ClientEvent::Connected { version, .. } => assert_eq!(version, Version::V1_2),
        other => panic!("expected CONNECTED, got {other:?}"),
    }
    client
}

async fn next(client: &mut StompClient) -> ClientEvent {
    timeout(WAIT, client.next_event())
        .await
        .expect("an event in time")
        .unwrap()
}

async fn receipt(client: &mut StompClient) {
    match next(client).await {
        ClientEvent::Receipt(_) => {}
        other => panic!("expected RECEIPT, got {other:?}"),
    }
}

/// The next MESSAGE as (message-id, destination, body).
async fn message(client: &mut StompClient) -> (String, String, String) {
    match next(client).await {
        ClientEvent::Message(m) => (
            m.message_id.clone(),
            m.destination.clone(),
            String::from_utf8(m.body().to_vec()).unwrap(),
        ),
        other => panic!("expected MESSAGE, got {other:?}"),
    }
}

fn with_receipt() -> FrameOptions {
    FrameOptions::default().receipt(true)
}

/// POST /topics/{topic} over raw HTTP/1.1; the response's body.
async fn post(addr: SocketAddr, topic: &str, text: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "POST /topics/{topic} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    tcp.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    answer.split("\r\n\r\n").nth(1).unwrap().to_owned()
}

#[tokio::test]
async fn stomp_shares_the_hub_with_the_other_transports() {
    let (addr, hub) = server(ServeConfig::default()).await;
    let mut a = client(addr).await;
    a.session()
        .subscribe_with("/topic/x", AckMode::Auto, with_receipt())
        .unwrap();
    receipt(&mut a).await;
    // A WebSocket subscriber of the same topic, from the start.
    let (mut ws, _) = rtw_tokio::ws::connect(&format!("ws://{addr}/topics/x/ws?since=0"))
        .await
        .unwrap();

    // Published by SharedHub::publish, by POST, by STOMP SEND: the STOMP
    // subscriber and the WebSocket one get each, with the same ids.
    hub.publish("x", Bytes::from("by hub")).unwrap();
    assert_eq!(post(addr, "x", "by post").await.trim(), r#"{"id":2}"#);
    let mut b = client(addr).await;
    b.session()
        .send("/topic/x", "by stomp", with_receipt())
        .unwrap();
    receipt(&mut b).await;
    for (id, body) in [("1", "by hub"), ("2", "by post"), ("3", "by stomp")] {
        assert_eq!(
            message(&mut a).await,
            (id.into(), "/topic/x".into(), body.into())
        );
        let Some(Ok(Message::Text(text))) = timeout(WAIT, ws.next()).await.unwrap() else {
            panic!("a text frame")
        };
        let json: serde_json::Value = serde_json::from_str(text.as_str()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"id": id.parse::<u64>().unwrap(), "data": body})
        );
    }

    // A later STOMP subscriber resumes with since:N.
    let mut c = client(addr).await;
    let since = FrameOptions::default().header("since", "1");
    c.session()
        .subscribe_with("/topic/x", AckMode::Auto, since)
        .unwrap();
    assert_eq!(message(&mut c).await.0, "2");
    assert_eq!(message(&mut c).await.0, "3");

    // Another destination: ERROR naming the rule, with the receipt-id, then
    // the end of the session.
    b.session().send("/queue/x", "no", with_receipt()).unwrap();
    match next(&mut b).await {
        ClientEvent::Error(frame) => {
            let text = frame.header("message").unwrap();
            assert!(text.starts_with("destination must be /topic/"), "{text}");
            assert!(frame.header("receipt-id").is_some());
        }
        other => panic!("expected ERROR, got {other:?}"),
    }
    assert!(matches!(next(&mut b).await, ClientEvent::Disconnected));

    // DISCONNECT: its RECEIPT, then the end.
    a.session().disconnect().unwrap();
    receipt(&mut a).await;
    assert!(matches!(next(&mut a).await, ClientEvent::Disconnected));
}

#[tokio::test]
async fn stomp_upgrade_negotiates_the_subprotocol_and_checks_origin() {
    let config = ServeConfig::default().allowed_origins(vec!["http://app.example".into()]);
    let (addr, _hub) = server(config).await;
    let url = format!("ws://{addr}/stomp");
    let options = ClientOptions::new().protocols(["v10.stomp", "v12.stomp"]);
    let (_ws, negotiated) = rtw_tokio::ws::connect_with(&url, options).await.unwrap();
    assert_eq!(negotiated.protocol.as_deref(), Some("v10.stomp"));

    let listed = ClientOptions::new()
        .protocols(["v12.stomp"])
        .origin("http://app.example");
    assert!(rtw_tokio::ws::connect_with(&url, listed).await.is_ok());
    let other = ClientOptions::new()
        .protocols(["v12.stomp"])
        .origin("http://evil.example");
    assert!(rtw_tokio::ws::connect_with(&url, other).await.is_err());
}
