//! What the decoder yields.

/// A dispatched event ("Interpreting an event stream", "dispatch the
/// event").
///
/// `#[non_exhaustive]`: read the fields; build one with [`Event::new`] and
/// the setters.
///
/// ```
/// use rtw_sse::Event;
///
/// let event = Event::new("73857293").event_type("add").last_event_id("7");
/// assert_eq!(event.event_type, "add");
/// assert_eq!(Event::new("hi").event_type, "message");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub struct Event {
    /// The event type: the last `event` field's value, or `message`.
    pub event_type: String,
    /// The data: the `data` fields' values joined with LF.
    pub data: String,
    /// The last event ID buffer when the event was dispatched: it persists
    /// across events until an `id` field changes it.
    pub last_event_id: String,
}

impl Event {
    /// An event of type `message` carrying `data`, with an empty last
    /// event ID, as a stream holding only `data` fields dispatches it.
    pub fn new(data: impl Into<String>) -> Self {
        Event {
            event_type: "message".to_owned(),
            data: data.into(),
            last_event_id: String::new(),
        }
    }

    /// Sets [`event_type`](Event::event_type).
    #[must_use]
    pub fn event_type(mut self, event_type: impl Into<String>) -> Self {
        self.event_type = event_type.into();
        self
    }

    /// Sets [`data`](Event::data).
    #[must_use]
    pub fn data(mut self, data: impl Into<String>) -> Self {
        self.data = data.into();
        self
    }

    /// Sets [`last_event_id`](Event::last_event_id).
    #[must_use]
    pub fn last_event_id(mut self, id: impl Into<String>) -> Self {
        self.last_event_id = id.into();
        self
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
