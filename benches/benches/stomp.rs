//! STOMP frame parse and serialize: rtw beside stomp-parser and
//! tokio-stomp-2 (the Rust crates that parse STOMP 1.2 and build here;
//! async-stomp, tokio-stomp-2's fork, is left out because its rustls
//! dependency builds aws-lc), with memcpy of the same bytes as the floor.
//!
//! - `stomp_parse_message_1k`: 1,000 MESSAGE frames as a broker delivers
//!   them (`destination`, `message-id`, `subscription`, `ack`,
//!   `content-type`, one custom header, `content-length`, a 128-byte
//!   body), back to back. rtw and tokio-stomp-2 decode the stream from a
//!   `BytesMut` fed 16 KiB pieces (`READ_LEN`); stomp-parser takes one
//!   frame per call as a `Vec<u8>` (its API), so it is handed each frame's
//!   bytes already cut out and copied once, a head start of framing. Each
//!   must yield 1,000 frames and every body byte; message ids and bodies
//!   are read so a lazy parser does the work.
//! - `stomp_serialize_send_1k`: 1,000 SEND frames (`destination`,
//!   `content-type`, one custom header, the 128-byte body) written into
//!   one buffer. rtw writes a built [`Frame`] by reference (its body is
//!   `Bytes`, so keeping a frame costs nothing). The peers' frames are not
//!   `Clone` and their writers consume them, so each is built anew from
//!   its headers and a clone of the body: tokio-stomp-2's `ToServer::Send`
//!   through its encoder, stomp-parser's `SendFrameBuilder` into its
//!   `Vec<u8>`, then copied into the buffer. The floor copies the wire
//!   bytes of the 1,000 frames.
//!
//! Throughput: frames and wire bytes (criterion prints both).
//! Run with `cargo bench -p rtw-benches --bench stomp`.

use std::convert::TryFrom;
use std::hint::black_box;

use bytes::BytesMut;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rtw_benches::Group;
use rtw_stomp::{Command, Decoder, Frame, Item, Version};
use tokio_util::codec::{Decoder as _, Encoder as _};

rtw_benches::count_allocations!();

/// Bytes handed to a stream decoder at a time, as from a socket read.
const READ_LEN: usize = 16 * 1024;
const FRAMES: usize = 1000;
const BODY_LEN: usize = 128;

fn body(i: usize) -> Vec<u8> {
    (0..BODY_LEN).map(|j| b'a' + ((i + j) % 26) as u8).collect()
}

fn message(i: usize) -> Frame {
    Frame::new(Command::Message)
        .with_header("destination", "/topic/prices.eur")
        .with_header("message-id", format!("T_sub-0@@session-Xr4bn@@{i}"))
        .with_header("subscription", "sub-0")
        .with_header("ack", format!("ack-{i}"))
        .with_header("content-type", "application/json")
        .with_header("x-trace", "4bf92f3577b34da6a3ce929d0e0e4736")
        .with_body(body(i))
}

fn send(i: usize) -> Frame {
    Frame::new(Command::Send)
        .with_header("destination", "/queue/orders")
        .with_header("content-type", "application/json")
        .with_header("x-trace", "4bf92f3577b34da6a3ce929d0e0e4736")
        .with_body(body(i))
}

/// Frames parsed and body bytes seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Tally {
    frames: usize,
    body_len: usize,
}

fn rtw_parse(wire: &[u8]) -> Tally {
    let mut decoder = Decoder::new();
    let mut buf = BytesMut::with_capacity(READ_LEN);
    let mut tally = Tally::default();
    for piece in wire.chunks(READ_LEN) {
        buf.extend_from_slice(piece);
        while let Some(item) = decoder.decode(&mut buf).expect("bench input") {
            let Item::Frame(frame) = item else {
                panic!("heart-beat in bench input")
            };
            tally.frames += 1;
            tally.body_len += frame.body.len();
            black_box(frame.header("message-id"));
            black_box(frame);
        }
    }
    tally
}

fn tokio_stomp_2_parse(wire: &[u8]) -> Tally {
    let mut codec = tokio_stomp_2::client::ClientCodec;
    let mut buf = BytesMut::with_capacity(READ_LEN);
    let mut tally = Tally::default();
    for piece in wire.chunks(READ_LEN) {
        buf.extend_from_slice(piece);
        while let Some(message) = codec.decode(&mut buf).expect("bench input") {
            match message.content {
                tokio_stomp_2::FromServer::Message {
                    ref message_id,
                    ref body,
                    ..
                } => {
                    tally.frames += 1;
                    tally.body_len += body.as_ref().map_or(0, Vec::len);
                    black_box(message_id);
                }
                ref other => panic!("bench input gave {other:?}"),
            }
            black_box(message);
        }
    }
    tally
}

fn stomp_parser_parse(frames: &[Vec<u8>]) -> Tally {
    use stomp_parser::server::ServerFrame;
    let mut tally = Tally::default();
    for bytes in frames {
        match ServerFrame::try_from(bytes.clone()) {
            Ok(ServerFrame::Message(frame)) => {
                tally.frames += 1;
                tally.body_len += frame.body().map_or(0, <[u8]>::len);
                black_box(frame.message_id().value());
                black_box(frame);
            }
            Ok(_) => panic!("bench input gave another frame"),
            Err(e) => panic!("bench input did not parse: {e:?}"),
        }
    }
    tally
}

fn memcpy_parse(wire: &[u8]) -> usize {
    let mut buf = BytesMut::with_capacity(READ_LEN);
    let mut copied = 0;
    for piece in wire.chunks(READ_LEN) {
        buf.extend_from_slice(piece);
        copied += buf.len();
        black_box(&buf);
        buf.clear();
    }
    copied
}

fn parse(c: &mut Criterion) {
    let frames: Vec<Vec<u8>> = (0..FRAMES)
        .map(|i| message(i).to_bytes(Version::V1_2).to_vec())
        .collect();
    let wire = frames.concat();
    let expected = Tally {
        frames: FRAMES,
        body_len: FRAMES * BODY_LEN,
    };
    assert_eq!(rtw_parse(&wire), expected, "rtw");
    assert_eq!(tokio_stomp_2_parse(&wire), expected, "tokio-stomp-2");
    assert_eq!(stomp_parser_parse(&frames), expected, "stomp-parser");
    assert_eq!(memcpy_parse(&wire), wire.len(), "memcpy");

    let mut group = Group::new(c, "stomp_parse_message_1k");
    group.throughput(Throughput::ElementsAndBytes {
        elements: FRAMES as u64,
        bytes: wire.len() as u64,
    });
    group.bench("rtw", || rtw_parse(black_box(&wire)));
    group.bench("tokio_stomp_2", || tokio_stomp_2_parse(black_box(&wire)));
    group.bench("stomp_parser", || stomp_parser_parse(black_box(&frames)));
    group.bench("memcpy", || memcpy_parse(black_box(&wire)));
    group.finish();
}

fn tokio_stomp_2_send(body: Vec<u8>) -> tokio_stomp_2::Message<tokio_stomp_2::ToServer> {
    tokio_stomp_2::ToServer::Send {
        destination: "/queue/orders".to_owned(),
        transaction: None,
        headers: Some(vec![
            ("content-type".to_owned(), "application/json".to_owned()),
            (
                "x-trace".to_owned(),
                "4bf92f3577b34da6a3ce929d0e0e4736".to_owned(),
            ),
        ]),
        body: Some(body),
    }
    .into()
}

fn stomp_parser_send(body: Vec<u8>) -> Vec<u8> {
    stomp_parser::client::SendFrameBuilder::new("/queue/orders".to_owned())
        .content_type("application/json".to_owned())
        .add_custom_header(
            "x-trace".to_owned(),
            "4bf92f3577b34da6a3ce929d0e0e4736".to_owned(),
        )
        .body(body)
        .build()
        .into()
}

fn serialize(c: &mut Criterion) {
    let ours: Vec<Frame> = (0..FRAMES).map(send).collect();
    let bodies: Vec<Vec<u8>> = (0..FRAMES).map(body).collect();
    let wire: Vec<u8> = ours
        .iter()
        .flat_map(|f| f.to_bytes(Version::V1_2).to_vec())
        .collect();

    // Every contender writes frames that rtw reads back as the same SEND.
    let check = |bytes: &[u8], name: &str| {
        let mut decoder = Decoder::new();
        let mut src = BytesMut::from(bytes);
        let mut n = 0;
        while let Some(Item::Frame(frame)) = decoder.decode(&mut src).expect(name) {
            assert_eq!(frame.command, Command::Send, "{name}");
            assert_eq!(frame.header("destination"), Some("/queue/orders"), "{name}");
            assert_eq!(frame.body, ours[n].body, "{name}");
            n += 1;
        }
        assert_eq!(n, FRAMES, "{name}");
    };
    let mut dst = BytesMut::new();
    for body in &bodies {
        tokio_stomp_2::client::ClientCodec
            .encode(tokio_stomp_2_send(body.clone()), &mut dst)
            .expect("encode");
    }
    check(&dst, "tokio-stomp-2");
    let stomp_parser_wire: Vec<u8> = bodies.iter().cloned().flat_map(stomp_parser_send).collect();
    check(&stomp_parser_wire, "stomp-parser");
    check(&wire, "rtw");

    let mut group = Group::new(c, "stomp_serialize_send_1k");
    group.throughput(Throughput::ElementsAndBytes {
        elements: FRAMES as u64,
        bytes: wire.len() as u64,
    });
    let mut dst = BytesMut::with_capacity(wire.len() * 2);
    group.bench("rtw", || {
        dst.clear();
        for frame in &ours {
            frame.encode(Version::V1_2, &mut dst);
        }
        black_box(dst.len())
    });
    group.bench("tokio_stomp_2", || {
        dst.clear();
        for body in &bodies {
            tokio_stomp_2::client::ClientCodec
                .encode(tokio_stomp_2_send(body.clone()), &mut dst)
                .expect("encode");
        }
        black_box(dst.len())
    });
    group.bench("stomp_parser", || {
        dst.clear();
        for body in &bodies {
            dst.extend_from_slice(&stomp_parser_send(body.clone()));
        }
        black_box(dst.len())
    });
    group.bench("memcpy", || {
        dst.clear();
        dst.extend_from_slice(black_box(&wire));
        black_box(dst.len())
    });
    group.finish();
}

criterion_group!(benches, parse, serialize);
criterion_main!(benches);
