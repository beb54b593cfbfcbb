//! `rtw sse serve`: a demo event stream over hyper's HTTP/1.1 server, with
//! [`rtw_tokio::sse::EventStream`] as the response body.

use std::convert::Infallible;
use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, stream};
use http::header::ALLOW;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{Either, Empty};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use rtw_sse::Message;
use rtw_tokio::sse::{EventStream, KeepAlive, last_event_id};
use tokio::net::TcpListener;
use tokio::time::MissedTickBehavior;

use super::Failure;

/// What the demo stream sends.
#[derive(Debug, Clone, Copy)]
pub(super) struct Demo {
    /// Time between events; the first goes out at once.
    pub(super) interval: Duration,
    /// The last event's id, if the stream ends.
    pub(super) count: Option<u64>,
}

type Body = Either<EventStream<Ticks>, Empty<Bytes>>;

/// The demo's messages.
type Ticks = std::pin::Pin<Box<dyn Stream<Item = Message> + Send>>;

/// Listen on `addr`, print the bound address, and serve until killed.
pub(super) async fn run(addr: &str, demo: Demo, verbose: bool) -> Result<(), Failure> {
    let listener = TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on {bound}")?;
    stdout.flush()?;
    drop(stdout);
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            // Out of file descriptors, say: the next accept may work.
            Err(e) => {
                eprintln!("rtw sse serve: accept: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let service = service_fn(move |request| async move {
            Ok::<_, Infallible>(respond(&request, demo, peer, verbose))
        });
        tokio::spawn(async move {
            let served = http1::Builder::new()
                .serve_connection(TokioIo::new(tcp), service)
                .await;
            if let Err(e) = served
                && verbose
            {
                eprintln!("{peer}: {e}");
            }
        });
    }
}

/// The answer to one request: the stream from one past its
/// `Last-Event-ID` (from 1 if it has none that is a number), 204 when
/// nothing is left, 405 for methods other than GET and HEAD.
fn respond(
    request: &Request<Incoming>,
    demo: Demo,
    peer: SocketAddr,
    verbose: bool,
) -> Response<Body> {
    let last = last_event_id(request.headers());
    if verbose {
        eprintln!(
            "{peer}: {} {} Last-Event-ID: {}",
            request.method(),
            request.uri(),
            last.unwrap_or("(none)")
        );
    }
    if request.method() != Method::GET && request.method() != Method::HEAD {
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
    EventStream::new(ticks(first, demo))
        .keep_alive(KeepAlive::new())
        .into_response()
        .map(Either::Left)
}

/// Events `first`, `first + 1`, ... (up to the count), one per interval.
fn ticks(first: u64, demo: Demo) -> Ticks {
    let mut interval = tokio::time::interval(demo.interval);
    interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let last = demo.count.unwrap_or(u64::MAX);
    Box::pin(stream::unfold(
        (first, interval),
        move |(n, mut interval)| async move {
            if n > last {
                return None;
            }
            interval.tick().await;
            let message = Message::new(format!("event {n}"))
                .id(n.to_string())
                .expect("a number holds no line break or NUL");
            Some((message, (n.saturating_add(1), interval)))
        },
    ))
}
