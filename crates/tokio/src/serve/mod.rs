//! `rtw serve`'s transports as a library: every push technique of the
//! real-time web as a view of one publish/subscribe hub ([`rtw_hub`]).
//!
//! [`ServeService`] is a hyper [`Service`](hyper::service::Service) over a
//! [`SharedHub`] (the hub shared by every connection, handed in by the
//! application); `rtw serve` is a thin binary over it, and
//! `examples/serve_embed.rs` mounts it under `/rt` beside an application's
//! own handler.
//!
//! # Routes
//!
//! | request | answer |
//! |---|---|
//! | `POST /topics/{topic}` | publishes the body as sent (text: `text/*`, `application/json`, `application/x-www-form-urlencoded` as `curl -d` sends, or none, else 415; UTF-8, else 400; at most `max_body`, else 413): `{"id":N}` |
//! | `GET /topics/{topic}/poll?since=N` | at once, the JSON array `[{"id":..,"data":".."}]` of the kept messages after N (0 if absent), possibly empty |
//! | `GET /topics/{topic}/longpoll?since=N&timeout=S` | the array as soon as there is a message after N (absent: the next message), or 204 after S seconds (default 30, at most `longpoll_max`) |
//! | `GET /topics/{topic}/stream?since=N` | one JSON line per message, `application/x-ndjson`: over HTTP/1.1 each message one chunk (RFC 9112 §7.1); to an HTTP/1.0 request no chunking and no `Content-Length`, the end of the connection ends the body (RFC 1945 §7.2.2) |
//! | `GET /topics/{topic}/iframe?since=N&origin=O` | an HTML document growing by one `<script>parent.postMessage({"id":..,"data":..}, O)</script>` per message after 2 KiB of padding (WHATWG HTML, "Cross-document messaging"); O only when allowed, else `"/"` (same origin) |
//! | `GET /topics/{topic}/events` | Server-Sent Events (WHATWG HTML): `data:` the message, `id:` its id; resumes from `Last-Event-ID`, else `?since=N`; a keep-alive comment every 15 s |
//! | `GET /topics/{topic}/ws?since=N` | WebSocket (RFC 6455): each message one text frame `{"id":..,"data":..}`; text the client sends is published |
//! | `GET /stomp` | STOMP 1.2 (1.1, 1.0) over WebSocket, subprotocols `v12.stomp`, `v11.stomp`, `v10.stomp`; destination `/topic/{topic}` is the hub's topic (the `stomp` module's docs) |
//! | `GET`/`POST /socket.io/?EIO=4&transport=polling\|websocket[&sid=..]` | Socket.IO v5 over Engine.IO v4 (long polling, WebSocket, the upgrade): `echo`, `echo-ack`, `subscribe`/`publish` on the hub's topics, rooms (the `socketio` module's docs) |
//! | `GET /metrics` | the service's counters (connections, messages and bytes, evictions, refusals and errors by transport) in the Prometheus text format 0.0.4 (the `metrics` module) |
//! | `GET /mjpeg?fps=F` | generated JPEG frames (a counter and the clock) as `multipart/x-mixed-replace` (RFC 2046 §5.1), F 5 by default, 1 to 30 |
//! | `GET /`, `GET /rtw.js` | the demo page (a column per transport, a box to publish, the M-JPEG image) and the JavaScript client `rtw.subscribe(topic, onMessage)` (WebSocket, else SSE, else long polling) |
//! | `OPTIONS` on any of these | the CORS preflight (below), or 204 with `Allow` |
//!
//! Without `since` the streaming transports start with the next message.
//! Another method gets 405 with `Allow`; another path 404; a bad `since`,
//! `timeout` or `Last-Event-ID` 400; a bad topic name 400, a full hub 503
//! (`rtw_hub::Error::http_status`); past `max_longpolls` or `max_streams`
//! 503 with `Retry-After: 1`. Every error has a one-line `text/plain`
//! body, and the connection stays usable.
//!
//! # Resuming
//!
//! Every transport resumes from the last id the client saw (`since=N`;
//! SSE's `Last-Event-ID`) without loss or duplicates while those messages
//! are in the hub's history. When some have left it (`rtw_hub`'s
//! `missed`), the answer says so: poll and long-poll answers carry the
//! header `Rtw-Missed: A-B` (the first and last ids missed, exposed to
//! CORS pages); the HTTP stream, the iframe and the WebSocket send
//! `{"missed":[A,B]}` as their first line, script or frame; SSE sends an
//! event of type `missed` with that data (`onmessage` does not see it).
//!
//! # Slow readers
//!
//! A subscriber that lets more than the hub's queue bound pile up is
//! evicted (rtw-hub's "Slow subscribers"): the WebSocket closes with 1013
//! Try Again Later and the reason `evicted: resume with since=N`; the HTTP
//! stream, the iframe and SSE end their body (an EventSource reconnects
//! with its `Last-Event-ID` by itself); a held long poll answers 204. The
//! client resumes from the last id it saw.
//!
//! # Cross-origin use
//!
//! [`ServeConfig::allowed_origins`] lists the origins whose pages may use
//! the service (Fetch, "CORS protocol"): their requests get
//! `Access-Control-Allow-Origin` (the origin echoed, with `Vary: Origin`),
//! and the preflight of a POST or of a request with `Last-Event-ID` gets
//! 204 allowing GET, POST, `Content-Type` and `Last-Event-ID`. Without the
//! list only same-origin pages are served: no CORS header is sent, and a
//! POST, a preflight or a WebSocket upgrade whose `Origin` is neither
//! listed nor the request's own `Host` gets 403.
//!
//! # Draining
//!
//! Once [`ServeConfig::drain`] starts (`rtw serve` starts it on SIGTERM or
//! SIGINT) every long-lived answer ends the way its transport offers, after
//! the messages the hub had already queued for it, so that a message whose
//! publisher got its id reaches every subscriber that was connected: the
//! HTTP stream, the iframe, SSE and M-JPEG end their body (the last chunk,
//! RFC 9112 §7.1; an EventSource reconnects with its `Last-Event-ID`); a
//! held long poll is answered at once (what it has, else 204); the topic
//! WebSocket closes with 1001 Going Away, reason `server shutting down:
//! resume with since=N` (RFC 6455 §7.4.1); a `/stomp` session writes the
//! RECEIPTs and MESSAGEs due, then ERROR `server shutting down` (STOMP 1.2
//! "ERROR"); every Socket.IO session is closed (Engine.IO close packet;
//! over WebSocket then close 1001) once its subscriptions emitted what the
//! hub holds for them. A publish that comes while it drains is not taken,
//! on every path: a POST gets 503 with `Retry-After: 1`; a topic WebSocket
//! text, the close 1001 with the reason `server shutting down, message not
//! published: resume with since=N`; a `/stomp` SEND or COMMIT, the ERROR
//! with its `receipt-id` and no RECEIPT; a Socket.IO `publish`, the ack
//! `[{"error":"server shutting down; retry"}]`. A publish let in before
//! holds the subscribers' end until the hub has it (through `--hub
//! stomp://` too). Each upgraded connection holds the drain
//! ([`crate::drain::Drain::hold`]) until it is closed; the HTTP connections
//! are the accept loop's to hold and shut down gracefully.
//!
//! # Embedding
//!
//! `ServeService` implements hyper's `Service` and tower's
//! (`tower_service::Service`, always ready) for any request body
//! `B: http_body::Body<Data = Bytes>`, so it mounts in axum as it is:
//! `Router::new().route("/hello", get(hello)).nest_service("/rt", service)`
//! (axum's `nest_service` strips `/rt`: leave `ServeConfig::prefix`
//! empty), or on hyper beside an application's own handlers with
//! `ServeConfig::prefix("/rt")` (`examples/serve_embed.rs`).
//! Serve the connections `.with_upgrades()` for the WebSocket routes.
mod assets;
mod backend;
mod config;
mod cors;
mod gate;
mod iframe;
mod metrics;
mod mjpeg;
mod poll;
mod publish;
mod query;
mod reply;
mod service;
mod shared_hub;
mod socketio;
mod sse;
mod stomp;
mod stream;
mod ws;

pub use backend::{BackendStatus, HubUrl, PublishError, RabbitConfig, RabbitHub};
pub use config::{Limits, ServeConfig, Transport};
pub use metrics::{CONTENT_TYPE as METRICS_CONTENT_TYPE, ServeMetrics};
pub use reply::ServeBody;
/// [`rtw_hub`], re-exported so that an application builds the hub's
/// configuration and reads its messages without depending on it.
pub use rtw_hub as hub;
pub use service::ServeService;
pub use shared_hub::{Delivery, HubSubscriber, SharedHub};
