//! Fuzz target for a rtw-ws `Connection` with permessage-deflate (RFC 7692)
//! negotiated.
//!
//! Input layout: two control bytes, then the bytes the peer sends.
//!
//! - byte 0: bit 0 our role (server, client); bit 1 `deliver_fragments`;
//!   bit 2 server_no_context_takeover; bit 3 client_no_context_takeover;
//!   bit 4 small message limit (from byte 1); bits 5-7 the window bits of
//!   both sides (8 + value).
//! - byte 1: the split of run B, and the small message limit.
//!
//! Properties (a panic is a bug):
//!
//! 1. Events are consistent: nothing after `Failed` or `Close`; `Failed`
//!    carries a close code; text is UTF-8; messages, and the inflated
//!    fragments of one message, stay within `max_message_size` however
//!    much the input inflates; the rest of what `rtw_fuzz::ws::check_events`
//!    checks for `ws_connection` holds too.
//! 2. Split invariance: the bytes fed in two pieces give the same events.
//! 3. Every received text or binary message, sent back by us, reaches a
//!    peer connection with the same parameters intact, compressed or not.
//! 4. With a shared `MemoryBudget` (run C, input in pieces of byte 1's
//!    size), what incomplete messages hold never passes the budget, however
//!    much the input inflates, and all of it is given back on drop.
#![no_main]

use std::time::Instant;

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use rtw_ws::deflate::{DeflateConfig, DeflateParams};
use rtw_ws::{Config, Connection, Event, MemoryBudget, Message, Role, SeededRandom};

fuzz_target!(|input: &[u8]| {
    let (control, wire) = input.split_at(input.len().min(2));
    let [opts, param] = std::array::from_fn(|i| control.get(i).copied().unwrap_or(0));
    let role = if opts & 1 == 0 {
        Role::Server
    } else {
        Role::Client
    };
    let peer_role = if role == Role::Server {
        Role::Client
    } else {
        Role::Server
    };
    let bits = 8 + ((opts >> 5) & 7);
    let params = DeflateParams {
        server_no_context_takeover: opts & 4 != 0,
        client_no_context_takeover: opts & 8 != 0,
        server_max_window_bits: bits,
        client_max_window_bits: bits,
    };
    let mut config = Config::default().deliver_fragments(opts & 2 != 0);
    if opts & 16 != 0 {
        config.limits.max_message_size = u64::from(param) * 64;
    }
    let local = DeflateConfig::default().compression_threshold(0);
    let connection = |role, config: &Config| {
        Connection::with_config(role, config.clone(), SeededRandom::new(7))
            .with_deflate(&params, &local)
    };

    // Run A: one shot.
    let mut conn = connection(role, &config);
    conn.handle_input(Instant::now(), &mut BytesMut::from(wire));
    let events_a: Vec<Event> = std::iter::from_fn(|| conn.poll_event()).collect();
    // 1.
    rtw_fuzz::ws::check_events(&config, &events_a, true);

    // Run B: two pieces.
    let mut conn = connection(role, &config);
    let cut = usize::from(param).min(wire.len());
    let mut buf = BytesMut::from(&wire[..cut]);
    conn.handle_input(Instant::now(), &mut buf);
    let mut events_b: Vec<Event> = std::iter::from_fn(|| conn.poll_event()).collect();
    buf.extend_from_slice(&wire[cut..]);
    conn.handle_input(Instant::now(), &mut buf);
    events_b.extend(std::iter::from_fn(|| conn.poll_event()));
    assert_eq!(events_a, events_b, "one shot and two pieces differ");

    // Run C: a shared budget, input in pieces.
    let budget = MemoryBudget::new(u64::from(param) * 256 + 1);
    let budgeted = config.clone().message_memory(Some(budget.clone()));
    let mut conn = connection(role, &budgeted);
    let mut buf = BytesMut::new();
    for piece in wire.chunks(usize::from(param).max(1) * 7) {
        buf.extend_from_slice(piece);
        conn.handle_input(Instant::now(), &mut buf);
        while conn.poll_event().is_some() {}
        assert!(budget.used() <= budget.limit(), "{budget:?}");
        assert_eq!(conn.held_bytes(), budget.used());
    }
    drop(conn);
    assert_eq!(
        budget.used(),
        0,
        "a dropped connection gives its share back"
    );

    // Property 3: send back what was received, through fresh connections.
    let messages: Vec<Message> = events_a
        .into_iter()
        .filter_map(|e| match e {
            Event::Message(m @ (Message::Text(_) | Message::Binary(_))) => Some(m),
            _ => None,
        })
        .collect();
    let mut sender = connection(role, &Config::default());
    let mut receiver = connection(peer_role, &Config::default());
    for m in &messages {
        sender.send(m.clone()).expect("an open connection sends");
    }
    let mut out = BytesMut::new();
    while let Some(b) = sender.poll_transmit() {
        out.extend_from_slice(&b);
    }
    receiver.handle_input(Instant::now(), &mut out);
    let got: Vec<Event> = std::iter::from_fn(|| receiver.poll_event()).collect();
    let expected: Vec<Event> = messages.into_iter().map(Event::Message).collect();
    assert_eq!(got, expected, "messages sent back arrived otherwise");
});
