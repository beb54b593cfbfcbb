//! The examples of RFC 2046 §5.1.1 and the grammar's corners.

mod common;
use common::{bodies, decode, decode_bytewise};
use rtw_multipart::{Config, Error};

/// RFC 2046 §5.1.1's example, with CRLF line ends as on the wire.
const RFC_EXAMPLE: &str = "This is the preamble.  It is to be ignored, though it\r\n\
is a handy place for composition agents to include an\r\n\
explanatory note to non-MIME conformant readers.\r\n\
\r\n\
--simple boundary\r\n\
\r\n\
This is implicitly typed plain US-ASCII text.\r\n\
It does NOT end with a linebreak.\r\n\
--simple boundary\r\n\
Content-type: text/plain; charset=us-ascii\r\n\
\r\n\
This is explicitly typed plain US-ASCII text.\r\n\
It DOES end with a linebreak.\r\n\
\r\n\
--simple boundary--\r\n\
\r\n\
This is the epilogue.  It is also to be ignored.\r\n";

#[test]
fn rfc_example() {
    let strict = Config::default();
    let out = decode("simple boundary", &strict, RFC_EXAMPLE.as_bytes());
    assert_eq!(out.error, None);
    assert!(out.closed);
    assert_eq!(
        bodies(&out),
        [
            &b"This is implicitly typed plain US-ASCII text.\r\nIt does NOT end with a linebreak."
                [..],
            b"This is explicitly typed plain US-ASCII text.\r\nIt DOES end with a linebreak.\r\n",
        ]
    );
    assert!(out.parts[0].headers.is_empty());
    assert_eq!(
        out.parts[1].content_type(),
        Some("text/plain; charset=us-ascii")
    );
    assert_eq!(
        out,
        decode_bytewise("simple boundary", &strict, RFC_EXAMPLE.as_bytes())
    );
}

#[test]
fn the_boundary_only_counts_at_the_start_of_a_line() {
    let input = b"--b\r\n\r\nx--b y\r\n--b--";
    let out = decode("b", &Config::default(), input);
    assert_eq!(bodies(&out), [b"x--b y"]);
    assert!(out.closed);
}

#[test]
fn a_line_starting_with_the_boundary_is_a_delimiter() {
    // "--bx" starts with "--b": a delimiter with junk after it (§5.1.1's
    // note to implementors: the whole line need not match).
    let out = decode("b", &Config::default(), b"--b\r\n\r\nbody\r\n--bx\r\n--b--");
    assert_eq!(out.error, Some(Error::DelimiterLineJunk { found: b'x' }));
}

#[test]
fn transport_padding_after_a_delimiter() {
    let out = decode(
        "b",
        &Config::default(),
        b"--b \t \r\n\r\none\r\n--b  \r\n\r\ntwo\r\n--b--  \r\n",
    );
    assert_eq!(bodies(&out), [&b"one"[..], b"two"]);
    assert!(out.closed);
    let tiny = Config::default().limits(rtw_multipart::Limits::default().max_transport_padding(1));
    let out = decode("b", &tiny, b"--b  \r\n\r\none\r\n--b--");
    assert_eq!(out.error, Some(Error::PaddingTooLong { limit: 1 }));
}

#[test]
fn preamble_needs_a_crlf_before_the_first_delimiter() {
    // "junk--b" is preamble; the first delimiter is the close one.
    let out = decode("b", &Config::default(), b"junk--b\r\n\r\nx\r\n--b--");
    assert_eq!((out.parts.len(), out.closed), (0, true));
    let out = decode("b", &Config::default(), b"junk--b\r\n\r\nx");
    assert!(matches!(out.error, Some(Error::Truncated(_))), "{out:?}");
    let out = decode("b", &Config::default(), b"junk\r\n--b\r\n\r\nx\r\n--b--");
    assert_eq!(bodies(&out), [b"x"]);
}

#[test]
fn empty_parts() {
    // A body-part left out entirely, then one with an empty header block
    // and an empty body.
    let out = decode("b", &Config::default(), b"--b\r\n\r\n--b\r\n\r\n\r\n--b--");
    assert_eq!(out.error, None);
    assert_eq!(bodies(&out), [&b""[..], b""]);
}

#[test]
fn content_length_is_used_and_checked() {
    // The body holds what would be a delimiter; Content-Length says so.
    let input = b"--b\r\nContent-Length: 9\r\n\r\n\r\n--b\r\nxx\r\n--b--\r\n";
    let out = decode("b", &Config::default(), input);
    assert_eq!(out.error, None);
    assert_eq!(bodies(&out), [b"\r\n--b\r\nxx"]);
    let input = b"--b\r\nContent-Length: 3\r\n\r\nabcd\r\n--b--\r\n";
    let out = decode("b", &Config::default(), input);
    assert_eq!(bodies(&out), [b"abc"], "the part comes before the check");
    assert_eq!(out.error, Some(Error::MissingDelimiterAfterBody));
    for bad in ["x", "-1", "+3", "3, 3", ""] {
        let input = format!("--b\r\nContent-Length: {bad}\r\n\r\nabc\r\n--b--");
        let out = decode("b", &Config::default(), input.as_bytes());
        assert_eq!(out.error, Some(Error::InvalidContentLength), "{bad}");
    }
}

#[test]
fn strict_line_ends() {
    let out = decode("b", &Config::default(), b"--b\n\nx\r\n--b--");
    assert_eq!(
        out.error,
        Some(Error::BareLf {
            context: "delimiter line"
        })
    );
    let out = decode("b", &Config::default(), b"--b\r\nA: 1\n\r\nx\r\n--b--");
    assert_eq!(
        out.error,
        Some(Error::BareLf {
            context: "part headers"
        })
    );
}

#[test]
fn endings() {
    let strict = Config::default();
    let out = decode("b", &strict, b"--b\r\nContent-Length: 1\r\n\r\nx");
    assert_eq!(bodies(&out), [b"x"]);
    assert_eq!(out.error, Some(Error::MissingCloseDelimiter));
    let out = decode("b", &strict, b"--b\r\n\r\nxy");
    assert_eq!(out.error, Some(Error::Truncated("part body")));
    let out = decode("b", &strict, b"--b\r\nA: 1\r\n");
    assert_eq!(out.error, Some(Error::Truncated("part headers")));
    let out = decode("b", &strict, b"");
    assert!(matches!(out.error, Some(Error::Truncated(_))));
}

#[test]
fn limits() {
    use rtw_multipart::Limits;
    let l = |limits: Limits| Config::default().limits(limits);
    let out = decode(
        "b",
        &l(Limits::default().max_part_size(3)),
        b"--b\r\n\r\nabcd\r\n--b--",
    );
    assert_eq!(out.error, Some(Error::PartTooLarge { limit: 3 }));
    let out = decode(
        "b",
        &l(Limits::default().max_part_size(3)),
        b"--b\r\nContent-Length: 4\r\n\r\n",
    );
    assert_eq!(out.error, Some(Error::PartTooLarge { limit: 3 }));
    let out = decode(
        "b",
        &l(Limits::default().max_headers(1)),
        b"--b\r\nA: 1\r\nB: 2\r\n\r\n\r\n--b--",
    );
    assert_eq!(out.error, Some(Error::TooManyHeaders { limit: 1 }));
    let out = decode(
        "b",
        &l(Limits::default().max_header_bytes(8)),
        b"--b\r\nAbc: 123\r\n\r\n\r\n--b--",
    );
    assert_eq!(out.error, Some(Error::HeaderBlockTooLarge { limit: 8 }));
    let out = decode(
        "b",
        &l(Limits::default().max_preamble_size(4)),
        b"12345\r\n--b\r\n\r\n\r\n--b--",
    );
    assert_eq!(out.error, Some(Error::PreambleTooLong { limit: 4 }));
    let out = decode(
        "b",
        &l(Limits::default().max_preamble_size(4)),
        b"1234\r\n--b\r\n\r\n\r\n--b--",
    );
    assert_eq!(out.error, None);
}
