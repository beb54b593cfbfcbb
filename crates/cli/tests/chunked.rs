//! `rtw chunked decode` and `rtw chunked encode` as a user runs them.

use rtw_core::{Random, SeededRandom};
use std::io::{Read, Write};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

mod common;
use common::{RTW, rtw};

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A deterministic, incompressible payload of `len` bytes.
fn payload(len: usize, seed: u32) -> Vec<u8> {
    let mut out = vec![0; len];
    SeededRandom::new(seed.into()).fill_bytes(&mut out);
    out
}

#[test]
fn decode_valid_bodies() {
    let cases: &[(&[u8], &[u8])] = &[
        (b"0\r\n\r\n", b""),
        (b"5\r\nhello\r\n0\r\n\r\n", b"hello"),
        (b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", b"hello world"),
        (b"A\r\n0123456789\r\n000\r\n\r\n", b"0123456789"),
        (
            b"5 ; a=b ;c=\"d \\\" e\"\r\nhello\r\n0;last\r\n\r\n",
            b"hello",
        ),
        (b"c\r\n0\r\n\r\nabcdefg\r\n0\r\n\r\n", b"0\r\n\r\nabcdefg"),
    ];
    for (wire, payload) in cases {
        let out = rtw(&["chunked", "decode"], wire);
        assert!(out.status.success(), "{:?}: {}", wire, stderr(&out));
        assert_eq!(&out.stdout, payload);
        assert_eq!(stderr(&out), "");
    }
}

#[test]
fn decode_prints_trailers_on_stderr() {
    let out = rtw(
        &["chunked", "decode"],
        b"3\r\nabc\r\n0\r\nServer-Timing: total;dur=12\r\nX-Checksum:  f00d \r\n\r\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(out.stdout, b"abc");
    assert_eq!(
        stderr(&out),
        "server-timing: total;dur=12\nx-checksum: f00d\n"
    );
}

#[test]
fn decode_errors_exit_1_with_the_reason_and_no_output_past_it() {
    let cases: &[(&[u8], &[u8], &str)] = &[
        (
            b"5\r\nhello\r\n3\nabc\r\n0\r\n\r\n",
            b"hello",
            "bare LF in chunk line",
        ),
        (b"5\r\nhelloXX\r\n0\r\n\r\n", b"hello", "CVE-2025-43859"),
        (
            b"0x5\r\nhello\r\n0\r\n\r\n",
            b"",
            "invalid byte 0x78 after chunk-size",
        ),
        (b"-1\r\n", b"", "must start with a hex digit"),
        (b"10000000000000000\r\n", b"", "overflows 64 bits"),
        (
            b"0\r\nContent-Length: 5\r\n\r\n",
            b"",
            "not allowed in a trailer section",
        ),
        (b"5\r\nhello\r\n", b"hello", "truncated"),
        (
            b"8\r\nhel",
            b"hel",
            "truncated: stream ended inside the chunk data",
        ),
        (b"", b"", "truncated"),
        (
            b"0\r\n\r\nGET / HTTP/1.1\r\n\r\n",
            b"",
            "data after the end of the chunked body",
        ),
    ];
    for (wire, partial, message) in cases {
        let out = rtw(&["chunked", "decode"], wire);
        assert_eq!(out.status.code(), Some(1), "{wire:?}");
        assert_eq!(&out.stdout, partial, "{wire:?}");
        let err = stderr(&out);
        assert!(err.starts_with("rtw chunked decode: "), "{err}");
        assert!(err.contains(message), "{wire:?}: {err}");
    }
}

#[test]
fn encode_exact_output() {
    let out = rtw(&["chunked", "encode", "--size", "4"], b"hello world");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        out.stdout,
        b"4\r\nhell\r\n4\r\no wo\r\n3\r\nrld\r\n0\r\n\r\n"
    );
    let out = rtw(&["chunked", "encode"], b"");
    assert_eq!(out.stdout, b"0\r\n\r\n");
}

#[test]
fn encode_decode_round_trip_with_various_sizes() {
    let data = payload(100_000, 7);
    for size in [
        "1", "2", "3", "15", "16", "17", "1000", "16384", "65536", "1000000",
    ] {
        let encoded = rtw(&["chunked", "encode", "--size", size], &data);
        assert!(encoded.status.success(), "{}", stderr(&encoded));
        // Chunk sizes, read back by the library with chunk headers on.
        let max: u64 = size.parse().unwrap();
        let mut dec = rtw_chunked::Decoder::with_config(
            rtw_chunked::Config::default().report_chunk_headers(true),
        );
        let mut src = bytes::BytesMut::from(&encoded.stdout[..]);
        while let Some(frame) = dec.decode_eof(&mut src).unwrap() {
            match frame {
                rtw_chunked::Frame::Chunk(h) if h.size > 0 => {
                    assert!(h.size <= max, "chunk of {} with --size {size}", h.size);
                }
                rtw_chunked::Frame::End => break,
                _ => {}
            }
        }
        let decoded = rtw(&["chunked", "decode"], &encoded.stdout);
        assert!(decoded.status.success(), "{}", stderr(&decoded));
        assert!(
            decoded.stdout == data,
            "round trip with --size {size} differs"
        );
    }
}

#[test]
fn encode_trailers_come_back_on_stderr() {
    let encoded = rtw(
        &[
            "chunked",
            "encode",
            "--trailer",
            "X-Checksum: 1234",
            "--trailer",
            "Server-Timing: total;dur=3",
        ],
        b"payload",
    );
    assert!(encoded.status.success(), "{}", stderr(&encoded));
    assert!(
        encoded
            .stdout
            .ends_with(b"0\r\nx-checksum: 1234\r\nserver-timing: total;dur=3\r\n\r\n")
    );
    let decoded = rtw(&["chunked", "decode"], &encoded.stdout);
    assert!(decoded.status.success(), "{}", stderr(&decoded));
    assert_eq!(decoded.stdout, b"payload");
    assert_eq!(
        stderr(&decoded),
        "x-checksum: 1234\nserver-timing: total;dur=3\n"
    );
}

#[test]
fn bad_arguments_exit_2() {
    for args in [
        &["chunked", "encode", "--size", "0"][..],
        &["chunked", "encode", "--trailer", "Content-Length: 1"],
        &["chunked", "encode", "--trailer", "no-colon"],
        &["chunked", "bogus"],
    ] {
        let out = rtw(args, b"");
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(out.stdout.is_empty());
    }
}

/// Read from `reader` on a thread: first `want` bytes (sent as soon as
/// they came), then the rest until end of output.
fn read_on_thread(mut reader: impl Read + Send + 'static, want: usize) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut first = vec![0; want];
        if reader.read_exact(&mut first).is_ok() && tx.send(first).is_ok() {
            let mut rest = Vec::new();
            let _ = reader.read_to_end(&mut rest);
            let _ = tx.send(rest);
        }
    });
    rx
}

#[test]
fn decode_and_encode_stream_before_stdin_closes() {
    for (args, first, expect, rest) in [
        (
            &["chunked", "decode"][..],
            &b"5\r\nhello\r\n"[..],
            &b"hello"[..],
            &b"0\r\n\r\n"[..],
        ),
        (&["chunked", "encode"], b"hello", b"5\r\nhello\r\n", b""),
    ] {
        let mut child = Command::new(RTW)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(first).unwrap();
        stdin.flush().unwrap();
        let output = read_on_thread(child.stdout.take().unwrap(), expect.len());
        // stdin stays open: the output must come anyway.
        let got = output.recv_timeout(Duration::from_secs(10));
        stdin.write_all(rest).unwrap();
        drop(stdin);
        let status = child.wait().unwrap();
        assert_eq!(got.as_deref(), Ok(expect), "{args:?} held its output back");
        let tail = output.recv_timeout(Duration::from_secs(10)).unwrap();
        assert!(status.success(), "{args:?}");
        if args[1] == "encode" {
            assert_eq!(tail, b"0\r\n\r\n");
        } else {
            assert!(tail.is_empty());
        }
    }
}
