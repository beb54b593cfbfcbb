//! Fuzz target for the rtw-sse parser and serializer (HTML Living
//! Standard, "Server-sent events").
//!
//! Input layout: three control bytes, then the bytes to parse as an event
//! stream (missing control bytes count as zero).
//!
//! - byte 0, options: bits 0-1 the split pattern of the incremental parse;
//!   bit 2 small limits (from byte 2) instead of the defaults; bit 3
//!   comments reported as items.
//! - byte 1: parameter of the split pattern (stride, seed or cut point).
//! - byte 2: parameter of the small limits.
//!
//! Properties checked for every input; a panic is a bug in the parser or
//! the serializer:
//!
//! 1. Split invariance: parsing in one shot and parsing fed in pieces
//!    (then `decode_eof`) give the same items, the same final error and the
//!    same `last_event_id`.
//! 2. Item shape: event types are never empty and, like ids and comments,
//!    hold no CR or LF (lines end there); data holds no CR; ids hold no
//!    NUL; comments come only when asked for; errors come only from the
//!    limits, so never with the default limits on inputs this small.
//! 3. The serializer refuses exactly the event types with CR or LF and
//!    the ids with CR, LF or NUL (checked on every event's fields and on
//!    the input itself, read as text).
//! 4. Round trip: every event obtained, written back with [`Message`]
//!    (its type unless `message`, its data, its last event ID as `id`),
//!    with the comments obtained written back in place with
//!    [`write_comment`], parses again to the same events (and comments,
//!    which come back behind the space `write_comment` puts after the
//!    colon), leaving the same `last_event_id`. Each `retry` value
//!    obtained round trips through [`Message::retry`].
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use rtw_fuzz::cut_points;
use rtw_sse::{Config, Decoder, Error, Event, Item, Limits, Message, write_comment};

fuzz_target!(|input: &[u8]| {
    let (control, body) = input.split_at(input.len().min(3));
    let [opts, split_param, limit_param] =
        std::array::from_fn(|i| control.get(i).copied().unwrap_or(0));
    let small_limits = opts & 4 != 0;
    let config = Config::default()
        .limits(if small_limits {
            small(limit_param)
        } else {
            Limits::default()
        })
        .comments(opts & 8 != 0);

    // 1. One shot against pieces.
    let whole = parse(&config, body, &[body.len()]);
    let cuts = cut_points(body.len(), opts & 3, split_param);
    let pieces = parse(&config, body, &cuts);
    assert_eq!(
        whole, pieces,
        "one shot and pieces differ, cut points {cuts:?}"
    );

    // 2. Item shape.
    check_items(&whole, &config);
    if !small_limits {
        assert_eq!(whole.error, None, "error under the default limits");
    }

    // 3. What the serializer refuses, on text that may hold anything.
    let text = String::from_utf8_lossy(body);
    check_refusals(&text);

    // 4. Round trip.
    round_trip(&whole.items);
});

/// Everything one parse of a stream produced.
#[derive(Debug, Default, PartialEq)]
struct Outcome {
    items: Vec<Item>,
    /// The error that stopped the parse (the parse is not resumed after
    /// one).
    error: Option<Error>,
    /// [`Decoder::last_event_id`] when the parse stopped.
    last_event_id: String,
}

/// Limits small enough that short inputs reach both, zero included.
fn small(p: u8) -> Limits {
    Limits::default()
        .max_line_len(usize::from(p & 0x0f) * 3)
        .max_event_size(usize::from(p >> 4) * 5)
}

/// Parse `body` fed in the pieces that end at `cuts` (the last cut is
/// `body.len()`), draining `decode` after each piece, then `decode_eof`.
fn parse(config: &Config, body: &[u8], cuts: &[usize]) -> Outcome {
    let mut parser = Decoder::with_config(config.clone());
    let mut buf = BytesMut::new();
    let mut out = Outcome::default();
    let mut fed = 0;
    let mut result = Ok(());
    for &cut in cuts {
        buf.extend_from_slice(&body[fed..cut]);
        fed = cut;
        result = drain(&mut parser, &mut buf, false, &mut out.items);
        if result.is_err() {
            break;
        }
    }
    if result.is_ok() {
        assert_eq!(fed, body.len());
        result = drain(&mut parser, &mut buf, true, &mut out.items);
        if result.is_ok() {
            assert!(buf.is_empty(), "decode_eof left {} bytes", buf.len());
        }
    }
    out.error = result.err();
    out.last_event_id = parser.last_event_id().to_owned();
    out
}

/// Take items until the parser wants more input.
fn drain(
    parser: &mut Decoder,
    buf: &mut BytesMut,
    eof: bool,
    items: &mut Vec<Item>,
) -> Result<(), Error> {
    loop {
        let item = if eof {
            parser.decode_eof(buf)?
        } else {
            parser.decode(buf)?
        };
        match item {
            Some(item) => items.push(item),
            None => return Ok(()),
        }
    }
}

fn check_items(out: &Outcome, config: &Config) {
    for item in &out.items {
        match item {
            Item::Event(event) => {
                let (event_type, data) = (event.event_type(), event.data());
                let last_event_id = event.last_event_id();
                assert!(!event_type.is_empty(), "empty event type");
                assert!(!event_type.contains(['\r', '\n']), "{event_type:?}");
                assert!(!data.contains('\r'), "CR in data {data:?}");
                assert!(
                    !last_event_id.contains(['\r', '\n', '\0']),
                    "{last_event_id:?}"
                );
            }
            Item::Comment(text) => {
                assert!(config.comments, "comment not asked for");
                assert!(!text.contains(['\r', '\n']), "{text:?}");
            }
            Item::Retry(_) => {}
            other => panic!("an item this target does not know: {other:?}"),
        }
    }
    // The last event ID string only changes at a dispatch, and an event
    // carries the one it was dispatched with; blank lines that dispatch
    // nothing may change it after the last event, so only the absence of
    // NUL and line ends is certain here.
    assert!(!out.last_event_id.contains(['\r', '\n', '\0']));
    match &out.error {
        None => {}
        Some(Error::LineTooLong { limit }) => {
            assert_eq!(*limit, config.limits.max_line_len);
        }
        Some(Error::EventTooLarge { limit }) => {
            assert_eq!(*limit, config.limits.max_event_size);
        }
        Some(other) => panic!("parser gave a non-stream error: {other:?}"),
    }
}

/// The serializer refuses an event type or id exactly when it would
/// inject fields (CR, LF) or be ignored by parsers (NUL in an id), with
/// the variant that says so. Tried on `text` whole and on each piece of it
/// between line ends, which are candidates for both.
fn check_refusals(text: &str) {
    let candidates = std::iter::once(text).chain(text.split(['\r', '\n']));
    for s in candidates.take(64) {
        let event = Message::new("x").event(s);
        if s.contains(['\r', '\n']) {
            assert_eq!(event, Err(Error::NewlineInEventType), "type {s:?}");
        } else {
            let m = event.unwrap_or_else(|e| panic!("type {s:?} refused: {e:?}"));
            let expected = (!s.is_empty()).then_some(s);
            assert_eq!(m.event_type(), expected);
        }
        let id = Message::new("x").id(s);
        if s.contains(['\r', '\n']) {
            assert_eq!(id, Err(Error::NewlineInId), "id {s:?}");
        } else if s.contains('\0') {
            assert_eq!(id, Err(Error::NulInId), "id {s:?}");
        } else {
            let m = id.unwrap_or_else(|e| panic!("id {s:?} refused: {e:?}"));
            assert_eq!(m.event_id(), Some(s));
        }
    }
}

/// Property 4.
fn round_trip(items: &[Item]) {
    let mut wire = BytesMut::new();
    let mut expected = Vec::new();
    for item in items {
        match item {
            Item::Event(e) => {
                let mut message = Message::new(&e.data());
                assert_eq!(message.data(), e.data(), "data changed by Message::new");
                if e.event_type() != "message" {
                    message = message
                        .event(e.event_type())
                        .unwrap_or_else(|err| panic!("type {:?}: {err:?}", e.event_type()));
                }
                // A parsed id never holds CR, LF or NUL (checked above), so
                // the serializer must take every one: none is skipped.
                let refused = e.last_event_id().contains(['\r', '\n', '\0']);
                match message.clone().id(e.last_event_id()) {
                    Ok(with_id) => {
                        assert!(!refused, "id {:?} taken", e.last_event_id());
                        message = with_id;
                    }
                    Err(err) => {
                        assert!(refused, "id {:?} refused: {err:?}", e.last_event_id());
                        continue;
                    }
                }
                message.write_to(&mut wire);
                expected.push(item.clone());
            }
            Item::Comment(text) => {
                write_comment(text, &mut wire);
                let back = if text.is_empty() {
                    String::new()
                } else {
                    format!(" {text}")
                };
                expected.push(Item::Comment(back));
            }
            Item::Retry(ms) => {
                let wire = Message::new("r").retry(*ms).to_bytes();
                let again = parse(&lenient(), &wire, &[wire.len()]);
                assert_eq!(
                    again.items,
                    [Item::Retry(*ms), Item::Event(Event::new("r"))],
                    "retry {ms} round trip"
                );
            }
            other => panic!("an item this target does not know: {other:?}"),
        }
    }
    let again = parse(&lenient(), &wire, &[wire.len()]);
    assert_eq!(again.error, None, "round trip of {wire:?}");
    assert_eq!(again.items, expected, "round trip of {wire:?}");
    let last_id = expected.iter().rev().find_map(|item| match item {
        Item::Event(e) => Some(e.last_event_id()),
        _ => None,
    });
    assert_eq!(
        again.last_event_id,
        last_id.unwrap_or(""),
        "last event ID after the round trip"
    );
}

/// Comments on, limits that whatever a parse produced fits once written
/// back (each field line adds at most its name and `: `).
fn lenient() -> Config {
    Config::default()
        .limits(
            Limits::default()
                .max_line_len(usize::MAX)
                .max_event_size(usize::MAX),
        )
        .comments(true)
}
