//! Short polling (`GET /topics/{topic}/poll?since=N`) and long polling
//! (`GET /topics/{topic}/longpoll?since=N&timeout=S`).

use http::Response;
use rtw_hub::{Message, MessageId, Since};

use super::query::Query;
use super::reply::{self, ServeBody};
use super::service::Inner;
use super::{Delivery, Transport};

/// The kept messages after `since` (0 if absent) at once, up to
/// `poll_max`, as a JSON array; `Rtw-Missed` when `since` is older than
/// the history.
pub(crate) fn short(inner: &Inner, topic: &str, query: &Query) -> Response<ServeBody> {
    let since = query.since.unwrap_or(MessageId::ZERO);
    let messages = match inner
        .hub
        .history(topic, since, inner.config.limits.poll_max)
    {
        Ok(messages) => messages,
        Err(e) => return reply::hub_error(&e),
    };
    let missed = inner.hub.missed(topic, since).ok().flatten();
    answer(inner, Transport::Poll, &messages, missed)
}

/// The messages after `since` (the topic's last id if absent: the next
/// one) as soon as there is one, with the others ready by then up to
/// `poll_max`; 204 No Content after the timeout (`timeout=`, else
/// `longpoll_default`, at most `longpoll_max`), when the hub evicts the
/// poll before it got one, or when the server drains
/// ([`ServeConfig::drain`](super::ServeConfig::drain)): then at once, and a
/// poll that comes while it drains is not held. 503 past `max_longpolls`.
pub(crate) async fn long(inner: &Inner, topic: &str, query: &Query) -> Response<ServeBody> {
    let limits = &inner.config.limits;
    let Some(_permit) = inner.longpolls.acquire() else {
        return reply::busy("too many long polls held; retry");
    };
    let since = match query.since {
        Some(since) => since,
        None => match inner.hub.last_id(topic) {
            Ok(last) => last,
            Err(e) => return reply::hub_error(&e),
        },
    };
    let mut sub = match inner.hub.subscribe(topic, Since::After(since)) {
        Ok(sub) => sub,
        Err(e) => return reply::hub_error(&e),
    };
    let wait = query
        .timeout
        .unwrap_or(limits.longpoll_default)
        .min(limits.longpoll_max);
    let next = inner
        .config
        .drain
        .unless_draining(tokio::time::timeout(wait, sub.next()));
    let first = match next.await {
        Some(Ok(Delivery::Message(message))) => message,
        Some(Ok(Delivery::Evicted { .. })) => {
            inner.metrics.evicted(Transport::Longpoll.into());
            return reply::no_content();
        }
        Some(Err(_)) | None => match sub.try_next() {
            // Ready while the drain started: given rather than dropped.
            Some(Delivery::Message(message)) => message,
            _ => return reply::no_content(),
        },
    };
    let mut messages = vec![first];
    while messages.len() < limits.poll_max {
        match sub.try_next() {
            Some(Delivery::Message(message)) => messages.push(message),
            _ => break,
        }
    }
    answer(inner, Transport::Longpoll, &messages, sub.missed())
}

fn answer(
    inner: &Inner,
    transport: Transport,
    messages: &[Message],
    missed: Option<(MessageId, MessageId)>,
) -> Response<ServeBody> {
    let mut body = String::from("[");
    for (i, message) in messages.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(&reply::message_json(message));
    }
    body.push(']');
    inner
        .metrics
        .delivered(transport.into(), messages.len() as u64, body.len() as u64);
    let mut response = reply::json(body);
    if let Some(range) = missed {
        response
            .headers_mut()
            .insert(reply::MISSED_HEADER, reply::missed_header(range));
    }
    response
}
