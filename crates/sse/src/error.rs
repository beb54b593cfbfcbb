//! The errors of rtw-sse.

/// Everything that can go wrong in rtw-sse.
///
/// [`Error::LineTooLong`] and [`Error::EventTooLarge`] are faults of the
/// stream; the serializer variants are caller misuse; the EventSource
/// variants say why a response cannot carry an event stream.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A line grew past [`Limits::max_line_len`](crate::Limits::max_line_len)
    /// bytes without ending.
    #[error("line longer than {limit} bytes")]
    LineTooLong {
        /// The configured limit.
        limit: usize,
    },
    /// An event's data buffer grew past
    /// [`Limits::max_event_size`](crate::Limits::max_event_size) bytes.
    #[error("event data larger than {limit} bytes")]
    EventTooLarge {
        /// The configured limit.
        limit: usize,
    },
    /// Caller misuse: an event type with CR or LF would end the `event:`
    /// line and inject whatever follows as another field.
    #[error("event type contains CR or LF")]
    NewlineInEventType,
    /// Caller misuse: an id with CR or LF would inject a field.
    #[error("event id contains CR or LF")]
    NewlineInId,
    /// Caller misuse: an id with U+0000 is ignored by every parser
    /// ("Interpreting an event stream", field `id`).
    #[error("event id contains U+0000 NULL")]
    NulInId,
    /// The response status is not 200 OK: the EventSource fails without
    /// reconnecting ("Processing model", "fail the connection").
    #[error("response status {0} is not 200")]
    BadStatus(u16),
    /// The response's Content-Type is not `text/event-stream`: the
    /// EventSource fails without reconnecting.
    #[error("response Content-Type {0:?} is not text/event-stream")]
    BadContentType(String),
    /// Caller misuse of the [`EventSource`](crate::EventSource): a
    /// response when no connection attempt awaits one, or body bytes when
    /// no stream is open (for instance after `close()` or a failure). The
    /// string names what came unexpectedly; nothing changed, and the driver
    /// should drop that connection.
    #[error("the EventSource expects no {0} now")]
    UnexpectedInput(&'static str),
}
