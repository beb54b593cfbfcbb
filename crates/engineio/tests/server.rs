//! The server against the protocol document's exchanges, in memory with
//! explicit instants: handshake, polling, the 400s, upgrade, heartbeat.

use std::time::{Duration, Instant};

use bytes::Bytes;
use rtw_core::SeededRandom;
use rtw_engineio::{
    CloseReason, Config, Data, Error, Handshake, Message, Method, Query, Response, Server,
    ServerEvent, Sid, WsId, WsTransmit,
};

fn server() -> Server {
    Server::new(Config::default(), Box::new(SeededRandom::new(7)))
}

fn q(s: &str) -> Query {
    Query::parse(s)
}

fn body(r: &Response) -> String {
    String::from_utf8(r.body().to_vec()).unwrap()
}

fn handshake(server: &mut Server, now: Instant) -> Sid {
    let r = server.handle_request(
        now,
        Method::Get,
        &q("EIO=4&transport=polling&t=N8hyd6w"),
        Bytes::new(),
    );
    assert_eq!(r.status(), Some(200));
    assert_eq!(r.content_type(), "text/plain; charset=UTF-8");
    let text = body(&r);
    let open: Handshake = serde_json::from_str(text.strip_prefix('0').unwrap()).unwrap();
    assert_eq!(open.upgrades, ["websocket"]);
    assert_eq!(
        (open.ping_interval, open.ping_timeout, open.max_payload),
        (25_000, 20_000, 1_000_000)
    );
    let sid = Sid::parse(&open.sid).unwrap();
    assert_eq!(server.poll_event(), Some(ServerEvent::Opened(sid)));
    sid
}

fn poll_q(sid: Sid) -> Query {
    q(&format!("EIO=4&transport=polling&sid={sid}"))
}

fn get(server: &mut Server, now: Instant, sid: Sid) -> Response {
    server.handle_request(now, Method::Get, &poll_q(sid), Bytes::new())
}

fn post(server: &mut Server, now: Instant, sid: Sid, body: &'static [u8]) -> Response {
    server.handle_request(now, Method::Post, &poll_q(sid), Bytes::from_static(body))
}

fn ws_sent(server: &mut Server) -> Vec<WsTransmit> {
    std::iter::from_fn(|| server.poll_ws_transmit()).collect()
}

fn text(conn: WsId, s: &str) -> WsTransmit {
    WsTransmit::Send {
        conn,
        message: Message::Text(s.into()),
    }
}

#[test]
fn open_packet_and_polling_exchange() {
    let now = Instant::now();
    let mut s = server();
    let sid = handshake(&mut s, now);
    assert_eq!(sid.as_str().len(), 20);

    // socket.send('hey') on the server, then the client's GET.
    s.send(sid, rtw_engineio::Packet::message("hey")).unwrap();
    let r = get(&mut s, now, sid);
    assert_eq!(body(&r), "4hey");

    // Two messages from the client in one POST, answered `ok`.
    let r = post(&mut s, now, sid, b"4hello\x1e4world");
    assert_eq!(
        (r.status(), body(&r).as_str(), r.content_type()),
        (Some(200), "ok", "text/html")
    );
    assert_eq!(
        s.poll_event(),
        Some(ServerEvent::Message(sid, Data::Text("hello".into())))
    );
    assert_eq!(
        s.poll_event(),
        Some(ServerEvent::Message(sid, Data::Text("world".into())))
    );

    // Binary both ways: b + base64.
    post(&mut s, now, sid, b"bAQIDBA==");
    assert_eq!(
        s.poll_event(),
        Some(ServerEvent::Message(
            sid,
            Data::Binary(Bytes::from_static(&[1, 2, 3, 4]))
        ))
    );
    s.send(sid, rtw_engineio::Packet::message("hello")).unwrap();
    s.send(sid, rtw_engineio::Packet::binary(vec![1, 2, 3, 4]))
        .unwrap();
    assert_eq!(body(&get(&mut s, now, sid)), "4hello\x1ebAQIDBA==");
}

#[test]
fn a_held_get_is_released_when_data_comes() {
    let now = Instant::now();
    let mut s = server();
    let sid = handshake(&mut s, now);
    assert_eq!(get(&mut s, now, sid), Response::Wait(sid));
    assert_eq!(s.take_poll(now, sid), None);
    s.send(sid, rtw_engineio::Packet::message("a")).unwrap();
    s.send(sid, rtw_engineio::Packet::message("b")).unwrap();
    assert_eq!(s.poll_event(), Some(ServerEvent::PollReady(sid)));
    assert_eq!(s.poll_event(), None);
    assert_eq!(body(&s.take_poll(now, sid).unwrap()), "4a\x1e4b");
}

#[test]
fn a_second_get_is_400_and_closes_the_session() {
    let now = Instant::now();
    let mut s = server();
    let sid = handshake(&mut s, now);
    assert_eq!(get(&mut s, now, sid), Response::Wait(sid));
    let r = get(&mut s, now, sid);
    assert_eq!(r.status(), Some(400));
    assert_eq!(body(&r), r#"{"code":3,"message":"Bad request"}"#);
    assert!(matches!(s.poll_event(), Some(ServerEvent::PollReady(x)) if x == sid));
    assert!(
        matches!(s.poll_event(), Some(ServerEvent::Closed(x, CloseReason::TransportError(_))) if x == sid)
    );
    // The first GET gets the close packet, then the sid is unknown.
    assert_eq!(body(&s.take_poll(now, sid).unwrap()), "1");
    assert_eq!(
        body(&get(&mut s, now, sid)),
        r#"{"code":1,"message":"Session ID unknown"}"#
    );
}

#[test]
fn the_400s_of_the_protocol() {
    let now = Instant::now();
    let mut s = server();
    let cases: [(&str, Method, u16, &str); 6] = [
        (
            "EIO=4&transport=polling&sid=aaaaaaaaaaaaaaaaaaaa",
            Method::Get,
            400,
            r#"{"code":1,"message":"Session ID unknown"}"#,
        ),
        (
            "EIO=4&transport=carrier-pigeon",
            Method::Get,
            400,
            r#"{"code":0,"message":"Transport unknown"}"#,
        ),
        (
            "EIO=4",
            Method::Get,
            400,
            r#"{"code":0,"message":"Transport unknown"}"#,
        ),
        (
            "EIO=3&transport=polling",
            Method::Get,
            400,
            r#"{"code":5,"message":"Unsupported protocol version"}"#,
        ),
        (
            "transport=polling",
            Method::Get,
            400,
            r#"{"code":5,"message":"Unsupported protocol version"}"#,
        ),
        (
            "EIO=4&transport=polling",
            Method::Post,
            400,
            r#"{"code":2,"message":"Bad handshake method"}"#,
        ),
    ];
    for (query, method, status, expected) in cases {
        let r = s.handle_request(now, method, &q(query), Bytes::new());
        assert_eq!(r.status(), Some(status), "{query}");
        assert_eq!(r.content_type(), "application/json");
        assert_eq!(body(&r), expected, "{query}");
    }
    assert_eq!(s.stats().sessions, 0);
}

#[test]
fn a_post_past_max_payload_is_413_and_closes() {
    let now = Instant::now();
    let mut s = server();
    let sid = handshake(&mut s, now);
    let mut big = b"4".to_vec();
    big.resize(1_000_001, b'x');
    let r = s.handle_request(now, Method::Post, &poll_q(sid), Bytes::from(big));
    assert_eq!(r, Response::Error(Error::PayloadTooLarge));
    assert_eq!(r.status(), Some(413));
    assert_eq!(
        s.poll_event(),
        Some(ServerEvent::Closed(
            sid,
            CloseReason::TransportError(Error::PayloadTooLarge)
        ))
    );
    // A bad packet closes too.
    let sid = handshake(&mut s, now);
    assert_eq!(post(&mut s, now, sid, b"9").status(), Some(400));
    assert!(matches!(
        s.poll_event(),
        Some(ServerEvent::Closed(_, CloseReason::TransportError(_)))
    ));
}

#[test]
fn heartbeat_with_explicit_instants() {
    let t0 = Instant::now();
    let mut s = server();
    let sid = handshake(&mut s, t0);
    let ping_at = t0 + Duration::from_secs(25);
    assert_eq!(s.poll_timeout(), Some(ping_at));
    assert_eq!(get(&mut s, t0, sid), Response::Wait(sid));
    s.handle_timeout(ping_at - Duration::from_millis(1));
    assert_eq!(s.poll_event(), None);
    s.handle_timeout(ping_at);
    assert_eq!(s.poll_event(), Some(ServerEvent::PollReady(sid)));
    assert_eq!(body(&s.take_poll(ping_at, sid).unwrap()), "2");
    assert_eq!(s.poll_timeout(), Some(ping_at + Duration::from_secs(20)));

    // The pong 3 s later: the next ping 25 s after the pong.
    let pong_at = ping_at + Duration::from_secs(3);
    post(&mut s, pong_at, sid, b"3");
    assert_eq!(s.poll_timeout(), Some(pong_at + Duration::from_secs(25)));

    // No pong to the second ping: closed 20 s after it.
    let ping2 = pong_at + Duration::from_secs(25);
    s.handle_timeout(ping2);
    assert_eq!(body(&get(&mut s, ping2, sid)), "2");
    s.handle_timeout(ping2 + Duration::from_millis(19_999));
    assert_eq!(s.poll_event(), None);
    s.handle_timeout(ping2 + Duration::from_secs(20));
    assert_eq!(
        s.poll_event(),
        Some(ServerEvent::Closed(sid, CloseReason::PingTimeout))
    );
    // The close packet waits for a GET for ping_timeout, then the session is gone.
    let end = ping2 + Duration::from_secs(40);
    assert_eq!(s.poll_timeout(), Some(end));
    s.handle_timeout(end);
    assert_eq!(s.stats().sessions, 0);
    assert_eq!(s.poll_timeout(), None);
}

#[test]
fn upgrade_from_polling_to_websocket() {
    let now = Instant::now();
    let mut s = server();
    let sid = handshake(&mut s, now);
    assert_eq!(get(&mut s, now, sid), Response::Wait(sid));
    let ws_q = q(&format!("EIO=4&transport=websocket&sid={sid}"));
    let conn = s.handle_ws_open(now, &ws_q).unwrap();
    // A second probe at once is refused.
    assert_eq!(
        s.handle_ws_open(now, &ws_q),
        Err(Error::BadRequest("the session is upgrading or upgraded"))
    );

    s.handle_ws_message(now, conn, Message::Text("2probe".into()));
    assert_eq!(ws_sent(&mut s), [text(conn, "3probe")]);
    // The held GET is released with a noop.
    assert_eq!(s.poll_event(), Some(ServerEvent::PollReady(sid)));
    assert_eq!(body(&s.take_poll(now, sid).unwrap()), "6");
    // Messages sent meanwhile still go over polling...
    s.send(sid, rtw_engineio::Packet::message("before"))
        .unwrap();
    s.handle_ws_message(now, conn, Message::Text("5".into()));
    assert_eq!(s.poll_event(), Some(ServerEvent::Upgraded(sid)));
    // ...and what no GET fetched moves to the WebSocket.
    assert_eq!(ws_sent(&mut s), [text(conn, "4before")]);
    // Polling is no longer accepted.
    let r = get(&mut s, now, sid);
    assert_eq!(body(&r), r#"{"code":3,"message":"Bad request"}"#);

    s.send(sid, rtw_engineio::Packet::binary(vec![9])).unwrap();
    assert_eq!(
        ws_sent(&mut s),
        [WsTransmit::Send {
            conn,
            message: Message::Binary(Bytes::from_static(&[9]))
        }]
    );
    s.handle_ws_message(now, conn, Message::Text("4hi".into()));
    s.handle_ws_message(now, conn, Message::Binary(Bytes::from_static(&[1, 2])));
    assert_eq!(
        s.poll_event(),
        Some(ServerEvent::Message(sid, Data::Text("hi".into())))
    );
    assert_eq!(
        s.poll_event(),
        Some(ServerEvent::Message(
            sid,
            Data::Binary(Bytes::from_static(&[1, 2]))
        ))
    );
    assert_eq!(s.stats().websocket, 1);
    s.handle_ws_close(now, conn);
    assert_eq!(
        s.poll_event(),
        Some(ServerEvent::Closed(sid, CloseReason::TransportClose))
    );
    assert_eq!(s.stats().sessions, 0);
}

/// The held GET's noop can reach the client before `3probe` does (two
/// connections): the client, not yet paused, polls again. That GET must
/// not be held until the next ping, or the upgrade stalls.
#[test]
fn a_get_after_the_probe_gets_a_noop_at_once() {
    let now = Instant::now();
    let mut s = server();
    let sid = handshake(&mut s, now);
    assert_eq!(get(&mut s, now, sid), Response::Wait(sid));
    let ws_q = q(&format!("EIO=4&transport=websocket&sid={sid}"));
    let conn = s.handle_ws_open(now, &ws_q).unwrap();
    s.handle_ws_message(now, conn, Message::Text("2probe".into()));
    assert_eq!(ws_sent(&mut s), [text(conn, "3probe")]);
    assert_eq!(s.poll_event(), Some(ServerEvent::PollReady(sid)));
    assert_eq!(body(&s.take_poll(now, sid).unwrap()), "6");
    // The client polls again before it sees 3probe: a noop at once, again.
    assert_eq!(body(&get(&mut s, now, sid)), "6");
    assert_eq!(body(&get(&mut s, now, sid)), "6");
    // Something queued meanwhile is still delivered by the next GET.
    s.send(sid, rtw_engineio::Packet::message("m")).unwrap();
    assert_eq!(body(&get(&mut s, now, sid)), "4m");
    s.handle_ws_message(now, conn, Message::Text("5".into()));
    assert_eq!(s.poll_event(), Some(ServerEvent::Upgraded(sid)));
}

#[test]
fn a_failed_probe_leaves_the_session_on_polling() {
    let now = Instant::now();
    let mut s = server();
    let sid = handshake(&mut s, now);
    let ws_q = q(&format!("EIO=4&transport=websocket&sid={sid}"));
    let conn = s.handle_ws_open(now, &ws_q).unwrap();
    s.handle_ws_message(now, conn, Message::Text("5".into()));
    assert_eq!(ws_sent(&mut s), [WsTransmit::Close { conn }]);
    s.send(sid, rtw_engineio::Packet::message("still")).unwrap();
    assert_eq!(body(&get(&mut s, now, sid)), "4still");
}

#[test]
fn websocket_only_session_with_heartbeat_and_close() {
    let t0 = Instant::now();
    let mut s = server();
    let conn = s
        .handle_ws_open(t0, &q("EIO=4&transport=websocket"))
        .unwrap();
    let sent = ws_sent(&mut s);
    let WsTransmit::Send {
        message: Message::Text(open),
        ..
    } = &sent[0]
    else {
        panic!()
    };
    let open: Handshake = serde_json::from_str(open.strip_prefix('0').unwrap()).unwrap();
    assert!(open.upgrades.is_empty(), "already on WebSocket: {open:?}");
    let sid = Sid::parse(&open.sid).unwrap();
    assert_eq!(s.poll_event(), Some(ServerEvent::Opened(sid)));
    let ping_at = t0 + Duration::from_secs(25);
    s.handle_timeout(ping_at);
    assert_eq!(ws_sent(&mut s), [text(conn, "2")]);
    s.handle_ws_message(ping_at, conn, Message::Text("3".into()));
    assert_eq!(s.poll_timeout(), Some(ping_at + Duration::from_secs(25)));
    s.close(ping_at, sid);
    assert_eq!(
        ws_sent(&mut s),
        [text(conn, "1"), WsTransmit::Close { conn }]
    );
    assert_eq!(
        s.poll_event(),
        Some(ServerEvent::Closed(sid, CloseReason::ServerClose))
    );
    assert_eq!(
        s.send(sid, rtw_engineio::Packet::message("x")),
        Err(Error::Closed)
    );
}

#[test]
fn the_client_closes_over_polling() {
    let now = Instant::now();
    let mut s = server();
    let sid = handshake(&mut s, now);
    assert_eq!(get(&mut s, now, sid), Response::Wait(sid));
    post(&mut s, now, sid, b"1");
    assert_eq!(s.poll_event(), Some(ServerEvent::PollReady(sid)));
    assert_eq!(
        s.poll_event(),
        Some(ServerEvent::Closed(sid, CloseReason::ClientClose))
    );
    assert_eq!(body(&s.take_poll(now, sid).unwrap()), "1");
    assert_eq!(s.stats().sessions, 0);
}

#[test]
fn limits_hold() {
    let now = Instant::now();
    let config = Config::default().max_sessions(1).max_queued_bytes(3);
    let mut s = Server::new(config, Box::new(SeededRandom::new(1)));
    let sid = handshake(&mut s, now);
    let r = s.handle_request(
        now,
        Method::Get,
        &q("EIO=4&transport=polling"),
        Bytes::new(),
    );
    assert_eq!(
        (r.status(), body(&r).as_str()),
        (Some(403), r#"{"code":4,"message":"Forbidden"}"#)
    );
    s.send(sid, rtw_engineio::Packet::message("abc")).unwrap();
    assert_eq!(
        s.send(sid, rtw_engineio::Packet::message("d")),
        Err(Error::QueueFull)
    );
    assert_eq!(
        s.send(sid, rtw_engineio::Packet::message("a\x1eb")),
        Err(Error::RecordSeparator)
    );
    s.handle_poll_aborted(now, sid);
    assert_eq!(get(&mut s, now, sid).status(), Some(200));
    assert_eq!(get(&mut s, now, sid), Response::Wait(sid));
    s.handle_poll_aborted(now, sid);
    assert_eq!(
        s.poll_event(),
        Some(ServerEvent::Closed(sid, CloseReason::TransportClose))
    );
}
