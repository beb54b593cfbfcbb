//! Our `EventSource` client against our `EventStream` server (hyper on
//! loopback): it resumes after the last event id across a clean end and an
//! aborted connection, waits what `retry` says, and stops on 204, a wrong
//! Content-Type or too many failed attempts. Over a connector of our own,
//! in paused time, the waits are exact.
#![cfg(feature = "sse")]

mod sse_support;

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{StreamExt, stream};
use http::StatusCode;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use rtw_sse::Error as SseError;
use rtw_tokio::sse::{
    Connection, ErrorReason, Event, EventSource, EventSourceConfig, EventStream, HyperError,
    Message, ReadyState, SourceEvent, connect, connect_with, from_fn, last_event_id,
};
use sse_support::{BoxError, events, plain, serve, within};
use tokio::time::Instant;

fn message(t: &str, data: &str, id: &str) -> SourceEvent {
    SourceEvent::Message(Event::new(data).with_event_type(t).with_last_event_id(id))
}

fn disconnected(wait_ms: u64) -> SourceEvent {
    SourceEvent::Error {
        reason: ErrorReason::Disconnected,
        reconnect_in: Some(Duration::from_millis(wait_ms)),
    }
}

/// One `/events` request as the server saw it.
#[derive(Debug, Clone)]
struct Seen {
    last_event_id: Option<String>,
    accept: Option<String>,
    at: Instant,
}

#[tokio::test]
async fn our_client_resumes_after_the_last_id_and_follows_retry() {
    let seen = Arc::new(Mutex::new(Vec::<Seen>::new()));
    let log = seen.clone();
    let addr = serve(move |request| {
        let last = last_event_id(request.headers()).map(str::to_owned);
        log.lock().unwrap().push(Seen {
            last_event_id: last.clone(),
            accept: request
                .headers()
                .get("accept")
                .map(|v| v.to_str().unwrap().to_owned()),
            at: Instant::now(),
        });
        async move {
            match last.as_deref() {
                // Two events, then the body ends cleanly.
                None => events(EventStream::new(stream::iter([
                    Message::new("one").id("1").unwrap().retry(200),
                    Message::new("two\nlines").id("2").unwrap(),
                ]))),
                // Two events, half of a third, then the connection is
                // aborted mid-body.
                Some("2") => {
                    let mut wire = Message::new("three").id("3").unwrap().to_bytes();
                    Message::new("four")
                        .event("named")
                        .unwrap()
                        .id("4")
                        .unwrap()
                        .retry(400)
                        .write_to(&mut wire);
                    let frames = stream::iter([
                        Ok::<_, BoxError>(Frame::data(wire.freeze())),
                        Ok(Frame::data(Bytes::from_static(b"data: cut sh"))),
                    ])
                    .chain(stream::once(async {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        Err::<Frame<Bytes>, BoxError>("forced abort".into())
                    }));
                    let mut response = events(EventStream::new(stream::empty()));
                    *response.body_mut() = StreamBody::new(frames).boxed_unsync();
                    response
                }
                // The rest, and the stream stays open.
                Some("4") => events(EventStream::new(
                    stream::iter([Message::new("five").event("done").unwrap().id("5").unwrap()])
                        .chain(stream::pending()),
                )),
                Some(_) => plain(StatusCode::NO_CONTENT, "text/plain", ""),
            }
        }
    })
    .await;

    let mut source = connect(&format!("http://{addr}/events")).unwrap();
    assert_eq!(source.ready_state(), ReadyState::Connecting);
    let mut got = Vec::new();
    let mut transport_errors = Vec::new();
    while got.len() < 10 {
        let event = within("the next event", source.next()).await.unwrap();
        if let SourceEvent::Error { .. } = event {
            transport_errors.push(source.transport_error().map(ToString::to_string));
        }
        got.push(event);
    }
    assert_eq!(
        got,
        [
            SourceEvent::Open,
            message("message", "one", "1"),
            message("message", "two\nlines", "2"),
            disconnected(200),
            SourceEvent::Open,
            message("message", "three", "3"),
            message("named", "four", "4"),
            // The event cut short is discarded.
            disconnected(400),
            SourceEvent::Open,
            message("done", "five", "5"),
        ]
    );
    assert_eq!(source.ready_state(), ReadyState::Open);
    assert_eq!(source.last_event_id(), "5");
    assert_eq!(source.reconnection_time(), Duration::from_millis(400));
    // The clean end is no transport error; the abort is.
    assert_eq!(transport_errors[0], None);
    assert!(transport_errors[1].is_some());

    let seen = seen.lock().unwrap().clone();
    let ids: Vec<_> = seen.iter().map(|s| s.last_event_id.as_deref()).collect();
    assert_eq!(ids, [None, Some("2"), Some("4")]);
    assert!(
        seen.iter()
            .all(|s| s.accept.as_deref() == Some("text/event-stream"))
    );
    // Each reconnection waited what `retry` said, not the default 3 s.
    let gaps = [seen[1].at - seen[0].at, seen[2].at - seen[1].at];
    assert!(gaps[0] >= Duration::from_millis(200), "{gaps:?}");
    assert!(gaps[1] >= Duration::from_millis(400 + 50), "{gaps:?}");
    assert!(
        gaps.iter().all(|g| *g < Duration::from_millis(2500)),
        "{gaps:?}"
    );

    source.close();
    assert_eq!(source.ready_state(), ReadyState::Closed);
    assert_eq!(source.next().await, None);
}

#[tokio::test]
async fn no_content_and_a_wrong_content_type_stop_the_client() {
    let addr = serve(|request| async move {
        match request.uri().path() {
            "/gone" => plain(StatusCode::NO_CONTENT, "text/event-stream", ""),
            "/json" => plain(StatusCode::OK, "application/json", "{}"),
            _ => plain(StatusCode::NOT_FOUND, "text/plain", ""),
        }
    })
    .await;
    for (path, error) in [
        ("/gone", SseError::BadStatus(204)),
        ("/json", SseError::BadContentType("application/json".into())),
        ("/missing", SseError::BadStatus(404)),
    ] {
        let mut source = connect(&format!("http://{addr}{path}")).unwrap();
        assert_eq!(
            within(path, source.next()).await,
            Some(SourceEvent::Error {
                reason: ErrorReason::Rejected(error),
                reconnect_in: None,
            })
        );
        assert_eq!(source.ready_state(), ReadyState::Closed);
        assert_eq!(within(path, source.next()).await, None);
    }
}

#[tokio::test]
async fn refused_connections_are_retried_until_the_limit() {
    // A port nobody listens on.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let config = EventSourceConfig::default()
        .reconnection_time(Duration::from_millis(10))
        .max_retries(Some(2));
    let mut source = connect_with(&format!("http://{addr}/"), config).unwrap();
    let mut got = Vec::new();
    while let Some(event) = within("the next event", source.next()).await {
        assert!(matches!(source.transport_error(), Some(HyperError::Io(_))));
        got.push(event);
        assert!(got.len() <= 3, "{got:?}");
    }
    assert_eq!(
        got,
        [
            disconnected(10),
            disconnected(10),
            SourceEvent::Error {
                reason: ErrorReason::Disconnected,
                reconnect_in: None,
            },
        ]
    );
}

#[test]
fn only_http_urls_are_accepted() {
    for url in [
        "https://127.0.0.1/",
        "ws://127.0.0.1/",
        "not a url",
        "/path",
    ] {
        assert!(matches!(connect(url), Err(HyperError::Url(_))), "{url}");
    }
}

/// A caller-supplied byte stream, in paused time: the waits are exactly
/// the reconnection time, and the connector sees the last event id.
#[tokio::test(start_paused = true)]
async fn any_byte_stream_works_and_waits_are_exact() {
    let requests = Arc::new(Mutex::new(Vec::new()));
    let log = requests.clone();
    let start = Instant::now();
    let connector = from_fn(move |request: rtw_sse::ConnectRequest| {
        let n = {
            let mut log = log.lock().unwrap();
            log.push((request.last_event_id().map(str::to_owned), start.elapsed()));
            log.len()
        };
        async move {
            let chunks: Vec<&'static str> = match n {
                1 => vec!["retry: 5000\nid: a\nda", "ta: x\n\n", ": ka\n"],
                _ => vec!["data: y\n", "\n"],
            };
            let chunks = stream::iter(chunks.into_iter().map(|c| Ok(Bytes::from(c))));
            let body = if n == 1 {
                chunks.boxed()
            } else {
                // The second response stays open.
                chunks.chain(stream::pending()).boxed()
            };
            Ok::<_, Infallible>(Connection {
                status: 200,
                content_type: Some("Text/Event-Stream; charset=utf-8".into()),
                body,
            })
        }
    });
    let mut source = EventSource::new(connector);
    let mut got = Vec::new();
    for _ in 0..5 {
        got.push(source.next().await.unwrap());
    }
    assert_eq!(
        got,
        [
            SourceEvent::Open,
            message("message", "x", "a"),
            disconnected(5000),
            SourceEvent::Open,
            message("message", "y", "a"),
        ]
    );
    assert_eq!(
        *requests.lock().unwrap(),
        [
            (None, Duration::ZERO),
            (Some("a".to_owned()), Duration::from_secs(5))
        ]
    );
    // Waiting on an open, silent stream can be abandoned and resumed.
    assert!(
        tokio::time::timeout(Duration::from_secs(60), source.next())
            .await
            .is_err()
    );
    assert_eq!(source.ready_state(), ReadyState::Open);
    let mut stream = std::pin::pin!(source.into_stream());
    assert!(
        tokio::time::timeout(Duration::from_secs(60), stream.next())
            .await
            .is_err()
    );
}

/// The response head goes out before any event, so a client opens on a
/// stream that has nothing to say yet.
#[tokio::test]
async fn the_client_opens_before_the_first_event() {
    let addr = serve(|_| async { events(EventStream::new(stream::pending())) }).await;
    let mut source = connect(&format!("http://{addr}/")).unwrap();
    assert_eq!(within("open", source.next()).await, Some(SourceEvent::Open));
    assert_eq!(source.ready_state(), ReadyState::Open);
}
