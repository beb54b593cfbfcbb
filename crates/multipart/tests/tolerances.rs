//! Each tolerance of `Config` against the stream shape that needs it,
//! strict first (refused), then with the switch on (accepted), one shot
//! and byte by byte alike.

mod common;
use common::{Outcome, bodies, decode, decode_bytewise};
use rtw_multipart::{Config, Error};

fn jpeg(n: u8) -> Vec<u8> {
    let mut v = vec![0xff, 0xd8, 0xff, 0xe0];
    v.extend((0..40).map(|i| i ^ n));
    v.extend([0xff, 0xd9]);
    v
}

fn both(boundary: &str, config: &Config, input: &[u8]) -> Outcome {
    let one = decode(boundary, config, input);
    assert_eq!(one, decode_bytewise(boundary, config, input), "split");
    one
}

/// mjpg-streamer's output_http: the first delimiter opens the body, each
/// frame carries Content-Length and X-Timestamp and is followed at once
/// by the next delimiter line; no close delimiter ever.
fn mjpg_streamer(frames: u8) -> Vec<u8> {
    let mut out = b"--boundarydonotcross\r\n".to_vec();
    for n in 0..frames {
        let j = jpeg(n);
        out.extend(
            format!(
                "Content-Type: image/jpeg\r\nContent-Length: {}\r\nX-Timestamp: 1700000000.{n:06}\r\n\r\n",
                j.len()
            )
            .bytes(),
        );
        out.extend(&j);
        out.extend(b"\r\n--boundarydonotcross\r\n");
    }
    out
}

/// ffmpeg's `mpjpeg` muxer: a delimiter line before each frame,
/// `Content-type`/`Content-length` in its spelling, a CRLF after it.
fn ffmpeg(frames: u8) -> Vec<u8> {
    let mut out = Vec::new();
    for n in 0..frames {
        let j = jpeg(n);
        out.extend(
            format!(
                "--ffmpeg\r\nContent-type: image/jpeg\r\nContent-length: {}\r\n\r\n",
                j.len()
            )
            .bytes(),
        );
        out.extend(&j);
        out.extend(b"\r\n");
    }
    out
}

/// The ESP32 camera example server: `CRLF--boundary CRLF` before each
/// frame (so the body starts with an empty preamble), X-Timestamp, and
/// nothing after the last frame.
fn esp32(frames: u8) -> Vec<u8> {
    let mut out = Vec::new();
    for n in 0..frames {
        let j = jpeg(n);
        out.extend(b"\r\n--123456789000000000000987654321\r\n");
        out.extend(
            format!(
                "Content-Type: image/jpeg\r\nContent-Length: {}\r\nX-Timestamp: {n}.000123\r\n\r\n",
                j.len()
            )
            .bytes(),
        );
        out.extend(&j);
    }
    out
}

#[test]
fn missing_close_delimiter_mjpg_streamer_esp32_ffmpeg() {
    let cases = [
        ("boundarydonotcross", mjpg_streamer(3)),
        ("ffmpeg", ffmpeg(3)),
        ("123456789000000000000987654321", esp32(3)),
    ];
    for (boundary, input) in cases {
        let strict = both(boundary, &Config::default(), &input);
        assert_eq!(
            strict.error,
            Some(Error::MissingCloseDelimiter),
            "{boundary}"
        );
        assert_eq!(
            strict.parts.len(),
            3,
            "{boundary}: every frame before the end"
        );
        let config = Config::default().allow_missing_close_delimiter(true);
        let lenient = both(boundary, &config, &input);
        assert_eq!(lenient.error, None, "{boundary}");
        assert_eq!(bodies(&lenient), [jpeg(0), jpeg(1), jpeg(2)], "{boundary}");
        assert!(!lenient.closed);
        for part in &lenient.parts {
            assert_eq!(part.content_type(), Some("image/jpeg"));
            assert_eq!(part.content_length(), Some(46));
        }
    }
    // The extra header is kept.
    let out = both("boundarydonotcross", &Config::lenient(), &mjpg_streamer(1));
    assert_eq!(out.parts[0].headers["x-timestamp"], "1700000000.000000");
}

#[test]
fn a_cut_inside_a_frame_is_truncation_even_when_lenient() {
    let input = mjpg_streamer(2);
    let cut = &input[..input.len() - 30];
    let out = both("boundarydonotcross", &Config::lenient(), cut);
    assert_eq!(out.parts.len(), 1);
    assert_eq!(out.error, Some(Error::Truncated("part body")));
}

#[test]
fn missing_crlf_before_delimiter() {
    let j = jpeg(1);
    let mut input = Vec::new();
    for _ in 0..2 {
        input.extend(
            format!(
                "--frame\r\nContent-Type: image/jpeg\r\nContent-Length: {}\r\n\r\n",
                j.len()
            )
            .bytes(),
        );
        input.extend(&j);
    }
    input.extend(b"--frame--\r\n");
    let strict = both("frame", &Config::default(), &input);
    assert_eq!(strict.error, Some(Error::MissingDelimiterAfterBody));
    let config = Config::default().allow_missing_crlf_before_delimiter(true);
    let out = both("frame", &config, &input);
    assert_eq!(out.error, None);
    assert_eq!(bodies(&out), [j.clone(), j.clone()]);
    assert!(out.closed);
    // In the preamble too.
    let out = both("frame", &config, b"junk--frame\r\n\r\nx\r\n--frame--");
    assert_eq!(bodies(&out), [b"x"]);
}

#[test]
fn dashed_boundary() {
    // Content-Type said boundary=--myboundary; the body uses --myboundary.
    let input = b"--myboundary\r\nContent-Type: text/plain\r\n\r\nhello\r\n--myboundary--\r\n";
    let strict = both("--myboundary", &Config::default(), input);
    assert!(
        matches!(strict.error, Some(Error::Truncated(_))),
        "{strict:?}"
    );
    let config = Config::default().allow_dashed_boundary(true);
    let out = both("--myboundary", &config, input);
    assert_eq!(out.error, None);
    assert_eq!(bodies(&out), [b"hello"]);
    assert!(out.closed);
    // The RFC form still works with the switch on.
    let input = b"----myboundary\r\n\r\nhello\r\n----myboundary--\r\n";
    assert_eq!(bodies(&both("--myboundary", &config, input)), [b"hello"]);
    assert_eq!(
        bodies(&both("--myboundary", &Config::default(), input)),
        [b"hello"]
    );
}

#[test]
fn lf_line_ends() {
    let input = b"--b\nContent-Type: text/plain\n\nhello\n--b\n\nworld\r\n--b--\n";
    let strict = both("b", &Config::default(), input);
    assert_eq!(
        strict.error,
        Some(Error::BareLf {
            context: "delimiter line"
        })
    );
    let config = Config::default().allow_lf_line_ends(true);
    let out = both("b", &config, input);
    assert_eq!(out.error, None);
    assert_eq!(bodies(&out), [&b"hello"[..], b"world"]);
    assert_eq!(out.parts[0].content_type(), Some("text/plain"));
}

#[test]
fn lenient_changes_nothing_for_valid_input() {
    let input = b"pre\r\n--b\r\nContent-Type: text/plain\r\n\r\none\r\n--b\r\nContent-Length: 3\r\n\r\ntwo\r\n--b--\r\nepilogue";
    let strict = both("b", &Config::default(), input);
    assert_eq!(strict.error, None);
    assert_eq!(strict, both("b", &Config::lenient(), input));
}
