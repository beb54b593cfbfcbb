//! The accept loop of the CLI's HTTP/1.1 servers (`rtw serve`, `rtw signal
//! serve`): each connection accepted on a
//! [`Listener`] (which bounds connections
//! at once and per address) served by hyper with a service, a timeout on
//! the request head, and upgrades (WebSocket).

use std::error::Error as StdError;
use std::time::Duration;

use http::{Request, Response};
use hyper::body::{Body, Incoming};
use hyper::server::conn::http1;
use hyper::service::Service;
use hyper_util::rt::{TokioIo, TokioTimer};
use rtw_tokio::listener::Listener;

/// Serves every connection `listener` accepts, each with the service
/// `service()` makes for it, until the task is dropped: a request head
/// must come within `header_timeout`. An accept error (not for want of
/// descriptors: the listener waits those out) is printed on stderr after
/// `name: ` and retried 100 ms later; with `verbose`, connection errors
/// too, after the peer's address.
pub(crate) async fn serve<S, F, B>(
    listener: Listener,
    header_timeout: Duration,
    name: &str,
    verbose: bool,
    mut service: F,
) where
    F: FnMut() -> S,
    S: Service<Request<Incoming>, Response = Response<B>> + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn StdError + Send + Sync>>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn StdError + Send + Sync>>,
{
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    loop {
        let (tcp, peer, permit) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                eprintln!("{name}: accept: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let connection = http
            .serve_connection(TokioIo::new(tcp), service())
            .with_upgrades();
        tokio::spawn(async move {
            // The connection's slot, until it ends.
            let _permit = permit;
            if let Err(e) = connection.await
                && verbose
            {
                eprintln!("{peer}: {e}");
            }
        });
    }
}
