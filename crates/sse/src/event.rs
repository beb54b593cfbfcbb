//! What the decoder yields.

use std::fmt;

/// A dispatched event ("Interpreting an event stream", "dispatch the
/// event"): its type, data and last event ID.
///
/// The three are kept in one allocation (the data, then the type, then the
/// ID), so that dispatching an event costs one allocation rather than
/// three; read them with [`Event::data`], [`Event::event_type`] and
/// [`Event::last_event_id`]. Build one with [`Event::new`] and the
/// `with_*` setters.
///
/// ```
/// use rtw_sse::Event;
///
/// let event = Event::new("73857293").with_event_type("add").with_last_event_id("7");
/// assert_eq!(
///     (event.event_type(), event.data(), event.last_event_id()),
///     ("add", "73857293", "7")
/// );
/// assert_eq!(Event::new("hi").event_type(), "message");
/// assert_eq!(event.into_data(), "73857293");
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Event {
    /// The data, the type and the last event ID, in that order.
    text: String,
    /// Where the data ends and the type begins in `text`.
    data_end: usize,
    /// Where the type ends and the last event ID begins in `text`.
    type_end: usize,
}

impl Event {
    /// An event of type `message` carrying `data`, with an empty last
    /// event ID, as a stream holding only `data` fields dispatches it.
    pub fn new(data: impl Into<String>) -> Self {
        Event::from_parts(data.into(), "message", "")
    }

    /// The event whose data is `text` with `event_type` and
    /// `last_event_id` appended (the one allocation of `text` is kept when
    /// its capacity allows).
    pub(crate) fn from_parts(mut text: String, event_type: &str, last_event_id: &str) -> Self {
        let data_end = text.len();
        text.reserve_exact(event_type.len() + last_event_id.len());
        text.push_str(event_type);
        let type_end = text.len();
        text.push_str(last_event_id);
        Event {
            text,
            data_end,
            type_end,
        }
    }

    /// The data: the `data` fields' values joined with LF.
    pub fn data(&self) -> &str {
        &self.text[..self.data_end]
    }

    /// The event type: the last `event` field's value, or `message`.
    pub fn event_type(&self) -> &str {
        &self.text[self.data_end..self.type_end]
    }

    /// The last event ID buffer when the event was dispatched: it persists
    /// across events until an `id` field changes it.
    pub fn last_event_id(&self) -> &str {
        &self.text[self.type_end..]
    }

    /// The data, without a copy.
    pub fn into_data(self) -> String {
        let mut text = self.text;
        text.truncate(self.data_end);
        text
    }

    /// This event with its type set to `event_type`.
    #[must_use]
    pub fn with_event_type(self, event_type: impl AsRef<str>) -> Self {
        let id = self.last_event_id().to_owned();
        let mut text = self.text;
        text.truncate(self.data_end);
        Event::from_parts(text, event_type.as_ref(), &id)
    }

    /// This event with its data set to `data`.
    #[must_use]
    pub fn with_data(self, data: impl Into<String>) -> Self {
        Event::from_parts(data.into(), self.event_type(), self.last_event_id())
    }

    /// This event with its last event ID set to `id`.
    #[must_use]
    pub fn with_last_event_id(self, id: impl AsRef<str>) -> Self {
        let mut text = self.text;
        text.truncate(self.type_end);
        text.push_str(id.as_ref());
        Event { text, ..self }
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("event_type", &self.event_type())
            .field("data", &self.data())
            .field("last_event_id", &self.last_event_id())
            .finish()
    }
}

/// One item of a decoded event stream.
///
/// `#[non_exhaustive]`: a `match` needs a `_` arm.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Item {
    /// An event was dispatched.
    Event(Event),
    /// A valid `retry` field set the reconnection time, in milliseconds.
    Retry(u64),
    /// A comment line (the text after `:`), with
    /// [`Config::comments`](crate::Config::comments).
    Comment(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setters_keep_the_other_parts() {
        let event = Event::new("d")
            .with_last_event_id("id")
            .with_event_type("type")
            .with_data("data\nmore");
        assert_eq!(event.data(), "data\nmore");
        assert_eq!(event.event_type(), "type");
        assert_eq!(event.last_event_id(), "id");
        let event = event.with_last_event_id("").with_event_type("");
        assert_eq!((event.data(), event.event_type()), ("data\nmore", ""));
        assert_eq!(event.last_event_id(), "");
    }

    #[test]
    fn equal_parts_are_equal_events() {
        // The same text split differently is a different event.
        let a = Event::new("ab").with_event_type("c");
        let b = Event::new("a").with_event_type("bc");
        assert_ne!(a, b);
        assert_eq!(a, Event::new("ab").with_event_type("c"));
        assert_eq!(
            format!("{a:?}"),
            r#"Event { event_type: "c", data: "ab", last_event_id: "" }"#
        );
    }
}
