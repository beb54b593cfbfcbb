//! The errors of rtw-sse.

/// Everything that can go wrong in rtw-sse.
///
/// [`Error::LineTooLong`] and [`Error::EventTooLarge`] are faults of the
/// stream; the serializer variants are caller misuse; the EventSource
/// variants say why a response cannot carry an event stream.
///
/// Two accessors sort them:
/// - [`Error::is_peer_fault`]: the server (its response or its stream)
///   broke the rules, versus the caller misused the API;
/// - [`Error::connection_answer`] (and its shorthand
///   [`Error::reconnects`]): what the EventSource processing model does
///   with the connection, the standard's "fail the connection" or
///   "reestablish the connection". The [`EventSource`](crate::EventSource)
///   has already done it when it returns the error; a driver of a bare
///   [`Decoder`](crate::Decoder) should do the same.
///
/// ```
/// use rtw_sse::{ConnectionAnswer, Error};
///
/// let refused = Error::BadStatus(204);
/// assert!(refused.is_peer_fault());
/// assert_eq!(refused.connection_answer(), Some(ConnectionAnswer::Fail));
/// assert!(!refused.reconnects());
///
/// let misuse = Error::NewlineInId;
/// assert!(!misuse.is_peer_fault());
/// assert_eq!(misuse.connection_answer(), None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A line grew past [`Limits::max_line_len`](crate::Limits::max_line_len)
    /// bytes without ending.
    #[error("line longer than {limit} bytes (Limits::max_line_len; \"Parsing an event stream\")")]
    LineTooLong {
        /// The configured limit.
        limit: usize,
    },
    /// An event's data buffer grew past
    /// [`Limits::max_event_size`](crate::Limits::max_event_size) bytes.
    #[error(
        "event data larger than {limit} bytes (Limits::max_event_size; \"Interpreting an event stream\", field data)"
    )]
    EventTooLarge {
        /// The configured limit.
        limit: usize,
    },
    /// Caller misuse: an event type with CR or LF would end the `event:`
    /// line and inject whatever follows as another field.
    #[error("event type contains CR or LF, which would inject a field (\"Authoring notes\")")]
    NewlineInEventType,
    /// Caller misuse: an id with CR or LF would inject a field.
    #[error("event id contains CR or LF, which would inject a field (\"Authoring notes\")")]
    NewlineInId,
    /// Caller misuse: an id with U+0000 is ignored by every parser
    /// ("Interpreting an event stream", field `id`).
    #[error(
        "event id contains U+0000 NULL, which parsers ignore (\"Interpreting an event stream\", field id)"
    )]
    NulInId,
    /// The response status is not 200 OK: the EventSource fails without
    /// reconnecting ("Processing model", "fail the connection").
    #[error("response status {0} is not 200 (\"9.2.3 Processing model\": fail the connection)")]
    BadStatus(u16),
    /// The response's Content-Type is not `text/event-stream`: the
    /// EventSource fails without reconnecting.
    #[error(
        "response Content-Type {0:?} is not text/event-stream (\"9.2.3 Processing model\": fail the connection)"
    )]
    BadContentType(String),
    /// Caller misuse of the [`EventSource`](crate::EventSource): a
    /// response when no connection attempt awaits one, or body bytes when
    /// no stream is open (for instance after `close()` or a failure). The
    /// string names what came unexpectedly; nothing changed, and the driver
    /// should drop that connection.
    #[error("the EventSource expects no {0} now")]
    UnexpectedInput(&'static str),
}

/// What the EventSource processing model ("9.2.3 Processing model") does
/// with a connection, from [`Error::connection_answer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConnectionAnswer {
    /// "Fail the connection": the ready state becomes `CLOSED` and the
    /// EventSource never connects again.
    Fail,
    /// "Reestablish the connection": the ready state becomes
    /// `CONNECTING`, and after the reconnection time the EventSource
    /// fetches again with `Last-Event-ID`.
    Reestablish,
}

impl Error {
    /// `true` when the peer (the server's response or its event stream)
    /// broke the rules; `false` when the caller misused the API (the
    /// serializer's checks, [`Error::UnexpectedInput`]).
    pub fn is_peer_fault(&self) -> bool {
        match self {
            Error::LineTooLong { .. }
            | Error::EventTooLarge { .. }
            | Error::BadStatus(_)
            | Error::BadContentType(_) => true,
            Error::NewlineInEventType
            | Error::NewlineInId
            | Error::NulInId
            | Error::UnexpectedInput(_) => false,
        }
    }

    /// The protocol's answer: what an EventSource does with the
    /// connection that gave this error ("9.2.3 Processing model").
    ///
    /// - [`Error::BadStatus`] (204 No Content included) and
    ///   [`Error::BadContentType`]: [`ConnectionAnswer::Fail`], as the
    ///   standard says.
    /// - [`Error::LineTooLong`] and [`Error::EventTooLarge`]:
    ///   [`ConnectionAnswer::Fail`]. The standard sets no limits; rtw
    ///   fails the connection rather than reconnecting to a server that
    ///   would most likely send the same stream again.
    /// - Caller misuse: `None`, the connection is not concerned
    ///   (the EventSource changed nothing).
    ///
    /// A lost connection is not an error but
    /// [`EventSource::handle_disconnect`](crate::EventSource::handle_disconnect),
    /// whose answer is [`ConnectionAnswer::Reestablish`] (reported in
    /// [`SourceEvent::Error`](crate::SourceEvent::Error)`::reconnect_in`).
    pub fn connection_answer(&self) -> Option<ConnectionAnswer> {
        self.is_peer_fault().then_some(ConnectionAnswer::Fail)
    }

    /// `true` when the EventSource reestablishes the connection after this
    /// error: [`Error::connection_answer`] is
    /// [`ConnectionAnswer::Reestablish`]. `false` for every error of this
    /// version, whose answer is to fail the connection (or none, for
    /// misuse).
    pub fn reconnects(&self) -> bool {
        self.connection_answer() == Some(ConnectionAnswer::Reestablish)
    }
}
