//! Server-Sent Events, `GET /topics/{topic}/events` (WHATWG HTML,
//! "Server-sent events"), through [`crate::sse::EventStream`].

use bytes::Bytes;
use futures_util::{StreamExt, stream};
use http::{HeaderMap, Response, StatusCode};
use http_body_util::BodyExt;
use rtw_hub::MessageId;
use rtw_sse::Message;

use super::query::Query;
use super::reply::{self, ServeBody};
use super::service::Inner;
use super::stream::{Item, items, open, until_age};
use crate::sse::{EventStream, KeepAlive, last_event_id};

/// An event stream from `Last-Event-ID` (what a reconnecting EventSource
/// sends), else `?since=`, else live: each message one event with `data:`
/// the message's text and `id:` its id; a resume older than the history
/// first gets an event of type `missed` with data `{"missed":[A,B]}`
/// (`addEventListener("missed", ..)`; `onmessage` does not see it). A
/// comment every `sse_keep_alive` while idle. The stream ends when the hub
/// evicts the subscriber, and at `max_stream_age`; the EventSource
/// reconnects with its `Last-Event-ID` (to the same URL: the header wins
/// over a `?since=` still in it). With `max_stream_age` set the body
/// starts with `retry: 500` (a field block without data, which dispatches
/// no event), so that the reconnection comes after [`RETRY_MS`] rather
/// than the browser's default of seconds. 400 for a `Last-Event-ID` that
/// is not a number.
/// The reconnection time, milliseconds, that an SSE response asks for
/// when the server will end it (`max_stream_age`).
pub(crate) const RETRY_MS: u64 = 500;

pub(crate) fn events(
    inner: &Inner,
    topic: &str,
    query: &Query,
    headers: &HeaderMap,
) -> Response<ServeBody> {
    let since = match last_event_id(headers).filter(|id| !id.is_empty()) {
        Some(id) => match id.trim().parse::<u64>() {
            Ok(n) => Some(MessageId(n)),
            Err(_) => {
                return reply::text(
                    StatusCode::BAD_REQUEST,
                    format_args!("bad Last-Event-ID {id:?}: a message id"),
                );
            }
        },
        None => query.since,
    };
    let (sub, permit) = match open(inner, topic, since) {
        Ok(opened) => opened,
        Err(response) => return *response,
    };
    let max_age = inner.config.limits.max_stream_age;
    let label = super::metrics::Label::Transport(super::Transport::Sse);
    let events = until_age(items(sub, permit, inner, label), max_age).map(|item| match item {
        Item::Missed(range) => Message::new(reply::missed_json(range))
            .event("missed")
            .expect("a valid event name"),
        Item::Message(message) => Message::new(reply::data_text(&message))
            .id(message.id.to_string())
            .expect("digits are a valid id"),
    });
    let (parts, body) = EventStream::new(events)
        .keep_alive(KeepAlive::new().interval(inner.config.limits.sse_keep_alive))
        .into_response()
        .into_parts();
    if max_age.is_none() {
        return Response::from_parts(parts, body.boxed_unsync());
    }
    let retry = Bytes::from(format!("retry: {RETRY_MS}\n\n"));
    let chunks = stream::once(async move { retry }).chain(body.map(|chunk| match chunk {
        Ok(bytes) => bytes,
        Err(never) => match never {},
    }));
    Response::from_parts(parts, super::stream::body(chunks))
}
