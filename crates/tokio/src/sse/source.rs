//! The client side: [`rtw_sse::EventSource`] driven over a [`Connector`].

use std::fmt;
use std::pin::Pin;
use std::time::Duration;

use bytes::BytesMut;
use futures_core::Stream;
use rtw_sse::{Action, EventSourceConfig, ReadyState, SourceEvent};
use tokio::time::Instant;

use super::connector::Connector;

/// An EventSource (HTML Living Standard, "The EventSource interface") over
/// a [`Connector`]: it connects, interprets the stream, and reconnects after
/// each disconnect, waiting the reconnection time (which `retry` fields
/// set) and sending `Last-Event-ID`, as [`rtw_sse::EventSource`] decides.
///
/// [`EventSource::next`] gives what a browser's EventSource fires, in
/// order: [`SourceEvent::Open`] for each accepted response,
/// [`SourceEvent::Message`] for each event, [`SourceEvent::Error`] for each
/// disconnect (with the wait before the next attempt) or for the failure
/// that ends it all (a status other than 200 — a server stops its clients
/// with 204 No Content —, a `Content-Type` other than `text/event-stream`,
/// or a stream past the decoder's [`Limits`](crate::sse::Limits)). After a failure or
/// [`EventSource::close`] it gives `None`.
///
/// Timers are tokio's: run it inside a runtime with the time driver.
///
/// ```no_run
/// # async fn demo() -> Result<(), rtw_tokio::sse::HyperError> {
/// use rtw_tokio::sse::{SourceEvent, connect};
///
/// let mut source = connect("http://127.0.0.1:8080/events")?;
/// while let Some(event) = source.next().await {
///     match event {
///         SourceEvent::Message(m) => println!("{} {:?} (id {})", m.event_type(), m.data(), m.last_event_id()),
///         SourceEvent::Error { reconnect_in: Some(wait), .. } => eprintln!("reconnecting in {wait:?}"),
///         other => eprintln!("{other:?}"),
///     }
/// }
/// # Ok(())
/// # }
/// ```
pub struct EventSource<C: Connector> {
    machine: rtw_sse::EventSource,
    connector: C,
    body: Option<Pin<Box<C::Body>>>,
    buf: BytesMut,
    /// A connection attempt was under way when a `next` future was
    /// dropped.
    connecting: bool,
    transport_error: Option<C::Error>,
}

impl<C: Connector> fmt::Debug for EventSource<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventSource")
            .field("machine", &self.machine)
            .field("connected", &self.body.is_some())
            .finish_non_exhaustive()
    }
}

impl<C: Connector> EventSource<C> {
    /// An EventSource with the standard's behaviour
    /// ([`EventSourceConfig::default`]: 3 seconds' reconnection time,
    /// reconnecting for ever). It connects at the first [`EventSource::next`].
    pub fn new(connector: C) -> Self {
        EventSource::with_config(connector, EventSourceConfig::default())
    }

    /// An EventSource with `config` (initial reconnection time, backoff,
    /// retry limit, and [`EventSourceConfig::decoder`] with the decoder's
    /// limits).
    pub fn with_config(connector: C, config: EventSourceConfig) -> Self {
        EventSource {
            machine: rtw_sse::EventSource::new(config),
            connector,
            body: None,
            buf: BytesMut::new(),
            connecting: false,
            transport_error: None,
        }
    }

    /// The `readyState`.
    pub fn ready_state(&self) -> ReadyState {
        self.machine.ready_state()
    }

    /// The last event ID string, sent as `Last-Event-ID` when reconnecting.
    pub fn last_event_id(&self) -> &str {
        self.machine.last_event_id()
    }

    /// The reconnection time, as the last `retry` field set it.
    pub fn reconnection_time(&self) -> Duration {
        self.machine.reconnection_time()
    }

    /// The transport error behind the latest disconnect, if it was one
    /// (a connection refused, a body cut short); `None` when the body
    /// simply ended.
    pub fn transport_error(&self) -> Option<&C::Error> {
        self.transport_error.as_ref()
    }

    /// The state machine, to inspect.
    pub fn machine(&self) -> &rtw_sse::EventSource {
        &self.machine
    }

    /// The connector.
    pub fn connector_mut(&mut self) -> &mut C {
        &mut self.connector
    }

    /// `close()`: drop the connection; no more reconnections, and
    /// [`EventSource::next`] gives `None`.
    pub fn close(&mut self) {
        self.machine.close();
        self.body = None;
        self.buf = BytesMut::new();
    }

    /// The next event, connecting, reading and waiting as needed; `None`
    /// once the EventSource is closed.
    ///
    /// Cancel-safe: when the future is dropped while the body is being
    /// read or a reconnection wait is under way, nothing is lost; when it
    /// is dropped during a connection attempt, that attempt counts as a
    /// disconnect (the next call reports it and waits to reconnect).
    pub async fn next(&mut self) -> Option<SourceEvent> {
        if self.connecting {
            self.connecting = false;
            self.machine.handle_disconnect(now());
        }
        loop {
            if let Some(event) = self.machine.poll_event() {
                return Some(event);
            }
            if self.machine.ready_state() == ReadyState::Closed {
                self.body = None;
                return None;
            }
            if let Some(Action::Connect(request)) = self.machine.poll_action() {
                self.connect(request).await;
            } else if let Some(body) = &mut self.body {
                match std::future::poll_fn(|cx| body.as_mut().poll_next(cx)).await {
                    Some(Ok(chunk)) => {
                        if self.buf.is_empty() {
                            self.buf = BytesMut::from(chunk);
                        } else {
                            self.buf.extend_from_slice(&chunk);
                        }
                        if self.machine.handle_data(now(), &mut self.buf).is_err() {
                            // The connection failed; the error is queued.
                            self.body = None;
                        }
                    }
                    Some(Err(e)) => self.disconnected(Some(e)),
                    None => self.disconnected(None),
                }
            } else if let Some(deadline) = self.machine.poll_timeout() {
                tokio::time::sleep_until(Instant::from_std(deadline)).await;
                self.machine.handle_timeout(now());
            } else {
                // A `retry` too long for any clock: the wait never ends.
                std::future::pending::<()>().await;
            }
        }
    }

    /// This EventSource as a `Stream` of its events, which ends when
    /// [`EventSource::next`] gives `None`.
    pub fn into_stream(self) -> impl Stream<Item = SourceEvent> {
        futures_util::stream::unfold(self, |mut source| async move {
            let event = source.next().await?;
            Some((event, source))
        })
    }

    async fn connect(&mut self, request: rtw_sse::ConnectRequest) {
        self.connecting = true;
        let connected = self.connector.connect(request).await;
        self.connecting = false;
        match connected {
            Ok(connection) => {
                let accepted = self.machine.handle_response(
                    now(),
                    connection.status,
                    connection.content_type.as_deref(),
                );
                if accepted.is_ok() {
                    self.body = Some(Box::pin(connection.body));
                    self.buf.clear();
                }
            }
            Err(e) => {
                self.transport_error = Some(e);
                self.machine.handle_disconnect(now());
            }
        }
    }

    fn disconnected(&mut self, error: Option<C::Error>) {
        self.body = None;
        self.buf.clear();
        self.transport_error = error;
        self.machine.handle_disconnect(now());
    }
}

/// The std instant of tokio's clock (which tests can pause).
fn now() -> std::time::Instant {
    Instant::now().into_std()
}
