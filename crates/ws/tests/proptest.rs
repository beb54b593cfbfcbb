//! Property tests: frame encode/decode round trip, and a connection gives
//! the same events however its input is split, for valid and arbitrary
//! bytes.

use std::time::Instant;

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use rtw_ws::frame::{FrameDecoder, OpCode, encode_frame};
use rtw_ws::{Config, Connection, Event, Message, Role, SeededRandom};

fn opcode() -> impl Strategy<Value = OpCode> {
    prop_oneof![
        Just(OpCode::Continuation),
        Just(OpCode::Text),
        Just(OpCode::Binary),
        Just(OpCode::Close),
        Just(OpCode::Ping),
        Just(OpCode::Pong),
    ]
}

fn message() -> impl Strategy<Value = Message> {
    prop_oneof![
        ".{0,300}".prop_map(|s: String| Message::text(s)),
        proptest::collection::vec(any::<u8>(), 0..2000).prop_map(Message::binary),
        proptest::collection::vec(any::<u8>(), 0..126).prop_map(|p| Message::Ping(p.into())),
        proptest::collection::vec(any::<u8>(), 0..126).prop_map(|p| Message::Pong(p.into())),
    ]
}

/// Feed `input` in pieces ending at `cuts`; collect events and output.
fn run(role: Role, input: &[u8], cuts: &[usize]) -> (Vec<Event>, Vec<u8>) {
    let mut conn = Connection::with_config(
        role,
        Config::default().fragment_size(Some(64)),
        SeededRandom::new(3),
    );
    let mut buf = BytesMut::new();
    let mut start = 0;
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
    cuts.sort_unstable();
    for end in cuts.into_iter().chain([input.len()]) {
        buf.extend_from_slice(&input[start..end.max(start)]);
        start = end.max(start);
        conn.handle_input(Instant::now(), &mut buf);
    }
    let events = std::iter::from_fn(|| conn.poll_event()).collect();
    let mut out = Vec::new();
    while let Some(b) = conn.poll_transmit() {
        out.extend_from_slice(&b);
    }
    (events, out)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn frames_round_trip(op in opcode(), fin in any::<bool>(), rsv in 0u8..8, mask in any::<Option<[u8; 4]>>(), payload in proptest::collection::vec(any::<u8>(), 0..70_000)) {
        let fin = fin || op.is_control();
        let payload = if op.is_control() { &payload[..payload.len().min(125)] } else { &payload[..] };
        let mut wire = BytesMut::new();
        encode_frame(&mut wire, op, fin, rsv, mask, payload);
        let mut dec = FrameDecoder::any_role(u64::MAX);
        dec.set_allowed_rsv(0b111);
        let frame = dec.decode(&mut wire).unwrap().unwrap();
        prop_assert!(wire.is_empty());
        prop_assert_eq!((frame.header.opcode, frame.header.fin, frame.header.rsv, frame.header.mask), (op, fin, rsv, mask));
        prop_assert_eq!(&frame.payload[..], payload);
    }

    #[test]
    fn messages_arrive_intact_at_any_split(messages in proptest::collection::vec(message(), 1..6), cuts in proptest::collection::vec(any::<usize>(), 0..20)) {
        let mut client = Connection::with_config(Role::Client, Config::default().fragment_size(Some(64)), SeededRandom::new(9));
        for m in &messages {
            client.send(m.clone()).unwrap();
        }
        let mut wire = Vec::new();
        while let Some(b) = client.poll_transmit() {
            wire.extend_from_slice(&b);
        }
        let expected: Vec<Event> = messages.into_iter().map(Event::Message).collect();
        let (whole, out_whole) = run(Role::Server, &wire, &[]);
        prop_assert_eq!(&whole, &expected);
        let (split, out_split) = run(Role::Server, &wire, &cuts);
        prop_assert_eq!(&split, &expected);
        prop_assert_eq!(out_whole, out_split);
    }

    #[test]
    fn arbitrary_input_is_split_invariant(input in proptest::collection::vec(any::<u8>(), 0..400), cuts in proptest::collection::vec(any::<usize>(), 0..20), server in any::<bool>()) {
        let role = if server { Role::Server } else { Role::Client };
        let (whole, out_whole) = run(role, &input, &[]);
        let (split, out_split) = run(role, &input, &cuts);
        prop_assert_eq!(whole, split);
        prop_assert_eq!(out_whole, out_split);
    }
}

#[test]
fn text_payloads_keep_their_bytes() {
    let m = Message::text("κόσμε");
    let (mut c, mut s) = (
        Connection::new(Role::Client, SeededRandom::new(1)),
        Connection::new(Role::Server, SeededRandom::new(2)),
    );
    c.send(m.clone()).unwrap();
    let mut buf = BytesMut::from(&c.poll_transmit().unwrap()[..]);
    s.handle_input(Instant::now(), &mut buf);
    assert_eq!(s.poll_event(), Some(Event::Message(m)));
    let _ = Bytes::new();
}
