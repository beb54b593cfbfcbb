//! Fuzz target for rtw-engineio's polling payloads, both directions
//! (Engine.IO v4 "Packet encoding", HTTP long-polling: packets joined by
//! the record separator `\x1e`, binary as `b` + base64).
//!
//! Input layout: three control bytes, then the data (missing control
//! bytes count as zero).
//!
//! - byte 0, options: bit 0 small limits from bytes 1 and 2 instead of
//!   the defaults.
//! - byte 1: `max_packets` of the small limits (1 to 256).
//! - byte 2: `max_payload` of the small limits (0 to 1020, four times
//!   the byte).
//!
//! Properties checked for every input; a panic is a bug:
//!
//! 1. Decode (client to server): the data read as a payload never
//!    panics; what decodes holds the limits (no longer than `max_payload`,
//!    at most `max_packets` packets, no text with `\x1e`), re-encodes and
//!    decodes to the same packets, and that second encoding is the same
//!    bytes as the first re-encoding.
//! 2. Encode (server to client): the data cut into packets (type from a
//!    byte, text without `\x1e`, or binary) encodes into a payload that
//!    decodes to the same packets.
//! 3. The server: the data POSTed to a session of a server with these
//!    limits is accepted (200) only when it decodes, and then is no
//!    longer than `max_payload`; a refused one ends the session.

#![no_main]

use std::time::Instant;

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use rtw_core::SeededRandom;
use rtw_engineio::{
    Config, Data, Limits, Method, Packet, PacketType, Query, Server, ServerEvent, decode_payload,
    encode_payload,
};

fuzz_target!(|input: &[u8]| {
    let control = |i: usize| input.get(i).copied().unwrap_or(0);
    let data = input.get(3..).unwrap_or(&[]);
    let limits = if control(0) & 1 == 1 {
        Limits::default()
            .max_packets(usize::from(control(1)) + 1)
            .max_payload(usize::from(control(2)) * 4)
    } else {
        Limits::default()
    };

    // 1. Decode.
    let decoded = decode_payload(data, &limits);
    if let Ok(packets) = &decoded {
        assert!(data.len() <= limits.max_payload);
        assert!(!packets.is_empty() && packets.len() <= limits.max_packets);
        assert!(packets.iter().all(|p| !p.has_separator()));
        let encoded = encode_payload(packets);
        let again = decode_payload(&encoded, &Limits::default()).expect("re-encoded payload");
        assert_eq!(&again, packets);
        assert_eq!(encode_payload(&again), encoded);
    }

    // 2. Encode.
    let mut packets = Vec::new();
    for chunk in data.chunks(17) {
        let (&kind, rest) = chunk.split_first().expect("chunks are not empty");
        let packet = match kind % 8 {
            7 => Packet::binary(rest.to_vec()),
            t => {
                let text: String = String::from_utf8_lossy(rest)
                    .chars()
                    .filter(|&c| c != '\x1e')
                    .collect();
                Packet::new(PacketType::from_digit(b'0' + t).expect("0 to 6"), text)
            }
        };
        packets.push(packet);
    }
    if !packets.is_empty() {
        let encoded = encode_payload(&packets);
        let unbounded = Limits::default()
            .max_payload(usize::MAX)
            .max_packets(usize::MAX);
        assert_eq!(
            decode_payload(&encoded, &unbounded).expect("encoded payload"),
            packets
        );
    }

    // 3. The server.
    let now = Instant::now();
    let config = Config::default().limits(limits);
    let mut server = Server::new(config, Box::new(SeededRandom::new(1)));
    server.handle_request(
        now,
        Method::Get,
        &Query::parse("EIO=4&transport=polling"),
        Bytes::new(),
    );
    let Some(ServerEvent::Opened(sid)) = server.poll_event() else {
        panic!("no session");
    };
    let query = Query::parse(&format!("EIO=4&transport=polling&sid={sid}"));
    let r = server.handle_request(now, Method::Post, &query, Bytes::copy_from_slice(data));
    assert_eq!(r.status() == Some(200), decoded.is_ok());
    if let Ok(packets) = decoded {
        let messages = packets
            .iter()
            .take_while(|p| {
                !matches!(
                    p.kind,
                    PacketType::Close | PacketType::Open | PacketType::Upgrade
                )
            })
            .filter(|p| p.kind == PacketType::Message)
            .count();
        let mut seen = 0;
        while let Some(e) = server.poll_event() {
            if let ServerEvent::Message(s, d) = e {
                assert_eq!(s, sid);
                assert!(matches!(d, Data::Text(_) | Data::Binary(_)));
                seen += 1;
            }
        }
        assert_eq!(seen, messages);
    } else {
        assert_eq!(
            server.stats().sessions,
            1,
            "the close packet waits for a GET"
        );
        assert!(server.send(sid, Packet::message("x")).is_err());
    }
});
