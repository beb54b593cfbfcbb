//! A STUN Binding exchange over loopback UDP with `std::net` (RFC 8489
//! §6.2.1, §6.3.1): a `BindingServer` answers on one thread, a
//! `ClientTransaction` asks from the main thread and prints the mapped
//! address the server saw.
//!
//! `cargo run -p rtw-stun --example binding` exits 0 within a few
//! milliseconds; it gives up after 5 s whatever happens.

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use rtw_stun::attributes::XorMappedAddress;
use rtw_stun::{
    BindingServer, BindingServerConfig, Class, ClientTransaction, Message, MessageBuilder,
    MessageType, Method, SeededRandom, TransactionConfig, TransactionEvent, TransactionId,
    Transport,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The server: one datagram in, at most one answer out.
    let server_socket = UdpSocket::bind("127.0.0.1:0")?;
    let server_addr = server_socket.local_addr()?;
    server_socket.set_read_timeout(Some(Duration::from_secs(5)))?;
    let server =
        BindingServer::with_config(BindingServerConfig::default().software("rtw example"))?;
    let serving = std::thread::spawn(move || -> std::io::Result<()> {
        let mut buf = [0u8; 1500];
        let (n, from) = server_socket.recv_from(&mut buf)?;
        if let Some(answer) = server.handle(&buf[..n], from) {
            server_socket.send_to(&answer, from)?;
        }
        Ok(())
    });

    // The client. A real one draws transaction IDs from an OS-seeded
    // source (rtw_tokio::OsRandom); a seeded one keeps the example
    // dependency-free.
    let socket = UdpSocket::bind("127.0.0.1:0")?;
    let tid = TransactionId::random(&mut SeededRandom::new(0x5eed));
    let request = MessageBuilder::new(MessageType::new(Method::BINDING, Class::Request), tid)
        .with_fingerprint()?
        .finish();
    let started = Instant::now();
    let mut tx = ClientTransaction::new(
        started,
        request,
        server_addr,
        Transport::Udp,
        TransactionConfig::default(),
    )?;
    let give_up = started + Duration::from_secs(5);
    let mut buf = [0u8; 1500];
    let mapped: SocketAddr = loop {
        while let Some(t) = tx.poll_transmit() {
            socket.send_to(&t.contents, t.destination)?;
        }
        if let Some(event) = tx.poll_event() {
            match event {
                TransactionEvent::Success { response } => {
                    let response = Message::parse(&response)?;
                    break response.get::<XorMappedAddress>().ok_or("no address")??.0;
                }
                other => return Err(format!("the transaction ended with {other:?}").into()),
            }
        }
        let now = Instant::now();
        let deadline = tx.poll_timeout().unwrap_or(give_up).min(give_up);
        if now >= give_up {
            return Err("no answer in 5 s".into());
        }
        socket.set_read_timeout(Some(
            deadline
                .saturating_duration_since(now)
                .max(Duration::from_millis(1)),
        ))?;
        match socket.recv_from(&mut buf) {
            Ok((n, from)) if from == server_addr => {
                if let Ok(msg) = Message::parse(&buf[..n]) {
                    tx.handle_response(Instant::now(), &msg);
                }
            }
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                tx.handle_timeout(Instant::now());
            }
            Err(e) => return Err(e.into()),
        }
    };
    serving.join().map_err(|_| "the server thread panicked")??;
    assert_eq!(mapped, socket.local_addr()?);
    println!(
        "mapped address {mapped} (from {server_addr}, round trip {:?})",
        tx.rtt().unwrap_or_default()
    );
    Ok(())
}
