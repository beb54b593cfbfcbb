//! The server's send path does not copy payloads: what `poll_transmit`
//! returns is the frame header, then the very `Bytes` given to `send`.
//! The client's path copies once (masking, RFC 6455 §5.3), and the bytes
//! on the wire are the same either way.

mod common;

use std::time::Instant;

use bytes::{Bytes, BytesMut};
use common::{events, wire};
use rtw_ws::{Config, Connection, Error, Event, Limits, Message, MessageKind, Role, SeededRandom};

fn conn(role: Role, config: Config) -> Connection {
    Connection::with_config(role, config, SeededRandom::new(5))
}

fn chunks(c: &mut Connection) -> Vec<Bytes> {
    std::iter::from_fn(|| c.poll_transmit()).collect()
}

/// `true` when `chunk` lies inside `of`'s memory.
fn points_into(chunk: &Bytes, of: &Bytes) -> bool {
    let (start, end) = (of.as_ptr() as usize, of.as_ptr() as usize + of.len());
    let at = chunk.as_ptr() as usize;
    at >= start && at + chunk.len() <= end
}

#[test]
fn a_server_sends_the_payload_it_was_given_without_a_copy() {
    let mut server = conn(Role::Server, Config::default());
    let payload = Bytes::from(vec![7u8; 64 * 1024]);
    server.send_binary(payload.clone()).unwrap();
    let out = chunks(&mut server);
    assert_eq!(out.len(), 2, "header, then payload");
    assert_eq!(&out[0][..], [0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0]);
    assert_eq!(out[1].as_ptr(), payload.as_ptr(), "the same memory");
    assert_eq!(out[1].len(), payload.len());

    // Text too, and fragments are slices of the same memory.
    let mut server = conn(Role::Server, Config::default().fragment_size(Some(1000)));
    let text = Bytes::from("é".repeat(1500));
    let utf8 = rtw_ws::Utf8Bytes::try_from(text.clone()).unwrap();
    server.send(Message::Text(utf8)).unwrap();
    let out = chunks(&mut server);
    let payloads: Vec<&Bytes> = out.iter().filter(|c| c.len() == 1000).collect();
    assert_eq!(payloads.len(), 3);
    for p in &payloads {
        assert!(points_into(p, &text), "a fragment was copied");
    }

    // send_fragment as well.
    let mut server = conn(Role::Server, Config::default());
    let piece = Bytes::from(vec![1u8; 4096]);
    server
        .send_fragment(MessageKind::Binary, piece.clone(), false)
        .unwrap();
    let out = chunks(&mut server);
    assert_eq!(out.last().unwrap().as_ptr(), piece.as_ptr());
}

#[test]
fn small_payloads_and_what_follows_gather_into_one_chunk() {
    let mut server = conn(Role::Server, Config::default());
    server.send_binary(Bytes::from_static(b"tiny")).unwrap();
    server.send_text("hello").unwrap();
    let out = chunks(&mut server);
    assert_eq!(out.len(), 1);
    assert_eq!(&out[0][..], b"\x82\x04tiny\x81\x05hello");

    // A large payload between small frames keeps the order.
    let big = Bytes::from(vec![3u8; 600]);
    server.send_text("a").unwrap();
    server.send_binary(big.clone()).unwrap();
    server.send_text("b").unwrap();
    let out = chunks(&mut server);
    assert_eq!(out.len(), 3);
    assert_eq!(&out[0][..], b"\x81\x01a\x82\x7E\x02\x58");
    assert_eq!(out[1].as_ptr(), big.as_ptr());
    assert_eq!(&out[2][..], b"\x81\x01b");
}

#[test]
fn the_write_buffer_limit_counts_zero_copy_payloads() {
    let mut server = conn(
        Role::Server,
        Config::default().limits(Limits::default().max_write_buffer(1000)),
    );
    server.send_binary(vec![0u8; 4000]).unwrap();
    assert_eq!(server.buffered_amount(), 4 + 4000);
    assert!(!server.can_send());
    assert_eq!(
        server.send_binary(vec![0u8; 1]),
        Err(Error::WriteBufferFull { limit: 1000 })
    );
    let head = server.poll_transmit().unwrap();
    assert_eq!(server.buffered_amount(), 4000, "header taken");
    let _payload = server.poll_transmit().unwrap();
    assert_eq!((head.len(), server.buffered_amount()), (4, 0));
    assert!(server.can_send());
}

#[test]
fn a_client_copies_once_to_mask_and_the_peer_reads_the_same_message() {
    let mut client = conn(Role::Client, Config::default().fragment_size(Some(700)));
    let mut server = conn(Role::Server, Config::default());
    let payload = Bytes::from((0..3000u32).map(|i| i as u8).collect::<Vec<u8>>());
    client.send_binary(payload.clone()).unwrap();
    let out = chunks(&mut client);
    assert!(out.iter().all(|c| !points_into(c, &payload)), "masked copy");
    let mut input: BytesMut = out.iter().flat_map(|c| c.iter().copied()).collect();
    server.handle_input(Instant::now(), &mut input);
    assert_eq!(
        events(&mut server),
        [Event::Message(Message::Binary(payload.clone()))]
    );

    // And back: the server's zero-copy chunks make the same bytes.
    server.send_binary(payload.clone()).unwrap();
    client.handle_input(Instant::now(), &mut wire(&mut server));
    assert_eq!(
        events(&mut client),
        [Event::Message(Message::Binary(payload))]
    );
}

#[cfg(feature = "deflate")]
#[test]
fn compressed_messages_arrive_intact_from_either_role() {
    use rtw_ws::deflate::{DeflateConfig, DeflateParams};
    let params = DeflateParams::default();
    let local = DeflateConfig::default();
    let mut client = conn(Role::Client, Config::default().fragment_size(Some(100)))
        .with_deflate(&params, &local);
    let mut server = conn(Role::Server, Config::default().fragment_size(Some(100)))
        .with_deflate(&params, &local);
    let text: String = (0..2000).map(|i| format!("{i} ")).collect();
    client.send_text(text.as_str()).unwrap();
    server.handle_input(Instant::now(), &mut wire(&mut client));
    assert_eq!(
        events(&mut server),
        [Event::Message(Message::text(text.as_str()))]
    );
    server.send_text(text.as_str()).unwrap();
    client.handle_input(Instant::now(), &mut wire(&mut server));
    assert_eq!(
        events(&mut client),
        [Event::Message(Message::text(text.as_str()))]
    );
}
