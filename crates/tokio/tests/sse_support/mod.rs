//! Helpers for the Server-Sent Events tests: a hyper HTTP/1.1 server on an
//! ephemeral loopback port, a guard for required tools, and timeouts.
#![allow(dead_code)]

use std::convert::Infallible;
use std::error::Error;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

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

/// Upper bound for any one step of a test.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(20);

/// What a handler's body may fail with: a failure makes hyper abort the
/// connection mid-body.
pub(crate) type BoxError = Box<dyn Error + Send + Sync>;

/// The response body of the test servers.
pub(crate) type Body = UnsyncBoxBody<Bytes, BoxError>;

/// `fut`, or a panic naming `what` after [`TIMEOUT`].
pub(crate) async fn within<F: Future>(what: &str, fut: F) -> F::Output {
    tokio::time::timeout(TIMEOUT, fut)
        .await
        .unwrap_or_else(|_| panic!("timed out: {what}"))
}

/// Panic unless `tool --version` runs: a missing peer must fail the test,
/// not skip it.
pub(crate) fn require_tool(tool: &str) {
    match std::process::Command::new(tool).arg("--version").output() {
        Ok(out) if out.status.success() => {}
        Ok(out) => panic!(
            "`{tool} --version` failed ({}): is {tool} installed?",
            out.status
        ),
        Err(e) => panic!("{tool} is required by this test and could not be run: {e}"),
    }
}

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
