//! The interpreter ("Interpreting an event stream").

use std::borrow::Cow;

use bytes::{Buf, BytesMut};

use crate::lines::Lines;
use crate::{Config, Error, Event, Item};

/// Incremental decoder of `text/event-stream`, exactly as the HTML Living
/// Standard's "Parsing an event stream" and "Interpreting an event stream"
/// describe it.
///
/// Feed it bytes with [`Decoder::decode`]; it consumes complete lines and
/// yields [`Item`]s. Lines end at CRLF, LF or CR (a CR at the end of one
/// read and a LF at the start of the next are one line end); one leading
/// BOM is stripped; each line is decoded as UTF-8 with invalid sequences
/// replaced by U+FFFD. The cost is linear in the input however it is split.
///
/// ```
/// use bytes::BytesMut;
/// use rtw_sse::{Decoder, Event, Item};
///
/// let mut decoder = Decoder::new();
/// let mut buf = BytesMut::from("event: add\ndata: 73857293\nid: 7\n\n");
/// let item = decoder.decode(&mut buf)?;
/// assert_eq!(
///     item,
///     Some(Item::Event(Event::new("73857293").event_type("add").last_event_id("7")))
/// );
/// # Ok::<(), rtw_sse::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Decoder {
    config: Config,
    lines: Lines,
    event_type: String,
    /// The data buffer, as raw bytes: it is decoded as UTF-8 once, when
    /// the event is dispatched. The result is the same as decoding each
    /// line (invalid sequences become U+FFFD either way, since the LF that
    /// joins two lines ends any sequence the first left open), in one pass
    /// over the data instead of one call per line.
    data: Vec<u8>,
    /// The last event ID buffer (set by `id` fields).
    id_buffer: String,
    /// The event source's last event ID string (set at each dispatch).
    last_event_id: String,
}

impl Decoder {
    /// A decoder with the default [`Config`].
    pub fn new() -> Self {
        Decoder::default()
    }

    /// A decoder with the given limits and options.
    pub fn with_config(config: Config) -> Self {
        Decoder {
            config,
            ..Decoder::default()
        }
    }

    /// The last event ID string: what a reconnecting EventSource sends as
    /// `Last-Event-ID`. Set when an event is dispatched, even one with no
    /// data.
    pub fn last_event_id(&self) -> &str {
        &self.last_event_id
    }

    /// Prepare for a new connection's stream: the line state, BOM check and
    /// event buffers are reset; the last event ID is kept, as the
    /// EventSource keeps it across reconnections.
    pub fn reset_stream(&mut self) {
        self.lines.reset();
        self.event_type.clear();
        self.data.clear();
        self.id_buffer = self.last_event_id.clone();
    }

    /// Process complete lines of `src` until one yields an [`Item`];
    /// `Ok(None)` once every complete line was used.
    pub fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Item>, Error> {
        // Lines are read in place; the buffer is advanced once, past the
        // lines used, whatever the outcome.
        let mut pos = 0;
        let max_line_len = self.config.limits.max_line_len;
        let result = loop {
            match self.lines.next_line(src, &mut pos, max_line_len) {
                Ok(Some(line)) => match self.process_line(&src[line]) {
                    Ok(None) => continue,
                    done => break done,
                },
                Ok(None) => break Ok(None),
                Err(e) => break Err(e),
            }
        };
        src.advance(pos);
        result
    }

    /// End of stream: "any pending data must be discarded" — an event
    /// without its final blank line is not dispatched, nor is an
    /// unterminated last line processed. Resets the stream state like
    /// [`Decoder::reset_stream`] and returns the items complete lines still
    /// give.
    pub fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Item>, Error> {
        if let Some(item) = self.decode(src)? {
            return Ok(Some(item));
        }
        src.clear();
        self.reset_stream();
        Ok(None)
    }

    fn process_line(&mut self, line: &[u8]) -> Result<Option<Item>, Error> {
        if line.is_empty() {
            return Ok(self.dispatch());
        }
        if line[0] == b':' {
            if self.config.comments {
                return Ok(Some(Item::Comment(
                    String::from_utf8_lossy(&line[1..]).into_owned(),
                )));
            }
            return Ok(None);
        }
        let (name, value) = match memchr::memchr(b':', line) {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &b""[..]),
        };
        match name {
            b"event" => {
                self.event_type.clear();
                self.event_type.push_str(&text(value));
            }
            b"data" => {
                let limit = self.config.limits.max_event_size;
                if self.data.len() + value.len() + 1 > limit {
                    return Err(Error::EventTooLarge { limit });
                }
                self.data.reserve(value.len() + 1);
                self.data.extend_from_slice(value);
                self.data.push(b'\n');
            }
            b"id" if !value.contains(&0) => {
                self.id_buffer.clear();
                self.id_buffer.push_str(&text(value));
            }
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                let ms = value.iter().fold(0u64, |n, d| {
                    n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
                });
                return Ok(Some(Item::Retry(ms)));
            }
            _ => {}
        }
        Ok(None)
    }

    /// "Dispatch the event", on a blank line.
    fn dispatch(&mut self) -> Option<Item> {
        self.last_event_id.clone_from(&self.id_buffer);
        if self.data.is_empty() {
            self.event_type.clear();
            return None;
        }
        if self.data.ends_with(b"\n") {
            self.data.pop();
        }
        let event_type = match std::mem::take(&mut self.event_type) {
            t if t.is_empty() => "message".to_owned(),
            t => t,
        };
        Some(Item::Event(Event {
            event_type,
            data: utf8(std::mem::take(&mut self.data)),
            last_event_id: self.last_event_id.clone(),
        }))
    }
}

/// Decode a line's bytes as UTF-8, invalid sequences replaced by U+FFFD
/// (the standard's "UTF-8 decode"). Valid text, the common case, takes the
/// standard library's fast validator and is borrowed, not copied.
/// `bytes` as UTF-8, invalid sequences replaced by U+FFFD; no copy when
/// they are valid.
fn utf8(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn text(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Invalid UTF-8 is replaced per line, though the data is decoded once
    /// at dispatch: a sequence left open at the end of one data line is
    /// not completed by the next line's bytes.
    #[test]
    fn invalid_utf8_is_replaced_line_by_line() {
        let mut src = BytesMut::from(&b"data: a\xE2\x82\ndata: \xACb\n\n"[..]);
        let Some(Item::Event(event)) = Decoder::new().decode(&mut src).unwrap() else {
            panic!("no event");
        };
        assert_eq!(event.data, "a\u{FFFD}\n\u{FFFD}b");
    }
}
