//! Server-Sent Events, `GET /topics/{topic}/events` (WHATWG HTML,
//! "Server-sent events"), through [`crate::sse::EventStream`].

use futures_util::StreamExt;
use http::{HeaderMap, Response, StatusCode};
use http_body_util::BodyExt;
use rtw_hub::MessageId;
use rtw_sse::Message;

use super::query::Query;
use super::reply::{self, ServeBody};
use super::service::Inner;
use super::stream::{Item, items, open};
use crate::sse::{EventStream, KeepAlive, last_event_id};

/// An event stream from `Last-Event-ID` (what a reconnecting EventSource
/// sends), else `?since=`, else live: each message one event with `data:`
/// the message's text and `id:` its id; a resume older than the history
/// first gets an event of type `missed` with data `{"missed":[A,B]}`
/// (`addEventListener("missed", ..)`; `onmessage` does not see it). A
/// comment every `sse_keep_alive` while idle. The stream ends when the hub
/// evicts the subscriber; the EventSource reconnects with its
/// `Last-Event-ID`. 400 for a `Last-Event-ID` that is not a number.
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
    let events = items(sub, permit).map(|item| match item {
        Item::Missed(range) => Message::new(reply::missed_json(range))
            .event("missed")
            .expect("a valid event name"),
        Item::Message(message) => Message::new(reply::data_text(&message))
            .id(message.id.to_string())
            .expect("digits are a valid id"),
    });
    EventStream::new(events)
        .keep_alive(KeepAlive::new().interval(inner.config.limits.sse_keep_alive))
        .into_response()
        .map(BodyExt::boxed_unsync)
}
