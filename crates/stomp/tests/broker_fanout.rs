//! One publisher and 100 topic subscribers, as the load bench runs them
//! (benches/stomp-load), in memory: every subscriber gets every message
//! once, in order, and afterwards the broker holds nothing.

use std::time::Instant;

use bytes::BytesMut;
use rtw_stomp::broker::{Broker, BrokerConfig};
use rtw_stomp::{Command, Decoder, Item};

#[test]
fn hundred_subscribers_get_every_message_in_order() {
    const SUBSCRIBERS: usize = 100;
    const MESSAGES: usize = 200;
    let now = Instant::now();
    let mut broker = Broker::new(BrokerConfig::default());
    let mut subs = Vec::new();
    for _ in 0..SUBSCRIBERS {
        let id = broker.handle_connect(now);
        let mut src = BytesMut::from(
            &b"CONNECT\naccept-version:1.2\nhost:h\n\n\0SUBSCRIBE\nid:0\ndestination:/topic/load\n\n\0"[..],
        );
        broker.handle_input(now, id, &mut src);
        subs.push((id, Decoder::new(), 0usize));
    }
    let publisher = broker.handle_connect(now);
    let mut src = BytesMut::from(&b"CONNECT\naccept-version:1.2\nhost:h\n\n\0"[..]);
    broker.handle_input(now, publisher, &mut src);
    let body = [b'x'; 64];
    let mut expected = 0;
    for i in 0..MESSAGES {
        let mut src = BytesMut::new();
        src.extend_from_slice(
            format!("SEND\ndestination:/topic/load\nseq:{i}\ncontent-length:64\n\n").as_bytes(),
        );
        src.extend_from_slice(&body);
        src.extend_from_slice(b"\0");
        broker.handle_input(now, publisher, &mut src);
        while let Some(t) = broker.poll_transmit() {
            broker.handle_sent(now, t.connection, t.bytes.len());
            let Some((_, decoder, seen)) = subs.iter_mut().find(|(id, ..)| *id == t.connection)
            else {
                continue;
            };
            let mut bytes = BytesMut::from(&t.bytes[..]);
            while let Some(item) = decoder.decode(&mut bytes).unwrap() {
                let Item::Frame(frame) = item else { continue };
                if frame.command == Command::Message {
                    assert_eq!(frame.header("seq"), Some(expected_seq(*seen).as_str()));
                    assert_eq!(frame.body.len(), 64);
                    *seen += 1;
                    expected += 1;
                }
            }
        }
    }
    assert_eq!(expected, SUBSCRIBERS * MESSAGES);
    assert!(subs.iter().all(|(_, _, seen)| *seen == MESSAGES));
    let stats = broker.stats();
    assert_eq!(stats.messages_delivered, (SUBSCRIBERS * MESSAGES) as u64);
    assert_eq!(stats.unsent_bytes, 0);
}

fn expected_seq(n: usize) -> String {
    n.to_string()
}
