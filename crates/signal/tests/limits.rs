//! Limits: room size, rooms and peers in total, message size, and the
//! per-connection rate with its close for floods.

mod common;

use std::time::Duration;

use common::Harness;
use rtw_signal::{Config, Limits, ServerEvent};
use serde_json::json;

#[test]
fn room_size() {
    let mut h = Harness::new(Config::default().limits(Limits::default().max_room_size(2)));
    h.join("r", "a");
    h.join("r", "b");
    let c = h.connect();
    h.send_json(c, json!({"type":"join","room":"r","peer":"c"}));
    assert_eq!(h.error_code(c), "room-full");
    h.send_json(c, json!({"type":"join","room":"s","peer":"c"}));
    assert_eq!(h.take_one(c)["type"], "joined");
}

#[test]
fn the_default_room_size_is_16() {
    let mut h = Harness::new(Config::default());
    for n in 0..16 {
        h.join("r", &format!("p{n}"));
    }
    let c = h.connect();
    h.send_json(c, json!({"type":"join","room":"r","peer":"p16"}));
    assert_eq!(h.error_code(c), "room-full");
}

#[test]
fn rooms_and_peers_in_total() {
    let mut h = Harness::new(Config::default().limits(Limits::default().max_rooms(2).max_peers(3)));
    h.join("r1", "a");
    h.join("r2", "a");
    let c = h.connect();
    h.send_json(c, json!({"type":"join","room":"r3","peer":"a"}));
    assert_eq!(h.error_code(c), "server-full");
    h.send_json(c, json!({"type":"join","room":"r1","peer":"b"}));
    assert_eq!(h.take_one(c)["type"], "joined");
    let d = h.connect();
    h.send_json(d, json!({"type":"join","room":"r2","peer":"b"}));
    assert_eq!(h.error_code(d), "server-full");
    let stats = h.server.stats();
    assert_eq!((stats.rooms, stats.peers), (2, 3));
}

#[test]
fn message_size() {
    let mut h = Harness::new(Config::default().limits(Limits::default().max_message_size(100)));
    let (a, _) = h.join("r", "a");
    let (b, _) = h.join("r", "b");
    h.take(a);
    let fits = json!({"type":"data","data":"x".repeat(70)}).to_string();
    assert!(fits.len() <= 100);
    h.send(b, &fits);
    assert_eq!(h.take(a).len(), 1);
    let big = json!({"type":"data","data":"x".repeat(100)}).to_string();
    h.send(b, &big);
    assert_eq!(h.error_code(b), "message-too-large");
    assert!(h.take(a).is_empty());
}

#[test]
fn the_default_message_size_is_64_kib() {
    let mut h = Harness::new(Config::default());
    let (a, _) = h.join("r", "a");
    let (b, _) = h.join("r", "b");
    h.take(a);
    let head = r#"{"type":"data","data":""}"#.len();
    let text = json!({"type":"data","data":"x".repeat(65_536 - head)}).to_string();
    assert_eq!(text.len(), 65_536);
    h.send(b, &text);
    assert_eq!(h.take(a).len(), 1);
    let text = json!({"type":"data","data":"x".repeat(65_537 - head)}).to_string();
    h.send(b, &text);
    assert_eq!(h.error_code(b), "message-too-large");
}

#[test]
fn rate_limit_burst_then_one_error_per_second() {
    let limits = Limits::default().messages_per_second(10).burst(5);
    let mut h = Harness::new(Config::default().limits(limits));
    let (a, _) = h.join("r", "a"); // the join took one token
    let (b, _) = h.join("r", "b");
    h.take(a);
    let data = json!({"type":"data","data":0}).to_string();
    for _ in 0..4 {
        h.send(a, &data);
    }
    assert_eq!(h.take(b).len(), 4);
    // Empty: 20 more in the same instant get one error between them.
    for _ in 0..20 {
        h.send(a, &data);
    }
    assert!(h.take(b).is_empty());
    assert_eq!(h.error_code(a), "rate-limited");
    assert_eq!(h.server.stats().rate_limited, 20);
    // 100 ms later one token is back.
    h.advance(Duration::from_millis(100));
    h.send(a, &data);
    assert_eq!(h.take(b).len(), 1);
    h.send(a, &data);
    assert!(h.take(a).is_empty(), "no second error within the second");
    h.advance(Duration::from_secs(1));
    // A full bucket again after a pause, capped at the burst.
    for _ in 0..6 {
        h.send(a, &data);
    }
    assert_eq!(h.take(b).len(), 5);
    assert_eq!(h.error_code(a), "rate-limited");
}

#[test]
fn a_connection_that_keeps_flooding_is_closed_with_1008() {
    let limits = Limits::default()
        .messages_per_second(10)
        .burst(5)
        .max_rate_limited(50);
    let mut h = Harness::new(Config::default().limits(limits));
    let (a, _) = h.join("r", "a");
    let (b, _) = h.join("r", "b");
    h.take_events();
    let data = json!({"type":"data","data":0}).to_string();
    // Twice the allowed rate for ten seconds: 10 refusals a second.
    let mut closed_at = None;
    for step in 0..200 {
        h.advance(Duration::from_millis(50));
        h.send(a, &data);
        if h.take_events().contains(&ServerEvent::Close {
            connection: a,
            code: 1008,
            reason: "message rate exceeded",
        }) {
            closed_at = Some(step);
            break;
        }
    }
    let step = closed_at.expect("closed");
    assert!((95..=110).contains(&step), "{step}");
    // Ignored from now on.
    h.take(a);
    h.take(b);
    h.advance(Duration::from_secs(10));
    h.send(a, &data);
    assert!(h.take(a).is_empty() && h.take(b).is_empty());
}

#[test]
fn refusals_spread_out_are_forgiven() {
    let limits = Limits::default()
        .messages_per_second(1)
        .burst(1)
        .max_rate_limited(3);
    let mut h = Harness::new(Config::default().limits(limits));
    let (a, _) = h.join("r", "a");
    let data = json!({"type":"data","data":0}).to_string();
    // One accepted, then two refused, every 1.5 s: never three in a row.
    for _ in 0..20 {
        h.advance(Duration::from_millis(1_500));
        h.send(a, &data);
        h.send(a, &data);
        h.send(a, &data);
    }
    assert!(
        !h.take_events()
            .iter()
            .any(|e| matches!(e, ServerEvent::Close { .. }))
    );
}

#[test]
fn oversized_and_malformed_text_counts_against_the_rate() {
    let limits = Limits::default().messages_per_second(1).burst(2);
    let mut h = Harness::new(Config::default().limits(limits));
    let c = h.connect();
    h.send(c, "garbage");
    h.send(c, "garbage");
    h.send(c, "garbage");
    let codes: Vec<_> = h.take(c).into_iter().map(|m| m["code"].clone()).collect();
    assert_eq!(
        codes,
        [
            json!("bad-message"),
            json!("bad-message"),
            json!("rate-limited")
        ]
    );
}
