//! An echo server and a client, driven by hand in memory and in virtual
//! time: the opening handshake (RFC 6455 §4), messages small and large
//! (the server's large echo goes out without a copy), a keep-alive ping
//! (§5.5.2) from the connection's own timer, and the closing handshake
//! with the transport closed in each role's order (§7.1.1).
//!
//! `cargo run -p rtw-ws --example echo_in_memory`

use std::error::Error;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use rtw_ws::handshake::{ClientHandshake, ServerHandshake};
use rtw_ws::{Config, Connection, Event, Message, Role, SeededRandom, State, Transport};

/// What `from` has to send: the chunks of `poll_transmit`, counted, and
/// gathered as one vectored write would.
fn transmit(from: &mut Connection) -> (BytesMut, usize) {
    let mut out = BytesMut::new();
    let mut chunks = 0;
    while let Some(chunk) = from.poll_transmit() {
        out.extend_from_slice(&chunk);
        chunks += 1;
    }
    (out, chunks)
}

/// Hand the server what the client sent and echo every data message.
fn echo(server: &mut Connection, now: Instant, input: &mut BytesMut) -> Result<(), Box<dyn Error>> {
    server.handle_input(now, input);
    while let Some(event) = server.poll_event() {
        match event {
            Event::Message(Message::Text(text)) => server.send_text(text)?,
            Event::Message(Message::Binary(data)) => server.send_binary(data)?,
            Event::Message(other) => println!("server got {other:?}"),
            Event::Failed(e) => return Err(e.into()),
            _ => {}
        }
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn Error>> {
    let t0 = Instant::now();
    let mut rng = SeededRandom::new(1);

    let handshake = ClientHandshake::new("localhost", "/echo", &mut rng)?;
    let request = handshake.request_bytes();
    let (accepted, _) = ServerHandshake::new()
        .read_request(&request)?
        .ok_or("incomplete request head")?;
    let response = accepted.response_bytes();
    handshake
        .read_response(&response)?
        .ok_or("incomplete response head")?;
    println!(
        "handshake: {} request bytes, {} response bytes",
        request.len(),
        response.len()
    );

    let config = Config::default().ping_interval(Some(Duration::from_secs(30)));
    let mut client = Connection::with_config(Role::Client, config.clone(), rng);
    let mut server = Connection::with_config(Role::Server, config, SeededRandom::new(2));
    client.handle_timeout(t0);
    server.handle_timeout(t0);

    let large = Bytes::from(vec![42u8; 64 * 1024]);
    client.send_text("hello")?;
    client.send_binary(large.clone())?;
    let (mut wire, _) = transmit(&mut client);
    echo(&mut server, t0, &mut wire)?;
    let (mut wire, chunks) = transmit(&mut server);
    println!(
        "echo: {} bytes in {chunks} chunks (the 64 KiB payload is one of them, not copied)",
        wire.len()
    );
    client.handle_input(t0, &mut wire);
    let mut got = Vec::new();
    while let Some(event) = client.poll_event() {
        got.push(event);
    }
    assert_eq!(
        got,
        [
            Event::Message(Message::text("hello")),
            Event::Message(Message::Binary(large)),
        ]
    );

    // Nothing for 30 s: the server's own timer pings the client, whose
    // connection answers by itself.
    let t1 = server.poll_timeout().ok_or("no timer")?;
    assert_eq!(t1, t0 + Duration::from_secs(30));
    server.handle_timeout(t1);
    let (mut ping, _) = transmit(&mut server);
    client.handle_input(t1, &mut ping);
    println!(
        "at +30 s: server pinged, client got {:?}",
        client.poll_event()
    );
    let (mut pong, _) = transmit(&mut client);
    echo(&mut server, t1, &mut pong)?;

    // The client closes; the server answers and closes TCP first.
    client.close(None)?;
    client.handle_timeout(t1);
    println!(
        "client closing, close timeout at +{:?}",
        client.poll_timeout().map(|t| t - t0)
    );
    let (mut close, _) = transmit(&mut client);
    echo(&mut server, t1, &mut close)?;
    let (mut reply, _) = transmit(&mut server);
    client.handle_input(t1, &mut reply);
    assert_eq!(
        (server.state(), client.state()),
        (State::Closed, State::Closed)
    );
    assert_eq!(server.transport(), Transport::Shutdown);
    assert_eq!(client.transport(), Transport::AwaitPeerClose);
    println!("server: shut down the write side; client: wait for the server's FIN");
    client.handle_eof(t1);
    server.handle_eof(t1);
    assert_eq!(
        (client.transport(), server.transport()),
        (Transport::Close, Transport::Close)
    );
    println!("both transports closed");
    Ok(())
}
