//! Properties of the client session: any bytes from the server never
//! panic it and end it at most once; how the input is cut never changes
//! the events; any header text the client accepts reaches the server as
//! it was given (STOMP 1.2 "Value Encoding").

use std::time::{Duration, Instant};

use bytes::BytesMut;
use proptest::prelude::*;
use rtw_stomp::client::{AckMode, Client, ClientConfig, ClientError, ClientEvent, FrameOptions};
use rtw_stomp::{Decoder, HeartBeat, Item, Limits, Version};

fn connected(now: Instant, version: &str, heart_beat: bool) -> Client {
    let hb = if heart_beat {
        HeartBeat {
            can_send: Duration::from_millis(100),
            want_receive: Duration::from_millis(100),
        }
    } else {
        HeartBeat::NONE
    };
    let config = ClientConfig::default()
        .heart_beat(hb)
        .limits(Limits::default().max_frame_size(4096));
    let mut client = Client::new(now, config);
    let connected = format!("CONNECTED\nversion:{version}\nheart-beat:100,100\n\n\0");
    client.handle_input(now, &mut BytesMut::from(connected.as_bytes()));
    assert!(matches!(
        client.poll_event(),
        Some(ClientEvent::Connected { .. })
    ));
    // The CONNECT frame.
    while client.poll_transmit().is_some() {}
    client
}

/// Bytes that look like server frames often enough to go deep.
fn server_bytes() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"MESSAGE\nsubscription:0\nmessage-id:1\ndestination:/q\n\nbody\0".to_vec()),
        Just(b"MESSAGE\nsubscription:0\nmessage-id:2\nack:x\\c\ndestination:/q\ncontent-length:3\n\na\0b\0".to_vec()),
        Just(b"RECEIPT\nreceipt-id:0\n\n\0".to_vec()),
        Just(b"RECEIPT\nreceipt-id:1\n\n\0".to_vec()),
        Just(b"ERROR\nmessage:no\n\n\0".to_vec()),
        Just(b"CONNECTED\nversion:1.2\n\n\0".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r\n".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..16),
    ];
    proptest::collection::vec(piece, 0..12).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_server_bytes_end_the_session_at_most_once(
        version in prop_oneof![Just("1.0"), Just("1.1"), Just("1.2")],
        heart_beat in any::<bool>(),
        wire in server_bytes(),
        cuts in proptest::collection::vec(0usize..64, 0..8),
        steps in proptest::collection::vec(0u64..150, 0..8),
    ) {
        let t0 = Instant::now();
        let mut client = connected(t0, version, heart_beat);
        client.subscribe("/q", AckMode::ClientIndividual).ok();
        client.send("/q", "x", FrameOptions::default().receipt(true)).ok();
        let mut now = t0;
        let mut events = Vec::new();
        let mut src = BytesMut::new();
        let mut rest = &wire[..];
        for (i, cut) in cuts.iter().chain([&usize::MAX]).enumerate() {
            let n = (*cut).min(rest.len());
            src.extend_from_slice(&rest[..n]);
            rest = &rest[n..];
            client.handle_input(now, &mut src);
            now += Duration::from_millis(steps.get(i).copied().unwrap_or(0));
            client.handle_timeout(now);
            while let Some(e) = client.poll_event() {
                if let ClientEvent::Message(m) = &e {
                    // Acknowledging what came is allowed or refused, never a panic.
                    let _ = client.ack(m);
                    let _ = client.nack(m);
                }
                events.push(e);
            }
            while client.poll_transmit().is_some() {}
        }
        client.handle_eof(now);
        events.extend(std::iter::from_fn(|| client.poll_event()));
        let ends = events.iter().filter(|e| matches!(e, ClientEvent::Disconnected)).count();
        prop_assert_eq!(ends, 1);
        prop_assert!(matches!(events.last(), Some(ClientEvent::Disconnected)));
        prop_assert_eq!(client.poll_timeout(), None);
        for e in &events {
            if let ClientEvent::Failed(e) = e {
                prop_assert!(e.is_peer_fault(), "{e:?}");
            }
        }
    }

    #[test]
    fn how_the_input_is_cut_does_not_change_the_events(
        wire in server_bytes(),
        cuts in proptest::collection::vec(0usize..32, 0..16),
    ) {
        let t0 = Instant::now();
        let run = |cuts: &[usize]| {
            let mut client = connected(t0, "1.2", false);
            client.send("/q", "x", FrameOptions::default().receipt(true)).ok();
            let mut src = BytesMut::new();
            let mut rest = &wire[..];
            let mut events = Vec::new();
            for cut in cuts.iter().chain([&usize::MAX]) {
                let n = (*cut).min(rest.len());
                src.extend_from_slice(&rest[..n]);
                rest = &rest[n..];
                client.handle_input(t0, &mut src);
                events.extend(std::iter::from_fn(|| client.poll_event()));
            }
            events
        };
        prop_assert_eq!(run(&cuts), run(&[]));
    }

    #[test]
    fn header_text_the_client_accepts_arrives_unchanged(
        version in prop_oneof![Just(Version::V1_0), Just(Version::V1_1), Just(Version::V1_2)],
        destination in "[/a-z:\\\\\r\n\0é]{0,12}",
        name in "[a-z:\\\\\r\n\0]{1,8}",
        value in "[ -~\\\\\r\n\0é]{0,16}",
    ) {
        let t0 = Instant::now();
        let mut client = connected(t0, version.as_str(), false);
        let options = FrameOptions::default().header(name.clone(), value.clone());
        match client.send(&destination, "body", options) {
            Err(ClientError::Unencodable(_)) => {
                prop_assert!(client.poll_transmit().is_none());
            }
            Err(e) => prop_assert!(false, "{e:?}"),
            Ok(_) => {
                let mut wire = BytesMut::new();
                while let Some(b) = client.poll_transmit() {
                    wire.extend_from_slice(&b);
                }
                let mut decoder = Decoder::new();
                decoder.set_version(version);
                let Some(Item::Frame(frame)) = decoder.decode(&mut wire).unwrap() else {
                    panic!("no frame")
                };
                prop_assert!(wire.is_empty());
                prop_assert_eq!(frame.header("destination"), Some(destination.as_str()));
                if name != "destination" && name != "content-length" {
                    prop_assert_eq!(frame.header(&name), Some(value.as_str()));
                }
                prop_assert_eq!(&frame.body[..], b"body");
            }
        }
    }
}
