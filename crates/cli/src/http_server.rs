//! The accept loop of the CLI's HTTP/1.1 servers (`rtw serve`, `rtw signal
//! serve`): each connection accepted on a
//! [`Listener`] (which bounds connections
//! at once and per address) served by hyper with a service, a timeout on
//! the request head, and upgrades (WebSocket); with TLS (`--tls-cert`,
//! `--tls-key`) when given an acceptor, its handshake within the same
//! timeout as the request head; until the server's [`Drain`] starts, then
//! each connection is shut down gracefully (its answer in progress ends,
//! as the service ends it, and no other is read).

use std::error::Error as StdError;
use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::{Request, Response};
use hyper::body::{Body, Incoming};
use hyper::server::conn::http1;
use hyper::service::Service;
use hyper_util::rt::{TokioIo, TokioTimer};
use rtw_tokio::drain::Drain;
use rtw_tokio::listener::{Listener, Permit};
use rtw_tokio::tls::{MaybeTlsStream, TlsAcceptor};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::serve_limits::ServerLimits;
use crate::write_deadline::WriteDeadline;

/// Serves every connection `listener` accepts, each with the service
/// `service()` makes for it, until `drain` starts: a request head must
/// come within `limits.header_timeout`, and a write that makes no progress
/// for `limits.write_timeout` (the peer reads nothing) closes the
/// connection, upgraded ones too ([`WriteDeadline`]); over TLS when `tls`
/// is given, its handshake within the header timeout too (it runs in the connection's
/// task, so a slow one holds nothing but its own slot). Once `drain`
/// starts the listener is closed (new connections are refused) and each
/// connection is shut down gracefully (hyper's `graceful_shutdown`: the
/// answer in progress is finished, an idle kept-alive connection closed),
/// holding `drain` until it ends. An accept error (not for want of
/// descriptors: the listener waits those out) is printed on stderr after
/// `name: ` and retried 100 ms later; with `verbose`, connection errors
/// too, after the peer's address.
pub(crate) async fn serve_tls<S, F, B>(
    listener: Listener,
    drain: &Drain,
    tls: Option<TlsAcceptor>,
    limits: &ServerLimits,
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
    let (header_timeout, write_timeout) = (limits.header_timeout, limits.write_timeout);
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    while let Some(accepted) = drain.unless_draining(listener.accept()).await {
        let (tcp, peer, permit) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                eprintln!("{name}: accept: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let http = http.clone();
        let service = service();
        let tls = tls.clone();
        let drain = drain.clone();
        tokio::spawn(async move {
            // The connection's slot goes with its stream (`Held`), into
            // an upgraded session too; the drain waits for the connection
            // (an upgraded session holds the drain itself).
            let _hold = drain.hold();
            tracing::debug!(%peer, "connection accepted");
            let io = match tls {
                None => MaybeTlsStream::Plain(tcp),
                Some(acceptor) => {
                    match rtw_tokio::tls::accept(&acceptor, tcp, Some(header_timeout)).await {
                        Ok(io) => io,
                        Err(e) => {
                            tracing::debug!(%peer, error = %e, "TLS handshake failed");
                            if verbose {
                                eprintln!("{peer}: TLS: {e}");
                            }
                            return;
                        }
                    }
                }
            };
            let connection = http
                .serve_connection(
                    TokioIo::new(Held {
                        io: WriteDeadline::new(io, write_timeout),
                        _permit: permit,
                    }),
                    service,
                )
                .with_upgrades();
            let mut connection = std::pin::pin!(connection);
            let ended = tokio::select! {
                ended = connection.as_mut() => ended,
                () = drain.draining() => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            match ended {
                Ok(()) => tracing::debug!(%peer, "connection closed"),
                Err(e) => {
                    tracing::debug!(%peer, error = %e, "connection closed");
                    if verbose {
                        eprintln!("{peer}: {e}");
                    }
                }
            }
        });
    }
}

/// A connection's stream with its listener slot. On an upgrade
/// (WebSocket, RFC 6455 §4) hyper hands the stream over and the HTTP
/// connection ends: the slot must go with the stream, or upgraded
/// sessions would stop counting against `--max-connections` and
/// `--max-connections-per-ip` as soon as they are upgraded.
struct Held<S> {
    io: S,
    _permit: Permit,
}

impl<S: AsyncRead + Unpin> AsyncRead for Held<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Held<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

/// `--tls-cert FILE --tls-key FILE`: TLS on a server's listeners (shared
/// by `rtw serve`, `rtw ws echo-server` and `rtw stomp broker`).
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct TlsArgs {
    /// Serve over TLS with this certificate chain (PEM, the server's
    /// certificate first); needs --tls-key.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub(crate) tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM: PKCS#8, PKCS#1 or SEC1); needs
    /// --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub(crate) tls_key: Option<PathBuf>,
}

impl TlsArgs {
    /// The server configuration, with `alpn`, when TLS was asked for.
    pub(crate) fn config(
        &self,
        alpn: &[&[u8]],
    ) -> Result<Option<Arc<rtw_tokio::tls::ServerConfig>>, rtw_tokio::tls::TlsError> {
        match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => Ok(Some(rtw_tokio::tls::server_config_from_pem(
                cert, key, alpn,
            )?)),
            _ => Ok(None),
        }
    }

    /// An acceptor for an HTTP/1.1 server (ALPN `http/1.1`), when TLS was
    /// asked for.
    pub(crate) fn http_acceptor(&self) -> Result<Option<TlsAcceptor>, rtw_tokio::tls::TlsError> {
        Ok(self
            .config(rtw_tokio::tls::ALPN_HTTP1)?
            .map(TlsAcceptor::from))
    }
}

/// `--ca FILE`: what a client that connects by URL trusts for `wss://`
/// (and `https://`, `stomps://`).
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct CaArg {
    /// Trust the CA certificates of this PEM file for TLS (wss://...),
    /// instead of the platform's roots.
    #[arg(long, value_name = "FILE")]
    pub(crate) ca: Option<PathBuf>,
}

impl CaArg {
    /// The client configuration to use: the CA file's, or `None` for the
    /// platform's roots.
    pub(crate) fn client_config(
        &self,
    ) -> Result<Option<Arc<rtw_tokio::tls::ClientConfig>>, rtw_tokio::tls::TlsError> {
        self.ca
            .as_ref()
            .map(|ca| rtw_tokio::tls::client_config(&rtw_tokio::tls::Trust::ca_only(ca)))
            .transpose()
    }
}
