//! Server-Sent Events parse throughput: rtw beside eventsource-stream and
//! sse-codec.
//!
//! One criterion group per input of `rtw_benches::sse::SseInput::all`:
//!
//! - `sse_parse_chat_10k`: 10,000 chat-like events of about 100 bytes
//!   (`event: msg`, `id: N`, `data: {json}`);
//! - `sse_parse_large_64KiB_lines`: 16 events of 64 KiB data sent in
//!   `data:` lines of 80 characters;
//! - `sse_parse_large_64KiB_one_line`: the same 16 events' data in one
//!   64 KiB `data:` line each.
//!
//! Every contender gets the same bytes in the same pieces, 16 KiB each
//! (`READ_LEN`), as from reads of a socket or chunks of an HTTP body, and
//! copies each piece once into the buffer it owns; each yields every event
//! with its type, data and id as owned strings:
//!
//! - `rtw`: [`rtw_sse::Decoder`] over a `BytesMut`, each piece appended,
//!   then `decode` until `Ok(None)`, then `decode_eof`.
//! - `eventsource_stream`: `eventsource_stream::EventStream` over a
//!   `futures_util::stream::iter` of the pieces (borrowed slices), polled
//!   to its end. That stream is never pending, so it is polled directly
//!   with a no-op waker: the same work as `block_on`, without an
//!   executor's own overhead in the timing.
//! - `sse_codec`: `sse_codec::SSECodec`, a `futures_codec::Decoder`, used
//!   directly on a `BytesMut` (`futures_codec` 0.5 re-exports that of
//!   `bytes` 1) the same way as rtw, without `FramedRead`.
//!
//! Each contender is run once untimed and must yield the input's number of
//! events and total data bytes, so a broken one fails loudly instead of
//! printing a fast number.
//!
//! Throughput: events and wire bytes (criterion prints both).
//! Run with `cargo bench -p rtw-benches --bench sse`.

use std::convert::Infallible;
use std::hint::black_box;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use bytes::BytesMut;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use futures_codec::Decoder as _;
use futures_util::Stream;
use rtw_benches::Group;
use rtw_benches::sse::{READ_LEN, SseInput};
use rtw_sse::{Decoder, Item};

rtw_benches::count_allocations!();

/// What a parse produced: events and their total data bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Tally {
    events: usize,
    data_len: usize,
}

impl Tally {
    fn of(input: &SseInput) -> Self {
        Tally {
            events: input.events.len(),
            data_len: input.data_len(),
        }
    }
}

/// Parse `wire` with rtw in pieces of [`READ_LEN`], handing every event to
/// `black_box`.
///
/// Panics on an error or on any item but an event, which the inputs never
/// contain.
fn rtw_parse(wire: &[u8]) -> Tally {
    let mut decoder = Decoder::new();
    let mut buf = BytesMut::with_capacity(READ_LEN);
    let mut tally = Tally {
        events: 0,
        data_len: 0,
    };
    let mut take = |item| match item {
        Item::Event(event) => {
            tally.events += 1;
            tally.data_len += event.data().len();
            black_box(event);
        }
        other => panic!("bench input gave {other:?}"),
    };
    for piece in wire.chunks(READ_LEN) {
        buf.extend_from_slice(piece);
        while let Some(item) = decoder.decode(&mut buf).expect("bench input") {
            take(item);
        }
    }
    while let Some(item) = decoder.decode_eof(&mut buf).expect("bench input") {
        take(item);
    }
    tally
}

/// Parse `wire` with eventsource-stream, its pieces as a stream of
/// borrowed slices.
fn eventsource_stream_parse(wire: &[u8]) -> Tally {
    let pieces = futures_util::stream::iter(wire.chunks(READ_LEN).map(Ok::<_, Infallible>));
    let mut events = eventsource_stream::EventStream::new(pieces);
    let mut cx = Context::from_waker(Waker::noop());
    let mut tally = Tally {
        events: 0,
        data_len: 0,
    };
    loop {
        match Pin::new(&mut events).poll_next(&mut cx) {
            Poll::Ready(Some(Ok(event))) => {
                tally.events += 1;
                tally.data_len += event.data.len();
                black_box(event);
            }
            Poll::Ready(None) => return tally,
            Poll::Ready(Some(Err(e))) => panic!("bench input did not parse: {e:?}"),
            Poll::Pending => unreachable!("an iterator stream is never pending"),
        }
    }
}

/// Parse `wire` with sse-codec's decoder in pieces of [`READ_LEN`].
fn sse_codec_parse(wire: &[u8]) -> Tally {
    let mut codec = sse_codec::SSECodec::default();
    let mut buf = BytesMut::with_capacity(READ_LEN);
    let mut tally = Tally {
        events: 0,
        data_len: 0,
    };
    let mut take = |event| match event {
        sse_codec::Event::Message { ref data, .. } => {
            tally.events += 1;
            tally.data_len += data.len();
            black_box(event);
        }
        other => panic!("bench input gave {other:?}"),
    };
    for piece in wire.chunks(READ_LEN) {
        buf.extend_from_slice(piece);
        while let Some(event) = codec.decode(&mut buf).expect("bench input") {
            take(event);
        }
    }
    while let Some(event) = codec.decode_eof(&mut buf).expect("bench input") {
        take(event);
    }
    tally
}

/// One group per input, with the three contenders of the module docs.
fn parse(c: &mut Criterion) {
    for input in SseInput::all() {
        let expected = Tally::of(&input);
        assert_eq!(rtw_parse(&input.wire), expected, "rtw, {}", input.label);
        assert_eq!(
            eventsource_stream_parse(&input.wire),
            expected,
            "eventsource-stream, {}",
            input.label
        );
        assert_eq!(
            sse_codec_parse(&input.wire),
            expected,
            "sse-codec, {}",
            input.label
        );

        let mut group = Group::new(c, format!("sse_parse_{}", input.label));
        group.throughput(Throughput::ElementsAndBytes {
            elements: expected.events as u64,
            bytes: input.wire.len() as u64,
        });
        let wire = &input.wire[..];
        group.bench("rtw", || rtw_parse(black_box(wire)));
        group.bench("eventsource_stream", || {
            eventsource_stream_parse(black_box(wire))
        });
        group.bench("sse_codec", || sse_codec_parse(black_box(wire)));
        group.finish();
    }
}

criterion_group!(benches, parse);
criterion_main!(benches);
