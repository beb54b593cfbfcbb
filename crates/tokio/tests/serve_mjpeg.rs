//! `GET /mjpeg?fps=F` of `rtw_tokio::serve::ServeService` on a real hyper
//! server on 127.0.0.1, read with hyper's client and decoded with
//! rtw-multipart: whole JPEG frames that differ, at about F a second.
#![cfg(feature = "serve")]

mod serve_support;

use std::time::{Duration, Instant};

use bytes::BytesMut;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use rtw_hub::Config as HubConfig;
use rtw_multipart::{Boundary, Decoder, Item, Part};
use rtw_tokio::serve::{ServeConfig, ServeService, SharedHub};
use tokio::net::TcpStream;
use tokio::time::timeout;

#[tokio::test]
async fn mjpeg_streams_jpeg_parts_at_the_rate_asked() {
    let service = ServeService::new(ServeConfig::default(), SharedHub::new(HubConfig::default()));
    let addr = serve_support::serve(service).await;

    let tcp = TcpStream::connect(addr).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
        .await
        .unwrap();
    tokio::spawn(connection);
    let request = hyper::Request::get("/mjpeg?fps=10")
        .header("host", addr.to_string())
        .body(Empty::<bytes::Bytes>::new())
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().unwrap();
    assert!(content_type.starts_with("multipart/x-mixed-replace"));
    let boundary = Boundary::from_content_type(content_type).unwrap();

    let mut body = response.into_body();
    let mut decoder = Decoder::new(boundary);
    let mut wire = BytesMut::new();
    let mut parts: Vec<Part> = Vec::new();
    let start = Instant::now();
    while parts.len() < 21 {
        match decoder.decode(&mut wire).unwrap() {
            Some(Item::Part(part)) => parts.push(part),
            Some(other) => panic!("the stream does not end: {other:?}"),
            None => {
                let frame = timeout(Duration::from_secs(10), body.frame())
                    .await
                    .expect("a frame in time")
                    .unwrap()
                    .unwrap();
                if let Ok(data) = frame.into_data() {
                    wire.extend_from_slice(&data);
                }
            }
        }
    }
    let elapsed = start.elapsed();
    // 20 periods of 100 ms after the first frame.
    assert!(
        elapsed >= Duration::from_millis(1900) && elapsed < Duration::from_secs(5),
        "{elapsed:?}"
    );
    for part in &parts {
        assert_eq!(part.content_type(), Some("image/jpeg"));
        assert_eq!(part.content_length(), Some(part.body.len() as u64));
        assert!(part.body.starts_with(&[0xFF, 0xD8]) && part.body.ends_with(&[0xFF, 0xD9]));
    }
    for pair in parts.windows(2) {
        assert_ne!(pair[0].body, pair[1].body);
    }
}
