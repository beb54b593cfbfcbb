//! `rtw stun decode`, `rtw stun server` and `rtw stun binding` as a user
//! runs them: decode on the RFC 5769 test vectors (hex and binary, right
//! and wrong credentials, altered and malformed messages), and the Binding
//! client against the Binding server over loopback, each step bounded in
//! time.

mod common;
use common::{Running, rtw};
// The RFC 5769 samples, and their short-term password.
use rtw_testkit::hex as bytes;
use rtw_testkit::rfc5769::{
    REQUEST, REQUEST_LONG_TERM, RESPONSE_V4, RESPONSE_V6, SHORT_TERM_PASSWORD as PASSWORD,
};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn decode_sample_request_verifies_with_the_password() {
    let out = rtw(
        &["stun", "decode", "--password", PASSWORD],
        REQUEST.as_bytes(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        concat!(
            "Binding request (0x0001), transaction 0xb7e7a701bc34d686fa87dfae, 108 bytes\n",
            "  SOFTWARE (0x8022), 16 bytes: \"STUN test client\"\n",
            "  PRIORITY (0x0024), 4 bytes: 1845494271\n",
            "  ICE-CONTROLLED (0x8029), 8 bytes: tie-breaker 0x932ff9b151263b36\n",
            "  USERNAME (0x0006), 9 bytes: \"evtj:h6vY\"\n",
            "  MESSAGE-INTEGRITY (0x0008), 20 bytes: 9aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a2: ok (HMAC-SHA1)\n",
            "  FINGERPRINT (0x8028), 4 bytes: e57a3bcf: ok\n",
        )
    );
    assert_eq!(text(&out.stderr), "");
    // The same message in binary reads the same.
    let binary = rtw(&["stun", "decode", "--password", PASSWORD], &bytes(REQUEST));
    assert!(binary.status.success(), "{}", text(&binary.stderr));
    assert_eq!(binary.stdout, out.stdout);
}

#[test]
fn decode_without_credentials_checks_only_the_fingerprint() {
    let out = rtw(&["stun", "decode"], REQUEST.as_bytes());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("MESSAGE-INTEGRITY (0x0008), 20 bytes: 9aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a2: not checked"),
        "{stdout}"
    );
    assert!(
        stdout.contains("FINGERPRINT (0x8028), 4 bytes: e57a3bcf: ok"),
        "{stdout}"
    );
}

#[test]
fn decode_sample_responses_show_the_mapped_address() {
    for (vector, address) in [
        (RESPONSE_V4, "192.0.2.1:32853"),
        (RESPONSE_V6, "[2001:db8:1234:5678:11:2233:4455:6677]:32853"),
    ] {
        let out = rtw(
            &["stun", "decode", "--password", PASSWORD],
            vector.as_bytes(),
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
        let stdout = text(&out.stdout);
        assert!(
            stdout.starts_with("Binding success response (0x0101)"),
            "{stdout}"
        );
        assert!(
            stdout.contains("  SOFTWARE (0x8022), 11 bytes: \"test vector\"\n"),
            "{stdout}"
        );
        let line = "  XOR-MAPPED-ADDRESS (0x0020), ";
        let mapped = stdout
            .lines()
            .find(|l| l.starts_with(line))
            .unwrap_or_else(|| panic!("no XOR-MAPPED-ADDRESS in {stdout}"));
        assert!(mapped.ends_with(&format!(": {address}")), "{mapped}");
        assert!(stdout.contains(": ok (HMAC-SHA1)\n"), "{stdout}");
    }
}

#[test]
fn decode_long_term_sample_verifies_with_the_long_term_key() {
    let credential = "\u{30DE}\u{30C8}\u{30EA}\u{30C3}\u{30AF}\u{30B9}:example.org:TheMatrIX";
    let out = rtw(
        &["stun", "decode", "--long-term", credential],
        REQUEST_LONG_TERM.as_bytes(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("  USERNAME (0x0006), 18 bytes: \"マトリックス\"\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("  REALM (0x0014), 11 bytes: \"example.org\"\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("  NONCE (0x0015), 28 bytes: \"f//499k954d6OL34oL9FSTvy64sA\"\n"),
        "{stdout}"
    );
    assert!(stdout.contains(": ok (HMAC-SHA1)\n"), "{stdout}");

    let wrong = rtw(
        &[
            "stun",
            "decode",
            "--long-term",
            "user:example.org:TheMatrIX",
        ],
        REQUEST_LONG_TERM.as_bytes(),
    );
    assert_eq!(wrong.status.code(), Some(1));
    assert!(text(&wrong.stdout).contains(": MISMATCH\n"));
}

#[test]
fn decode_a_wrong_password_is_a_mismatch_and_exit_1() {
    let out = rtw(
        &["stun", "decode", "--password", "wrong"],
        REQUEST.as_bytes(),
    );
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("MESSAGE-INTEGRITY (0x0008), 20 bytes: 9aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a2: MISMATCH\n"),
        "{stdout}"
    );
    // The message itself is intact.
    assert!(
        stdout.contains("FINGERPRINT (0x8028), 4 bytes: e57a3bcf: ok\n"),
        "{stdout}"
    );
    assert_eq!(
        text(&out.stderr),
        "rtw stun decode: MESSAGE-INTEGRITY mismatch: wrong password, or the message was altered\n"
    );
}

#[test]
fn decode_an_altered_message_fails_both_checks_and_exit_1() {
    // PRIORITY 0x6e0001ff becomes 0x6e0001fe.
    let altered = REQUEST.replace("6e 00 01 ff", "6e 00 01 fe");
    let out = rtw(
        &["stun", "decode", "--password", PASSWORD],
        altered.as_bytes(),
    );
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("  PRIORITY (0x0024), 4 bytes: 1845494270\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("20 bytes: 9aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a2: MISMATCH\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("FINGERPRINT (0x8028), 4 bytes: e57a3bcf: MISMATCH\n"),
        "{stdout}"
    );
    let stderr = text(&out.stderr);
    assert!(stderr.contains("MESSAGE-INTEGRITY mismatch"), "{stderr}");
    assert!(stderr.contains("FINGERPRINT mismatch"), "{stderr}");

    // Without a password the fingerprint alone catches it.
    let out = rtw(&["stun", "decode"], altered.as_bytes());
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("FINGERPRINT mismatch"));
}

#[test]
fn decode_a_password_for_a_message_without_integrity_is_an_error() {
    let out = rtw(
        &["stun", "decode", "--password", "x"],
        b"000100002112a442000000000000000000000000",
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stdout),
        "Binding request (0x0001), transaction 0x000000000000000000000000, 20 bytes\n"
    );
    assert!(
        text(&out.stderr).contains("no MESSAGE-INTEGRITY"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn decode_marks_invalid_values_ignored_and_unknown_attributes() {
    // XOR-MAPPED-ADDRESS with family 3, an unknown comprehension-required
    // attribute, MESSAGE-INTEGRITY, then SOFTWARE that receivers ignore.
    let mut msg = bytes("01 01 00 30 21 12 a4 42 00 00 00 00 00 00 00 00 00 00 00 01");
    msg.extend(bytes("00 20 00 08 00 03 00 01 7f 00 00 01"));
    msg.extend(bytes("7f fe 00 00"));
    msg.extend(bytes("00 08 00 14"));
    msg.extend([0u8; 20]);
    msg.extend(bytes("80 22 00 01 78 00 00 00"));
    let out = rtw(&["stun", "decode"], &msg);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("  XOR-MAPPED-ADDRESS (0x0020), 8 bytes: 000300017f000001: invalid: invalid XOR-MAPPED-ADDRESS: unknown address family\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("  0x7FFE (0x7ffe), 0 bytes: (empty) (unknown, comprehension-required"),
        "{stdout}"
    );
    assert!(
        stdout.contains("  SOFTWARE (0x8022), 1 byte: 78 (ignored:"),
        "{stdout}"
    );
    assert!(text(&out.stderr).contains("unknown address family"));
}

#[test]
fn decode_malformed_input_exits_1_with_nothing_on_stdout() {
    let truncated = REQUEST
        .split_whitespace()
        .take(40)
        .collect::<Vec<_>>()
        .join(" ");
    let cases: &[(&[u8], &str)] = &[
        (b"", "no input"),
        (b" \n", "no input"),
        (b"0001000", "odd number of digits"),
        (truncated.as_bytes(), "does not match"),
        (
            b"ffff00002112a442000000000000000000000000",
            "not a STUN message",
        ),
        (b"000100002112a443000000000000000000000000", "magic cookie"),
        (b"00010001", "shorter than the 20-byte header"),
        (
            &bytes(
                "00 01 00 08 21 12 a4 42 00 00 00 00 00 00 00 00 00 00 00 00 80 22 00 09 61 62 63 64",
            ),
            "runs past the end",
        ),
        (b"\x00\x01 binary but short", "not a valid STUN message"),
    ];
    for (input, why) in cases {
        let out = rtw(&["stun", "decode"], input);
        assert_eq!(out.status.code(), Some(1), "{:?}", text(input));
        assert_eq!(text(&out.stdout), "", "{:?}", text(input));
        let stderr = text(&out.stderr);
        assert!(stderr.starts_with("rtw stun decode: "), "{stderr}");
        assert!(stderr.contains(why), "{:?}: {stderr}", text(input));
    }
}

#[test]
fn decode_refuses_two_kinds_of_credentials() {
    let out = rtw(
        &["stun", "decode", "--password", "a", "--long-term", "u:r:p"],
        REQUEST.as_bytes(),
    );
    assert_eq!(out.status.code(), Some(2));
    let out = rtw(
        &["stun", "decode", "--long-term", "only-user"],
        REQUEST.as_bytes(),
    );
    assert_eq!(out.status.code(), Some(2));
}

/// A running `rtw stun server`, killed when dropped.
fn start_server() -> Running {
    Running::serve(&["stun", "server"], &["--verbose"])
}

#[test]
fn binding_against_our_server_prints_the_mapped_address() {
    let server = start_server();
    let target = format!("127.0.0.1:{}", server.port());
    let out = rtw(&["stun", "binding", &target, "--verbose"], b"");
    assert!(out.status.success(), "{}", text(&out.stderr));
    // stderr: `local 0.0.0.0:PORT -> server ...`; stdout: 127.0.0.1:PORT.
    let stderr = text(&out.stderr);
    let local_port = stderr
        .split_whitespace()
        .nth(1)
        .and_then(|a| a.rsplit(':').next())
        .unwrap_or_else(|| panic!("no local address in {stderr:?}"));
    assert_eq!(text(&out.stdout), format!("127.0.0.1:{local_port}\n"));

    // With --local the mapped address is exactly it.
    let local = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let free = local.local_addr().unwrap().to_string();
    drop(local);
    let out = rtw(&["stun", "binding", &target, "--local", &free], b"");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), format!("{free}\n"));
}

#[test]
fn binding_without_an_answer_fails_after_the_retransmissions() {
    // A bound socket that never answers.
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let target = silent.local_addr().unwrap().to_string();
    let out = rtw(
        &[
            "stun",
            "binding",
            &target,
            "--rto-ms",
            "20",
            "--requests",
            "3",
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "");
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with("rtw stun binding: no response after 3 requests"),
        "{stderr}"
    );
    // All three arrived, identical.
    silent.set_nonblocking(true).unwrap();
    let mut buf = [0u8; 512];
    let mut got = Vec::new();
    while let Ok(n) = silent.recv(&mut buf) {
        got.push(buf[..n].to_vec());
    }
    assert_eq!(got.len(), 3);
    assert!(got.windows(2).all(|w| w[0] == w[1]));
}
