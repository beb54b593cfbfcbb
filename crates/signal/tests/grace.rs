//! Reconnection: a peer whose connection drops keeps its place for the
//! grace period, and a `join` with its token takes it back.

mod common;

use std::time::Duration;

use common::Harness;
use rtw_signal::{Config, LeaveReason, Limits, ServerEvent};
use serde_json::{Value, json};

fn resume(room: &str, peer: &str, token: &Value) -> Value {
    json!({"type":"join","room":room,"peer":peer,"resume":token})
}

#[test]
fn resume_within_the_grace_period_is_silent_and_delivers_what_was_queued() {
    let mut h = Harness::new(Config::default());
    let (a, joined) = h.join("r", "alice");
    let token = joined["resume"].clone();
    let (b, _) = h.join("r", "bob");
    h.take(a);
    h.take_events();

    h.disconnect(a);
    assert!(h.take(b).is_empty(), "the others see no change");
    assert_eq!(h.server.stats().away, 1);
    assert_eq!(
        h.server.poll_timeout(),
        Some(h.now + Duration::from_secs(10))
    );

    // Bob keeps talking to alice; it is kept for her.
    h.send_json(b, json!({"type":"offer","to":"alice","sdp":"v=0"}));
    h.send_json(b, json!({"type":"data","data":2}));
    assert!(h.take(b).is_empty());

    h.advance(Duration::from_secs(9));
    let a2 = h.connect();
    h.send_json(a2, resume("r", "alice", &token));
    let got = h.take(a2);
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(got[0]["type"], "joined");
    assert_eq!(got[0]["resumed"], true);
    assert_eq!(got[0]["peers"], json!(["bob"]));
    assert_ne!(got[0]["resume"], token, "a fresh token");
    assert_eq!(
        got[1],
        json!({"type":"offer","to":"alice","sdp":"v=0","from":"bob"})
    );
    assert_eq!(got[2], json!({"type":"data","data":2,"from":"bob"}));
    assert!(h.take(b).is_empty(), "no presence change");
    assert_eq!(h.server.poll_timeout(), None);
    assert_eq!(
        h.take_events(),
        [ServerEvent::Joined {
            connection: a2,
            room: "r".into(),
            peer: "alice".into(),
            resumed: true
        }]
    );

    // The old token is spent; the new one works.
    let new_token = got[0]["resume"].clone();
    h.disconnect(a2);
    let a3 = h.connect();
    h.send_json(a3, resume("r", "alice", &token));
    assert_eq!(h.error_code(a3), "bad-resume");
    h.send_json(a3, resume("r", "alice", &new_token));
    assert_eq!(h.take_one(a3)["resumed"], true);
}

#[test]
fn the_grace_period_ends_with_peer_left_closed() {
    let mut h = Harness::new(Config::default().reconnect_grace(Duration::from_secs(5)));
    let (a, joined) = h.join("r", "alice");
    let token = joined["resume"].clone();
    let (b, _) = h.join("r", "bob");
    h.take(a);
    h.take_events();
    h.disconnect(a);
    h.advance(Duration::from_millis(4_999));
    assert!(h.take(b).is_empty());
    h.advance(Duration::from_millis(1));
    assert_eq!(
        h.take_one(b),
        json!({"type":"peer-left","peer":"alice","reason":"closed"})
    );
    assert_eq!(
        h.take_events(),
        [ServerEvent::Left {
            room: "r".into(),
            peer: "alice".into(),
            reason: LeaveReason::Closed
        }]
    );
    assert_eq!(h.server.stats().peers, 1);
    assert_eq!(h.server.poll_timeout(), None);

    // Too late: the token is refused, a plain join works.
    let a2 = h.connect();
    h.send_json(a2, resume("r", "alice", &token));
    assert_eq!(h.error_code(a2), "bad-resume");
    h.send_json(a2, json!({"type":"join","room":"r","peer":"alice"}));
    assert_eq!(h.take_one(a2)["resumed"], false);
}

#[test]
fn an_away_peer_keeps_its_id_and_its_place() {
    let mut h = Harness::new(Config::default().limits(Limits::default().max_room_size(2)));
    let (a, _) = h.join("r", "alice");
    let (_b, _) = h.join("r", "bob");
    h.disconnect(a);
    let c = h.connect();
    h.send_json(c, json!({"type":"join","room":"r","peer":"alice"}));
    assert_eq!(h.error_code(c), "peer-id-taken");
    h.send_json(c, json!({"type":"join","room":"r","peer":"carol"}));
    assert_eq!(h.error_code(c), "room-full");
}

#[test]
fn wrong_tokens_and_wrong_peers_get_bad_resume() {
    let mut h = Harness::new(Config::default());
    let (a, joined) = h.join("r", "alice");
    let token = joined["resume"].clone();
    let (_b, joined_b) = h.join("r", "bob");
    h.disconnect(a);
    let c = h.connect();
    for message in [
        resume("r", "alice", &json!("AAAAAAAAAAAAAAAAAAAAAA")),
        resume("r", "alice", &joined_b["resume"]),
        resume("r", "carol", &token),
        resume("s", "alice", &token),
        resume("r", "alice", &json!("")),
    ] {
        h.send_json(c, message);
        assert_eq!(h.error_code(c), "bad-resume");
    }
    h.send_json(c, resume("r", "alice", &token));
    assert_eq!(h.take_one(c)["resumed"], true);
}

#[test]
fn resume_over_a_live_connection_takes_the_peer_over() {
    let mut h = Harness::new(Config::default());
    let (a, joined) = h.join("r", "alice");
    let (b, _) = h.join("r", "bob");
    h.take(a);
    h.take_events();
    // The client reconnects before the server saw the old connection end.
    let a2 = h.connect();
    h.send_json(a2, resume("r", "alice", &joined["resume"]));
    assert_eq!(h.take_one(a2)["resumed"], true);
    let events = h.take_events();
    assert!(events.contains(&ServerEvent::Close {
        connection: a,
        code: 1000,
        reason: "resumed on another connection"
    }));
    // Messages for alice go to the new connection; the old one is mute.
    h.send_json(b, json!({"type":"data","to":"alice","data":1}));
    assert_eq!(h.take(a2).len(), 1);
    assert!(h.take(a).is_empty());
    h.send_json(a, json!({"type":"data","data":1}));
    assert!(h.take(a).is_empty() && h.take(b).is_empty());
    // Its end does not make alice leave.
    h.disconnect(a);
    h.advance(Duration::from_secs(60));
    assert!(h.take(b).is_empty());
    assert_eq!(h.server.room_peers("r"), ["alice", "bob"]);
}

#[test]
fn the_away_queue_is_bounded_and_drops_the_oldest() {
    let limits = Limits::default().max_queued_while_away(3);
    let mut h = Harness::new(Config::default().limits(limits));
    let (a, joined) = h.join("r", "alice");
    let (b, _) = h.join("r", "bob");
    h.disconnect(a);
    for n in 0..10 {
        h.send_json(b, json!({"type":"data","to":"alice","data":n}));
    }
    assert_eq!(h.server.stats().messages_dropped, 7);
    let a2 = h.connect();
    h.send_json(a2, resume("r", "alice", &joined["resume"]));
    let got: Vec<_> = h
        .take(a2)
        .into_iter()
        .skip(1)
        .map(|m| m["data"].clone())
        .collect();
    assert_eq!(got, [json!(7), json!(8), json!(9)]);
}

#[test]
fn several_away_peers_expire_in_deadline_order() {
    let mut h = Harness::new(Config::default());
    let (w, _) = h.join("r", "watcher");
    let (a, _) = h.join("r", "a");
    let (b, _) = h.join("r", "b");
    let (c, _) = h.join("other", "c");
    h.take(w);
    h.disconnect(b);
    h.advance(Duration::from_secs(1));
    h.disconnect(a);
    h.disconnect(c);
    h.advance(Duration::from_secs(9));
    let left: Vec<_> = h.take(w).into_iter().map(|m| m["peer"].clone()).collect();
    assert_eq!(left, [json!("b")]);
    h.advance(Duration::from_secs(1));
    let left: Vec<_> = h.take(w).into_iter().map(|m| m["peer"].clone()).collect();
    assert_eq!(left, [json!("a")]);
    assert_eq!(h.server.stats().rooms, 1);
    assert_eq!(h.server.stats().away, 0);
}

#[test]
fn what_is_kept_for_away_peers_has_a_shared_cap() {
    let limits = Limits::default().max_queued_bytes(120);
    let mut h = Harness::new(Config::default().limits(limits));
    let (a, ja) = h.join("r", "alice");
    let (b, jb) = h.join("r", "bob");
    let (c, _) = h.join("r", "carol");
    h.disconnect(a);
    h.disconnect(b);
    // Each forwarded copy is 50 bytes: two fit, the next two do not.
    let text = json!({"type":"data","data":"0123456789"}).to_string();
    h.send(c, &text);
    assert_eq!(h.server.stats().queued_bytes, 100);
    h.send(c, &text);
    assert_eq!(h.server.stats().queued_bytes, 100);
    assert_eq!(h.server.stats().messages_dropped, 2);
    // Resuming hands the bytes back.
    let a2 = h.connect();
    h.send_json(a2, resume("r", "alice", &ja["resume"]));
    assert_eq!(h.take(a2).len(), 2);
    assert_eq!(h.server.stats().queued_bytes, 50);
    // So does the end of a grace period.
    h.advance(Duration::from_secs(10));
    assert_eq!(h.server.stats().queued_bytes, 0);
    let b2 = h.connect();
    h.send_json(b2, resume("r", "bob", &jb["resume"]));
    assert_eq!(h.error_code(b2), "bad-resume");
}
