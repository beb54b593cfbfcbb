//! `rtw_tokio::serve` on a real hyper server on 127.0.0.1: every route,
//! with raw TCP clients (HTTP/1.1 chunks decoded by rtw-chunked, HTTP/1.0
//! ended by close), rtw's WebSocket client, CORS and the errors.
#![cfg(feature = "serve")]

mod serve_support;

use std::net::SocketAddr;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::{SinkExt, StreamExt};
use rtw_chunked::{Config as ChunkedConfig, Decoder, Frame};
use rtw_hub::{Config as HubConfig, Limits as HubLimits};
use rtw_tokio::serve::{Limits, ServeConfig, ServeService, SharedHub};
use rtw_tokio::ws::{ClientOptions, CloseCode, Message};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

use serve_support::{serve, server};

const WAIT: Duration = Duration::from_secs(10);

async fn default_server() -> (SocketAddr, SharedHub) {
    server(ServeConfig::default(), HubConfig::default()).await
}

/// A parsed response.
#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Fields,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> &str {
        std::str::from_utf8(&self.body).unwrap()
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// Header fields, in order.
type Fields = Vec<(String, String)>;

/// Splits a response head off `buf`: status, headers, head length.
fn head(buf: &[u8]) -> Option<(u16, Fields, usize)> {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut response = httparse::Response::new(&mut headers);
    match response.parse(buf).unwrap() {
        httparse::Status::Complete(n) => {
            let headers = response
                .headers
                .iter()
                .map(|h| {
                    let v = String::from_utf8(h.value.to_vec()).unwrap();
                    (h.name.to_owned(), v)
                })
                .collect();
            Some((response.code.unwrap(), headers, n))
        }
        httparse::Status::Partial => None,
    }
}

/// The data of each chunk of a whole chunked body, in order.
fn chunks(body: &[u8]) -> Vec<Bytes> {
    let mut decoder = Decoder::with_config(ChunkedConfig::default().report_chunk_headers(true));
    let mut src = BytesMut::from(body);
    let mut out: Vec<BytesMut> = Vec::new();
    while let Some(frame) = decoder.decode_eof(&mut src).unwrap() {
        match frame {
            Frame::Chunk(h) if h.size > 0 => out.push(BytesMut::new()),
            Frame::Data(d) => out.last_mut().unwrap().extend_from_slice(&d),
            _ => {}
        }
    }
    out.into_iter().map(BytesMut::freeze).collect()
}

/// Sends `method target` with `headers` and `body`, `Connection: close`,
/// and reads the whole response (chunked bodies decoded).
async fn request(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Reply {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let mut req = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (n, v) in headers {
        req.push_str(&format!("{n}: {v}\r\n"));
    }
    if !body.is_empty() || method == "POST" {
        req.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    req.push_str("\r\n");
    tcp.write_all(req.as_bytes()).await.unwrap();
    tcp.write_all(body).await.unwrap();
    let mut buf = Vec::new();
    timeout(WAIT, tcp.read_to_end(&mut buf))
        .await
        .expect("response in time")
        .unwrap();
    let (status, headers, n) = head(&buf).expect("a whole head");
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    let body = if chunked {
        chunks(&buf[n..]).concat()
    } else {
        buf[n..].to_vec()
    };
    Reply {
        status,
        headers,
        body,
    }
}

async fn get(addr: SocketAddr, target: &str) -> Reply {
    request(addr, "GET", target, &[], b"").await
}

async fn post(addr: SocketAddr, topic: &str, text: &str) -> Reply {
    request(
        addr,
        "POST",
        &format!("/topics/{topic}"),
        &[("Content-Type", "text/plain")],
        text.as_bytes(),
    )
    .await
}

fn ids(value: &serde_json::Value) -> Vec<u64> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_u64().unwrap())
        .collect()
}

/// Reads from `tcp` into `buf` until `done(buf)`.
async fn read_until(tcp: &mut TcpStream, buf: &mut Vec<u8>, done: impl Fn(&[u8]) -> bool) {
    timeout(WAIT, async {
        while !done(buf) {
            let mut more = [0; 4096];
            let n = tcp.read(&mut more).await.unwrap();
            assert!(n > 0, "closed early: {:?}", String::from_utf8_lossy(buf));
            buf.extend_from_slice(&more[..n]);
        }
    })
    .await
    .unwrap_or_else(|_| panic!("timed out: {:?}", String::from_utf8_lossy(buf)));
}

fn count(haystack: &[u8], needle: &str) -> usize {
    String::from_utf8_lossy(haystack).matches(needle).count()
}

#[tokio::test]
async fn publish_then_poll_from_since() {
    let (addr, _) = default_server().await;
    for (i, text) in ["one", "two", "thr\"ee\n"].iter().enumerate() {
        let reply = post(addr, "news", text).await;
        assert_eq!(reply.status, 200, "{}", reply.text());
        assert_eq!(reply.json(), serde_json::json!({ "id": i + 1 }));
    }
    let all = get(addr, "/topics/news/poll").await;
    assert_eq!(all.status, 200);
    assert_eq!(all.header("content-type"), Some("application/json"));
    assert_eq!(
        all.json(),
        serde_json::json!([
            {"id": 1, "data": "one"}, {"id": 2, "data": "two"}, {"id": 3, "data": "thr\"ee\n"}
        ])
    );
    assert_eq!(
        ids(&get(addr, "/topics/news/poll?since=1").await.json()),
        [2, 3]
    );
    assert_eq!(
        ids(&get(addr, "/topics/news/poll?since=3").await.json()),
        Vec::<u64>::new()
    );
    assert_eq!(
        ids(&get(addr, "/topics/other/poll").await.json()),
        Vec::<u64>::new()
    );
    // What `curl -d` and HTML forms send is text too, kept as sent.
    let form = [("Content-Type", "application/x-www-form-urlencoded")];
    let reply = request(addr, "POST", "/topics/news", &form, b"a=1&b=%20").await;
    assert_eq!(reply.json(), serde_json::json!({"id": 4}));
    let last = get(addr, "/topics/news/poll?since=3").await.json();
    assert_eq!(last, serde_json::json!([{"id": 4, "data": "a=1&b=%20"}]));
}

#[tokio::test]
async fn errors_are_clear_and_the_server_stays_up() {
    let config = ServeConfig::default().limits(Limits::default().max_body(16));
    let (addr, _) = server(config, HubConfig::default()).await;
    let cases = [
        (post(addr, "t", &"x".repeat(17)).await, 413),
        (post(addr, "bad%20name", "x").await, 400),
        (post(addr, "", "x").await, 400),
        (get(addr, "/topics/t/poll?since=x").await, 400),
        (get(addr, "/topics/t/poll?since=-1").await, 400),
        (get(addr, "/topics/t/longpoll?timeout=no").await, 400),
        (get(addr, "/topics/t/nothing").await, 404),
        (get(addr, "/elsewhere").await, 404),
        (get(addr, "/topics/bad%2Fname/stream").await, 400),
        (
            request(
                addr,
                "POST",
                "/topics/t",
                &[("Content-Type", "image/png")],
                b"x",
            )
            .await,
            415,
        ),
        (
            request(
                addr,
                "POST",
                "/topics/t",
                &[("Content-Type", "text/plain")],
                b"\xff",
            )
            .await,
            400,
        ),
        (
            request(
                addr,
                "GET",
                "/topics/t/events",
                &[("Last-Event-ID", "abc")],
                b"",
            )
            .await,
            400,
        ),
    ];
    for (reply, status) in &cases {
        assert_eq!(reply.status, *status, "{}", reply.text());
        assert!(reply.text().ends_with('\n') && reply.text().lines().count() == 1);
        assert_eq!(
            reply.header("content-type"),
            Some("text/plain; charset=utf-8")
        );
    }
    let put = request(addr, "PUT", "/topics/t", &[], b"").await;
    assert_eq!(
        (put.status, put.header("allow")),
        (405, Some("POST, OPTIONS"))
    );
    let post_poll = request(addr, "POST", "/topics/t/poll", &[], b"").await;
    assert_eq!(
        (post_poll.status, post_poll.header("allow")),
        (405, Some("GET, OPTIONS"))
    );
    assert_eq!(post(addr, "t", "still up").await.json()["id"], 1);
}

#[tokio::test]
async fn long_poll_answers_on_publish_and_204_at_timeout() {
    let (addr, hub) = default_server().await;
    let waiting = tokio::spawn(async move { get(addr, "/topics/lp/longpoll?since=0").await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!waiting.is_finished());
    hub.publish("lp", Bytes::from("hello")).unwrap();
    let reply = timeout(WAIT, waiting).await.unwrap().unwrap();
    assert_eq!(
        reply.json(),
        serde_json::json!([{"id": 1, "data": "hello"}])
    );
    // Something after since already: at once, everything kept.
    hub.publish("lp", Bytes::from("again")).unwrap();
    assert_eq!(
        ids(&get(addr, "/topics/lp/longpoll?since=0").await.json()),
        [1, 2]
    );
    // Without since: the next message only.
    let next = tokio::spawn(async move { get(addr, "/topics/lp/longpoll").await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    hub.publish("lp", Bytes::from("third")).unwrap();
    assert_eq!(
        ids(&timeout(WAIT, next).await.unwrap().unwrap().json()),
        [3]
    );
    let started = std::time::Instant::now();
    let empty = get(addr, "/topics/lp/longpoll?since=3&timeout=0.3").await;
    assert_eq!(empty.status, 204);
    assert!(empty.body.is_empty());
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn http11_stream_is_one_chunk_per_message() {
    let (addr, hub) = default_server().await;
    hub.publish("s", Bytes::from("a")).unwrap();
    hub.publish("s", Bytes::from("b")).unwrap();
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(
        format!("GET /topics/s/stream?since=0 HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    let mut buf = Vec::new();
    read_until(&mut tcp, &mut buf, |b| count(b, "\"id\":") == 2).await;
    for i in 3..=5 {
        hub.publish("s", Bytes::from(format!("m{i}"))).unwrap();
        read_until(&mut tcp, &mut buf, |b| count(b, "\"id\":") == i).await;
    }
    // The topic removed: the subscriber is evicted and the body ends.
    hub.with_hub(|h| h.remove_topic("s"));
    read_until(&mut tcp, &mut buf, |b| b.ends_with(b"0\r\n\r\n")).await;
    let (status, headers, n) = head(&buf).unwrap();
    assert_eq!(status, 200);
    assert!(
        headers
            .iter()
            .any(|(k, v)| k == "transfer-encoding" && v == "chunked")
    );
    assert!(
        headers
            .iter()
            .any(|(k, v)| k == "content-type" && v.starts_with("application/x-ndjson"))
    );
    let got = chunks(&buf[n..]);
    let expected: Vec<String> = ["a", "b", "m3", "m4", "m5"]
        .iter()
        .enumerate()
        .map(|(i, d)| format!("{{\"id\":{},\"data\":\"{d}\"}}\n", i + 1))
        .collect();
    assert_eq!(got, expected);
}

#[tokio::test]
async fn http10_stream_has_no_chunks_and_ends_at_close() {
    let (addr, hub) = default_server().await;
    hub.publish("s", Bytes::from("a")).unwrap();
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(b"GET /topics/s/stream?since=0 HTTP/1.0\r\n\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    read_until(&mut tcp, &mut buf, |b| count(b, "\"id\":") == 1).await;
    hub.publish("s", Bytes::from("b")).unwrap();
    read_until(&mut tcp, &mut buf, |b| count(b, "\"id\":") == 2).await;
    hub.with_hub(|h| h.remove_topic("s"));
    timeout(WAIT, tcp.read_to_end(&mut buf))
        .await
        .unwrap()
        .unwrap();
    let (status, headers, n) = head(&buf).unwrap();
    assert_eq!(status, 200);
    assert!(
        !headers
            .iter()
            .any(|(k, _)| k == "transfer-encoding" || k == "content-length"),
        "{headers:?}"
    );
    assert_eq!(
        &buf[n..],
        b"{\"id\":1,\"data\":\"a\"}\n{\"id\":2,\"data\":\"b\"}\n"
    );
}

#[tokio::test]
async fn iframe_pads_escapes_and_posts_to_the_allowed_origin() {
    let config = ServeConfig::default().allowed_origins(vec!["http://app.example".into()]);
    let (addr, hub) = server(config, HubConfig::default()).await;
    hub.publish("f", Bytes::from("</script><b>")).unwrap();
    for (query, target) in [
        (
            "since=0&origin=http%3A%2F%2Fapp.example",
            "\"http://app.example\"",
        ),
        ("since=0&origin=http%3A%2F%2Fevil.example", "\"/\""),
        ("since=0", "\"/\""),
    ] {
        let mut tcp = TcpStream::connect(addr).await.unwrap();
        tcp.write_all(
            format!("GET /topics/f/iframe?{query} HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes(),
        )
        .await
        .unwrap();
        let mut buf = Vec::new();
        read_until(&mut tcp, &mut buf, |b| count(b, "</script>") == 1).await;
        let (_, headers, n) = head(&buf).unwrap();
        assert!(
            headers
                .iter()
                .any(|(k, v)| k == "content-type" && v.starts_with("text/html"))
        );
        let body = String::from_utf8_lossy(&chunks_partial(&buf[n..])).into_owned();
        let script = body.find("<script>").unwrap();
        assert!(script >= 1024, "padding before the first script: {script}");
        assert!(body[script..].starts_with(&format!(
            "<script>parent.postMessage({{\"id\":1,\"data\":\"\\u003c/script>\\u003cb>\"}}, {target});</script>\n"
        )), "{}", &body[script..]);
    }
}

/// The data of a chunked body that has not ended yet.
fn chunks_partial(body: &[u8]) -> Vec<u8> {
    let mut decoder = Decoder::new();
    let mut src = BytesMut::from(body);
    let mut out = Vec::new();
    while let Some(Frame::Data(d)) = decoder.decode(&mut src).unwrap() {
        out.extend_from_slice(&d);
    }
    out
}

#[tokio::test]
async fn sse_resumes_from_last_event_id_then_since() {
    let (addr, hub) = default_server().await;
    for d in ["1", "2", "3"] {
        hub.publish("e", Bytes::from(d)).unwrap();
    }
    for (target, extra) in [
        ("/topics/e/events?since=0", "Last-Event-ID: 1\r\n"),
        ("/topics/e/events?since=1", ""),
    ] {
        let mut tcp = TcpStream::connect(addr).await.unwrap();
        tcp.write_all(format!("GET {target} HTTP/1.1\r\nHost: {addr}\r\n{extra}\r\n").as_bytes())
            .await
            .unwrap();
        let mut buf = Vec::new();
        read_until(&mut tcp, &mut buf, |b| count(b, "id: 3\n") == 1).await;
        let (_, headers, n) = head(&buf).unwrap();
        assert!(
            headers
                .iter()
                .any(|(k, v)| k == "content-type" && v == "text/event-stream")
        );
        let text = String::from_utf8(chunks_partial(&buf[n..])).unwrap();
        assert_eq!(text, "data: 2\nid: 2\n\ndata: 3\nid: 3\n\n");
    }
    hub.publish("e", Bytes::from("4")).unwrap();
}

#[tokio::test]
async fn max_stream_age_ends_sse_and_last_event_id_gets_the_rest() {
    let age = Duration::from_millis(300);
    let config = ServeConfig::default().limits(Limits::default().max_stream_age(Some(age)));
    let (addr, hub) = server(config, HubConfig::default()).await;
    for d in ["1", "2", "3"] {
        hub.publish("a", Bytes::from(d)).unwrap();
    }
    // Ended by the server after the age (request() reads to the end).
    let started = std::time::Instant::now();
    let first = get(addr, "/topics/a/events?since=0").await;
    assert!(started.elapsed() >= age, "{:?}", started.elapsed());
    assert_eq!(first.status, 200);
    assert_eq!(
        first.text(),
        "retry: 500\n\ndata: 1\nid: 1\n\ndata: 2\nid: 2\n\ndata: 3\nid: 3\n\n"
    );
    for d in ["4", "5"] {
        hub.publish("a", Bytes::from(d)).unwrap();
    }
    // The EventSource reconnects to the same URL (still `?since=0`) with
    // its Last-Event-ID: the header wins, and exactly the rest comes.
    let again = request(
        addr,
        "GET",
        "/topics/a/events?since=0",
        &[("Last-Event-ID", "3")],
        b"",
    )
    .await;
    assert_eq!(
        again.text(),
        "retry: 500\n\ndata: 4\nid: 4\n\ndata: 5\nid: 5\n\n"
    );
}

#[tokio::test]
async fn max_stream_age_ends_streams_iframes_and_websockets() {
    let age = Duration::from_millis(300);
    let config = ServeConfig::default().limits(Limits::default().max_stream_age(Some(age)));
    let (addr, hub) = server(config, HubConfig::default()).await;
    hub.publish("b", Bytes::from("1")).unwrap();
    let stream = get(addr, "/topics/b/stream?since=0").await;
    assert_eq!(stream.text(), "{\"id\":1,\"data\":\"1\"}\n");
    let iframe = get(addr, "/topics/b/iframe?since=0").await;
    assert!(iframe.text().ends_with("</script>\n"), "{}", iframe.text());
    assert_eq!(count(&iframe.body, "postMessage("), 1);
    let (mut ws, _) = rtw_tokio::ws::connect(&format!("ws://{addr}/topics/b/ws?since=0"))
        .await
        .unwrap();
    assert!(matches!(
        timeout(WAIT, ws.next()).await.unwrap(),
        Some(Ok(Message::Text(_)))
    ));
    match timeout(WAIT, ws.next()).await.unwrap() {
        Some(Ok(Message::Close(Some(frame)))) => {
            assert_eq!(frame.code, CloseCode::GOING_AWAY);
            assert_eq!(&*frame.reason, "max stream age: resume with since=1");
        }
        Some(Err(e)) => assert_eq!(e.close_code(), Some(CloseCode::GOING_AWAY), "{e}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn missed_messages_are_reported() {
    let hub_config = HubConfig::default().limits(HubLimits::default().history_messages(2));
    let (addr, hub) = server(ServeConfig::default(), hub_config).await;
    for i in 1..=5 {
        hub.publish("m", Bytes::from(format!("{i}"))).unwrap();
    }
    let poll = get(addr, "/topics/m/poll?since=0").await;
    assert_eq!(poll.header("rtw-missed"), Some("1-3"));
    assert_eq!(ids(&poll.json()), [4, 5]);
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(b"GET /topics/m/stream?since=1 HTTP/1.0\r\n\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    read_until(&mut tcp, &mut buf, |b| count(b, "\"id\":5") == 1).await;
    let (_, _, n) = head(&buf).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&buf[n..]),
        "{\"missed\":[2,3]}\n{\"id\":4,\"data\":\"4\"}\n{\"id\":5,\"data\":\"5\"}\n"
    );
}

#[tokio::test]
async fn websocket_receives_from_since_and_publishes() {
    let (addr, hub) = default_server().await;
    hub.publish("w", Bytes::from("before")).unwrap();
    let (mut ws, _) = rtw_tokio::ws::connect(&format!("ws://{addr}/topics/w/ws?since=0"))
        .await
        .unwrap();
    let next = |m: Option<Result<Message, _>>| match m {
        Some(Ok(Message::Text(t))) => serde_json::from_str::<serde_json::Value>(&t).unwrap(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        next(timeout(WAIT, ws.next()).await.unwrap()),
        serde_json::json!({"id": 1, "data": "before"})
    );
    ws.send(Message::text("from the client")).await.unwrap();
    assert_eq!(
        next(timeout(WAIT, ws.next()).await.unwrap()),
        serde_json::json!({"id": 2, "data": "from the client"})
    );
    assert_eq!(ids(&get(addr, "/topics/w/poll?since=1").await.json()), [2]);
    // Evicted (its topic removed): close 1013.
    hub.with_hub(|h| h.remove_topic("w"));
    match timeout(WAIT, ws.next()).await.unwrap() {
        Some(Ok(Message::Close(Some(frame)))) => assert_eq!(frame.code, CloseCode::TRY_AGAIN_LATER),
        Some(Err(e)) => assert_eq!(e.close_code(), Some(CloseCode::TRY_AGAIN_LATER), "{e}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn websocket_protocol_error_gets_its_close_frame() {
    // A frame with a reserved opcode (RFC 6455 §5.2): the server fails the
    // connection with 1002 and sends that close frame before closing TCP.
    let (addr, _hub) = default_server().await;
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(
        b"GET /topics/bad/ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\
          Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
          Sec-WebSocket-Version: 13\r\n\r\n",
    )
    .await
    .unwrap();
    let mut buf = Vec::new();
    read_until(&mut tcp, &mut buf, |b| {
        b.windows(4).any(|w| w == b"\r\n\r\n")
    })
    .await;
    assert!(
        buf.starts_with(b"HTTP/1.1 101"),
        "{}",
        String::from_utf8_lossy(&buf)
    );
    let (_, _, n) = head(&buf).unwrap();
    buf.drain(..n);
    // Opcode 3, masked with a zero key, payload "x".
    tcp.write_all(&[0x83, 0x81, 0, 0, 0, 0, b'x'])
        .await
        .unwrap();
    timeout(WAIT, tcp.read_to_end(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf[..4], [0x88, 0x02, 0x03, 0xEA], "close 1002: {buf:?}");
}

#[tokio::test]
async fn cors_allow_list_preflight_and_refusals() {
    let config = ServeConfig::default().allowed_origins(vec!["http://app.example".into()]);
    let (addr, _) = server(config, HubConfig::default()).await;
    async fn preflight(addr: SocketAddr, origin: &str) -> Reply {
        let headers = [
            ("Origin", origin),
            ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Headers", "content-type"),
        ];
        request(addr, "OPTIONS", "/topics/c", &headers, b"").await
    }
    async fn ws(addr: SocketAddr, origin: &str) -> bool {
        let url = format!("ws://{addr}/topics/c/ws");
        rtw_tokio::ws::connect_with(&url, ClientOptions::new().origin(origin))
            .await
            .is_ok()
    }
    let ok = preflight(addr, "http://app.example").await;
    assert_eq!(ok.status, 204);
    assert_eq!(
        ok.header("access-control-allow-origin"),
        Some("http://app.example")
    );
    assert_eq!(ok.header("access-control-allow-methods"), Some("GET, POST"));
    assert!(
        ok.header("access-control-allow-headers")
            .unwrap()
            .contains("Last-Event-ID")
    );
    let refused = preflight(addr, "http://evil.example").await;
    assert_eq!(refused.status, 403);
    assert_eq!(refused.header("access-control-allow-origin"), None);

    let listed = request(
        addr,
        "POST",
        "/topics/c",
        &[("Origin", "http://app.example")],
        b"x",
    )
    .await;
    assert_eq!(listed.status, 200);
    assert_eq!(
        listed.header("access-control-allow-origin"),
        Some("http://app.example")
    );
    assert_eq!(listed.header("vary"), Some("Origin"));
    let foreign = request(
        addr,
        "POST",
        "/topics/c",
        &[("Origin", "http://evil.example")],
        b"x",
    )
    .await;
    assert_eq!(foreign.status, 403);
    let same = format!("http://{addr}");
    let same_origin = request(addr, "POST", "/topics/c", &[("Origin", &same)], b"x").await;
    assert_eq!(same_origin.status, 200);
    assert_eq!(same_origin.header("access-control-allow-origin"), None);
    let read = request(
        addr,
        "GET",
        "/topics/c/poll",
        &[("Origin", "http://evil.example")],
        b"",
    )
    .await;
    assert_eq!(
        (read.status, read.header("access-control-allow-origin")),
        (200, None)
    );

    assert!(!ws(addr, "http://evil.example").await);
    assert!(ws(addr, "http://app.example").await);
    assert!(ws(addr, &same).await);
}

#[tokio::test]
async fn mounted_under_a_prefix() {
    let config = ServeConfig::default().prefix("/rt/");
    let (addr, hub) = server(config, HubConfig::default()).await;
    hub.publish("p", Bytes::from("x")).unwrap();
    assert_eq!(ids(&get(addr, "/rt/topics/p/poll").await.json()), [1]);
    assert_eq!(get(addr, "/topics/p/poll").await.status, 404);
    assert_eq!(get(addr, "/rtx/topics/p/poll").await.status, 404);
    let redirect = get(addr, "/rt").await;
    assert_eq!(
        (redirect.status, redirect.header("location")),
        (308, Some("/rt/"))
    );
    let page = get(addr, "/rt/").await;
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(page.text().contains("rtw.js"));
    let js = get(addr, "/rt/rtw.js").await;
    assert_eq!(
        js.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert!(js.text().contains("subscribe"));
    assert_eq!(request(addr, "POST", "/rt/", &[], b"").await.status, 405);
}

#[tokio::test]
async fn resume_by_since_loses_and_repeats_nothing() {
    let (addr, hub) = default_server().await;
    let mut seen = Vec::new();
    let mut last = 0;
    for round in 0..5 {
        for i in 0..7 {
            hub.publish("r", Bytes::from(format!("{round}.{i}")))
                .unwrap();
        }
        // A stream cut after a few messages, resumed from the last id seen.
        let mut tcp = TcpStream::connect(addr).await.unwrap();
        tcp.write_all(format!("GET /topics/r/stream?since={last} HTTP/1.0\r\n\r\n").as_bytes())
            .await
            .unwrap();
        let mut buf = Vec::new();
        read_until(&mut tcp, &mut buf, |b| {
            count(b, "\n{") >= 4 || count(b, "\"id\":") >= 4
        })
        .await;
        drop(tcp);
        let (_, _, n) = head(&buf).unwrap();
        for line in String::from_utf8_lossy(&buf[n..]).lines() {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(line) {
                last = v["id"].as_u64().unwrap();
                seen.push(last);
            }
        }
    }
    // The rest by long poll.
    while last < 35 {
        let got = get(addr, &format!("/topics/r/longpoll?since={last}&timeout=1")).await;
        for id in ids(&got.json()) {
            seen.push(id);
            last = id;
        }
    }
    assert_eq!(seen, (1..=35).collect::<Vec<_>>());
}

#[tokio::test]
async fn mjpeg_streams_multipart_jpeg_parts() {
    let (addr, _) = default_server().await;
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(b"GET /mjpeg?fps=20 HTTP/1.0\r\n\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    read_until(&mut tcp, &mut buf, |b| {
        count(b, "--rtw-mjpeg-frame\r\ncontent-type: image/jpeg\r\n") >= 2
    })
    .await;
    let (status, headers, _) = head(&buf).unwrap();
    assert_eq!(status, 200);
    let content_type = &headers.iter().find(|(k, _)| k == "content-type").unwrap().1;
    assert!(
        content_type.starts_with("multipart/x-mixed-replace; boundary="),
        "{content_type}"
    );
    // Each part's body is a JPEG: it starts with SOI (FF D8).
    assert!(
        buf.windows(6)
            .any(|w| w[..4] == *b"\r\n\r\n" && w[4..] == [0xFF, 0xD8])
    );
}

#[tokio::test]
async fn stomp_over_websocket_is_bridged_to_the_hub() {
    let config = ServeConfig::default().allowed_origins(vec!["http://app.example".into()]);
    let (addr, hub) = server(config, HubConfig::default()).await;
    let url = format!("ws://{addr}/stomp");
    let options = || ClientOptions::new().protocols(["v12.stomp"]);
    assert!(
        rtw_tokio::ws::connect_with(&url, options().origin("http://evil.example"))
            .await
            .is_err()
    );
    let (mut ws, negotiated) = rtw_tokio::ws::connect_with(&url, options()).await.unwrap();
    assert_eq!(negotiated.protocol.as_deref(), Some("v12.stomp"));
    let frame = |ws_next: Option<Result<Message, _>>| match ws_next {
        Some(Ok(Message::Text(t))) => t.to_string(),
        other => panic!("{other:?}"),
    };
    ws.send(Message::text("CONNECT\naccept-version:1.2\nhost:x\n\n\0"))
        .await
        .unwrap();
    assert!(frame(timeout(WAIT, ws.next()).await.unwrap()).starts_with("CONNECTED\n"));
    ws.send(Message::text(
        "SUBSCRIBE\nid:0\ndestination:/topic/st\nreceipt:r1\n\n\0",
    ))
    .await
    .unwrap();
    assert!(frame(timeout(WAIT, ws.next()).await.unwrap()).starts_with("RECEIPT\n"));
    hub.publish("st", Bytes::from("via the hub")).unwrap();
    let message = frame(timeout(WAIT, ws.next()).await.unwrap());
    assert!(message.starts_with("MESSAGE\n"), "{message}");
    assert!(message.ends_with("\n\nvia the hub\0"), "{message}");
}

#[tokio::test]
async fn a_closed_client_frees_its_subscription_and_stream_slot() {
    let hub = SharedHub::new(HubConfig::default());
    let service = ServeService::new(ServeConfig::default(), hub.clone());
    let addr = serve(service.clone()).await;
    for target in [
        "/topics/q/stream",
        "/topics/q/iframe",
        "/topics/q/events",
        "/topics/q/longpoll",
    ] {
        let mut tcp = TcpStream::connect(addr).await.unwrap();
        tcp.write_all(format!("GET {target} HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes())
            .await
            .unwrap();
        wait_for(|| hub.stats().subscribers == 1).await;
        drop(tcp);
        // Nothing is published: hyper notices the close on its own.
        wait_for(|| hub.stats().subscribers == 0).await;
        wait_for(|| service.open_streams() == 0 && service.held_longpolls() == 0).await;
    }
    let (ws, _) = rtw_tokio::ws::connect(&format!("ws://{addr}/topics/q/ws"))
        .await
        .unwrap();
    wait_for(|| hub.stats().subscribers == 1 && service.open_streams() == 1).await;
    drop(ws);
    wait_for(|| hub.stats().subscribers == 0 && service.open_streams() == 0).await;
}

/// Waits (yielding to the server's tasks) until `done()`, within [`WAIT`].
async fn wait_for(done: impl Fn() -> bool) {
    timeout(WAIT, async {
        while !done() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("in time");
}

#[tokio::test]
async fn refused_transports_get_403_and_the_others_serve() {
    use rtw_tokio::serve::Transport;

    assert_eq!("sse".parse::<Transport>(), Ok(Transport::Sse));
    assert!("websocket".parse::<Transport>().is_err());
    let (addr, _hub) = server(
        ServeConfig::default().refused([Transport::Ws, Transport::Sse, Transport::Stomp]),
        HubConfig::default(),
    )
    .await;
    assert_eq!(post(addr, "r", "one").await.json()["id"], 1);
    for (target, name) in [
        ("/topics/r/ws?since=0", "ws"),
        ("/topics/r/events", "sse"),
        ("/stomp", "stomp"),
    ] {
        let reply = get(addr, target).await;
        assert_eq!(reply.status, 403, "{target}");
        assert!(
            reply.text().contains(&format!("--refuse {name}")),
            "{}",
            reply.text()
        );
    }
    // A WebSocket client's handshake fails: no upgrade.
    assert!(
        rtw_tokio::ws::connect(&format!("ws://{addr}/topics/r/ws?since=0"))
            .await
            .is_err()
    );
    // The others still serve.
    assert_eq!(ids(&get(addr, "/topics/r/poll?since=0").await.json()), [1]);
    assert_eq!(
        ids(&get(addr, "/topics/r/longpoll?since=0").await.json()),
        [1]
    );
    assert_eq!(get(addr, "/rtw.js").await.status, 200);
}
