//! An M-JPEG stream as an ESP32 camera sends it (a delimiter line before
//! each frame, `X-Timestamp`, no close delimiter), cut into pieces as a
//! socket would deliver it and decoded leniently; then the same frames
//! re-encoded by rtw's encoder.
//!
//! `cargo run -p rtw-multipart --example split`

use bytes::BytesMut;
use rtw_multipart::{Boundary, Config, Decoder, Encoder, Item, Part, SeededRandom};

fn main() -> Result<(), rtw_multipart::Error> {
    let boundary = Boundary::from_content_type(
        "multipart/x-mixed-replace;boundary=123456789000000000000987654321",
    )?;
    let mut stream = Vec::new();
    for n in 0..3u8 {
        let frame = [0xff, 0xd8, n, n, n, 0xff, 0xd9];
        stream.extend(b"\r\n--123456789000000000000987654321\r\n");
        stream.extend(
            format!(
                "Content-Type: image/jpeg\r\nContent-Length: {}\r\nX-Timestamp: {n}.000000\r\n\r\n",
                frame.len()
            )
            .bytes(),
        );
        stream.extend(frame);
    }

    let mut decoder = Decoder::with_config(boundary, Config::lenient());
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    for piece in stream.chunks(13) {
        buf.extend_from_slice(piece);
        while let Some(item) = decoder.decode(&mut buf)? {
            if let Item::Part(part) = item {
                println!(
                    "frame {}: {} bytes, {:?}, X-Timestamp {:?}",
                    frames.len() + 1,
                    part.body.len(),
                    part.content_type(),
                    part.headers.get("x-timestamp")
                );
                frames.push(part.body);
            }
        }
    }
    // The connection closed between frames: accepted by the tolerance.
    assert_eq!(decoder.decode_eof(&mut buf)?, None);
    assert_eq!(frames.len(), 3);

    let boundary = Boundary::generate(&mut SeededRandom::new(42));
    println!("re-encoded as {}", boundary.content_type("x-mixed-replace"));
    let mut encoder = Encoder::new(boundary);
    let mut wire = BytesMut::new();
    for frame in frames {
        encoder
            .encode_part(&Part::new("image/jpeg", frame))?
            .write_to(&mut wire);
    }
    wire.extend_from_slice(&encoder.close()?);
    println!("{} bytes", wire.len());
    Ok(())
}
