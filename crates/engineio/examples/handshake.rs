//! rtw's Engine.IO client against rtw's server, in memory: the polling
//! handshake, a message each way, the upgrade to WebSocket (probe, noop,
//! upgrade) and a close, with every request and WebSocket message printed
//! as it would go on the wire.
//!
//! Run with `cargo run -p rtw-engineio --example handshake`.

use std::time::Instant;

use rtw_core::SeededRandom;
use rtw_engineio::{
    Client, ClientConfig, ClientEvent, Config, Message, Method, Packet, Query, Response, Server,
    ServerEvent, Sid, WsId, WsTransmit,
};

fn show(m: &Message) -> String {
    match m {
        Message::Text(t) => format!("{t:?}"),
        Message::Binary(b) => format!("binary {b:?}"),
    }
}

fn main() {
    let now = Instant::now();
    let mut server = Server::new(Config::default(), Box::new(SeededRandom::new(7)));
    let mut client = Client::new(ClientConfig::default());
    client.send(Packet::message("hello")).expect("no separator");

    let mut held: Option<Sid> = None;
    let mut ws: Option<WsId> = None;
    let mut sid = None;
    let mut said_hi = false;
    loop {
        let mut busy = false;
        if let Some(query) = client.ws_query() {
            println!("client: WebSocket GET /engine.io/?{query}");
            ws = Some(
                server
                    .handle_ws_open(now, &Query::parse(&query))
                    .expect("upgrade"),
            );
            client.handle_ws_open(now);
            busy = true;
        }
        while let Some(req) = client.poll_request() {
            busy = true;
            let verb = if req.method == Method::Post {
                "POST"
            } else {
                "GET"
            };
            println!(
                "client: {verb} /engine.io/?{} {:?}",
                req.query,
                String::from_utf8_lossy(&req.body)
            );
            match server.handle_request(now, req.method, &Query::parse(&req.query), req.body) {
                Response::Wait(s) => {
                    println!("server: (holds the GET)");
                    held = Some(s);
                }
                r => {
                    println!(
                        "server: {} {:?}",
                        r.status().unwrap_or(0),
                        String::from_utf8_lossy(&r.body())
                    );
                    client.handle_response(now, req.method, r.status().unwrap_or(0), &r.body());
                }
            }
        }
        while let Some(m) = client.poll_ws_transmit() {
            busy = true;
            println!("client: ws {}", show(&m));
            server.handle_ws_message(now, ws.expect("open"), m);
        }
        while let Some(t) = server.poll_ws_transmit() {
            busy = true;
            match t {
                WsTransmit::Send { message, .. } => {
                    println!("server: ws {}", show(&message));
                    client.handle_ws_message(now, message);
                }
                WsTransmit::Close { .. } => {
                    println!("server: ws close");
                    client.handle_ws_close(now);
                }
            }
        }
        while let Some(e) = server.poll_event() {
            busy = true;
            match e {
                ServerEvent::PollReady(s) if held == Some(s) => {
                    held = None;
                    let r = server.take_poll(now, s).expect("ready");
                    println!(
                        "server: (answers the held GET) 200 {:?}",
                        String::from_utf8_lossy(&r.body())
                    );
                    client.handle_response(now, Method::Get, 200, &r.body());
                }
                ServerEvent::Opened(s) => {
                    sid = Some(s);
                    println!("server event: opened {s}");
                }
                e => println!("server event: {e:?}"),
            }
        }
        while let Some(e) = client.poll_event() {
            busy = true;
            println!("client event: {e:?}");
            match e {
                ClientEvent::Upgraded if !said_hi => {
                    said_hi = true;
                    server
                        .send(sid.expect("opened"), Packet::binary(vec![1, 2, 3]))
                        .expect("open");
                }
                ClientEvent::Message(_) => client.close(),
                _ => {}
            }
        }
        if !busy {
            break;
        }
    }
}
