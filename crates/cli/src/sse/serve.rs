//! `rtw sse serve`: a demo event stream over hyper's HTTP/1.1 server, with
//! [`rtw_tokio::sse::EventStream`] as the response body.
//!
//! Hardened against clients that hold connections without using them: the
//! listener caps connections in total and per address
//! ([`rtw_tokio::listener`]); hyper closes a connection whose request head
//! is not complete within the header timeout, counted from when it starts
//! waiting for one (on a new connection, and on a kept-alive one after each
//! response), so a silent or trickling client cannot hold a slot; and a
//! request body must arrive within the body timeout.

use std::convert::Infallible;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt, stream};
use http::header::{ALLOW, CONNECTION};
use http::request::Parts;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Either, Empty};
use hyper::body::{Body as _, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use rtw_sse::Message;
use rtw_tokio::drain::Drain;
use rtw_tokio::listener::Listener;
use rtw_tokio::sse::{EventStream, KeepAlive, last_event_id};
use tokio::time::MissedTickBehavior;

use super::Failure;
use crate::drain::DrainArgs;
use crate::metrics_endpoint::{self, ServerMetrics};
use crate::serve_limits::ServerLimits;
use crate::write_deadline::WriteDeadline;

/// What the demo stream sends.
#[derive(Debug, Clone, Copy)]
pub(super) struct Demo {
    /// Time between events; the first goes out at once.
    pub(super) interval: Duration,
    /// The last event's id, if the stream ends.
    pub(super) count: Option<u64>,
}

/// How the server treats its clients.
#[derive(Debug, Clone)]
pub(super) struct Options {
    /// Connection caps and the header timeout.
    pub(super) limits: ServerLimits,
    /// Time to receive a request body, from the end of its head.
    pub(super) body_timeout: Duration,
    /// Time a write may wait while the client reads nothing.
    pub(super) write_timeout: Duration,
    /// Report requests, connection errors and the listener's counters on
    /// stderr.
    pub(super) verbose: bool,
    /// Where to serve the counters (`rtw_sse_*`), if anywhere.
    pub(super) metrics: Option<std::net::SocketAddr>,
    /// How it drains on SIGTERM or SIGINT.
    pub(super) drain: DrainArgs,
}

/// The largest request body the demo reads (and drops).
const MAX_BODY: u64 = 64 * 1024;

/// How often `--verbose` reports the listener's counters.
const STATS_EVERY: Duration = Duration::from_secs(10);

type Body = Either<EventStream<Ticks>, Empty<Bytes>>;

/// The demo's messages.
type Ticks = std::pin::Pin<Box<dyn Stream<Item = Message> + Send>>;

/// Listen on `addr`, print the bound address, and serve until SIGTERM or
/// SIGINT: then the listener closes, every event stream ends (the last
/// chunk; an EventSource reconnects with its `Last-Event-ID`), and it
/// returns once every connection has closed, or after the drain timeout.
pub(super) async fn run(addr: &str, demo: Demo, options: Options) -> Result<(), Failure> {
    let Options {
        limits,
        body_timeout,
        write_timeout,
        verbose,
        metrics,
        drain: drain_args,
    } = options;
    let draining = drain_args.on_signal()?;
    let listener = Arc::new(Listener::bind(addr, limits.listener_config()).await?);
    let bound = listener.local_addr()?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on {bound}")?;
    stdout.flush()?;
    drop(stdout);
    let counters = ServerMetrics::new("sse");
    if let Some(addr) = metrics {
        metrics_endpoint::serve(addr, counters.renderer()).await?;
    }
    if verbose {
        let config = listener.config();
        eprintln!(
            "rtw sse serve: at most {} connections, {} per address; \
             header timeout {:?}, body timeout {body_timeout:?}",
            config.max_connections, config.max_connections_per_ip, limits.header_timeout,
        );
        tokio::spawn(report(Arc::clone(&listener)));
    }
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    while let Some(accepted) = draining.unless_draining(listener.accept()).await {
        let (tcp, peer, permit) = match accepted {
            Ok(accepted) => accepted,
            // Not for want of descriptors: the listener waits those out.
            Err(e) => {
                eprintln!("rtw sse serve: accept: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let open = counters.accepted();
        tracing::debug!(%peer, "connection accepted");
        let per_request = counters.clone();
        let per_connection = draining.clone();
        let service = service_fn(move |request: Request<Incoming>| {
            let counters = per_request.clone();
            let ends = per_connection.clone();
            async move {
                let (parts, body) = request.into_parts();
                if verbose {
                    eprintln!(
                        "{peer}: {} {} Last-Event-ID: {}",
                        parts.method,
                        parts.uri,
                        last_event_id(&parts.headers).unwrap_or("(none)")
                    );
                }
                let response = match drain(body, body_timeout).await {
                    Ok(()) => respond(&parts, demo, counters, &ends),
                    Err(status) => {
                        if verbose {
                            eprintln!("{peer}: request body: {status}");
                        }
                        refuse(status)
                    }
                };
                Ok::<_, Infallible>(response)
            }
        });
        let connection = http.serve_connection(
            TokioIo::new(WriteDeadline::new(tcp, write_timeout)),
            service,
        );
        let draining = draining.clone();
        tokio::spawn(async move {
            // The connection's slot, and the drain's wait, until it ends.
            let _permit = permit;
            let _hold = draining.hold();
            let mut connection = std::pin::pin!(connection);
            let ended = tokio::select! {
                ended = connection.as_mut() => ended,
                () = draining.draining() => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            match ended {
                Ok(()) => tracing::debug!(%peer, "connection closed"),
                Err(e) => {
                    // A write stalled past --write-timeout: a slow reader
                    // cut off; any other failure an error.
                    let stalled = std::error::Error::source(&e)
                        .and_then(|s| s.downcast_ref::<std::io::Error>())
                        .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut);
                    if stalled {
                        open.metrics().dropped();
                    } else {
                        open.metrics().error();
                    }
                    tracing::warn!(%peer, error = %e, "connection closed");
                    if verbose {
                        eprintln!("{peer}: {e}");
                    }
                }
            }
            drop(open);
        });
    }
    drop(listener);
    drain_args.finish(&draining, "rtw sse serve").await;
    Ok(())
}

/// Print the listener's counters every [`STATS_EVERY`] when they changed.
async fn report(listener: Arc<Listener>) {
    let mut last = None;
    let mut every = tokio::time::interval(STATS_EVERY);
    loop {
        every.tick().await;
        let stats = listener.stats();
        if last != Some(stats) {
            eprintln!(
                "rtw sse serve: {} open, {} accepted, {} rejected as busy, \
                 {} accepts failed for want of descriptors or memory",
                stats.open, stats.accepted, stats.rejected, stats.accept_errors
            );
            last = Some(stats);
        }
    }
}

/// Read and drop a request body of up to [`MAX_BODY`] bytes within
/// `timeout`, so that the connection can serve its next request; the
/// status to refuse the request with otherwise.
async fn drain(mut body: Incoming, timeout: Duration) -> Result<(), StatusCode> {
    if body.is_end_stream() {
        return Ok(());
    }
    if body.size_hint().lower() > MAX_BODY {
        return Err(StatusCode::PAYLOAD_TOO_LARGE);
    }
    let read = async {
        let mut len = 0;
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|_| StatusCode::BAD_REQUEST)?;
            if let Some(data) = frame.data_ref() {
                len += data.len() as u64;
                if len > MAX_BODY {
                    return Err(StatusCode::PAYLOAD_TOO_LARGE);
                }
            }
        }
        Ok(())
    };
    tokio::time::timeout(timeout, read)
        .await
        .unwrap_or(Err(StatusCode::REQUEST_TIMEOUT))
}

/// An empty response with `status` that closes the connection: the rest
/// of the request is not read.
fn refuse(status: StatusCode) -> Response<Body> {
    let mut response = Response::new(Either::Right(Empty::new()));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    response
}

/// The answer to one request: the stream from one past its
/// `Last-Event-ID` (from 1 if it has none that is a number), 204 when
/// nothing is left, 405 for methods other than GET and HEAD. The stream
/// ends when `drain` starts.
fn respond(
    request: &Parts,
    demo: Demo,
    counters: Arc<ServerMetrics>,
    drain: &Drain,
) -> Response<Body> {
    let last = last_event_id(&request.headers);
    if request.method != Method::GET && request.method != Method::HEAD {
        let mut response = Response::new(Either::Right(Empty::new()));
        *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
        response
            .headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        return response;
    }
    let first = last
        .and_then(|id| id.parse::<u64>().ok())
        .map_or(1, |id| id.saturating_add(1));
    if demo.count.is_some_and(|count| first > count) {
        // "Clients will reconnect if the connection is closed; a client
        // can be told to stop reconnecting using the HTTP 204 No Content
        // response code" (the standard's authoring notes).
        let mut response = Response::new(Either::Right(Empty::new()));
        *response.status_mut() = StatusCode::NO_CONTENT;
        return response;
    }
    let ticks: Ticks = Box::pin(ticks(first, demo, counters).take_until(drain.draining()));
    EventStream::new(ticks)
        .keep_alive(KeepAlive::new())
        .into_response()
        .map(Either::Left)
}

/// Events `first`, `first + 1`, ... (up to the count), one per interval,
/// each counted as sent (its data's bytes) in `counters`.
fn ticks(first: u64, demo: Demo, counters: Arc<ServerMetrics>) -> Ticks {
    let mut interval = tokio::time::interval(demo.interval);
    interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let last = demo.count.unwrap_or(u64::MAX);
    Box::pin(stream::unfold(
        (first, interval),
        move |(n, mut interval)| {
            let counters = counters.clone();
            async move {
                if n > last {
                    return None;
                }
                interval.tick().await;
                let data = format!("event {n}");
                counters.sent(data.len());
                let message = Message::new(data)
                    .id(n.to_string())
                    .expect("a number holds no line break or NUL");
                Some((message, (n.saturating_add(1), interval)))
            }
        },
    ))
}
