//! How the [`EventSource`](super::EventSource) driver opens connections:
//! the [`Connector`] trait, and [`from_fn`] for a closure.

use std::error::Error;
use std::fmt;
use std::future::Future;

use bytes::Bytes;
use futures_core::Stream;
use rtw_sse::ConnectRequest;

/// An accepted connection attempt's response: the head the EventSource
/// judges, and the body it interprets.
#[derive(Debug)]
pub struct Connection<B> {
    /// The status code of the final response (after any redirects the
    /// connector followed).
    pub status: u16,
    /// The `Content-Type` field value, `None` without one; several field
    /// lines joined with `, `.
    pub content_type: Option<String>,
    /// The response body as it arrives; an `Err` item or the end of the
    /// stream is a disconnect.
    pub body: B,
}

/// Opens the connections an [`EventSource`](super::EventSource) asks for.
///
/// The connector knows where the event source is (its URL, its transport,
/// TLS, proxies, credentials); the EventSource says when to connect and
/// with which headers. [`HyperConnector`](super::HyperConnector) does this
/// for `http://` URLs; [`from_fn`] turns a closure into one, which is how a
/// test or an unusual transport supplies any byte stream.
pub trait Connector {
    /// The response body: chunks of bytes as they arrive.
    type Body: Stream<Item = Result<Bytes, Self::Error>>;
    /// What connecting or reading the body fails with. A failure is a
    /// disconnect: the EventSource reconnects after its reconnection time
    /// (see [`EventSource::transport_error`](super::EventSource::transport_error)).
    type Error: Error + Send + Sync + 'static;

    /// Send a GET with `request`'s [`headers`](ConnectRequest::headers)
    /// (they include `Last-Event-ID` when it is set) and return the
    /// response head and body once the head has arrived.
    fn connect(
        &mut self,
        request: ConnectRequest,
    ) -> impl Future<Output = Result<Connection<Self::Body>, Self::Error>> + Send;
}

/// A [`Connector`] made from a closure, by [`from_fn`].
#[derive(Clone)]
pub struct FnConnector<F>(F);

impl<F> fmt::Debug for FnConnector<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FnConnector")
    }
}

/// A [`Connector`] that calls `connect` for each connection attempt.
///
/// ```
/// # async fn demo() {
/// use std::convert::Infallible;
/// use bytes::Bytes;
/// use futures_util::stream;
/// use rtw_tokio::sse::{Connection, EventSource, SourceEvent, from_fn};
///
/// // Any byte stream will do: here, a canned response.
/// let connector = from_fn(|request: rtw_sse::ConnectRequest| async move {
///     assert_eq!(request.last_event_id(), None);
///     let chunks = ["data: hel", "lo\n\n"].map(|c| Ok::<_, Infallible>(Bytes::from(c)));
///     Ok::<_, Infallible>(Connection {
///         status: 200,
///         content_type: Some("text/event-stream".into()),
///         body: stream::iter(chunks),
///     })
/// });
/// let mut source = EventSource::new(connector);
/// assert_eq!(source.next().await, Some(SourceEvent::Open));
/// let Some(SourceEvent::Message(event)) = source.next().await else { panic!() };
/// assert_eq!(event.data(), "hello");
/// # }
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(demo());
/// ```
pub fn from_fn<F, Fut, B, E>(connect: F) -> FnConnector<F>
where
    F: FnMut(ConnectRequest) -> Fut,
    Fut: Future<Output = Result<Connection<B>, E>> + Send,
    B: Stream<Item = Result<Bytes, E>>,
    E: Error + Send + Sync + 'static,
{
    FnConnector(connect)
}

impl<F, Fut, B, E> Connector for FnConnector<F>
where
    F: FnMut(ConnectRequest) -> Fut,
    Fut: Future<Output = Result<Connection<B>, E>> + Send,
    B: Stream<Item = Result<Bytes, E>>,
    E: Error + Send + Sync + 'static,
{
    type Body = B;
    type Error = E;

    fn connect(
        &mut self,
        request: ConnectRequest,
    ) -> impl Future<Output = Result<Connection<B>, E>> + Send {
        (self.0)(request)
    }
}
