//! `rtw sse parse`: an event stream on stdin, JSON lines on stdout.

use std::io::{self, Read, Write};

use bytes::BytesMut;
use rtw_sse::{Config, Decoder, Item};

use super::{Failure, event_json, json};

/// How much is read from stdin at once.
const READ_SIZE: usize = 64 * 1024;

/// Parse `input` to the end, writing one JSON line per event, per change of
/// the reconnection time and, with `comments`, per comment. `out` is
/// flushed after each read of `input`, so a live stream shows as it comes.
pub(super) fn run(
    mut input: impl Read,
    out: &mut impl Write,
    comments: bool,
) -> Result<(), Failure> {
    let mut decoder = Decoder::with_config(Config::default().comments(comments));
    let mut retry = None;
    let mut src = BytesMut::with_capacity(READ_SIZE);
    let mut buf = vec![0; READ_SIZE];
    loop {
        let n = match input.read(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(format!("reading stdin: {e}").into()),
        };
        src.extend_from_slice(&buf[..n]);
        let parsed = write_items(&mut decoder, &mut src, n == 0, &mut retry, out);
        out.flush().map_err(|e| format!("writing stdout: {e}"))?;
        parsed?;
        if n == 0 {
            return Ok(());
        }
    }
}

/// Write every item `src` holds (at the end of input if `eof`).
fn write_items(
    decoder: &mut Decoder,
    src: &mut BytesMut,
    eof: bool,
    retry: &mut Option<u64>,
    out: &mut impl Write,
) -> Result<(), Failure> {
    loop {
        let item = if eof {
            decoder.decode_eof(src)?
        } else {
            decoder.decode(src)?
        };
        let line = match item {
            None => return Ok(()),
            Some(Item::Event(event)) => event_json(&event),
            Some(Item::Retry(ms)) if *retry != Some(ms) => {
                *retry = Some(ms);
                format!("{{\"retry\":{ms}}}")
            }
            Some(Item::Retry(_)) => continue,
            Some(Item::Comment(text)) => format!("{{\"comment\":{}}}", json(&text)),
            // A kind of item this version does not print.
            Some(_) => continue,
        };
        writeln!(out, "{line}").map_err(|e| format!("writing stdout: {e}"))?;
    }
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

    fn parse(wire: &[u8], step: usize, comments: bool) -> (String, Result<(), Failure>) {
        let mut out = Vec::new();
        let result = run(Trickle { data: wire, step }, &mut out, comments);
        (String::from_utf8(out).unwrap(), result)
    }

    #[test]
    fn events_and_retry_changes_in_any_split() {
        let wire = "\u{feff}retry: 100\r\ndata: a\r\n\r\n: ka\nevent: add\ndata: \"q\"\ndata:\nid: 7\n\nretry: 100\nretry: x\n\nretry: 250\ndata: ü\r\rdata: cut";
        let expected = concat!(
            "{\"retry\":100}\n",
            "{\"type\":\"message\",\"data\":\"a\",\"last_event_id\":\"\"}\n",
            "{\"type\":\"add\",\"data\":\"\\\"q\\\"\\n\",\"last_event_id\":\"7\"}\n",
            "{\"retry\":250}\n",
            "{\"type\":\"message\",\"data\":\"ü\",\"last_event_id\":\"7\"}\n",
        );
        for step in [1, 2, 5, wire.len()] {
            let (out, result) = parse(wire.as_bytes(), step, false);
            result.unwrap();
            assert_eq!(out, expected, "step {step}");
        }
    }

    #[test]
    fn comments_on_request() {
        let (out, result) = parse(b":\n: keep-alive\ndata: x\n\n", 3, true);
        result.unwrap();
        assert_eq!(
            out,
            "{\"comment\":\"\"}\n{\"comment\":\" keep-alive\"}\n\
             {\"type\":\"message\",\"data\":\"x\",\"last_event_id\":\"\"}\n"
        );
    }

    #[test]
    fn an_overlong_line_fails_after_the_events_before_it() {
        let mut wire = b"data: ok\n\ndata: ".to_vec();
        wire.resize(wire.len() + (2 << 20), b'x');
        let (out, result) = parse(&wire, READ_SIZE, false);
        assert_eq!(
            out,
            "{\"type\":\"message\",\"data\":\"ok\",\"last_event_id\":\"\"}\n"
        );
        assert!(result.unwrap_err().to_string().contains("line longer"));
    }
}
