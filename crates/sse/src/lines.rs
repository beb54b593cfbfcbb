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

use std::ops::Range;

use crate::Error;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Incremental line splitter. It reads the caller's buffer from a
/// position and hands back where each line is, so that a line is looked
/// at in place and the buffer is advanced once per batch of lines.
#[derive(Debug, Clone, Default)]
pub(crate) struct Lines {
    /// The start of the stream (and a possible BOM) is behind us.
    started: bool,
    /// The last line ended in CR at the end of the input: a LF that comes
    /// next belongs to that line end.
    skip_lf: bool,
    /// Bytes after the position already searched for a line end, so that
    /// a long line fed in pieces is scanned once (linear time).
    scanned: usize,
    /// Bytes searched for line ends, to test the linear-time claim.
    #[cfg(test)]
    pub(crate) examined: usize,
}

impl Lines {
    /// The next complete line in `buf` from `*pos`, without its line end,
    /// moving `*pos` past the line end. `None` when no line is complete
    /// yet: the caller drops `buf[..*pos]` and calls again with more bytes
    /// after the rest.
    ///
    /// A line longer than `max_len` is [`Error::LineTooLong`], as soon as
    /// that many bytes without a line end are buffered.
    #[inline]
    pub(crate) fn next_line(
        &mut self,
        buf: &[u8],
        pos: &mut usize,
        max_len: usize,
    ) -> Result<Option<Range<usize>>, Error> {
        if !self.started {
            let rest = &buf[*pos..];
            let n = rest.len().min(BOM.len());
            if rest[..n] == BOM[..n] && n < BOM.len() {
                return Ok(None);
            }
            if rest.starts_with(BOM) {
                *pos += BOM.len();
            }
            self.started = true;
        }
        if self.skip_lf {
            let Some(&first) = buf.get(*pos) else {
                return Ok(None);
            };
            if first == b'\n' {
                *pos += 1;
            }
            self.skip_lf = false;
        }
        let start = *pos;
        #[cfg(test)]
        {
            self.examined += buf.len() - start - self.scanned;
        }
        let Some(at) = memchr::memchr2(b'\n', b'\r', &buf[start + self.scanned..]) else {
            self.scanned = buf.len() - start;
            if self.scanned > max_len {
                return Err(Error::LineTooLong { limit: max_len });
            }
            return Ok(None);
        };
        let end = start + self.scanned + at;
        self.scanned = 0;
        if end - start > max_len {
            return Err(Error::LineTooLong { limit: max_len });
        }
        *pos = end + 1;
        if buf[end] == b'\r' {
            match buf.get(end + 1) {
                Some(b'\n') => *pos += 1,
                Some(_) => {}
                None => self.skip_lf = true,
            }
        }
        Ok(Some(start..end))
    }

    /// Back to the start of a stream (a BOM may come again).
    pub(crate) fn reset(&mut self) {
        *self = Lines::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feed `pieces` one after the other, dropping what was consumed
    /// before each, as the decoder does.
    fn lines(pieces: &[&[u8]]) -> Vec<Vec<u8>> {
        let mut l = Lines::default();
        let mut buf = Vec::new();
        let mut out = Vec::new();
        for p in pieces {
            buf.extend_from_slice(p);
            let mut pos = 0;
            while let Some(line) = l.next_line(&buf, &mut pos, 100).unwrap() {
                out.push(buf[line].to_vec());
            }
            buf.drain(..pos);
        }
        out
    }

    /// `next_line` on all of `buf` from 0, as a value.
    fn first(l: &mut Lines, buf: &[u8], max_len: usize) -> Result<Option<Vec<u8>>, Error> {
        let mut pos = 0;
        Ok(l.next_line(buf, &mut pos, max_len)?
            .map(|r| buf[r].to_vec()))
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
        let mut buf = Vec::new();
        let piece = [b'x'; 8192];
        for _ in 0..1024 {
            buf.extend_from_slice(&piece);
            assert_eq!(first(&mut l, &buf, usize::MAX).unwrap(), None);
        }
        buf.extend_from_slice(b"\n");
        assert_eq!(
            first(&mut l, &buf, usize::MAX).unwrap().unwrap().len(),
            8 << 20
        );
        assert_eq!(l.examined, (8 << 20) + 1, "every byte looked at once");
    }

    #[test]
    fn long_lines_are_refused() {
        let mut l = Lines::default();
        assert_eq!(
            first(&mut l, &[b'x'; 101], 100),
            Err(Error::LineTooLong { limit: 100 })
        );
        let mut l = Lines::default();
        assert_eq!(first(&mut l, &[b'x'; 100], 100), Ok(None));
    }
}
