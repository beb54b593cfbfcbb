//! Inputs for the Server-Sent Events benches (`benches/sse.rs`).
//!
//! The event streams are written here field by field from the standard's
//! grammar ("Parsing an event stream"), not with `rtw-sse`'s serializer,
//! so a serializer bug cannot hide behind a matching parser bug. Each input
//! keeps the events a conforming parser must produce from it.

use crate::payload;

/// How many bytes the parse benches hand to a parser at a time, as if each
/// came from one `read` of the socket or one chunk of an HTTP body: 16 KiB,
/// so every contender sees the same piece boundaries, with events and lines
/// cut across them.
pub const READ_LEN: usize = 16 * 1024;

/// Number of events in the chat-like stream.
pub const CHAT_EVENTS: usize = 10_000;

/// Number of events in each large-event stream.
pub const LARGE_EVENTS: usize = 16;

/// Data length of each large event: 64 KiB.
pub const LARGE_DATA_LEN: usize = 64 * 1024;

/// Length of the `data:` lines of the multi-line large events (the last
/// line of an event may be shorter).
pub const LARGE_LINE_LEN: usize = 80;

/// One event as a conforming parser must dispatch it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedEvent {
    /// The event type (`message` when the stream names none).
    pub event_type: String,
    /// The data, lines joined with LF.
    pub data: String,
    /// The last event ID when the event is dispatched.
    pub id: String,
}

/// An event stream and what it must parse to.
#[derive(Debug, Clone)]
pub struct SseInput {
    /// Label for bench names, such as `"chat_10k"`.
    pub label: &'static str,
    /// The stream on the wire.
    pub wire: Vec<u8>,
    /// The events it holds, in order.
    pub events: Vec<ExpectedEvent>,
}

impl SseInput {
    /// Total data bytes of all events: a checksum every contender must
    /// reproduce.
    pub fn data_len(&self) -> usize {
        self.events.iter().map(|e| e.data.len()).sum()
    }

    /// The three inputs of the parse benches: [`chat`], and [`large`] with
    /// data in [`LARGE_LINE_LEN`]-character lines and in one line.
    pub fn all() -> Vec<SseInput> {
        vec![
            chat(CHAT_EVENTS),
            large(LARGE_EVENTS, Some(LARGE_LINE_LEN)),
            large(LARGE_EVENTS, None),
        ]
    }
}

/// `len` printable ASCII characters of [`payload`] content (letters,
/// digits, `+` and `/`): text a JSON string or base64 body could hold, and
/// no byte a parser treats specially.
pub fn text(len: usize) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    payload(len)
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(b & 63)]))
        .collect()
}

/// Append `name: value` LF.
fn field(wire: &mut Vec<u8>, name: &str, value: &str) {
    wire.extend_from_slice(name.as_bytes());
    wire.extend_from_slice(b": ");
    wire.extend_from_slice(value.as_bytes());
    wire.push(b'\n');
}

/// `count` chat-like events of about 100 bytes each, as a chat or
/// notification service sends them:
///
/// ```text
/// event: msg
/// id: 4711
/// data: {"room":"r3","user":"u17","seq":4711,"text":"…"}
///
/// ```
///
/// The message text is 16 to 47 characters, so events are 85 to 120 bytes
/// on the wire (about 100 on average).
pub fn chat(count: usize) -> SseInput {
    let words = text(count * 48);
    let mut state: u64 = 0x5EED_0000_C4A7;
    let mut wire = Vec::with_capacity(count * 104);
    let mut events = Vec::with_capacity(count);
    for seq in 0..count {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let text_len = 16 + (state % 32) as usize;
        let room = (state >> 8) % 8;
        let user = (state >> 16) % 100;
        let msg = &words[seq * 48..seq * 48 + text_len];
        let data = format!(r#"{{"room":"r{room}","user":"u{user}","seq":{seq},"text":"{msg}"}}"#);
        let id = seq.to_string();
        field(&mut wire, "event", "msg");
        field(&mut wire, "id", &id);
        field(&mut wire, "data", &data);
        wire.push(b'\n');
        events.push(ExpectedEvent {
            event_type: "msg".into(),
            data,
            id,
        });
    }
    SseInput {
        label: "chat_10k",
        wire,
        events,
    }
}

/// `count` events of [`LARGE_DATA_LEN`] data bytes each, each with an
/// `id`, as a stream of documents or snapshots. With `line_len`, the data
/// is sent in `data:` lines of that many characters (so the event's data
/// holds LFs between them, and is a little longer than
/// [`LARGE_DATA_LEN`]); without, in one `data:` line.
///
/// # Panics
///
/// If `line_len` is `Some(0)`.
pub fn large(count: usize, line_len: Option<usize>) -> SseInput {
    let content = text(LARGE_DATA_LEN + count);
    let mut wire = Vec::with_capacity(count * (LARGE_DATA_LEN * 11 / 10 + 32));
    let mut events = Vec::with_capacity(count);
    for i in 0..count {
        // Each event's content starts one character later, so no two
        // events are equal.
        let body = &content[i..i + LARGE_DATA_LEN];
        let id = format!("doc-{i}");
        field(&mut wire, "id", &id);
        let data = match line_len {
            Some(n) => {
                assert!(n > 0, "lines of 0 characters");
                let lines: Vec<&str> = (0..body.len())
                    .step_by(n)
                    .map(|at| &body[at..(at + n).min(body.len())])
                    .collect();
                for line in &lines {
                    field(&mut wire, "data", line);
                }
                lines.join("\n")
            }
            None => {
                field(&mut wire, "data", body);
                body.to_owned()
            }
        };
        wire.push(b'\n');
        events.push(ExpectedEvent {
            event_type: "message".into(),
            data,
            id,
        });
    }
    SseInput {
        label: match line_len {
            Some(_) => "large_64KiB_lines",
            None => "large_64KiB_one_line",
        },
        wire,
        events,
    }
}

#[cfg(test)]
mod tests {
    use bytes::BytesMut;
    use rtw_sse::{Decoder, Item};

    use super::*;

    #[test]
    fn chat_events_are_about_100_bytes() {
        let input = chat(CHAT_EVENTS);
        assert_eq!(input.events.len(), CHAT_EVENTS);
        let mean = input.wire.len() / CHAT_EVENTS;
        assert!((90..=110).contains(&mean), "{mean} bytes per event");
        assert!(
            input
                .wire
                .starts_with(b"event: msg\nid: 0\ndata: {\"room\":\"r"),
            "{:?}",
            String::from_utf8_lossy(&input.wire[..60])
        );
        assert_eq!(input.wire, chat(CHAT_EVENTS).wire, "deterministic");
    }

    #[test]
    fn large_layouts() {
        let lines = large(2, Some(LARGE_LINE_LEN));
        let one = large(2, None);
        for input in [&lines, &one] {
            assert_eq!(input.events.len(), 2);
            assert_ne!(input.events[0].data, input.events[1].data);
        }
        let first = &lines.events[0].data;
        assert_eq!(
            first.len(),
            LARGE_DATA_LEN + LARGE_DATA_LEN.div_ceil(LARGE_LINE_LEN) - 1
        );
        assert!(first.split('\n').all(|l| l.len() <= LARGE_LINE_LEN));
        assert_eq!(first.replace('\n', ""), one.events[0].data);
        assert_eq!(one.events[0].data.len(), LARGE_DATA_LEN);
        assert!(one.wire.starts_with(b"id: doc-0\ndata: "));
    }

    /// Every input parses with rtw, in pieces of [`READ_LEN`] as the
    /// bench feeds it, to exactly its events.
    #[test]
    fn inputs_parse_with_rtw() {
        for input in SseInput::all() {
            let mut decoder = Decoder::new();
            let mut buf = BytesMut::new();
            let mut events = Vec::new();
            for piece in input.wire.chunks(READ_LEN) {
                buf.extend_from_slice(piece);
                while let Some(item) = decoder.decode(&mut buf).unwrap() {
                    let Item::Event(e) = item else {
                        panic!("{item:?} in {}", input.label)
                    };
                    events.push(ExpectedEvent {
                        event_type: e.event_type().to_owned(),
                        data: e.data().to_owned(),
                        id: e.last_event_id().to_owned(),
                    });
                }
            }
            assert!(buf.is_empty());
            assert!(events == input.events, "{} differs", input.label);
        }
    }
}
