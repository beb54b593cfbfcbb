//! What the parser yields.

/// A dispatched event ("Interpreting an event stream", "dispatch the
/// event").
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Event {
    /// The event type: the last `event` field's value, or `message`.
    pub event_type: String,
    /// The data: the `data` fields' values joined with LF.
    pub data: String,
    /// The last event ID buffer when the event was dispatched: it persists
    /// across events until an `id` field changes it.
    pub last_event_id: String,
}

/// One item of a parsed event stream.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Item {
    /// An event was dispatched.
    Event(Event),
    /// A valid `retry` field set the reconnection time, in milliseconds.
    Retry(u64),
    /// A comment line (the text after `:`), with
    /// [`Config::comments`](crate::Config::comments).
    Comment(String),
}
