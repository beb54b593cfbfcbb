//! Connection behaviour: a client and a server connection driven against
//! each other in memory, and raw frames fed to a server to check every
//! failure closes with the right code (RFC 6455 §7.4.1).

use std::time::Instant;

use bytes::{Bytes, BytesMut};
use rtw_ws::frame::{OpCode, encode_frame};
use rtw_ws::{
    CloseCode, CloseFrame, Config, Connection, Error, Event, Fragment, Limits, Message,
    MessageKind, Role, SeededRandom, State,
};

mod common;
use common::events;

fn pair(config: Config) -> (Connection, Connection) {
    (
        Connection::with_config(Role::Client, config.clone(), SeededRandom::new(7)),
        Connection::with_config(Role::Server, config, SeededRandom::new(8)),
    )
}

/// Move everything `from` has to send into `to`, `piece` bytes at a time.
fn deliver(from: &mut Connection, to: &mut Connection, piece: usize) {
    let mut wire = Vec::new();
    while let Some(b) = from.poll_transmit() {
        wire.extend_from_slice(&b);
    }
    let mut buf = BytesMut::new();
    for chunk in wire.chunks(piece.max(1)) {
        buf.extend_from_slice(chunk);
        to.handle_input(Instant::now(), &mut buf);
    }
}

fn masked(opcode: OpCode, fin: bool, payload: &[u8]) -> Vec<u8> {
    let mut b = BytesMut::new();
    encode_frame(&mut b, opcode, fin, 0, Some([1, 2, 3, 4]), payload);
    b.to_vec()
}

/// Feed raw client bytes to a server; return its events and what it sent.
fn server_gets(input: &[u8], piece: usize) -> (Vec<Event>, Vec<u8>, State) {
    let mut server = Connection::new(Role::Server, SeededRandom::new(1));
    let mut buf = BytesMut::new();
    for chunk in input.chunks(piece.max(1)) {
        buf.extend_from_slice(chunk);
        server.handle_input(Instant::now(), &mut buf);
    }
    let mut out = Vec::new();
    while let Some(b) = server.poll_transmit() {
        out.extend_from_slice(&b);
    }
    (events(&mut server), out, server.state())
}

fn close_frame_bytes(code: u16) -> Vec<u8> {
    let mut b = BytesMut::new();
    encode_frame(&mut b, OpCode::Close, true, 0, None, &code.to_be_bytes());
    b.to_vec()
}

#[test]
fn messages_cross_in_both_directions_at_any_split() {
    for piece in [1, 2, 3, 7, 64, 100_000] {
        let config = Config::default().fragment_size(Some(10));
        let (mut client, mut server) = pair(config);
        let text = "Hello κόσμε €𝄞 ".repeat(5);
        client.send(Message::text(text.as_str())).unwrap();
        client.send(Message::binary(vec![0u8, 1, 2, 255])).unwrap();
        client
            .send(Message::Ping(Bytes::from_static(b"p")))
            .unwrap();
        deliver(&mut client, &mut server, piece);
        assert_eq!(
            events(&mut server),
            [
                Event::Message(Message::text(text.as_str())),
                Event::Message(Message::binary(vec![0u8, 1, 2, 255])),
                Event::Message(Message::Ping(Bytes::from_static(b"p"))),
            ],
            "piece {piece}"
        );
        server.send(Message::text("back")).unwrap();
        deliver(&mut server, &mut client, piece);
        assert_eq!(
            events(&mut client),
            [
                Event::Message(Message::Pong(Bytes::from_static(b"p"))),
                Event::Message(Message::text("back")),
            ]
        );
    }
}

#[test]
fn closing_handshake_started_by_the_client() {
    let (mut client, mut server) = pair(Config::default());
    client
        .close(Some(CloseFrame::new(CloseCode::GOING_AWAY, "bye")))
        .unwrap();
    assert_eq!(client.state(), State::Closing);
    assert_eq!(client.send(Message::text("late")), Err(Error::Closed));
    deliver(&mut client, &mut server, 3);
    assert_eq!(
        events(&mut server),
        [Event::Message(Message::Close(Some(CloseFrame::new(
            CloseCode::GOING_AWAY,
            "bye"
        ))))]
    );
    assert_eq!(server.state(), State::Closed);
    deliver(&mut server, &mut client, 3);
    // The reply echoes the code (§5.5.1).
    assert_eq!(
        events(&mut client),
        [Event::Message(Message::Close(Some(CloseFrame::new(
            CloseCode::GOING_AWAY,
            ""
        ))))]
    );
    assert_eq!(client.state(), State::Closed);
    assert_eq!(client.poll_transmit(), None);
}

#[test]
fn empty_close_is_answered_with_empty_close() {
    let mut input = masked(OpCode::Close, true, b"");
    input.extend(masked(OpCode::Text, true, b"ignored after close"));
    let (ev, out, state) = server_gets(&input, 100);
    assert_eq!(ev, [Event::Message(Message::Close(None))]);
    assert_eq!(out, [0x88, 0x00]);
    assert_eq!(state, State::Closed);
}

#[test]
fn data_sent_after_close_is_refused_but_received_data_is_delivered() {
    let (mut client, mut server) = pair(Config::default());
    server.close(None).unwrap();
    client.send(Message::text("in flight")).unwrap();
    deliver(&mut client, &mut server, 5);
    assert_eq!(
        events(&mut server),
        [Event::Message(Message::text("in flight"))]
    );
    assert_eq!(server.state(), State::Closing);
}

#[test]
fn every_violation_fails_with_its_close_code() {
    let text = |fin, p: &[u8]| masked(OpCode::Text, fin, p);
    let cont = |fin, p: &[u8]| masked(OpCode::Continuation, fin, p);
    let mut rsv = masked(OpCode::Text, true, b"x");
    rsv[0] |= 0x40;
    let mut reserved_op = masked(OpCode::Binary, true, b"");
    reserved_op[0] = 0x83;
    let mut unmasked = BytesMut::new();
    encode_frame(&mut unmasked, OpCode::Text, true, 0, None, b"hi");
    let big_ping = masked(OpCode::Ping, true, &[0; 126]);
    let cases: Vec<(&str, Vec<u8>, Error, u16)> = vec![
        (
            "RSV2 without extension",
            rsv,
            Error::ReservedBits { bits: 0b100 },
            1002,
        ),
        (
            "reserved opcode",
            reserved_op,
            Error::ReservedOpcode(3),
            1002,
        ),
        (
            "unmasked client frame",
            unmasked.to_vec(),
            Error::UnmaskedFrame,
            1002,
        ),
        (
            "ping over 125 bytes",
            big_ping,
            Error::ControlFrameTooLong(126),
            1002,
        ),
        (
            "fragmented ping",
            masked(OpCode::Ping, false, b""),
            Error::FragmentedControlFrame,
            1002,
        ),
        (
            "continuation first",
            cont(true, b"x"),
            Error::UnexpectedContinuation,
            1002,
        ),
        (
            "text inside fragmented text",
            [text(false, b"a"), text(true, b"b")].concat(),
            Error::ExpectedContinuation,
            1002,
        ),
        (
            "invalid UTF-8",
            text(
                true,
                b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80",
            ),
            Error::InvalidUtf8,
            1007,
        ),
        (
            "UTF-8 cut at message end",
            [text(false, b"\xe2\x82"), cont(true, b"")].concat(),
            Error::InvalidUtf8,
            1007,
        ),
        (
            "close with 1 byte",
            masked(OpCode::Close, true, &[3]),
            Error::CloseFrameTooShort,
            1002,
        ),
        (
            "close code 1005",
            masked(OpCode::Close, true, &1005u16.to_be_bytes()),
            Error::InvalidCloseCode(1005),
            1002,
        ),
        (
            "close code 999",
            masked(OpCode::Close, true, &999u16.to_be_bytes()),
            Error::InvalidCloseCode(999),
            1002,
        ),
        (
            "close code 5000",
            masked(OpCode::Close, true, &5000u16.to_be_bytes()),
            Error::InvalidCloseCode(5000),
            1002,
        ),
        (
            "close reason not UTF-8",
            masked(OpCode::Close, true, b"\x03\xe8\xff"),
            Error::InvalidCloseReason,
            1007,
        ),
    ];
    for (name, input, error, code) in cases {
        for piece in [1, 1000] {
            let (ev, out, state) = server_gets(&input, piece);
            assert_eq!(
                ev.last(),
                Some(&Event::Failed(error.clone())),
                "{name} ({piece})"
            );
            assert_eq!(error.close_code(), Some(CloseCode(code)), "{name}");
            assert_eq!(out, close_frame_bytes(code), "{name}: close frame sent");
            assert_eq!(state, State::Closed, "{name}");
        }
    }
}

#[test]
fn invalid_utf8_fails_before_the_frame_is_complete() {
    // A text frame whose third byte is invalid: the server fails as soon as
    // that byte arrives, long before the 1,000-byte frame is complete
    // (Autobahn 6.4.x "fail fast").
    let mut payload = vec![b'a'; 1000];
    payload[2] = 0xff;
    let wire = masked(OpCode::Text, true, &payload);
    let mut server = Connection::new(Role::Server, SeededRandom::new(1));
    let mut buf = BytesMut::new();
    let header_len = 8; // 2 + 2 (16-bit length) + 4 (mask)
    for (i, b) in wire.iter().enumerate() {
        buf.extend_from_slice(&[*b]);
        server.handle_input(Instant::now(), &mut buf);
        if server.state() == State::Closed {
            assert_eq!(i, header_len + 2, "failed at the bad byte");
            assert_eq!(server.poll_event(), Some(Event::Failed(Error::InvalidUtf8)));
            return;
        }
    }
    panic!("never failed");
}

#[test]
fn size_limits_fail_with_1009_before_buffering() {
    let config =
        Config::default().limits(Limits::default().max_frame_size(100).max_message_size(150));
    let mut server = Connection::with_config(Role::Server, config.clone(), SeededRandom::new(1));
    // Only the header of a 101-byte frame: fails already.
    let wire = masked(OpCode::Binary, true, &[0; 101]);
    server.handle_input(Instant::now(), &mut BytesMut::from(&wire[..6]));
    assert_eq!(
        server.poll_event(),
        Some(Event::Failed(Error::FrameTooLarge {
            len: 101,
            limit: 100
        }))
    );
    let mut server = Connection::with_config(Role::Server, config, SeededRandom::new(1));
    let mut wire = masked(OpCode::Binary, false, &[0; 100]);
    wire.extend(masked(OpCode::Continuation, true, &[0; 51]));
    server.handle_input(Instant::now(), &mut BytesMut::from(&wire[..]));
    assert_eq!(
        server.poll_event(),
        Some(Event::Failed(Error::MessageTooLarge { limit: 150 }))
    );
    let mut out = Vec::new();
    while let Some(b) = server.poll_transmit() {
        out.extend_from_slice(&b);
    }
    assert_eq!(out, close_frame_bytes(1009));
}

#[test]
fn control_frames_between_fragments_and_every_ping_answered() {
    let mut input = masked(OpCode::Text, false, b"Hel");
    input.extend(masked(OpCode::Ping, true, b"1"));
    input.extend(masked(OpCode::Ping, true, b"2"));
    input.extend(masked(OpCode::Continuation, true, b"lo"));
    let (ev, out, _) = server_gets(&input, 1000);
    assert_eq!(
        ev,
        [
            Event::Message(Message::Ping(Bytes::from_static(b"1"))),
            Event::Message(Message::Ping(Bytes::from_static(b"2"))),
            Event::Message(Message::text("Hello")),
        ]
    );
    assert_eq!(out, [0x8a, 0x01, b'1', 0x8a, 0x01, b'2']);
}

#[test]
fn under_backpressure_only_the_latest_ping_is_answered() {
    let config = Config::default().limits(Limits::default().max_write_buffer(4));
    let mut server = Connection::with_config(Role::Server, config, SeededRandom::new(1));
    server.send(Message::binary(vec![0u8; 10])).unwrap();
    let mut input = BytesMut::new();
    for p in [b"1", b"2", b"3"] {
        input.extend_from_slice(&masked(OpCode::Ping, true, p));
    }
    server.handle_input(Instant::now(), &mut input);
    let mut out = Vec::new();
    while let Some(b) = server.poll_transmit() {
        out.extend_from_slice(&b);
    }
    assert_eq!(&out[12..], [0x8a, 0x01, b'3']);
}

#[test]
fn messages_before_a_bad_frame_can_be_answered() {
    let mut input = BytesMut::new();
    input.extend_from_slice(&masked(OpCode::Text, true, b"first"));
    input.extend_from_slice(&[0xF1, 0x80, 0, 0, 0, 0]);
    let mut server = Connection::new(Role::Server, SeededRandom::new(1));
    assert!(server.handle_input_until_event(Instant::now(), &mut input));
    assert_eq!(
        server.poll_event(),
        Some(Event::Message(Message::text("first")))
    );
    server.send(Message::text("first")).unwrap();
    assert!(server.handle_input_until_event(Instant::now(), &mut input));
    assert!(matches!(
        server.poll_event(),
        Some(Event::Failed(Error::ReservedBits { .. }))
    ));
    assert!(!server.handle_input_until_event(Instant::now(), &mut input));
    let out = server.poll_transmit().unwrap();
    assert_eq!(&out[..7], b"\x81\x05first");
    assert_eq!(&out[7..], close_frame_bytes(1002));
}

#[test]
fn fragments_are_delivered_as_they_come_when_asked() {
    let config = Config::default().deliver_fragments(true);
    let (mut client, mut server) = pair(config);
    client
        .send_fragment(MessageKind::Text, "€".as_bytes()[..1].as_ref(), false)
        .unwrap();
    client.send(Message::Ping(Bytes::new())).unwrap();
    client
        .send_fragment(MessageKind::Text, &"€".as_bytes()[1..], true)
        .unwrap();
    deliver(&mut client, &mut server, 1);
    assert_eq!(
        events(&mut server),
        [
            Event::Fragment(Fragment {
                kind: MessageKind::Text,
                payload: Bytes::from_static(b"\xe2"),
                first: true,
                fin: false
            }),
            Event::Message(Message::Ping(Bytes::new())),
            Event::Fragment(Fragment {
                kind: MessageKind::Text,
                payload: Bytes::from_static(b"\x82\xac"),
                first: false,
                fin: true
            }),
        ]
    );
}

#[test]
fn caller_misuse_is_refused_without_closing() {
    let config = Config::default().limits(Limits::default().max_write_buffer(10));
    let (mut client, _) = pair(config);
    assert_eq!(
        client.send(Message::Ping(Bytes::from(vec![0; 126]))),
        Err(Error::ControlPayloadTooLong(126))
    );
    assert_eq!(
        client.close(Some(CloseFrame::new(CloseCode::NO_STATUS, ""))),
        Err(Error::CloseCodeNotSendable(1005))
    );
    assert_eq!(
        client.send_fragment(MessageKind::Text, &b"\xff"[..], true),
        Err(Error::InvalidUtf8)
    );
    client
        .send_fragment(MessageKind::Binary, &b"a"[..], false)
        .unwrap();
    assert!(matches!(
        client.send(Message::text("x")),
        Err(Error::FragmentOrder(_))
    ));
    assert!(matches!(
        client.send_fragment(MessageKind::Text, &b"x"[..], true),
        Err(Error::FragmentOrder(_))
    ));
    client
        .send_fragment(MessageKind::Binary, vec![0; 20], true)
        .unwrap();
    assert_eq!(
        client.send(Message::text("x")),
        Err(Error::WriteBufferFull { limit: 10 })
    );
    assert!(client.poll_transmit().is_some());
    client.send(Message::text("x")).unwrap();
    assert_eq!(client.state(), State::Open);
}

#[test]
fn client_masks_every_frame_with_a_fresh_key() {
    let (mut client, _) = pair(Config::default());
    client.send(Message::text("a")).unwrap();
    client.send(Message::text("a")).unwrap();
    let wire = client.poll_transmit().unwrap();
    assert_eq!(wire.len(), 14);
    assert_eq!(wire[1] & 0x80, 0x80);
    assert_eq!(wire[8] & 0x80, 0x80);
    assert_ne!(wire[2..6], wire[9..13], "a new masking key per frame");
}
