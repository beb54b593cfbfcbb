//! The hub on RabbitMQ ([`RabbitHub`]): two nodes (two `SharedHub`s, each
//! with its own connection) over one stream of a RabbitMQ node this test
//! starts itself with `conformance/stomp/rabbitmq.sh` (Debian's
//! `rabbitmq-server`, installed by `conformance/stomp/install.sh`). No
//! RabbitMQ is a failure, not a skip.
#![cfg(feature = "serve")]

mod serve_support;

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use bytes::Bytes;
use rtw_hub::{Config, MessageId, Since};
use rtw_tokio::serve::{
    Delivery, HubSubscriber, HubUrl, PublishError, RabbitConfig, RabbitHub, ServeConfig,
    ServeService, SharedHub,
};

const WAIT: Duration = Duration::from_secs(30);

/// One RabbitMQ node for every part of the test, stopped at its end.
struct Rabbit {
    dir: PathBuf,
    stomp_port: u16,
}

fn script() -> Command {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../conformance/stomp/rabbitmq.sh"
    );
    let mut command = Command::new("bash");
    command.arg(path);
    command
}

fn rabbit() -> &'static Rabbit {
    static RABBIT: OnceLock<Rabbit> = OnceLock::new();
    RABBIT.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("rtw-serve-cluster-{}", std::process::id()));
        let status = script()
            .arg("start")
            .arg(&dir)
            .status()
            .expect("bash conformance/stomp/rabbitmq.sh");
        assert!(
            status.success(),
            "RabbitMQ did not start (conformance/stomp/install.sh installs it)"
        );
        let env = std::fs::read_to_string(dir.join("env")).expect("rabbitmq.sh writes env");
        let stomp_port = env
            .lines()
            .find_map(|l| l.strip_prefix("STOMP_PORT="))
            .and_then(|p| p.parse().ok())
            .expect("STOMP_PORT in env");
        Rabbit { dir, stomp_port }
    })
}

/// A node: its hub and its backend.
async fn node(stream: &str) -> (SharedHub, RabbitHub) {
    node_at(rabbit().stomp_port, stream).await
}

/// A node reaching RabbitMQ at `port` (a proxy's, say).
async fn node_at(port: u16, stream: &str) -> (SharedHub, RabbitHub) {
    let url = format!("stomp://guest:guest@127.0.0.1:{port}/{stream}");
    let hub = SharedHub::new(Config::default());
    let mut config = RabbitConfig::new(HubUrl::parse(&url).unwrap());
    // Every node of a stream must declare the same.
    config.max_bytes = 16 << 20;
    config.segment_bytes = 1 << 20;
    config.start_timeout = WAIT;
    let backend = tokio::time::timeout(WAIT + WAIT, RabbitHub::start(config, hub.clone()))
        .await
        .expect("start within the bound")
        .expect("start");
    (hub, backend)
}

/// `node`'s history of `topic` once it holds `count` messages: a node
/// learns of messages published elsewhere through RabbitMQ, a little after
/// a subscriber elsewhere may have seen them.
async fn history_of(node: &SharedHub, topic: &str, count: usize) -> Vec<(u64, String)> {
    let read = || {
        node.history(topic, MessageId::ZERO, 100)
            .unwrap()
            .iter()
            .map(|m| (m.id.get(), String::from_utf8(m.data.to_vec()).unwrap()))
            .collect::<Vec<_>>()
    };
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let kept = read();
        if kept.len() >= count || tokio::time::Instant::now() >= deadline {
            return kept;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn next(sub: &mut HubSubscriber) -> (u64, String) {
    match tokio::time::timeout(WAIT, sub.next())
        .await
        .expect("a delivery in time")
    {
        Delivery::Message(m) => (m.id.get(), String::from_utf8(m.data.to_vec()).unwrap()),
        other => panic!("not a message: {other:?}"),
    }
}

/// Every test in one so that RabbitMQ starts once and is stopped at the
/// end, even when a part fails (the guard's drop).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_over_one_stream() {
    struct StopAtExit;
    impl Drop for StopAtExit {
        fn drop(&mut self) {
            let rabbit = rabbit();
            let _ = script().arg("stop").arg(&rabbit.dir).status();
            let _ = std::fs::remove_dir_all(&rabbit.dir);
        }
    }
    let _stop = StopAtExit;
    fan_out_and_resume().await;
    refusals().await;
    a_late_node_replays_and_skips().await;
    through_the_service().await;
    stomp_send_waits_for_rabbitmq().await;
    reconnects_and_resumes().await;
    unreachable_backend().await;
}

/// Published on A, seen on B with the same ids in order; a resume on B
/// from an id A answered.
async fn fan_out_and_resume() {
    let (a, _ka) = node("fanout").await;
    let (b, _kb) = node("fanout").await;
    let mut on_b = b.subscribe("news", Since::Now).unwrap();
    let mut ids = Vec::new();
    for i in 0..20 {
        let id = a.send("news", Bytes::from(format!("m{i}"))).await.unwrap();
        ids.push(id.get());
    }
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(next(&mut on_b).await, (*id, format!("m{i}")));
    }
    // A's own hub has them too, with the same ids.
    let kept = history_of(&a, "news", ids.len()).await;
    assert_eq!(kept.iter().map(|m| m.0).collect::<Vec<_>>(), ids);
    // Resume on B after the tenth.
    let mut resumed = b
        .subscribe("news", Since::After(MessageId(ids[9])))
        .unwrap();
    for (i, id) in ids.iter().enumerate().skip(10) {
        assert_eq!(next(&mut resumed).await, (*id, format!("m{i}")));
    }
    assert_eq!(resumed.try_next(), None);
    assert!(a.is_distributed() && b.is_distributed());
}

/// What the hub refuses is refused before RabbitMQ: 400 and 413.
async fn refusals() {
    let (a, _k) = node("refusals").await;
    let bad = a.send("a/b", Bytes::from("x")).await.unwrap_err();
    assert_eq!(bad.http_status(), 400, "{bad}");
    let big = a
        .send("t", Bytes::from(vec![b'x'; 70_000]))
        .await
        .unwrap_err();
    assert!(matches!(big, PublishError::Hub(_)), "{big}");
    assert_eq!(big.http_status(), 413);
}

/// A node started after messages were published replays the stream
/// before `start` returns; a client coming from a node further along is
/// not given again what it saw.
async fn a_late_node_replays_and_skips() {
    let (a, _ka) = node("late").await;
    let first = a.send("t", Bytes::from("one")).await.unwrap();
    let second = a.send("t", Bytes::from("two")).await.unwrap();
    let (c, _kc) = node("late").await;
    let kept = c.history("t", MessageId::ZERO, 10).unwrap();
    let kept: Vec<_> = kept.iter().map(|m| (m.id, m.data.clone())).collect();
    assert_eq!(
        kept,
        vec![(first, Bytes::from("one")), (second, Bytes::from("two"))]
    );
    // A client that claims to have seen a later id than C has: C gives
    // only what comes after it.
    let ahead = MessageId(second.get() + 3);
    let mut sub = c.subscribe("t", Since::After(ahead)).unwrap();
    let mut later = Vec::new();
    for i in 0..5 {
        let data = format!("later{i}");
        later.push((
            a.send("t", Bytes::from(data.clone())).await.unwrap().get(),
            data,
        ));
    }
    assert!(later[0].0 <= ahead.get(), "{later:?}");
    for expected in later.into_iter().filter(|(id, _)| *id > ahead.get()) {
        assert_eq!(next(&mut sub).await, expected);
    }
    assert_eq!(sub.try_next(), None);
}

/// `POST /topics/t` on A's service answers the id B's subscribers get.
async fn through_the_service() {
    use http_body_util::{BodyExt, Full};
    let (a, _ka) = node("service").await;
    let (b, _kb) = node("service").await;
    let mut on_b = b.subscribe("t", Since::Now).unwrap();
    let service = ServeService::new(ServeConfig::default(), a);
    let request = http::Request::post("/topics/t")
        .header("content-type", "text/plain")
        .body(Full::new(Bytes::from("hello")))
        .unwrap();
    let response = service.handle(request).await;
    assert_eq!(response.status(), 200);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let (id, data) = next(&mut on_b).await;
    assert_eq!(
        (String::from_utf8(body.to_vec()).unwrap(), data),
        (format!("{{\"id\":{id}}}"), "hello".into())
    );
    let metrics = service.metrics_text();
    for line in [
        "rtw_serve_hub_connected 1",
        "rtw_serve_hub_connections_total 1",
        &format!("rtw_serve_hub_stream_offset {id}"),
        "rtw_serve_hub_publishes_unconfirmed 0",
        "rtw_serve_hub_publishes_failed_total 0",
    ] {
        assert!(metrics.lines().any(|l| l == line), "{line} in\n{metrics}");
    }
}

/// A STOMP SEND with a receipt to A's `/stomp`: the RECEIPT comes once
/// RabbitMQ confirmed it and A's consumer took it; B gets it too. Then
/// the same through Socket.IO.
async fn stomp_send_waits_for_rabbitmq() {
    use rtw_tokio::stomp::{ClientConfig, ClientEvent, FrameOptions, StompClient};
    let (a, _ka) = node("stomp").await;
    let (b, _kb) = node("stomp").await;
    let mut on_b = b.subscribe("t", Since::Now).unwrap();
    let a_hub = a.clone();
    let addr = serve_support::serve(ServeService::new(ServeConfig::default(), a)).await;
    let mut client = StompClient::connect(&format!("ws://{addr}/stomp"), ClientConfig::default())
        .await
        .unwrap();
    assert!(matches!(
        client.next_event().await.unwrap(),
        ClientEvent::Connected { .. }
    ));
    let receipt = client
        .session()
        .send(
            "/topic/t",
            "over stomp",
            FrameOptions::default().receipt(true),
        )
        .unwrap()
        .unwrap();
    let event = tokio::time::timeout(WAIT, client.next_event())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(event, ClientEvent::Receipt(receipt));
    let (id, data) = next(&mut on_b).await;
    assert_eq!(data, "over stomp");
    // A had it when it sent the RECEIPT.
    assert_eq!(a_hub.last_id("t").unwrap().get(), id);
    socketio_publish_acks_the_id(addr, &mut on_b).await;
}

/// Socket.IO's `publish` on A: acknowledged with the id B's subscribers
/// get.
#[cfg(feature = "socketio")]
async fn socketio_publish_acks_the_id(addr: std::net::SocketAddr, on_b: &mut HubSubscriber) {
    use rtw_tokio::socketio::{Args, Client, ClientOptions, Transport};
    use serde_json::json;
    let options = ClientOptions::default().transport(Transport::WebSocket);
    let client = Client::connect(&format!("http://{addr}"), options)
        .await
        .unwrap();
    let args = Args::from(vec![json!("t"), json!("over socket.io")]);
    let ack = client.call("publish", args, WAIT).await.unwrap();
    let (id, data) = next(on_b).await;
    assert_eq!(ack.values, vec![json!({ "id": id })]);
    assert_eq!(data, "over socket.io");
}

#[cfg(not(feature = "socketio"))]
async fn socketio_publish_acks_the_id(_: std::net::SocketAddr, _: &mut HubSubscriber) {}

/// A TCP proxy to RabbitMQ whose connections can all be cut at once.
struct Proxy {
    port: u16,
    cut: tokio::sync::watch::Sender<u64>,
}

async fn proxy(to: u16) -> Proxy {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (cut, watch) = tokio::sync::watch::channel(0u64);
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            let mut cut = watch.clone();
            cut.borrow_and_update();
            tokio::spawn(async move {
                let Ok(mut outbound) = tokio::net::TcpStream::connect(("127.0.0.1", to)).await
                else {
                    return;
                };
                tokio::select! {
                    _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                    _ = cut.changed() => {}
                }
            });
        }
    });
    Proxy { port, cut }
}

/// A's connection to RabbitMQ is cut: A reconnects by itself, resumes the
/// stream after the last offset it took (nothing twice, nothing lost), and
/// publishes again; a publish while it is cut fails with 503 or succeeds
/// once reconnected, never both.
async fn reconnects_and_resumes() {
    let proxy = proxy(rabbit().stomp_port).await;
    let (a, backend_a) = node_at(proxy.port, "reconnect").await;
    let (b, _kb) = node("reconnect").await;
    let mut on_a = a.subscribe("t", Since::Now).unwrap();
    let mut expected = Vec::new();
    for i in 0..5 {
        let data = format!("before{i}");
        expected.push((
            a.send("t", Bytes::from(data.clone())).await.unwrap().get(),
            data,
        ));
    }
    proxy.cut.send_modify(|n| *n += 1);
    // Published on B while A is cut off: A gets them after reconnecting.
    for i in 0..5 {
        let data = format!("during{i}");
        expected.push((
            b.send("t", Bytes::from(data.clone())).await.unwrap().get(),
            data,
        ));
    }
    let reconnected = tokio::time::timeout(WAIT, async {
        while backend_a.status().connections < 2 || !backend_a.status().connected {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    reconnected.await.expect("A reconnects within the bound");
    for i in 0..5 {
        let data = format!("after{i}");
        expected.push((
            a.send("t", Bytes::from(data.clone())).await.unwrap().get(),
            data,
        ));
    }
    for message in &expected {
        assert_eq!(&next(&mut on_a).await, message);
    }
    assert_eq!(on_a.try_next(), None);
    let kept = history_of(&b, "t", expected.len()).await;
    assert_eq!(kept, expected);
    let status = a.backend_status().unwrap();
    assert!(status.connected && status.connections == 2, "{status:?}");
    assert_eq!(status.unconfirmed, 0);
}

/// Nothing listening: `start` fails within its bound, saying why.
async fn unreachable_backend() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port(); // closed again at once: nothing listens there
    let hub = SharedHub::new(Config::default());
    let mut config =
        RabbitConfig::new(HubUrl::parse(&format!("stomp://127.0.0.1:{port}")).unwrap());
    config.start_timeout = Duration::from_secs(2);
    let error = RabbitHub::start(config, hub).await.unwrap_err();
    assert!(error.contains("not ready within"), "{error}");
    assert!(error.contains("connecting to"), "{error}");
}
