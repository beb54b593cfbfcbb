//! `GET /metrics` of `rtw_tokio::serve`: the counters move as a publish,
//! an SSE delivery and a WebSocket delivery go through, and the text is
//! the Prometheus text exposition format 0.0.4 (every sample line `name{labels}
//! value`, `# HELP` and `# TYPE` once per family, before its samples).
#![cfg(feature = "serve")]

mod serve_support;

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rtw_hub::Config as HubConfig;
use rtw_tokio::serve::{METRICS_CONTENT_TYPE, ServeConfig, Transport};
use rtw_tokio::ws::Message;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

use serve_support::server;

const WAIT: Duration = Duration::from_secs(10);

/// One request with `Connection: close`: the whole response as text.
async fn request(addr: SocketAddr, head: &str, body: &str) -> String {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "{head} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    timeout(WAIT, tcp.read_to_end(&mut out))
        .await
        .unwrap()
        .unwrap();
    String::from_utf8(out).unwrap()
}

/// The samples of `GET /metrics`, by `name{labels}`, after checking the
/// text's form.
async fn scrape(addr: SocketAddr) -> HashMap<String, f64> {
    let response = request(addr, "GET /metrics", "").await;
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains(&format!("content-type: {METRICS_CONTENT_TYPE}")),
        "{head}"
    );
    parse(body)
}

/// Checks the text exposition format of `text` and gives its samples.
fn parse(text: &str) -> HashMap<String, f64> {
    let mut helps = HashSet::new();
    let mut types = HashMap::new();
    let mut samples = HashMap::new();
    assert!(text.ends_with('\n'));
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').unwrap();
            assert!(!help.is_empty());
            assert!(helps.insert(name.to_owned()), "HELP twice for {name}");
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            assert!(["counter", "gauge"].contains(&kind), "{line}");
            assert!(helps.contains(name), "TYPE before HELP: {line}");
            assert!(
                types.insert(name.to_owned(), kind.to_owned()).is_none(),
                "TYPE twice for {name}"
            );
            continue;
        }
        assert!(!line.starts_with('#'), "{line}");
        let (series, value) = line.rsplit_once(' ').unwrap();
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("{line}"));
        let name = match series.split_once('{') {
            Some((name, labels)) => {
                let labels = labels.strip_suffix('}').unwrap();
                for pair in labels.split(',') {
                    let (key, value) = pair.split_once('=').unwrap();
                    assert!(
                        key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                        "{line}"
                    );
                    assert!(
                        value.len() >= 2 && value.starts_with('"') && value.ends_with('"'),
                        "{line}"
                    );
                }
                name
            }
            None => series,
        };
        assert!(
            name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "{line}"
        );
        let kind = types
            .get(name)
            .unwrap_or_else(|| panic!("sample before its TYPE: {line}"));
        if kind == "counter" {
            assert!(name.ends_with("_total"), "{line}");
        }
        assert!(
            samples.insert(series.to_owned(), value).is_none(),
            "{line} twice"
        );
    }
    assert_eq!(helps.len(), types.len());
    samples
}

fn at(samples: &HashMap<String, f64>, family: &str, transport: &str) -> f64 {
    let key = format!("{family}{{transport=\"{transport}\"}}");
    *samples.get(&key).unwrap_or_else(|| panic!("no {key}"))
}

#[tokio::test]
async fn counters_follow_a_publish_an_sse_and_a_ws_delivery() {
    let (addr, _hub) = server(ServeConfig::default(), HubConfig::default()).await;
    let before = scrape(addr).await;
    for transport in ["sse", "ws", "http", "poll"] {
        assert_eq!(
            at(&before, "rtw_serve_messages_delivered_total", transport),
            0.0
        );
    }
    assert_eq!(before["rtw_serve_streams_open"], 0.0);

    // An SSE subscriber and a WebSocket subscriber, then one publish.
    let mut sse = TcpStream::connect(addr).await.unwrap();
    sse.write_all(format!("GET /topics/t/events HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut seen = Vec::new();
    let mut buf = [0; 1024];
    while !String::from_utf8_lossy(&seen).contains("\r\n\r\n") {
        let n = timeout(WAIT, sse.read(&mut buf)).await.unwrap().unwrap();
        assert!(n > 0);
        seen.extend_from_slice(&buf[..n]);
    }
    let (mut ws, _) = rtw_tokio::ws::connect(&format!("ws://{addr}/topics/t/ws"))
        .await
        .unwrap();
    let during = scrape(addr).await;
    assert_eq!(at(&during, "rtw_serve_connections_open", "sse"), 1.0);
    assert_eq!(at(&during, "rtw_serve_connections_open", "ws"), 1.0);
    assert_eq!(
        at(&during, "rtw_serve_connections_accepted_total", "ws"),
        1.0
    );
    assert_eq!(during["rtw_serve_streams_open"], 2.0);

    let published = request(addr, "POST /topics/t", "hello").await;
    assert!(published.starts_with("HTTP/1.1 200"), "{published}");
    assert!(published.ends_with(r#"{"id":1}"#), "{published}");
    let message = timeout(WAIT, ws.next()).await.unwrap().unwrap().unwrap();
    assert_eq!(message, Message::text(r#"{"id":1,"data":"hello"}"#));
    while !String::from_utf8_lossy(&seen).contains("data: hello") {
        let n = timeout(WAIT, sse.read(&mut buf)).await.unwrap().unwrap();
        assert!(n > 0);
        seen.extend_from_slice(&buf[..n]);
    }

    let after = scrape(addr).await;
    assert_eq!(
        at(&after, "rtw_serve_messages_published_total", "http"),
        1.0
    );
    assert_eq!(
        at(&after, "rtw_serve_connections_accepted_total", "http"),
        1.0
    );
    assert_eq!(at(&after, "rtw_serve_messages_delivered_total", "sse"), 1.0);
    assert_eq!(at(&after, "rtw_serve_messages_delivered_total", "ws"), 1.0);
    assert_eq!(
        at(&after, "rtw_serve_bytes_delivered_total", "ws"),
        r#"{"id":1,"data":"hello"}"#.len() as f64
    );
    assert!(at(&after, "rtw_serve_bytes_delivered_total", "sse") >= "data: hello\n".len() as f64);

    // A refusal is counted by transport and status; the WebSocket's close
    // takes its connection off the gauge.
    let refused = request(addr, "GET /topics/bad%2Fname/poll", "").await;
    assert!(refused.starts_with("HTTP/1.1 400"), "{refused}");
    ws.close().await.unwrap();
    drop(sse);
    let now = scrape_until(addr, |now| {
        at(now, "rtw_serve_connections_open", "ws") + at(now, "rtw_serve_connections_open", "sse")
            == 0.0
    })
    .await;
    assert_eq!(
        now["rtw_serve_requests_refused_total{transport=\"poll\",status=\"400\"}"],
        1.0
    );
    // The SSE stream was cut (its client went away); the WebSocket closed
    // with the closing handshake: no error.
    assert_eq!(at(&now, "rtw_serve_streams_cut_total", "sse"), 1.0);
    assert_eq!(at(&now, "rtw_serve_streams_cut_total", "stream"), 0.0);
    assert_eq!(at(&now, "rtw_serve_errors_total", "ws"), 0.0);
}

#[tokio::test]
async fn the_service_counts_without_a_server() {
    use http_body_util::{BodyExt, Full};

    let service = rtw_tokio::serve::ServeService::new(
        ServeConfig::default(),
        rtw_tokio::serve::SharedHub::new(HubConfig::default()),
    );
    let publish = http::Request::post("/topics/t")
        .body(Full::new(bytes::Bytes::from_static(b"x")))
        .unwrap();
    assert_eq!(service.handle(publish).await.status(), 200);
    let poll = http::Request::get("/topics/t/poll?since=0")
        .body(Full::new(bytes::Bytes::new()))
        .unwrap();
    let body = service.handle(poll).await.into_body().collect().await;
    assert_eq!(&body.unwrap().to_bytes()[..], br#"[{"id":1,"data":"x"}]"#);
    assert_eq!(service.metrics().messages_delivered(Transport::Poll), 1);
    assert_eq!(service.metrics().connections_accepted(Transport::Poll), 1);
    let samples = parse(&service.metrics_text());
    assert_eq!(
        at(&samples, "rtw_serve_messages_published_total", "http"),
        1.0
    );
    assert_eq!(
        at(&samples, "rtw_serve_bytes_delivered_total", "poll"),
        br#"[{"id":1,"data":"x"}]"#.len() as f64
    );
}

/// The next text message of `ws`, in time.
async fn text<S>(ws: &mut rtw_tokio::ws::WebSocketStream<S>) -> String
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    loop {
        match timeout(WAIT, ws.next()).await.unwrap() {
            Some(Ok(Message::Text(t))) => return t.as_str().to_owned(),
            Some(Ok(_)) => {}
            other => panic!("expected a text message, got {other:?}"),
        }
    }
}

/// Scrapes until `done` holds for the samples (within [`WAIT`]): the
/// counters of a connection's task move after the client has seen its
/// answer.
async fn scrape_until(
    addr: SocketAddr,
    done: impl Fn(&HashMap<String, f64>) -> bool,
) -> HashMap<String, f64> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let samples = scrape(addr).await;
        if done(&samples) {
            return samples;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not reached: {samples:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Messages and bytes in, by transport: a POST body, a WebSocket client's
/// text, a STOMP SEND (and one in a committed transaction); a bad STOMP
/// frame is an ERROR counted under `errors`.
#[tokio::test]
async fn messages_in_by_transport_and_stomp_errors() {
    let (addr, _hub) = server(ServeConfig::default(), HubConfig::default()).await;
    let before = scrape(addr).await;
    for transport in ["http", "ws", "stomp", "socketio"] {
        assert_eq!(
            at(&before, "rtw_serve_messages_received_total", transport),
            0.0
        );
        assert_eq!(
            at(&before, "rtw_serve_bytes_received_total", transport),
            0.0
        );
    }

    let published = request(addr, "POST /topics/t", "hello").await;
    assert!(published.starts_with("HTTP/1.1 200"), "{published}");
    // Not UTF-8 text: received, refused, not published.
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let mut bad = format!(
        "POST /topics/t HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: 1\r\n\r\n"
    )
    .into_bytes();
    bad.push(0xff);
    tcp.write_all(&bad).await.unwrap();
    let mut refused = Vec::new();
    timeout(WAIT, tcp.read_to_end(&mut refused))
        .await
        .unwrap()
        .unwrap();
    assert!(refused.starts_with(b"HTTP/1.1 400"));

    let (mut ws, _) = rtw_tokio::ws::connect(&format!("ws://{addr}/topics/t/ws"))
        .await
        .unwrap();
    ws.send(Message::text("from ws!")).await.unwrap();
    // Its own message comes back: the hub took it.
    assert!(text(&mut ws).await.contains("from ws!"));

    let (mut stomp, _) = rtw_tokio::ws::connect(&format!("ws://{addr}/stomp"))
        .await
        .unwrap();
    stomp
        .send(Message::text("CONNECT\naccept-version:1.2\nhost:h\n\n\0"))
        .await
        .unwrap();
    assert!(text(&mut stomp).await.starts_with("CONNECTED\n"));
    let frames = [
        "SEND\ndestination:/topic/t\n\nstomp body\0",
        "BEGIN\ntransaction:x\n\n\0",
        "SEND\ndestination:/topic/t\ntransaction:x\n\nheld\0",
        "COMMIT\ntransaction:x\nreceipt:c\n\n\0",
    ];
    for frame in frames {
        stomp.send(Message::text(frame)).await.unwrap();
    }
    assert!(
        text(&mut stomp)
            .await
            .starts_with("RECEIPT\nreceipt-id:c\n")
    );
    stomp.send(Message::text("NOPE\n\n\0")).await.unwrap();
    assert!(text(&mut stomp).await.starts_with("ERROR\n"));

    let after = scrape_until(addr, |s| {
        at(s, "rtw_serve_errors_total", "stomp") >= 1.0
            && at(s, "rtw_serve_messages_published_total", "ws") >= 1.0
    })
    .await;
    assert_eq!(at(&after, "rtw_serve_messages_received_total", "http"), 2.0);
    assert_eq!(at(&after, "rtw_serve_bytes_received_total", "http"), 6.0);
    assert_eq!(
        at(&after, "rtw_serve_messages_published_total", "http"),
        1.0
    );
    assert_eq!(at(&after, "rtw_serve_messages_received_total", "ws"), 1.0);
    assert_eq!(at(&after, "rtw_serve_bytes_received_total", "ws"), 8.0);
    assert_eq!(at(&after, "rtw_serve_messages_published_total", "ws"), 1.0);
    assert_eq!(
        at(&after, "rtw_serve_messages_received_total", "stomp"),
        2.0
    );
    assert_eq!(
        at(&after, "rtw_serve_bytes_received_total", "stomp"),
        ("stomp body".len() + "held".len()) as f64
    );
    assert_eq!(
        at(&after, "rtw_serve_messages_published_total", "stomp"),
        2.0
    );
    assert_eq!(at(&after, "rtw_serve_errors_total", "stomp"), 1.0);
    assert_eq!(at(&after, "rtw_serve_errors_total", "ws"), 0.0);
}

/// Socket.IO over its WebSocket transport: packets in and out with their
/// bytes, a `publish` event counted as published, a packet Socket.IO
/// cannot parse counted as an error, and an Engine.IO 400 as refused.
#[tokio::test]
async fn socketio_messages_errors_and_refusals() {
    let (addr, _hub) = server(ServeConfig::default(), HubConfig::default()).await;
    let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");
    let (mut ws, _) = rtw_tokio::ws::connect(&url).await.unwrap();
    assert!(text(&mut ws).await.starts_with(r#"0{"sid":""#));
    // Engine.IO message (4) carrying Socket.IO CONNECT (0) to `/`.
    ws.send(Message::text("40")).await.unwrap();
    let connected = text(&mut ws).await;
    assert!(connected.starts_with(r#"40{"sid":""#), "{connected}");
    let event = r#"42["echo","hi"]"#;
    ws.send(Message::text(event)).await.unwrap();
    assert_eq!(text(&mut ws).await, event);
    ws.send(Message::text(r#"42["publish","t","x"]"#))
        .await
        .unwrap();
    let during = scrape_until(addr, |s| {
        at(s, "rtw_serve_messages_published_total", "socketio") >= 1.0
    })
    .await;
    let sent = ["0", &event[1..], &r#"42["publish","t","x"]"#[1..]];
    assert_eq!(
        at(&during, "rtw_serve_messages_received_total", "socketio"),
        3.0
    );
    assert_eq!(
        at(&during, "rtw_serve_bytes_received_total", "socketio"),
        sent.iter().map(|p| p.len()).sum::<usize>() as f64
    );
    assert_eq!(
        at(&during, "rtw_serve_messages_delivered_total", "socketio"),
        2.0
    );
    assert_eq!(
        at(&during, "rtw_serve_bytes_delivered_total", "socketio"),
        (connected.len() - 1 + event.len() - 1) as f64
    );
    assert_eq!(at(&during, "rtw_serve_errors_total", "socketio"), 0.0);
    assert_eq!(at(&during, "rtw_serve_connections_open", "socketio"), 1.0);

    // A packet type Socket.IO does not have: the session is closed.
    ws.send(Message::text("4z")).await.unwrap();
    let after = scrape_until(addr, |s| at(s, "rtw_serve_errors_total", "socketio") >= 1.0).await;
    assert_eq!(at(&after, "rtw_serve_errors_total", "socketio"), 1.0);
    drop(ws);

    let bad = request(addr, "GET /socket.io/?EIO=4&transport=polling&sid=nope", "").await;
    assert!(bad.starts_with("HTTP/1.1 400"), "{bad}");
    let after = scrape(addr).await;
    assert_eq!(
        after["rtw_serve_requests_refused_total{transport=\"socketio\",status=\"400\"}"],
        1.0
    );
}

/// An SSE stream the server ends (its max age) is not counted as cut.
#[tokio::test]
async fn a_stream_that_ends_is_not_cut() {
    let limits =
        rtw_tokio::serve::Limits::default().max_stream_age(Some(Duration::from_millis(200)));
    let (addr, _hub) = server(ServeConfig::default().limits(limits), HubConfig::default()).await;
    let whole = request(addr, "GET /topics/t/events", "").await;
    assert!(whole.starts_with("HTTP/1.1 200"), "{whole}");
    let now = scrape_until(addr, |s| at(s, "rtw_serve_connections_open", "sse") == 0.0).await;
    assert_eq!(at(&now, "rtw_serve_connections_accepted_total", "sse"), 1.0);
    assert_eq!(at(&now, "rtw_serve_streams_cut_total", "sse"), 0.0);
    assert!(at(&now, "rtw_serve_bytes_delivered_total", "sse") > 0.0);
}

/// A subscriber of each upgraded transport and SSE, evicted by the hub
/// (its topic removed): counted under `evictions` by transport, STOMP's
/// ERROR `slow consumer` under `errors` too.
#[tokio::test]
async fn evictions_by_transport() {
    let (addr, hub) = server(ServeConfig::default(), HubConfig::default()).await;
    let mut sse = TcpStream::connect(addr).await.unwrap();
    sse.write_all(format!("GET /topics/t/events HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let (mut ws, _) = rtw_tokio::ws::connect(&format!("ws://{addr}/topics/t/ws"))
        .await
        .unwrap();
    let (mut stomp, _) = rtw_tokio::ws::connect(&format!("ws://{addr}/stomp"))
        .await
        .unwrap();
    stomp
        .send(Message::text("CONNECT\naccept-version:1.2\nhost:h\n\n\0"))
        .await
        .unwrap();
    assert!(text(&mut stomp).await.starts_with("CONNECTED\n"));
    stomp
        .send(Message::text(
            "SUBSCRIBE\nid:0\ndestination:/topic/t\nreceipt:s\n\n\0",
        ))
        .await
        .unwrap();
    assert!(text(&mut stomp).await.starts_with("RECEIPT\n"));
    let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");
    let (mut sio, _) = rtw_tokio::ws::connect(&url).await.unwrap();
    assert!(text(&mut sio).await.starts_with('0'));
    sio.send(Message::text("40")).await.unwrap();
    assert!(text(&mut sio).await.starts_with("40"));
    sio.send(Message::text(r#"421["subscribe","t"]"#))
        .await
        .unwrap();
    assert_eq!(text(&mut sio).await, r#"431[{"topic":"t"}]"#);

    // Each has its subscription once it has the first message.
    let published = request(addr, "POST /topics/t", "first").await;
    assert!(published.starts_with("HTTP/1.1 200"), "{published}");
    assert!(text(&mut ws).await.contains("first"));
    assert!(text(&mut stomp).await.starts_with("MESSAGE\n"));
    assert!(text(&mut sio).await.contains("first"));
    let mut seen = Vec::new();
    let mut buf = [0; 1024];
    while !String::from_utf8_lossy(&seen).contains("data: first") {
        let n = timeout(WAIT, sse.read(&mut buf)).await.unwrap().unwrap();
        assert!(n > 0);
        seen.extend_from_slice(&buf[..n]);
    }
    let before = scrape(addr).await;
    for transport in ["ws", "sse", "stomp", "socketio"] {
        assert_eq!(at(&before, "rtw_serve_evictions_total", transport), 0.0);
    }

    hub.with_hub(|h| h.remove_topic("t"));
    assert!(
        text(&mut stomp)
            .await
            .starts_with("ERROR\nmessage:slow consumer")
    );
    assert!(text(&mut sio).await.starts_with(r#"42["evicted""#));
    let after = scrape_until(addr, |s| {
        ["ws", "sse", "stomp", "socketio"]
            .iter()
            .all(|t| at(s, "rtw_serve_evictions_total", t) >= 1.0)
    })
    .await;
    for transport in ["ws", "sse", "stomp", "socketio"] {
        assert_eq!(at(&after, "rtw_serve_evictions_total", transport), 1.0);
    }
    assert_eq!(at(&after, "rtw_serve_errors_total", "stomp"), 1.0);
    assert_eq!(at(&after, "rtw_serve_evictions_total", "stream"), 0.0);
}
