use super::*;
use crate::{Config, Event, Limits};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Hand out the due Connect and return its Last-Event-ID.
fn connect(source: &mut EventSource) -> Option<String> {
    match source.poll_action() {
        Some(Action::Connect(request)) => request.last_event_id,
        None => panic!("no Connect due in {:?}", source.phase),
    }
}

fn open(source: &mut EventSource) {
    let t0 = Instant::now();
    connect(source);
    source
        .handle_response(t0, 200, Some("text/event-stream"))
        .unwrap();
    assert_eq!(source.poll_event(), Some(SourceEvent::Open));
}

fn events(source: &mut EventSource) -> Vec<SourceEvent> {
    std::iter::from_fn(|| source.poll_event()).collect()
}

fn reconnecting(delay: Duration) -> SourceEvent {
    SourceEvent::Error {
        reason: ErrorReason::Disconnected,
        reconnect_in: Some(delay),
    }
}

#[test]
fn phases_and_ready_states() {
    let t0 = Instant::now();
    let mut s = EventSource::default();
    assert_eq!(
        (s.phase, s.ready_state()),
        (Phase::Due, ReadyState::Connecting)
    );
    connect(&mut s);
    assert_eq!(
        (s.phase, s.ready_state()),
        (Phase::Fetching, ReadyState::Connecting)
    );
    assert_eq!(s.poll_action(), None, "a Connect is handed out once");
    s.handle_response(t0, 200, Some("text/event-stream"))
        .unwrap();
    assert_eq!((s.phase, s.ready_state()), (Phase::Open, ReadyState::Open));
    s.handle_disconnect(t0);
    assert_eq!(s.phase, Phase::Waiting(Some(t0 + ms(3000))));
    assert_eq!(s.ready_state(), ReadyState::Connecting);
    s.close();
    assert_eq!(
        (s.phase, s.ready_state()),
        (Phase::Closed, ReadyState::Closed)
    );
    assert_eq!(ReadyState::Connecting as u16, 0);
    assert_eq!(ReadyState::Open as u16, 1);
    assert_eq!(ReadyState::Closed as u16, 2);
}

#[test]
fn backoff_doubles_after_failed_attempts_up_to_the_cap_and_resets_on_open() {
    let t0 = Instant::now();
    let mut s = EventSource::new(EventSourceConfig {
        reconnection_time: ms(1000),
        max_backoff: Some(ms(5000)),
        ..EventSourceConfig::default()
    });
    open(&mut s);
    let mut waits = Vec::new();
    for _ in 0..6 {
        s.handle_disconnect(t0);
        let Some(SourceEvent::Error { reconnect_in, .. }) = s.poll_event() else {
            panic!()
        };
        assert_eq!(s.poll_timeout(), Some(t0 + reconnect_in.unwrap()));
        waits.push(reconnect_in.unwrap());
        s.handle_timeout(t0 + reconnect_in.unwrap());
        connect(&mut s);
    }
    assert_eq!(
        waits,
        [ms(1000), ms(2000), ms(4000), ms(5000), ms(5000), ms(5000)]
    );
    s.handle_response(t0, 200, Some("text/event-stream"))
        .unwrap();
    s.handle_disconnect(t0);
    assert_eq!(
        s.poll_timeout(),
        Some(t0 + ms(1000)),
        "an accepted response resets"
    );
}

#[test]
fn backoff_never_waits_less_than_the_reconnection_time_and_saturates() {
    let mut s = EventSource::new(EventSourceConfig {
        reconnection_time: ms(1000),
        max_backoff: Some(ms(10)),
        ..EventSourceConfig::default()
    });
    s.retries = 3;
    assert_eq!(s.next_delay(), ms(1000));
    s.max_backoff = Some(Duration::MAX);
    s.retries = 40;
    assert_eq!(s.next_delay(), ms(1000) * u32::MAX);
    s.reconnection_time = Duration::MAX;
    assert_eq!(s.next_delay(), Duration::MAX);
    s.max_backoff = None;
    s.reconnection_time = ms(7);
    assert_eq!(s.next_delay(), ms(7), "no backoff by default");
}

#[test]
fn max_retries_counts_reconnections_in_a_row() {
    let t0 = Instant::now();
    let mut s = EventSource::new(EventSourceConfig {
        max_retries: Some(2),
        ..EventSourceConfig::default()
    });
    // The first attempt fails, then two reconnections: then it gives up.
    for _ in 0..2 {
        connect(&mut s);
        s.handle_disconnect(t0);
        assert_eq!(events(&mut s), [reconnecting(ms(3000))]);
        s.handle_timeout(t0 + ms(3000));
    }
    connect(&mut s);
    s.handle_disconnect(t0);
    assert_eq!(s.ready_state(), ReadyState::Closed);
    assert_eq!(
        events(&mut s),
        [SourceEvent::Error {
            reason: ErrorReason::Disconnected,
            reconnect_in: None
        }]
    );
    assert_eq!((s.poll_action(), s.poll_timeout()), (None, None));
}

#[test]
fn an_accepted_response_restores_the_retries() {
    let t0 = Instant::now();
    let mut s = EventSource::new(EventSourceConfig {
        max_retries: Some(1),
        ..EventSourceConfig::default()
    });
    for _ in 0..5 {
        open(&mut s);
        s.handle_disconnect(t0);
        assert_eq!(events(&mut s), [reconnecting(ms(3000))]);
        s.handle_timeout(t0 + ms(3000));
    }
    connect(&mut s);
    s.handle_disconnect(t0);
    assert_eq!(s.ready_state(), ReadyState::Closed);
}

#[test]
fn zero_max_retries_never_reconnects() {
    let mut s = EventSource::new(EventSourceConfig {
        max_retries: Some(0),
        ..EventSourceConfig::default()
    });
    open(&mut s);
    s.handle_disconnect(Instant::now());
    assert_eq!(s.ready_state(), ReadyState::Closed);
}

#[test]
fn the_longest_retry_does_not_panic() {
    let t0 = Instant::now();
    let mut s = EventSource::default();
    open(&mut s);
    s.handle_data(t0, &mut BytesMut::from("retry: 99999999999999999999999\n"))
        .unwrap();
    assert_eq!(s.reconnection_time(), ms(u64::MAX), "the parser saturates");
    s.handle_disconnect(t0);
    assert_eq!(events(&mut s), [reconnecting(ms(u64::MAX))]);
    assert_eq!(s.ready_state(), ReadyState::Connecting);
    assert_eq!(s.poll_timeout(), t0.checked_add(ms(u64::MAX)));
}

#[test]
fn a_wait_too_long_for_an_instant_never_ends() {
    let t0 = Instant::now();
    let mut s = EventSource::new(EventSourceConfig {
        reconnection_time: Duration::MAX,
        ..EventSourceConfig::default()
    });
    connect(&mut s);
    s.handle_disconnect(t0);
    assert_eq!(events(&mut s), [reconnecting(Duration::MAX)]);
    assert_eq!(s.ready_state(), ReadyState::Connecting);
    assert_eq!(s.poll_timeout(), None);
    s.handle_timeout(t0 + Duration::from_secs(1 << 40));
    assert_eq!(s.poll_action(), None);
    assert_eq!(s.phase, Phase::Waiting(None));
}

#[test]
fn zero_retry_reconnects_at_the_disconnect_instant() {
    let t0 = Instant::now();
    let mut s = EventSource::default();
    open(&mut s);
    s.handle_data(t0, &mut BytesMut::from("retry: 0\n"))
        .unwrap();
    s.handle_disconnect(t0);
    assert_eq!(s.poll_timeout(), Some(t0));
    s.handle_timeout(t0);
    assert_eq!(connect(&mut s), None);
}

#[test]
fn inputs_for_no_connection_change_nothing() {
    let t0 = Instant::now();
    let mut s = EventSource::default();
    let unexpected_response = Err(Error::UnexpectedInput("response"));
    let unexpected_data = Err(Error::UnexpectedInput("body data"));
    let mut data = BytesMut::from("data: x\n\n");
    // Due: nothing handed out yet.
    assert_eq!(
        s.handle_response(t0, 200, Some("text/event-stream")),
        unexpected_response
    );
    s.handle_disconnect(t0);
    assert_eq!(s.phase, Phase::Due);
    // Fetching: no body before the head.
    connect(&mut s);
    assert_eq!(s.handle_data(t0, &mut data), unexpected_data);
    assert_eq!(&data[..], b"data: x\n\n", "nothing consumed");
    s.handle_response(t0, 200, Some("text/event-stream"))
        .unwrap();
    // Open: no second head.
    assert_eq!(
        s.handle_response(t0, 200, Some("text/event-stream")),
        unexpected_response
    );
    s.handle_disconnect(t0);
    events(&mut s);
    // Waiting: stale data, responses and disconnects.
    assert_eq!(s.handle_data(t0, &mut data), unexpected_data);
    assert_eq!(
        s.handle_response(t0, 200, Some("text/event-stream")),
        unexpected_response
    );
    s.handle_disconnect(t0 + ms(1000));
    assert_eq!(
        s.poll_timeout(),
        Some(t0 + ms(3000)),
        "the wait is not restarted"
    );
    assert_eq!(s.poll_event(), None);
    // Closed.
    s.close();
    assert_eq!(s.handle_data(t0, &mut data), unexpected_data);
    assert_eq!(
        s.handle_response(t0, 200, Some("text/event-stream")),
        unexpected_response
    );
    s.handle_disconnect(t0);
    s.handle_timeout(t0 + ms(3000));
    assert_eq!(
        (s.poll_action(), s.poll_timeout(), s.poll_event()),
        (None, None, None)
    );
}

#[test]
fn close_drops_queued_events() {
    let t0 = Instant::now();
    let mut s = EventSource::default();
    open(&mut s);
    s.handle_data(t0, &mut BytesMut::from("data: a\n\ndata: b\n\n"))
        .unwrap();
    s.close();
    assert_eq!(s.poll_event(), None);
}

#[test]
fn a_limit_fails_the_connection_after_the_events_before_it() {
    let t0 = Instant::now();
    let mut s = EventSource::new(EventSourceConfig {
        decoder: Config {
            limits: Limits {
                max_line_len: 16,
                ..Limits::default()
            },
            ..Config::default()
        },
        ..EventSourceConfig::default()
    });
    open(&mut s);
    let mut data = BytesMut::from("data: short\n\ndata: far too long a line\n\n");
    let error = Error::LineTooLong { limit: 16 };
    assert_eq!(s.handle_data(t0, &mut data), Err(error.clone()));
    assert_eq!(s.ready_state(), ReadyState::Closed);
    assert_eq!(
        events(&mut s),
        [
            SourceEvent::Message(Event::new("short")),
            SourceEvent::Error {
                reason: ErrorReason::Rejected(error),
                reconnect_in: None,
            },
        ]
    );
    s.handle_disconnect(t0);
    assert_eq!((s.poll_action(), s.poll_timeout()), (None, None));
}

#[test]
fn comments_only_when_configured() {
    let t0 = Instant::now();
    let mut plain = EventSource::default();
    open(&mut plain);
    plain
        .handle_data(t0, &mut BytesMut::from(": ping\n"))
        .unwrap();
    assert_eq!(plain.poll_event(), None);

    let mut with = EventSource::new(EventSourceConfig {
        decoder: Config {
            comments: true,
            ..Config::default()
        },
        ..EventSourceConfig::default()
    });
    open(&mut with);
    with.handle_data(t0, &mut BytesMut::from(": ping\n"))
        .unwrap();
    assert_eq!(
        with.poll_event(),
        Some(SourceEvent::Comment(" ping".into()))
    );
}

#[test]
fn a_cut_event_is_discarded_and_the_next_stream_starts_clean() {
    let t0 = Instant::now();
    let mut s = EventSource::default();
    open(&mut s);
    // An event without its blank line, with an id that was never
    // committed, and a BOM state already past.
    s.handle_data(t0, &mut BytesMut::from("data: cut\nid: 9\n"))
        .unwrap();
    s.handle_disconnect(t0);
    assert_eq!(events(&mut s), [reconnecting(ms(3000))]);
    s.handle_timeout(t0 + ms(3000));
    assert_eq!(connect(&mut s), None, "the uncommitted id is not sent");
    s.handle_response(t0, 200, Some("text/event-stream"))
        .unwrap();
    s.handle_data(t0, &mut BytesMut::from("\u{feff}data: new\n\n"))
        .unwrap();
    assert_eq!(
        events(&mut s),
        [SourceEvent::Open, SourceEvent::Message(Event::new("new")),]
    );
}

#[test]
fn headers_of_a_reconnection() {
    let request = ConnectRequest {
        last_event_id: Some("41".into()),
    };
    let headers: Vec<_> = request.headers().collect();
    assert_eq!(
        headers,
        [
            ("Accept", "text/event-stream"),
            ("Cache-Control", "no-cache"),
            ("Pragma", "no-cache"),
            ("Last-Event-ID", "41"),
        ]
    );
}
