//! WebSocket (RFC 6455) upgrades on the service's connections, and
//! `GET /topics/{topic}/ws?since=N`.

use std::future::Future;
use std::pin::Pin;

use futures_util::{SinkExt, StreamExt};
use http::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use rtw_ws::handshake::ServerPolicy;

use super::config::Transport;
use super::metrics::{Label, ServeMetrics};
use super::query::Query;
use super::reply::{self, ServeBody};
use super::service::Inner;
use super::{Delivery, cors};
use crate::ws::{
    CloseCode, CloseFrame, Message, Options, ServerHandshake, ServerNegotiated, WebSocketStream,
};

/// A WebSocket on an upgraded hyper connection.
pub(crate) type Ws = WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>;

/// Accepts the WebSocket upgrade `request` asks for and runs `run` on the
/// connection once hyper has sent the 101: the answer to give (101, or the
/// handshake's refusal: 400, 405, 426, ... RFC 6455 §4.2.1). Refuses with
/// 403 an `Origin` that is neither allowed nor the request's own (RFC 6455
/// §10.2) and with 503 past `max_streams` (the permit lives as long as
/// `run`). `protocols`: the subprotocols the route speaks, the client's
/// preferred one selected (RFC 6455 §1.9); empty for none. The connection
/// uses the service's WebSocket options; it counts as an open connection
/// of `label` in the service's metrics while it lasts.
pub(crate) fn upgrade<B, F, Fut>(
    inner: &Inner,
    label: Label,
    request: &mut Request<B>,
    protocols: &'static [&'static str],
    run: F,
) -> Response<ServeBody>
where
    F: FnOnce(Ws, ServerNegotiated) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    if !cors::check(&inner.config.allowed_origins, request.headers()).allowed() {
        return reply::text(
            StatusCode::FORBIDDEN,
            "origin not allowed (rtw serve --allow-origin)",
        );
    }
    let handshake = ServerHandshake::with_policy(
        ServerPolicy::new().supported_protocols(protocols.iter().copied()),
    );
    let negotiated = match handshake.accept(request) {
        Ok(negotiated) => negotiated,
        Err(e) => return reply::text(e.status(), e),
    };
    let Some(permit) = inner.streams.acquire() else {
        return reply::busy("too many streams open; retry");
    };
    let upgrade = hyper::upgrade::on(request);
    let options = inner.ws_options.clone();
    let (parts, ()) = negotiated.response.clone().into_parts();
    // The task lives as long as the connection and its allocation is
    // sized for its largest state: what only the wait for hyper's upgrade
    // needs is boxed (and freed after it), and the connection's future is
    // boxed at its own size, so that the task stays small.
    let pending = Box::new((negotiated, options, run));
    let open = inner.metrics.open(label);
    // The server's drain waits for the connection to close.
    let hold = inner.config.drain.hold();
    tokio::spawn(async move {
        let _permit = permit;
        let _open = open;
        let _hold = hold;
        let Ok(upgraded) = upgrade.await else { return };
        let connection = connect(upgraded, pending);
        if let Some(connection) = connection {
            tracing::debug!(transport = label.name(), "WebSocket opened");
            connection.await;
            tracing::debug!(transport = label.name(), "WebSocket closed");
        }
    });
    Response::from_parts(parts, reply::full(""))
}

/// The upgraded connection's future, boxed; `None` if the stream cannot
/// be made (an extension it cannot run).
#[allow(
    clippy::boxed_local,
    reason = "boxed by the caller, to keep it out of the connection's task"
)]
fn connect<F, Fut>(
    upgraded: hyper::upgrade::Upgraded,
    pending: Box<(ServerNegotiated, Options, F)>,
) -> Option<Pin<Box<Fut>>>
where
    F: FnOnce(Ws, ServerNegotiated) -> Fut,
    Fut: Future<Output = ()>,
{
    let (negotiated, options, run) = *pending;
    let ws = WebSocketStream::from_negotiated(TokioIo::new(upgraded), &negotiated, options).ok()?;
    Some(Box::pin(run(ws, negotiated)))
}

/// The topic's WebSocket: from `since` (live without it), each message
/// one text frame `{"id":N,"data":"..."}` (after `{"missed":[A,B]}` for a
/// resume older than the history); each text message the client sends is
/// published. Closes with 1013 Try Again Later when the hub evicts the
/// subscriber (reason `evicted: resume with since=N`), 1008 when a
/// message is refused by the hub (reason: why), 1003 for a binary
/// message (RFC 6455 §7.4.1); with 1001 Going Away at `max_stream_age`
/// (reason `max stream age: resume with since=N`) and when the server
/// drains (reason `server shutting down: resume with since=N`; a text
/// that comes while it drains is not published, and the reason says
/// `server shutting down, message not published: resume with since=N`).
pub(crate) fn topic<B>(
    inner: &Inner,
    topic: &str,
    query: &Query,
    request: &mut Request<B>,
) -> Response<ServeBody> {
    // Checked before the upgrade, so that a bad topic gets its 400; the
    // subscription is made on the upgraded connection.
    if let Err(e) = inner.hub.last_id(topic) {
        return reply::hub_error(&e);
    }
    let hub = inner.hub.clone();
    let topic = topic.to_owned();
    let since = query.since;
    let deadline = inner
        .config
        .limits
        .max_stream_age
        .map(|age| tokio::time::Instant::now() + age);
    let metrics = inner.metrics.clone();
    let drain = (inner.config.drain.clone(), inner.publishing.clone());
    upgrade(inner, LABEL, request, &[], move |ws, _| {
        run(ws, hub, metrics, topic, since, (deadline, drain))
    })
}

/// The service's drain, and its publishes in progress.
pub(crate) type Draining = (
    crate::drain::Drain,
    std::sync::Arc<super::gate::PublishGate>,
);

/// What `/topics/{topic}/ws` counts under in `GET /metrics`.
const LABEL: Label = Label::Transport(Transport::Ws);

/// Counts an error of the topic's WebSocket and logs it.
fn failed(metrics: &ServeMetrics, what: &str, e: &dyn std::fmt::Display) {
    metrics.error(LABEL);
    tracing::warn!(transport = "ws", error = %e, "{what}");
}

async fn run(
    mut ws: Ws,
    hub: super::SharedHub,
    metrics: std::sync::Arc<ServeMetrics>,
    topic: String,
    since: Option<rtw_hub::MessageId>,
    (deadline, (drain, publishing)): (Option<tokio::time::Instant>, Draining),
) {
    let from = since.map_or(rtw_hub::Since::Now, rtw_hub::Since::After);
    let expired = super::stream::expired(deadline);
    tokio::pin!(expired);
    let draining = drain.draining();
    tokio::pin!(draining);
    let mut sub = match hub.subscribe(&topic, from) {
        Ok(sub) => sub,
        Err(e) => return close(ws, CloseCode::TRY_AGAIN_LATER, &e.to_string()).await,
    };
    // The last id the client has, for the reason of a close at the deadline.
    let mut last = since.unwrap_or(sub.last_id());
    if let Some(range) = sub.missed()
        && ws
            .send(Message::text(reply::missed_json(range)))
            .await
            .is_err()
    {
        return;
    }
    loop {
        tokio::select! {
            delivery = sub.next() => match delivery {
                Delivery::Message(m) => match deliver(&mut ws, &mut sub, m, &metrics).await {
                    Ok((id, None)) => last = id,
                    Ok((_, Some(last_delivered))) => {
                        let reason = evicted(&metrics, last_delivered);
                        return close(ws, CloseCode::TRY_AGAIN_LATER, &reason).await;
                    }
                    Err(e) => return failed(&metrics, "send", &e),
                },
                Delivery::Evicted { last_delivered, .. } => {
                    let reason = evicted(&metrics, last_delivered);
                    return close(ws, CloseCode::TRY_AGAIN_LATER, &reason).await;
                }
            },

            () = &mut expired => {
                let reason = format!("max stream age: resume with since={last}");
                return close(ws, CloseCode::GOING_AWAY, &reason).await;
            }
            () = &mut draining => {
                let drained = drained(&mut ws, &mut sub, last, &metrics, &publishing).await;
                let Some(last) = drained else { return };
                let reason = format!("server shutting down: resume with since={last}");
                return close(ws, CloseCode::GOING_AWAY, &reason).await;
            }
            incoming = ws.next() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    metrics.received(LABEL, text.len() as u64);
                    // Not taken once the server drains: the subscribers'
                    // streams are ending, and it might reach none of them.
                    let Some(entered) = publishing.enter(&drain) else {
                        let drained = drained(&mut ws, &mut sub, last, &metrics, &publishing).await;
                        let Some(last) = drained else { return };
                        let reason = format!(
                            "server shutting down, message not published: resume with since={last}"
                        );
                        return close(ws, CloseCode::GOING_AWAY, &reason).await;
                    };
                    let sent = super::gate::holding(entered, hub.send(&topic, text.into_bytes()));
                    if let Err(e) = sent.await {
                        return close(ws, CloseCode::POLICY_VIOLATION, &e.to_string()).await;
                    }
                    metrics.published(LABEL);
                }
                Some(Ok(Message::Binary(_))) => {
                    return close(ws, CloseCode::UNSUPPORTED_DATA, "text messages only").await;
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    failed(&metrics, "read", &e);
                    // The connection failed itself (a bad frame: 1002, a
                    // silent peer: 1011, RFC 6455 §7.1.7): the stream's
                    // end writes its close frame and closes the transport,
                    // within the stream's linger.
                    while ws.next().await.is_some() {}
                    return;
                }
                None => return,
            },
        }
    }
}

/// The server drains: feeds what the hub has once every publish let in
/// reached it (the gate settled); the id of the last message the client
/// has, for the reason of the close 1001 Going Away that `run` sends
/// (awaited there, not here: a future that took the stream would hold it
/// twice in `run`'s state), or `None` when a write failed.
async fn drained(
    ws: &mut Ws,
    sub: &mut super::HubSubscriber,
    mut last: rtw_hub::MessageId,
    metrics: &ServeMetrics,
    publishing: &super::gate::PublishGate,
) -> Option<rtw_hub::MessageId> {
    publishing.settled().await;
    while let Some(Delivery::Message(m)) = sub.try_next() {
        last = m.id;
        let json = reply::message_json(&m);
        let bytes = json.len() as u64;
        ws.feed(Message::text(json)).await.ok()?;
        metrics.delivered(LABEL, 1, bytes);
    }
    Some(last)
}

/// The most messages [`deliver`] queues before it writes them.
const BATCH_MESSAGES: u64 = 64;

/// The most bytes of message text [`deliver`] queues before it writes them.
const BATCH_BYTES: u64 = 64 * 1024;

/// Writes `first` and what else the hub already holds for `sub` (up to
/// [`BATCH_MESSAGES`] messages or [`BATCH_BYTES`] bytes), each one text
/// frame, with one flush: one write for all of them instead of one per
/// message. Counts them as delivered once written. The id of the last
/// message written, and `Some(last_delivered)` when the hub evicted the
/// subscriber after them.
async fn deliver(
    ws: &mut Ws,
    sub: &mut super::HubSubscriber,
    first: rtw_hub::Message,
    metrics: &ServeMetrics,
) -> Result<(rtw_hub::MessageId, Option<rtw_hub::MessageId>), crate::ws::WsError> {
    let (mut count, mut bytes) = (0, 0);
    let mut last = first.id;
    let mut next = Some(Delivery::Message(first));
    let mut evicted = None;
    while let Some(delivery) = next.take() {
        match delivery {
            Delivery::Message(m) => {
                last = m.id;
                let json = reply::message_json(&m);
                bytes += json.len() as u64;
                count += 1;
                // Waits only while the stream's write buffer is full.
                ws.feed(Message::text(json)).await?;
                if count < BATCH_MESSAGES && bytes < BATCH_BYTES {
                    next = sub.try_next();
                }
            }
            Delivery::Evicted { last_delivered, .. } => evicted = Some(last_delivered),
        }
    }
    ws.flush().await?;
    metrics.delivered(LABEL, count, bytes);
    Ok((last, evicted))
}

/// Counts a subscriber the hub evicted, and gives the reason of its close
/// 1013 Try Again Later (RFC 6455 §7.4.1): `evicted: resume with since=N`.
/// (The close is awaited by `run` itself: a future of its own that took
/// the stream would hold it twice in `run`'s state, which every idle
/// connection is sized for.)
fn evicted(metrics: &ServeMetrics, last_delivered: rtw_hub::MessageId) -> String {
    metrics.evicted(LABEL);
    format!("evicted: resume with since={last_delivered}")
}

/// Sends a close frame with `code` and `reason` (cut to the 123 bytes a
/// close frame holds, RFC 6455 §5.5.1), then reads until the peer's close
/// (the stream's close timeout bounds the wait).
async fn close(mut ws: Ws, code: CloseCode, reason: &str) {
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    let frame = CloseFrame::new(code, &reason[..end]);
    if ws.send(Message::Close(Some(frame))).await.is_err() {
        return;
    }
    while let Some(Ok(_)) = ws.next().await {}
}
