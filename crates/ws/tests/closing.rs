//! The end of a connection in virtual time (RFC 6455 §7.1): the close
//! timeout (§7.1.2), the order in which each role closes the transport and
//! the linger (§7.1.1). No test sleeps: time is `Instant` arithmetic.

mod common;

use std::time::{Duration, Instant};

use bytes::BytesMut;
use common::{events, wire};
use rtw_ws::{
    CloseCode, CloseFrame, Config, Connection, Error, Event, Message, Role, SeededRandom, State,
    Transport,
};

fn s(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// A connection in `role` without keep-alive pings, told the time `t0`.
fn conn(role: Role, t0: Instant) -> Connection {
    let config = Config::default().ping_interval(None);
    let mut c = Connection::with_config(role, config, SeededRandom::new(9));
    c.handle_timeout(t0);
    c
}

/// A closed client waits for the server to close TCP until `deadline`
/// (the linger, RFC 6455 §7.1.1), then closes it itself.
fn lingers_until(client: &mut Connection, deadline: Instant) {
    assert_eq!(client.transport(), Transport::AwaitPeerClose);
    assert_eq!(client.poll_timeout(), Some(deadline));
    client.handle_timeout(deadline);
    assert_eq!(client.transport(), Transport::Close);
    assert_eq!(client.poll_timeout(), None);
}

fn failure(c: &mut Connection) -> Option<Error> {
    events(c).into_iter().find_map(|e| match e {
        Event::Failed(e) => Some(e),
        _ => None,
    })
}

#[test]
fn the_close_timeout_ends_a_closing_handshake_the_peer_never_answers() {
    let t0 = Instant::now();
    let mut client = conn(Role::Client, t0);
    assert_eq!(
        client.poll_timeout(),
        None,
        "no pings, no message: no timer"
    );
    client
        .close(Some(CloseFrame::new(CloseCode::NORMAL, "")))
        .unwrap();
    assert!(!wire(&mut client).is_empty(), "our close frame");
    assert_eq!(client.state(), State::Closing);
    assert_eq!(client.transport(), Transport::Open);

    // close() takes no time: the driver is asked for one at once.
    assert_eq!(client.poll_timeout(), Some(t0));
    let t1 = t0 + s(20);
    client.handle_timeout(t1);
    assert_eq!(
        client.poll_timeout(),
        Some(t1 + s(5)),
        "5 s from t1, not t0"
    );

    client.handle_timeout(t1 + s(5) - Duration::from_millis(1));
    assert_eq!(client.state(), State::Closing);
    assert_eq!(failure(&mut client), None);

    client.handle_timeout(t1 + s(5));
    assert_eq!(
        failure(&mut client),
        Some(Error::CloseTimeout { limit: s(5) })
    );
    assert_eq!(client.state(), State::Closed);
    assert_eq!(client.poll_transmit(), None, "no second close frame");
    // The client still gives the server the linger to close TCP first.
    lingers_until(&mut client, t1 + s(6));
}

#[test]
fn a_close_reply_in_time_completes_the_handshake_and_the_server_closes_first() {
    let t0 = Instant::now();
    let mut server = conn(Role::Server, t0);
    let mut client = conn(Role::Client, t0);
    server
        .close(Some(CloseFrame::new(CloseCode::NORMAL, "bye")))
        .unwrap();
    server.handle_timeout(t0);
    assert_eq!(server.poll_timeout(), Some(t0 + s(5)));

    // The client reads the close frame at t0 + 4 s and answers it.
    let t1 = t0 + s(4);
    client.handle_input(t1, &mut wire(&mut server));
    assert_eq!(
        events(&mut client),
        [Event::Message(Message::Close(Some(CloseFrame::new(
            CloseCode::NORMAL,
            "bye"
        ))))]
    );
    assert_eq!(client.state(), State::Closed);
    assert_eq!(client.transport(), Transport::AwaitPeerClose);
    assert_eq!(client.poll_timeout(), Some(t1 + s(1)));

    // The reply reaches the server before its close timeout.
    server.handle_input(t1, &mut wire(&mut client));
    assert!(matches!(
        events(&mut server)[..],
        [Event::Message(Message::Close(Some(_)))]
    ));
    assert_eq!(server.state(), State::Closed);
    // RFC 6455 §7.1.1: the server closes TCP first, at once.
    assert_eq!(server.transport(), Transport::Shutdown);
    assert_eq!(server.poll_timeout(), Some(t1 + s(1)));
    // The close timeout passing now changes nothing.
    server.handle_timeout(t0 + s(5) - Duration::from_millis(1));
    assert_eq!(failure(&mut server), None);
    assert_eq!(server.transport(), Transport::Shutdown);

    // The server's FIN reaches the client: it closes too, without waiting
    // out the linger.
    client.handle_eof(t1 + Duration::from_millis(10));
    assert_eq!(events(&mut client), []);
    assert_eq!(client.transport(), Transport::Close);
    assert_eq!(client.poll_timeout(), None);
    // The client's FIN reaches the server.
    server.handle_eof(t1 + Duration::from_millis(20));
    assert_eq!(events(&mut server), []);
    assert_eq!(server.transport(), Transport::Close);
    assert_eq!(server.poll_timeout(), None);
}

#[test]
fn the_linger_bounds_the_wait_for_the_peer_to_close_the_transport() {
    let t0 = Instant::now();
    let mut server = conn(Role::Server, t0);
    let mut client = conn(Role::Client, t0);
    client.close(None).unwrap();
    server.handle_input(t0, &mut wire(&mut client));
    let _ = events(&mut server);
    // The server answered and shut down; the client never sends its FIN.
    assert_eq!(server.transport(), Transport::Shutdown);
    server.handle_timeout(t0 + s(1) - Duration::from_millis(1));
    assert_eq!(server.transport(), Transport::Shutdown);
    server.handle_timeout(t0 + s(1));
    assert_eq!(server.transport(), Transport::Close);

    // The client got the reply; the server's FIN never comes.
    let t1 = t0 + s(2);
    client.handle_input(t1, &mut wire(&mut server));
    assert_eq!(client.state(), State::Closed);
    lingers_until(&mut client, t1 + s(1));
}

#[test]
fn a_failed_connection_closes_the_transport_in_the_same_order() {
    let t0 = Instant::now();
    let mut server = conn(Role::Server, t0);
    // An unmasked frame from a client (RFC 6455 §5.1).
    server.handle_input(t0, &mut BytesMut::from(&[0x81, 0x00][..]));
    assert_eq!(failure(&mut server), Some(Error::UnmaskedFrame));
    assert_eq!(server.transport(), Transport::Shutdown);
    assert_eq!(server.poll_timeout(), Some(t0 + s(1)));
}

#[test]
fn end_of_file_before_the_closing_handshake_is_an_abnormal_closure() {
    let t0 = Instant::now();
    for role in [Role::Server, Role::Client] {
        let mut c = conn(role, t0);
        c.handle_eof(t0 + s(1));
        assert_eq!(failure(&mut c), Some(Error::AbnormalClosure));
        assert_eq!(c.poll_transmit(), None, "1006 is never sent");
        assert_eq!(c.state(), State::Closed);
        assert_eq!(c.transport(), Transport::Close);
        assert_eq!(c.poll_timeout(), None);
        assert!(Error::AbnormalClosure.is_peer_fault());
    }
    // Also while waiting for the peer's close frame.
    let mut c = conn(Role::Client, t0);
    c.close(None).unwrap();
    c.handle_eof(t0 + s(1));
    assert_eq!(failure(&mut c), Some(Error::AbnormalClosure));
    assert_eq!(c.transport(), Transport::Close);
}

#[test]
fn the_close_timeout_and_linger_come_from_the_config() {
    let t0 = Instant::now();
    let config = Config::default()
        .ping_interval(None)
        .close_timeout(s(30))
        .linger(s(7));
    let mut c = Connection::with_config(Role::Server, config, SeededRandom::new(1));
    c.handle_timeout(t0);
    c.close(None).unwrap();
    c.handle_timeout(t0);
    assert_eq!(c.poll_timeout(), Some(t0 + s(30)));
    c.handle_timeout(t0 + s(30));
    assert_eq!(failure(&mut c), Some(Error::CloseTimeout { limit: s(30) }));
    assert_eq!(c.transport(), Transport::Shutdown);
    assert_eq!(c.poll_timeout(), Some(t0 + s(37)));
}
