//! The server under a flood of UDP requests that are not yet known good
//! (RFC 8656 §21): each source address gets `Quotas::unauthenticated_rate`
//! requests per second from 5-tuples without an allocation, the rest are
//! dropped unanswered before any HMAC; clients with an allocation are not
//! held back. Driven by hand in virtual time.

mod server_support;

use std::time::Duration;

use rtw_stun::{Method, TransactionId};
use rtw_turn::server::{Limits, Quotas, ServerConfig};
use server_support::*;

fn config(rate: u64) -> ServerConfig {
    Harness::default_config().quotas(Quotas::default().unauthenticated_rate(rate))
}

/// An Allocate with a valid nonce but MESSAGE-INTEGRITY made with the
/// wrong password, from `client`.
fn bad_integrity(h: &mut Harness, client: rtw_turn::server::FiveTuple) -> bytes::Bytes {
    let mut creds = Creds::new(USER, "not the password");
    challenge(h, client, &mut creds);
    creds.request(Method::ALLOCATE, udp_transport)
}

#[test]
fn the_default_is_100_per_second_per_source() {
    assert_eq!(Quotas::default().unauthenticated_rate, 100);
    assert_eq!(Limits::default().rate_limited_sources, 10_000);
}

#[test]
fn bad_integrity_beyond_the_rate_is_dropped_unanswered_then_refills() {
    let mut h = Harness::new(config(10));
    let flooder = udp("203.0.113.66:40000");
    let request = bad_integrity(&mut h, flooder); // 1 token
    let answered = (0..100)
        .filter(|_| {
            let out = h.send(flooder, &request);
            if let Some((_, bytes)) = out.to_client.first() {
                let reply = rtw_stun::Message::parse(bytes).unwrap();
                assert_eq!(error_code(&reply), Some(401));
            }
            !out.to_client.is_empty()
        })
        .count();
    assert_eq!(answered, 9, "a burst of 10, one taken by the challenge");
    assert_eq!(h.server.stats().dropped_rate_limited, 91);
    // Another port of the same address shares the bucket.
    let other_port = udp("203.0.113.66:40001");
    assert!(h.send(other_port, &request).to_client.is_empty());
    // Half a second later, 5 more tokens.
    h.advance(Duration::from_millis(500));
    let answered = (0..20)
        .filter(|_| !h.send(flooder, &request).to_client.is_empty())
        .count();
    assert_eq!(answered, 5);
    // Nothing is held for the flooder beyond its bucket.
    assert_eq!(h.server.stats().allocations, 0);
}

#[test]
fn other_sources_and_allocated_clients_are_served_during_a_flood() {
    let mut h = Harness::new(config(4));
    let client = udp("203.0.113.9:40000");
    // The challenge and the Allocate: two of the client's four tokens.
    let (mut creds, _) = allocate(&mut h, client);
    let flooder = udp("203.0.113.66:40000");
    let request = bad_integrity(&mut h, flooder);
    for _ in 0..1_000 {
        h.send(flooder, &request);
    }
    assert!(h.server.stats().dropped_rate_limited >= 990);
    // The allocated 5-tuple's requests take no token: 20 in a row pass.
    for i in 0..20u16 {
        let peer = format!("203.0.113.50:{}", 6000 + i).parse().unwrap();
        assert_eq!(permission(&mut h, client, &mut creds, peer), None);
    }
    // A new source address has its own bucket.
    let newcomer = udp("198.51.100.77:5000");
    let out = h.send(
        newcomer,
        &plain(Method::BINDING, TransactionId([7; 12]), |_| {}),
    );
    assert_eq!(error_code(&out.reply()), None);
}

#[test]
fn a_rate_of_zero_answers_everything() {
    let mut h = Harness::new(config(0));
    let flooder = udp("203.0.113.66:40000");
    let request = bad_integrity(&mut h, flooder);
    for _ in 0..1_000 {
        assert_eq!(error_code(&h.send(flooder, &request).reply()), Some(401));
    }
    assert_eq!(h.server.stats().dropped_rate_limited, 0);
}

#[test]
fn tcp_requests_are_not_rate_limited() {
    let mut h = Harness::new(config(1));
    let client = tcp("203.0.113.66:40000");
    let request = plain(Method::BINDING, TransactionId([7; 12]), |_| {});
    for _ in 0..50 {
        assert_eq!(h.send(client, &request).to_client.len(), 1);
    }
    assert_eq!(h.server.stats().dropped_rate_limited, 0);
}
