//! Writing events ("Authoring notes" of the Server-sent events section):
//! fields that a conforming parser reads back exactly.

use std::borrow::Cow;
use std::fmt;

use bytes::{BufMut, BytesMut};

use crate::Error;

/// What may not be in an event type or id.
#[derive(Clone, Copy)]
enum Fault {
    /// CR or LF would end the field's line and inject what follows as
    /// another field ("Parsing an event stream": a line ends at CR or LF).
    Newline,
    /// An id with U+0000 NULL is ignored by every parser ("Interpreting an
    /// event stream", field `id`).
    Nul,
}

/// The fault of `text`: a line break anywhere wins over a NUL (it is the
/// worse one: it injects fields); NUL counts only when `nul` is set (it is
/// harmless in an event type).
const fn fault(text: &str, nul: bool) -> Option<Fault> {
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut nul_seen = false;
    while i < bytes.len() {
        match bytes[i] {
            b'\r' | b'\n' => return Some(Fault::Newline),
            0 if nul => nul_seen = true,
            _ => {}
        }
        i += 1;
    }
    if nul_seen { Some(Fault::Nul) } else { None }
}

/// An event type checked once: it holds no CR or LF, so it cannot inject
/// fields, and [`Message::with_event`] takes it without failing.
///
/// The empty name stands for the default type `message`
/// ("Interpreting an event stream", "dispatch the event").
///
/// ```
/// use rtw_sse::{EventName, Message};
///
/// // Checked when the program is compiled (a constant) ...
/// const UPDATE: EventName = EventName::from_static("update");
/// // ... or once, where the text comes from elsewhere.
/// let user = EventName::try_from("user-joined")?;
///
/// let m = Message::new("{}").with_event(UPDATE);
/// assert_eq!(m.event_type(), Some("update"));
/// assert_eq!(Message::new("x").with_event(user).event_type(), Some("user-joined"));
/// assert!(EventName::try_from("a\ndata: injected").is_err());
/// # Ok::<(), rtw_sse::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct EventName(Cow<'static, str>);

impl EventName {
    /// An event type from static text, checked without a copy.
    ///
    /// # Panics
    ///
    /// If `name` holds CR or LF. In a `const` item the check runs when the
    /// program is compiled, so a bad constant does not build.
    ///
    /// ```compile_fail
    /// const BAD: rtw_sse::EventName = rtw_sse::EventName::from_static("a\nb");
    /// let _ = BAD;
    /// ```
    pub const fn from_static(name: &'static str) -> Self {
        if fault(name, false).is_some() {
            panic!("an SSE event type may not hold CR or LF");
        }
        EventName(Cow::Borrowed(name))
    }

    /// An event type, or [`Error::NewlineInEventType`] if it holds CR or LF.
    pub fn new(name: impl Into<String>) -> Result<Self, Error> {
        let name = name.into();
        match fault(&name, false) {
            Some(_) => Err(Error::NewlineInEventType),
            None => Ok(EventName(Cow::Owned(name))),
        }
    }

    /// The event type.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<&str> for EventName {
    type Error = Error;

    fn try_from(name: &str) -> Result<Self, Error> {
        EventName::new(name)
    }
}

impl TryFrom<String> for EventName {
    type Error = Error;

    fn try_from(name: String) -> Result<Self, Error> {
        EventName::new(name)
    }
}

impl AsRef<str> for EventName {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for EventName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An event id checked once: no CR or LF (they would inject fields) and no
/// U+0000 NULL (parsers ignore such ids, "Interpreting an event stream",
/// field `id`), so [`Message::with_id`] takes it without failing.
///
/// The empty id is allowed: it resets the client's last event ID.
///
/// ```
/// use rtw_sse::{EventId, Message};
///
/// let seq: u64 = 42;
/// let id = EventId::try_from(seq.to_string().as_str())?;
/// let m = Message::new("tick").with_id(id).with_id(EventId::from_static("43"));
/// assert_eq!(m.event_id(), Some("43"));
/// assert!(EventId::try_from("1\0").is_err());
/// # Ok::<(), rtw_sse::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct EventId(Cow<'static, str>);

impl EventId {
    /// An id from static text, checked without a copy.
    ///
    /// # Panics
    ///
    /// If `id` holds CR, LF or U+0000. In a `const` item the check runs
    /// when the program is compiled, so a bad constant does not build.
    ///
    /// ```compile_fail
    /// const BAD: rtw_sse::EventId = rtw_sse::EventId::from_static("a\0b");
    /// let _ = BAD;
    /// ```
    pub const fn from_static(id: &'static str) -> Self {
        if fault(id, true).is_some() {
            panic!("an SSE event id may not hold CR, LF or U+0000");
        }
        EventId(Cow::Borrowed(id))
    }

    /// An id, or [`Error::NewlineInId`] / [`Error::NulInId`].
    pub fn new(id: impl Into<String>) -> Result<Self, Error> {
        let id = id.into();
        match fault(&id, true) {
            Some(Fault::Newline) => Err(Error::NewlineInId),
            Some(Fault::Nul) => Err(Error::NulInId),
            None => Ok(EventId(Cow::Owned(id))),
        }
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<&str> for EventId {
    type Error = Error;

    fn try_from(id: &str) -> Result<Self, Error> {
        EventId::new(id)
    }
}

impl TryFrom<String> for EventId {
    type Error = Error;

    fn try_from(id: String) -> Result<Self, Error> {
        EventId::new(id)
    }
}

impl AsRef<str> for EventId {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An event to send.
///
/// Data may hold any text: each of its lines (split at CRLF, LF or CR) is
/// written as its own `data:` field, so the parser gives the data back with
/// LF between lines. Line breaks are normalised to LF when the message is
/// made, so that `parse(serialize(m))` gives back exactly
/// [`Message::data`]. The event type and id cannot hold line breaks (they
/// would inject fields), nor the id a NUL (parsers ignore such ids).
///
/// With an [`EventName`] and an [`EventId`], checked once, building a
/// message cannot fail; [`Message::event`] and [`Message::id`] check plain
/// strings on each call instead.
///
/// ```
/// use rtw_sse::{EventId, EventName, Message};
///
/// const PRICE: EventName = EventName::from_static("price");
/// let m = Message::new("101.5")
///     .with_event(PRICE)
///     .with_id(EventId::from_static("7"))
///     .retry(5_000);
/// assert_eq!(&m.to_bytes()[..], b"event: price\ndata: 101.5\nid: 7\nretry: 5000\n\n");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Message {
    event: Option<EventName>,
    data: String,
    id: Option<EventId>,
    retry: Option<u64>,
}

impl Message {
    /// A `message` event with `data`.
    pub fn new(data: impl AsRef<str>) -> Self {
        let data = data.as_ref().replace("\r\n", "\n").replace('\r', "\n");
        Message {
            data,
            ..Message::default()
        }
    }

    /// Set the event type; an empty type means `message`. Fails with
    /// [`Error::NewlineInEventType`]; [`Message::with_event`] cannot fail.
    pub fn event(self, event_type: impl Into<String>) -> Result<Self, Error> {
        Ok(self.with_event(EventName::new(event_type)?))
    }

    /// Set the event type, checked when the [`EventName`] was made; an
    /// empty name means `message`.
    pub fn with_event(mut self, name: EventName) -> Self {
        self.event = (!name.as_str().is_empty()).then_some(name);
        self
    }

    /// Set the event id (it becomes the client's last event ID). Fails with
    /// [`Error::NewlineInId`] or [`Error::NulInId`]; [`Message::with_id`]
    /// cannot fail.
    pub fn id(self, id: impl Into<String>) -> Result<Self, Error> {
        Ok(self.with_id(EventId::new(id)?))
    }

    /// Set the event id (it becomes the client's last event ID), checked
    /// when the [`EventId`] was made.
    pub fn with_id(mut self, id: EventId) -> Self {
        self.id = Some(id);
        self
    }

    /// Set the client's reconnection time in milliseconds.
    pub fn retry(mut self, ms: u64) -> Self {
        self.retry = Some(ms);
        self
    }

    /// The event type, if not `message`.
    pub fn event_type(&self) -> Option<&str> {
        self.event.as_ref().map(EventName::as_str)
    }

    /// The data, line breaks normalised to LF.
    pub fn data(&self) -> &str {
        &self.data
    }

    /// The id, if set.
    pub fn event_id(&self) -> Option<&str> {
        self.id.as_ref().map(EventId::as_str)
    }

    /// The reconnection time, if set.
    pub fn retry_ms(&self) -> Option<u64> {
        self.retry
    }

    /// Append the event's fields and the blank line that dispatches it.
    pub fn write_to(&self, dst: &mut BytesMut) {
        dst.reserve(self.data.len() + 32);
        if let Some(t) = &self.event {
            field(dst, "event", t.as_str());
        }
        for line in self.data.split('\n') {
            field(dst, "data", line);
        }
        if let Some(id) = &self.id {
            field(dst, "id", id.as_str());
        }
        if let Some(ms) = self.retry {
            field(dst, "retry", &ms.to_string());
        }
        dst.put_u8(b'\n');
    }

    /// The event as bytes.
    pub fn to_bytes(&self) -> BytesMut {
        let mut dst = BytesMut::new();
        self.write_to(&mut dst);
        dst
    }
}

/// `name: value` LF. The space after the colon is always written, so a
/// value that itself starts with a space keeps it.
fn field(dst: &mut BytesMut, name: &str, value: &str) {
    dst.put_slice(name.as_bytes());
    dst.put_slice(b": ");
    dst.put_slice(value.as_bytes());
    dst.put_u8(b'\n');
}

/// Append a comment (ignored by parsers; used as a keep-alive). Each line
/// of `text` becomes its own comment line.
pub fn write_comment(text: &str, dst: &mut BytesMut) {
    for line in text.split(['\r', '\n']) {
        dst.put_u8(b':');
        if !line.is_empty() {
            dst.put_u8(b' ');
            dst.put_slice(line.as_bytes());
        }
        dst.put_u8(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_data_lines() {
        let m = Message::new("a\r\nb\rc\n")
            .event("add")
            .unwrap()
            .id("7")
            .unwrap()
            .retry(10);
        assert_eq!(
            &m.to_bytes()[..],
            b"event: add\ndata: a\ndata: b\ndata: c\ndata: \nid: 7\nretry: 10\n\n"
        );
    }

    #[test]
    fn injection_is_refused() {
        assert_eq!(
            Message::new("x").event("a\ndata: evil"),
            Err(Error::NewlineInEventType)
        );
        assert_eq!(Message::new("x").id("1\rretry: 1"), Err(Error::NewlineInId));
        assert_eq!(Message::new("x").id("a\0"), Err(Error::NulInId));
        // A line break is reported wherever it stands, also after a NUL.
        assert_eq!(Message::new("x").id("\0\n"), Err(Error::NewlineInId));
    }

    #[test]
    fn checked_names_and_ids_build_without_failing() {
        const ADD: EventName = EventName::from_static("add");
        let checked = Message::new("a\r\nb\rc\n")
            .with_event(ADD)
            .with_id(EventId::try_from("7").unwrap())
            .retry(10);
        let unchecked = Message::new("a\r\nb\rc\n")
            .event("add")
            .unwrap()
            .id("7")
            .unwrap()
            .retry(10);
        assert_eq!(checked, unchecked);
        assert_eq!(checked.to_bytes(), unchecked.to_bytes());
        // The empty name is the default type, as with `event("")`.
        let m = Message::new("x")
            .with_event(ADD)
            .with_event(EventName::default());
        assert_eq!(m.event_type(), None);
        assert_eq!(m, Message::new("x").event("").unwrap());
        // The empty id is kept: it resets the last event ID.
        let m = Message::new("x").with_id(EventId::from_static(""));
        assert_eq!(&m.to_bytes()[..], b"data: x\nid: \n\n");
    }

    #[test]
    fn newtypes_refuse_what_would_inject_fields() {
        for bad in ["a\ndata: evil", "a\r", "\r\n"] {
            assert_eq!(EventName::try_from(bad), Err(Error::NewlineInEventType));
            assert_eq!(
                EventName::try_from(bad.to_owned()),
                Err(Error::NewlineInEventType)
            );
            assert_eq!(EventId::try_from(bad), Err(Error::NewlineInId));
        }
        assert_eq!(EventId::try_from("a\0"), Err(Error::NulInId));
        assert_eq!(EventId::new(String::from("\0")), Err(Error::NulInId));
        assert_eq!(EventName::try_from("a\0").unwrap().as_str(), "a\0");
        assert_eq!(EventName::new("up").unwrap().to_string(), "up");
        assert_eq!(EventId::new("9").unwrap().as_ref(), "9");
    }

    #[test]
    #[should_panic(expected = "CR or LF")]
    fn from_static_panics_on_a_bad_name() {
        let _ = EventName::from_static("a\nb");
    }

    #[test]
    #[should_panic(expected = "U+0000")]
    fn from_static_panics_on_a_bad_id() {
        let _ = EventId::from_static("a\0");
    }

    #[test]
    fn comments() {
        let mut b = BytesMut::new();
        write_comment("", &mut b);
        write_comment("keep\nalive", &mut b);
        assert_eq!(&b[..], b":\n: keep\n: alive\n");
    }
}
