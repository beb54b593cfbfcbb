//! Headless Chromium's `EventSource`, a real browser client, reads event
//! streams that `EventStream` serves through hyper: plain, multi-line, named
//! and UTF-8 events, keep-alive comments and `retry`; after the server ends
//! the first response it reconnects with `Last-Event-ID` and gets the rest.
//! The page reports what it received by POSTing JSON back to the server.
#![cfg(feature = "sse")]

mod sse_support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{StreamExt, stream};
use http::{Method, StatusCode};
use http_body_util::BodyExt;
use rtw_testkit::Chromium;
use rtw_tokio::sse::{EventStream, KeepAlive, Message, last_event_id};
use serde_json::{Value, json};
use sse_support::{events, plain, serve};
use tokio::sync::mpsc;

/// How long Chromium gets to start, load the page, reconnect and report.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(60);

/// The page: one EventSource, every event it fires recorded in order, the
/// record POSTed to `/report` after the `done` event.
const PAGE: &str = r#"<!doctype html>
<meta charset="utf-8">
<title>rtw sse</title>
<script>
const got = [];
let opens = 0, errors = 0;
const source = new EventSource('/events');
const record = (e) => got.push({type: e.type, data: e.data, lastEventId: e.lastEventId});
source.onopen = () => { opens += 1; };
source.onerror = () => { errors += 1; };
source.onmessage = record;
source.addEventListener('greeting', record);
source.addEventListener('done', (e) => {
  record(e);
  source.close();
  fetch('/report', {
    method: 'POST',
    headers: {'Content-Type': 'application/json'},
    body: JSON.stringify({events: got, opens, errors, readyState: source.readyState}),
  });
});
</script>
"#;

const UTF8: &str = "héllo wörld ✓ 日本語 🎉";

/// Events 1 and 2 (the first response, which then ends), and 3 to 6 (the
/// response to `Last-Event-ID: 2`, which stays open).
fn first_part() -> Vec<Message> {
    vec![
        Message::new("hello").id("1").unwrap().retry(100),
        Message::new("line one\n\n line three").id("2").unwrap(),
    ]
}

fn second_part() -> Vec<Message> {
    vec![
        // No listener for this type: the page must not see it.
        Message::new("nobody listens")
            .event("ignored")
            .unwrap()
            .id("3")
            .unwrap(),
        Message::new("named")
            .event("greeting")
            .unwrap()
            .id("4")
            .unwrap(),
        Message::new(UTF8).id("5").unwrap(),
        Message::new("bye").event("done").unwrap().id("6").unwrap(),
    ]
}

#[tokio::test]
async fn chromium_event_source_reads_our_stream_and_resumes_after_the_last_id() {
    let requests = Arc::new(Mutex::new(Vec::<Option<String>>::new()));
    let (report_tx, mut report_rx) = mpsc::unbounded_channel::<Vec<u8>>();
    let seen = requests.clone();
    let addr = serve(move |request| {
        let (seen, report_tx) = (seen.clone(), report_tx.clone());
        async move {
            match (request.method(), request.uri().path()) {
                (&Method::GET, "/") => plain(StatusCode::OK, "text/html; charset=utf-8", PAGE),
                (&Method::GET, "/events") => {
                    let last = last_event_id(request.headers()).map(str::to_owned);
                    seen.lock().unwrap().push(last.clone());
                    let keep_alive = KeepAlive::new().interval(Duration::from_millis(50));
                    match last.as_deref() {
                        None => events(
                            EventStream::new(stream::iter(first_part())).keep_alive(keep_alive),
                        ),
                        Some("2") => events(
                            EventStream::new(stream::iter(second_part()).chain(stream::pending()))
                                .keep_alive(keep_alive),
                        ),
                        // 204 tells an EventSource to stop reconnecting.
                        Some(_) => plain(StatusCode::NO_CONTENT, "text/plain", ""),
                    }
                }
                (&Method::POST, "/report") => {
                    let body = request.into_body().collect().await.unwrap().to_bytes();
                    report_tx.send(body.to_vec()).unwrap();
                    plain(StatusCode::NO_CONTENT, "text/plain", "")
                }
                _ => plain(StatusCode::NOT_FOUND, "text/plain", "not found"),
            }
        }
    })
    .await;

    let mut browser = Chromium::launch(&format!("http://{addr}/"));
    let report = tokio::time::timeout(BROWSER_TIMEOUT, report_rx.recv()).await;
    browser.kill();
    let Ok(Some(report)) = report else {
        panic!(
            "no report from the page within {BROWSER_TIMEOUT:?}; /events requests: {:?}; chromium's log:\n{}",
            requests.lock().unwrap(),
            browser.log()
        );
    };
    let report: Value = serde_json::from_slice(&report).expect("the report is JSON");

    let event = |t: &str, data: &str, id: &str| json!({"type": t, "data": data, "lastEventId": id});
    assert_eq!(
        report["events"],
        json!([
            event("message", "hello", "1"),
            event("message", "line one\n\n line three", "2"),
            event("greeting", "named", "4"),
            event("message", UTF8, "5"),
            event("done", "bye", "6"),
        ]),
        "{report:#}"
    );
    // Two connections opened; the end of the first fired one error event.
    assert_eq!(report["opens"], 2, "{report:#}");
    assert_eq!(report["errors"], 1, "{report:#}");
    assert_eq!(report["readyState"], 2, "CLOSED after close(): {report:#}");
    // The reconnection carried the last event id.
    assert_eq!(*requests.lock().unwrap(), [None, Some("2".to_owned())]);
}
