//! rtw's client against rtw's server, in memory, on one Engine.IO
//! session: connect with auth to an asked namespace, a refused one,
//! echo, acks both ways, binary both ways, disconnects.

use std::time::Instant;

use bytes::Bytes;
use rtw_socketio::{
    Args, Client, ClientEvent, Config, ConnectPolicy, DisconnectReason, EngineId, EngineMessage,
    Error, Limits, SeededRandom, Server, ServerEvent,
};
use serde_json::json;

struct Pair {
    now: Instant,
    client: Client,
    server: Server,
    engine: EngineId,
}

impl Pair {
    fn new() -> Pair {
        let now = Instant::now();
        let config = Config::default().namespace("/admin", ConnectPolicy::Ask);
        let mut server = Server::new(config, Box::new(SeededRandom::new(3)));
        let engine = EngineId(9);
        server.handle_open(now, engine);
        Pair {
            now,
            client: Client::new(Limits::default()),
            server,
            engine,
        }
    }

    /// Moves every queued message both ways until both are quiet; the
    /// server's events come back, the client's stay queued.
    fn pump(&mut self) -> Vec<ServerEvent> {
        let mut events = Vec::new();
        loop {
            let mut moved = false;
            while let Some(message) = self.client.poll_transmit() {
                self.server
                    .handle_message(self.now, self.engine, message)
                    .unwrap();
                moved = true;
            }
            while let Some(transmit) = self.server.poll_transmit() {
                assert_eq!(transmit.engine, self.engine);
                self.client.handle_message(transmit.message).unwrap();
                moved = true;
            }
            events.extend(std::iter::from_fn(|| self.server.poll_event()));
            if !moved {
                return events;
            }
        }
    }

    fn client_events(&mut self) -> Vec<ClientEvent> {
        std::iter::from_fn(|| self.client.poll_event()).collect()
    }
}

#[test]
fn connect_echo_acks_and_binary_both_ways() {
    let mut p = Pair::new();
    p.client.connect("/", None).unwrap();
    assert_eq!(
        p.client.emit("/", "early", Args::new()),
        Err(Error::NotConnected)
    );
    let events = p.pump();
    let [ServerEvent::Connected { socket, sid, .. }] = &events[..] else {
        panic!("{events:?}")
    };
    let socket = *socket;
    assert_eq!(
        p.client_events(),
        [ClientEvent::Connected {
            namespace: "/".into(),
            sid: sid.clone()
        }]
    );
    assert_eq!(p.client.sid("/"), Some(sid.as_str()));

    // Client -> server with an ack and an attachment; the server echoes
    // the event and acks with the same arguments.
    let args = Args::new()
        .arg(json!("hi"))
        .binary(Bytes::from_static(b"\x00\xff"));
    let id = p.client.emit_with_ack("/", "echo", args.clone()).unwrap();
    let events = p.pump();
    let [
        ServerEvent::Event {
            name,
            args: got,
            ack_id: Some(ack),
            ..
        },
    ] = &events[..]
    else {
        panic!("{events:?}")
    };
    assert_eq!((name.as_str(), got), ("echo", &args));
    p.server.emit(socket, "echo", got.clone()).unwrap();
    p.server.ack(socket, *ack, got.clone()).unwrap();
    assert!(p.pump().is_empty());
    assert_eq!(
        p.client_events(),
        [
            ClientEvent::Event {
                namespace: "/".into(),
                name: "echo".into(),
                args: args.clone(),
                ack_id: None
            },
            ClientEvent::Ack {
                namespace: "/".into(),
                ack_id: id,
                args: args.clone()
            },
        ]
    );

    // Server -> client with an ack, answered.
    let id = p
        .server
        .emit_with_ack(socket, "question", Args::from(vec![json!(41)]))
        .unwrap();
    p.pump();
    let [
        ClientEvent::Event {
            ack_id: Some(ack), ..
        },
    ] = p.client_events()[..]
    else {
        panic!()
    };
    p.client.ack("/", ack, Args::from(vec![json!(42)])).unwrap();
    assert_eq!(
        p.pump(),
        [ServerEvent::Ack {
            socket,
            ack_id: id,
            args: Args::from(vec![json!(42)])
        }]
    );

    // The client leaves; the server is told.
    p.client.disconnect("/").unwrap();
    assert_eq!(
        p.pump(),
        [ServerEvent::Disconnected {
            socket,
            namespace: "/".into(),
            reason: DisconnectReason::ClientDisconnect
        }]
    );
}

#[test]
fn auth_refused_then_accepted_and_server_disconnect() {
    let mut p = Pair::new();
    p.client
        .connect("/admin", Some(json!({"token": "wrong"})))
        .unwrap();
    let [ServerEvent::ConnectRequest { socket, auth, .. }] = &p.pump()[..] else {
        panic!()
    };
    assert_eq!(auth, &Some(json!({"token": "wrong"})));
    p.server
        .refuse(*socket, "Not authorized", Some(json!({"code": 7})))
        .unwrap();
    p.pump();
    assert_eq!(
        p.client_events(),
        [ClientEvent::ConnectError {
            namespace: "/admin".into(),
            message: Some("Not authorized".into()),
            data: Some(json!({"code": 7})),
        }]
    );

    p.client
        .connect("/admin", Some(json!({"token": "right"})))
        .unwrap();
    let [ServerEvent::ConnectRequest { socket, .. }] = p.pump()[..] else {
        panic!()
    };
    p.server.accept(socket).unwrap();
    p.pump();
    assert!(
        matches!(&p.client_events()[..], [ClientEvent::Connected { namespace, .. }] if namespace == "/admin")
    );

    // A namespace the server does not serve.
    p.client.connect("/nope", None).unwrap();
    p.pump();
    assert!(matches!(
        &p.client_events()[..],
        [ClientEvent::ConnectError { message: Some(m), .. }] if m == "Invalid namespace"
    ));

    p.server.disconnect(socket).unwrap();
    p.pump();
    assert_eq!(
        p.client_events(),
        [ClientEvent::Disconnected {
            namespace: "/admin".into(),
            reason: DisconnectReason::ServerDisconnect
        }]
    );
    assert_eq!(
        p.client.emit("/admin", "x", Args::new()),
        Err(Error::Unknown)
    );
}

#[test]
fn a_server_breaking_the_protocol_and_the_session_closing() {
    let mut client = Client::new(Limits::default());
    client.connect("/", None).unwrap();
    client.connect("/b", None).unwrap();
    assert_eq!(
        client.handle_message(EngineMessage::Text("0{}".into())),
        Err(Error::BadPayload("a CONNECT answer without a sid"))
    );
    let events: Vec<_> = std::iter::from_fn(|| client.poll_event()).collect();
    assert_eq!(events.len(), 2);
    assert!(events.iter().all(|e| matches!(
        e,
        ClientEvent::Disconnected {
            reason: DisconnectReason::ProtocolError,
            ..
        }
    )));

    client.connect("/", None).unwrap();
    client.handle_close();
    assert!(matches!(
        client.poll_event(),
        Some(ClientEvent::Disconnected {
            reason: DisconnectReason::TransportClose,
            ..
        })
    ));
    assert_eq!(client.poll_transmit(), None);
}
