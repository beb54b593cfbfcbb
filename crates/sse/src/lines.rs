//! Splitting the stream into lines ("Parsing an event stream"):
//!
//! ```text
//! stream        = [ bom ] *event
//! end-of-line   = ( cr lf / cr / lf )
//! ```
//!
//! CR, LF and the BOM are ASCII or whole sequences, and UTF-8 never uses the
//! bytes 0x0A and 0x0D inside a sequence, so lines are split on bytes and
//! decoded afterwards, each line at once: a code point split across reads
//! is thus decoded whole, and invalid bytes become U+FFFD exactly as a
//! streaming decoder would.

use bytes::{Buf, Bytes, BytesMut};

use crate::Error;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Incremental line splitter.
#[derive(Debug, Clone, Default)]
pub(crate) struct Lines {
    /// The start of the stream (and a possible BOM) is behind us.
    started: bool,
    /// The last line ended in CR at the end of the input: a LF that comes
    /// next belongs to that line end.
    skip_lf: bool,
    /// Bytes at the start of the buffer already searched for a line end,
    /// so that a long line fed in pieces is scanned once (linear time).
    scanned: usize,
    /// Bytes handed to the line-end search, to prove linear time in tests.
    #[cfg(test)]
    pub(crate) examined: usize,
}

impl Lines {
    /// The next complete line, without its end, or `None` until more input
    /// arrives.
    pub(crate) fn next_line(
        &mut self,
        src: &mut BytesMut,
        max_len: usize,
    ) -> Result<Option<Bytes>, Error> {
        if !self.started {
            let n = src.len().min(BOM.len());
            if src[..n] == BOM[..n] && n < BOM.len() {
                return Ok(None);
            }
            if src.starts_with(BOM) {
                src.advance(BOM.len());
            }
            self.started = true;
        }
        if self.skip_lf {
            let Some(&first) = src.first() else {
                return Ok(None);
            };
            if first == b'\n' {
                src.advance(1);
            }
            self.skip_lf = false;
        }
        #[cfg(test)]
        {
            self.examined += src.len() - self.scanned;
        }
        let Some(at) = memchr::memchr2(b'\n', b'\r', &src[self.scanned..]) else {
            self.scanned = src.len();
            if src.len() > max_len {
                return Err(Error::LineTooLong { limit: max_len });
            }
            return Ok(None);
        };
        let end = self.scanned + at;
        self.scanned = 0;
        if end > max_len {
            return Err(Error::LineTooLong { limit: max_len });
        }
        let line = src.split_to(end).freeze();
        let cr = src[0] == b'\r';
        src.advance(1);
        if cr {
            match src.first() {
                Some(b'\n') => src.advance(1),
                Some(_) => {}
                None => self.skip_lf = true,
            }
        }
        Ok(Some(line))
    }

    /// Forget all state (a new stream begins).
    pub(crate) fn reset(&mut self) {
        *self = Lines::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(pieces: &[&[u8]]) -> Vec<Vec<u8>> {
        let mut l = Lines::default();
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        for p in pieces {
            buf.extend_from_slice(p);
            while let Some(line) = l.next_line(&mut buf, 100).unwrap() {
                out.push(line.to_vec());
            }
        }
        out
    }

    #[test]
    fn all_three_line_ends() {
        assert_eq!(lines(&[b"a\nb\rc\r\nd\n"]), [b"a", b"b", b"c", b"d"]);
    }

    #[test]
    fn cr_and_lf_split_across_reads_are_one_line_end() {
        assert_eq!(lines(&[b"a\r", b"\nb\n"]), [&b"a"[..], b"b"]);
        assert_eq!(
            lines(&[b"a\r", b"", b"\n", b"\nb\n"]),
            [&b"a"[..], b"", b"b"]
        );
        assert_eq!(lines(&[b"a\r", b"\r\n"]), [&b"a"[..], b""]);
    }

    #[test]
    fn one_bom_only_at_the_start() {
        assert_eq!(
            lines(&[b"\xEF", b"\xBB", b"\xBFa\n\xEF\xBB\xBFb\n"]),
            [&b"a"[..], b"\xEF\xBB\xBFb"]
        );
        assert_eq!(lines(&[b"\xEF\xBBx\n"]), [b"\xEF\xBBx"]);
    }

    #[test]
    fn a_long_line_in_many_pieces_is_searched_once() {
        let mut l = Lines::default();
        let mut buf = BytesMut::new();
        let piece = [b'x'; 8192];
        for _ in 0..1024 {
            buf.extend_from_slice(&piece);
            assert_eq!(l.next_line(&mut buf, usize::MAX).unwrap(), None);
        }
        buf.extend_from_slice(b"\n");
        assert_eq!(
            l.next_line(&mut buf, usize::MAX).unwrap().unwrap().len(),
            8 << 20
        );
        assert_eq!(l.examined, (8 << 20) + 1, "every byte looked at once");
    }

    #[test]
    fn long_lines_are_refused() {
        let mut l = Lines::default();
        let mut buf = BytesMut::from(&[b'x'; 101][..]);
        assert_eq!(
            l.next_line(&mut buf, 100),
            Err(Error::LineTooLong { limit: 100 })
        );
        let mut l = Lines::default();
        let mut buf = BytesMut::from(&[b'x'; 100][..]);
        assert_eq!(l.next_line(&mut buf, 100), Ok(None));
    }
}
