//! Multipart decode: rtw-multipart on an M-JPEG-like stream beside memcpy
//! of the same bytes as the floor. No peer crate: the multipart crates
//! that build here (multer, multipart-stream) would need a
//! `[workspace.dependencies]` entry, left for a later change.
//!
//! - `multipart_decode_100x64k/content_length`: 100 parts of 64 KiB, each
//!   with `Content-Type`, `Content-Length` and `X-Timestamp` (mjpg-streamer's
//!   shape), then the close delimiter, fed from 16 KiB reads
//!   (`READ_LEN`) into a `BytesMut`; each part's body is read (first and
//!   last byte) so a lazy decoder does the work.
//! - `multipart_decode_100x64k/scan`: the same without `Content-Length`,
//!   so every body is found by scanning for the delimiter (memchr's
//!   `memmem`).
//! - `multipart_decode_100x64k/memcpy`: the floor, the same 16 KiB reads
//!   copied into a `BytesMut`.
//!
//! Throughput: wire bytes (criterion prints it).
//! Run with `cargo bench -p rtw-benches --bench multipart`.

use std::hint::black_box;

use bytes::BytesMut;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rtw_benches::Group;
use rtw_multipart::{Boundary, Decoder, Item, Random, SeededRandom};

rtw_benches::count_allocations!();

const READ_LEN: usize = 16 * 1024;
const PARTS: usize = 100;
const PART_LEN: usize = 64 * 1024;
const BOUNDARY: &str = "boundarydonotcross";

fn stream(with_length: bool) -> Vec<u8> {
    let mut random = SeededRandom::new(17);
    let mut out = Vec::new();
    for i in 0..PARTS {
        let mut body = vec![0; PART_LEN];
        random.fill_bytes(&mut body);
        if i > 0 {
            out.extend(b"\r\n");
        }
        out.extend(format!("--{BOUNDARY}\r\nContent-Type: image/jpeg\r\n").bytes());
        if with_length {
            out.extend(format!("Content-Length: {PART_LEN}\r\n").bytes());
        }
        out.extend(format!("X-Timestamp: 1700000000.{i:06}\r\n\r\n").bytes());
        out.extend(&body);
    }
    out.extend(format!("\r\n--{BOUNDARY}--\r\n").bytes());
    out
}

fn decode(wire: &[u8]) -> usize {
    let mut decoder = Decoder::new(Boundary::new(BOUNDARY).unwrap());
    let mut buf = BytesMut::with_capacity(2 * PART_LEN);
    let mut parts = 0;
    let mut check = 0u8;
    for piece in wire.chunks(READ_LEN) {
        buf.extend_from_slice(piece);
        while let Some(item) = decoder.decode(&mut buf).unwrap() {
            if let Item::Part(part) = item {
                parts += 1;
                check ^= part.body[0] ^ part.body[PART_LEN - 1];
            }
        }
    }
    assert!(decoder.is_done());
    black_box(check);
    parts
}

fn bench(c: &mut Criterion) {
    let with_length = stream(true);
    let without = stream(false);
    assert_eq!(decode(&with_length), PARTS);
    assert_eq!(decode(&without), PARTS);
    let mut group = Group::new(c, "multipart_decode_100x64k");
    group.throughput(Throughput::Bytes(with_length.len() as u64));
    group.bench("content_length", || decode(black_box(&with_length)));
    group.throughput(Throughput::Bytes(without.len() as u64));
    group.bench("scan", || decode(black_box(&without)));
    group.throughput(Throughput::Bytes(with_length.len() as u64));
    group.bench("memcpy", || {
        let mut buf = BytesMut::with_capacity(2 * PART_LEN);
        for piece in black_box(&with_length).chunks(READ_LEN) {
            buf.extend_from_slice(piece);
            if buf.len() >= PART_LEN {
                black_box(buf.split().freeze());
            }
        }
        buf.len()
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
