//! `rtw multipart split` as a user runs it, on a stream shaped like
//! ffmpeg's `mpjpeg` muxer output (a delimiter line before each frame,
//! `Content-type` and `Content-length` in ffmpeg's spelling, a CRLF after
//! each frame, no close delimiter when the stream is stopped).

use std::path::PathBuf;
use std::process::Output;

use rtw_core::{Random, SeededRandom};

mod common;
use common::rtw;

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A fresh, empty directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rtw-multipart-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// A JPEG-looking frame of `len` bytes (SOI, seeded bytes, EOI).
fn frame(len: usize, seed: u64) -> Vec<u8> {
    let mut v = vec![0; len];
    SeededRandom::new(seed).fill_bytes(&mut v);
    v[..2].copy_from_slice(&[0xff, 0xd8]);
    v[len - 2..].copy_from_slice(&[0xff, 0xd9]);
    v
}

/// What `ffmpeg -f mpjpeg` writes for `frames`, then a text part.
fn mpjpeg(frames: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for f in frames {
        out.extend(
            format!(
                "--ffmpeg\r\nContent-type: image/jpeg\r\nContent-length: {}\r\n\r\n",
                f.len()
            )
            .bytes(),
        );
        out.extend(f);
        out.extend(b"\r\n");
    }
    out.extend(b"--ffmpeg\r\nContent-type: text/plain\r\nContent-length: 5\r\n\r\nhello\r\n");
    out
}

#[test]
fn splits_an_mpjpeg_stream_into_files() {
    let frames: Vec<Vec<u8>> = [1000, 70_000, 3]
        .iter()
        .enumerate()
        .map(|(i, &len)| frame(len, i as u64))
        .collect();
    let input = mpjpeg(&frames);
    for given in [true, false] {
        let dir = scratch(if given { "given" } else { "sniffed" });
        let dir_arg = dir.to_str().unwrap();
        let args: Vec<&str> = if given {
            vec!["multipart", "split", dir_arg, "--boundary", "ffmpeg"]
        } else {
            vec!["multipart", "split", dir_arg]
        };
        let out = rtw(&args, &input);
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(
            String::from_utf8(out.stdout).unwrap(),
            "part-00001.jpg image/jpeg 1000\n\
             part-00002.jpg image/jpeg 70000\n\
             part-00003.jpg image/jpeg 3\n\
             part-00004.txt text/plain 5\n"
        );
        for (i, f) in frames.iter().enumerate() {
            let file = dir.join(format!("part-{:05}.jpg", i + 1));
            assert_eq!(&std::fs::read(&file).unwrap(), f, "{}", file.display());
        }
        assert_eq!(std::fs::read(dir.join("part-00004.txt")).unwrap(), b"hello");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 4);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn parts_without_a_type_are_bin_and_close_delimiter_ends() {
    let dir = scratch("bin");
    let input = b"preamble\r\n--b\r\n\r\nraw\r\n--b--\r\nepilogue";
    let out = rtw(&["multipart", "split", dir.to_str().unwrap()], input);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "part-00001.bin - 3\n"
    );
    assert_eq!(std::fs::read(dir.join("part-00001.bin")).unwrap(), b"raw");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_stream_cut_inside_a_frame_fails_after_writing_the_whole_ones() {
    let dir = scratch("cut");
    let frames = vec![frame(500, 1), frame(500, 2)];
    let input = mpjpeg(&frames);
    let cut = &input[..1000];
    let out = rtw(
        &[
            "multipart",
            "split",
            dir.to_str().unwrap(),
            "--boundary",
            "ffmpeg",
        ],
        cut,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("stream ended inside the part body"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "part-00001.jpg image/jpeg 500\n"
    );
    assert_eq!(
        std::fs::read(dir.join("part-00001.jpg")).unwrap(),
        frames[0]
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_input_and_bad_boundary() {
    let dir = scratch("bad");
    let out = rtw(
        &["multipart", "split", dir.to_str().unwrap()],
        b"no boundary here\n",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("give it with --boundary"),
        "{}",
        stderr(&out)
    );
    let out = rtw(
        &[
            "multipart",
            "split",
            dir.to_str().unwrap(),
            "--boundary",
            "a;b",
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("RFC 2046"), "{}", stderr(&out));
    let out = rtw(
        &[
            "multipart",
            "split",
            dir.to_str().unwrap(),
            "--boundary",
            "b",
        ],
        b"--b\r\n\r\nx\r\n--bx\r\n",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("RFC 2046 §5.1.1"), "{}", stderr(&out));
    let _ = std::fs::remove_dir_all(&dir);
}
