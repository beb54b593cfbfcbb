//! Malformed chunked bodies, each with the error it must produce.
//!
//! The classes come from the request-smuggling literature and from the
//! chunked tests of llhttp and hyper, restated here as facts: what a strict
//! RFC 9112 §7.1 recipient must do with each input. Every vector is decoded
//! in one piece and one byte at a time; both must fail with the same error.

mod common;

use common::{decode_bytewise, decode_whole};
use rtw_chunked::{Config, Error, Limits, LineContext};

use Error::*;
use LineContext::*;

fn missing(found: u8) -> Error {
    MissingChunkSize { found }
}
fn size(found: u8) -> Error {
    InvalidChunkSize { found }
}
fn ext(found: u8) -> Error {
    InvalidExtension { found }
}
fn lf(context: LineContext) -> Error {
    BareLf { context }
}
fn cr(context: LineContext, found: u8) -> Error {
    BareCr { context, found }
}
fn after_data(found: u8) -> Error {
    MissingCrlfAfterData { found }
}

/// (name, input, expected error) with the default configuration.
fn vectors() -> Vec<(&'static str, Vec<u8>, Error)> {
    let v = |s: &str| s.as_bytes().to_vec();
    let mut t: Vec<(&'static str, Vec<u8>, Error)> = vec![
        // chunk-size = 1*HEXDIG (RFC 9112 §7.1)
        ("0x prefix", v("0x5\r\nhello\r\n0\r\n\r\n"), size(b'x')),
        ("plus sign", v("+5\r\nhello\r\n0\r\n\r\n"), missing(b'+')),
        ("minus sign", v("-1\r\nh\r\n0\r\n\r\n"), missing(b'-')),
        (
            "leading space",
            v(" 5\r\nhello\r\n0\r\n\r\n"),
            missing(b' '),
        ),
        (
            "leading tab",
            v("\t5\r\nhello\r\n0\r\n\r\n"),
            missing(b'\t'),
        ),
        ("empty size", v("\r\nhello\r\n0\r\n\r\n"), missing(b'\r')),
        ("extension without size", v(";a=b\r\n"), missing(b';')),
        ("non-hex letter", v("g\r\n"), missing(b'g')),
        ("non-hex after digit", v("5g\r\nhello\r\n"), size(b'g')),
        ("underscore separator", v("1_0\r\n"), size(b'_')),
        ("comma", v("5,\r\nhello\r\n"), size(b',')),
        ("NUL as size", v("\0\r\n"), missing(0)),
        ("NUL after size", v("5\0\r\nhello\r\n"), size(0)),
        ("space inside size", v("5 5\r\n"), ext(b'5')),
        (
            "empty line instead of size",
            v("5\r\nhello\r\n\r\n0\r\n\r\n"),
            missing(b'\r'),
        ),
        // overflow (CVE-2021-32714)
        (
            "17 hex digits",
            v("10000000000000000\r\n"),
            ChunkSizeOverflow,
        ),
        ("17 f digits", v("fffffffffffffffff\r\n"), ChunkSizeOverflow),
        (
            "33 digits of leading zeros",
            v(&format!("{}5\r\n", "0".repeat(32))),
            TooManySizeDigits { limit: 32 },
        ),
        // whitespace only as BWS before ';' (RFC 9112 §7.1.1)
        (
            "trailing space before CRLF",
            v("5 \r\nhello\r\n0\r\n\r\n"),
            WhitespaceBeforeLineEnd,
        ),
        (
            "trailing tab before CRLF",
            v("5\t\r\nhello\r\n0\r\n\r\n"),
            WhitespaceBeforeLineEnd,
        ),
        (
            "space after extension name",
            v("5;a \r\nhello\r\n"),
            WhitespaceBeforeLineEnd,
        ),
        (
            "space after extension value",
            v("5;a=b \r\nhello\r\n"),
            WhitespaceBeforeLineEnd,
        ),
        // line ends are CRLF (RFC 9112 §2.2; CVE-2025-22871, CVE-2025-55315)
        (
            "bare LF after size",
            v("5\nhello\r\n0\r\n\r\n"),
            lf(ChunkLine),
        ),
        (
            "bare LF after extension",
            v("5;a\nhello\r\n"),
            lf(ChunkLine),
        ),
        (
            "bare LF after extension value",
            v("5;a=b\nhello\r\n"),
            lf(ChunkLine),
        ),
        ("bare CR after size", v("5\rhello\r\n"), cr(ChunkLine, b'h')),
        (
            "bare LF after data",
            v("5\r\nhello\n0\r\n\r\n"),
            lf(AfterData),
        ),
        (
            "bare CR after data",
            v("5\r\nhello\rX0\r\n\r\n"),
            cr(AfterData, b'X'),
        ),
        (
            "CR CR LF after data",
            v("5\r\nhello\r\r\n0\r\n\r\n"),
            cr(AfterData, b'\r'),
        ),
        (
            "bare LF last-chunk",
            v("5\r\nhello\r\n0\n\r\n"),
            lf(ChunkLine),
        ),
        (
            "bare LF final line",
            v("5\r\nhello\r\n0\r\n\n"),
            lf(Trailer),
        ),
        ("bare CR final line", v("0\r\n\rX"), cr(Trailer, b'X')),
        ("bare LF in trailer", v("0\r\nX-A: b\n\r\n"), lf(Trailer)),
        (
            "bare CR in trailer",
            v("0\r\nX-A: b\rX\r\n\r\n"),
            cr(Trailer, b'X'),
        ),
        // chunk data followed by exactly CRLF (CVE-2025-43859)
        (
            "bytes after chunk data",
            v("5\r\nhelloXX\r\n0\r\n\r\n"),
            after_data(b'X'),
        ),
        (
            "size smaller than data",
            v("3\r\nhello\r\n0\r\n\r\n"),
            after_data(b'l'),
        ),
        // chunk-ext grammar (RFC 9112 §7.1.1, RFC 9110 §5.6)
        ("empty extension", v("5;\r\nhello\r\n"), ext(b'\r')),
        ("double semicolon", v("5;a;;b\r\nhello\r\n"), ext(b';')),
        ("extension without name", v("5;=v\r\nhello\r\n"), ext(b'=')),
        (
            "extension with empty value",
            v("5;a=\r\nhello\r\n"),
            ext(b'\r'),
        ),
        ("two equals signs", v("5;a=b=c\r\nhello\r\n"), ext(b'=')),
        (
            "space inside token value",
            v("5;a=b c\r\nhello\r\n"),
            ext(b'c'),
        ),
        ("NUL in extension name", v("5;a\0b\r\nhello\r\n"), ext(0)),
        ("NUL in token value", v("5;a=b\0\r\nhello\r\n"), ext(0)),
        ("NUL in quoted value", v("5;a=\"b\0\"\r\nhello\r\n"), ext(0)),
        ("NUL in quoted-pair", v("5;a=\"\\\0\"\r\nhello\r\n"), ext(0)),
        ("DEL in extension name", v("5;\x7f\r\nhello\r\n"), ext(0x7f)),
        (
            "DEL in quoted value",
            v("5;a=\"\x7f\"\r\nhello\r\n"),
            ext(0x7f),
        ),
        (
            "escape in extension name",
            v("5;\x1b[31m\r\nhello\r\n"),
            ext(0x1b),
        ),
        (
            "unterminated quoted value",
            v("5;a=\"b\r\nhello\r\n"),
            ext(b'\r'),
        ),
        (
            "backslash CR in quoted value",
            v("5;a=\"b\\\r\n\"\r\nhello\r\n"),
            ext(b'\r'),
        ),
        (
            "text after quoted value",
            v("5;a=\"x\"y\r\nhello\r\n"),
            ext(b'y'),
        ),
        (
            "LF inside quoted value",
            v("5;a=\"x\ny\"\r\nhello\r\n"),
            ext(b'\n'),
        ),
        // trailer section (RFC 9112 §5, §7.1.2; RFC 9110 §6.5.1)
        (
            "obs-fold in trailer",
            v("0\r\nX-A: b\r\n folded\r\n\r\n"),
            ObsoleteLineFolding,
        ),
        (
            "trailer starting with tab",
            v("0\r\n\tX-A: b\r\n\r\n"),
            ObsoleteLineFolding,
        ),
        (
            "Content-Length trailer",
            v("0\r\nContent-Length: 5\r\n\r\n"),
            ProhibitedTrailer("content-length".into()),
        ),
        (
            "Transfer-Encoding trailer",
            v("0\r\nTransfer-Encoding: chunked\r\n\r\n"),
            ProhibitedTrailer("transfer-encoding".into()),
        ),
        (
            "Host trailer",
            v("0\r\nHost: evil.example\r\n\r\n"),
            ProhibitedTrailer("host".into()),
        ),
        (
            "Trailer trailer",
            v("0\r\nTrailer: x\r\n\r\n"),
            ProhibitedTrailer("trailer".into()),
        ),
        (
            "Authorization trailer",
            v("0\r\nX-Ok: 1\r\nAuthorization: Basic eA==\r\n\r\n"),
            ProhibitedTrailer("authorization".into()),
        ),
    ];
    // Truncated bodies (decode_eof).
    t.extend([
        ("empty stream", v(""), UnexpectedEof("chunk-size line")),
        (
            "truncated in size line",
            v("5\r"),
            UnexpectedEof("chunk-size line"),
        ),
        (
            "truncated in extension",
            v("5;a=\"b"),
            UnexpectedEof("chunk extensions"),
        ),
        (
            "truncated in data",
            v("5\r\nhel"),
            UnexpectedEof("chunk data"),
        ),
        (
            "truncated after data",
            v("5\r\nhello"),
            UnexpectedEof("CRLF after chunk data"),
        ),
        (
            "missing last chunk",
            v("5\r\nhello\r\n"),
            UnexpectedEof("chunk-size line"),
        ),
        (
            "missing final CRLF",
            v("5\r\nhello\r\n0\r\n"),
            UnexpectedEof("trailer section"),
        ),
        (
            "truncated trailer",
            v("0\r\nX-A: b\r\n"),
            UnexpectedEof("trailer section"),
        ),
    ]);
    // Limits (CVE-2023-39326, CVE-2024-22019: extension and trailer floods).
    let mut long_ext = v("5;");
    long_ext.extend(std::iter::repeat_n(b'a', 5000));
    t.push((
        "extension longer than 4 KiB",
        long_ext,
        ExtensionTooLong { limit: 4096 },
    ));
    let mut many_ext = Vec::new();
    for _ in 0..5 {
        many_ext.extend_from_slice(b"1;");
        many_ext.extend(std::iter::repeat_n(b'e', 4000));
        many_ext.extend_from_slice(b"\r\nx\r\n");
    }
    t.push((
        "extensions over 16 KiB per body",
        many_ext,
        ExtensionsTooLong { limit: 16384 },
    ));
    let mut many_fields = v("0\r\n");
    for i in 0..65 {
        many_fields.extend_from_slice(format!("X-F{i}: v\r\n").as_bytes());
    }
    many_fields.extend_from_slice(b"\r\n");
    t.push((
        "65 trailer fields",
        many_fields,
        TooManyTrailerFields { limit: 64 },
    ));
    let big_trailer = format!("0\r\nX-Big: {}\r\n\r\n", "v".repeat(17000)).into_bytes();
    t.push((
        "trailer section over 16 KiB",
        big_trailer,
        TrailerTooLarge { limit: 16384 },
    ));
    t
}

#[test]
fn malformed_vectors_fail_with_their_error() {
    let config = Config::default();
    let table = vectors();
    assert!(table.len() >= 40, "the table must keep at least 40 vectors");
    for (name, input, expected) in table {
        let whole = decode_whole(&config, &input);
        assert_eq!(whole.error.as_ref(), Some(&expected), "{name}: one piece");
        let bytewise = decode_bytewise(&config, &input);
        assert_eq!(
            bytewise.error.as_ref(),
            Some(&expected),
            "{name}: byte by byte"
        );
        assert_eq!(
            whole.payload(),
            bytewise.payload(),
            "{name}: payload before error"
        );
        assert!(expected.is_peer_fault(), "{name}: a peer fault");
    }
}

/// Malformed trailer field lines are reported with httparse's reason.
#[test]
fn malformed_trailer_fields() {
    let config = Config::default();
    for input in [
        &b"0\r\nX A: b\r\n\r\n"[..],
        b"0\r\nNoColon\r\n\r\n",
        b"0\r\nX-A: b\0c\r\n\r\n",
        b"0\r\n: v\r\n\r\n",
        b"0\r\nX-A\x01: b\r\n\r\n",
    ] {
        for out in [
            decode_whole(&config, input),
            decode_bytewise(&config, input),
        ] {
            assert!(
                matches!(out.error, Some(InvalidTrailer(_))),
                "{:?}: {:?}",
                String::from_utf8_lossy(input),
                out.error
            );
        }
    }
}

#[test]
fn caller_limits_on_chunk_and_body_size() {
    let config = Config::default().limits(
        Limits::default()
            .max_chunk_size(Some(255))
            .max_body_size(Some(8)),
    );
    let out = decode_whole(&config, b"100\r\n");
    assert_eq!(
        out.error,
        Some(ChunkTooLarge {
            size: 256,
            limit: 255
        })
    );
    // Fails at the third digit, before the line is complete.
    let out = decode_whole(&config, b"1000");
    assert_eq!(
        out.error,
        Some(ChunkTooLarge {
            size: 256,
            limit: 255
        })
    );
    let out = decode_whole(&config, b"5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n");
    assert_eq!(out.error, Some(BodyTooLarge { limit: 8 }));
    assert_eq!(out.payload(), b"hello");
}

#[test]
fn status_codes_to_answer() {
    use http::StatusCode;
    assert_eq!(ChunkSizeOverflow.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        BodyTooLarge { limit: 1 }.status(),
        StatusCode::PAYLOAD_TOO_LARGE
    );
    assert_eq!(
        TooManyTrailerFields { limit: 1 }.status(),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
    );
    assert!(!EncoderFinished.is_peer_fault());
}

#[test]
fn errors_name_the_rule() {
    assert!(ChunkSizeOverflow.to_string().contains("CVE-2021-32714"));
    assert!(after_data(b'X').to_string().contains("CVE-2025-43859"));
    assert!(lf(ChunkLine).to_string().contains("RFC 9112 §2.2"));
    assert!(ext(0).to_string().contains("RFC 9112 §7.1.1"));
}
