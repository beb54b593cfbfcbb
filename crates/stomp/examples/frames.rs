//! Serializes a CONNECT, a SEND with NULs in its body and a DISCONNECT,
//! reads them back from a stream fed byte by byte with heart-beats in
//! between, then shows the ERROR frame a bad escape earns.
//!
//! Run with `cargo run -p rtw-stomp --example frames`.

use bytes::BytesMut;
use rtw_stomp::{Command, Decoder, Frame, HeartBeat, Item, Version, negotiate_version};

fn main() {
    let version = negotiate_version(Some("1.1,1.2"), &Version::ALL).expect("a common version");
    let ours = HeartBeat::parse("10000,10000").expect("valid heart-beat");
    let theirs = HeartBeat::parse("5000,20000").expect("valid heart-beat");
    let (send_every, expect_every) = HeartBeat::negotiate(ours, theirs);
    println!("version {version}, send every {send_every:?}, expect every {expect_every:?}");

    let frames = [
        Frame::new(Command::Connect)
            .with_header("accept-version", "1.1,1.2")
            .with_header("host", "localhost")
            .with_header("heart-beat", ours.header_value()),
        Frame::new(Command::Send)
            .with_header("destination", "/queue/a")
            .with_header("note", "colon: and newline\n escaped")
            .with_body(&b"binary\0body"[..]),
        Frame::new(Command::Disconnect).with_header("receipt", "77"),
    ];
    let mut wire = Vec::new();
    for frame in &frames {
        wire.extend_from_slice(&frame.to_bytes(version));
        wire.extend_from_slice(b"\r\n");
    }
    println!(
        "{} bytes on the wire: {:?}",
        wire.len(),
        String::from_utf8_lossy(&wire)
    );

    let mut decoder = Decoder::new();
    decoder.set_version(version);
    let mut src = BytesMut::new();
    let (mut read, mut beats) = (0, 0);
    for byte in wire {
        src.extend_from_slice(&[byte]);
        while let Some(item) = decoder.decode(&mut src).expect("valid stream") {
            match item {
                Item::Frame(frame) => {
                    println!(
                        "{} {:?} ({} body bytes)",
                        frame.command,
                        frame.headers,
                        frame.body.len()
                    );
                    read += 1;
                }
                Item::HeartBeat => beats += 1,
            }
        }
    }
    assert_eq!((read, beats), (3, 3));

    let mut bad = BytesMut::from(&b"SEND\ndestination:/queue/\\q\n\n\0"[..]);
    let error = decoder.decode(&mut bad).expect_err("undefined escape");
    let answer = error.error_frame().to_bytes(version);
    println!("{error}\nanswer: {:?}", String::from_utf8_lossy(&answer));
}
