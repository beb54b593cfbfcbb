//! Properties: no text, in any order from any connection, makes the
//! server panic or break its limits; every forwarded object is the sent
//! one plus `from`.

mod common;

use std::time::Duration;

use common::Harness;
use proptest::prelude::*;
use rtw_signal::{Config, Limits};
use serde_json::{Map, Value, json};

/// Any JSON value, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(".{0,8}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Text a client might send: mostly protocol-shaped, with wrong types,
/// unknown ids and raw garbage mixed in.
fn any_text() -> impl Strategy<Value = String> {
    let id = prop_oneof![
        Just("a".to_owned()),
        Just("b".to_owned()),
        Just("c".to_owned()),
        "[a-z.~_-]{0,3}",
        ".{0,4}",
    ];
    let kind = prop_oneof![
        Just("join"),
        Just("leave"),
        Just("offer"),
        Just("answer"),
        Just("candidate"),
        Just("end-of-candidates"),
        Just("bye"),
        Just("data"),
        Just("nope"),
    ];
    let object = (
        kind,
        proptest::option::of(id.clone()),
        proptest::option::of(id.clone()),
        proptest::option::of(id),
        proptest::option::of(any_json()),
        proptest::option::of(any_json()),
    )
        .prop_map(|(kind, room, peer, to, a, b)| {
            let mut map = Map::new();
            map.insert("type".into(), json!(kind));
            for (key, value) in [("room", room), ("peer", peer), ("to", to)] {
                if let Some(value) = value {
                    map.insert(key.into(), json!(value));
                }
            }
            if let Some(a) = a {
                map.insert(
                    match kind {
                        "offer" | "answer" => "sdp",
                        "candidate" => "candidate",
                        "join" => "resume",
                        _ => "data",
                    }
                    .into(),
                    a,
                );
            }
            if let Some(b) = b {
                map.insert("sdpMid".into(), b);
            }
            Value::Object(map).to_string()
        });
    prop_oneof![
        6 => object,
        1 => ".{0,40}",
        1 => any_json().prop_map(|v| v.to_string()),
    ]
}

#[derive(Debug, Clone)]
enum Op {
    Connect,
    Text(usize, String),
    Disconnect(usize),
    Wait(u64),
}

fn any_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => Just(Op::Connect),
        8 => (0usize..6, any_text()).prop_map(|(c, t)| Op::Text(c, t)),
        1 => (0usize..6).prop_map(Op::Disconnect),
        1 => (0u64..15_000).prop_map(Op::Wait),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_text_never_panics_and_limits_hold(ops in prop::collection::vec(any_op(), 1..80)) {
        let limits = Limits::default()
            .max_rooms(3)
            .max_peers(5)
            .max_room_size(3)
            .max_queued_while_away(4)
            .max_queued_bytes(300)
            .burst(20)
            .messages_per_second(5)
            .max_rate_limited(10);
        let mut h = Harness::new(Config::default().limits(limits));
        let mut connections = vec![h.connect(), h.connect()];
        for op in ops {
            match op {
                Op::Connect => connections.push(h.connect()),
                Op::Text(c, text) => {
                    let c = connections[c % connections.len()];
                    h.send(c, &text);
                }
                Op::Disconnect(c) => {
                    let c = connections[c % connections.len()];
                    h.disconnect(c);
                }
                Op::Wait(ms) => h.advance(Duration::from_millis(ms)),
            }
            // Harness::drain checked that every text is a JSON object with
            // a string type.
            let stats = h.server.stats();
            prop_assert!(stats.rooms <= 3);
            prop_assert!(stats.peers <= 5);
            prop_assert!(stats.away <= stats.peers);
            prop_assert!(stats.queued_bytes <= 300);
            if stats.away == 0 {
                prop_assert_eq!(stats.queued_bytes, 0);
            }
            for room in ["a", "b", "c"] {
                prop_assert!(h.server.room_peers(room).len() <= 3);
            }
            if let Some(at) = h.server.poll_timeout() {
                prop_assert!(at > h.now - Duration::from_secs(1));
            }
        }
        for c in connections {
            h.disconnect(c);
        }
        h.advance(Duration::from_secs(11));
        let stats = h.server.stats();
        prop_assert_eq!(
            (stats.connections, stats.rooms, stats.peers, stats.away, stats.queued_bytes),
            (0, 0, 0, 0, 0)
        );
    }

    #[test]
    fn forwarded_objects_are_the_sent_ones_plus_from(
        kind in prop_oneof![Just("offer"), Just("answer"), Just("candidate"),
            Just("end-of-candidates"), Just("bye"), Just("data")],
        addressed in any::<bool>(),
        extra in prop::collection::btree_map("[a-zA-Z]{1,8}", any_json(), 0..4),
        data in any_json(),
        sdp in ".{0,64}",
    ) {
        let mut h = Harness::new(Config::default());
        let (a, _) = h.join("room", "alice");
        let (b, _) = h.join("room", "bob");
        h.take(a);
        let mut sent: Map<String, Value> = extra.into_iter().collect();
        // A "from" of the sender's own is replaced (tests/rooms.rs).
        sent.remove("from");
        sent.insert("type".into(), json!(kind));
        match kind {
            "offer" | "answer" => { sent.insert("sdp".into(), json!(sdp)); }
            "candidate" => {
                sent.insert("candidate".into(), json!({"candidate": sdp, "sdpMid": "0", "sdpMLineIndex": 0}));
            }
            "end-of-candidates" => { sent.insert("sdpMid".into(), json!(sdp)); }
            "data" => { sent.insert("data".into(), data); }
            _ => {}
        }
        if addressed {
            sent.insert("to".into(), json!("alice"));
        } else {
            sent.remove("to");
        }
        let text = Value::Object(sent).to_string();
        h.send(b, &text);
        prop_assert!(h.take(b).is_empty());
        let raw = h.raw.get(&a).cloned().unwrap_or_default();
        let got = h.take_one(a);
        // Parsed the same way (serde_json's float parsing is not an exact
        // round trip, so compare with the sent text parsed, not `sent`).
        let mut expected: Value = serde_json::from_str(&text).unwrap();
        expected["from"] = json!("bob");
        prop_assert_eq!(got, expected);
        // And byte for byte: `from` first, then the sender's text.
        prop_assert_eq!(raw, vec![format!("{{\"from\":\"bob\",{}", &text[1..])]);
    }
}
