//! The EventSource state machine against scripted servers, in virtual time
//! (an `Instant` base plus `Duration`s; nothing sleeps).

use std::time::{Duration, Instant};

use bytes::BytesMut;
use rtw_sse::{
    Action, ConnectRequest, Error, ErrorReason, Event, EventSource, EventSourceConfig, ReadyState,
    SourceEvent,
};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn message(event_type: &str, data: &str, id: &str) -> SourceEvent {
    SourceEvent::Message(
        Event::new(data)
            .with_event_type(event_type)
            .with_last_event_id(id),
    )
}

fn reconnecting(delay: Duration) -> SourceEvent {
    SourceEvent::Error {
        reason: ErrorReason::Disconnected,
        reconnect_in: Some(delay),
    }
}

fn failed(error: Error) -> SourceEvent {
    SourceEvent::Error {
        reason: ErrorReason::Rejected(error),
        reconnect_in: None,
    }
}

fn drain(source: &mut EventSource) -> Vec<SourceEvent> {
    std::iter::from_fn(|| source.poll_event()).collect()
}

fn take_connect(source: &mut EventSource) -> ConnectRequest {
    match source.poll_action() {
        Some(Action::Connect(request)) => request,
        other => panic!("expected a Connect, got {other:?}"),
    }
}

/// Nothing left to do, ever: no action, no timeout, whatever time passes.
fn assert_finished(source: &mut EventSource, now: Instant) {
    assert_eq!(source.ready_state(), ReadyState::Closed);
    assert_eq!(source.poll_timeout(), None);
    source.handle_disconnect(now);
    source.handle_timeout(now + Duration::from_secs(3600));
    assert_eq!(source.poll_action(), None);
    assert_eq!(source.poll_timeout(), None);
    assert_eq!(source.poll_event(), None);
}

/// Step virtual time to just before and exactly at the end of the wait:
/// no Connect before it, one at it.
fn wait_out(source: &mut EventSource, from: Instant, wait: Duration) -> ConnectRequest {
    assert_eq!(source.poll_timeout(), Some(from + wait));
    assert_eq!(source.poll_action(), None);
    if let Some(early) = wait.checked_sub(ms(1)) {
        source.handle_timeout(from);
        source.handle_timeout(from + early);
        assert_eq!(source.poll_action(), None, "no Connect before {wait:?}");
        assert_eq!(source.ready_state(), ReadyState::Connecting);
    }
    source.handle_timeout(from + wait);
    assert_eq!(source.poll_timeout(), None);
    take_connect(source)
}

#[test]
fn full_lifecycle() {
    let t0 = Instant::now();
    let mut s = EventSource::default();
    assert_eq!(s.ready_state(), ReadyState::Connecting);
    assert_eq!(s.reconnection_time(), ms(3000));

    // First connection: no Last-Event-ID.
    let request = take_connect(&mut s);
    assert_eq!(request.last_event_id(), None);
    assert_eq!(s.poll_action(), None);
    assert_eq!(s.poll_timeout(), None);
    s.handle_response(t0, 200, Some("text/event-stream"))
        .unwrap();
    assert_eq!(s.ready_state(), ReadyState::Open);
    s.handle_data(
        t0,
        &mut BytesMut::from(
            "data: one\nid: 1\n\nevent: add\ndata: 2\ndata: two\nid: 2\n\ndata: cut off",
        ),
    )
    .unwrap();
    assert_eq!(
        drain(&mut s),
        [
            SourceEvent::Open,
            message("message", "one", "1"),
            message("add", "2\ntwo", "2"),
        ]
    );

    // The body ends: reestablish after exactly 3000 ms, with the id of the
    // last dispatched event.
    let t1 = t0 + ms(10_000);
    s.handle_disconnect(t1);
    assert_eq!(s.ready_state(), ReadyState::Connecting);
    assert_eq!(drain(&mut s), [reconnecting(ms(3000))]);
    let request = wait_out(&mut s, t1, ms(3000));
    assert_eq!(request.last_event_id(), Some("2"));
    assert_eq!(
        request.headers().last(),
        Some(("Last-Event-ID", "2")),
        "the header goes with the request"
    );

    // Second connection: `retry: 500` changes the wait.
    s.handle_response(t0, 200, Some("text/event-stream"))
        .unwrap();
    s.handle_data(
        t0,
        &mut BytesMut::from("retry: 500\ndata: three\nid: 3\n\n"),
    )
    .unwrap();
    assert_eq!(s.reconnection_time(), ms(500));
    assert_eq!(
        drain(&mut s),
        [SourceEvent::Open, message("message", "three", "3")]
    );
    let t2 = t1 + ms(60_000);
    s.handle_disconnect(t2);
    assert_eq!(drain(&mut s), [reconnecting(ms(500))]);
    let request = wait_out(&mut s, t2, ms(500));
    assert_eq!(request.last_event_id(), Some("3"));

    // 204 No Content: no more reconnections.
    assert_eq!(s.handle_response(t0, 204, None), Err(Error::BadStatus(204)));
    assert_eq!(drain(&mut s), [failed(Error::BadStatus(204))]);
    assert_finished(&mut s, t2 + ms(500));
}

#[test]
fn statuses_other_than_200_fail_without_reconnecting() {
    for status in [
        201, 202, 204, 205, 206, 299, 301, 302, 304, 400, 401, 404, 410, 500, 502, 503,
    ] {
        let t0 = Instant::now();
        let mut s = EventSource::default();
        take_connect(&mut s);
        assert_eq!(
            s.handle_response(t0, status, Some("text/event-stream")),
            Err(Error::BadStatus(status))
        );
        assert_eq!(
            drain(&mut s),
            [failed(Error::BadStatus(status))],
            "{status}"
        );
        assert_finished(&mut s, t0);
    }
}

#[test]
fn wrong_content_types_fail_without_reconnecting() {
    for content_type in [
        None,
        Some(""),
        Some("text/plain"),
        Some("text/html; charset=utf-8"),
        Some("application/octet-stream"),
        Some("text/event-stream-x"),
        Some("text/events-stream"),
        Some("text/event stream"),
        Some("text/event-stream, text/plain"),
        Some("*/*"),
    ] {
        let t0 = Instant::now();
        let mut s = EventSource::default();
        take_connect(&mut s);
        let error = Error::BadContentType(content_type.unwrap_or("").to_owned());
        assert_eq!(s.handle_response(t0, 200, content_type), Err(error.clone()));
        assert_eq!(s.ready_state(), ReadyState::Closed, "{content_type:?}");
        assert_eq!(drain(&mut s), [failed(error)]);
        assert_finished(&mut s, t0);
    }
}

#[test]
fn the_status_is_checked_before_the_content_type() {
    let t0 = Instant::now();
    let mut s = EventSource::default();
    take_connect(&mut s);
    assert_eq!(
        s.handle_response(t0, 404, Some("text/html")),
        Err(Error::BadStatus(404))
    );
}

#[test]
fn content_type_case_parameters_and_whitespace() {
    let t0 = Instant::now();
    for content_type in [
        "text/event-stream",
        "Text/Event-Stream",
        "TEXT/EVENT-STREAM",
        "text/event-stream;charset=utf-8",
        "text/event-stream; charset=UTF-8",
        "text/event-stream;charset=bogus",
        "text/event-stream;",
        "text/event-stream ;charset=utf-8",
        "  text/event-stream  ",
        "text/event-stream;foo",
        "text/event-stream; a=\"b;c,d\"",
        "text/plain, text/event-stream",
    ] {
        let mut s = EventSource::default();
        take_connect(&mut s);
        assert_eq!(
            s.handle_response(t0, 200, Some(content_type)),
            Ok(()),
            "{content_type:?}"
        );
        assert_eq!(s.ready_state(), ReadyState::Open);
        assert_eq!(drain(&mut s), [SourceEvent::Open]);
    }
}

#[test]
fn a_disconnect_while_connecting_also_reconnects() {
    let t0 = Instant::now();
    let mut s = EventSource::default();
    take_connect(&mut s);
    // A network error before any response.
    s.handle_disconnect(t0);
    assert_eq!(s.ready_state(), ReadyState::Connecting);
    assert_eq!(drain(&mut s), [reconnecting(ms(3000))]);
    assert_eq!(wait_out(&mut s, t0, ms(3000)).last_event_id(), None);

    // Once an event with an id was seen, failed attempts keep sending it.
    s.handle_response(t0, 200, Some("text/event-stream"))
        .unwrap();
    s.handle_data(t0, &mut BytesMut::from("id: a\ndata: x\n\n"))
        .unwrap();
    let t1 = t0 + ms(5000);
    s.handle_disconnect(t1);
    let mut at = t1;
    for _ in 0..3 {
        assert_eq!(wait_out(&mut s, at, ms(3000)).last_event_id(), Some("a"));
        at += ms(3000);
        s.handle_disconnect(at);
    }
    assert_eq!(
        drain(&mut s),
        [
            SourceEvent::Open,
            message("message", "x", "a"),
            reconnecting(ms(3000)),
            reconnecting(ms(3000)),
            reconnecting(ms(3000)),
            reconnecting(ms(3000)),
        ]
    );
}

#[test]
fn close_stops_everything_in_every_state() {
    let t0 = Instant::now();

    // Before the first Connect was handed out.
    let mut s = EventSource::default();
    s.close();
    assert_finished(&mut s, t0);

    // While the request is under way.
    let mut s = EventSource::default();
    take_connect(&mut s);
    s.close();
    assert_eq!(
        s.handle_response(t0, 200, Some("text/event-stream")),
        Err(Error::UnexpectedInput("response"))
    );
    assert_finished(&mut s, t0);

    // While open, with events not yet polled: they are not fired.
    let mut s = EventSource::default();
    take_connect(&mut s);
    s.handle_response(t0, 200, Some("text/event-stream"))
        .unwrap();
    s.handle_data(t0, &mut BytesMut::from("data: x\n\n"))
        .unwrap();
    s.close();
    assert_eq!(
        s.handle_data(t0, &mut BytesMut::from("data: y\n\n")),
        Err(Error::UnexpectedInput("body data"))
    );
    assert_finished(&mut s, t0);

    // While waiting to reconnect.
    let mut s = EventSource::default();
    take_connect(&mut s);
    s.handle_disconnect(t0);
    assert!(s.poll_timeout().is_some());
    s.close();
    assert_finished(&mut s, t0 + ms(3000));
}

#[test]
fn last_event_id_follows_dispatch() {
    let t0 = Instant::now();
    let mut s = EventSource::default();
    take_connect(&mut s);
    s.handle_response(t0, 200, Some("text/event-stream"))
        .unwrap();

    // An id with no data still sets the last event ID at its blank line.
    s.handle_data(t0, &mut BytesMut::from("id: quiet\n\n"))
        .unwrap();
    assert_eq!(s.last_event_id(), "quiet");
    // An id whose event never completes does not.
    s.handle_data(t0, &mut BytesMut::from("id: never\ndata: x\n"))
        .unwrap();
    assert_eq!(s.last_event_id(), "quiet");
    s.handle_disconnect(t0);
    assert_eq!(
        wait_out(&mut s, t0, ms(3000)).last_event_id(),
        Some("quiet")
    );

    // An empty id field resets it: no header at all.
    s.handle_response(t0, 200, Some("text/event-stream"))
        .unwrap();
    s.handle_data(t0, &mut BytesMut::from("id\ndata: x\n\n"))
        .unwrap();
    assert_eq!(s.last_event_id(), "");
    s.handle_disconnect(t0);
    let request = wait_out(&mut s, t0, ms(3000));
    assert_eq!(request.last_event_id(), None);
    assert!(request.headers().all(|(name, _)| name != "Last-Event-ID"));

    // Non-ASCII ids go out as they are.
    s.handle_response(t0, 200, Some("text/event-stream"))
        .unwrap();
    s.handle_data(t0, &mut BytesMut::from("id: é✓\n\n"))
        .unwrap();
    s.handle_disconnect(t0);
    assert_eq!(wait_out(&mut s, t0, ms(3000)).last_event_id(), Some("é✓"));
}

#[test]
fn retry_rules() {
    let t0 = Instant::now();
    let mut s = EventSource::new(EventSourceConfig::default().reconnection_time(ms(1234)));
    take_connect(&mut s);
    s.handle_disconnect(t0);
    wait_out(&mut s, t0, ms(1234));
    s.handle_response(t0, 200, Some("text/event-stream"))
        .unwrap();
    // Invalid values are ignored; a valid one applies at once, even in an
    // event that is never dispatched; the last one wins.
    s.handle_data(
        t0,
        &mut BytesMut::from("retry: 5x\nretry: -1\nretry:\nretry: 1.5\n"),
    )
    .unwrap();
    assert_eq!(s.reconnection_time(), ms(1234));
    s.handle_data(t0, &mut BytesMut::from("retry: 100\nretry: 250\ndata: cut"))
        .unwrap();
    assert_eq!(s.reconnection_time(), ms(250));
    s.handle_disconnect(t0);
    wait_out(&mut s, t0, ms(250));
    // It lasts across connections until changed again.
    s.handle_response(t0, 200, Some("text/event-stream"))
        .unwrap();
    s.handle_disconnect(t0);
    wait_out(&mut s, t0, ms(250));
    assert_eq!(
        drain(&mut s),
        [
            reconnecting(ms(1234)),
            SourceEvent::Open,
            reconnecting(ms(250)),
            SourceEvent::Open,
            reconnecting(ms(250)),
        ]
    );
}

#[test]
fn any_split_of_the_body_gives_the_same_events() {
    let t0 = Instant::now();
    let body: &[u8] = b"\xEF\xBB\xBFretry: 700\r\nid: 1\r\ndata: a\r\n\r\nevent: b\rdata: \xC3\xA9\r\rdata: c\n\n";
    let run = |sizes: &mut dyn Iterator<Item = usize>| {
        let mut s = EventSource::default();
        take_connect(&mut s);
        s.handle_response(t0, 200, Some("text/event-stream"))
            .unwrap();
        let mut buf = BytesMut::new();
        let mut rest = body;
        while !rest.is_empty() {
            let n = sizes.next().unwrap().clamp(1, rest.len());
            buf.extend_from_slice(&rest[..n]);
            rest = &rest[n..];
            s.handle_data(t0, &mut buf).unwrap();
        }
        (
            drain(&mut s),
            s.reconnection_time(),
            s.last_event_id().to_owned(),
        )
    };
    let whole = run(&mut std::iter::repeat(usize::MAX));
    assert_eq!(
        whole,
        (
            vec![
                SourceEvent::Open,
                message("message", "a", "1"),
                message("b", "é", "1"),
                message("message", "c", "1"),
            ],
            ms(700),
            "1".to_owned(),
        )
    );
    for size in 1..body.len() {
        assert_eq!(run(&mut std::iter::repeat(size)), whole, "pieces of {size}");
    }
    assert_eq!(
        run(&mut [3, 1, 4, 1, 5, 9, 2, 6].into_iter().cycle()),
        whole
    );
}

#[test]
fn a_driver_loop_against_a_scripted_server() {
    /// What the server does with the n-th request: status, content type,
    /// body, all sent at once, then the connection ends.
    fn server(n: usize, last_event_id: Option<&str>) -> (u16, Option<&'static str>, String) {
        match (n, last_event_id) {
            (0, None) => (200, Some("text/event-stream"), "id: 1\ndata: a\n\n".into()),
            // The network fails twice.
            (1 | 2, Some("1")) => (0, None, String::new()),
            (3, Some("1")) => (
                200,
                Some("text/event-stream;charset=utf-8"),
                "retry: 100\nid: 2\ndata: b\n\n".into(),
            ),
            (4, Some("2")) => (204, None, String::new()),
            other => panic!("unexpected request {other:?}"),
        }
    }

    let t0 = Instant::now();
    let mut now = t0;
    let mut s = EventSource::default();
    let mut connects = Vec::new();
    let mut fired = Vec::new();
    for _ in 0..100 {
        while let Some(Action::Connect(request)) = s.poll_action() {
            connects.push((now - t0, request.last_event_id().map(str::to_owned)));
            let (status, content_type, body) = server(connects.len() - 1, request.last_event_id());
            if status == 0 {
                s.handle_disconnect(now);
            } else if s.handle_response(t0, status, content_type).is_ok() {
                s.handle_data(t0, &mut BytesMut::from(body.as_str()))
                    .unwrap();
                now += ms(1);
                s.handle_disconnect(now);
            }
        }
        fired.extend(drain(&mut s));
        match s.poll_timeout() {
            Some(at) => {
                now = at;
                s.handle_timeout(now);
            }
            None => break,
        }
    }
    assert_eq!(s.ready_state(), ReadyState::Closed);
    assert_eq!(
        connects,
        [
            (ms(0), None),
            (ms(3001), Some("1".into())),
            (ms(6001), Some("1".into())),
            (ms(9001), Some("1".into())),
            (ms(9102), Some("2".into())),
        ]
    );
    assert_eq!(
        fired,
        [
            SourceEvent::Open,
            message("message", "a", "1"),
            reconnecting(ms(3000)),
            reconnecting(ms(3000)),
            reconnecting(ms(3000)),
            SourceEvent::Open,
            message("message", "b", "2"),
            reconnecting(ms(100)),
            failed(Error::BadStatus(204)),
        ]
    );
}

#[test]
fn backoff_and_max_retries_in_virtual_time() {
    let t0 = Instant::now();
    let mut s = EventSource::new(
        EventSourceConfig::default()
            .reconnection_time(ms(500))
            .max_backoff(Some(ms(3000)))
            .max_retries(Some(4)),
    );
    take_connect(&mut s);
    let mut now = t0;
    let mut waits = Vec::new();
    loop {
        s.handle_disconnect(now);
        let Some(at) = s.poll_timeout() else { break };
        waits.push(at - now);
        now = at;
        s.handle_timeout(now);
        take_connect(&mut s);
    }
    assert_eq!(waits, [ms(500), ms(1000), ms(2000), ms(3000)]);
    assert_eq!(
        drain(&mut s).last(),
        Some(&SourceEvent::Error {
            reason: ErrorReason::Disconnected,
            reconnect_in: None,
        })
    );
    assert_finished(&mut s, now);
}

/// The answer each error carries is what the EventSource did: a refused
/// response or a broken limit fails the connection (a peer fault, no
/// reconnection); misuse leaves the connection alone.
#[test]
fn errors_carry_what_the_event_source_did() {
    use rtw_sse::ConnectionAnswer;
    let t0 = Instant::now();
    let limits = rtw_sse::Limits::default().max_line_len(4);
    let config = EventSourceConfig::default().decoder(rtw_sse::Config::default().limits(limits));
    let refusals: [(u16, Option<&str>, &[u8]); 3] = [
        (204, None, b""),
        (200, Some("text/html"), b""),
        (200, Some("text/event-stream"), b"data: too long\n\n"),
    ];
    for (status, content_type, body) in refusals {
        let mut s = EventSource::new(config.clone());
        take_connect(&mut s);
        let error = match s.handle_response(t0, status, content_type) {
            Err(error) => error,
            Ok(()) => s
                .handle_data(t0, &mut BytesMut::from(body))
                .expect_err("the line passes the limit"),
        };
        assert!(error.is_peer_fault(), "{error}");
        assert_eq!(error.connection_answer(), Some(ConnectionAnswer::Fail));
        assert!(!error.reconnects());
        assert_eq!(s.ready_state(), ReadyState::Closed, "{error}");
        assert_eq!(drain(&mut s).last(), Some(&failed(error)));
        assert_finished(&mut s, t0);
    }

    // Misuse: a second response, data before a response. Nothing changes.
    let mut s = EventSource::default();
    let misuse = s
        .handle_data(t0, &mut BytesMut::from("data: x\n\n"))
        .unwrap_err();
    assert!(!misuse.is_peer_fault());
    assert_eq!(misuse.connection_answer(), None);
    assert_eq!(s.ready_state(), ReadyState::Connecting);
    take_connect(&mut s);
    s.handle_response(t0, 200, Some("text/event-stream"))
        .unwrap();
    let misuse = s
        .handle_response(t0, 200, Some("text/event-stream"))
        .unwrap_err();
    assert!(!misuse.is_peer_fault());
    assert_eq!(s.ready_state(), ReadyState::Open);
    for misuse in [
        rtw_sse::EventName::new("a\nb").unwrap_err(),
        rtw_sse::EventId::new("a\rb").unwrap_err(),
        rtw_sse::EventId::new("a\0b").unwrap_err(),
    ] {
        assert!(!misuse.is_peer_fault(), "{misuse}");
        assert_eq!(misuse.connection_answer(), None);
    }
}
