//! Helpers for the Server-Sent Events tests: a hyper HTTP/1.1 server on an
//! ephemeral loopback port, a guard for required tools, and timeouts.
#![allow(dead_code)]

use std::convert::Infallible;
use std::error::Error;
use std::future::Future;
use std::net::SocketAddr;

use bytes::Bytes;
use futures_util::Stream;
use http::{Request, Response, StatusCode};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use rtw_tokio::sse::{EventStream, Message};
use tokio::net::TcpListener;

/// Bounded waits and required tools come from `rtw_testkit`.
#[allow(unused_imports)]
pub(crate) use rtw_testkit::{TIMEOUT, require_tool, within};

/// What a handler's body may fail with: a failure makes hyper abort the
/// connection mid-body.
pub(crate) type BoxError = Box<dyn Error + Send + Sync>;

/// The response body of the test servers.
pub(crate) type Body = UnsyncBoxBody<Bytes, BoxError>;

/// Serve HTTP/1.1 with `handler` on 127.0.0.1 (an ephemeral port) until
/// the test's runtime ends.
pub(crate) async fn serve<F, Fut>(handler: F) -> SocketAddr
where
    F: Fn(Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Response<Body>> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            let handler = handler.clone();
            let service = service_fn(move |request| {
                let response = handler(request);
                async move { Ok::<_, Infallible>(response.await) }
            });
            tokio::spawn(async move {
                // Aborted bodies and clients that go away end here.
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(tcp), service)
                    .await;
            });
        }
    });
    addr
}

/// An event-stream response for `messages` (keep-alive as given).
pub(crate) fn events<S>(stream: EventStream<S>) -> Response<Body>
where
    S: Stream<Item = Message> + Send + 'static,
{
    stream
        .into_response()
        .map(|body| body.map_err(|never| match never {}).boxed_unsync())
}

/// A response with `status`, `content_type` and `body`.
pub(crate) fn plain(
    status: StatusCode,
    content_type: &str,
    body: impl Into<Bytes>,
) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(
            Full::new(body.into())
                .map_err(|never| match never {})
                .boxed_unsync(),
        )
        .unwrap()
}
