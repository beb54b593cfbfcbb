//! Server scenarios, in memory: clients are Engine.IO sessions whose
//! messages are written out as the protocol document gives them.

use std::time::{Duration, Instant};

use bytes::Bytes;
use rtw_socketio::{
    Args, Config, ConnectPolicy, DisconnectReason, EngineId, EngineMessage, Error, SeededRandom,
    Server, ServerEvent, SocketId,
};
use serde_json::json;

fn text(s: &str) -> EngineMessage {
    EngineMessage::Text(s.into())
}

fn server(config: Config) -> Server {
    Server::new(config, Box::new(SeededRandom::new(5)))
}

/// Everything queued, per session.
fn sent(server: &mut Server) -> Vec<(EngineId, EngineMessage)> {
    std::iter::from_fn(|| server.poll_transmit())
        .map(|t| (t.engine, t.message))
        .collect()
}

fn events(server: &mut Server) -> Vec<ServerEvent> {
    std::iter::from_fn(|| server.poll_event()).collect()
}

/// Opens `engine` and connects it to `/`; its socket.
fn connect(server: &mut Server, now: Instant, engine: EngineId) -> SocketId {
    server.handle_open(now, engine);
    server.handle_message(now, engine, text("0")).unwrap();
    server.socket(engine, "/").unwrap()
}

#[test]
fn connect_to_the_main_namespace() {
    let now = Instant::now();
    let mut s = server(Config::default());
    let e = EngineId(1);
    let socket = connect(&mut s, now, e);
    let sid = s.sid(socket).unwrap().to_owned();
    assert_eq!(sid.len(), 20);
    assert_eq!(
        sent(&mut s),
        [(e, EngineMessage::Text(format!(r#"0{{"sid":"{sid}"}}"#)))]
    );
    assert_eq!(
        events(&mut s),
        [ServerEvent::Connected {
            socket,
            engine: e,
            namespace: "/".into(),
            sid
        }]
    );
    // Connected: no connect timeout any more.
    assert_eq!(s.poll_timeout(), None);

    // A second socket gets another sid.
    let other = connect(&mut s, now, EngineId(2));
    assert_ne!(s.sid(other), s.sid(socket));
}

#[test]
fn a_namespace_not_served_and_a_refused_one() {
    let now = Instant::now();
    let mut s = server(Config::default().namespace("/admin", ConnectPolicy::Ask));
    let e = EngineId(1);
    s.handle_open(now, e);
    s.handle_message(now, e, text("0/nope,")).unwrap();
    assert_eq!(
        sent(&mut s),
        [(e, text(r#"4/nope,{"message":"Invalid namespace"}"#))]
    );

    s.handle_message(now, e, text(r#"0/admin,{"token":"bad"}"#))
        .unwrap();
    let [
        ServerEvent::ConnectRequest {
            socket,
            namespace,
            auth,
            ..
        },
    ] = &events(&mut s)[..]
    else {
        panic!("one connect request")
    };
    assert_eq!(
        (namespace.as_str(), auth),
        ("/admin", &Some(json!({"token": "bad"})))
    );
    // Nothing is answered while the application decides; events are ignored.
    s.handle_message(now, e, text(r#"2/admin,["early"]"#))
        .unwrap();
    assert!(sent(&mut s).is_empty() && events(&mut s).is_empty());
    assert_eq!(s.emit(*socket, "x", Args::new()), Err(Error::NotConnected));

    s.refuse(*socket, "Not authorized", Some(json!({"retry": false})))
        .unwrap();
    assert_eq!(
        sent(&mut s),
        [(
            e,
            text(r#"4/admin,{"data":{"retry":false},"message":"Not authorized"}"#)
        )]
    );
    assert_eq!(s.socket(e, "/admin"), None);
    assert_eq!(s.refuse(*socket, "again", None), Err(Error::Unknown));

    // Asked again, with a good token, and accepted.
    s.handle_message(now, e, text(r#"0/admin,{"token":"good"}"#))
        .unwrap();
    let [ServerEvent::ConnectRequest { socket, .. }] = events(&mut s)[..] else {
        panic!()
    };
    s.accept(socket).unwrap();
    let sid = s.sid(socket).unwrap().to_owned();
    assert_eq!(
        sent(&mut s),
        [(
            e,
            EngineMessage::Text(format!(r#"0/admin,{{"sid":"{sid}"}}"#))
        )]
    );
}

#[test]
fn echo_an_event_and_acks_both_ways() {
    let now = Instant::now();
    let mut s = server(Config::default());
    let e = EngineId(7);
    let socket = connect(&mut s, now, e);
    sent(&mut s);
    events(&mut s);

    // Client -> server with an ack id; the application echoes and acks.
    s.handle_message(now, e, text(r#"212["echo","a",{"b":1}]"#))
        .unwrap();
    let [
        ServerEvent::Event {
            socket: from,
            name,
            args,
            ack_id,
            ..
        },
    ] = &events(&mut s)[..]
    else {
        panic!()
    };
    assert_eq!((*from, name.as_str(), *ack_id), (socket, "echo", Some(12)));
    assert_eq!(args.values, [json!("a"), json!({"b": 1})]);
    s.emit(socket, "echo", args.clone()).unwrap();
    s.ack(socket, 12, args.clone()).unwrap();
    assert_eq!(
        sent(&mut s),
        [
            (e, text(r#"2["echo","a",{"b":1}]"#)),
            (e, text(r#"312["a",{"b":1}]"#))
        ]
    );

    // Server -> client with an ack; ids count from 0; an unknown or
    // repeated ack id is ignored.
    assert_eq!(s.emit_with_ack(socket, "ping", Args::new()), Ok(0));
    assert_eq!(s.emit_with_ack(socket, "ping", Args::new()), Ok(1));
    assert_eq!(
        sent(&mut s),
        [(e, text(r#"20["ping"]"#)), (e, text(r#"21["ping"]"#))]
    );
    s.handle_message(now, e, text(r#"31["pong"]"#)).unwrap();
    s.handle_message(now, e, text(r#"31["again"]"#)).unwrap();
    s.handle_message(now, e, text(r#"39["never asked"]"#))
        .unwrap();
    assert_eq!(
        events(&mut s),
        [ServerEvent::Ack {
            socket,
            ack_id: 1,
            args: Args::from(vec![json!("pong")])
        }]
    );
    assert_eq!(
        s.emit(socket, "disconnect", Args::new()),
        Err(Error::ReservedEvent)
    );
}

#[test]
fn rooms_broadcast_except_the_sender() {
    let now = Instant::now();
    let mut s = server(Config::default());
    let [a, b, c] = [1, 2, 3].map(|i| connect(&mut s, now, EngineId(i)));
    sent(&mut s);
    s.join(a, "lobby").unwrap();
    s.join(b, "lobby").unwrap();
    s.join(c, "other").unwrap();
    assert_eq!(s.members("/", "lobby").collect::<Vec<_>>(), [a, b]);
    assert_eq!(s.rooms_of(a).collect::<Vec<_>>(), ["lobby"]);

    let n = s
        .broadcast(
            "/",
            Some("lobby"),
            Some(a),
            "news",
            Args::from(vec![json!(1)]),
        )
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(sent(&mut s), [(EngineId(2), text(r#"2["news",1]"#))]);

    let n = s.broadcast("/", None, Some(b), "all", Args::new()).unwrap();
    assert_eq!(n, 2);
    let got: Vec<EngineId> = sent(&mut s).into_iter().map(|(e, _)| e).collect();
    assert_eq!(got, [EngineId(1), EngineId(3)]);

    // Leaving, or the session closing, empties the room.
    s.leave(a, "lobby").unwrap();
    s.handle_close(EngineId(2));
    assert_eq!(s.members("/", "lobby").count(), 0);
    assert_eq!(
        s.broadcast("/", Some("lobby"), None, "x", Args::new()),
        Ok(0)
    );
    assert!(events(&mut s).contains(&ServerEvent::Disconnected {
        socket: b,
        namespace: "/".into(),
        reason: DisconnectReason::TransportClose
    }));
}

#[test]
fn binary_event_reassembly_and_binary_echo() {
    let now = Instant::now();
    let mut s = server(Config::default());
    let e = EngineId(1);
    let socket = connect(&mut s, now, e);
    sent(&mut s);
    events(&mut s);

    let head = r#"52-3["upload",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#;
    s.handle_message(now, e, text(head)).unwrap();
    s.handle_message(now, e, EngineMessage::Binary(Bytes::from_static(&[1, 2])))
        .unwrap();
    assert!(
        events(&mut s).is_empty(),
        "not whole before the second attachment"
    );
    s.handle_message(now, e, EngineMessage::Binary(Bytes::from_static(&[3, 4])))
        .unwrap();
    let [
        ServerEvent::Event {
            name,
            args,
            ack_id: Some(3),
            ..
        },
    ] = &events(&mut s)[..]
    else {
        panic!()
    };
    assert_eq!(name, "upload");
    assert_eq!(
        args.attachment(&args.values[1]),
        Some(&Bytes::from_static(&[3, 4]))
    );

    s.ack(socket, 3, args.clone()).unwrap();
    assert_eq!(
        sent(&mut s),
        [
            (
                e,
                text(r#"62-3[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#)
            ),
            (e, EngineMessage::Binary(Bytes::from_static(&[1, 2]))),
            (e, EngineMessage::Binary(Bytes::from_static(&[3, 4]))),
        ]
    );
}

#[test]
fn client_disconnect_server_disconnect_and_protocol_errors() {
    let now = Instant::now();
    let mut s = server(Config::default().other_namespaces(Some(ConnectPolicy::Accept)));
    let e = EngineId(1);
    let socket = connect(&mut s, now, e);
    s.handle_message(now, e, text("0/chat,")).unwrap();
    let chat = s.socket(e, "/chat").unwrap();
    events(&mut s);
    s.handle_message(now, e, text("1/chat,")).unwrap();
    assert_eq!(
        events(&mut s),
        [ServerEvent::Disconnected {
            socket: chat,
            namespace: "/chat".into(),
            reason: DisconnectReason::ClientDisconnect
        }]
    );
    s.disconnect(socket).unwrap();
    assert_eq!(sent(&mut s).last(), Some(&(e, text("1"))));
    assert_eq!(s.socket_count(), 0);

    // A bad packet: the error, and the session is forgotten with its sockets.
    let socket = connect(&mut s, now, EngineId(2));
    events(&mut s);
    assert_eq!(
        s.handle_message(now, EngineId(2), text("2[oops")),
        Err(Error::BadJson)
    );
    assert_eq!(
        events(&mut s),
        [ServerEvent::Disconnected {
            socket,
            namespace: "/".into(),
            reason: DisconnectReason::ProtocolError
        }]
    );
    assert!(sent(&mut s).is_empty(), "what was queued for it is dropped");
    assert_eq!(
        s.handle_message(now, EngineId(2), text("0")),
        Err(Error::Unknown)
    );

    // A second CONNECT to the same namespace, and too many namespaces.
    connect(&mut s, now, EngineId(3));
    assert!(
        s.handle_message(now, EngineId(3), text("0"))
            .unwrap_err()
            .is_peer_fault()
    );
    let mut s = server(
        Config::default()
            .other_namespaces(Some(ConnectPolicy::Accept))
            .limits(rtw_socketio::Limits::default().max_namespaces(2)),
    );
    connect(&mut s, now, e);
    s.handle_message(now, e, text("0/a,")).unwrap();
    assert_eq!(
        s.handle_message(now, e, text("0/b,")),
        Err(Error::TooManyNamespaces)
    );
}

#[test]
fn connect_timeout_closes_a_silent_session() {
    let now = Instant::now();
    let mut s = server(Config::default().connect_timeout(Duration::from_secs(5)));
    s.handle_open(now, EngineId(1));
    connect(&mut s, now, EngineId(2));
    events(&mut s);
    assert_eq!(s.poll_timeout(), Some(now + Duration::from_secs(5)));
    s.handle_timeout(now + Duration::from_secs(4));
    assert!(events(&mut s).is_empty());
    s.handle_timeout(now + Duration::from_secs(5));
    assert_eq!(
        events(&mut s),
        [ServerEvent::CloseEngine {
            engine: EngineId(1)
        }]
    );
    assert_eq!(s.poll_timeout(), None);
    assert!(s.socket(EngineId(2), "/").is_some());
}

#[test]
fn connect_timeouts_of_many_sessions_end_in_deadline_order() {
    let start = Instant::now();
    let mut s = server(
        Config::default()
            .namespace("/", ConnectPolicy::Ask)
            .connect_timeout(Duration::from_secs(10)),
    );
    // Sessions opened one second apart; the even ones connect (asked),
    // half of those are accepted, the others close before their deadline.
    for i in 0..100u64 {
        let now = start + Duration::from_secs(i);
        s.handle_open(now, EngineId(i));
        if i % 2 == 0 {
            s.handle_message(now, EngineId(i), text("0")).unwrap();
            let socket = s.socket(EngineId(i), "/").unwrap();
            if i % 4 == 0 {
                s.accept(socket).unwrap();
            } else {
                s.handle_close(EngineId(i));
            }
        }
    }
    events(&mut s);
    // The odd ones remain, the first due at 1 + 10 s.
    assert_eq!(s.poll_timeout(), Some(start + Duration::from_secs(11)));
    s.handle_timeout(start + Duration::from_secs(50));
    let closed: Vec<_> = events(&mut s)
        .into_iter()
        .map(|e| match e {
            ServerEvent::CloseEngine { engine } => engine.0,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(closed, (1..=39).step_by(2).collect::<Vec<_>>());
    assert_eq!(s.poll_timeout(), Some(start + Duration::from_secs(51)));
    s.handle_timeout(start + Duration::from_secs(1000));
    assert_eq!(events(&mut s).len(), 30);
    assert_eq!(s.poll_timeout(), None);
    assert_eq!(s.socket_count(), 25);
}
