//! Reading stdin within a limit, so that input of any size costs no more
//! memory than the limit of what it should hold.
//!
//! - [`read_all`]: for a subcommand that parses its whole input at once
//!   (`rtw sdp`, `rtw stun decode`). It reads at most the limit plus one
//!   byte: one byte over is enough to know the input is too long, and
//!   nothing more is read.
//! - [`read_line`]: for a subcommand that reads one item per line (`rtw ice
//!   candidate`). A line over the limit is not kept: the rest of it is read
//!   and dropped, and the caller reports it and goes on with the next line.
//!
//! - [`read_some`]: one read, retried when interrupted, for `rtw chunked`
//!   and `rtw multipart split`, which read 64 KiB at a time and whose
//!   decoders bound what they hold (`rtw_chunked::Limits`,
//!   `rtw_multipart::Limits`); `rtw sse parse` does the same.

use std::fmt;
use std::io::{self, BufRead, Read};

/// Why [`read_all`] returned no input.
#[derive(Debug)]
pub(crate) enum InputError {
    /// The input holds more than `limit` bytes; `limit + 1` were read.
    TooLong {
        /// The limit, in bytes.
        limit: usize,
        /// What the limit is, e.g. `an SDP (rtw_sdp::Limits::max_size)`.
        of: &'static str,
    },
    /// Reading failed.
    Io(io::Error),
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputError::TooLong { limit, of } => write!(
                f,
                "stdin holds more than {limit} bytes, the limit of {of}; stopped reading there"
            ),
            InputError::Io(e) => write!(f, "reading stdin: {e}"),
        }
    }
}

/// All of `input` if it is at most `limit` bytes long, reading at most
/// `limit + 1` bytes; [`InputError::TooLong`] (naming the limit as `of`)
/// if it is longer.
pub(crate) fn read_all(
    input: impl Read,
    limit: usize,
    of: &'static str,
) -> Result<Vec<u8>, InputError> {
    let mut bytes = Vec::new();
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    input
        .take(cap)
        .read_to_end(&mut bytes)
        .map_err(InputError::Io)?;
    if bytes.len() > limit {
        return Err(InputError::TooLong { limit, of });
    }
    Ok(bytes)
}

/// What [`read_line`] read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Line {
    /// A line of at most the limit, now in the buffer.
    Complete,
    /// A line longer than the limit: it was read to its end and dropped,
    /// and the buffer is empty.
    TooLong,
}

/// Read the next line of `input` into `line` (cleared first), without its
/// `\n`; `None` at the end of input. The last line needs no `\n`. A line
/// of more than `limit` bytes is never held: once it passes the limit the
/// rest of it is read and dropped, and [`Line::TooLong`] is returned, so at
/// most `limit` bytes are kept whatever the input.
pub(crate) fn read_line(
    input: &mut impl BufRead,
    line: &mut Vec<u8>,
    limit: usize,
) -> io::Result<Option<Line>> {
    line.clear();
    let mut read = None;
    loop {
        let available = match input.fill_buf() {
            Ok(available) => available,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok(read);
        }
        let newline = available.iter().position(|&b| b == b'\n');
        let piece = &available[..newline.unwrap_or(available.len())];
        if read != Some(Line::TooLong) {
            if line.len() + piece.len() > limit {
                line.clear();
                read = Some(Line::TooLong);
            } else {
                line.extend_from_slice(piece);
                read = Some(Line::Complete);
            }
        }
        let used = newline.map_or(available.len(), |at| at + 1);
        input.consume(used);
        if newline.is_some() {
            return Ok(read);
        }
    }
}

/// One read into `buf`, retried on `Interrupted`; 0 means the end of the
/// input.
pub(crate) fn read_some(input: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match input.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            result => return result,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts the bytes read from it.
    struct Counted<R> {
        inner: R,
        read: usize,
    }

    impl<R: Read> Read for Counted<R> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.inner.read(buf)?;
            self.read += n;
            Ok(n)
        }
    }

    #[test]
    fn read_all_stops_one_byte_past_the_limit() {
        assert_eq!(read_all(&b"abcd"[..], 4, "x").unwrap(), b"abcd");
        assert_eq!(read_all(&b""[..], 4, "x").unwrap(), b"");
        let mut endless = Counted {
            inner: io::repeat(b'a'),
            read: 0,
        };
        let err = read_all(&mut endless, 1000, "a test").unwrap_err();
        assert_eq!(endless.read, 1001);
        assert_eq!(
            err.to_string(),
            "stdin holds more than 1000 bytes, the limit of a test; stopped reading there"
        );
    }

    fn lines(input: &[u8], limit: usize, capacity: usize) -> Vec<(Line, Vec<u8>)> {
        let mut input = io::BufReader::with_capacity(capacity, input);
        let mut line = Vec::new();
        let mut out = Vec::new();
        while let Some(read) = read_line(&mut input, &mut line, limit).unwrap() {
            assert!(line.len() <= limit);
            out.push((read, line.clone()));
        }
        out
    }

    #[test]
    fn read_line_splits_like_split_and_drops_long_lines() {
        use Line::*;
        for capacity in [1, 2, 3, 64] {
            assert_eq!(
                lines(b"ab\n\nabcdefg\r\nabc\nxyz", 4, capacity),
                [
                    (Complete, b"ab".to_vec()),
                    (Complete, b"".to_vec()),
                    (TooLong, b"".to_vec()),
                    (Complete, b"abc".to_vec()),
                    (Complete, b"xyz".to_vec()),
                ],
                "capacity {capacity}"
            );
            assert_eq!(lines(b"", 4, capacity), []);
            assert_eq!(
                lines(b"abcd\n", 4, capacity),
                [(Complete, b"abcd".to_vec())]
            );
            assert_eq!(lines(b"abcde", 4, capacity), [(TooLong, b"".to_vec())]);
        }
    }

    #[test]
    fn an_endless_line_is_never_held() {
        let mut input = io::BufReader::new(io::repeat(b'a').take(10 << 20));
        let mut line = Vec::new();
        assert_eq!(
            read_line(&mut input, &mut line, 1024).unwrap(),
            Some(Line::TooLong)
        );
        assert!(line.capacity() < 64 * 1024, "{}", line.capacity());
        assert_eq!(read_line(&mut input, &mut line, 1024).unwrap(), None);
    }
}
