//! The task that owns the sans-IO [`rtw_turn::server::Server`]: the UDP
//! listener, inputs from every other socket's task, one sleep, and the
//! server's transmits and events carried out.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use rtw_stun::Transport;
use rtw_stun::attributes::AddressFamily;
use rtw_turn::server::{
    ConnectionId, FiveTuple, RelayAddresses, RelayError, RelayProtocol, RelayRequest,
    Server as TurnServer, ServerEvent, ServerStats, ServerTransmit,
};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::{Notify, mpsc, watch};
use tokio::task::AbortHandle;

use super::relay::{self, Ports};
use super::stream::{Command, Handle};
use super::{is_transient, now, send_datagram};

/// Largest datagram received from a client: a STUN message is at most
/// 20 + 65,535 bytes, ChannelData 4 + 65,535.
const MAX_DATAGRAM: usize = 20 + 65_535;

/// Datagrams or inputs taken in a row before the server's output is sent.
const BURST: usize = 64;

/// What the socket tasks give the server's task.
#[derive(Debug)]
pub(super) enum Input {
    /// A TCP or TLS connection was accepted.
    StreamOpened {
        five_tuple: FiveTuple,
        handle: Handle,
    },
    /// Bytes from a TCP or TLS connection.
    StreamBytes { five_tuple: FiveTuple, bytes: Bytes },
    /// A TCP or TLS connection ended.
    StreamClosed { five_tuple: FiveTuple, serial: u64 },
    /// A datagram from `peer` on the relayed address `relayed`.
    Peer {
        relayed: SocketAddr,
        peer: SocketAddr,
        bytes: Bytes,
    },
    /// A peer connected to the TCP relayed address `relayed` (RFC 6062 §5.3).
    PeerConnection {
        relayed: SocketAddr,
        peer: SocketAddr,
        stream: TcpStream,
    },
    /// The outcome of a Connect (RFC 6062 §5.2).
    PeerConnected {
        connection: ConnectionId,
        stream: Option<TcpStream>,
    },
    /// A spliced peer connection ended.
    PeerConnectionClosed { connection: ConnectionId },
}

/// A relayed (or reserved) address the server's task holds.
enum Relay {
    /// A UDP relayed address and the task that reads it.
    Udp {
        socket: Arc<UdpSocket>,
        _reader: Task,
    },
    /// A TCP relayed address: the task that accepts peers on it.
    Tcp { _acceptor: Task },
    /// A port reserved by EVEN-PORT's R bit (RFC 8656 §14.6), not read
    /// until an allocation takes it.
    Reserved(std::net::UdpSocket),
}

/// A task that is aborted when this is dropped.
struct Task(AbortHandle);

impl Drop for Task {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A TCP connection to a peer (RFC 6062), before it is spliced.
enum PeerConnection {
    Connecting { _task: Task },
    Ready(TcpStream),
}

/// The server's task.
pub(super) struct Core {
    pub(super) server: TurnServer,
    pub(super) udp: Arc<UdpSocket>,
    pub(super) udp_local: SocketAddr,
    pub(super) inputs: mpsc::Receiver<Input>,
    /// For the tasks the server's task starts.
    pub(super) sender: mpsc::Sender<Input>,
    pub(super) relay_v4: Option<IpAddr>,
    pub(super) relay_v6: Option<IpAddr>,
    pub(super) ports: Ports,
    pub(super) max_write_buffer: usize,
    pub(super) peer_connect_timeout: Duration,
    pub(super) wall_clock_interval: Duration,
    pub(super) stats: watch::Sender<ServerStats>,
    pub(super) streams: HashMap<FiveTuple, Handle>,
    /// Where copies of the server's events go, for logs.
    pub(super) observer: Option<mpsc::Sender<ServerEvent>>,
    relays: HashMap<SocketAddr, Relay>,
    peer_connections: HashMap<ConnectionId, PeerConnection>,
    /// Spliced pairs (RFC 6062 §5.4): what ends the task that copies.
    spliced: HashMap<ConnectionId, Arc<Notify>>,
}

/// Why the server's task woke up.
enum Wake {
    Input(Option<Input>),
    Datagram(io::Result<(usize, SocketAddr)>),
    Timeout,
    WallClock,
}

impl Core {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new(
        server: TurnServer,
        udp: Arc<UdpSocket>,
        inputs: mpsc::Receiver<Input>,
        sender: mpsc::Sender<Input>,
        relay_ips: &[IpAddr],
        ports: Ports,
        options: &super::ServerOptions,
        stats: watch::Sender<ServerStats>,
    ) -> io::Result<Self> {
        Ok(Core {
            server,
            udp_local: udp.local_addr()?,
            udp,
            inputs,
            sender,
            relay_v4: relay_ips.iter().copied().find(IpAddr::is_ipv4),
            relay_v6: relay_ips.iter().copied().find(IpAddr::is_ipv6),
            ports,
            max_write_buffer: options.max_write_buffer,
            peer_connect_timeout: options.peer_connect_timeout,
            wall_clock_interval: options.wall_clock_interval,
            stats,
            streams: HashMap::new(),
            observer: None,
            relays: HashMap::new(),
            peer_connections: HashMap::new(),
            spliced: HashMap::new(),
        })
    }

    /// Run until the UDP listener fails.
    pub(super) async fn run(mut self) -> io::Result<()> {
        let mut buf = vec![0u8; MAX_DATAGRAM];
        self.server.handle_wall_clock(now(), unix_time());
        self.server.handle_timeout(now());
        let mut wall_clock = tokio::time::interval(self.wall_clock_interval);
        wall_clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // One timer, moved only when the server's deadline moves: most
        // inputs leave it where it was, and re-arming a timer per packet
        // would cost more than the packet.
        let timer = tokio::time::sleep_until(tokio::time::Instant::now());
        tokio::pin!(timer);
        let mut armed: Option<std::time::Instant> = None;
        loop {
            self.flush().await;
            let deadline = self.server.poll_timeout();
            if let Some(deadline) = deadline
                && armed != Some(deadline)
            {
                timer.as_mut().reset(deadline.into());
                armed = Some(deadline);
            }
            let wake = tokio::select! {
                input = self.inputs.recv() => Wake::Input(input),
                received = self.udp.recv_from(&mut buf) => Wake::Datagram(received),
                () = &mut timer, if deadline.is_some() => Wake::Timeout,
                _ = wall_clock.tick() => Wake::WallClock,
            };
            match wake {
                // The task holds a sender itself: never the case.
                Wake::Input(None) => return Ok(()),
                Wake::Input(Some(input)) => {
                    self.input(input);
                    for _ in 1..BURST {
                        match self.inputs.try_recv() {
                            Ok(input) => self.input(input),
                            Err(_) => break,
                        }
                    }
                }
                Wake::Datagram(received) => {
                    let mut received = received;
                    for k in 0..BURST {
                        match received {
                            Ok((n, from)) => {
                                let five_tuple =
                                    FiveTuple::new(Transport::Udp, from, self.udp_local);
                                self.server.handle_client(now(), five_tuple, &buf[..n]);
                            }
                            Err(e) if is_transient(&e) => {}
                            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                            Err(e) => return Err(e),
                        }
                        if k + 1 == BURST {
                            break;
                        }
                        received = self.udp.try_recv_from(&mut buf);
                    }
                }
                Wake::Timeout => {
                    armed = None;
                    self.server.handle_timeout(now());
                }
                Wake::WallClock => {
                    self.server.handle_wall_clock(now(), unix_time());
                    let stats = self.server.stats();
                    self.stats.send_if_modified(|current| {
                        let changed = *current != stats;
                        *current = stats;
                        changed
                    });
                }
            }
        }
    }

    fn input(&mut self, input: Input) {
        match input {
            Input::StreamOpened { five_tuple, handle } => {
                self.streams.insert(five_tuple, handle);
            }
            Input::StreamBytes { five_tuple, bytes } => {
                // Bytes of a connection the server's task already dropped
                // (it overflowed its buffer, or the server closed it) are
                // not the server's any more.
                if self.streams.contains_key(&five_tuple) {
                    self.server.handle_client(now(), five_tuple, &bytes);
                }
            }
            Input::StreamClosed { five_tuple, serial } => {
                match self.streams.get(&five_tuple) {
                    // A later connection with the same 5-tuple: not this
                    // one's to close.
                    Some(handle) if handle.serial != serial => return,
                    Some(_) => {
                        self.streams.remove(&five_tuple);
                    }
                    None => {}
                }
                self.server.handle_client_closed(now(), five_tuple);
            }
            Input::Peer {
                relayed,
                peer,
                bytes,
            } => self.server.handle_peer(now(), relayed, peer, &bytes),
            Input::PeerConnection {
                relayed,
                peer,
                stream,
            } => {
                if let Some(id) = self.server.handle_peer_connection(now(), relayed, peer) {
                    self.peer_connections
                        .insert(id, PeerConnection::Ready(stream));
                }
            }
            Input::PeerConnected { connection, stream } => {
                // Unless the server closed it meanwhile.
                if let Some(PeerConnection::Connecting { .. }) =
                    self.peer_connections.get(&connection)
                {
                    let connected = stream.is_some();
                    match stream {
                        Some(stream) => {
                            // Replaces the finished task's handle.
                            self.peer_connections
                                .insert(connection, PeerConnection::Ready(stream));
                        }
                        None => {
                            self.peer_connections.remove(&connection);
                        }
                    }
                    self.server
                        .handle_peer_connect(now(), connection, connected);
                }
            }
            Input::PeerConnectionClosed { connection } => {
                self.spliced.remove(&connection);
                self.server.handle_peer_connection_closed(now(), connection);
            }
        }
    }

    /// Send everything the server has to send and carry out its events,
    /// until it has nothing more (an event may make more transmits).
    async fn flush(&mut self) {
        loop {
            while let Some(transmit) = self.server.poll_transmit() {
                self.transmit(transmit).await;
            }
            let Some(event) = self.server.poll_event() else {
                return;
            };
            self.event(event);
        }
    }

    async fn transmit(&mut self, transmit: ServerTransmit) {
        match transmit {
            ServerTransmit::Client {
                five_tuple,
                contents,
            } => {
                if five_tuple.transport == Transport::Udp {
                    send_datagram(&self.udp, &contents, five_tuple.client).await;
                } else {
                    self.write_stream(five_tuple, contents);
                }
            }
            ServerTransmit::Peer(transmit) => {
                // From a relayed address that is no longer open: dropped.
                if let Some(source) = transmit.source
                    && let Some(Relay::Udp { socket, .. }) = self.relays.get(&source)
                {
                    send_datagram(socket, &transmit.contents, transmit.destination).await;
                }
            }
        }
    }

    /// Queue `contents` for a TCP or TLS connection. Over the write
    /// buffer's cap (or if its task is gone) the connection is closed at
    /// once, its write in progress abandoned, and the server told.
    fn write_stream(&mut self, five_tuple: FiveTuple, contents: Bytes) {
        let Some(handle) = self.streams.get(&five_tuple) else {
            return;
        };
        let len = contents.len();
        let queued = handle.queued.fetch_add(len, Ordering::AcqRel);
        if queued + len > self.max_write_buffer
            || handle.commands.send(Command::Write(contents)).is_err()
        {
            // A client that does not read: the connection, and with it the
            // allocation (RFC 8656 §7), ends now, not when its task
            // notices.
            if let Some(handle) = self.streams.remove(&five_tuple) {
                handle.close();
            }
            self.server.handle_client_closed(now(), five_tuple);
        }
    }

    fn event(&mut self, event: ServerEvent) {
        if let Some(observer) = &self.observer {
            let _ = observer.try_send(event.clone());
        }
        match event {
            ServerEvent::OpenRelay(request) => {
                let id = request.id;
                let result = self.open_relay(&request);
                self.server.handle_relay(now(), id, result);
            }
            ServerEvent::CloseRelay { relayed } => {
                self.relays.remove(&relayed);
            }
            ServerEvent::AllocationCreated { five_tuple, .. } => {
                if let Some(handle) = self.streams.get(&five_tuple) {
                    handle.allocated.store(true, Ordering::Relaxed);
                }
            }
            ServerEvent::AllocationDeleted { five_tuple, .. } => {
                if let Some(handle) = self.streams.get(&five_tuple) {
                    handle.allocated.store(false, Ordering::Relaxed);
                }
            }
            // What was queued before (an error response, say) is still
            // written; then the connection closes.
            ServerEvent::CloseClient { five_tuple } => {
                self.streams.remove(&five_tuple);
            }
            ServerEvent::ConnectPeer {
                connection,
                relayed,
                peer,
            } => {
                let inputs = self.sender.clone();
                let timeout = self.peer_connect_timeout;
                let task = tokio::spawn(async move {
                    let stream = tokio::time::timeout(timeout, relay::connect_from(relayed, peer))
                        .await
                        .ok()
                        .and_then(Result::ok);
                    let _ = inputs
                        .send(Input::PeerConnected { connection, stream })
                        .await;
                });
                self.peer_connections.insert(
                    connection,
                    PeerConnection::Connecting {
                        _task: Task(task.abort_handle()),
                    },
                );
            }
            ServerEvent::Splice {
                connection,
                client,
                buffered,
            } => {
                let peer = match self.peer_connections.remove(&connection) {
                    Some(PeerConnection::Ready(stream)) => Some(stream),
                    // Dropping a Connecting entry aborts its task.
                    _ => None,
                };
                let spliced = match (peer, self.streams.remove(&client)) {
                    (Some(peer), Some(handle)) => {
                        let abort = Arc::clone(&handle.abort);
                        let sent = handle
                            .commands
                            .send(Command::Splice {
                                connection,
                                peer,
                                buffered,
                            })
                            .is_ok();
                        if sent {
                            self.spliced.insert(connection, abort);
                        }
                        sent
                    }
                    _ => false,
                };
                if !spliced {
                    self.server.handle_peer_connection_closed(now(), connection);
                }
            }
            // A spliced pair ends too when its allocation does (RFC 6062:
            // an allocation's connections close with it).
            ServerEvent::ClosePeerConnection { connection } => {
                self.peer_connections.remove(&connection);
                if let Some(abort) = self.spliced.remove(&connection) {
                    abort.notify_one();
                }
            }
            // Creation and deletion are for logs; later events are ignored.
            _ => {}
        }
    }

    /// Bind the sockets `request` asks for.
    fn open_relay(&mut self, request: &RelayRequest) -> Result<RelayAddresses, RelayError> {
        let ip_of = |core: &Self, family: AddressFamily| match family {
            AddressFamily::V4 => core.relay_v4,
            AddressFamily::V6 => core.relay_v6,
        };
        let ip = ip_of(self, request.family).ok_or(RelayError::FamilyNotSupported)?;
        let relayed = match request.protocol {
            RelayProtocol::Tcp => self.open_tcp(ip)?,
            RelayProtocol::Udp => match request.reserved {
                Some(reserved) => match self.relays.remove(&reserved) {
                    Some(Relay::Reserved(socket)) => {
                        self.activate_udp(socket, request.dont_fragment)?
                    }
                    Some(other) => {
                        self.relays.insert(reserved, other);
                        return Err(RelayError::InsufficientCapacity);
                    }
                    None => return Err(RelayError::InsufficientCapacity),
                },
                None => {
                    let relays = &self.relays;
                    let (socket, next) = self
                        .ports
                        .bind_udp(ip, request.even_port, request.reserve_next, |a| {
                            relays.contains_key(&a)
                        })
                        .ok_or(RelayError::InsufficientCapacity)?;
                    let relayed = self.activate_udp(socket, request.dont_fragment)?;
                    let reserved = match next {
                        Some(next) => {
                            let addr = next
                                .local_addr()
                                .map_err(|_| RelayError::InsufficientCapacity)?;
                            self.relays.insert(addr, Relay::Reserved(next));
                            Some(addr)
                        }
                        None => None,
                    };
                    return Ok(RelayAddresses {
                        relayed,
                        additional: self.open_additional(request),
                        reserved,
                    });
                }
            },
        };
        Ok(RelayAddresses {
            relayed,
            additional: self.open_additional(request),
            reserved: None,
        })
    }

    /// The relayed address of ADDITIONAL-ADDRESS-FAMILY (RFC 8656 §7.2),
    /// if the request asks for one and there is a relay IP of that family.
    fn open_additional(&mut self, request: &RelayRequest) -> Option<SocketAddr> {
        let ip = match request.additional_family? {
            AddressFamily::V4 => self.relay_v4?,
            AddressFamily::V6 => self.relay_v6?,
        };
        match request.protocol {
            RelayProtocol::Tcp => self.open_tcp(ip).ok(),
            RelayProtocol::Udp => {
                let relays = &self.relays;
                let (socket, _) = self
                    .ports
                    .bind_udp(ip, false, false, |a| relays.contains_key(&a))?;
                self.activate_udp(socket, request.dont_fragment).ok()
            }
        }
    }

    /// Start reading a bound UDP relay socket, its datagrams sent with
    /// the DF bit if `dont_fragment` (RFC 8656 §14.8).
    fn activate_udp(
        &mut self,
        socket: std::net::UdpSocket,
        dont_fragment: bool,
    ) -> Result<SocketAddr, RelayError> {
        let fail = |_| RelayError::InsufficientCapacity;
        if dont_fragment {
            relay::set_dont_fragment(&socket).map_err(fail)?;
        }
        socket.set_nonblocking(true).map_err(fail)?;
        let socket = Arc::new(UdpSocket::from_std(socket).map_err(fail)?);
        let relayed = socket.local_addr().map_err(fail)?;
        let reader = tokio::spawn(relay::read_udp(
            Arc::clone(&socket),
            relayed,
            self.sender.clone(),
        ))
        .abort_handle();
        let reader = Task(reader);
        self.relays.insert(
            relayed,
            Relay::Udp {
                socket,
                _reader: reader,
            },
        );
        Ok(relayed)
    }

    /// Bind a TCP relayed address and start accepting peers on it.
    fn open_tcp(&mut self, ip: IpAddr) -> Result<SocketAddr, RelayError> {
        let fail = |_| RelayError::InsufficientCapacity;
        let relays = &self.relays;
        let listener = self
            .ports
            .bind_tcp(ip, |a| relays.contains_key(&a))
            .ok_or(RelayError::InsufficientCapacity)?;
        let listener = TcpListener::from_std(listener).map_err(fail)?;
        let relayed = listener.local_addr().map_err(fail)?;
        let acceptor =
            tokio::spawn(relay::accept_tcp(listener, relayed, self.sender.clone())).abort_handle();
        let acceptor = Task(acceptor);
        self.relays.insert(
            relayed,
            Relay::Tcp {
                _acceptor: acceptor,
            },
        );
        Ok(relayed)
    }
}

/// The wall-clock time since the Unix epoch (zero for a clock set before
/// it).
fn unix_time() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}
