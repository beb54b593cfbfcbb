//! What an attacker tried on the WebSocket server, replayed on the sans-IO
//! connection in virtual time: unfinished messages (compressed or not)
//! bounded per connection, in time and across connections; keep-alive
//! pings that find a vanished peer; no amplification through compression.

use std::time::{Duration, Instant};

use bytes::BytesMut;
use rtw_ws::frame::OpCode;
use rtw_ws::{Config, Connection, Error, Event, MemoryBudget, Message, Role, SeededRandom, State};

mod common;
use common::{client_frame, close_code, events, wire};

fn server(config: Config) -> Connection {
    Connection::with_config(Role::Server, config, SeededRandom::new(2))
}

fn failure(c: &mut Connection) -> Option<Error> {
    events(c).into_iter().find_map(|e| match e {
        Event::Failed(e) => Some(e),
        _ => None,
    })
}

/// Fragments of `size` bytes each, the first opening a binary message,
/// none with FIN.
fn unfinished(count: usize, size: usize) -> BytesMut {
    let mut out = BytesMut::new();
    for i in 0..count {
        let opcode = if i == 0 {
            OpCode::Binary
        } else {
            OpCode::Continuation
        };
        out.extend_from_slice(&client_frame(opcode, false, 0, &vec![0; size]));
    }
    out
}

#[test]
fn a_shared_budget_fails_the_connection_that_passes_it_and_only_that_one() {
    let budget = MemoryBudget::new(3 << 20);
    let config = Config::default().message_memory(Some(budget.clone()));
    let t0 = Instant::now();
    let (mut a, mut b) = (server(config.clone()), server(config));
    a.handle_input(t0, &mut unfinished(2, 1 << 20));
    assert_eq!(a.held_bytes(), 2 << 20);
    assert_eq!(budget.used(), 2 << 20);
    b.handle_input(t0, &mut unfinished(2, 1 << 20));
    assert_eq!(
        failure(&mut b),
        Some(Error::MemoryBudgetExceeded { limit: 3 << 20 })
    );
    assert_eq!(close_code(&wire(&mut b)), 1009);
    assert_eq!(b.held_bytes(), 0, "a failed connection holds nothing");
    assert_eq!(budget.used(), 2 << 20);
    // The other connection finishes its message and gives its share back.
    a.handle_input(t0, &mut client_frame(OpCode::Continuation, true, 0, b"end"));
    match &events(&mut a)[..] {
        [Event::Message(Message::Binary(m))] => assert_eq!(m.len(), (2 << 20) + 3),
        other => panic!("{other:?}"),
    }
    assert_eq!(budget.used(), 0);
    drop(b);
    assert_eq!(budget.used(), 0);
}

#[test]
fn a_frame_that_trickles_in_counts_as_it_arrives_and_is_given_back_on_drop() {
    let budget = MemoryBudget::new(1 << 20);
    let mut c = server(Config::default().message_memory(Some(budget.clone())));
    let frame = client_frame(OpCode::Binary, true, 0, &vec![7; 2 << 20]);
    let mut buf = BytesMut::from(&frame[..(512 << 10)]);
    c.handle_input(Instant::now(), &mut buf);
    assert!(budget.used() > 500 << 10, "{}", budget.used());
    assert_eq!(c.state(), State::Open);
    buf.extend_from_slice(&frame[(512 << 10)..(1100 << 10)]);
    c.handle_input(Instant::now(), &mut buf);
    assert!(matches!(
        failure(&mut c),
        Some(Error::MemoryBudgetExceeded { .. })
    ));
    assert_eq!(budget.used(), 0);
    let mut d = server(Config::default().message_memory(Some(budget.clone())));
    d.handle_input(Instant::now(), &mut BytesMut::from(&frame[..1000]));
    assert!(budget.used() > 0);
    drop(d);
    assert_eq!(budget.used(), 0);
}

#[test]
fn a_message_must_finish_within_the_message_timeout() {
    let t0 = Instant::now();
    let mut c = server(Config::default().ping_interval(None));
    c.handle_timeout(t0);
    assert_eq!(c.poll_timeout(), None, "no message, no ping: no timer");
    c.handle_input(t0, &mut unfinished(1, 1000));
    let deadline = t0 + Duration::from_secs(60);
    assert_eq!(c.poll_timeout(), Some(deadline));
    // More fragments do not move the deadline.
    c.handle_input(
        t0 + Duration::from_secs(59),
        &mut client_frame(OpCode::Continuation, false, 0, b"more"),
    );
    assert_eq!(c.poll_timeout(), Some(deadline));
    c.handle_timeout(deadline - Duration::from_millis(1));
    assert_eq!(c.state(), State::Open);
    c.handle_timeout(deadline);
    assert_eq!(
        failure(&mut c),
        Some(Error::MessageTimeout {
            limit: Duration::from_secs(60)
        })
    );
    assert_eq!(close_code(&wire(&mut c)), 1008);
    assert_eq!(c.held_bytes(), 0);
    // Only the linger is left (RFC 6455 §7.1.1).
    assert_eq!(c.poll_timeout(), Some(deadline + Duration::from_secs(1)));

    // A message that finishes in time clears its deadline.
    let mut c = server(Config::default().ping_interval(None));
    c.handle_input(t0, &mut unfinished(1, 10));
    c.handle_input(t0, &mut client_frame(OpCode::Continuation, true, 0, b"."));
    assert_eq!(c.poll_timeout(), None);
}

#[test]
fn a_quiet_peer_is_pinged_and_a_silent_one_is_failed() {
    let t0 = Instant::now();
    let s = Duration::from_secs;
    let mut c = server(Config::default());
    c.handle_timeout(t0);
    assert_eq!(c.poll_timeout(), Some(t0 + s(30)));
    // Input moves the ping back.
    c.handle_input(t0 + s(10), &mut client_frame(OpCode::Text, true, 0, b"hi"));
    let _ = events(&mut c);
    assert_eq!(c.poll_timeout(), Some(t0 + s(40)));
    c.handle_timeout(t0 + s(40));
    assert_eq!(&wire(&mut c)[..], [0x89, 0x00], "an empty ping");
    assert_eq!(c.poll_timeout(), Some(t0 + s(70)));
    // The pong comes back: the next ping is an interval later.
    c.handle_input(t0 + s(45), &mut client_frame(OpCode::Pong, true, 0, b""));
    assert_eq!(
        events(&mut c),
        [Event::Message(Message::Pong(Default::default()))]
    );
    assert_eq!(c.poll_timeout(), Some(t0 + s(75)));
    c.handle_timeout(t0 + s(75));
    assert_eq!(&wire(&mut c)[..], [0x89, 0x00]);
    // Half a frame header is no sign of life.
    c.handle_input(t0 + s(80), &mut BytesMut::from(&[0x82][..]));
    assert_eq!(c.poll_timeout(), Some(t0 + s(105)));
    c.handle_timeout(t0 + s(105));
    assert_eq!(failure(&mut c), Some(Error::PingTimeout { limit: s(30) }));
    assert_eq!(close_code(&wire(&mut c)), 1011);
    assert_eq!(c.state(), State::Closed);
    // Only the linger is left (RFC 6455 §7.1.1).
    assert_eq!(c.poll_timeout(), Some(t0 + s(106)));
}

#[test]
fn no_pings_after_our_close_frame() {
    let t0 = Instant::now();
    let mut c = server(Config::default());
    c.handle_timeout(t0);
    c.close(None).unwrap();
    let _ = wire(&mut c);
    c.handle_timeout(t0);
    // Only the close timeout runs (RFC 6455 §7.1.2), no keep-alive.
    assert_eq!(c.poll_timeout(), Some(t0 + Duration::from_secs(5)));
    c.handle_timeout(t0 + Duration::from_secs(4));
    assert_eq!(c.poll_transmit(), None);
    c.handle_timeout(t0 + Duration::from_secs(300));
    assert_eq!(c.poll_transmit(), None);
}

#[cfg(feature = "deflate")]
mod deflate {
    use rtw_ws::deflate::{DeflateConfig, DeflateParams};

    use super::*;

    fn deflated(
        params: &DeflateParams,
        config: Config,
        local: &DeflateConfig,
    ) -> (Connection, Connection) {
        let client = Connection::with_config(Role::Client, config.clone(), SeededRandom::new(1))
            .with_deflate(params, local);
        let server = server(config).with_deflate(params, local);
        (client, server)
    }

    /// RFC 7692 §7.2.1 by hand: raw deflate of `data`, sync-flushed, the
    /// tail removed, in `count` pieces of `data` each (one per frame).
    fn compressed_fragments(data: &[u8], count: usize) -> Vec<Vec<u8>> {
        use flate2::{Compress, Compression, FlushCompress};
        let mut c = Compress::new(Compression::best(), false);
        (0..count)
            .map(|_| {
                let mut out = Vec::with_capacity(data.len() / 100 + 1024);
                c.compress_vec(data, &mut out, FlushCompress::Sync).unwrap();
                out
            })
            .collect()
    }

    /// The attack that held 63.8 MiB per connection: 63 fragments of 1 MiB
    /// of zeros, compressed, never finished.
    #[test]
    fn an_unfinished_compressed_message_stops_at_the_inflated_limit() {
        let t0 = Instant::now();
        let (_, mut s) = deflated(
            &DeflateParams::default(),
            Config::default(),
            &DeflateConfig::default(),
        );
        let mut input = BytesMut::new();
        for (i, piece) in compressed_fragments(&vec![0; 1 << 20], 63)
            .iter()
            .enumerate()
        {
            let (opcode, rsv) = match i {
                0 => (OpCode::Binary, 0b100),
                _ => (OpCode::Continuation, 0),
            };
            input.extend_from_slice(&client_frame(opcode, false, rsv, piece));
        }
        assert!(input.len() < 70_000, "{}", input.len());
        s.handle_input(t0, &mut input);
        assert_eq!(
            failure(&mut s),
            Some(Error::MessageTooLarge { limit: 16 << 20 })
        );
        assert_eq!(close_code(&wire(&mut s)), 1009);
        assert_eq!(s.held_bytes(), 0);
    }

    #[test]
    fn inflated_bytes_count_against_the_shared_budget() {
        let budget = MemoryBudget::new(4 << 20);
        let config = Config::default().message_memory(Some(budget.clone()));
        let pieces = compressed_fragments(&vec![0; 1 << 20], 3);
        let first = client_frame(OpCode::Binary, false, 0b100, &pieces[0]);
        let rest = |i: usize| client_frame(OpCode::Continuation, false, 0, &pieces[i]);
        let (_, mut a) = deflated(
            &DeflateParams::default(),
            config.clone(),
            &DeflateConfig::default(),
        );
        let (_, mut b) = deflated(&DeflateParams::default(), config, &DeflateConfig::default());
        let t0 = Instant::now();
        a.handle_input(t0, &mut first.clone());
        a.handle_input(t0, &mut rest(1));
        a.handle_input(t0, &mut rest(2));
        assert_eq!(budget.used(), 3 << 20);
        b.handle_input(t0, &mut first.clone());
        assert!(budget.used() <= 4 << 20);
        b.handle_input(t0, &mut rest(1));
        assert_eq!(
            failure(&mut b),
            Some(Error::MemoryBudgetExceeded { limit: 4 << 20 })
        );
        assert_eq!(budget.used(), 3 << 20);
        assert_eq!(a.state(), State::Open);
    }

    #[test]
    fn zlib_state_is_created_by_the_first_message_and_freed_when_idle() {
        let params = DeflateParams {
            server_no_context_takeover: true,
            client_no_context_takeover: true,
            ..DeflateParams::default()
        };
        let local = DeflateConfig::default();
        let (mut client, mut server) = deflated(&params, Config::default(), &local);
        let t0 = Instant::now();
        server.handle_timeout(t0);
        assert_eq!(server.deflate_state(), Some((false, false)), "lazy");
        let text = "compress me please ".repeat(20);
        client.send(Message::text(text.clone())).unwrap();
        server.handle_input(t0, &mut wire(&mut client));
        assert_eq!(
            events(&mut server),
            [Event::Message(Message::text(text.clone()))]
        );
        assert_eq!(server.deflate_state(), Some((false, true)));
        server.send(Message::text(text.clone())).unwrap();
        assert_eq!(server.deflate_state(), Some((true, true)));
        let release = t0 + local.release_after;
        assert_eq!(server.poll_timeout(), Some(release));
        server.handle_timeout(release);
        assert_eq!(server.deflate_state(), Some((false, false)));
        // And it comes back for the next message, which reads fine.
        client.handle_input(t0, &mut wire(&mut server));
        assert_eq!(
            events(&mut client),
            [Event::Message(Message::text(text.clone()))]
        );
        server.send(Message::text(text.clone())).unwrap();
        client.handle_input(t0, &mut wire(&mut server));
        assert_eq!(events(&mut client), [Event::Message(Message::text(text))]);

        // With context takeover the state is the context: it stays.
        let (mut client, mut server) =
            deflated(&DeflateParams::default(), Config::default(), &local);
        server.handle_timeout(t0);
        client.send(Message::text("x".repeat(100))).unwrap();
        server.handle_input(t0, &mut wire(&mut client));
        server.handle_timeout(t0 + Duration::from_secs(3600));
        assert_eq!(server.deflate_state(), Some((false, true)));
    }

    /// The echo of a compressed message goes back compressed: what the
    /// server sends is no larger than what it received, plus framing.
    #[test]
    fn an_echo_is_never_larger_than_the_message_that_asked_for_it() {
        for window in [9, 12, 15] {
            let params = DeflateParams {
                server_max_window_bits: window,
                client_max_window_bits: window,
                ..DeflateParams::default()
            };
            let (mut client, mut server) =
                deflated(&params, Config::default(), &DeflateConfig::default());
            let t0 = Instant::now();
            for message in [vec![0u8; 8 << 20], b"abc".repeat(100_000)] {
                client.send(Message::binary(message.clone())).unwrap();
                let mut sent = wire(&mut client);
                let received = sent.len();
                server.handle_input(t0, &mut sent);
                let Some(Event::Message(m)) = server.poll_event() else {
                    panic!("no message");
                };
                server.send(m).unwrap();
                let echo = wire(&mut server).len();
                // Frames of 1 MiB at most: 14 bytes of header each.
                assert!(
                    echo <= received + 14 * 9,
                    "window {window}: {received} in, {echo} out"
                );
            }
        }
    }

    /// An offer that limits the server to 8 bits is declined; the server
    /// does not end up echoing compressed input uncompressed.
    #[test]
    fn server_window_8_is_not_negotiated() {
        use rtw_ws::handshake::ExtensionOffer;
        let offer =
            ExtensionOffer::new("permessage-deflate").with_param("server_max_window_bits", "8");
        assert_eq!(DeflateConfig::default().negotiate(&[offer]), None);
    }
}
