//! [`BrokerServer`]: an [`rtw_stomp::broker::Broker`] on TCP and
//! WebSocket listeners.
//!
//! One task owns the broker; each connection has a reader that hands it
//! the bytes it reads and a writer that writes what it queues and reports
//! them sent ([`Broker::handle_sent`](rtw_stomp::broker::Broker::handle_sent)),
//! so the broker's own count of unsent bytes bounds what a slow consumer
//! can make it hold (`BrokerLimits::max_unsent_bytes`, then ERROR and
//! close).
//!
//! | what | default | where |
//! |---|---|---|
//! | connections, in total / per client address | 10,000 / 1,000 per listener; over them a STOMP ERROR frame on TCP ([`BUSY_FRAME`]), 503 on WebSocket, then close | [`BrokerOptions::listener`] |
//! | TLS handshake (with [`BrokerOptions::tls`]), then the WebSocket one | 10 s each | rtw-ws `Options::handshake_timeout` |
//! | CONNECT after the connection opens | the broker's `connect_timeout` | `BrokerConfig` |
//! | a silent client | twice its negotiated heart-beat interval | `BrokerConfig::heart_beat` |
//! | bytes queued for a client that does not read | `BrokerLimits::max_unsent_bytes`, shared cap `max_total_unsent_bytes` | `BrokerLimits` |
//! | bytes a WebSocket connection buffers unwritten | `BrokerLimits::max_unsent_bytes` (4 MiB; rtw-ws's own default is 16 MiB), so a slow STOMP-over-WebSocket consumer holds at most twice that | [`BrokerOptions::new`], `ws_options.config.limits.max_write_buffer` |
//! | one write to a client | [`WRITE_TIMEOUT`], then the connection is closed | |
//! | what is left to write once the broker closed a connection (ERROR, slow consumer, heart-beat timeout) | [`CLOSE_LINGER`], then the socket is dropped | |
//!
//! Each connection has at most [`INPUT_IN_FLIGHT`] reads waiting for the
//! hub, so a client that floods it is read at the pace the hub handles
//! its input and does not delay the others' frames behind a deep queue.
//! A connection is read and written by one task, so while a write waits
//! for a client that does not read, its input waits too: a client that
//! negotiated heart-beats is then found silent and closed, and one that
//! did not is closed by [`WRITE_TIMEOUT`].

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use rtw_stomp::broker::{Broker, BrokerConfig, BrokerEvent, BrokerStats, ConnectionId};
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot, watch};
use tokio::time::Instant;

use super::Error;
use super::client::SUBPROTOCOLS;
use super::io::Transport;
use crate::drain::Drain;
use crate::listener::{Listener, ListenerConfig, Permit};
use crate::tls::{MaybeTlsStream, ServerConfig, TlsAcceptor};
use crate::ws::{Options, ServerHandshake};
use rtw_ws::handshake::ServerPolicy;

/// How to run a [`BrokerServer`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct BrokerOptions {
    /// The broker core's configuration and limits.
    pub config: BrokerConfig,
    /// Address of the STOMP-over-TCP listener, if any.
    pub tcp: Option<SocketAddr>,
    /// Address of the STOMP-over-WebSocket listener, if any (any path).
    pub ws: Option<SocketAddr>,
    /// Connection caps of each listener. The TCP listener's busy
    /// response is always [`BUSY_FRAME`]; the WebSocket listener's is this
    /// one's (HTTP 503 by default).
    pub listener: ListenerConfig,
    /// WebSocket options (handshake timeout, pings, message limits). By
    /// default rtw-ws's, but for the write buffer
    /// (`config.limits.max_write_buffer`): the broker's
    /// `max_unsent_bytes` (4 MiB), not rtw-ws's 16 MiB.
    pub ws_options: Options,
    /// TLS on both listeners (STOMP over TLS, and `wss://`), when given.
    pub tls: Option<Arc<ServerConfig>>,
    /// The server's drain: once it starts, the listeners close, the frames
    /// already read are handled (their RECEIPTs and MESSAGEs queued), then
    /// every connection gets ERROR `server shutting down` and is closed
    /// ([`Broker::shutdown`]); each connection holds it until it ends. A
    /// drain never started by default.
    pub drain: Drain,
}

impl BrokerOptions {
    /// A broker with `config`, on no listener yet; the WebSocket write
    /// buffer bounded by `config.limits.max_unsent_bytes`.
    pub fn new(config: BrokerConfig) -> Self {
        let mut ws_options = Options::default();
        ws_options.config.limits.max_write_buffer = config.limits.max_unsent_bytes;
        BrokerOptions {
            config,
            tcp: None,
            ws: None,
            listener: ListenerConfig::default(),
            ws_options,
            tls: None,
            drain: Drain::new(),
        }
    }

    /// Listen for STOMP over TCP on `addr`.
    #[must_use]
    pub fn tcp(mut self, addr: Option<SocketAddr>) -> Self {
        self.tcp = addr;
        self
    }

    /// Listen for STOMP over WebSocket on `addr`.
    #[must_use]
    pub fn ws(mut self, addr: Option<SocketAddr>) -> Self {
        self.ws = addr;
        self
    }

    /// Connection caps of each listener.
    #[must_use]
    pub fn listener(mut self, listener: ListenerConfig) -> Self {
        self.listener = listener;
        self
    }

    /// WebSocket options.
    #[must_use]
    pub fn ws_options(mut self, ws_options: Options) -> Self {
        self.ws_options = ws_options;
        self
    }

    /// TLS on both listeners with `tls` ([`crate::tls::server_config_from_pem`];
    /// ALPN `http/1.1` suits the WebSocket listener, none the TCP one),
    /// its handshake within [`Options::handshake_timeout`]; `None`: none.
    #[must_use]
    pub fn tls(mut self, tls: Option<Arc<ServerConfig>>) -> Self {
        self.tls = tls;
        self
    }

    /// Drain with `drain` ([`BrokerOptions::drain`]).
    #[must_use]
    pub fn drain(mut self, drain: Drain) -> Self {
        self.drain = drain;
        self
    }
}

/// A STOMP broker on its listeners; [`BrokerServer::run`] serves until the
/// task is dropped.
#[derive(Debug)]
pub struct BrokerServer {
    tcp: Option<Listener>,
    ws: Option<Listener>,
    options: BrokerOptions,
    stats: watch::Sender<BrokerStats>,
}

impl BrokerServer {
    /// Bind the listeners `options` names.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when a listener cannot be bound; [`Error::Url`] when
    /// none is given.
    pub async fn bind(options: BrokerOptions) -> Result<Self, Error> {
        if options.tcp.is_none() && options.ws.is_none() {
            return Err(Error::Url(
                "a broker needs a TCP or a WebSocket address".into(),
            ));
        }
        let tcp = match options.tcp {
            Some(addr) => {
                let config = options.listener.clone().busy_response(BUSY_FRAME);
                Some(Listener::bind(addr, config).await?)
            }
            None => None,
        };
        let ws = match options.ws {
            Some(addr) => Some(Listener::bind(addr, options.listener.clone()).await?),
            None => None,
        };
        let (stats, _) = watch::channel(BrokerStats::default());
        Ok(BrokerServer {
            tcp,
            ws,
            options,
            stats,
        })
    }

    /// The TCP listener's address.
    pub fn tcp_addr(&self) -> Option<SocketAddr> {
        self.tcp.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// The WebSocket listener's address.
    pub fn ws_addr(&self) -> Option<SocketAddr> {
        self.ws.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// The broker's counters, updated after every change.
    pub fn stats(&self) -> watch::Receiver<BrokerStats> {
        self.stats.subscribe()
    }

    /// Serve until the future is dropped, or until the drain
    /// ([`BrokerOptions::drain`]) starts: then the listeners are closed, the
    /// broker shuts down after the input it already has, and this returns
    /// (the connections end on their own, holding the drain).
    ///
    /// # Errors
    ///
    /// None today: accept errors are retried after a pause.
    pub async fn run(self) -> Result<(), Error> {
        let (commands, receiver) = mpsc::channel(COMMANDS);
        let broker = Broker::new(self.options.config.clone());
        tokio::spawn(hub(broker, receiver, self.stats));
        // After every command already queued: the broker's shutdown.
        let stop = self.options.drain.clone();
        let shutdown = commands.clone();
        tokio::spawn(async move {
            stop.draining().await;
            let _ = shutdown.send(Command::Shutdown).await;
        });
        let handshake = Arc::new(ServerHandshake::with_policy(
            ServerPolicy::new().supported_protocols(SUBPROTOCOLS),
        ));
        let mut tasks = Vec::new();
        let tls = self.options.tls.clone().map(|config| {
            (
                TlsAcceptor::from(config),
                self.options.ws_options.handshake_timeout,
            )
        });
        if let Some(listener) = self.tcp {
            tasks.push(tokio::spawn(accept(
                listener,
                commands.clone(),
                tls.clone(),
                (None, self.options.drain.clone()),
            )));
        }
        if let Some(listener) = self.ws {
            let ws = Some((handshake, self.options.ws_options.clone()));
            let stop = self.options.drain.clone();
            tasks.push(tokio::spawn(accept(
                listener,
                commands.clone(),
                tls,
                (ws, stop),
            )));
        }
        for task in tasks {
            let _ = task.await;
        }
        Ok(())
    }
}

/// Commands queued for the hub before connections wait.
const COMMANDS: usize = 4096;

/// Reads of one connection queued for the hub and not yet handled, at
/// most: a client that floods (heart-beats, frames) waits for the hub
/// before it is read again, so the hub's queue holds at most this many of
/// its reads ahead of another client's frame, and every client gets its
/// turn.
const INPUT_IN_FLIGHT: usize = 2;

/// What a connection over a cap of the STOMP-over-TCP listener is sent
/// before it is closed (STOMP 1.2 "ERROR": the server may send ERROR and
/// then close). The WebSocket listener answers 503 before any upgrade.
pub const BUSY_FRAME: &[u8] =
    b"ERROR\ncontent-type:text/plain\nmessage:too many connections\ncontent-length:0\n\n\0";

/// How long one write to a client may take (a whole frame, or a
/// WebSocket message): 30 s, then the connection is closed.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// What a connection that is being closed may still send to be read and
/// dropped (a lingering close): 64 KiB, so that a client that floods does
/// not keep the broker reading for it.
const LINGER_BYTES: usize = 64 * 1024;

/// How long a connection the broker closed may take to write what was
/// queued before the close (its ERROR frame): 1 s, then it is dropped.
pub const CLOSE_LINGER: Duration = Duration::from_secs(1);

type WsSetup = Option<(Arc<ServerHandshake<ServerPolicy>>, Options)>;

/// The TLS acceptor and the time its handshake may take.
type TlsSetup = Option<(TlsAcceptor, Option<Duration>)>;

/// Accepts connections until `stop` drains; then the listener is closed.
async fn accept(
    listener: Listener,
    commands: mpsc::Sender<Command>,
    tls: TlsSetup,
    (ws, stop): (WsSetup, Drain),
) {
    while let Some(accepted) = stop.unless_draining(listener.accept()).await {
        let (tcp, _peer, permit) = match accepted {
            Ok(accepted) => accepted,
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let commands = commands.clone();
        let ws = ws.clone();
        let tls = tls.clone();
        let hold = stop.hold();
        tokio::spawn(async move {
            let _hold = hold;
            let _ = tcp.set_nodelay(true);
            if let Some(transport) = open(tcp, tls, ws).await {
                connection(transport, commands, permit).await;
            }
        });
    }
}

/// The transport of an accepted connection: TCP as it is (after the TLS
/// handshake with TLS), or WebSocket after its handshake.
async fn open(tcp: TcpStream, tls: TlsSetup, ws: WsSetup) -> Option<Transport> {
    let io = match tls {
        None => MaybeTlsStream::Plain(tcp),
        Some((acceptor, timeout)) => crate::tls::accept(&acceptor, tcp, timeout).await.ok()?,
    };
    match ws {
        None => Some(Transport::Tcp(io)),
        Some((handshake, options)) => {
            let (ws, _) = crate::ws::accept_with(io, &handshake, options).await.ok()?;
            Some(Transport::Ws(Box::new(ws)))
        }
    }
}

/// What the hub tells a connection's writer.
#[derive(Debug)]
enum Outgoing {
    Bytes(Bytes),
    Close,
}

/// What connections tell the hub.
#[derive(Debug)]
enum Command {
    Connect {
        outbox: mpsc::UnboundedSender<Outgoing>,
        closing: watch::Sender<bool>,
        reply: oneshot::Sender<ConnectionId>,
    },
    /// Bytes read, with one of the connection's [`INPUT_IN_FLIGHT`]
    /// permits, given back once the hub has handled them.
    Input(ConnectionId, Bytes, OwnedSemaphorePermit),
    Sent(ConnectionId, usize),
    Disconnect(ConnectionId),
    /// The server drains: [`Broker::shutdown`].
    Shutdown,
}

/// One connection: its reader here, its writer in a task.
async fn connection(mut transport: Transport, commands: mpsc::Sender<Command>, permit: Permit) {
    let _permit = permit;
    let (outbox, mut outgoing) = mpsc::unbounded_channel();
    let (closing, mut closed) = watch::channel(false);
    let (reply, id) = oneshot::channel();
    if commands
        .send(Command::Connect {
            outbox,
            closing,
            reply,
        })
        .await
        .is_err()
    {
        return;
    }
    let Ok(id) = id.await else { return };
    let credit = Arc::new(Semaphore::new(INPUT_IN_FLIGHT));
    let mut buf = BytesMut::new();
    let mut stuck = false;
    loop {
        tokio::select! {
            read = transport.read(&mut buf) => {
                match read {
                    Ok(true) => {
                        let chunk = buf.split().freeze();
                        let Ok(permit) = Arc::clone(&credit).acquire_owned().await else {
                            break;
                        };
                        if commands.send(Command::Input(id, chunk, permit)).await.is_err() {
                            break;
                        }
                    }
                    _ => break,
                }
            }
            out = outgoing.recv() => match out {
                Some(Outgoing::Bytes(bytes)) => {
                    let len = bytes.len();
                    if !write(&mut transport, bytes, &mut closed).await {
                        // A peer that does not read cannot take a close
                        // handshake either (a WebSocket close would wait
                        // rtw-ws's close timeout for its answer).
                        stuck = true;
                        break;
                    }
                    let _ = commands.send(Command::Sent(id, len)).await;
                }
                Some(Outgoing::Close) | None => break,
            },
        }
    }
    if !stuck {
        transport.close().await;
    }
    let _ = commands.send(Command::Disconnect(id)).await;
    // A lingering close (STOMP 1.2 "Connection Lingering"): what the client
    // still sends is read and dropped until it closes too, for at most
    // CLOSE_LINGER and LINGER_BYTES. Closed with unread input, the socket
    // would answer with a reset, and a client's kernel drops what it had
    // not read yet with it: the RECEIPTs and the ERROR just written (RFC
    // 9293 §3.6.1).
    let _ = tokio::time::timeout(CLOSE_LINGER, async {
        let mut sink = BytesMut::new();
        let mut dropped = 0;
        while dropped < LINGER_BYTES && matches!(transport.read(&mut sink).await, Ok(true)) {
            dropped += sink.len();
            sink.clear();
        }
    })
    .await;
}

/// Write `bytes` within [`WRITE_TIMEOUT`], or within [`CLOSE_LINGER`]
/// once the broker closed the connection (`closed` turned true): a client
/// that does not read cannot hold the connection open. `false` if the
/// write failed or did not finish in time.
async fn write(
    transport: &mut Transport,
    bytes: Bytes,
    closed: &mut watch::Receiver<bool>,
) -> bool {
    let write = tokio::time::timeout(WRITE_TIMEOUT, transport.write(bytes));
    tokio::pin!(write);
    tokio::select! {
        written = &mut write => matches!(written, Ok(Ok(()))),
        () = closing(closed) => {
            matches!(tokio::time::timeout(CLOSE_LINGER, write).await, Ok(Ok(Ok(()))))
        }
    }
}

/// Done once `closed` is true; never if the hub is gone.
async fn closing(closed: &mut watch::Receiver<bool>) {
    if closed.wait_for(|closed| *closed).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// A connection as the hub knows it.
struct Peer {
    outbox: mpsc::UnboundedSender<Outgoing>,
    /// Set when the broker closes the connection.
    closing: watch::Sender<bool>,
    /// Input not yet made of whole frames.
    input: BytesMut,
}

async fn hub(
    mut broker: Broker,
    mut commands: mpsc::Receiver<Command>,
    stats: watch::Sender<BrokerStats>,
) {
    let mut peers: HashMap<ConnectionId, Peer> = HashMap::new();
    loop {
        let deadline = broker.poll_timeout();
        let sleep = async {
            match deadline {
                Some(at) => tokio::time::sleep_until(Instant::from_std(at)).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            command = commands.recv() => {
                let Some(command) = command else { return };
                let now = Instant::now().into_std();
                match command {
                    Command::Connect { outbox, closing, reply } => {
                        let id = broker.handle_connect(now);
                        peers.insert(id, Peer { outbox, closing, input: BytesMut::new() });
                        if reply.send(id).is_err() {
                            peers.remove(&id);
                            broker.handle_disconnect(now, id);
                        }
                    }
                    Command::Input(id, bytes, _permit) => {
                        if let Some(peer) = peers.get_mut(&id) {
                            peer.input.extend_from_slice(&bytes);
                            broker.handle_input(now, id, &mut peer.input);
                        }
                    }
                    Command::Sent(id, len) => broker.handle_sent(now, id, len),
                    Command::Disconnect(id) => {
                        if peers.remove(&id).is_some() {
                            broker.handle_disconnect(now, id);
                        }
                    }
                    Command::Shutdown => broker.shutdown(now),
                }
            }
            () = sleep => broker.handle_timeout(Instant::now().into_std()),
        }
        drain(&mut broker, &mut peers);
        stats.send_replace(broker.stats());
    }
}

/// Hand every transmit to its connection and act on the events.
fn drain(broker: &mut Broker, peers: &mut HashMap<ConnectionId, Peer>) {
    loop {
        let mut progressed = false;
        while let Some(transmit) = broker.poll_transmit() {
            progressed = true;
            if let Some(peer) = peers.get(&transmit.connection) {
                let _ = peer.outbox.send(Outgoing::Bytes(transmit.bytes));
            }
        }
        while let Some(event) = broker.poll_event() {
            progressed = true;
            if let BrokerEvent::Close { connection, .. } = event
                && let Some(peer) = peers.get(&connection)
            {
                // After what was queued before it, in order; a write
                // under way gets CLOSE_LINGER more.
                let _ = peer.outbox.send(Outgoing::Close);
                peer.closing.send_replace(true);
            }
        }
        if !progressed {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use rtw_stomp::broker::{BrokerConfig, BrokerLimits};

    use super::BrokerOptions;

    #[test]
    fn the_websocket_write_buffer_is_the_unsent_bound() {
        let options = BrokerOptions::new(BrokerConfig::default());
        assert_eq!(options.ws_options.config.limits.max_write_buffer, 4 << 20);
        let limits = BrokerLimits::default().max_unsent_bytes(64 << 10);
        let options = BrokerOptions::new(BrokerConfig::default().limits(limits));
        assert_eq!(options.ws_options.config.limits.max_write_buffer, 64 << 10);
    }
}
