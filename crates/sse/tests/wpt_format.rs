//! The event-stream cases of the web-platform-tests `eventsource/format-*`
//! files, restated as data: the stream a test server sends and what the
//! page's EventSource must see. (MIME-type cases belong to the EventSource
//! state machine and are tested there.)

use bytes::BytesMut;
use rtw_sse::{Decoder, Event, Item};

/// Parse `stream` in one piece and byte by byte; both must agree.
fn parse(stream: &[u8]) -> Vec<Item> {
    let whole = parse_in(stream, stream.len().max(1));
    assert_eq!(parse_in(stream, 1), whole, "byte by byte");
    whole
}

fn parse_in(stream: &[u8], piece: usize) -> Vec<Item> {
    let mut p = Decoder::new();
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    for chunk in stream.chunks(piece) {
        buf.extend_from_slice(chunk);
        while let Some(item) = p.decode(&mut buf).unwrap() {
            out.push(item);
        }
    }
    while let Some(item) = p.decode_eof(&mut buf).unwrap() {
        out.push(item);
    }
    out
}

fn data(items: &[Item]) -> Vec<&str> {
    items
        .iter()
        .filter_map(|i| match i {
            Item::Event(e) => Some(e.data()),
            _ => None,
        })
        .collect()
}

fn events(items: Vec<Item>) -> Vec<Event> {
    items
        .into_iter()
        .filter_map(|i| match i {
            Item::Event(e) => Some(e),
            _ => None,
        })
        .collect()
}

fn ev(t: &str, d: &str, id: &str) -> Event {
    Event::new(d).with_event_type(t).with_last_event_id(id)
}

#[test]
fn format_bom() {
    // One BOM is stripped; the second makes "\u{FEFF}data" an unknown field.
    let items = parse("\u{FEFF}data:1\n\n\u{FEFF}data:2\n\ndata:3\n\n".as_bytes());
    assert_eq!(data(&items), ["1", "3"]);
}

#[test]
fn format_bom_2() {
    let items = parse("\u{FEFF}\u{FEFF}data:1\n\ndata:2\n\ndata:3\n\n".as_bytes());
    assert_eq!(data(&items), ["2", "3"]);
}

#[test]
fn format_comments() {
    let long = "x".repeat(2049);
    let stream =
        format!("data:1\r:\0\n:\r\ndata:2\n:{long}\rdata:3\n:data:fail\r:{long}\ndata:4\n\n");
    assert_eq!(data(&parse(stream.as_bytes())), ["1\n2\n3\n4"]);
}

#[test]
fn format_data_before_final_empty_line() {
    // The connection closes in the middle of the second event: discarded.
    let items = parse(b"retry:1000\ndata:test1\n\nid:test\ndata:test2");
    assert_eq!(
        items,
        [Item::Retry(1000), Item::Event(ev("message", "test1", ""))]
    );
}

#[test]
fn format_field_data() {
    assert_eq!(
        data(&parse(b"data:\n\ndata\ndata\n\ndata:test\n\n")),
        ["", "\n", "test"]
    );
}

#[test]
fn format_field_event() {
    let e = events(parse(b"event:test\ndata:x\n\ndata:x\n\n"));
    assert_eq!(e, [ev("test", "x", ""), ev("message", "x", "")]);
}

#[test]
fn format_field_event_empty() {
    assert_eq!(
        events(parse(b"event: \ndata:data\n\n")),
        [ev("message", "data", "")]
    );
}

#[test]
fn format_field_id() {
    // The id persists across events until changed; an empty id resets it.
    let e = events(parse(b"id: 1\ndata: a\n\ndata: b\n\nid:\ndata: c\n\n"));
    assert_eq!(
        e,
        [
            ev("message", "a", "1"),
            ev("message", "b", "1"),
            ev("message", "c", "")
        ]
    );
}

#[test]
fn format_field_id_2() {
    // An id set by an event without data still becomes the last event ID.
    let mut p = Decoder::new();
    let mut buf = BytesMut::from(&b"id: 7\n\n"[..]);
    assert_eq!(p.decode(&mut buf).unwrap(), None);
    assert_eq!(p.last_event_id(), "7");
    let mut buf = BytesMut::from(&b"data: x\n\n"[..]);
    assert_eq!(
        p.decode(&mut buf).unwrap(),
        Some(Item::Event(ev("message", "x", "7")))
    );
}

#[test]
fn format_field_id_null() {
    let e = events(parse(b"id: 1\ndata: a\n\nid: a\0b\ndata: b\n\n"));
    assert_eq!(e, [ev("message", "a", "1"), ev("message", "b", "1")]);
}

#[test]
fn format_field_retry() {
    assert_eq!(parse(b"retry:03000\ndata:x\n\n")[0], Item::Retry(3000));
}

#[test]
fn format_field_retry_bogus() {
    let items = parse(b"retry:3000\nretry:1000x\nretry:  1000\nretry:-1\nretry:1.5\ndata:x\n\n");
    assert_eq!(
        items,
        [Item::Retry(3000), Item::Event(ev("message", "x", ""))]
    );
}

#[test]
fn format_field_retry_empty() {
    assert_eq!(
        parse(b"retry\ndata:test\n\n"),
        [Item::Event(ev("message", "test", ""))]
    );
}

#[test]
fn format_field_unknown() {
    let s = b"data:test\n data\ndata\nfoobar:xxx\njustsometext\n:thisisacommentyay\ndata:test\n\n";
    assert_eq!(data(&parse(s)), ["test\n\ntest"]);
}

#[test]
fn format_leading_space() {
    assert_eq!(
        data(&parse(b"data:\ttest\rdata: \ndata:test\n\n")),
        ["\ttest\n\ntest"]
    );
}

#[test]
fn format_newlines() {
    assert_eq!(
        data(&parse(b"data:test\r\ndata\ndata:test\r\n\r\n")),
        ["test\n\ntest"]
    );
}

#[test]
fn format_null_character() {
    assert_eq!(data(&parse(b"data:\0\n\n")), ["\0"]);
}

#[test]
fn format_utf_8() {
    assert_eq!(data(&parse("data:ok…\n\n".as_bytes())), ["ok…"]);
}

#[test]
fn invalid_utf8_becomes_replacement_characters_also_when_split() {
    // A 3-byte sequence cut short, a lone continuation byte, a valid
    // 4-byte sequence split across reads: U+FFFD per maximal subpart.
    let s = b"data:a\xE2\x82b\x80c\xF0\x9F\x98\x80\n\n";
    assert_eq!(data(&parse(s)), ["a\u{FFFD}b\u{FFFD}c😀"]);
}

#[test]
fn comments_are_available_when_asked() {
    let mut p = Decoder::with_config(rtw_sse::Config::default().comments(true));
    let mut buf = BytesMut::from(&b": heartbeat\n:\ndata:x\n\n"[..]);
    assert_eq!(
        p.decode(&mut buf).unwrap(),
        Some(Item::Comment(" heartbeat".into()))
    );
    assert_eq!(
        p.decode(&mut buf).unwrap(),
        Some(Item::Comment(String::new()))
    );
    assert_eq!(
        p.decode(&mut buf).unwrap(),
        Some(Item::Event(ev("message", "x", "")))
    );
}

#[test]
fn limits() {
    use rtw_sse::{Config, Error, Limits};
    let config = Config::default().limits(Limits::default().max_line_len(10).max_event_size(8));
    let mut p = Decoder::with_config(config.clone());
    let mut buf = BytesMut::from(&b"data: 0123456789\n"[..]);
    assert_eq!(p.decode(&mut buf), Err(Error::LineTooLong { limit: 10 }));
    let mut p = Decoder::with_config(config);
    let mut buf = BytesMut::from(&b"data:1234\ndata:1234\n\n"[..]);
    assert_eq!(p.decode(&mut buf), Err(Error::EventTooLarge { limit: 8 }));
}
