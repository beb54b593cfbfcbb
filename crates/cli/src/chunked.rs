//! `rtw chunked`: the HTTP/1.1 chunked transfer coding (RFC 9112 §7.1) on
//! stdin and stdout, with [`rtw_chunked`].
//!
//! - `rtw chunked decode`: a chunked body on stdin; its payload on stdout,
//!   its trailer fields (RFC 9112 §7.1.2) on stderr as `name: value` lines.
//!   Input is read and decoded piece by piece, and payload is written as it
//!   is decoded. Invalid or truncated input, or bytes after the end of the
//!   body, exit with status 1 and the reason on stderr; stdout then holds
//!   exactly the payload decoded before the fault.
//! - `rtw chunked encode [--size N] [--trailer 'NAME: VALUE']...`: stdin as a
//!   chunked body on stdout, chunks of at most N bytes (default
//!   [`DEFAULT_CHUNK_SIZE`]), then the last-chunk and trailer section.

use std::fmt;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::process::ExitCode;

use bytes::BytesMut;
use clap::Subcommand;
use http::{HeaderMap, HeaderName, HeaderValue};
use rtw_chunked::{Decoder, Encoder, Frame};

/// Default largest chunk of `rtw chunked encode`: 16 KiB, the size of a TLS
/// record's plaintext (RFC 8446 §5.1), which common servers also use as
/// their write size, so a chunk line costs well under 0.1 % of the body.
const DEFAULT_CHUNK_SIZE: usize = 16 * 1024;

/// How much is read from stdin at once.
const READ_SIZE: usize = 64 * 1024;

/// Largest read buffer of `encode`; a chunk is never larger than one read.
const MAX_READ_SIZE: usize = 1024 * 1024;

/// `rtw chunked`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Decode a chunked body from stdin: payload to stdout, trailer fields
    /// to stderr as `name: value` lines. Exits with 1 on invalid or
    /// truncated input, or bytes after the body, having written only the
    /// payload decoded before the fault.
    Decode,
    /// Encode stdin as a chunked body on stdout, ending it with the
    /// last-chunk and the given trailer fields.
    Encode {
        /// Largest chunk in bytes. Chunks are also never larger than what
        /// one read of stdin returns (at most 1 MiB), so data that trickles
        /// in goes out as it comes.
        #[arg(long, value_name = "N", default_value_t = DEFAULT_CHUNK_SIZE, value_parser = parse_size)]
        size: usize,
        /// A trailer field to send after the last chunk (RFC 9112 §7.1.2);
        /// repeat for more. Fields that must not be trailers, such as
        /// Content-Length, are refused (RFC 9110 §6.5.1).
        #[arg(long = "trailer", value_name = "NAME: VALUE", value_parser = parse_trailer)]
        trailers: Vec<(HeaderName, HeaderValue)>,
    },
}

/// Run `rtw chunked ...`.
pub(crate) fn run(args: Args) -> ExitCode {
    let (name, result) = match args.command {
        Command::Decode => (
            "decode",
            decode(
                io::stdin().lock(),
                &mut io::stdout().lock(),
                &mut io::stderr().lock(),
            ),
        ),
        Command::Encode { size, trailers } => {
            let trailers: HeaderMap = trailers.into_iter().collect();
            (
                "encode",
                encode(
                    io::stdin().lock(),
                    &mut io::stdout().lock(),
                    size,
                    &trailers,
                ),
            )
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("rtw chunked {name}: {failure}");
            ExitCode::FAILURE
        }
    }
}

/// Why a subcommand failed.
#[derive(Debug)]
enum Failure {
    /// The input is not a valid chunked body (or the encoder was misused).
    Chunked(rtw_chunked::Error),
    /// Bytes follow the end of the chunked body.
    TrailingData,
    /// Reading or writing failed; the str says which stream.
    Io(&'static str, io::Error),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Chunked(e) => e.fmt(f),
            Failure::TrailingData => f.write_str(
                "data after the end of the chunked body \
                 (the last-chunk and trailer section end it, RFC 9112 §7.1)",
            ),
            Failure::Io(what, e) => write!(f, "{what}: {e}"),
        }
    }
}

/// Read into `buf` ([`crate::input::read_some`]); 0 means end of input.
fn read_some(input: &mut impl Read, buf: &mut [u8]) -> Result<usize, Failure> {
    crate::input::read_some(input, buf).map_err(|e| Failure::Io("reading stdin", e))
}

/// Decode the chunked body on `input`: payload to `out`, trailer fields to
/// `trailers_out`. `out` is flushed after each piece of input, and before
/// an error is returned.
fn decode(
    mut input: impl Read,
    out: &mut impl Write,
    trailers_out: &mut impl Write,
) -> Result<(), Failure> {
    let mut decoder = Decoder::new();
    let mut src = BytesMut::with_capacity(READ_SIZE);
    let mut buf = vec![0; READ_SIZE];
    loop {
        let n = read_some(&mut input, &mut buf)?;
        src.extend_from_slice(&buf[..n]);
        let ended = decode_available(&mut decoder, &mut src, n == 0, out, trailers_out);
        out.flush().map_err(|e| Failure::Io("writing stdout", e))?;
        if ended? {
            if !src.is_empty() || read_some(&mut input, &mut buf)? > 0 {
                return Err(Failure::TrailingData);
            }
            return Ok(());
        }
        if n == 0 {
            // decode_eof errs on any incomplete body, so the body ended.
            return Ok(());
        }
    }
}

/// Decode every frame `src` holds, at end of input if `eof`; `Ok(true)`
/// once the body has ended.
fn decode_available(
    decoder: &mut Decoder,
    src: &mut BytesMut,
    eof: bool,
    out: &mut impl Write,
    trailers_out: &mut impl Write,
) -> Result<bool, Failure> {
    loop {
        let frame = if eof {
            decoder.decode_eof(src)
        } else {
            decoder.decode(src)
        };
        match frame.map_err(Failure::Chunked)? {
            None => return Ok(false),
            Some(Frame::Data(data)) => out
                .write_all(&data)
                .map_err(|e| Failure::Io("writing stdout", e))?,
            Some(Frame::Trailers(trailers)) => write_trailers(&trailers, trailers_out)
                .map_err(|e| Failure::Io("writing stderr", e))?,
            Some(Frame::End) => return Ok(true),
            // Frame::Chunk comes only with Config::report_chunk_headers,
            // which is off; Frame is #[non_exhaustive].
            Some(_) => {}
        }
    }
}

/// One `name: value` line per trailer field; values are written as their
/// bytes, which may include obs-text (RFC 9110 §5.5).
fn write_trailers(trailers: &HeaderMap, out: &mut impl Write) -> io::Result<()> {
    for (name, value) in trailers {
        out.write_all(name.as_str().as_bytes())?;
        out.write_all(b": ")?;
        out.write_all(value.as_bytes())?;
        out.write_all(b"\n")?;
    }
    out.flush()
}

/// Encode `input` as a chunked body on `out`: each read of `input` becomes
/// chunks of at most `size` bytes. Output is flushed whenever all input read
/// so far is encoded, so a slow producer's data is not held back.
fn encode(
    input: impl Read,
    out: &mut impl Write,
    size: usize,
    trailers: &HeaderMap,
) -> Result<(), Failure> {
    let mut input = BufReader::with_capacity(size.clamp(READ_SIZE, MAX_READ_SIZE), input);
    let mut encoder = Encoder::new();
    let mut pending = BytesMut::with_capacity(READ_SIZE + 64);
    loop {
        let available = match input.fill_buf() {
            Ok(available) => available,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Failure::Io("reading stdin", e)),
        };
        if available.is_empty() {
            break;
        }
        let take = available.len().min(size);
        let drained = take == available.len();
        encoder
            .encode_chunk_into(&available[..take], &mut pending)
            .map_err(Failure::Chunked)?;
        input.consume(take);
        // When the buffer is drained the next fill_buf may block: flush first.
        if drained || pending.len() >= READ_SIZE {
            write_out(out, &pending)?;
            pending.clear();
        }
    }
    let last = encoder.encode_last(trailers).map_err(Failure::Chunked)?;
    pending.extend_from_slice(&last);
    write_out(out, &pending)
}

fn write_out(out: &mut impl Write, bytes: &[u8]) -> Result<(), Failure> {
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(|e| Failure::Io("writing stdout", e))
}

/// `--size`: a chunk size of at least one byte.
fn parse_size(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("must be at least 1: a chunk of size 0 is the last-chunk".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

/// `--trailer 'NAME: VALUE'`: a field line (RFC 9112 §5) whose name may be
/// a trailer (RFC 9110 §6.5.1).
fn parse_trailer(s: &str) -> Result<(HeaderName, HeaderValue), String> {
    let (name, value) = s
        .split_once(':')
        .ok_or("expected NAME: VALUE (a field line, RFC 9112 §5)")?;
    let name = HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| format!("{name:?} is not a field name (RFC 9110 §5.1)"))?;
    if rtw_chunked::is_prohibited_trailer(name.as_str()) {
        return Err(format!(
            "{name} must not be sent as a trailer field (RFC 9110 §6.5.1)"
        ));
    }
    let value = HeaderValue::from_str(value.trim_matches([' ', '\t']))
        .map_err(|_| "the value holds a control character (RFC 9110 §5.5)".to_string())?;
    Ok((name, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Gives its input `step` bytes per read.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.step.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    fn run_decode(wire: &[u8], step: usize) -> (Vec<u8>, Vec<u8>, Result<(), Failure>) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let result = decode(Trickle { data: wire, step }, &mut out, &mut err);
        (out, err, result)
    }

    #[test]
    fn decodes_payload_and_trailers_in_any_split() {
        let wire = b"5;a=\"b c\"\r\nhello\r\n7\r\n, world\r\n0\r\nX-Sum: 1\r\nX-Sum: 2\r\n\r\n";
        for step in [1, 2, 3, 7, wire.len()] {
            let (out, err, result) = run_decode(wire, step);
            result.unwrap();
            assert_eq!(out, b"hello, world");
            assert_eq!(err, b"x-sum: 1\nx-sum: 2\n");
        }
    }

    #[test]
    fn invalid_input_keeps_only_the_payload_before_the_fault() {
        let (out, err, result) = run_decode(b"3\r\nabc\r\n2\r\nde!!\r\n0\r\n\r\n", 1);
        assert_eq!(out, b"abcde");
        assert!(err.is_empty());
        let failure = result.unwrap_err();
        assert!(matches!(
            failure,
            Failure::Chunked(rtw_chunked::Error::MissingCrlfAfterData { found: b'!' })
        ));
        assert!(failure.to_string().contains("CVE-2025-43859"), "{failure}");
    }

    #[test]
    fn truncated_body_is_an_error() {
        let (out, _, result) = run_decode(b"5\r\nhel", 64);
        assert_eq!(out, b"hel");
        assert!(matches!(
            result,
            Err(Failure::Chunked(rtw_chunked::Error::UnexpectedEof(_)))
        ));
    }

    #[test]
    fn data_after_the_body_is_an_error() {
        for wire in [
            &b"0\r\n\r\nGET / HTTP/1.1\r\n"[..],
            b"1\r\nx\r\n0\r\n\r\n\r\n",
        ] {
            for step in [1, 64] {
                let (_, _, result) = run_decode(wire, step);
                assert!(matches!(result, Err(Failure::TrailingData)), "{result:?}");
            }
        }
    }

    fn run_encode(data: &[u8], step: usize, size: usize, trailers: &HeaderMap) -> Vec<u8> {
        let mut out = Vec::new();
        encode(Trickle { data, step }, &mut out, size, trailers).unwrap();
        out
    }

    #[test]
    fn encodes_chunks_of_at_most_size() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
        for (step, size) in [(1000, 100), (1000, 333), (7, 5), (1000, 16384), (1, 1)] {
            let wire = run_encode(&data, step, size, &HeaderMap::new());
            let mut dec =
                Decoder::with_config(rtw_chunked::Config::default().report_chunk_headers(true));
            let mut src = BytesMut::from(&wire[..]);
            let mut body = Vec::new();
            while let Some(frame) = dec.decode_eof(&mut src).unwrap() {
                match frame {
                    Frame::Chunk(h) => assert!(h.size as usize <= size.min(step)),
                    Frame::Data(d) => body.extend_from_slice(&d),
                    Frame::Trailers(_) => panic!("no trailers were given"),
                    Frame::End => break,
                    other => panic!("unexpected {other:?}"),
                }
            }
            assert_eq!(body, data, "step {step} size {size}");
        }
    }

    #[test]
    fn encodes_exact_bytes_with_trailers() {
        let mut trailers = HeaderMap::new();
        let (name, value) = parse_trailer("X-Checksum:  abc\t").unwrap();
        trailers.insert(name, value);
        let wire = run_encode(b"hello world", 64, 5, &trailers);
        assert_eq!(
            wire,
            b"5\r\nhello\r\n5\r\n worl\r\n1\r\nd\r\n0\r\nx-checksum: abc\r\n\r\n"
        );
        assert_eq!(run_encode(b"", 64, 5, &HeaderMap::new()), b"0\r\n\r\n");
    }

    #[test]
    fn argument_parsers() {
        assert_eq!(parse_size("16384"), Ok(16384));
        assert!(parse_size("0").is_err());
        assert!(parse_size("-1").is_err());
        assert!(parse_trailer("no colon").is_err());
        assert!(parse_trailer("bad name: v").is_err());
        assert!(parse_trailer("Content-Length: 5").is_err());
        assert!(parse_trailer("x-a: a\u{1}b").is_err());
        let (name, value) = parse_trailer("Server-Timing: total;dur=1").unwrap();
        assert_eq!(
            (name.as_str(), value.to_str().unwrap()),
            ("server-timing", "total;dur=1")
        );
    }
}
