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
///     Some(Item::Event(
///         Event::new("73857293").with_event_type("add").with_last_event_id("7")
///     ))
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
    ///
    /// When the first data line of an event comes, room is made for it,
    /// for the event's type and ID, and for as much as the last event held
    /// (`size_hint`), so that a stream of events of similar sizes allocates
    /// once per event and never grows the buffer line by line. The event
    /// takes the buffer with it unless that would hand it more than twice
    /// its size; then it gets a copy, and the buffer is kept for the next
    /// events (it is at most
    /// [`Limits::max_event_size`](crate::Limits::max_event_size)).
    data: Vec<u8>,
    /// The size of the last event dispatched (data, type and ID).
    size_hint: usize,
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
        // Every field the standard defines has a name of at most five
        // bytes, so the colon is looked for in the first six only: a line
        // without one there names another field, which is ignored.
        let (name, value) = match line.iter().take(LONGEST_NAME + 1).position(|&b| b == b':') {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None if line.len() <= LONGEST_NAME => (line, &b""[..]),
            None => return Ok(None),
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
                // The event's type and last event ID are appended to the
                // data when it is dispatched: room for them now saves a
                // reallocation then.
                let tail = if self.data.is_empty() {
                    self.event_type.len().max(MESSAGE.len()) + self.id_buffer.len()
                } else {
                    0
                };
                let want = value.len() + 1 + tail;
                let want = if self.data.is_empty() {
                    want.max(self.size_hint)
                } else {
                    want
                };
                self.data.reserve(want);
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
        let event_type = match self.event_type.as_str() {
            "" => MESSAGE,
            t => t,
        };
        let tail = event_type.len() + self.last_event_id.len();
        let needed = self.data.len() + tail;
        self.size_hint = needed;
        let capacity = self.data.capacity();
        let text = if capacity >= needed && capacity <= 2 * needed + SLACK {
            // The buffer fits this event: hand it over.
            utf8(std::mem::take(&mut self.data))
        } else {
            // The buffer was made for larger events: copy the data out at
            // its size and keep the buffer for the next event.
            let data = text(&self.data);
            let mut text = String::with_capacity(data.len() + tail);
            text.push_str(&data);
            self.data.clear();
            text
        };
        let event = Event::from_parts(text, event_type, &self.last_event_id);
        self.event_type.clear();
        Some(Item::Event(event))
    }
}

/// Spare capacity, beyond twice an event's size, up to which the data
/// buffer is handed over with the event rather than copied.
const SLACK: usize = 64;

/// The longest field name the standard defines (`event`, `retry`).
const LONGEST_NAME: usize = 5;

/// The type of an event no `event` field named.
const MESSAGE: &str = "message";

/// `bytes` as UTF-8, invalid sequences replaced by U+FFFD; no copy when
/// they are valid.
fn utf8(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// A field value as UTF-8, invalid sequences replaced by U+FFFD (the
/// standard's "UTF-8 decode"); borrowed when it is valid.
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
        assert_eq!(event.data(), "a\u{FFFD}\n\u{FFFD}b");
    }

    fn items(input: &[u8]) -> Vec<Item> {
        let mut src = BytesMut::from(input);
        let mut decoder = Decoder::new();
        std::iter::from_fn(|| decoder.decode(&mut src).unwrap()).collect()
    }

    /// Names are looked for in the first six bytes only; lines whose name
    /// is longer are still ignored and short names without a colon still
    /// count.
    #[test]
    fn field_names_without_a_colon_or_longer_than_any_field() {
        assert_eq!(
            items(b"data\ndata\n\ndataa: x\nretryy: 5\nevent\ndata: y\n\n"),
            [Item::Event(Event::new("\n")), Item::Event(Event::new("y"))]
        );
        assert_eq!(
            items(b"retry\nid\ndata:z\n\n"),
            [Item::Event(Event::new("z"))]
        );
        assert_eq!(
            items(b"event:add\ndata:1\n\ndata:2\n\n"),
            [
                Item::Event(Event::new("1").with_event_type("add")),
                Item::Event(Event::new("2")),
            ]
        );
    }

    /// Each event's parts are its own, however the data buffer was reused.
    #[test]
    fn events_after_a_long_one_are_their_own_size() {
        let mut input = b"id: 1\n".to_vec();
        for _ in 0..100 {
            input.extend_from_slice(b"data: 0123456789\n");
        }
        input.extend_from_slice(b"\nevent: e\ndata: short\n\n");
        let got = items(&input);
        let Item::Event(long) = &got[0] else { panic!() };
        assert_eq!(long.data().len(), 100 * 11 - 1);
        assert_eq!(long.last_event_id(), "1");
        assert_eq!(
            got[1],
            Item::Event(
                Event::new("short")
                    .with_event_type("e")
                    .with_last_event_id("1")
            )
        );
    }
}
