//! WebSocket (RFC 6455) benches: rtw beside fastwebsockets and tungstenite.
//!
//! 1. `ws_unmask_64KiB`: XOR-unmasking a 64 KiB buffer in place (§5.3):
//!    rtw's [`rtw_ws::apply_mask`] beside fastwebsockets' public
//!    [`fastwebsockets::unmask`], each on a buffer that starts on a
//!    64-byte boundary and on one that starts a byte later (`_unaligned`:
//!    fastwebsockets works on aligned `u32` words), and a
//!    `memcpy` of the same 64 KiB into a preallocated buffer as the floor.
//!    Throughput: the 64 KiB.
//! 2. `ws_decode_100k_frames`: decoding and unmasking a stream of 100,000
//!    masked binary frames a client sent (payloads of 16 B to 1 KiB, see
//!    `rtw_benches::ws::frame_sizes`), fed as from a socket in reads of
//!    128 KiB (`READ_LEN`, tungstenite's own read size) into the buffer
//!    each decoder owns, so every contender copies the wire once:
//!    - `rtw_frame_decoder`: [`FrameDecoder`] in the server role over a
//!      `BytesMut`, payloads split off as `Bytes`;
//!    - `rtw_connection`: the sans-IO [`Connection`] (server), which adds
//!      message assembly and control-frame handling and yields
//!      `Event::Message(Message::Binary)`, each read handed over whole with
//!      `handle_input` (every event of the read queued, then drained);
//!    - `rtw_connection_until_event`: the same connection driven as
//!      `rtw-tokio` drives it, with `handle_input_until_event` and each
//!      event taken before the next frame is read;
//!    - `tungstenite`: `tungstenite::protocol::WebSocket` (server) reading
//!      messages from the same bytes. Its frame-level `FrameSocket` does not
//!      unmask and its unmasking function is private, so the message layer
//!      is its only public path that unmasks; compare it with
//!      `rtw_connection` for like-for-like work, with `rtw_frame_decoder`
//!      for the framing alone;
//!    - `memcpy`: the wire copied once, in the same reads, into a reused
//!      128 KiB buffer: the copy every contender makes, as the floor.
//!
//!    Throughput: frames and payload bytes (criterion prints both).
//! 3. `ws_echo_20B`, `ws_echo_16KiB`: message echo over an in-memory pipe
//!    (`tokio::io::duplex`, `ECHO_PIPE_LEN` each way) on a current-thread
//!    tokio runtime, each library at both ends, set up directly on the
//!    pipe halves without the HTTP handshake: [`rtw_tokio::ws`]
//!    (`WebSocketStream::from_upgraded`), tokio-tungstenite
//!    (`WebSocketStream::from_raw_socket`) and fastwebsockets
//!    (`WebSocket::after_handshake` inside a `FragmentCollector`, so that
//!    it too delivers whole messages). The client sends `ECHO_MESSAGES`
//!    binary messages in windows of `ECHO_WINDOW` (send the window, flush,
//!    read its echoes back); the server reads each message and sends it
//!    back. Each side masks or unmasks as its role requires, with its own
//!    library's random masking keys. Connection set-up is timed too, once
//!    per 4,096 messages; neither side closes (the closing handshake and
//!    its timers are not what is measured). Throughput: messages echoed and
//!    their bytes in one direction.
//!
//! 4. `ws_deflate_echo_16KiB`: the echo of (3) with permessage-deflate
//!    (RFC 7692) negotiated at both rtw ends, for `DEFLATE_MESSAGES`
//!    JSON-like text messages of 16 KiB each (cycling through
//!    `DEFLATE_DISTINCT` different ones, `json_messages`), with context
//!    takeover (`rtw_context_takeover`) and without it both ways
//!    (`rtw_no_context_takeover`). No Rust peer crate speaks
//!    permessage-deflate, so the floor is flate2 alone (zlib-rs, raw
//!    deflate, level 6, 15-bit window): each message compressed with a
//!    sync flush and inflated again, twice (there and back), with context
//!    takeover (`flate2_floor`). The compression ratio of each mode is
//!    printed once before the group runs. Throughput: messages and their
//!    uncompressed bytes in one direction.
//!
//! Run with `cargo bench -p rtw-benches --bench ws`. `bash benches/ws-perf`
//! runs the echo groups of (3) and prints rtw's speed as a ratio of each
//! peer's, beside the loopback figures of `ws_perf` (memory per idle
//! connection, messages per server CPU-second; `src/bin/ws_perf.rs`).

use std::hint::black_box;
use std::io::{self, Read, Write};

use std::time::Instant;

use bytes::{Bytes, BytesMut};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use futures_util::{SinkExt, StreamExt};
use rtw_benches::Group;
use rtw_benches::payload;
use rtw_benches::ws::{
    ECHO_MESSAGES, ECHO_PIPE_LEN, ECHO_SIZES, ECHO_WINDOW, MASK_KEY, MaskedFrames, READ_LEN,
    UNMASK_LEN, masked_client_frames,
};
use rtw_ws::frame::{FrameDecoder, OpCode};
use rtw_ws::{Config, Connection, Event, Message, Role, SeededRandom};

rtw_benches::count_allocations!();

/// Frame size limit of the decoders: the defaults of rtw and tungstenite.
const MAX_FRAME: u64 = 16 << 20;

/// (1) Unmasking 64 KiB in place.
fn unmask(c: &mut Criterion) {
    let data = payload(UNMASK_LEN + 8);
    // Room to start the buffer on a 64-byte boundary, or one byte after.
    let mut storage = vec![0u8; UNMASK_LEN + 65];
    let aligned = storage.as_ptr().align_offset(64);
    let mut dst = vec![0u8; UNMASK_LEN];

    // Both unmask functions agree with each other before being timed.
    let (mut a, mut b) = (data[..UNMASK_LEN].to_vec(), data[..UNMASK_LEN].to_vec());
    rtw_ws::apply_mask(&mut a, MASK_KEY, 0);
    fastwebsockets::unmask(&mut b, MASK_KEY);
    assert_eq!(a, b, "rtw and fastwebsockets unmask differently");

    let mut group = Group::new(c, "ws_unmask_64KiB");
    group.throughput(Throughput::Bytes(UNMASK_LEN as u64));
    let mut contender = |name: &str, offset: usize, f: fn(&mut [u8])| {
        let buf = &mut storage[aligned + offset..aligned + offset + UNMASK_LEN];
        buf.copy_from_slice(&data[..UNMASK_LEN]);
        group.bench(name, || f(black_box(&mut *buf)));
    };
    contender("rtw", 0, |buf| rtw_ws::apply_mask(buf, MASK_KEY, 0));
    contender("rtw_unaligned", 1, |buf| {
        rtw_ws::apply_mask(buf, MASK_KEY, 0)
    });
    contender("fastwebsockets", 0, |buf| {
        fastwebsockets::unmask(buf, MASK_KEY)
    });
    contender("fastwebsockets_unaligned", 1, |buf| {
        fastwebsockets::unmask(buf, MASK_KEY)
    });
    let src = &data[..UNMASK_LEN];
    group.bench("memcpy", || {
        dst.copy_from_slice(black_box(src));
        black_box(&mut dst);
    });
    group.finish();
}

/// (2) Decode rtw's way: the wire arrives in reads of [`READ_LEN`] bytes
/// into the decoder's `BytesMut`; returns frames and payload bytes.
fn rtw_frame_decoder(wire: &[u8]) -> (usize, usize) {
    let mut decoder = FrameDecoder::new(Role::Server, MAX_FRAME);
    let mut buf = BytesMut::with_capacity(READ_LEN);
    let (mut frames, mut bytes) = (0, 0);
    for read in wire.chunks(READ_LEN) {
        buf.extend_from_slice(read);
        while let Some(frame) = decoder.decode(&mut buf).expect("bench input decodes") {
            debug_assert_eq!(frame.header.opcode, OpCode::Binary);
            frames += 1;
            bytes += frame.payload.len();
            black_box(frame.payload);
        }
    }
    (frames, bytes)
}

/// (2) The sans-IO connection over the same reads, each read handed over
/// whole (`until_event` false) or as `rtw-tokio` does it (`true`): input
/// up to each event with `handle_input_until_event`, then the event, so
/// the queue holds one event at a time.
fn rtw_connection_driven(wire: &[u8], until_event: bool) -> (usize, usize) {
    let mut conn = Connection::with_config(Role::Server, Config::default(), SeededRandom::new(1));
    let mut buf = BytesMut::with_capacity(READ_LEN);
    let (mut frames, mut bytes) = (0, 0);
    let mut take = |conn: &mut Connection| {
        while let Some(event) = conn.poll_event() {
            match event {
                Event::Message(Message::Binary(data)) => {
                    frames += 1;
                    bytes += data.len();
                    black_box(data);
                }
                other => panic!("bench input gave {other:?}"),
            }
        }
    };
    for read in wire.chunks(READ_LEN) {
        buf.extend_from_slice(read);
        let now = Instant::now();
        if until_event {
            while conn.handle_input_until_event(now, &mut buf) {
                take(&mut conn);
            }
        } else {
            conn.handle_input(now, &mut buf);
            take(&mut conn);
        }
    }
    (frames, bytes)
}

/// (2) `rtw_connection`: every event of a read queued, then drained.
fn rtw_connection(wire: &[u8]) -> (usize, usize) {
    rtw_connection_driven(wire, false)
}

/// (2) `rtw_connection_until_event`: one event queued at a time.
fn rtw_connection_until_event(wire: &[u8]) -> (usize, usize) {
    rtw_connection_driven(wire, true)
}

/// The client's side of an in-memory connection for tungstenite: reads
/// come from the wire (at most what is asked, as a socket gives), writes
/// are discarded (a server sends nothing here).
struct Inbound<'a>(&'a [u8]);

impl Read for Inbound<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl Write for Inbound<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// (2) tungstenite's server reading `count` messages.
fn tungstenite_websocket(wire: &[u8], count: usize) -> (usize, usize) {
    let mut ws = tungstenite::protocol::WebSocket::from_raw_socket(
        Inbound(wire),
        tungstenite::protocol::Role::Server,
        None,
    );
    let mut bytes = 0;
    for _ in 0..count {
        match ws.read().expect("bench input decodes") {
            tungstenite::Message::Binary(data) => {
                bytes += data.len();
                black_box(data);
            }
            other => panic!("bench input gave {other:?}"),
        }
    }
    (count, bytes)
}

fn decode(c: &mut Criterion) {
    let input: MaskedFrames = masked_client_frames(rtw_benches::ws::FRAME_COUNT);
    let count = input.sizes.len();
    let expected = (count, input.payload_len());
    // Every contender decodes the whole stream, untimed, before it is timed.
    assert_eq!(rtw_frame_decoder(&input.wire), expected);
    assert_eq!(rtw_connection(&input.wire), expected);
    assert_eq!(rtw_connection_until_event(&input.wire), expected);
    assert_eq!(tungstenite_websocket(&input.wire, count), expected);

    let mut group = Group::new(c, "ws_decode_100k_frames");
    group.throughput(Throughput::ElementsAndBytes {
        elements: count as u64,
        bytes: input.payload_len() as u64,
    });
    let wire = &input.wire[..];
    group.bench("rtw_frame_decoder", || rtw_frame_decoder(black_box(wire)));
    group.bench("rtw_connection", || rtw_connection(black_box(wire)));
    group.bench("rtw_connection_until_event", || {
        rtw_connection_until_event(black_box(wire))
    });
    group.bench("tungstenite", || {
        tungstenite_websocket(black_box(wire), count)
    });
    let mut read_buf = vec![0u8; READ_LEN];
    group.bench("memcpy", || {
        for read in black_box(wire).chunks(READ_LEN) {
            read_buf[..read.len()].copy_from_slice(read);
            black_box(&mut read_buf);
        }
    });
    group.finish();
}

/// (3) rtw: `rtw_tokio::ws::WebSocketStream` at both ends.
async fn echo_rtw(data: Bytes) {
    use rtw_tokio::ws::{Options, WebSocketStream};
    let (client_io, server_io) = tokio::io::duplex(ECHO_PIPE_LEN);
    let server = tokio::spawn(async move {
        let mut ws = WebSocketStream::from_upgraded(server_io, Role::Server, Options::default())
            .expect("server stream");
        for _ in 0..ECHO_MESSAGES {
            let message = ws.next().await.expect("a message").expect("no error");
            ws.send(message).await.expect("echo sent");
        }
    });
    let mut ws = WebSocketStream::from_upgraded(client_io, Role::Client, Options::default())
        .expect("client stream");
    for _ in 0..ECHO_MESSAGES / ECHO_WINDOW {
        for _ in 0..ECHO_WINDOW {
            ws.feed(Message::Binary(data.clone())).await.expect("sent");
        }
        ws.flush().await.expect("flushed");
        for _ in 0..ECHO_WINDOW {
            match ws.next().await {
                Some(Ok(Message::Binary(echo))) => assert_eq!(echo.len(), data.len()),
                other => panic!("rtw echo gave {other:?}"),
            }
        }
    }
    server.await.expect("server task");
}

/// (3) tokio-tungstenite at both ends.
async fn echo_tokio_tungstenite(data: Bytes) {
    use tokio_tungstenite::WebSocketStream;
    use tungstenite::Message;
    use tungstenite::protocol::Role;
    let (client_io, server_io) = tokio::io::duplex(ECHO_PIPE_LEN);
    let server = tokio::spawn(async move {
        let mut ws = WebSocketStream::from_raw_socket(server_io, Role::Server, None).await;
        for _ in 0..ECHO_MESSAGES {
            let message = ws.next().await.expect("a message").expect("no error");
            ws.send(message).await.expect("echo sent");
        }
    });
    let mut ws = WebSocketStream::from_raw_socket(client_io, Role::Client, None).await;
    for _ in 0..ECHO_MESSAGES / ECHO_WINDOW {
        for _ in 0..ECHO_WINDOW {
            ws.feed(Message::Binary(data.clone())).await.expect("sent");
        }
        ws.flush().await.expect("flushed");
        for _ in 0..ECHO_WINDOW {
            match ws.next().await {
                Some(Ok(Message::Binary(echo))) => assert_eq!(echo.len(), data.len()),
                other => panic!("tokio-tungstenite echo gave {other:?}"),
            }
        }
    }
    server.await.expect("server task");
}

/// (3) fastwebsockets at both ends.
async fn echo_fastwebsockets(data: Bytes) {
    use fastwebsockets::{FragmentCollector, Frame, OpCode, Payload, Role, WebSocket};
    let (client_io, server_io) = tokio::io::duplex(ECHO_PIPE_LEN);
    let server = tokio::spawn(async move {
        let mut ws = FragmentCollector::new(WebSocket::after_handshake(server_io, Role::Server));
        for _ in 0..ECHO_MESSAGES {
            let frame = ws.read_frame().await.expect("a message");
            ws.write_frame(frame).await.expect("echo sent");
        }
    });
    let mut ws = FragmentCollector::new(WebSocket::after_handshake(client_io, Role::Client));
    for _ in 0..ECHO_MESSAGES / ECHO_WINDOW {
        for _ in 0..ECHO_WINDOW {
            let frame = Frame::binary(Payload::Borrowed(&data));
            ws.write_frame(frame).await.expect("sent");
        }
        for _ in 0..ECHO_WINDOW {
            let echo = ws.read_frame().await.expect("an echo");
            assert_eq!(echo.opcode, OpCode::Binary);
            assert_eq!(echo.payload.len(), data.len());
        }
    }
    server.await.expect("server task");
}

fn echo(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    for (size, label) in ECHO_SIZES {
        let data = Bytes::from(payload(size));
        // Each contender runs once, untimed: its asserts check every echo.
        runtime.block_on(echo_rtw(data.clone()));
        runtime.block_on(echo_tokio_tungstenite(data.clone()));
        runtime.block_on(echo_fastwebsockets(data.clone()));

        let mut group = Group::new(c, format!("ws_echo_{label}"));
        group.throughput(Throughput::ElementsAndBytes {
            elements: ECHO_MESSAGES as u64,
            bytes: (ECHO_MESSAGES * size) as u64,
        });
        group.bench("rtw", || runtime.block_on(echo_rtw(data.clone())));
        group.bench("tokio_tungstenite", || {
            runtime.block_on(echo_tokio_tungstenite(data.clone()))
        });
        group.bench("fastwebsockets", || {
            runtime.block_on(echo_fastwebsockets(data.clone()))
        });
        group.finish();
    }
}

/// (4) Messages per iteration of the deflate echo.
const DEFLATE_MESSAGES: usize = 256;

/// (4) Distinct messages the echo cycles through, so that context
/// takeover finds shared structure but never a whole repeated message.
const DEFLATE_DISTINCT: usize = 8;

/// (4) The `DEFLATE_DISTINCT` messages: 16 KiB texts of JSON records,
/// compressible as real API traffic is (repeated keys, varying values).
fn json_messages() -> Vec<String> {
    (0..DEFLATE_DISTINCT as u64)
        .map(|k| json_like(16 * 1024, k * 10_000))
        .collect()
}

/// (4) `len` bytes of JSON records numbered from `first`.
fn json_like(len: usize, first: u64) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(len + 128);
    let mut i: u64 = first;
    while s.len() < len {
        let x = i.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 40;
        let _ = write!(
            s,
            "{{\"id\":{i},\"user\":\"user{}\",\"score\":{},\"active\":{},\"tags\":[\"t{}\",\"t{}\"]}},",
            x % 1000,
            x % 100_000,
            x % 2 == 0,
            x % 7,
            x % 13
        );
        i += 1;
    }
    s.truncate(len);
    s
}

/// (4) The negotiated parameters of each mode.
fn deflate_params(takeover: bool) -> rtw_ws::deflate::DeflateParams {
    rtw_ws::deflate::DeflateParams {
        server_no_context_takeover: !takeover,
        client_no_context_takeover: !takeover,
        ..Default::default()
    }
}

/// (4) rtw with permessage-deflate at both ends.
async fn echo_rtw_deflate(texts: Vec<String>, takeover: bool) {
    use rtw_tokio::ws::{Options, WebSocketStream};
    let options = Options::default().negotiated_deflate(deflate_params(takeover));
    let (client_io, server_io) = tokio::io::duplex(ECHO_PIPE_LEN);
    let server_options = options.clone();
    let server = tokio::spawn(async move {
        let mut ws = WebSocketStream::from_upgraded(server_io, Role::Server, server_options)
            .expect("server stream");
        for _ in 0..DEFLATE_MESSAGES {
            let message = ws.next().await.expect("a message").expect("no error");
            ws.send(message).await.expect("echo sent");
        }
    });
    let mut ws =
        WebSocketStream::from_upgraded(client_io, Role::Client, options).expect("client stream");
    for _ in 0..DEFLATE_MESSAGES / ECHO_WINDOW {
        for i in 0..ECHO_WINDOW {
            let text = &texts[i % texts.len()];
            ws.feed(Message::text(text.clone())).await.expect("sent");
        }
        ws.flush().await.expect("flushed");
        for i in 0..ECHO_WINDOW {
            match ws.next().await {
                Some(Ok(Message::Text(echo))) => assert_eq!(echo.as_str(), texts[i % texts.len()]),
                other => panic!("rtw deflate echo gave {other:?}"),
            }
        }
    }
    server.await.expect("server task");
}

/// (4) The floor: flate2 compressing and inflating each message, `messages`
/// times over two streams (there and back), with context takeover.
/// Returns the compressed bytes of all messages, tails removed.
fn flate2_round_trips(texts: &[String], messages: usize) -> usize {
    use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};
    let mut compressed_total = 0;
    let mut ways: Vec<(Compress, Decompress)> = (0..2)
        .map(|_| {
            (
                Compress::new_with_window_bits(Compression::new(6), false, 15),
                Decompress::new_with_window_bits(false, 15),
            )
        })
        .collect();
    let mut packed = Vec::new();
    let mut unpacked = Vec::new();
    for m in 0..messages {
        // There and back: each message goes through both streams.
        let data = texts[(m / 2) % texts.len()].as_bytes();
        let (c, d) = &mut ways[m % 2];
        packed.clear();
        let before = c.total_in();
        loop {
            if packed.capacity() - packed.len() < 64 {
                packed.reserve(4096);
            }
            let at = (c.total_in() - before) as usize;
            c.compress_vec(&data[at..], &mut packed, FlushCompress::Sync)
                .expect("deflate");
            if (c.total_in() - before) as usize == data.len() && packed.len() < packed.capacity() {
                break;
            }
        }
        // The sender strips the 0x00 0x00 0xff 0xff tail, the receiver
        // appends it again: the same bytes are inflated.
        compressed_total += packed.len() - 4;
        unpacked.clear();
        let before = d.total_in();
        loop {
            if unpacked.capacity() - unpacked.len() < 1024 {
                unpacked.reserve(16 * 1024);
            }
            let at = (d.total_in() - before) as usize;
            d.decompress_vec(&packed[at..], &mut unpacked, FlushDecompress::None)
                .expect("inflate");
            if (d.total_in() - before) as usize == packed.len()
                && unpacked.len() < unpacked.capacity()
            {
                break;
            }
        }
        assert_eq!(unpacked.len(), data.len());
    }
    compressed_total
}

/// (4) Uncompressed over wire bytes (headers included) of `text` as rtw
/// sends it, over 64 messages.
fn rtw_ratio(texts: &[String], takeover: bool) -> f64 {
    let params = deflate_params(takeover);
    let local = rtw_ws::deflate::DeflateConfig::default();
    let mut client = Connection::with_config(Role::Client, Config::default(), SeededRandom::new(1))
        .with_deflate(&params, &local);
    let (mut wire, mut sent) = (0, 0);
    for i in 0..64 {
        let text = &texts[i % texts.len()];
        sent += text.len();
        client.send(Message::text(text.clone())).expect("sent");
        while let Some(b) = client.poll_transmit() {
            wire += b.len();
        }
    }
    sent as f64 / wire as f64
}

fn deflate_echo(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let texts = json_messages();
    let len = texts[0].len();
    // Each mode runs once, untimed: its asserts check every echo.
    for takeover in [true, false] {
        runtime.block_on(echo_rtw_deflate(texts.clone(), takeover));
    }
    let floor = flate2_round_trips(&texts, 128);
    println!(
        "ws_deflate_echo_16KiB compression ratio: rtw context takeover {:.2}, \
         rtw no context takeover {:.2}, flate2 floor {:.2}",
        rtw_ratio(&texts, true),
        rtw_ratio(&texts, false),
        (128 * len) as f64 / floor as f64,
    );
    let mut group = Group::new(c, "ws_deflate_echo_16KiB");
    group.throughput(Throughput::ElementsAndBytes {
        elements: DEFLATE_MESSAGES as u64,
        bytes: (DEFLATE_MESSAGES * len) as u64,
    });
    group.bench("rtw_context_takeover", || {
        runtime.block_on(echo_rtw_deflate(texts.clone(), true))
    });
    group.bench("rtw_no_context_takeover", || {
        runtime.block_on(echo_rtw_deflate(texts.clone(), false))
    });
    group.bench("flate2_floor", || {
        flate2_round_trips(black_box(&texts), 2 * DEFLATE_MESSAGES)
    });
    group.finish();
}

criterion_group!(benches, unmask, decode, echo, deflate_echo);
criterion_main!(benches);
