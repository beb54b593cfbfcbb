//! Decode a chunked body with extensions and a trailer section, fed in
//! small pieces as a socket would hand them over (RFC 9112 §7.1).
//!
//! `cargo run -p rtw-chunked --example decode`

use bytes::BytesMut;
use rtw_chunked::{Config, Decoder, Frame, Limits, TrailerPolicy};

/// A body as a server would send it: three chunks, one with an extension,
/// then a trailer section carrying a checksum (RFC 9112 §7.1.2).
const WIRE: &[u8] = b"6\r\nHello,\r\n\
                      1;note=\"space\"\r\n \r\n\
                      6\r\nworld!\r\n\
                      0\r\n\
                      Digest: sha-256=abc\r\n\
                      Server-Timing: total;dur=3\r\n\
                      \r\n\
                      GET /next HTTP/1.1\r\n";

fn main() -> Result<(), rtw_chunked::Error> {
    let config = Config::default()
        .limits(
            Limits::default()
                .max_trailer_bytes(4 * 1024)
                .max_body_size(Some(1 << 20)),
        )
        .report_chunk_headers(true)
        .trailer_policy(TrailerPolicy::Reject);
    let mut decoder = Decoder::with_config(config);

    let mut buf = BytesMut::new();
    let mut body = Vec::new();
    // Five bytes at a time: the decoder keeps its state between calls.
    for piece in WIRE.chunks(5) {
        buf.extend_from_slice(piece);
        while !decoder.is_done() {
            let Some(frame) = decoder.decode(&mut buf)? else {
                break; // needs more bytes
            };
            match frame {
                Frame::Chunk(header) => {
                    let note = header
                        .extension("note")
                        .and_then(|e| e.value())
                        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
                    println!("chunk of {} bytes, note: {note:?}", header.size);
                }
                Frame::Data(data) => body.extend_from_slice(&data),
                Frame::Trailers(trailers) => {
                    for (name, value) in &trailers {
                        println!("trailer {name}: {}", value.to_str().unwrap_or("?"));
                    }
                }
                Frame::End => println!("end of body"),
                _ => {}
            }
        }
    }
    println!("body: {:?}", String::from_utf8_lossy(&body));
    assert_eq!(body, b"Hello, world!");
    assert!(decoder.is_done());
    // Bytes after the body belong to the next message and stay in `buf`.
    println!(
        "left for the next message: {:?}",
        String::from_utf8_lossy(&buf)
    );
    assert_eq!(&buf[..], b"GET /next HTTP/1.1\r\n");
    Ok(())
}
