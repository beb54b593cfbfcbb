//! Decode throughput of HTTP/1.1 chunked bodies (RFC 9112 §7.1).
//!
//! For each chunk size in `rtw_benches::CHUNK_SIZES` (64 B, 1 KiB, 64 KiB; 1 MiB of
//! payload each) one criterion group times, side by side:
//!
//! - `rtw`: [`rtw_chunked::Decoder`] over a fresh `BytesMut` copy of the
//!   wire bytes, taking every [`Frame::Data`]. The copy is timed on purpose:
//!   a real caller's bytes arrive in a buffer it owns, and the decoder
//!   consumes that buffer, so one copy of the wire per body is part of
//!   realistic use. The data frames themselves are split off the buffer
//!   without copying.
//! - `rtw_decode_only`: the same decode with the copy made in untimed setup,
//!   to show how much of `rtw` is the copy and how much is parsing.
//! - `chunked_transfer`: the `chunked_transfer` crate, the small
//!   `std::io::Read` adapter a user might pick instead, reading the wire
//!   from a borrowed slice into a reused `Vec` with `read_to_end`. Its one
//!   copy is payload into that `Vec`.
//! - `memcpy`: the physical floor, the payload bytes copied into a fresh
//!   `BytesMut` exactly as `rtw` copies the wire (one allocation and one
//!   copy per iteration), so the `rtw / memcpy` ratio isolates the cost of
//!   the framing.
//!
//! Throughput is the payload length, so all four print comparable MB/s.
//! Run with `cargo bench -p rtw-benches --bench chunked`.

use std::hint::black_box;
use std::io::Read;

use bytes::BytesMut;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use rtw_benches::ChunkedInput;
use rtw_benches::Group;
use rtw_chunked::{Decoder, Frame};

rtw_benches::count_allocations!();

/// Decode the whole body in `buf` with rtw, handing each data frame to
/// `black_box` so none is optimised away; returns the payload length.
///
/// Panics on anything but data and the end, which the inputs never contain
/// (`ChunkedInput` is checked by the unit tests of `rtw-benches`).
fn rtw_decode(buf: &mut BytesMut) -> usize {
    let mut decoder = Decoder::new();
    let mut len = 0;
    loop {
        match decoder.decode(buf) {
            Ok(Some(Frame::Data(data))) => {
                len += data.len();
                black_box(data);
            }
            Ok(Some(Frame::End)) => return len,
            other => panic!("bench input did not decode: {other:?}"),
        }
    }
}

/// Decode the whole body with `chunked_transfer` into `out` (cleared
/// first, its capacity reused); returns the payload length.
fn chunked_transfer_decode(wire: &[u8], out: &mut Vec<u8>) -> usize {
    out.clear();
    chunked_transfer::Decoder::new(wire)
        .read_to_end(out)
        .expect("bench input did not decode")
}

/// One group per chunk size, with the four contenders described in the
/// module docs.
fn decode(c: &mut Criterion) {
    for input in ChunkedInput::all() {
        let payload_len = input.payload.len();
        // Check each contender once, untimed, so a broken one fails loudly
        // instead of printing a fast number.
        assert_eq!(
            rtw_decode(&mut BytesMut::from(&input.wire[..])),
            payload_len
        );
        let mut out = Vec::with_capacity(payload_len);
        assert_eq!(chunked_transfer_decode(&input.wire, &mut out), payload_len);
        assert_eq!(out, input.payload);

        let mut group = Group::new(c, format!("chunked_decode_{}", input.label));
        group.throughput(Throughput::Bytes(payload_len as u64));

        group.bench("rtw", || {
            // The buffer the bytes arrive in, then the decode.
            let mut buf = BytesMut::from(black_box(&input.wire[..]));
            rtw_decode(&mut buf)
        });

        group.bench_batched(
            "rtw_decode_only",
            || BytesMut::from(&input.wire[..]),
            |mut buf| {
                rtw_decode(&mut buf);
                // Returned, so criterion frees it outside the timing.
                buf
            },
            BatchSize::LargeInput,
        );

        group.bench("chunked_transfer", || {
            chunked_transfer_decode(black_box(&input.wire), &mut out)
        });

        group.bench("memcpy", || BytesMut::from(black_box(&input.payload[..])));

        group.finish();
    }
}

criterion_group!(benches, decode);
criterion_main!(benches);
