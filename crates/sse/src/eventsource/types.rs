//! What the EventSource tells its driver: states, actions and events.

use std::time::Duration;

use crate::{Error, Event};

/// The `readyState` of an EventSource ("9.2.2 The EventSource interface").
///
/// The discriminants are the IDL constants: `CONNECTING` (0), `OPEN` (1)
/// and `CLOSED` (2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReadyState {
    /// `CONNECTING`: a connection attempt is due, under way, or waiting
    /// out the reconnection time.
    Connecting = 0,
    /// `OPEN`: a response was accepted and its body is being interpreted.
    Open = 1,
    /// `CLOSED`: the connection failed or [`close`] was called; nothing
    /// more will happen.
    ///
    /// [`close`]: crate::EventSource::close
    Closed = 2,
}

/// Something the driver must do, from
/// [`EventSource::poll_action`](crate::EventSource::poll_action).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Action {
    /// Fetch the event source's URL: send a GET with the
    /// [`ConnectRequest::headers`], follow redirects, and when the final
    /// response's head arrives report it with
    /// [`EventSource::handle_response`](crate::EventSource::handle_response);
    /// a network error before that is
    /// [`EventSource::handle_disconnect`](crate::EventSource::handle_disconnect).
    Connect(ConnectRequest),
}

/// The request of one connection attempt ("9.2.2 The EventSource
/// interface": the request the constructor makes; "9.2.3 Processing
/// model", "reestablish the connection": the same request with
/// `Last-Event-ID`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ConnectRequest {
    pub(super) last_event_id: Option<String>,
}

impl ConnectRequest {
    /// The value of the `Last-Event-ID` header to send, or `None` when the
    /// last event ID string is empty ("9.2.4 The Last-Event-ID header": it
    /// is only sent when not empty). It never holds CR, LF or NUL (the
    /// parser ignores such ids) but may hold other text: send its UTF-8
    /// bytes as they are.
    pub fn last_event_id(&self) -> Option<&str> {
        self.last_event_id.as_deref()
    }

    /// The request headers of the GET, name and value:
    ///
    /// - `Accept: text/event-stream` (set by the EventSource constructor);
    /// - `Cache-Control: no-cache` and `Pragma: no-cache`: the constructor
    ///   sets the request's cache mode to "no-store", and this is what
    ///   Fetch puts on the wire for that mode;
    /// - `Last-Event-ID` when [`ConnectRequest::last_event_id`] is set.
    ///
    /// ```
    /// use rtw_sse::{Action, EventSource};
    ///
    /// let mut source = EventSource::default();
    /// let Some(Action::Connect(request)) = source.poll_action() else { panic!() };
    /// let headers: Vec<_> = request.headers().collect();
    /// assert_eq!(headers, [
    ///     ("Accept", "text/event-stream"),
    ///     ("Cache-Control", "no-cache"),
    ///     ("Pragma", "no-cache"),
    /// ]);
    /// ```
    pub fn headers(&self) -> impl Iterator<Item = (&'static str, &str)> + '_ {
        [
            ("Accept", "text/event-stream"),
            ("Cache-Control", "no-cache"),
            ("Pragma", "no-cache"),
        ]
        .into_iter()
        .chain(self.last_event_id().map(|id| ("Last-Event-ID", id)))
    }
}

/// What the EventSource fires, from
/// [`EventSource::poll_event`](crate::EventSource::poll_event), in the
/// order the standard queues its tasks.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SourceEvent {
    /// `open` ("9.2.3 Processing model", "announce the connection"): a
    /// response was accepted and the ready state became
    /// [`ReadyState::Open`].
    Open,
    /// A dispatched event ("Interpreting an event stream"): a
    /// `MessageEvent` whose type is [`Event::event_type`] (`message` unless
    /// an `event` field named it).
    Message(Event),
    /// A comment line, only with
    /// [`Config::comments`](crate::Config::comments) in
    /// [`EventSourceConfig::decoder`](crate::EventSourceConfig::decoder).
    /// The standard fires nothing for comments; they are often keep-alives.
    Comment(String),
    /// `error`: the connection was lost or refused.
    Error {
        /// Why.
        reason: ErrorReason,
        /// `Some(delay)` when the EventSource will "reestablish the
        /// connection": the ready state is [`ReadyState::Connecting`] and
        /// an [`Action::Connect`] comes after `delay`. `None` when it
        /// failed the connection ("fail the connection"): the ready state
        /// is [`ReadyState::Closed`] and it never reconnects.
        reconnect_in: Option<Duration>,
    },
}

/// Why a [`SourceEvent::Error`] was fired.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorReason {
    /// The body ended or the network failed
    /// ([`EventSource::handle_disconnect`](crate::EventSource::handle_disconnect)).
    /// The EventSource reconnects, unless
    /// [`EventSourceConfig::max_retries`](crate::EventSourceConfig::max_retries)
    /// ran out.
    Disconnected,
    /// The response or its body was refused, and the connection failed:
    /// [`Error::BadStatus`] (including 204 No Content, the standard's way
    /// for a server to stop reconnection), [`Error::BadContentType`], or a
    /// decoder limit ([`Error::LineTooLong`], [`Error::EventTooLarge`]).
    Rejected(Error),
}
