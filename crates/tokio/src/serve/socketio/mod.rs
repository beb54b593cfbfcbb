//! `/socket.io/`: Socket.IO v5 over Engine.IO v4 (long polling, WebSocket
//! and the upgrade between them), on the service's hub.
//!
//! The protocols are rtw-engineio's and rtw-socketio's sans-IO servers;
//! this module is their driver ([`driver`]) and the application of
//! `rtw serve` on namespace `/`:
//!
//! | event from the client | what the server does |
//! |---|---|
//! | `echo` (any arguments, binary too) | emits `echo` back with the same arguments |
//! | `echo-ack` with an ack id | acknowledges with the same arguments |
//! | `auth` with an ack id | acknowledges with the `auth` of the socket's CONNECT (`null` without) |
//! | `ask` (name, args...) with an ack id | emits `name` with the args to the client asking for its ack, then acknowledges the `ask` with the client's answer (acks both ways) |
//! | `subscribe` (topic[, since]) | subscribes to the hub's topic (live, or after id `since`): each message is emitted as `message` with `{"id":N,"data":"..."}`; ack `[{"topic":topic}]` or `[{"error":".."}]` |
//! | `publish` (topic, data) | publishes `data` (a string as it is, another JSON value serialized) to the hub; ack `[{"id":N}]` or `[{"error":".."}]` (`[{"error":"server shutting down; retry"}]`, not published, once the server drains) |
//! | `join` / `leave` (room) | joins or leaves the Socket.IO room of `/` (ack `[]`) |
//! | `to-room` (room, args...) | emits `to-room` with the args to every other socket in the room (ack `[count]`) |
//!
//! Any other namespace is refused with CONNECT_ERROR
//! `{"message":"refused"}`. An unknown event asking for an ack gets
//! `[{"error":"unknown event"}]`. The heartbeat uses
//! [`ServeConfig::ping_interval`](super::ServeConfig::ping_interval) and
//! [`ServeConfig::ping_timeout`](super::ServeConfig::ping_timeout).
//!
//! HTTP mapping ([`http`], [`ws`]): `GET`/`POST
//! /socket.io/?EIO=4&transport=polling[&sid=..]` go to the Engine.IO
//! server's `handle_request` (a GET with nothing to send is held until
//! the session has something, or the client goes away); `GET
//! ?EIO=4&transport=websocket[&sid=..]` with `Upgrade: websocket` is
//! upgraded and its frames shuttled both ways until either side closes.
mod driver;
mod http;
mod ws;

use std::sync::{Arc, OnceLock};

use ::http::{Request, Response, StatusCode};
use bytes::Bytes;

use super::reply::{self, ServeBody};
use super::service::Inner;

pub(crate) use driver::Shared;

/// The Socket.IO server of one service, made at its first request (its
/// Engine.IO and Socket.IO ids come from two OS-seeded random sources).
pub(crate) type Slot = OnceLock<Arc<Shared>>;

/// A request under `/socket.io/`.
pub(crate) async fn handle<B>(inner: &Inner, mut request: Request<B>) -> Response<ServeBody>
where
    B: ::http_body::Body<Data = Bytes> + Send + 'static,
{
    let shared = match inner.socketio.get() {
        Some(shared) => shared.clone(),
        None => match crate::OsRandom::new().and_then(|e| Ok((e, crate::OsRandom::new()?))) {
            Ok((random, socket_random)) => {
                let made = Shared::new(
                    &inner.config,
                    inner.hub.clone(),
                    Box::new(random),
                    Box::new(socket_random),
                    inner.metrics.clone(),
                    inner.publishing.clone(),
                );
                inner.socketio.get_or_init(|| made).clone()
            }
            Err(e) => {
                return reply::text(
                    StatusCode::SERVICE_UNAVAILABLE,
                    format_args!("no random source for session ids: {e}"),
                );
            }
        },
    };
    shared.start();
    let query = rtw_engineio::Query::parse(request.uri().query().unwrap_or(""));
    // A `transport=websocket` request without `Upgrade: websocket` goes to
    // the Engine.IO server as a plain request, which refuses it with 400
    // code 3 "Bad request" in the protocol's JSON body.
    if request.method() == ::http::Method::GET
        && query.transport.as_deref() == Some("websocket")
        && wants_websocket(request.headers())
    {
        ws::websocket(inner, &shared, &query, &mut request)
    } else {
        http::polling(&shared, query, request, inner.config.limits.body_timeout).await
    }
}

/// Whether the `Upgrade` header lists `websocket` (RFC 6455 §4.2.1).
fn wants_websocket(headers: &::http::HeaderMap) -> bool {
    headers
        .get_all(::http::header::UPGRADE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|token| token.trim().eq_ignore_ascii_case("websocket"))
}
