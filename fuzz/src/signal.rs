//! What the signaling target shares: client messages built from a few
//! fuzz bytes (so that the fuzzer reaches joined rooms, resumes and
//! forwarding, not only `bad-message`), and the checks of what a
//! signaling server may send.

use serde_json::{Map, Value, json};

/// Rooms a built message names: three valid ids and one invalid.
pub const ROOMS: [&str; 4] = ["r0", "r1", "r2", "no room"];
/// Peers a built message names: four valid ids and one invalid.
pub const PEERS: [&str; 5] = ["p0", "p1", "p2", "p3", "p/4"];

/// The message types a server may send on its own.
const SERVER_TYPES: [&str; 4] = ["joined", "peer-joined", "peer-left", "error"];
/// The types a server forwards.
const FORWARDED_TYPES: [&str; 6] = [
    "offer",
    "answer",
    "candidate",
    "end-of-candidates",
    "bye",
    "data",
];

/// A client message from `body`: its first byte picks the type, the next
/// ones the room, peer and `to`, and the rest is the payload (`sdp`,
/// `candidate` text, `data`); `token` is the resume token to use, when the
/// type is a resume.
pub fn build_message(body: &[u8], token: Option<&str>) -> String {
    let byte = |i: usize| body.get(i).copied().unwrap_or(0);
    let (kind, room, peer, to) = (byte(0), byte(1), byte(2), byte(3));
    let payload = String::from_utf8_lossy(body.get(4..).unwrap_or_default()).into_owned();
    let mut map = Map::new();
    let name = match kind % 10 {
        0 | 1 => "join",
        2 => "leave",
        3 => "offer",
        4 => "answer",
        5 => "candidate",
        6 => "end-of-candidates",
        7 => "bye",
        8 => "data",
        _ => "unknown",
    };
    map.insert("type".into(), json!(name));
    if name == "join" {
        map.insert("room".into(), json!(ROOMS[usize::from(room) % ROOMS.len()]));
        map.insert("peer".into(), json!(PEERS[usize::from(peer) % PEERS.len()]));
        if kind % 10 == 1 {
            map.insert("resume".into(), json!(token.unwrap_or(&payload)));
        }
    } else if to & 0x80 == 0 {
        map.insert("to".into(), json!(PEERS[usize::from(to) % PEERS.len()]));
    }
    match name {
        "offer" | "answer" => {
            map.insert("sdp".into(), json!(payload));
        }
        "candidate" => {
            map.insert(
                "candidate".into(),
                json!({"candidate": payload, "sdpMid": "0", "sdpMLineIndex": 0}),
            );
        }
        "end-of-candidates" if kind & 0x40 != 0 => {
            map.insert("sdpMid".into(), json!(payload));
        }
        "data" => {
            let data = serde_json::from_str::<Value>(&payload).unwrap_or(Value::String(payload));
            map.insert("data".into(), data);
        }
        _ => {}
    }
    if kind & 0x80 != 0 {
        // A forged sender, which the server must replace.
        map.insert("from".into(), json!("mallory"));
    }
    Value::Object(map).to_string()
}

/// Panics unless `text` is what a signaling server may send: one JSON
/// object with a string `type`, either its own message with the fields
/// the protocol gives it, or a forwarded one whose `from` is a valid id.
/// Returns the object.
pub fn check_server_text(text: &[u8]) -> Map<String, Value> {
    let text = std::str::from_utf8(text).expect("the server sends UTF-8");
    let value: Value = serde_json::from_str(text).expect("the server sends JSON");
    let Value::Object(map) = value else {
        panic!("the server sends a non-object: {text}");
    };
    let kind = map
        .get("type")
        .and_then(Value::as_str)
        .expect("a string type");
    if SERVER_TYPES.contains(&kind) {
        match kind {
            "joined" => {
                for field in ["room", "peer", "resume"] {
                    let id = map[field].as_str().expect("a string");
                    assert!(rtw_signal::is_valid_id(id), "{field} {id:?}");
                }
                assert!(map["resume"].as_str().is_some_and(|t| t.len() >= 22));
                assert!(map["peers"].is_array() && map["iceServers"].is_array());
                assert!(map["resumed"].is_boolean());
            }
            "peer-joined" | "peer-left" => {
                let peer = map["peer"].as_str().expect("a peer");
                assert!(rtw_signal::is_valid_id(peer), "{peer:?}");
            }
            _ => {
                let code = map["code"].as_str().expect("a code");
                assert!(
                    code.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
                    "{code}"
                );
                assert!(map["message"].is_string());
            }
        }
    } else {
        assert!(FORWARDED_TYPES.contains(&kind), "forwards type {kind:?}");
        let from = map.get("from").and_then(Value::as_str).expect("a from");
        assert!(
            rtw_signal::is_valid_id(from) && from != "mallory",
            "{from:?}"
        );
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_messages_are_json_objects() {
        for kind in 0..=255u8 {
            let text = build_message(&[kind, 1, 2, 3, b'x'], Some("token"));
            let value: Value = serde_json::from_str(&text).unwrap();
            assert!(value["type"].is_string(), "{text}");
        }
        let join = build_message(&[1, 0, 0, 0], Some("tok"));
        assert_eq!(
            serde_json::from_str::<Value>(&join).unwrap(),
            json!({"type":"join","room":"r0","peer":"p0","resume":"tok"})
        );
    }

    #[test]
    fn server_texts() {
        check_server_text(br#"{"type":"peer-left","peer":"a","reason":"closed"}"#);
        check_server_text(br#"{"from":"a","type":"data","data":1}"#);
    }

    #[test]
    #[should_panic(expected = "a from")]
    fn forwarded_without_from_is_caught() {
        check_server_text(br#"{"type":"offer","sdp":""}"#);
    }
}
