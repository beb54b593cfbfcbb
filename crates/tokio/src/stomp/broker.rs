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
//! | connections, in total / per client address | 10,000 / 1,000 per listener | [`BrokerOptions::listener`] |
//! | TLS handshake (with [`BrokerOptions::tls`]), then the WebSocket one | 10 s each | rtw-ws `Options::handshake_timeout` |
//! | CONNECT after the connection opens | the broker's `connect_timeout` | `BrokerConfig` |
//! | a silent client | twice its negotiated heart-beat interval | `BrokerConfig::heart_beat` |
//! | bytes queued for a client that does not read | `BrokerLimits::max_unsent_bytes`, shared cap `max_total_unsent_bytes` | `BrokerLimits` |

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use rtw_stomp::broker::{Broker, BrokerConfig, BrokerEvent, BrokerStats, ConnectionId};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;

use super::Error;
use super::client::SUBPROTOCOLS;
use super::io::Transport;
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
    /// Connection caps of each listener.
    pub listener: ListenerConfig,
    /// WebSocket options (handshake timeout, pings, message limits).
    pub ws_options: Options,
    /// TLS on both listeners (STOMP over TLS, and `wss://`), when given.
    pub tls: Option<Arc<ServerConfig>>,
}

impl BrokerOptions {
    /// A broker with `config`, on no listener yet.
    pub fn new(config: BrokerConfig) -> Self {
        BrokerOptions {
            config,
            tcp: None,
            ws: None,
            listener: ListenerConfig::default().busy_response(Vec::new()),
            ws_options: Options::default(),
            tls: None,
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
            Some(addr) => Some(Listener::bind(addr, options.listener.clone()).await?),
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

    /// Serve until the future is dropped.
    ///
    /// # Errors
    ///
    /// None today: accept errors are retried after a pause.
    pub async fn run(self) -> Result<(), Error> {
        let (commands, receiver) = mpsc::channel(COMMANDS);
        let broker = Broker::new(self.options.config.clone());
        tokio::spawn(hub(broker, receiver, self.stats));
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
                None,
            )));
        }
        if let Some(listener) = self.ws {
            let ws = Some((handshake, self.options.ws_options.clone()));
            tasks.push(tokio::spawn(accept(listener, commands.clone(), tls, ws)));
        }
        for task in tasks {
            let _ = task.await;
        }
        Ok(())
    }
}

/// Commands queued for the hub before connections wait.
const COMMANDS: usize = 4096;

type WsSetup = Option<(Arc<ServerHandshake<ServerPolicy>>, Options)>;

/// The TLS acceptor and the time its handshake may take.
type TlsSetup = Option<(TlsAcceptor, Option<std::time::Duration>)>;

async fn accept(listener: Listener, commands: mpsc::Sender<Command>, tls: TlsSetup, ws: WsSetup) {
    loop {
        let (tcp, _peer, permit) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(_) => {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        let commands = commands.clone();
        let ws = ws.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
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
        reply: oneshot::Sender<ConnectionId>,
    },
    Input(ConnectionId, Bytes),
    Sent(ConnectionId, usize),
    Disconnect(ConnectionId),
}

/// One connection: its reader here, its writer in a task.
async fn connection(mut transport: Transport, commands: mpsc::Sender<Command>, permit: Permit) {
    let _permit = permit;
    let (outbox, mut outgoing) = mpsc::unbounded_channel();
    let (reply, id) = oneshot::channel();
    if commands
        .send(Command::Connect { outbox, reply })
        .await
        .is_err()
    {
        return;
    }
    let Ok(id) = id.await else { return };
    let mut buf = BytesMut::new();
    loop {
        tokio::select! {
            read = transport.read(&mut buf) => {
                match read {
                    Ok(true) => {
                        let chunk = buf.split().freeze();
                        if commands.send(Command::Input(id, chunk)).await.is_err() {
                            break;
                        }
                    }
                    _ => break,
                }
            }
            out = outgoing.recv() => match out {
                Some(Outgoing::Bytes(bytes)) => {
                    let len = bytes.len();
                    if transport.write(bytes).await.is_err() {
                        break;
                    }
                    let _ = commands.send(Command::Sent(id, len)).await;
                }
                Some(Outgoing::Close) | None => break,
            },
        }
    }
    transport.close().await;
    let _ = commands.send(Command::Disconnect(id)).await;
}

/// A connection as the hub knows it.
struct Peer {
    outbox: mpsc::UnboundedSender<Outgoing>,
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
                    Command::Connect { outbox, reply } => {
                        let id = broker.handle_connect(now);
                        peers.insert(id, Peer { outbox, input: BytesMut::new() });
                        if reply.send(id).is_err() {
                            peers.remove(&id);
                            broker.handle_disconnect(now, id);
                        }
                    }
                    Command::Input(id, bytes) => {
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
                // After what was queued before it, in order.
                let _ = peer.outbox.send(Outgoing::Close);
            }
        }
        if !progressed {
            return;
        }
    }
}
