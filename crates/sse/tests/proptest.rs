//! Property tests: the parser gives the same items however its input is
//! split, and `parse(serialize(m))` gives `m` back.

use bytes::BytesMut;
use proptest::prelude::*;
use rtw_sse::{Decoder, Event, Item, Message};

fn run(input: &[u8], cuts: &[usize]) -> (Vec<Item>, String) {
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
    cuts.sort_unstable();
    let mut p = Decoder::new();
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    let mut start = 0;
    for end in cuts.into_iter().chain([input.len()]) {
        buf.extend_from_slice(&input[start..end]);
        start = end;
        while let Some(i) = p.decode(&mut buf).unwrap() {
            out.push(i);
        }
    }
    while let Some(i) = p.decode_eof(&mut buf).unwrap() {
        out.push(i);
    }
    (out, p.last_event_id().to_owned())
}

/// Event-stream-like bytes: field names, colons, spaces, all line ends,
/// BOMs, invalid UTF-8.
fn streamish() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        Just(b"data".to_vec()),
        Just(b"event".to_vec()),
        Just(b"id".to_vec()),
        Just(b"retry".to_vec()),
        Just(b":".to_vec()),
        Just(b" ".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\xEF\xBB\xBF".to_vec()),
        Just(b"\xE2\x82".to_vec()),
        Just(b"\0".to_vec()),
        "[0-9a-z€]{1,4}".prop_map(String::into_bytes),
    ];
    proptest::collection::vec(token, 0..60).prop_map(|v| v.concat())
}

fn message() -> impl Strategy<Value = Message> {
    (
        "(?s).{0,40}",
        proptest::option::of("[^\r\n]{0,10}"),
        proptest::option::of("[^\r\n\0]{0,10}"),
        proptest::option::of(any::<u64>()),
    )
        .prop_map(|(data, event, id, retry)| {
            let mut m = Message::new(data);
            if let Some(e) = event {
                m = m.event(e).unwrap();
            }
            if let Some(i) = id {
                m = m.id(i).unwrap();
            }
            if let Some(r) = retry {
                m = m.retry(r);
            }
            m
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn split_invariance(input in streamish(), cuts in proptest::collection::vec(any::<usize>(), 0..20)) {
        let whole = run(&input, &[]);
        let bytewise: Vec<usize> = (1..input.len()).collect();
        prop_assert_eq!(&run(&input, &bytewise), &whole);
        prop_assert_eq!(&run(&input, &cuts), &whole);
    }

    #[test]
    fn parse_of_serialize_is_identity(messages in proptest::collection::vec(message(), 1..5), cuts in proptest::collection::vec(any::<usize>(), 0..10)) {
        let mut wire = BytesMut::new();
        let mut expected = Vec::new();
        let mut last_id = String::new();
        for m in &messages {
            m.write_to(&mut wire);
            if let Some(id) = m.event_id() {
                last_id = id.to_owned();
            }
            if let Some(r) = m.retry_ms() {
                expected.push(Item::Retry(r));
            }
            expected.push(Item::Event(
                Event::new(m.data())
                    .with_event_type(m.event_type().unwrap_or("message"))
                    .with_last_event_id(&last_id),
            ));
        }
        let (items, id) = run(&wire, &cuts);
        prop_assert_eq!(items, expected);
        prop_assert_eq!(id, last_id);
    }
}
