//! Streams captured from real programs, decoded as they came.
//!
//! `data/ffmpeg-5.1-mpjpeg.bin`: Debian's ffmpeg 5.1.9 writing three
//! frames of its test pattern with the `mpjpeg` muxer:
//! `ffmpeg -f lavfi -i testsrc=size=64x48:rate=5 -frames:v 3 -q:v 10 -f mpjpeg OUT`.
//! Each frame follows a `--ffmpeg` line with `Content-type` and
//! `Content-length`, and the stream ends with a last `--ffmpeg` line and
//! no close delimiter (`--ffmpeg--`).

mod common;
use common::{bodies, decode, decode_bytewise};
use rtw_multipart::{Config, Error};

const FFMPEG: &[u8] = include_bytes!("data/ffmpeg-5.1-mpjpeg.bin");

#[test]
fn ffmpeg_mpjpeg_capture_decodes_to_its_three_jpegs() {
    // Strict: the three frames, then the missing close delimiter named.
    let strict = decode("ffmpeg", &Config::default(), FFMPEG);
    assert_eq!(strict.parts.len(), 3);
    assert_eq!(strict.error, Some(Error::MissingCloseDelimiter));

    // With that one tolerance, the whole stream, one shot or byte by byte.
    let config = Config::default().allow_missing_close_delimiter(true);
    let out = decode("ffmpeg", &config, FFMPEG);
    assert_eq!(out, decode_bytewise("ffmpeg", &config, FFMPEG));
    assert_eq!(out.error, None);
    assert!(!out.closed);
    let lengths: Vec<usize> = bodies(&out).iter().map(Vec::len).collect();
    assert_eq!(lengths, [1277, 1279, 1277]);
    for part in &out.parts {
        assert_eq!(part.content_type(), Some("image/jpeg"));
        assert_eq!(part.content_length(), Some(part.body.len() as u64));
        // A whole JPEG: SOI first, EOI last (ITU-T T.81 B.2.1).
        assert_eq!(&part.body[..2], [0xff, 0xd8]);
        assert_eq!(&part.body[part.body.len() - 2..], [0xff, 0xd9]);
    }
}
