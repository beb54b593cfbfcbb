use std::convert::Infallible;
use std::net::SocketAddr;

use futures_util::{SinkExt, StreamExt};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use rtw_hub::Config;

use super::*;
use crate::stomp::{AckMode, ClientConfig, ClientEvent, FrameOptions, StompClient};
use crate::ws::Message;

/// A hyper server on loopback that routes `/stomp` to [`accept`].
async fn server(hub: SharedHub) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let hub = hub.clone();
            let service = service_fn(move |mut request: Request<Incoming>| {
                let hub = hub.clone();
                async move {
                    let response = if request.uri().path() == "/stomp" {
                        accept(
                            &mut request,
                            hub,
                            Options::default(),
                            Limits::default(),
                            Arc::default(),
                            Default::default(),
                        )
                    } else {
                        let mut response = Response::new(Bytes::from_static(b"not found\n"));
                        *response.status_mut() = http::StatusCode::NOT_FOUND;
                        response
                    };
                    Ok::<_, Infallible>(response.map(Full::new))
                }
            });
            let connection = http1::Builder::new()
                .serve_connection(TokioIo::new(tcp), service)
                .with_upgrades();
            tokio::spawn(connection);
        }
    });
    addr
}

async fn client(addr: SocketAddr) -> StompClient {
    let url = format!("ws://{addr}/stomp");
    let mut client = StompClient::connect(&url, ClientConfig::default())
        .await
        .unwrap();
    let ClientEvent::Connected {
        version, server, ..
    } = client.next_event().await.unwrap()
    else {
        panic!("CONNECTED first")
    };
    assert_eq!(version, Version::V1_2);
    assert!(server.unwrap().starts_with("rtw-serve/"));
    client
}

/// The next event that is not a heart-beat matter.
async fn next(client: &mut StompClient) -> ClientEvent {
    tokio::time::timeout(Duration::from_secs(10), client.next_event())
        .await
        .expect("an event within 10 s")
        .unwrap()
}

/// The next MESSAGE: (id, body).
async fn message(client: &mut StompClient) -> (String, String) {
    match next(client).await {
        ClientEvent::Message(m) => {
            assert_eq!(m.frame.header("content-type"), Some("text/plain"));
            (
                m.message_id.clone(),
                String::from_utf8(m.body().to_vec()).unwrap(),
            )
        }
        other => panic!("expected MESSAGE, got {other:?}"),
    }
}

async fn receipt(client: &mut StompClient) {
    match next(client).await {
        ClientEvent::Receipt(_) => {}
        other => panic!("expected RECEIPT, got {other:?}"),
    }
}

fn with_receipt() -> FrameOptions {
    FrameOptions::default().receipt(true)
}

#[tokio::test]
async fn hub_and_send_reach_subscribers() {
    let hub = SharedHub::new(Config::default());
    let addr = server(hub.clone()).await;
    let mut a = client(addr).await;
    let (sub, _) = a
        .session()
        .subscribe_with("/topic/x", AckMode::Auto, with_receipt())
        .unwrap();
    receipt(&mut a).await;

    // Published to the hub by another transport.
    hub.publish("x", Bytes::from("one")).unwrap();
    let ClientEvent::Message(m) = next(&mut a).await else {
        panic!("MESSAGE")
    };
    assert_eq!(m.subscription, sub);
    assert_eq!(m.destination, "/topic/x");
    assert_eq!((m.message_id.as_str(), m.body()), ("1", &b"one"[..]));

    // SEND from another STOMP client, with a receipt.
    let mut b = client(addr).await;
    b.session().send("/topic/x", "two", with_receipt()).unwrap();
    receipt(&mut b).await;
    assert_eq!(message(&mut a).await, ("2".into(), "two".into()));

    // A transaction holds its SEND until COMMIT.
    let tx = b.session().begin().unwrap();
    let in_tx = FrameOptions::default().transaction(Some(tx));
    b.session().send("/topic/x", "three", in_tx).unwrap();
    b.session()
        .send("/topic/x", "four", with_receipt())
        .unwrap();
    receipt(&mut b).await;
    assert_eq!(message(&mut a).await, ("3".into(), "four".into()));
    b.session().commit(tx).unwrap();
    b.flush().await.unwrap();
    assert_eq!(message(&mut a).await, ("4".into(), "three".into()));
    // ABORT drops it.
    let tx = b.session().begin().unwrap();
    let in_tx = FrameOptions::default().transaction(Some(tx));
    b.session().send("/topic/x", "dropped", in_tx).unwrap();
    b.session().abort(tx).unwrap();
    b.session()
        .send("/topic/x", "five", with_receipt())
        .unwrap();
    receipt(&mut b).await;
    assert_eq!(message(&mut a).await, ("5".into(), "five".into()));
    assert_eq!(hub.last_id("x").unwrap(), MessageId(5));

    // since:N replays what came after N.
    let mut c = client(addr).await;
    let since = FrameOptions::default().header("since", "2");
    c.session()
        .subscribe_with("/topic/x", AckMode::ClientIndividual, since)
        .unwrap();
    for (id, body) in [("3", "four"), ("4", "three"), ("5", "five")] {
        let ClientEvent::Message(m) = next(&mut c).await else {
            panic!("MESSAGE")
        };
        assert_eq!((m.message_id.as_str(), m.body()), (id, body.as_bytes()));
        // A client mode gets an ack header, and its ACK is taken.
        assert_eq!(m.ack.as_deref(), Some(id));
        c.session().ack(&m).unwrap();
    }

    // UNSUBSCRIBE: nothing more for a.
    a.session().unsubscribe_with(sub, with_receipt()).unwrap();
    receipt(&mut a).await;
    hub.publish("x", Bytes::from("six")).unwrap();
    assert_eq!(message(&mut c).await, ("6".into(), "six".into()));

    // DISCONNECT: its RECEIPT, then the end.
    a.session().disconnect().unwrap();
    receipt(&mut a).await;
    assert!(matches!(next(&mut a).await, ClientEvent::Disconnected));
}

#[tokio::test]
async fn other_destinations_are_refused() {
    let hub = SharedHub::new(Config::default());
    let addr = server(hub).await;
    for destination in ["/queue/x", "/topic/", "/topic/a/b", "/exchange/x"] {
        let mut b = client(addr).await;
        b.session().send(destination, "x", with_receipt()).unwrap();
        let ClientEvent::Error(frame) = next(&mut b).await else {
            panic!("ERROR for {destination}")
        };
        let message = frame.header("message").unwrap();
        assert!(
            message.starts_with("destination must be /topic/"),
            "{message}"
        );
        assert!(frame.header("receipt-id").is_some());
        assert!(matches!(next(&mut b).await, ClientEvent::Disconnected));
    }
    let mut b = client(addr).await;
    b.session().subscribe("/queue/x", AckMode::Auto).unwrap();
    assert!(matches!(next(&mut b).await, ClientEvent::Error(_)));
}

#[tokio::test]
async fn bad_frames_get_error_then_close() {
    let hub = SharedHub::new(Config::default());
    let addr = server(hub).await;
    let options = crate::ws::ClientOptions::new().protocols(["v11.stomp", "v12.stomp"]);
    let url = format!("ws://{addr}/stomp");
    let (mut ws, response) = crate::ws::connect_with(&url, options).await.unwrap();
    // The client's first choice.
    assert_eq!(response.protocol.as_deref(), Some("v11.stomp"));
    ws.send(Message::text("CONNECT\naccept-version:1.1\nhost:/\n\n\0"))
        .await
        .unwrap();
    let Some(Ok(Message::Text(connected))) = ws.next().await else {
        panic!("CONNECTED")
    };
    assert!(connected.as_str().starts_with("CONNECTED\nversion:1.1\n"));
    ws.send(Message::text("BOGUS\n\n\0")).await.unwrap();
    let Some(Ok(Message::Text(error))) = ws.next().await else {
        panic!("ERROR")
    };
    assert!(
        error
            .as_str()
            .starts_with("ERROR\nmessage:unknown command\n"),
        "{error}"
    );
    // Then the close: nothing else comes.
    match ws.next().await {
        Some(Ok(Message::Close(_))) | None | Some(Err(_)) => {}
        Some(Ok(other)) => panic!("after ERROR: {other:?}"),
    }

    // No WebSocket upgrade: the handshake's rejection.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    tcp.write_all(b"GET /stomp HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    tcp.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 4"), "{answer}");
}

#[tokio::test]
async fn slow_consumer_is_evicted_with_error() {
    let limits = rtw_hub::Limits::default().queue_messages(8);
    let hub = SharedHub::new(Config::default().limits(limits));
    let addr = server(hub.clone()).await;
    let mut a = client(addr).await;
    a.session()
        .subscribe_with("/topic/big", AckMode::Auto, with_receipt())
        .unwrap();
    receipt(&mut a).await;
    // a reads nothing while 24 MB are published.
    let body = Bytes::from(vec![b'x'; 60 * 1024]);
    for _ in 0..400 {
        hub.publish("big", body.clone()).unwrap();
        tokio::task::yield_now().await;
    }
    let mut received = 0;
    loop {
        match next(&mut a).await {
            ClientEvent::Message(_) => received += 1,
            ClientEvent::Error(frame) => {
                assert_eq!(frame.header("message"), Some("slow consumer"));
                break;
            }
            other => panic!("{other:?}"),
        }
    }
    assert!(received < 400, "{received}");
    assert!(matches!(next(&mut a).await, ClientEvent::Disconnected));
}
