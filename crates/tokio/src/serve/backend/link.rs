//! [`Link`]: one STOMP connection to RabbitMQ, rtw-stomp's sans-IO
//! [`Client`] over TCP (or TLS), driven by hand so that waiting for input
//! is cancel-safe: the driver races [`Link::pump`] against its own
//! commands, and only writes ([`Link::flush`]) outside that race.

use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use rtw_stomp::Limits;
use rtw_stomp::client::{Client, ClientConfig, ClientEvent};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

use super::{HubUrl, Scheme};
use crate::tls::MaybeTlsStream;

/// Bytes one read asks for.
const READ_CHUNK: usize = 64 * 1024;

/// The largest message body taken from RabbitMQ: 64 MiB.
const MAX_MESSAGE: usize = 64 << 20;

/// A connected STOMP session.
pub(super) struct Link {
    io: MaybeTlsStream<TcpStream>,
    session: Client,
    input: BytesMut,
}

impl Link {
    /// Connects to `url` and returns once CONNECTED came (within
    /// `timeout`).
    pub(super) async fn connect(
        url: &HubUrl,
        tls: Option<Arc<crate::tls::ClientConfig>>,
        timeout: Duration,
    ) -> Result<Link, String> {
        tokio::time::timeout(timeout, Link::open(url, tls))
            .await
            .unwrap_or_else(|_| {
                Err(format!(
                    "no CONNECTED from {} within {timeout:?}",
                    url.authority
                ))
            })
    }

    async fn open(
        url: &HubUrl,
        tls: Option<Arc<crate::tls::ClientConfig>>,
    ) -> Result<Link, String> {
        let authority = url.authority.as_str();
        let tcp = TcpStream::connect(authority)
            .await
            .map_err(|e| format!("connecting to {authority}: {e}"))?;
        tcp.set_nodelay(true).map_err(|e| e.to_string())?;
        let io = match url.scheme {
            Scheme::Stomp => MaybeTlsStream::Plain(tcp),
            Scheme::Stomps => {
                let tls = match tls {
                    Some(tls) => tls,
                    None => crate::tls::platform_client_config().map_err(|e| e.to_string())?,
                };
                crate::tls::connect(tls, &url.host, tcp)
                    .await
                    .map_err(|e| format!("TLS with {}: {e}", url.host))?
            }
        };
        // RabbitMQ is trusted: its MESSAGEs may be as large as what any
        // node lets its publishers send (a frame the client refused would
        // fail the connection again at every reconnection).
        let limits = Limits::default()
            .max_body(MAX_MESSAGE)
            .max_frame_size(MAX_MESSAGE + (64 << 10));
        let config = ClientConfig::default()
            .login(url.login.clone())
            .passcode(url.passcode.clone())
            .limits(limits)
            .max_outstanding_receipts(usize::MAX);
        let mut link = Link {
            io,
            session: Client::new(now(), config),
            input: BytesMut::new(),
        };
        loop {
            link.flush().await.map_err(|e| e.to_string())?;
            link.pump().await.map_err(|e| e.to_string())?;
            match link.session.poll_event() {
                None => {}
                Some(ClientEvent::Connected { .. }) => return Ok(link),
                Some(ClientEvent::Error(frame)) => {
                    return Err(format!(
                        "{authority} refused the connection: {}",
                        frame.header("message").unwrap_or("no message")
                    ));
                }
                Some(ClientEvent::Failed(e)) => return Err(e.to_string()),
                Some(_) => return Err(format!("{authority} closed before CONNECTED")),
            }
        }
    }

    /// The session, to subscribe, send and acknowledge; what it queues
    /// goes out on [`Link::flush`].
    pub(super) fn session(&mut self) -> &mut Client {
        &mut self.session
    }

    /// Writes everything the session queued. Not cancel-safe: awaited
    /// alone.
    pub(super) async fn flush(&mut self) -> std::io::Result<()> {
        while let Some(bytes) = self.session.poll_transmit() {
            self.io.write_all(&bytes).await?;
        }
        self.io.flush().await
    }

    /// Waits for input (handed to the session) or the session's timer.
    /// Cancel-safe: a read that did not complete took nothing.
    pub(super) async fn pump(&mut self) -> std::io::Result<()> {
        let deadline = self.session.poll_timeout();
        let sleep = async {
            match deadline {
                Some(at) => tokio::time::sleep_until(Instant::from_std(at)).await,
                None => std::future::pending().await,
            }
        };
        self.input.reserve(READ_CHUNK);
        tokio::select! {
            read = self.io.read_buf(&mut self.input) => {
                if read? > 0 {
                    self.session.handle_input(now(), &mut self.input);
                } else {
                    self.session.handle_eof(now());
                }
            }
            () = sleep => self.session.handle_timeout(now()),
        }
        Ok(())
    }
}

/// Time as the session takes it.
fn now() -> std::time::Instant {
    Instant::now().into_std()
}
