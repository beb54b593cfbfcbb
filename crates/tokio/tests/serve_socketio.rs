//! Socket.IO at `/socket.io/` of `rtw_tokio::serve::ServeService` on a
//! real hyper server on 127.0.0.1, with rtw's own client
//! (`rtw_tokio::socketio::Client`: `rtw_engineio::Client` under
//! `rtw_socketio::Client` driven over real sockets, hyper's HTTP/1.1
//! client for long polling, `rtw_tokio::ws` for WebSocket).
#![cfg(all(feature = "serve", feature = "socketio"))]

mod serve_support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::StreamExt;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use rtw_hub::Config as HubConfig;
use rtw_tokio::serve::{ServeConfig, SharedHub};
use rtw_tokio::socketio::{Args, Client, ClientEvent, ClientOptions, Error, Transport};
use rtw_tokio::ws::Message;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(10);

async fn server(config: ServeConfig) -> (SocketAddr, SharedHub) {
    serve_support::server(config, HubConfig::default()).await
}

/// A GET of `target` without a body: status and body.
async fn get(addr: SocketAddr, target: &str) -> (u16, Bytes) {
    http(addr, "GET", target, Bytes::new()).await
}

/// One HTTP/1.1 request on a new connection: status and body.
async fn http(addr: SocketAddr, method: &str, target: &str, body: Bytes) -> (u16, Bytes) {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
        .await
        .unwrap();
    tokio::spawn(conn);
    let request = http::Request::builder()
        .method(method)
        .uri(target)
        .header("host", addr.to_string())
        .header("content-type", "text/plain; charset=UTF-8")
        .body(Full::new(body))
        .unwrap();
    let response = send.send_request(request).await.unwrap();
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, body)
}

/// rtw's client on `transport`, connected to namespace `/`.
async fn connected(addr: SocketAddr, transport: Transport) -> Client {
    let options = ClientOptions::default().transport(transport);
    Client::connect(&format!("http://{addr}"), options)
        .await
        .expect("connected")
}

/// The next Socket.IO event, within [`WAIT`].
async fn event(client: &Client) -> ClientEvent {
    timeout(WAIT, client.next_event())
        .await
        .expect("an event in time")
        .expect("the session runs")
}

/// Emits with an ack and waits for it: its args.
async fn call(client: &Client, name: &str, args: Args) -> Args {
    client.call(name, args, WAIT).await.expect("acknowledged")
}

/// Emits `echo` with `args` and checks the `echo` back.
async fn echo(client: &Client, args: Args) {
    client.emit("echo", args.clone()).unwrap();
    match event(client).await {
        ClientEvent::Event {
            name, args: back, ..
        } => {
            assert_eq!(name, "echo");
            assert_eq!(back, args);
        }
        other => panic!("expected echo, got {other:?}"),
    }
}

fn text_and_binary() -> Args {
    Args::new()
        .arg(json!("hi"))
        .arg(json!({"n": 1}))
        .binary(Bytes::from_static(b"\x00\x01\xff"))
}

#[tokio::test]
async fn handshake_and_bad_requests() {
    let (addr, _) = server(ServeConfig::default()).await;
    let (status, body) = get(addr, "/socket.io/?EIO=4&transport=polling").await;
    assert_eq!(status, 200);
    let text = std::str::from_utf8(&body).unwrap();
    assert!(text.starts_with(r#"0{"sid":""#), "{text}");
    let open: Value = serde_json::from_str(&text[1..]).unwrap();
    assert_eq!(open["upgrades"], json!(["websocket"]));
    assert_eq!(open["pingInterval"], json!(25000));
    assert_eq!(open["pingTimeout"], json!(20000));

    let (status, body) = get(addr, "/socket.io/?EIO=3&transport=polling").await;
    assert_eq!(status, 400);
    assert_eq!(
        &body[..],
        br#"{"code":5,"message":"Unsupported protocol version"}"#
    );
    let (status, body) = get(
        addr,
        "/socket.io/?EIO=4&transport=polling&sid=AAAAAAAAAAAAAAAAAAAA",
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(&body[..], br#"{"code":1,"message":"Session ID unknown"}"#);
}

#[tokio::test]
async fn polling_only_echo_and_ack() {
    let (addr, _) = server(ServeConfig::default()).await;
    let client = connected(addr, Transport::Polling).await;
    echo(&client, Args::from(vec![json!("hello"), json!(2)])).await;
    echo(&client, text_and_binary()).await;
    let args = call(&client, "echo-ack", text_and_binary()).await;
    assert_eq!(args, text_and_binary());
    assert!(!client.is_websocket());
    client.close().await;
    assert_eq!(client.ended().as_deref(), Some("client close"));
    // The close packet reached the server: the session is gone.
    let poll = format!(
        "/socket.io/?EIO=4&transport=polling&sid={}",
        client.engine_sid()
    );
    let (status, body) = get(addr, &poll).await;
    assert_eq!(status, 400, "{body:?}");
    assert_eq!(&body[..], br#"{"code":1,"message":"Session ID unknown"}"#);
}

#[tokio::test]
async fn websocket_only_echo_and_ack() {
    let (addr, _) = server(ServeConfig::default()).await;
    let client = connected(addr, Transport::WebSocket).await;
    assert!(client.is_websocket());
    echo(&client, text_and_binary()).await;
    let args = call(&client, "echo-ack", Args::from(vec![json!([1, 2, 3])])).await;
    assert_eq!(args.values, vec![json!([1, 2, 3])]);
    client.close().await;
}

#[tokio::test]
async fn polling_upgraded_to_websocket() {
    let (addr, _) = server(ServeConfig::default()).await;
    let client = connected(addr, Transport::Upgrade).await;
    echo(&client, Args::from(vec![json!("before")])).await;
    timeout(WAIT, async {
        while !client.is_websocket() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("upgraded in time");
    echo(&client, text_and_binary()).await;
    let args = call(&client, "echo-ack", Args::from(vec![json!("after")])).await;
    assert_eq!(args.values, vec![json!("after")]);
}

#[tokio::test]
async fn auth_is_seen_and_acks_go_both_ways() {
    let (addr, _) = server(ServeConfig::default()).await;
    let auth = json!({"token": "abc", "n": 7});
    let options = ClientOptions::default()
        .transport(Transport::Polling)
        .auth(auth.clone());
    let client = Client::connect(&format!("http://{addr}"), options)
        .await
        .unwrap();
    assert_eq!(call(&client, "auth", Args::new()).await.values, vec![auth]);

    // `ask`: the server emits `question` asking for our ack, then acks the
    // `ask` with our answer.
    let ask = call(
        &client,
        "ask",
        Args::from(vec![json!("question"), json!(1)]),
    );
    let answer = async {
        match event(&client).await {
            ClientEvent::Event {
                name,
                args,
                ack_id: Some(id),
            } => {
                assert_eq!(name, "question");
                assert_eq!(args.values, vec![json!(1)]);
                client.ack(id, text_and_binary()).unwrap();
            }
            other => panic!("expected the question with an ack id, got {other:?}"),
        }
    };
    let (args, ()) = tokio::join!(ask, answer);
    assert_eq!(args, text_and_binary());
}

#[tokio::test]
async fn another_namespace_is_refused() {
    let (addr, _) = server(ServeConfig::default()).await;
    for transport in [Transport::Polling, Transport::WebSocket] {
        let options = ClientOptions::default()
            .transport(transport)
            .namespace("/forbidden");
        match Client::connect(&format!("http://{addr}"), options).await {
            Err(Error::Refused { message, .. }) => assert_eq!(message.as_deref(), Some("refused")),
            other => panic!("expected Refused, got {other:?}"),
        }
    }
    // `/` is still accepted.
    connected(addr, Transport::Polling).await;
}

#[tokio::test]
async fn subscribe_gets_what_is_posted() {
    let (addr, _) = server(ServeConfig::default()).await;
    let client = connected(addr, Transport::Upgrade).await;
    let args = call(&client, "subscribe", Args::from(vec![json!("x")])).await;
    assert_eq!(args.values, vec![json!({"topic": "x"})]);
    let (status, body) = http(addr, "POST", "/topics/x", Bytes::from_static(b"from curl")).await;
    assert_eq!(status, 200, "{body:?}");
    match event(&client).await {
        ClientEvent::Event { name, args, .. } => {
            assert_eq!(name, "message");
            assert_eq!(args.values, vec![json!({"id": 1, "data": "from curl"})]);
        }
        other => panic!("expected message, got {other:?}"),
    }
}

#[tokio::test]
async fn publish_is_seen_by_polling() {
    let (addr, _) = server(ServeConfig::default()).await;
    let client = connected(addr, Transport::Polling).await;
    let args = call(
        &client,
        "publish",
        Args::from(vec![json!("x"), json!("from socket.io")]),
    )
    .await;
    assert_eq!(args.values, vec![json!({"id": 1})]);
    let (status, body) = get(addr, "/topics/x/poll?since=0").await;
    assert_eq!(status, 200);
    assert_eq!(&body[..], br#"[{"id":1,"data":"from socket.io"}]"#);
}

#[tokio::test]
async fn to_room_reaches_the_others_in_it() {
    let (addr, _) = server(ServeConfig::default()).await;
    let a = connected(addr, Transport::Polling).await;
    let b = connected(addr, Transport::WebSocket).await;
    call(&a, "join", Args::from(vec![json!("r")])).await;
    call(&b, "join", Args::from(vec![json!("r")])).await;
    let args = call(
        &a,
        "to-room",
        Args::from(vec![json!("r"), json!("hey")]).binary(Bytes::from_static(b"\x01")),
    )
    .await;
    assert_eq!(args.values, vec![json!(1)], "only b, not the sender");
    match event(&b).await {
        ClientEvent::Event { name, args, .. } => {
            assert_eq!(name, "to-room");
            assert_eq!(args.values[0], json!("hey"));
            assert_eq!(
                args.attachment(&args.values[1]).map(|b| &b[..]),
                Some(&b"\x01"[..])
            );
        }
        other => panic!("expected to-room, got {other:?}"),
    }
}

/// A client that stops answering pings (here: stops polling) is closed
/// after ping_interval + ping_timeout: its sid is unknown afterwards.
#[tokio::test]
async fn a_silent_client_is_closed_after_the_ping_timeout() {
    let config = ServeConfig::default()
        .ping_interval(Duration::from_millis(200))
        .ping_timeout(Duration::from_millis(200));
    let (addr, _) = server(config).await;
    let (status, body) = get(addr, "/socket.io/?EIO=4&transport=polling").await;
    assert_eq!(status, 200);
    let open: Value = serde_json::from_slice(&body[1..]).unwrap();
    assert_eq!(open["pingInterval"], json!(200));
    assert_eq!(open["pingTimeout"], json!(200));
    let sid = open["sid"].as_str().unwrap().to_owned();
    let poll = format!("/socket.io/?EIO=4&transport=polling&sid={sid}");

    // Answered: the ping comes after the interval, the pong keeps it open.
    let started = Instant::now();
    let (status, body) = get(addr, &poll).await;
    assert_eq!((status, &body[..]), (200, &b"2"[..]));
    assert!(started.elapsed() >= Duration::from_millis(150));
    let (status, _) = http(addr, "POST", &poll, Bytes::from_static(b"3")).await;
    assert_eq!(status, 200);

    // Silent: closed within interval + timeout (and some slack).
    tokio::time::sleep(Duration::from_millis(700)).await;
    let (status, body) = get(addr, &poll).await;
    assert_eq!(status, 400, "{body:?}");
    assert_eq!(&body[..], br#"{"code":1,"message":"Session ID unknown"}"#);
}

/// The same over WebSocket: the server closes the connection.
#[tokio::test]
async fn a_silent_websocket_client_is_closed() {
    let config = ServeConfig::default()
        .ping_interval(Duration::from_millis(200))
        .ping_timeout(Duration::from_millis(200));
    let (addr, _) = server(config).await;
    let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");
    let (mut ws, _) = rtw_tokio::ws::connect(&url).await.unwrap();
    let started = Instant::now();
    let mut texts = Vec::new();
    timeout(WAIT, async {
        while let Some(Ok(m)) = ws.next().await {
            if let Message::Text(t) = m {
                texts.push(t.as_str().to_owned());
            }
        }
    })
    .await
    .expect("closed in time");
    assert!(texts[0].starts_with(r#"0{"sid":""#), "{texts:?}");
    assert_eq!(texts[1], "2", "{texts:?}");
    assert!(started.elapsed() >= Duration::from_millis(350));
}

/// The official client: `socket.io-client` (npm, 4.x) under node against
/// the server, polling only, WebSocket only and polling upgraded: connect,
/// echo with a binary attachment, echo-ack, a refused namespace. The
/// client is installed here (`npm install` into a temp dir, within 180 s);
/// without node, npm or the package the test fails, naming what is
/// missing.
#[tokio::test(flavor = "multi_thread")]
async fn node_socket_io_client() {
    use tokio::process::Command;

    let dir = std::env::temp_dir().join(format!("rtw-serve-socketio-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("client.js"), NODE_CLIENT).unwrap();
    let install = Command::new("npm")
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--silent",
            "socket.io-client@4",
        ])
        .current_dir(&dir)
        .kill_on_drop(true)
        .output();
    match timeout(Duration::from_secs(180), install).await {
        Ok(Ok(out)) if out.status.success() => {}
        other => {
            let _ = std::fs::remove_dir_all(&dir);
            panic!(
                "npm install socket.io-client@4 failed (node 20 and npm are needed, \
                 and the npm registry): {other:?}"
            );
        }
    }
    let (addr, _) = server(ServeConfig::default()).await;
    let run = Command::new("node")
        .arg("client.js")
        .arg(format!("http://{addr}"))
        .current_dir(&dir)
        .kill_on_drop(true)
        .output();
    let out = timeout(Duration::from_secs(30), run)
        .await
        .expect("node in time")
        .expect("node runs");
    let _ = std::fs::remove_dir_all(&dir);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for line in [
        "ok polling (polling)",
        "ok websocket (websocket)",
        "ok upgrade (websocket)",
        "ok refused namespace",
    ] {
        assert!(
            stdout.lines().any(|l| l == line),
            "{line:?} missing: {stdout}"
        );
    }
}

/// The node script of [`node_socket_io_client`].
const NODE_CLIENT: &str = r#"// socket.io-client (npm) against rtw serve's /socket.io/: for each of
// polling only, WebSocket only and polling upgraded to WebSocket: connect,
// echo with a binary attachment, echo-ack, and a refused namespace.
// Usage: node client.js URL (socket.io-client installed beside it).
// Prints one "ok ..." line per check, exits 1 on the first failure.
const { io } = require("socket.io-client");

const url = process.argv[2];
const fail = (what) => {
  console.log(`FAIL ${what}`);
  process.exit(1);
};
const timeout = setTimeout(() => fail("timed out"), 20000);

function once(socket, event) {
  return new Promise((resolve) => socket.once(event, (...args) => resolve(args)));
}

async function scenario(name, options) {
  const socket = io(url, { forceNew: true, reconnection: false, ...options });
  await once(socket, "connect");
  const bytes = Buffer.from([0, 1, 255]);
  socket.emit("echo", "hi", { n: 1 }, bytes);
  const [text, obj, bin] = await once(socket, "echo");
  if (text !== "hi" || obj.n !== 1 || !Buffer.from(bin).equals(bytes)) fail(`${name} echo`);
  const acked = await socket.timeout(5000).emitWithAck("echo-ack", "ack me", 7);
  if (acked !== "ack me") fail(`${name} echo-ack`);
  if (options.upgrade !== false && options.transports === undefined) {
    if (socket.io.engine.transport.name !== "websocket") {
      await new Promise((r) => socket.io.engine.once("upgrade", r));
    }
    socket.emit("echo", "after upgrade");
    const [after] = await once(socket, "echo");
    if (after !== "after upgrade") fail(`${name} echo after upgrade`);
  }
  console.log(`ok ${name} (${socket.io.engine.transport.name})`);
  socket.disconnect();
}

(async () => {
  await scenario("polling", { transports: ["polling"] });
  await scenario("websocket", { transports: ["websocket"] });
  await scenario("upgrade", {});
  const refused = io(`${url}/forbidden`, { forceNew: true, reconnection: false });
  const [err] = await once(refused, "connect_error");
  if (err.message !== "refused") fail(`refused namespace: ${err.message}`);
  console.log("ok refused namespace");
  refused.disconnect();
  clearTimeout(timeout);
  process.exit(0);
})().catch((e) => fail(e));
"#;

/// rtw's client answers the server's pings on each transport: with a
/// 100 ms interval and timeout, a session outlives ten intervals and
/// still echoes.
#[tokio::test]
async fn the_client_answers_pings() {
    let config = ServeConfig::default()
        .ping_interval(Duration::from_millis(100))
        .ping_timeout(Duration::from_millis(100));
    let (addr, _) = server(config).await;
    for transport in [Transport::Polling, Transport::WebSocket, Transport::Upgrade] {
        let client = connected(addr, transport).await;
        tokio::time::sleep(Duration::from_millis(1000)).await;
        assert_eq!(client.ended(), None, "{transport:?}");
        echo(&client, Args::from(vec![json!("still here")])).await;
        client.close().await;
    }
}
