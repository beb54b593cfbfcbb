//! Split halves (`WebSocketStream::split`): the reader answers pings while
//! the writer is idle, a close from the writer is seen by the reader, and
//! the halves work from two tasks on two threads.
#![cfg(feature = "ws")]

mod ws_support;

use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use rtw_tokio::ws::{CloseCode, CloseFrame, Message, Options, connect};
use ws_support::{echo, serve_one, url, within};

#[tokio::test]
async fn an_idle_writer_does_not_stop_pongs_and_its_close_reaches_the_reader() {
    let (addr, server) = serve_one(Options::default(), |mut ws| async move {
        for i in 0..3u8 {
            ws.send(Message::Ping(Bytes::from(vec![i; 3])))
                .await
                .unwrap();
            let pong = within("pong", ws.next()).await.unwrap().unwrap();
            assert_eq!(pong, Message::Pong(Bytes::from(vec![i; 3])));
        }
        ws.send(Message::text("pings done")).await.unwrap();
        let mut rest = Vec::new();
        while let Some(m) = within("server read", ws.next()).await {
            rest.push(m.unwrap());
        }
        rest
    })
    .await;
    let (ws, _) = within("connect", connect(&url(addr))).await.unwrap();
    let (mut reader, mut writer) = ws.split();
    let reading = tokio::spawn(async move {
        let mut seen = Vec::new();
        while let Some(m) = within("client read", reader.next()).await {
            seen.push(m.unwrap());
        }
        seen
    });
    // The writer stays idle until the server is done pinging.
    tokio::time::sleep(Duration::from_millis(200)).await;
    within("close", writer.close()).await.unwrap();
    let seen = within("reader", reading).await.unwrap();
    let pings: Vec<_> = (0..3u8)
        .map(|i| Message::Ping(Bytes::from(vec![i; 3])))
        .collect();
    assert_eq!(&seen[..3], &pings[..]);
    assert_eq!(seen[3], Message::text("pings done"));
    assert_eq!(
        seen[4..],
        [Message::Close(Some(CloseFrame::new(CloseCode::NORMAL, "")))],
        "the reader sees the server's reply to the writer's close, then ends"
    );
    let rest = within("server", server).await.unwrap();
    assert_eq!(
        rest,
        [Message::Close(Some(CloseFrame::new(CloseCode::NORMAL, "")))]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn halves_on_two_threads_keep_order_under_load_and_pings() {
    let (addr, server) = serve_one(Options::default(), |ws| async move {
        // Echo, and ping the client every 50 messages.
        let (mut reader, mut writer) = ws.split();
        let mut count = 0u32;
        while let Some(m) = within("server read", reader.next()).await {
            match m.unwrap() {
                m @ (Message::Text(_) | Message::Binary(_)) => {
                    writer.send(m).await.unwrap();
                    count += 1;
                    if count % 50 == 0 {
                        writer
                            .send(Message::Ping(Bytes::from(count.to_string())))
                            .await
                            .unwrap();
                    }
                }
                Message::Pong(_) | Message::Close(_) => {}
                other => panic!("unexpected {other:?}"),
            }
        }
        count
    })
    .await;
    let (ws, _) = within("connect", connect(&url(addr))).await.unwrap();
    let (mut reader, mut writer) = ws.split();
    let total = 1500u32;
    let size = |i: u32| ((i * 7919) % 70_000) as usize;
    let writing = tokio::spawn(async move {
        for i in 0..total {
            let body = vec![(i % 251) as u8; size(i)];
            writer.feed(Message::binary(body)).await.unwrap();
        }
        writer.flush().await.unwrap();
        writer
    });
    let mut pings = 0;
    let mut got = 0u32;
    while got < total {
        match within("echo", reader.next()).await.unwrap().unwrap() {
            Message::Binary(b) => {
                assert_eq!(b.len(), size(got), "message {got}");
                assert!(b.iter().all(|&x| x == (got % 251) as u8), "message {got}");
                got += 1;
            }
            Message::Ping(_) => pings += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    let mut writer = within("writer", writing).await.unwrap();
    within("close", writer.close()).await.unwrap();
    while let Some(m) = within("rest", reader.next()).await {
        if let Message::Ping(_) = m.unwrap() {
            pings += 1;
        }
    }
    assert_eq!(pings, total / 50);
    assert_eq!(within("server", server).await.unwrap(), total);
}

#[tokio::test]
async fn halves_reunite_only_with_their_pair() {
    let (addr_a, server_a) = serve_one(Options::default(), echo).await;
    let (addr_b, server_b) = serve_one(Options::default(), echo).await;
    let (a, _) = connect(&url(addr_a)).await.unwrap();
    let (b, _) = connect(&url(addr_b)).await.unwrap();
    let (ra, wa) = a.split();
    let (rb, wb) = b.split();
    assert!(wa.is_pair_of(&ra) && !wa.is_pair_of(&rb));
    let (ra, wb) = ra.reunite(wb).unwrap_err();
    let mut a = ra.reunite(wa).unwrap();
    let mut b = rb.reunite(wb).unwrap();
    for ws in [&mut a, &mut b] {
        ws.send(Message::text("whole again")).await.unwrap();
        assert_eq!(
            within("echo", ws.next()).await.unwrap().unwrap(),
            Message::text("whole again")
        );
        ws.close().await.unwrap();
    }
    within("server a", server_a).await.unwrap();
    within("server b", server_b).await.unwrap();
}
