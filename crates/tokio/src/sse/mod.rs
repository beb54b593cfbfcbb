//! Server-Sent Events (HTML Living Standard, "Server-sent events") over
//! tokio, with [`rtw_sse`].
//!
//! Server side: [`EventStream`] turns a `Stream` of [`Message`]s into a
//! response body, both a `Stream` of `Result<Bytes, Infallible>` and an
//! [`http_body::Body`], with [`KeepAlive`] comments while it is idle.
//! [`EventStream::into_response`] adds the headers an event stream needs,
//! and [`last_event_id`] reads what a reconnecting client sent.
//!
//! Client side: [`EventSource`] drives the sans-IO [`rtw_sse::EventSource`]
//! (ready states, `Last-Event-ID`, the reconnection time that `retry`
//! fields set) over a [`Connector`] that opens each connection:
//! [`HyperConnector`] (hyper's HTTP/1.1 client, `http://` URLs; see
//! [`connect`]), or any closure that returns a status, a `Content-Type` and
//! a byte stream, through [`from_fn`].
//!
//! ```
//! # async fn demo() {
//! use std::convert::Infallible;
//! use futures_util::stream;
//! use http::{Request, Response};
//! use rtw_sse::Message;
//! use rtw_tokio::sse::{EventStream, KeepAlive, last_event_id};
//!
//! // A hyper (or axum) handler: resume after the client's last event id.
//! async fn events<B>(
//!     request: Request<B>,
//! ) -> Result<Response<EventStream<impl futures_core::Stream<Item = Message>>>, Infallible> {
//!     let next: u64 = last_event_id(request.headers())
//!         .and_then(|id| id.parse().ok())
//!         .map_or(1, |last: u64| last + 1);
//!     let messages = stream::iter(next..next + 3)
//!         .map(|n| Message::new(format!("tick {n}")).id(n.to_string()).unwrap());
//!     Ok(EventStream::new(messages).keep_alive(KeepAlive::new()).into_response())
//! }
//! # use futures_util::StreamExt;
//! let request = Request::builder().header("last-event-id", "41").body(()).unwrap();
//! let body = events(request).await.unwrap().into_body();
//! let wire: Vec<_> = body.map(Result::unwrap).collect().await;
//! assert_eq!(wire.concat(), b"data: tick 42\nid: 42\n\ndata: tick 43\nid: 43\n\ndata: tick 44\nid: 44\n\n");
//! # }
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(demo());
//! ```

mod body;
mod client;
mod connector;
mod source;

pub use body::{
    CONTENT_TYPE_EVENT_STREAM, EventStream, KeepAlive, event_stream_headers, last_event_id,
};
pub use client::{HyperBody, HyperConnector, HyperError, connect, connect_with};
pub use connector::{Connection, Connector, FnConnector, from_fn};
pub use rtw_sse::{
    Config, ConnectRequest, ConnectionAnswer, ErrorReason, Event, EventSourceConfig, Limits,
    Message, ReadyState, SourceEvent,
};
pub use source::EventSource;
