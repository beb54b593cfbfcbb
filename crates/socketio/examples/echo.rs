//! An echo server in memory: the `echo` event is emitted back with the
//! same arguments (binary ones included) and acknowledged when the
//! client asks, as `rtw serve` will answer on `/socket.io/`. The client
//! side is written as the Engine.IO messages a socket.io client sends.
//!
//! Run with `cargo run -p rtw-socketio --example echo`.

use std::time::Instant;

use bytes::Bytes;
use rtw_socketio::{Config, EngineId, EngineMessage, SeededRandom, Server, ServerEvent};

fn main() {
    let now = Instant::now();
    let mut server = Server::new(Config::default(), Box::new(SeededRandom::new(42)));
    let engine = EngineId(1);
    server.handle_open(now, engine);

    let from_client = [
        EngineMessage::Text("0".into()),
        EngineMessage::Text(r#"2["echo","hello"]"#.into()),
        EngineMessage::Text(r#"51-1["echo",{"_placeholder":true,"num":0}]"#.into()),
        EngineMessage::Binary(Bytes::from_static(&[0xde, 0xad, 0xbe, 0xef])),
    ];
    for message in from_client {
        println!("client -> {message:?}");
        if let Err(error) = server.handle_message(now, engine, message) {
            eprintln!("closing the session: {error}");
            return;
        }
        while let Some(event) = server.poll_event() {
            if let ServerEvent::Event {
                socket,
                name,
                args,
                ack_id,
                ..
            } = event
            {
                if name == "echo" {
                    server
                        .emit(socket, "echo", args.clone())
                        .expect("connected");
                    if let Some(id) = ack_id {
                        server.ack(socket, id, args).expect("connected");
                    }
                }
            }
        }
        while let Some(transmit) = server.poll_transmit() {
            println!("server -> {:?}", transmit.message);
        }
    }
}
