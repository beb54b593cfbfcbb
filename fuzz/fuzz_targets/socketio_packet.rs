//! Fuzz target for the rtw-socketio packet codec (Socket.IO v5 packets
//! with binary attachments) and the server that reads them.
//!
//! Input layout: one options byte, then messages, each a tag byte (bit 0:
//! binary, else text), a length byte and that many bytes (shorter at the
//! end of the input); text is taken as lossy UTF-8.
//!
//! - options bit 0: small limits (packets of 64 bytes, 2 attachments of
//!   8 bytes, 2 namespaces) instead of the defaults.
//!
//! Properties checked for every input; a panic is a bug:
//!
//! 1. Every decoding error is a peer fault; after one the decoder holds no
//!    half packet.
//! 2. Limits hold: a decoded packet came from a text within
//!    `max_packet_size`, has at most `max_attachments` attachments, each
//!    within `max_attachment_size`, and every placeholder names one.
//! 3. Round trip: a decoded packet, encoded and decoded again (with room
//!    for the re-encoded text, which may be longer: `1e2` comes back as
//!    `100.0`), is the same packet (its data compared only when it holds
//!    no fraction or exponent, which serde_json may read back one ULP
//!    off).
//! 4. The same messages on one Engine.IO session of a `Server` (with
//!    `/` accepted and other namespaces asked, every request accepted or
//!    refused in turn, every event echoed and acked) never panic, and an
//!    error from `handle_message` is a peer fault that ends the session.
//! 5. The same messages to a `Client` that asked for `/` and `/a` (every
//!    event acked, `emit_with_ack` once connected) never panic; an error
//!    is a peer fault and leaves every namespace; what it sends decodes.
#![no_main]

use std::time::Instant;

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use rtw_socketio::{
    Client, ClientEvent, Config, ConnectPolicy, Decoder, EngineId, EngineMessage, Error, Limits,
    Packet, SeededRandom, Server, ServerEvent, encode,
};
use serde_json::Value;

fuzz_target!(|input: &[u8]| {
    let Some((&opts, mut rest)) = input.split_first() else {
        return;
    };
    let limits = limits_for(opts);
    let mut messages = Vec::new();
    while let [tag, len, tail @ ..] = rest {
        let body = &tail[..usize::from(*len).min(tail.len())];
        rest = &tail[body.len()..];
        messages.push(if tag & 1 != 0 {
            EngineMessage::Binary(Bytes::copy_from_slice(body))
        } else {
            EngineMessage::Text(String::from_utf8_lossy(body).into_owned())
        });
    }

    // 1-3: the decoder alone.
    let mut decoder = Decoder::new(limits.clone());
    for message in messages.clone() {
        if let EngineMessage::Text(text) = &message {
            if text.len() > limits.max_packet_size && !decoder.is_awaiting_attachments() {
                assert_eq!(decoder.decode(message), Err(Error::PacketTooLarge));
                continue;
            }
        }
        match decoder.decode(message) {
            Ok(Some(packet)) => check_packet(&packet, &limits),
            Ok(None) => assert!(decoder.is_awaiting_attachments()),
            Err(error) => {
                assert!(error.is_peer_fault(), "{error:?}");
                assert!(!decoder.is_awaiting_attachments());
            }
        }
    }

    // 4: the server.
    let now = Instant::now();
    let config = Config::default()
        .limits(limits)
        .other_namespaces(Some(ConnectPolicy::Ask));
    let mut server = Server::new(config, Box::new(SeededRandom::new(u64::from(opts))));
    let engine = EngineId(1);
    server.handle_open(now, engine);
    let mut accept = true;
    for message in messages.clone() {
        if let Err(error) = server.handle_message(now, engine, message) {
            assert!(error.is_peer_fault(), "{error:?}");
            assert_eq!(server.socket_count(), 0);
            break;
        }
        while let Some(event) = server.poll_event() {
            match event {
                ServerEvent::ConnectRequest { socket, .. } => {
                    if accept {
                        server.accept(socket).unwrap();
                        server.join(socket, "room").unwrap();
                    } else {
                        server.refuse(socket, "no", None).unwrap();
                    }
                    accept = !accept;
                }
                ServerEvent::Event {
                    socket,
                    namespace,
                    name,
                    args,
                    ack_id,
                } => {
                    server.emit(socket, &name, args.clone()).unwrap();
                    server
                        .broadcast(&namespace, Some("room"), Some(socket), &name, args.clone())
                        .unwrap();
                    if let Some(id) = ack_id {
                        server.ack(socket, id, args).unwrap();
                    }
                }
                _ => {}
            }
        }
        // What the server sends decodes, in order.
        let mut out = Decoder::new(roomy());
        while let Some(transmit) = server.poll_transmit() {
            assert_eq!(transmit.engine, engine);
            out.decode(transmit.message)
                .expect("the server's output decodes");
        }
        assert!(!out.is_awaiting_attachments());
    }

    // 5: the client.
    let mut client = Client::new(limits_for(opts));
    client.connect("/", None).unwrap();
    client
        .connect("/a", Some(serde_json::json!({"k": 1})))
        .unwrap();
    for message in messages {
        if let Err(error) = client.handle_message(message) {
            assert!(error.is_peer_fault(), "{error:?}");
            assert!(client.sid("/").is_none() && client.sid("/a").is_none());
            break;
        }
        while let Some(event) = client.poll_event() {
            match event {
                ClientEvent::Event {
                    namespace,
                    args,
                    ack_id: Some(id),
                    ..
                } => {
                    client.ack(&namespace, id, args).unwrap();
                }
                ClientEvent::Connected { namespace, .. } => {
                    client
                        .emit_with_ack(&namespace, "hello", rtw_socketio::Args::new())
                        .unwrap();
                }
                _ => {}
            }
        }
        let mut out = Decoder::new(roomy());
        while let Some(message) = client.poll_transmit() {
            out.decode(message).expect("the client's output decodes");
        }
        assert!(!out.is_awaiting_attachments());
    }
});

fn check_packet(packet: &Packet, limits: &Limits) {
    assert!(packet.attachments.len() <= limits.max_attachments);
    assert!(
        packet
            .attachments
            .iter()
            .all(|a| a.len() <= limits.max_attachment_size)
    );
    let (text, attachments) = encode(packet);
    assert_eq!(attachments.len(), packet.attachments.len(), "{text}");
    let roomy = limits.clone().max_packet_size(usize::MAX);
    let mut decoder = Decoder::new(roomy);
    let mut again = decoder
        .decode(EngineMessage::Text(text.clone()))
        .expect("re-encoded text decodes");
    for a in attachments {
        assert!(again.is_none());
        again = decoder
            .decode(EngineMessage::Binary(a))
            .expect("attachment");
    }
    let again = again.expect("whole after its attachments");
    assert_eq!(again.kind, packet.kind, "{text}");
    assert_eq!(again.namespace, packet.namespace, "{text}");
    assert_eq!(again.ack_id, packet.ack_id, "{text}");
    assert_eq!(again.attachments, packet.attachments, "{text}");
    if !packet.data.as_ref().is_some_and(has_fraction) {
        assert_eq!(again.data, packet.data, "{text}");
    }
}

fn has_fraction(value: &Value) -> bool {
    match value {
        Value::Number(n) => n.is_f64(),
        Value::Array(items) => items.iter().any(has_fraction),
        Value::Object(map) => map.values().any(has_fraction),
        _ => false,
    }
}

/// Limits the output of rtw's own server and client always fits.
fn roomy() -> Limits {
    Limits::default()
        .max_packet_size(usize::MAX)
        .max_attachment_size(usize::MAX)
        .max_attachments(usize::MAX)
}

/// Small limits (options bit 0) or the defaults.
fn limits_for(opts: u8) -> Limits {
    if opts & 1 != 0 {
        Limits::default()
            .max_packet_size(64)
            .max_attachments(2)
            .max_attachment_size(8)
            .max_namespaces(2)
    } else {
        Limits::default()
    }
}
