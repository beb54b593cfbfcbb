//! [`StompClient`]: an [`rtw_stomp::client::Client`] session on a TCP or
//! WebSocket connection, with TLS or without.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::BytesMut;
use rtw_stomp::client::{Client, ClientConfig, ClientEvent};
use tokio::net::TcpStream;
use tokio::time::Instant;

use super::Error;
use super::io::Transport;
use crate::tls::{ClientConfig as TlsConfig, MaybeTlsStream};
use crate::ws::ClientOptions;

/// The WebSocket subprotocols a STOMP client offers, newest first (STOMP
/// over WebSocket names one per version).
pub const SUBPROTOCOLS: [&str; 3] = ["v12.stomp", "v11.stomp", "v10.stomp"];

/// Where a STOMP server listens: `tcp://HOST:PORT`, `stomps://HOST:PORT`
/// (TLS over TCP), or `ws://HOST:PORT/PATH` and `wss://HOST:PORT/PATH`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StompUrl {
    /// STOMP over TCP.
    Tcp(String),
    /// STOMP over TLS over TCP (`stomps://HOST:PORT`).
    Tls(String),
    /// STOMP over WebSocket, the whole `ws://` or `wss://` URL.
    Ws(String),
}

impl StompUrl {
    /// Read a `tcp://`, `stomps://`, `ws://` or `wss://` URL.
    ///
    /// # Errors
    ///
    /// [`Error::Url`] for any other scheme or a `tcp://` or `stomps://`
    /// URL with a path.
    pub fn parse(url: &str) -> Result<Self, Error> {
        let authority = |rest: &str, scheme: &str| {
            let authority = rest.trim_end_matches('/');
            if authority.is_empty() || authority.contains('/') {
                return Err(Error::Url(format!(
                    "{url:?}: {scheme}:// takes HOST:PORT only"
                )));
            }
            Ok(authority.to_owned())
        };
        if let Some(rest) = url.strip_prefix("tcp://") {
            Ok(StompUrl::Tcp(authority(rest, "tcp")?))
        } else if let Some(rest) = url.strip_prefix("stomps://") {
            Ok(StompUrl::Tls(authority(rest, "stomps")?))
        } else if url.starts_with("ws://") || url.starts_with("wss://") {
            Ok(StompUrl::Ws(url.to_owned()))
        } else {
            Err(Error::Url(format!(
                "{url:?}: the URL must start with tcp:// or ws:// (stomps:// or wss:// for TLS)"
            )))
        }
    }
}

/// A STOMP client session on a connection: the sans-IO
/// [`Client`] ([`StompClient::session`]) for what to send, and
/// [`StompClient::next_event`] to move bytes and time until something
/// happens.
///
/// ```no_run
/// # async fn demo() -> Result<(), rtw_tokio::stomp::Error> {
/// use rtw_tokio::stomp::{AckMode, ClientConfig, ClientEvent, FrameOptions, StompClient};
///
/// let mut stomp = StompClient::connect("tcp://127.0.0.1:61613", ClientConfig::default()).await?;
/// stomp.session().subscribe("/topic/news", AckMode::Auto)?;
/// stomp.session().send("/topic/news", "hello", FrameOptions::default())?;
/// while let ClientEvent::Message(message) = stomp.next_event().await? {
///     println!("{}", String::from_utf8_lossy(message.body()));
///     break;
/// }
/// stomp.session().disconnect()?;
/// while !matches!(stomp.next_event().await?, ClientEvent::Disconnected) {}
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct StompClient {
    session: Client,
    transport: Transport,
    input: BytesMut,
    /// CONNECTED, kept by `connect` for the first `next_event`.
    pending: Option<ClientEvent>,
    /// The session is over and the transport closed.
    ended: bool,
}

impl StompClient {
    /// Connect to `url` (`tcp://`, `stomps://`, `ws://` or `wss://`; TLS
    /// trusts the platform's roots, [`StompClient::connect_tls`] for
    /// others), send CONNECT (or STOMP) as
    /// `config` says, and return once CONNECTED came; its
    /// [`ClientEvent::Connected`] is the first [`StompClient::next_event`].
    ///
    /// # Errors
    ///
    /// [`Error::Url`], [`Error::Io`] and [`Error::Ws`] for the connection;
    /// [`Error::Refused`] with the server's ERROR frame; [`Error::Session`]
    /// when the session failed (a timeout, bad frames); [`Error::Closed`]
    /// when the server closed first.
    pub async fn connect(url: &str, config: ClientConfig) -> Result<Self, Error> {
        StompClient::connect_tls(url, config, None).await
    }

    /// [`StompClient::connect`], with `tls` as the TLS configuration of
    /// `stomps://` and `wss://` URLs (`None`: trust the platform's roots,
    /// [`crate::tls::platform_client_config`]). The server name checked
    /// against the certificate is the URL's host.
    ///
    /// # Errors
    ///
    /// Those of [`StompClient::connect`]; a TLS handshake that fails (a
    /// certificate not valid for the host, say) is [`Error::Io`] for
    /// `stomps://`, [`Error::Ws`] for `wss://`, with rustls' reason.
    pub async fn connect_tls(
        url: &str,
        config: ClientConfig,
        tls: Option<Arc<TlsConfig>>,
    ) -> Result<Self, Error> {
        let transport = match StompUrl::parse(url)? {
            StompUrl::Tcp(authority) => {
                let tcp = TcpStream::connect(authority.as_str()).await?;
                tcp.set_nodelay(true)?;
                Transport::Tcp(MaybeTlsStream::Plain(tcp))
            }
            StompUrl::Tls(authority) => {
                let tls = match tls {
                    Some(tls) => tls,
                    None => crate::tls::platform_client_config()
                        .map_err(|e| std::io::Error::other(e.to_string()))?,
                };
                let host = match authority.rsplit_once(':') {
                    Some((host, port)) if port.parse::<u16>().is_ok() => host,
                    _ => return Err(Error::Url(format!("{url:?}: stomps:// needs HOST:PORT"))),
                };
                let tcp = TcpStream::connect(authority.as_str()).await?;
                tcp.set_nodelay(true)?;
                let io = crate::tls::connect(tls, host, tcp)
                    .await
                    .map_err(|e| std::io::Error::new(e.kind(), format!("TLS with {host}: {e}")))?;
                Transport::Tcp(io)
            }
            StompUrl::Ws(url) => {
                let mut options = ClientOptions::new().protocols(SUBPROTOCOLS);
                if let Some(tls) = tls {
                    options = options.tls(tls);
                }
                let (ws, _) = crate::ws::connect_any(&url, options).await?;
                Transport::Ws(Box::new(ws))
            }
        };
        let mut client = StompClient {
            session: Client::new(now(), config),
            transport,
            input: BytesMut::new(),
            pending: None,
            ended: false,
        };
        client.flush().await?;
        // Wait for CONNECTED, keeping it as the first event.
        loop {
            client.pump().await?;
            match client.session.poll_event() {
                None => {}
                Some(event @ ClientEvent::Connected { .. }) => {
                    client.pending = Some(event);
                    return Ok(client);
                }
                Some(ClientEvent::Error(frame)) => return Err(Error::Refused(Box::new(frame))),
                Some(ClientEvent::Failed(e)) => return Err(Error::Session(e)),
                Some(_) => return Err(Error::Closed),
            }
        }
    }

    /// The session, to subscribe, send, acknowledge, begin transactions or
    /// disconnect; what it queues goes out on the next
    /// [`StompClient::next_event`] or [`StompClient::flush`].
    pub fn session(&mut self) -> &mut Client {
        &mut self.session
    }

    /// Write everything the session has queued.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] or [`Error::Ws`] when the write fails.
    pub async fn flush(&mut self) -> Result<(), Error> {
        while let Some(bytes) = self.session.poll_transmit() {
            self.transport.write(bytes).await?;
        }
        Ok(())
    }

    /// The next thing that happens in the session: queued frames go out,
    /// the server's bytes come in, heart-beats and timers run. After
    /// [`ClientEvent::Disconnected`] the connection is closed and every
    /// later call returns [`Error::Closed`].
    ///
    /// # Errors
    ///
    /// [`Error::Io`] or [`Error::Ws`] when the connection fails;
    /// [`Error::Closed`] after the session ended.
    pub async fn next_event(&mut self) -> Result<ClientEvent, Error> {
        loop {
            if let Some(event) = self.pending.take().or_else(|| self.session.poll_event()) {
                if matches!(event, ClientEvent::Disconnected) {
                    self.flush().await?;
                    self.transport.close().await;
                    self.ended = true;
                }
                return Ok(event);
            }
            if self.ended {
                return Err(Error::Closed);
            }
            self.pump().await?;
        }
    }

    /// One step: flush, then wait for input or the session's timer.
    async fn pump(&mut self) -> Result<(), Error> {
        self.flush().await?;
        let deadline = self.session.poll_timeout();
        let sleep = async {
            match deadline {
                Some(at) => tokio::time::sleep_until(Instant::from_std(at)).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            read = self.transport.read(&mut self.input) => {
                if read? {
                    self.session.handle_input(now(), &mut self.input);
                } else {
                    self.session.handle_eof(now());
                }
            }
            () = sleep => self.session.handle_timeout(now()),
        }
        Ok(())
    }

    /// The local address of the connection.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] from the socket.
    pub fn local_addr(&self) -> Result<SocketAddr, Error> {
        match &self.transport {
            Transport::Tcp(tcp) => Ok(tcp.get_ref().local_addr()?),
            Transport::Ws(ws) => Ok(ws.get_ref().get_ref().local_addr()?),
        }
    }
}

/// Time as the session takes it.
fn now() -> std::time::Instant {
    Instant::now().into_std()
}
