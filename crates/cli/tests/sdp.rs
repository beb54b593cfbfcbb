//! `rtw sdp fmt` on the Chromium corpus and on malformed input.

use std::io::Write;
use std::process::{Command, Stdio};

fn fmt(input: &[u8]) -> (bool, Vec<u8>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rtw"))
        .args(["sdp", "fmt"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn chromium_corpus_is_written_back_byte_identically() {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../sdp/tests/corpus/chromium-156"
    );
    for name in ["offer.sdp", "answer.sdp", "simulcast_offer.sdp"] {
        let input = std::fs::read(format!("{dir}/{name}")).unwrap();
        let (ok, out, err) = fmt(&input);
        assert!(ok, "{name}: {err}");
        assert_eq!(out, input, "{name}");
    }
}

#[test]
fn malformed_input_exits_1_with_the_line() {
    let (ok, out, err) = fmt(b"v=0\r\no=- x 1 IN IP4 h\r\n");
    assert!(!ok);
    assert!(out.is_empty());
    assert!(err.contains("line 2"), "{err}");
}
