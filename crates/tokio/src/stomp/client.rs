//! [`StompClient`]: an [`rtw_stomp::client::Client`] session on a TCP or
//! WebSocket connection.

use std::net::SocketAddr;

use bytes::BytesMut;
use rtw_stomp::client::{Client, ClientConfig, ClientEvent};
use tokio::net::TcpStream;
use tokio::time::Instant;

use super::Error;
use super::io::Transport;
use crate::ws::ClientOptions;

/// The WebSocket subprotocols a STOMP client offers, newest first (STOMP
/// over WebSocket names one per version).
pub const SUBPROTOCOLS: [&str; 3] = ["v12.stomp", "v11.stomp", "v10.stomp"];

/// Where a STOMP server listens: `tcp://HOST:PORT` or
/// `ws://HOST:PORT/PATH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StompUrl {
    /// STOMP over TCP.
    Tcp(String),
    /// STOMP over WebSocket, the whole `ws://` URL.
    Ws(String),
}

impl StompUrl {
    /// Read a `tcp://` or `ws://` URL.
    ///
    /// # Errors
    ///
    /// [`Error::Url`] for any other scheme or a `tcp://` URL with a path.
    pub fn parse(url: &str) -> Result<Self, Error> {
        if let Some(rest) = url.strip_prefix("tcp://") {
            let authority = rest.trim_end_matches('/');
            if authority.is_empty() || authority.contains('/') {
                return Err(Error::Url(format!("{url:?}: tcp:// takes HOST:PORT only")));
            }
            Ok(StompUrl::Tcp(authority.to_owned()))
        } else if url.starts_with("ws://") {
            Ok(StompUrl::Ws(url.to_owned()))
        } else {
            Err(Error::Url(format!(
                "{url:?}: the URL must start with tcp:// or ws://"
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
    /// Connect to `url` (`tcp://` or `ws://`), send CONNECT (or STOMP) as
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
        let transport = match StompUrl::parse(url)? {
            StompUrl::Tcp(authority) => {
                let tcp = TcpStream::connect(authority.as_str()).await?;
                tcp.set_nodelay(true)?;
                Transport::Tcp(tcp)
            }
            StompUrl::Ws(url) => {
                let options = ClientOptions::new().protocols(SUBPROTOCOLS);
                let (ws, _) = crate::ws::connect_with(&url, options).await?;
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
            Transport::Tcp(tcp) => Ok(tcp.local_addr()?),
            Transport::Ws(ws) => Ok(ws.get_ref().local_addr()?),
        }
    }
}

/// Time as the session takes it.
fn now() -> std::time::Instant {
    Instant::now().into_std()
}
