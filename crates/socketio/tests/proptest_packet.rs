//! Properties of the codec: every valid packet, binary ones included,
//! round-trips through `encode` and the `Decoder`; no text or binary
//! message makes the decoder panic, and what it gives round-trips too.

use bytes::Bytes;
use proptest::prelude::*;
use rtw_socketio::{Args, Decoder, EngineMessage, Limits, Packet, RESERVED_EVENTS, encode};
use serde_json::{Value, json};

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        "[ -~é\"\\\\\u{1F600}]{0,12}".prop_map(Value::String),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn namespace() -> impl Strategy<Value = String> {
    prop_oneof![Just("/".to_owned()), "/[a-zA-Z0-9_/-]{1,10}"]
}

fn args() -> impl Strategy<Value = Args> {
    (
        prop::collection::vec(json_value(), 0..4),
        prop::collection::vec(prop::collection::vec(any::<u8>(), 0..8), 0..4),
    )
        .prop_map(|(values, binaries)| {
            let mut args = Args::from(values);
            for b in binaries {
                args = args.binary(Bytes::from(b));
            }
            args
        })
}

fn packet() -> impl Strategy<Value = Packet> {
    let name =
        "[a-zA-Z0-9 _-]{1,12}".prop_filter("reserved", |n| !RESERVED_EVENTS.contains(&n.as_str()));
    prop_oneof![
        (namespace(), prop::option::of(json_value())).prop_map(|(ns, auth)| {
            let auth = auth.map(|v| json!({ "auth": v }));
            Packet::connect(&ns, auth)
        }),
        namespace().prop_map(|ns| Packet::disconnect(&ns)),
        (namespace(), "[ -~]{0,20}", prop::option::of(json_value()))
            .prop_map(|(ns, m, d)| Packet::connect_error(&ns, &m, d)),
        (namespace(), name, args(), prop::option::of(any::<u64>()))
            .prop_map(|(ns, n, a, id)| Packet::event(&ns, &n, a, id)),
        (namespace(), any::<u64>(), args()).prop_map(|(ns, id, a)| Packet::ack(&ns, id, a)),
    ]
}

fn decode_all(decoder: &mut Decoder, text: String, attachments: Vec<Bytes>) -> Option<Packet> {
    let mut got = decoder.decode(EngineMessage::Text(text)).unwrap();
    for a in attachments {
        assert!(got.is_none());
        got = decoder.decode(EngineMessage::Binary(a)).unwrap();
    }
    got
}

proptest! {
    #[test]
    fn round_trip(packet in packet()) {
        let (text, attachments) = encode(&packet);
        let mut decoder = Decoder::new(Limits::default());
        let decoded = decode_all(&mut decoder, text, attachments);
        prop_assert_eq!(decoded, Some(packet));
        prop_assert!(!decoder.is_awaiting_attachments());
    }

    #[test]
    fn arbitrary_messages_never_panic(
        messages in prop::collection::vec(
            prop_oneof![
                "[0-6]{0,1}[0-9-]{0,3}(/[a-z,]{0,4})?[0-9]{0,3}[\\[\\]{}\",:a-z0-9_ ]{0,24}"
                    .prop_map(EngineMessage::Text),
                any::<String>().prop_map(EngineMessage::Text),
                prop::collection::vec(any::<u8>(), 0..6)
                    .prop_map(|b| EngineMessage::Binary(Bytes::from(b))),
            ],
            0..8,
        )
    ) {
        let limits = Limits::default().max_attachments(3).max_attachment_size(4);
        let mut decoder = Decoder::new(limits.clone());
        for message in messages {
            if let Ok(Some(packet)) = decoder.decode(message) {
                prop_assert!(packet.attachments.len() <= 3);
                let (text, attachments) = encode(&packet);
                let again = decode_all(&mut Decoder::new(limits.clone()), text, attachments);
                prop_assert_eq!(again, Some(packet));
            }
        }
    }
}
