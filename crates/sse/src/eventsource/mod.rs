//! The EventSource, sans IO: the HTML Standard's "9.2.2 The EventSource
//! interface" and "9.2.3 Processing model" as a state machine that says
//! when to connect and how long to wait, with time passed in.

mod config;
mod mime;
mod types;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::BytesMut;

pub use config::EventSourceConfig;
pub use types::{Action, ConnectRequest, ErrorReason, ReadyState, SourceEvent};

use crate::{Decoder, Error, Item};

/// Where the EventSource is; finer than [`ReadyState`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// CONNECTING, and an [`Action::Connect`] is due.
    Due,
    /// CONNECTING, and the response to the handed-out Connect is awaited.
    Fetching,
    /// CONNECTING, waiting out the reconnection time until the instant; for
    /// ever when `None` (a `retry` so large that no `Instant` holds the
    /// end of the wait).
    Waiting(Option<Instant>),
    /// OPEN: the body is being interpreted.
    Open,
    /// CLOSED.
    Closed,
}

/// An EventSource as the HTML Standard's "9.2.3 Processing model"
/// describes it, without sockets, timers or a clock.
///
/// Its driver does the I/O and reports what happened; after each
/// `handle_*` call it drains [`EventSource::poll_event`] and
/// [`EventSource::poll_action`], and sleeps until
/// [`EventSource::poll_timeout`] at most:
///
/// - [`Action::Connect`]: send a GET with [`ConnectRequest::headers`]
///   (`Accept: text/event-stream`, and `Last-Event-ID` on a reconnection
///   after an event with an id, "9.2.4 The Last-Event-ID header"); report
///   the final response's head with [`EventSource::handle_response`], its
///   body with [`EventSource::handle_data`], and its end, or any network
///   error, with [`EventSource::handle_disconnect`].
/// - A status other than 200, or a `Content-Type` other than
///   `text/event-stream`, makes it "fail the connection": ready state
///   [`ReadyState::Closed`], an `error` event, and no reconnection. A 204
///   No Content is how a server says "stop reconnecting".
/// - A lost connection makes it "reestablish the connection": ready state
///   [`ReadyState::Connecting`], an `error` event, a wait of the
///   reconnection time (3 seconds until a `retry` field changes it), then
///   another [`Action::Connect`].
/// - [`EventSource::close`] ends everything, as `close()` does.
///
/// ```
/// use std::time::{Duration, Instant};
/// use bytes::BytesMut;
/// use rtw_sse::{Action, EventSource, ReadyState, SourceEvent};
///
/// let t0 = Instant::now(); // the driver's clock; the EventSource never reads one
/// let mut source = EventSource::default();
/// let Some(Action::Connect(request)) = source.poll_action() else { panic!() };
/// assert_eq!(request.last_event_id(), None);
///
/// // The driver sent the GET; the response head arrives.
/// source.handle_response(t0, 200, Some("text/event-stream; charset=utf-8"))?;
/// assert_eq!(source.poll_event(), Some(SourceEvent::Open));
/// source.handle_data(t0, &mut BytesMut::from("id: 7\ndata: hello\n\n"))?;
/// let Some(SourceEvent::Message(event)) = source.poll_event() else { panic!() };
/// assert_eq!((event.event_type(), event.data()), ("message", "hello"));
///
/// // The body ends: wait the reconnection time, then connect again.
/// source.handle_disconnect(t0);
/// assert_eq!(source.ready_state(), ReadyState::Connecting);
/// assert!(matches!(source.poll_event(), Some(SourceEvent::Error { .. })));
/// assert_eq!(source.poll_timeout(), Some(t0 + Duration::from_secs(3)));
/// assert_eq!(source.poll_action(), None);
/// source.handle_timeout(t0 + Duration::from_secs(3));
/// let Some(Action::Connect(request)) = source.poll_action() else { panic!() };
/// assert_eq!(request.last_event_id(), Some("7"));
///
/// // The server says "no more" with 204 No Content.
/// let t1 = t0 + Duration::from_secs(3);
/// let refused = source.handle_response(t1, 204, None).unwrap_err();
/// assert!(refused.is_peer_fault());
/// assert!(!refused.reconnects()); // the standard's "fail the connection"
/// assert_eq!(source.ready_state(), ReadyState::Closed);
/// # Ok::<(), rtw_sse::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct EventSource {
    decoder: Decoder,
    phase: Phase,
    /// The event source's reconnection time.
    reconnection_time: Duration,
    max_backoff: Option<Duration>,
    max_retries: Option<u32>,
    /// Reconnections scheduled since a response was last accepted.
    retries: u32,
    events: VecDeque<SourceEvent>,
}

impl Default for EventSource {
    fn default() -> Self {
        EventSource::new(EventSourceConfig::default())
    }
}

impl EventSource {
    /// A new EventSource, as the constructor leaves it: ready state
    /// [`ReadyState::Connecting`], an empty last event ID string, and a
    /// first [`Action::Connect`] due at once.
    pub fn new(config: EventSourceConfig) -> Self {
        EventSource {
            decoder: Decoder::with_config(config.decoder),
            phase: Phase::Due,
            reconnection_time: config.reconnection_time,
            max_backoff: config.max_backoff,
            max_retries: config.max_retries,
            retries: 0,
            events: VecDeque::new(),
        }
    }

    /// The `readyState` ("9.2.2 The EventSource interface").
    ///
    /// Changes after [`EventSource::handle_response`] (to open, or closed
    /// when the response is refused), [`EventSource::handle_data`] (closed
    /// when the stream breaks a limit), [`EventSource::handle_disconnect`]
    /// (connecting, or closed when
    /// [`EventSourceConfig::max_retries`] ran out) and
    /// [`EventSource::close`].
    pub fn ready_state(&self) -> ReadyState {
        match self.phase {
            Phase::Due | Phase::Fetching | Phase::Waiting(_) => ReadyState::Connecting,
            Phase::Open => ReadyState::Open,
            Phase::Closed => ReadyState::Closed,
        }
    }

    /// The reconnection time: [`EventSourceConfig::reconnection_time`]
    /// until a `retry` field in the stream sets it ("Interpreting an event
    /// stream"). Changes only in [`EventSource::handle_data`].
    pub fn reconnection_time(&self) -> Duration {
        self.reconnection_time
    }

    /// The last event ID string: the id of the last dispatched event (or
    /// of the last blank line that dispatched nothing), kept across
    /// reconnections and sent as `Last-Event-ID` ("9.2.4 The Last-Event-ID
    /// header").
    pub fn last_event_id(&self) -> &str {
        self.decoder.last_event_id()
    }

    /// The next thing the driver must do, or `None` when there is nothing
    /// to do now. Each [`Action::Connect`] is handed out once.
    ///
    /// Becomes `Some` after [`EventSource::new`] (the constructor fetches at
    /// once) and after the [`EventSource::handle_timeout`] that ends a
    /// reconnection wait; `None` for good after [`EventSource::close`] or
    /// a failure.
    #[must_use]
    pub fn poll_action(&mut self) -> Option<Action> {
        if self.phase != Phase::Due {
            return None;
        }
        self.phase = Phase::Fetching;
        let id = self.decoder.last_event_id();
        Some(Action::Connect(ConnectRequest {
            last_event_id: (!id.is_empty()).then(|| id.to_owned()),
        }))
    }

    /// When the reconnection wait ends: call
    /// [`EventSource::handle_timeout`] then. `None` when no wait is under
    /// way (or when a `retry` field asked for a wait too long for an
    /// `Instant` to hold, which never ends).
    ///
    /// Changes after [`EventSource::handle_disconnect`] (a wait starts),
    /// [`EventSource::handle_timeout`] (it ends) and
    /// [`EventSource::close`].
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.phase {
            Phase::Waiting(until) => until,
            _ => None,
        }
    }

    /// Time has passed: once `now` reaches [`EventSource::poll_timeout`]
    /// the reconnection wait is over and an [`Action::Connect`] is due
    /// ("reestablish the connection": wait a delay equal to the
    /// reconnection time, then fetch again). Earlier calls change nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        if let Phase::Waiting(Some(until)) = self.phase {
            if now >= until {
                self.phase = Phase::Due;
            }
        }
    }

    /// The head of the final response (after redirects) to the last
    /// [`Action::Connect`] arrived ("9.2.3 Processing model"):
    ///
    /// - status 200 and a `Content-Type` whose MIME type's essence is
    ///   `text/event-stream` (any case, any parameters): "announce the
    ///   connection": ready state [`ReadyState::Open`] and
    ///   [`SourceEvent::Open`]; feed the body to
    ///   [`EventSource::handle_data`], starting with an empty buffer;
    /// - anything else, 204 No Content included: "fail the connection":
    ///   ready state [`ReadyState::Closed`], a [`SourceEvent::Error`]
    ///   without reconnection, and [`Error::BadStatus`] or
    ///   [`Error::BadContentType`] (holding the value given, empty when
    ///   `None`) returned.
    ///
    /// `content_type` is the `Content-Type` field value; when the response
    /// has several such lines, join them with `, ` as Fetch does: the last
    /// one that parses as a MIME type counts.
    ///
    /// An `Err` always means: drop this connection. Without an outstanding
    /// Connect (after [`EventSource::close`], or a response given twice)
    /// nothing changes and [`Error::UnexpectedInput`] is returned.
    ///
    /// `now` is when the head arrived. Nothing in the processing model
    /// depends on it yet; it is taken, first like in every `handle_*`
    /// method of the workspace, so that a later timer is not a breaking
    /// change.
    pub fn handle_response(
        &mut self,
        now: Instant,
        status: u16,
        content_type: Option<&str>,
    ) -> Result<(), Error> {
        let _ = now;
        if self.phase != Phase::Fetching {
            return Err(Error::UnexpectedInput("response"));
        }
        let refused = if status != 200 {
            Some(Error::BadStatus(status))
        } else if !content_type.is_some_and(mime::is_event_stream) {
            Some(Error::BadContentType(
                content_type.unwrap_or_default().to_owned(),
            ))
        } else {
            None
        };
        if let Some(error) = refused {
            self.fail(ErrorReason::Rejected(error.clone()));
            return Err(error);
        }
        self.decoder.reset_stream();
        self.retries = 0;
        self.phase = Phase::Open;
        self.events.push_back(SourceEvent::Open);
        Ok(())
    }

    /// Body bytes of the open stream: every complete line of `src` is
    /// interpreted and consumed; a partial line stays in `src` for the next
    /// call (keep one buffer per connection).
    ///
    /// Dispatched events queue [`SourceEvent::Message`]; a `retry` field
    /// sets the reconnection time. A line or event past the decoder's
    /// [`Limits`](crate::Limits) makes it "fail the connection": ready
    /// state [`ReadyState::Closed`], a [`SourceEvent::Error`], and the
    /// limit's error returned. Events dispatched before that stay queued
    /// ahead of the error.
    ///
    /// An `Err` always means: drop this connection. When no stream is open
    /// (before [`EventSource::handle_response`] accepted one, after a
    /// disconnect, a failure or [`EventSource::close`]) nothing is consumed
    /// and [`Error::UnexpectedInput`] is returned.
    ///
    /// `now` is when the bytes arrived; like in
    /// [`EventSource::handle_response`], nothing depends on it yet.
    pub fn handle_data(&mut self, now: Instant, src: &mut BytesMut) -> Result<(), Error> {
        let _ = now;
        if self.phase != Phase::Open {
            return Err(Error::UnexpectedInput("body data"));
        }
        loop {
            match self.decoder.decode(src) {
                Ok(Some(Item::Event(event))) => self.events.push_back(SourceEvent::Message(event)),
                Ok(Some(Item::Retry(ms))) => self.reconnection_time = Duration::from_millis(ms),
                Ok(Some(Item::Comment(text))) => self.events.push_back(SourceEvent::Comment(text)),
                Ok(None) => return Ok(()),
                Err(error) => {
                    self.fail(ErrorReason::Rejected(error.clone()));
                    return Err(error);
                }
            }
        }
    }

    /// The connection ended at `now`: the body ended (cleanly or not), or
    /// a network error came before or during the response. While
    /// connecting or open, the EventSource will "reestablish the
    /// connection": an event cut short is discarded ("9.2.3 Processing
    /// model"), the ready state becomes [`ReadyState::Connecting`], a
    /// [`SourceEvent::Error`] says how long the wait is, and an
    /// [`Action::Connect`] carrying the last event ID follows once
    /// [`EventSource::handle_timeout`] reaches `now` plus that wait.
    ///
    /// The wait is the reconnection time, stretched by
    /// [`EventSourceConfig::max_backoff`] if set; when
    /// [`EventSourceConfig::max_retries`] reconnections in a row have
    /// failed, the connection fails instead (ready state
    /// [`ReadyState::Closed`]).
    ///
    /// In any other state (no connection, already waiting, closed) this
    /// changes nothing.
    pub fn handle_disconnect(&mut self, now: Instant) {
        if !matches!(self.phase, Phase::Fetching | Phase::Open) {
            return;
        }
        self.decoder.reset_stream();
        if self.max_retries.is_some_and(|max| self.retries >= max) {
            self.fail(ErrorReason::Disconnected);
            return;
        }
        let delay = self.next_delay();
        self.retries = self.retries.saturating_add(1);
        self.phase = Phase::Waiting(now.checked_add(delay));
        self.events.push_back(SourceEvent::Error {
            reason: ErrorReason::Disconnected,
            reconnect_in: Some(delay),
        });
    }

    /// `close()`: ready state [`ReadyState::Closed`], no more actions,
    /// timeouts or reconnections, and queued events that were not polled
    /// yet are dropped (the standard's queued tasks do nothing once the
    /// ready state is closed). The driver drops any connection it holds.
    pub fn close(&mut self) {
        self.phase = Phase::Closed;
        self.events.clear();
    }

    /// The next event to fire, in order, or `None` when none is queued.
    ///
    /// Changes after [`EventSource::handle_response`] ([`SourceEvent::Open`]
    /// or [`SourceEvent::Error`]), [`EventSource::handle_data`]
    /// ([`SourceEvent::Message`], [`SourceEvent::Comment`],
    /// [`SourceEvent::Error`]), [`EventSource::handle_disconnect`]
    /// ([`SourceEvent::Error`]) and [`EventSource::close`] (which empties
    /// the queue).
    #[must_use]
    pub fn poll_event(&mut self) -> Option<SourceEvent> {
        self.events.pop_front()
    }

    /// "Fail the connection".
    fn fail(&mut self, reason: ErrorReason) {
        self.phase = Phase::Closed;
        self.events.push_back(SourceEvent::Error {
            reason,
            reconnect_in: None,
        });
    }

    /// The wait before the next reconnection: the reconnection time,
    /// doubled for each reconnection in a row that failed when
    /// [`EventSourceConfig::max_backoff`] is set.
    fn next_delay(&self) -> Duration {
        let base = self.reconnection_time;
        match self.max_backoff {
            None => base,
            Some(cap) => {
                let factor = 1u32.checked_shl(self.retries).unwrap_or(u32::MAX);
                base.saturating_mul(factor).min(cap.max(base))
            }
        }
    }
}

#[cfg(test)]
mod tests;
