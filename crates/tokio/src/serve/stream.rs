//! HTTP streaming, `GET /topics/{topic}/stream?since=N`: one JSON line
//! per message, and the subscription stream every streaming transport
//! reads.

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use futures_core::Stream;
use futures_util::StreamExt;
use futures_util::stream;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use http::{HeaderValue, Response};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use rtw_hub::{Message, MessageId, Since};
use tokio::time::Instant;

use super::metrics::Label;
use super::query::Query;
use super::reply::{self, ServeBody};
use super::service::{Inner, Permit};
use super::{Delivery, HubSubscriber};
use crate::drain::Drain;

/// What a streaming transport writes, in order.
pub(crate) enum Item {
    /// First, when `since` was older than the history: the range missed.
    Missed((MessageId, MessageId)),
    /// A message.
    Message(Message),
}

/// A subscription from `since` (`Since::Now` without one) holding one
/// stream permit: the subscriber, or the answer (503, 400) to give.
pub(crate) fn open(
    inner: &Inner,
    topic: &str,
    since: Option<MessageId>,
) -> Result<(HubSubscriber, Permit), Box<Response<ServeBody>>> {
    let Some(permit) = inner.streams.acquire() else {
        return Err(Box::new(reply::busy("too many streams open; retry")));
    };
    let since = since.map_or(Since::Now, Since::After);
    match inner.hub.subscribe(topic, since) {
        Ok(sub) => Ok((sub, permit)),
        Err(e) => Err(Box::new(reply::hub_error(&e))),
    }
}

/// The items of `sub`: the missed range if any, then each message; it
/// ends when the hub evicts the subscriber, and when the server drains
/// ([`ServeConfig::drain`](super::ServeConfig::drain)) once the messages
/// the hub had already queued for it are out (so that what a publisher
/// was acknowledged reaches every subscriber that was connected). Holds
/// `permit` until dropped. Each message and the eviction are counted in
/// the service's metrics under `label`.
pub(crate) fn items(
    sub: HubSubscriber,
    permit: Permit,
    inner: &Inner,
    label: Label,
) -> impl Stream<Item = Item> + Send + use<> {
    let missed = sub.missed().map(Item::Missed);
    let drain = (inner.config.drain.clone(), inner.publishing.clone());
    let state = (sub, permit, inner.metrics.clone(), drain);
    let messages = stream::unfold(state, move |(mut sub, permit, metrics, drain)| async move {
        let delivery = tokio::select! {
            // Queued messages first, also once the drain has started.
            biased;
            delivery = sub.next() => delivery,
            () = drain.0.draining() => {
                // Once every publish let in has reached the hub, what is
                // left is all there is.
                drain.1.settled().await;
                sub.try_next()?
            }
        };
        match delivery {
            Delivery::Message(message) => {
                metrics.delivered(label, 1, 0);
                Some((Item::Message(message), (sub, permit, metrics, drain)))
            }
            Delivery::Evicted { .. } => {
                metrics.evicted(label);
                tracing::debug!(transport = label.name(), "subscriber evicted");
                None
            }
        }
    });
    stream::iter(missed).chain(messages)
}

/// `items` until `max_age` from now (all of them without one): what
/// [`Limits::max_stream_age`](super::Limits::max_stream_age) does to a
/// stream, iframe or SSE body.
pub(crate) fn until_age<S: Stream>(
    items: S,
    max_age: Option<Duration>,
) -> impl Stream<Item = S::Item> {
    let deadline = max_age.map(|age| Instant::now() + age);
    items.take_until(expired(deadline))
}

/// `items` until the server drains
/// ([`ServeConfig::drain`](super::ServeConfig::drain)): the M-JPEG body
/// then ends (with the last chunk, RFC 9112 §7.1).
pub(crate) fn until_drained<S: Stream>(
    items: S,
    drain: &Drain,
) -> impl Stream<Item = S::Item> + use<S> {
    items.take_until(drain.draining())
}

/// Done at `deadline`; never without one.
pub(crate) async fn expired(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// A body writing each item of `chunks` as one data frame: over HTTP/1.1
/// hyper sends each as one chunk (RFC 9112 §7.1); to an HTTP/1.0 request,
/// which has no chunked coding, hyper sends them as they come without
/// `Content-Length` and ends the body by closing the connection (RFC 1945
/// §7.2.2).
pub(crate) fn body(chunks: impl Stream<Item = Bytes> + Send + 'static) -> ServeBody {
    StreamBody::new(chunks.map(|b| Ok::<_, Infallible>(Frame::data(b)))).boxed_unsync()
}

/// `{"id":N,"data":"..."}\n` per message (after `{"missed":[A,B]}\n` for
/// a resume older than the history), `application/x-ndjson`; the body
/// ends at `max_stream_age`.
pub(crate) fn stream(inner: &Inner, topic: &str, query: &Query) -> Response<ServeBody> {
    let (sub, permit) = match open(inner, topic, query.since) {
        Ok(opened) => opened,
        Err(response) => return *response,
    };
    let label = Label::Transport(super::Transport::Stream);
    let items = items(sub, permit, inner, label);
    let lines = until_age(items, inner.config.limits.max_stream_age).map(|item| {
        let mut line = match item {
            Item::Missed(range) => reply::missed_json(range),
            Item::Message(message) => reply::message_json(&message),
        };
        line.push('\n');
        Bytes::from(line)
    });
    let mut response = Response::new(body(lines));
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}
