//! Join, presence, forwarding and the errors of well-formed and malformed
//! messages, in virtual time.

mod common;

use common::Harness;
use rtw_signal::{Config, LeaveReason, Rooms, ServerEvent};
use serde_json::{Value, json};

#[test]
fn join_lists_the_others_in_join_order_and_tells_them() {
    let mut h = Harness::new(Config::default());
    let (a, joined) = h.join("room", "alice");
    assert_eq!(joined["room"], "room");
    assert_eq!(joined["peer"], "alice");
    assert_eq!(joined["peers"], json!([]));
    assert_eq!(joined["resumed"], false);
    assert_eq!(joined["iceServers"], json!([]));
    let token = joined["resume"].as_str().unwrap();
    assert!(
        token.len() >= 22 && rtw_signal::is_valid_id(token),
        "{token}"
    );

    let (b, joined) = h.join("room", "bob");
    assert_eq!(joined["peers"], json!(["alice"]));
    assert_ne!(joined["resume"].as_str().unwrap(), token);
    assert_eq!(h.take_one(a), json!({"type":"peer-joined","peer":"bob"}));

    let (_c, joined) = h.join("room", "carol");
    assert_eq!(joined["peers"], json!(["alice", "bob"]));
    assert_eq!(h.take_one(a)["peer"], "carol");
    assert_eq!(h.take_one(b)["peer"], "carol");
    assert_eq!(h.server.room_peers("room"), ["alice", "bob", "carol"]);

    // Another room is another world.
    let (_d, joined) = h.join("other", "alice");
    assert_eq!(joined["peers"], json!([]));
    assert!(h.take(a).is_empty());
    assert_eq!(h.server.stats().rooms, 2);
    assert_eq!(h.server.stats().peers, 4);

    let joins = h
        .take_events()
        .into_iter()
        .filter(|e| matches!(e, ServerEvent::Joined { resumed: false, .. }))
        .count();
    assert_eq!(joins, 4);
}

#[test]
fn addressed_messages_reach_one_peer_with_from_added() {
    let mut h = Harness::new(Config::default());
    let (a, _) = h.join("r", "alice");
    let (b, _) = h.join("r", "bob");
    let (c, _) = h.join("r", "carol");
    h.take(a);
    h.take(b);

    let candidate = json!({"candidate":"candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host",
        "sdpMid":"0","sdpMLineIndex":0,"usernameFragment":"abcd"});
    let sent = [
        json!({"type":"offer","to":"bob","sdp":"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n"}),
        json!({"type":"answer","to":"bob","sdp":"v=0\r\n"}),
        json!({"type":"candidate","to":"bob","candidate":candidate}),
        json!({"type":"end-of-candidates","to":"bob","sdpMid":"0"}),
        json!({"type":"data","to":"bob","data":{"cmd":"report","n":[1,2.5,null]}}),
        json!({"type":"bye","to":"bob","extra":"kept"}),
    ];
    for message in &sent {
        h.send_json(a, message.clone());
    }
    let got = h.take(b);
    assert_eq!(got.len(), sent.len());
    for (got, sent) in got.iter().zip(&sent) {
        let mut expected = sent.clone();
        expected["from"] = json!("alice");
        assert_eq!(got, &expected);
    }
    assert!(h.take(a).is_empty());
    assert!(h.take(c).is_empty());
    assert_eq!(h.server.stats().messages_relayed, sent.len() as u64);
}

#[test]
fn forwarded_text_is_the_senders_bytes_with_from_first() {
    let mut h = Harness::new(Config::default());
    let (a, _) = h.join("r", "alice");
    let (b, _) = h.join("r", "bob");
    h.take(a);
    let text = "{\"type\":\"data\" , \"data\":{\"big\":12345678901234567890123,\"f\":1.0e0,\"s\":\"\\u00e9\"}}";
    h.send(b, text);
    let raw = h.raw.remove(&a).unwrap();
    assert_eq!(
        raw,
        [
            "{\"from\":\"bob\",\"type\":\"data\" , \"data\":{\"big\":12345678901234567890123,\"f\":1.0e0,\"s\":\"\\u00e9\"}}"
        ]
    );
}

#[test]
fn messages_without_to_go_to_every_other_peer() {
    let mut h = Harness::new(Config::default());
    let (a, _) = h.join("r", "a");
    let (b, _) = h.join("r", "b");
    let (c, _) = h.join("r", "c");
    h.take(a);
    h.take(b);
    h.send_json(b, json!({"type":"data","data":"hi all"}));
    let expected = json!({"type":"data","data":"hi all","from":"b"});
    assert_eq!(h.take_one(a), expected);
    assert_eq!(h.take_one(c), expected);
    assert!(h.take(b).is_empty());

    // Alone in a room: nobody to send to, no error.
    let (d, _) = h.join("solo", "d");
    h.send_json(d, json!({"type":"bye"}));
    assert!(h.take(d).is_empty());
}

#[test]
fn a_sender_cannot_forge_from() {
    let mut h = Harness::new(Config::default());
    let (a, _) = h.join("r", "alice");
    let (b, _) = h.join("r", "bob");
    h.take(a);
    h.send_json(b, json!({"type":"offer","sdp":"v=0","from":"mallory"}));
    assert_eq!(h.take_one(a)["from"], "bob");
}

#[test]
fn leave_tells_the_others_and_the_connection_may_join_again() {
    let mut h = Harness::new(Config::default());
    let (a, _) = h.join("r", "alice");
    let (b, _) = h.join("r", "bob");
    h.take(a);
    h.send_json(b, json!({"type":"leave"}));
    assert_eq!(
        h.take_one(a),
        json!({"type":"peer-left","peer":"bob","reason":"left"})
    );
    assert!(h.take(b).is_empty());
    assert!(h.take_events().contains(&ServerEvent::Left {
        room: "r".into(),
        peer: "bob".into(),
        reason: LeaveReason::Left,
    }));
    h.send_json(b, json!({"type":"data","data":1}));
    assert_eq!(h.error_code(b), "not-joined");
    h.send_json(b, json!({"type":"leave"}));
    assert_eq!(h.error_code(b), "not-joined");

    h.send_json(b, json!({"type":"join","room":"r","peer":"bob2"}));
    assert_eq!(h.take_one(b)["peers"], json!(["alice"]));
    assert_eq!(h.take_one(a)["type"], "peer-joined");

    // The last one out removes the room.
    h.send_json(a, json!({"type":"leave"}));
    h.send_json(b, json!({"type":"leave"}));
    assert_eq!(h.server.stats().rooms, 0);
    assert_eq!(h.server.stats().peers, 0);
}

#[test]
fn disconnect_without_grace_is_a_close() {
    let mut h = Harness::new(Config::default().reconnect_grace(std::time::Duration::ZERO));
    let (a, _) = h.join("r", "alice");
    let (b, _) = h.join("r", "bob");
    h.take(a);
    h.disconnect(b);
    assert_eq!(
        h.take_one(a),
        json!({"type":"peer-left","peer":"bob","reason":"closed"})
    );
    assert_eq!(h.server.poll_timeout(), None);
    assert_eq!(h.server.stats().connections, 1);
}

fn error_of(h: &mut Harness, connection: rtw_signal::ConnectionId, text: &str) -> Value {
    h.send(connection, text);
    let error = h.take_one(connection);
    assert_eq!(error["type"], "error", "{error}");
    error
}

#[test]
fn malformed_messages_get_bad_message() {
    let mut h = Harness::new(Config::default());
    let c = h.connect();
    for text in [
        "",
        "not json",
        "[]",
        "\"join\"",
        "{}",
        r#"{"type":1}"#,
        r#"{"type":"hello"}"#,
        r#"{"type":"join"}"#,
        r#"{"type":"join","room":"r"}"#,
        r#"{"type":"join","room":1,"peer":"p"}"#,
        r#"{"type":"join","room":"r","peer":"p","resume":5}"#,
        r#"{"type":"join","room":"r","peer":"p"} trailing"#,
    ] {
        let error = error_of(&mut h, c, text);
        assert_eq!(error["code"], "bad-message", "{text}: {error}");
    }
    let error = error_of(&mut h, c, r#"{"type":"join","room":"r"}"#);
    assert_eq!(error["ref"], "join");
    let error = error_of(&mut h, c, r#"{"type":"hello"}"#);
    assert!(error.get("ref").is_none());

    let (a, _) = h.join("r", "alice");
    for text in [
        r#"{"type":"offer","to":"x"}"#,
        r#"{"type":"offer","sdp":7}"#,
        r#"{"type":"answer","sdp":null}"#,
        r#"{"type":"candidate","candidate":"candidate:1 1 udp 1 1.2.3.4 5 typ host"}"#,
        r#"{"type":"end-of-candidates","sdpMid":0}"#,
        r#"{"type":"data"}"#,
        r#"{"type":"bye","to":5}"#,
    ] {
        let error = error_of(&mut h, a, text);
        assert_eq!(error["code"], "bad-message", "{text}: {error}");
        assert!(error["ref"].is_string(), "{error}");
    }
    assert_eq!(h.server.stats().errors, 21);
}

#[test]
fn ids_outside_the_unreserved_set_get_bad_id() {
    let mut h = Harness::new(Config::default());
    let c = h.connect();
    let long = "x".repeat(65);
    for (room, peer) in [
        ("", "p"),
        ("r", ""),
        ("a b", "p"),
        ("r", "p/q"),
        (long.as_str(), "p"),
        ("r", "é"),
    ] {
        let error = error_of(
            &mut h,
            c,
            &json!({"type":"join","room":room,"peer":peer}).to_string(),
        );
        assert_eq!(error["code"], "bad-id", "{room} {peer}");
    }
    let (a, _) = h.join("r", "a");
    let error = error_of(&mut h, a, r#"{"type":"bye","to":"no body"}"#);
    assert_eq!(error["code"], "bad-id");
}

#[test]
fn order_and_state_errors() {
    let mut h = Harness::new(Config::default());
    let c = h.connect();
    let error = error_of(&mut h, c, r#"{"type":"offer","to":"b","sdp":"v=0"}"#);
    assert_eq!(
        (error["code"].as_str(), error["ref"].as_str()),
        (Some("not-joined"), Some("offer"))
    );

    let (a, _) = h.join("r", "alice");
    let error = error_of(&mut h, a, r#"{"type":"join","room":"s","peer":"x"}"#);
    assert_eq!(error["code"], "already-joined");

    let error = error_of(&mut h, c, r#"{"type":"join","room":"r","peer":"alice"}"#);
    assert_eq!(error["code"], "peer-id-taken");

    let error = error_of(&mut h, a, r#"{"type":"offer","to":"nobody","sdp":"v=0"}"#);
    assert_eq!(error["code"], "unknown-peer");
    assert_eq!(error["to"], "nobody");
    assert_eq!(error["ref"], "offer");
    // Oneself is not one of the others.
    let error = error_of(&mut h, a, r#"{"type":"data","to":"alice","data":1}"#);
    assert_eq!(error["code"], "unknown-peer");
}

#[test]
fn a_fixed_list_of_rooms() {
    let mut h = Harness::new(Config::default().rooms(Rooms::Only(vec!["lobby".into()])));
    let c = h.connect();
    let error = error_of(
        &mut h,
        c,
        r#"{"type":"join","room":"elsewhere","peer":"p"}"#,
    );
    assert_eq!(error["code"], "unknown-room");
    let (_a, joined) = h.join("lobby", "p");
    assert_eq!(joined["room"], "lobby");
}

#[test]
fn text_after_disconnect_or_from_unknown_connections_is_ignored() {
    let mut h = Harness::new(Config::default());
    let (a, _) = h.join("r", "alice");
    h.disconnect(a);
    h.send(a, r#"{"type":"leave"}"#);
    assert!(h.take(a).is_empty());
    h.disconnect(a);
    assert_eq!(h.server.stats().connections, 0);
}
