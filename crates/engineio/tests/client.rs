//! rtw's client against rtw's server, in memory with explicit instants:
//! polling, upgrade, WebSocket only, heartbeat, close.

use std::time::{Duration, Instant};

use bytes::Bytes;
use rtw_core::SeededRandom;
use rtw_engineio::{
    Client, ClientConfig, ClientEvent, ClientTransport, CloseReason, Config, Data, Method, Packet,
    Query, Response, Server, ServerEvent, WsId, WsTransmit,
};

/// Moves requests and WebSocket messages between one client and the
/// server until neither has anything to do (held GETs answered when
/// ready).
struct Pair {
    server: Server,
    client: Client,
    held: Option<rtw_engineio::Sid>,
    ws: Option<WsId>,
    server_events: Vec<ServerEvent>,
    client_events: Vec<ClientEvent>,
}

impl Pair {
    fn new(config: ClientConfig) -> Pair {
        Pair {
            server: Server::new(Config::default(), Box::new(SeededRandom::new(3))),
            client: Client::new(config),
            held: None,
            ws: None,
            server_events: Vec::new(),
            client_events: Vec::new(),
        }
    }

    fn run(&mut self, now: Instant) {
        for _ in 0..100 {
            let mut busy = false;
            if let Some(query) = self.client.ws_query() {
                let conn = self
                    .server
                    .handle_ws_open(now, &Query::parse(&query))
                    .unwrap();
                self.ws = Some(conn);
                self.client.handle_ws_open(now);
                busy = true;
            }
            while let Some(req) = self.client.poll_request() {
                busy = true;
                let r = self.server.handle_request(
                    now,
                    req.method,
                    &Query::parse(&req.query),
                    req.body,
                );
                match r {
                    Response::Wait(sid) => self.held = Some(sid),
                    r => {
                        self.client
                            .handle_response(now, req.method, r.status().unwrap(), &r.body())
                    }
                }
            }
            while let Some(m) = self.client.poll_ws_transmit() {
                busy = true;
                self.server.handle_ws_message(now, self.ws.unwrap(), m);
            }
            while let Some(t) = self.server.poll_ws_transmit() {
                busy = true;
                match t {
                    WsTransmit::Send { message, .. } => self.client.handle_ws_message(now, message),
                    WsTransmit::Close { .. } => self.client.handle_ws_close(now),
                }
            }
            while let Some(e) = self.server.poll_event() {
                busy = true;
                if let ServerEvent::PollReady(sid) = e {
                    if self.held == Some(sid) {
                        self.held = None;
                        let r = self.server.take_poll(now, sid).unwrap();
                        self.client.handle_response(
                            now,
                            Method::Get,
                            r.status().unwrap(),
                            &r.body(),
                        );
                    }
                } else {
                    self.server_events.push(e);
                }
            }
            while let Some(e) = self.client.poll_event() {
                busy = true;
                self.client_events.push(e);
            }
            if !busy {
                return;
            }
        }
        panic!("no quiescence");
    }
}

fn sid_of(events: &[ServerEvent]) -> rtw_engineio::Sid {
    match events[0] {
        ServerEvent::Opened(sid) => sid,
        ref e => panic!("{e:?}"),
    }
}

#[test]
fn polling_upgraded_to_websocket() {
    let now = Instant::now();
    let mut p = Pair::new(ClientConfig::default());
    p.client.send(Packet::message("early")).unwrap();
    p.run(now);
    let sid = sid_of(&p.server_events);
    assert!(matches!(p.client_events[0], ClientEvent::Opened(_)));
    assert!(p.client.is_websocket());
    assert!(p.client_events.contains(&ClientEvent::Upgraded));
    assert!(p.server_events.contains(&ServerEvent::Upgraded(sid)));
    assert!(
        p.server_events
            .contains(&ServerEvent::Message(sid, Data::Text("early".into())))
    );

    p.server.send(sid, Packet::binary(vec![1, 2, 3])).unwrap();
    p.client.send(Packet::message("over ws")).unwrap();
    p.run(now);
    assert_eq!(
        p.client_events.last(),
        Some(&ClientEvent::Message(Data::Binary(Bytes::from_static(&[
            1, 2, 3
        ]))))
    );
    assert_eq!(
        p.server_events.last(),
        Some(&ServerEvent::Message(sid, Data::Text("over ws".into())))
    );

    // Heartbeat over the WebSocket: the server pings, the client pongs.
    let t = now + Duration::from_secs(25);
    p.server.handle_timeout(t);
    p.run(t);
    assert_eq!(p.server.poll_timeout(), Some(t + Duration::from_secs(25)));
    assert_eq!(p.client.poll_timeout(), Some(t + Duration::from_secs(45)));

    p.client.close();
    p.run(t);
    assert_eq!(
        p.client_events.last(),
        Some(&ClientEvent::Closed(CloseReason::ClientClose))
    );
    assert_eq!(
        p.server_events.last(),
        Some(&ServerEvent::Closed(sid, CloseReason::ClientClose))
    );
}

#[test]
fn polling_only_with_heartbeat_and_close() {
    let t0 = Instant::now();
    let mut p = Pair::new(ClientConfig::default().upgrade(false));
    p.run(t0);
    let sid = sid_of(&p.server_events);
    assert!(!p.client.is_websocket());
    assert!(p.held.is_some());
    p.server.send(sid, Packet::message("a")).unwrap();
    p.run(t0);
    assert_eq!(
        p.client_events.last(),
        Some(&ClientEvent::Message(Data::Text("a".into())))
    );

    let t = t0 + Duration::from_secs(25);
    p.server.handle_timeout(t);
    p.run(t);
    assert_eq!(p.server.poll_timeout(), Some(t + Duration::from_secs(25)));

    p.client.close();
    p.run(t);
    assert_eq!(
        p.server_events.last(),
        Some(&ServerEvent::Closed(sid, CloseReason::ClientClose))
    );
}

/// What was sent before `close` still goes, in the POST of the close
/// packet, and that POST waits for the one out to be answered.
#[test]
fn close_keeps_what_was_sent_before_it() {
    let t0 = Instant::now();
    let mut p = Pair::new(ClientConfig::default().upgrade(false));
    p.run(t0);
    let sid = sid_of(&p.server_events);
    p.client.send(Packet::message("first")).unwrap();
    let first = p.client.poll_request().expect("the POST of first");
    assert_eq!(first.method, Method::Post);
    p.client.send(Packet::message("last words")).unwrap();
    p.client.close();
    assert_eq!(p.client.poll_request(), None, "a POST is out");
    p.client.handle_response(t0, Method::Post, 200, b"ok");
    let last = p.client.poll_request().expect("the closing POST");
    assert_eq!(&last.body[..], b"4last words\x1e1");
    assert_eq!(p.client.poll_request(), None);
    for request in [first, last] {
        p.server.handle_request(
            t0,
            request.method,
            &Query::parse(&request.query),
            request.body,
        );
    }
    let mut events = Vec::new();
    while let Some(e) = p.server.poll_event() {
        events.push(e);
    }
    assert!(events.contains(&ServerEvent::Message(sid, Data::Text("first".into()))));
    assert!(events.contains(&ServerEvent::Message(sid, Data::Text("last words".into()))));
    assert_eq!(
        events.last(),
        Some(&ServerEvent::Closed(sid, CloseReason::ClientClose))
    );
}

#[test]
fn websocket_only() {
    let now = Instant::now();
    let mut p = Pair::new(ClientConfig::default().transport(ClientTransport::WebSocket));
    p.client.send(Packet::message("first")).unwrap();
    p.run(now);
    let sid = sid_of(&p.server_events);
    assert!(p.client.is_websocket());
    assert!(
        p.server_events
            .contains(&ServerEvent::Message(sid, Data::Text("first".into())))
    );
    p.server.close(now, sid);
    p.run(now);
    assert_eq!(
        p.client_events.last(),
        Some(&ClientEvent::Closed(CloseReason::ServerClose))
    );
}

#[test]
fn a_silent_server_times_the_client_out() {
    let t0 = Instant::now();
    let mut c = Client::new(ClientConfig::default());
    let req = c.poll_request().unwrap();
    assert_eq!(
        (req.method, req.query.as_str()),
        (Method::Get, "EIO=4&transport=polling")
    );
    let open = br#"0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":300,"pingTimeout":200,"maxPayload":1000000}"#;
    c.handle_response(t0, Method::Get, 200, open);
    assert!(
        matches!(c.poll_event(), Some(ClientEvent::Opened(h)) if h.sid == "lv_VI97HAXpY6yYWAAAC")
    );
    assert_eq!(c.poll_timeout(), Some(t0 + Duration::from_millis(500)));
    let get = c.poll_request().unwrap();
    assert_eq!(
        get.query,
        "EIO=4&transport=polling&sid=lv_VI97HAXpY6yYWAAAC"
    );
    // A ping 300 ms later: a pong is posted and the deadline moves.
    let t1 = t0 + Duration::from_millis(300);
    c.handle_response(t1, Method::Get, 200, b"2");
    let pong = c.poll_request().unwrap();
    assert_eq!((pong.method, &pong.body[..]), (Method::Post, &b"3"[..]));
    assert_eq!(c.poll_timeout(), Some(t1 + Duration::from_millis(500)));
    c.handle_timeout(t1 + Duration::from_millis(499));
    assert_eq!(c.poll_event(), None);
    c.handle_timeout(t1 + Duration::from_millis(500));
    assert_eq!(
        c.poll_event(),
        Some(ClientEvent::Closed(CloseReason::PingTimeout))
    );
}

#[test]
fn bad_handshakes_and_errors_end_the_client() {
    let now = Instant::now();
    let mut c = Client::new(ClientConfig::default());
    c.poll_request().unwrap();
    c.handle_response(now, Method::Get, 200, b"4hello");
    assert!(matches!(
        c.poll_event(),
        Some(ClientEvent::Closed(CloseReason::TransportError(_)))
    ));
    let mut c = Client::new(ClientConfig::default());
    c.poll_request().unwrap();
    c.handle_response(
        now,
        Method::Get,
        400,
        br#"{"code":5,"message":"Unsupported protocol version"}"#,
    );
    assert!(matches!(
        c.poll_event(),
        Some(ClientEvent::Closed(CloseReason::TransportError(_)))
    ));
    assert!(c.send(Packet::message("x")).is_err());
}
