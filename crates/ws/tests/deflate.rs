//! permessage-deflate on connections (RFC 7692 §6): both ends in memory.
#![cfg(feature = "deflate")]

use std::time::Instant;

use bytes::BytesMut;
use proptest::prelude::*;
use rtw_ws::deflate::{DeflateConfig, DeflateParams};
use rtw_ws::frame::{OpCode, encode_frame};
use rtw_ws::{
    CloseCode, Config, Connection, Error, Event, Limits, Message, MessageKind, Role, SeededRandom,
};

mod common;
use common::{close_code, events, wire};

const MASK: Option<[u8; 4]> = Some([1, 2, 3, 4]);
/// "Hello" compressed (RFC 7692 §7.2.3.1).
const HELLO: [u8; 7] = [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];

fn pair(params: DeflateParams, config: Config) -> (Connection, Connection) {
    let local = DeflateConfig::default();
    let client = Connection::with_config(Role::Client, config.clone(), SeededRandom::new(1))
        .with_deflate(&params, &local);
    let server = Connection::with_config(Role::Server, config, SeededRandom::new(2))
        .with_deflate(&params, &local);
    (client, server)
}

fn json(n: usize) -> String {
    (0..n)
        .map(|i| format!("{{\"id\":{i},\"name\":\"item {i}\",\"tags\":[\"a\",\"b\"]}},"))
        .collect()
}

fn server_with_input(frames: &[u8], config: Config) -> (Vec<Event>, BytesMut) {
    let mut server = Connection::with_config(Role::Server, config, SeededRandom::new(2))
        .with_deflate(&DeflateParams::default(), &DeflateConfig::default());
    server.handle_input(Instant::now(), &mut BytesMut::from(frames));
    (events(&mut server), wire(&mut server))
}

#[test]
fn messages_round_trip_compressed_in_both_directions() {
    for params in [
        DeflateParams::default(),
        DeflateParams {
            server_no_context_takeover: true,
            client_no_context_takeover: true,
            server_max_window_bits: 9,
            client_max_window_bits: 10,
        },
        DeflateParams {
            server_max_window_bits: 8,
            client_max_window_bits: 8,
            ..DeflateParams::default()
        },
    ] {
        let config = Config::default().fragment_size(Some(1000));
        let (mut client, mut server) = pair(params, config);
        for round in 0..3 {
            let text = json(200 + round);
            client.send(Message::text(text.clone())).unwrap();
            client.send(Message::Ping("p".into())).unwrap();
            let mut w = wire(&mut client);
            if params.client_max_window_bits > 8 {
                assert!(w.len() < text.len() / 3, "{params:?}: {}", w.len());
                assert_eq!(w[0] & 0x70, 0x40, "RSV1 on the first frame");
            }
            server.handle_input(Instant::now(), &mut w);
            let got = events(&mut server);
            assert_eq!(got[0], Event::Message(Message::text(text.clone())));
            assert_eq!(got[1], Event::Message(Message::Ping("p".into())));
            server
                .send(Message::binary(text.clone().into_bytes()))
                .unwrap();
            let mut w = wire(&mut server);
            let _pong = w.split_to(3);
            client.handle_input(Instant::now(), &mut w);
            assert_eq!(
                events(&mut client),
                [Event::Message(Message::binary(text.into_bytes()))]
            );
        }
    }
}

#[test]
fn short_messages_go_uncompressed_and_are_read_either_way() {
    let (mut client, mut server) = pair(DeflateParams::default(), Config::default());
    client.send(Message::text("hi")).unwrap();
    let mut w = wire(&mut client);
    assert_eq!(w[0], 0x81, "no RSV1 under the threshold");
    server.handle_input(Instant::now(), &mut w);
    assert_eq!(events(&mut server), [Event::Message(Message::text("hi"))]);
    // send_fragment messages go uncompressed too.
    client
        .send_fragment(MessageKind::Binary, vec![7; 100], false)
        .unwrap();
    client
        .send_fragment(MessageKind::Binary, vec![8; 100], true)
        .unwrap();
    let mut w = wire(&mut client);
    assert_eq!(w[0] & 0x70, 0);
    server.handle_input(Instant::now(), &mut w);
    let mut expected = vec![7; 100];
    expected.extend([8; 100]);
    assert_eq!(
        events(&mut server),
        [Event::Message(Message::binary(expected))]
    );
}

#[test]
fn rfc7692_hello_fragmented_with_a_ping_between() {
    let mut frames = BytesMut::new();
    encode_frame(&mut frames, OpCode::Text, false, 0b100, MASK, &HELLO[..3]);
    encode_frame(&mut frames, OpCode::Ping, true, 0, MASK, b"x");
    encode_frame(
        &mut frames,
        OpCode::Continuation,
        true,
        0,
        MASK,
        &HELLO[3..],
    );
    let (got, _) = server_with_input(&frames, Config::default());
    assert_eq!(
        got,
        [
            Event::Message(Message::Ping("x".into())),
            Event::Message(Message::text("Hello")),
        ]
    );
    // Fragments are delivered inflated.
    let config = Config::default().deliver_fragments(true);
    let (got, _) = server_with_input(&frames, config);
    let payloads: Vec<_> = got
        .iter()
        .filter_map(|e| match e {
            Event::Fragment(f) => Some(f.payload.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(payloads.concat(), b"Hello");
}

#[test]
fn rsv1_on_continuation_or_control_frames_is_a_protocol_error() {
    let mut frames = BytesMut::new();
    encode_frame(&mut frames, OpCode::Text, false, 0b100, MASK, &HELLO[..3]);
    encode_frame(
        &mut frames,
        OpCode::Continuation,
        true,
        0b100,
        MASK,
        &HELLO[3..],
    );
    let (got, w) = server_with_input(&frames, Config::default());
    assert_eq!(got, [Event::Failed(Error::CompressedContinuation)]);
    assert_eq!(close_code(&w), CloseCode::PROTOCOL_ERROR.0);

    let mut frames = BytesMut::new();
    encode_frame(&mut frames, OpCode::Ping, true, 0b100, MASK, b"");
    let (got, w) = server_with_input(&frames, Config::default());
    assert_eq!(got, [Event::Failed(Error::CompressedControlFrame)]);
    assert_eq!(close_code(&w), 1002);

    // RSV2 stays reserved, and RSV1 without deflate too.
    let mut frames = BytesMut::new();
    encode_frame(&mut frames, OpCode::Text, true, 0b010, MASK, b"");
    let (got, _) = server_with_input(&frames, Config::default());
    assert_eq!(got, [Event::Failed(Error::ReservedBits { bits: 0b010 })]);
    let mut plain = Connection::new(Role::Server, SeededRandom::new(3));
    let mut frames = BytesMut::new();
    encode_frame(&mut frames, OpCode::Text, true, 0b100, MASK, &HELLO);
    plain.handle_input(Instant::now(), &mut frames);
    assert_eq!(
        events(&mut plain),
        [Event::Failed(Error::ReservedBits { bits: 0b100 })]
    );
}

#[test]
fn invalid_data_after_inflating_fails_with_1007() {
    let mut frames = BytesMut::new();
    encode_frame(&mut frames, OpCode::Binary, true, 0b100, MASK, &[0xff; 8]);
    let (got, w) = server_with_input(&frames, Config::default());
    assert_eq!(got, [Event::Failed(Error::InvalidCompressedData)]);
    assert_eq!(close_code(&w), 1007);

    // Invalid UTF-8, compressed by a peer.
    let mut client = Connection::new(Role::Client, SeededRandom::new(1))
        .with_deflate(&DeflateParams::default(), &DeflateConfig::default());
    client.send(Message::binary(vec![0xc0; 200])).unwrap();
    let mut w = wire(&mut client);
    w[0] = (w[0] & 0xf0) | 0x1; // make it a text message
    let (got, w) = server_with_input(&w, Config::default());
    assert_eq!(got, [Event::Failed(Error::InvalidUtf8)]);
    assert_eq!(close_code(&w), 1007);
}

#[test]
fn decompression_bombs_fail_with_1009() {
    let mut client = Connection::with_config(
        Role::Client,
        Config::default().fragment_size(Some(4096)),
        SeededRandom::new(1),
    )
    .with_deflate(&DeflateParams::default(), &DeflateConfig::default());
    client.send(Message::binary(vec![0u8; 8 << 20])).unwrap();
    let w = wire(&mut client);
    assert!(w.len() < 64 << 10, "{}", w.len());
    let config = Config::default().limits(Limits::default().max_message_size(1 << 20));
    let (got, out) = server_with_input(&w, config);
    assert_eq!(
        got,
        [Event::Failed(Error::MessageTooLarge { limit: 1 << 20 })]
    );
    assert_eq!(close_code(&out), 1009);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Inflated messages are the same however the input is split.
    #[test]
    fn compressed_input_is_split_invariant(
        sizes in proptest::collection::vec(0usize..3000, 1..6),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..8),
        takeover in any::<bool>(),
    ) {
        let params = DeflateParams {
            client_no_context_takeover: !takeover,
            ..DeflateParams::default()
        };
        let config = Config::default().fragment_size(Some(500));
        let (mut client, _) = pair(params, config.clone());
        let texts: Vec<String> = sizes.iter().map(|&n| json(n / 40 + 1)[..n].to_owned()).collect();
        for t in &texts {
            client.send(Message::text(t.clone())).unwrap();
        }
        let w = wire(&mut client);
        let mut points: Vec<usize> = cuts.iter().map(|i| i.index(w.len() + 1)).collect();
        points.sort_unstable();
        let (_, mut server) = pair(params, config);
        let mut got = Vec::new();
        let mut last = 0;
        let mut buf = BytesMut::new();
        for p in points.into_iter().chain([w.len()]) {
            buf.extend_from_slice(&w[last..p]);
            last = p;
            server.handle_input(Instant::now(), &mut buf);
            got.extend(events(&mut server));
        }
        prop_assert!(buf.is_empty());
        let expected: Vec<Event> = texts.into_iter().map(|t| Event::Message(Message::text(t))).collect();
        prop_assert_eq!(got, expected);
    }
}

#[test]
fn inflated_bytes_count_what_compressed_messages_inflated_to() {
    let (mut client, mut server) = pair(DeflateParams::default(), Config::default());
    assert_eq!(server.inflated_bytes(), 0);
    let now = Instant::now();
    for (i, size) in [1 << 20, 10, 300_000].into_iter().enumerate() {
        client.send(Message::binary(vec![0u8; size])).unwrap();
        let mut w = wire(&mut client);
        assert!(w.len() < size.max(100), "compressed: {} bytes", w.len());
        server.handle_input(now, &mut w);
        assert_eq!(events(&mut server).len(), 1, "message {i}");
    }
    // 10 bytes are under the compression threshold: sent as they are.
    assert_eq!(server.inflated_bytes(), (1 << 20) + 300_000);
    let plain = Connection::new(Role::Server, SeededRandom::new(3));
    assert_eq!(plain.inflated_bytes(), 0, "no permessage-deflate");
}
