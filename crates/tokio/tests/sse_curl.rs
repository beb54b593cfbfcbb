//! curl, an independent HTTP/1.1 client, reads an `EventStream` response
//! body served by hyper: with `-N` each event reaches it as it is sent, the
//! exact bytes of our serializer, and keep-alive comments fill silences.
#![cfg(feature = "sse")]

mod sse_support;

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{StreamExt, stream};
use http::StatusCode;
use rtw_tokio::sse::{EventStream, KeepAlive, Message, last_event_id};
use sse_support::{events, plain, require_tool, serve, within};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

fn curl(url: &str, extra: &[&str]) -> Child {
    Command::new("curl")
        .args(["-N", "-s", "-S", "--max-time", "15"])
        .args(extra)
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawning curl")
}

/// Lines of curl's stdout up to and including the next blank one.
async fn read_block(
    lines: &mut tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
) -> Vec<String> {
    let mut block = Vec::new();
    loop {
        let line = within("a line from curl", lines.next_line())
            .await
            .unwrap()
            .expect("curl's output ended early");
        let blank = line.trim_end_matches('\r').is_empty();
        block.push(line);
        if blank {
            return block;
        }
    }
}

#[tokio::test]
async fn curl_n_gets_each_event_as_it_is_sent() {
    require_tool("curl");
    // The test hands the server one message at a time.
    let (tx, rx) = mpsc::unbounded_channel::<Message>();
    let rx = Arc::new(Mutex::new(Some(rx)));
    let seen_ids = Arc::new(Mutex::new(Vec::new()));
    let (rx2, seen2) = (rx.clone(), seen_ids.clone());
    let addr = serve(move |request| {
        let rx = rx2.lock().unwrap().take();
        seen2
            .lock()
            .unwrap()
            .push(last_event_id(request.headers()).map(str::to_owned));
        async move {
            let Some(rx) = rx else {
                return plain(StatusCode::NO_CONTENT, "text/plain", "");
            };
            let messages = stream::unfold(rx, |mut rx| async { rx.recv().await.map(|m| (m, rx)) });
            events(EventStream::new(messages))
        }
    })
    .await;

    let mut child = curl(
        &format!("http://{addr}/events"),
        &["-i", "-H", "Last-Event-ID: 41"],
    );
    // curl prints the head with the first piece of body.
    tx.send(Message::new("hello").id("42").unwrap().retry(2500))
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let head = read_block(&mut lines).await;
    assert_eq!(head[0].trim_end(), "HTTP/1.1 200 OK");
    let head = head.join("\n").to_ascii_lowercase();
    assert!(head.contains("content-type: text/event-stream"), "{head}");
    assert!(head.contains("cache-control: no-store"), "{head}");
    assert!(head.contains("transfer-encoding: chunked"), "{head}");
    assert_eq!(*seen_ids.lock().unwrap(), [Some("41".to_owned())]);
    // Each event arrives before the next is even made.
    assert_eq!(
        read_block(&mut lines).await,
        ["data: hello", "id: 42", "retry: 2500", ""]
    );
    tx.send(
        Message::new("line one\r\nline two\n\nfour")
            .event("multi")
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        read_block(&mut lines).await,
        [
            "event: multi",
            "data: line one",
            "data: line two",
            "data: ",
            "data: four",
            ""
        ]
    );
    tx.send(Message::new("  ünïcødé ✓ 日本語 🎉").id("43").unwrap())
        .unwrap();
    assert_eq!(
        read_block(&mut lines).await,
        ["data:   ünïcødé ✓ 日本語 🎉", "id: 43", ""]
    );
    // The end of the message stream ends the body, and curl with it.
    drop(tx);
    assert_eq!(within("curl's end", lines.next_line()).await.unwrap(), None);
    let status = within("curl's exit", child.wait()).await.unwrap();
    assert!(status.success(), "curl: {status}");
}

#[tokio::test]
async fn curl_sees_keep_alive_comments_in_silences() {
    require_tool("curl");
    let addr = serve(|_| async {
        // One event, 450 ms of silence, one event, the end.
        let messages = stream::iter([Message::new("first")]).chain(stream::once(async {
            tokio::time::sleep(Duration::from_millis(450)).await;
            Message::new("second")
        }));
        events(
            EventStream::new(messages).keep_alive(
                KeepAlive::new()
                    .interval(Duration::from_millis(100))
                    .text("ka"),
            ),
        )
    })
    .await;
    let mut child = curl(&format!("http://{addr}/"), &[]);
    let mut out = String::new();
    within(
        "curl's output",
        child.stdout.take().unwrap().read_to_string(&mut out),
    )
    .await
    .unwrap();
    assert!(within("curl's exit", child.wait()).await.unwrap().success());
    let comments = out.matches(": ka\n").count();
    let expected = out.replace(": ka\n", "");
    assert_eq!(expected, "data: first\n\ndata: second\n\n", "{out:?}");
    assert!(out.starts_with("data: first\n\n: ka\n"), "{out:?}");
    // 4 silences of 100 ms fit in 450 ms; leave room for a slow machine.
    assert!(
        (2..=4).contains(&comments),
        "{comments} comments in {out:?}"
    );
}
