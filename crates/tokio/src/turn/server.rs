//! [`Server`]: the listeners, and the tasks that accept connections on
//! them, around the server's task ([`super::core`]).

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rtw_stun::Transport;
use rtw_turn::server::{FiveTuple, Server as TurnServer, ServerEvent, ServerStats};
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use super::core::{Core, Input};
use super::relay::Ports;
use super::stream::{self, Timeouts};
use super::{Error, ServerOptions};
use crate::OsRandom;
use crate::listener::{Listener, Permit};

/// Tries at binding UDP and TCP on one port when the port is picked by
/// the system.
const BIND_TRIES: usize = 16;

/// The receive and send buffers asked for the UDP listener: 4 MiB.
const LISTENER_BUFFER: usize = 4 << 20;

/// A TURN server on tokio: see the [module](super) docs.
pub struct Server {
    options: ServerOptions,
    server: TurnServer,
    udp: UdpSocket,
    tcp: Listener,
    tls: Option<(Listener, TlsAcceptor)>,
    relay_ips: Vec<IpAddr>,
    stats: watch::Sender<ServerStats>,
    events: Option<mpsc::Sender<ServerEvent>>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("listen", &self.local_addr())
            .field("tls", &self.tls_local_addr())
            .field("relay_ips", &self.relay_ips)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Bind the listeners of `options` and make the sans-IO server.
    ///
    /// # Errors
    ///
    /// [`Error::Turn`] when the sans-IO server refuses the configuration
    /// (no realm, no credentials), [`Error::Io`] when a socket cannot be
    /// bound or the relay IPs are not usable (none given while listening on
    /// an unspecified address, or an unspecified one given).
    pub async fn bind(options: ServerOptions) -> Result<Self, Error> {
        let relay_ips = if options.relay_ips.is_empty() {
            vec![options.listen.ip()]
        } else {
            options.relay_ips.clone()
        };
        if relay_ips.iter().any(IpAddr::is_unspecified) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "relayed addresses need a relay IP that peers can send to, not an unspecified \
                 address (set the relay IPs)",
            )
            .into());
        }
        let server = TurnServer::new(options.config.clone(), Box::new(OsRandom::new()?))?;
        let (udp, tcp) = bind_pair(options.listen).await?;
        let tcp = Listener::from_std(tcp, options.listener.clone())?;
        let tls = match &options.tls {
            Some((addr, config)) => {
                let listener = Listener::bind(*addr, options.listener.clone()).await?;
                Some((listener, TlsAcceptor::from(Arc::clone(config))))
            }
            None => None,
        };
        let (stats, _) = watch::channel(ServerStats::default());
        Ok(Server {
            options,
            server,
            udp,
            tcp,
            tls,
            relay_ips,
            stats,
            events: None,
        })
    }

    /// The address of the UDP socket and the TCP listener.
    pub fn local_addr(&self) -> SocketAddr {
        self.tcp
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// The address of the TLS listener, if there is one.
    pub fn tls_local_addr(&self) -> Option<SocketAddr> {
        self.tls
            .as_ref()
            .map(|(l, _)| l.local_addr().expect("a bound listener has an address"))
    }

    /// The IPs relayed addresses are bound on.
    pub fn relay_ips(&self) -> &[IpAddr] {
        &self.relay_ips
    }

    /// The sans-IO server's counters, updated every
    /// [`ServerOptions::wall_clock_interval`] while the server runs.
    pub fn stats(&self) -> watch::Receiver<ServerStats> {
        self.stats.subscribe()
    }

    /// A copy of every event of the sans-IO server (allocations created
    /// and deleted, relays opened and closed, connections closed), for
    /// logs. At most `capacity` wait; while the receiver lags, later
    /// events are not copied. Call before [`Server::run`]; a second call
    /// replaces the first receiver.
    pub fn events(&mut self, capacity: usize) -> mpsc::Receiver<ServerEvent> {
        let (sender, receiver) = mpsc::channel(capacity.max(1));
        self.events = Some(sender);
        receiver
    }

    /// Serve until the UDP listener fails (an error that is not one
    /// datagram's) or a listener breaks; dropping the future stops the
    /// server and every task it started, and closes every socket.
    pub async fn run(self) -> Result<(), Error> {
        self.run_until(std::future::pending()).await
    }

    /// [`Server::run`] until `stop` is done too (a server's drain, e.g.
    /// [`Drain::draining`](crate::drain::Drain::draining) on SIGTERM), then
    /// `Ok`: the listeners are closed, every allocation is released with
    /// the server's state (nothing is relayed any more, the relayed
    /// sockets and the peer connections are closed) and every TCP and TLS
    /// client connection ends. TURN has no message that tells a client the
    /// server is going (RFC 8656): a client sees its control connection
    /// closed, or its next Refresh refused by the server that comes back
    /// (437 Allocation Mismatch).
    pub async fn run_until(self, stop: impl Future<Output = ()>) -> Result<(), Error> {
        let Server {
            options,
            server,
            udp,
            tcp,
            tls,
            relay_ips,
            stats,
            events,
        } = self;
        let (sender, inputs) = mpsc::channel(options.channel_capacity.max(1));
        let timeouts = Timeouts {
            idle: options.idle_timeout,
            frame: options.frame_timeout,
            write: options.write_timeout,
            rfc5766_channels: options.config.rfc5766_channels,
        };
        let serials = Arc::new(AtomicU64::new(0));
        let tcp_task = AbortOnDrop(tokio::spawn(accept_tcp(
            tcp,
            sender.clone(),
            timeouts,
            Arc::clone(&serials),
        )));
        let tls_task = tls.map(|(listener, acceptor)| {
            AbortOnDrop(tokio::spawn(accept_tls(
                listener,
                acceptor,
                options.tls_handshake_timeout,
                sender.clone(),
                timeouts,
                Arc::clone(&serials),
            )))
        });
        let ports = Ports::new(*options.relay_ports.start(), *options.relay_ports.end())?;
        let mut core = Core::new(
            server,
            Arc::new(udp),
            inputs,
            sender,
            &relay_ips,
            ports,
            &options,
            stats,
        )?;
        core.observer = events;
        let core = core.run();
        tokio::pin!(core);
        let mut tcp_task = tcp_task;
        tokio::select! {
            result = &mut core => Ok(result?),
            result = &mut tcp_task.0 => listener_ended(result),
            result = wait_tls(tls_task) => listener_ended(result),
            () = stop => Ok(()),
        }
    }

    /// Run the server as a tokio task; abort the handle to stop it.
    pub fn spawn(self) -> JoinHandle<Result<(), Error>> {
        tokio::spawn(self.run())
    }
}

/// A task aborted when its handle is dropped.
struct AbortOnDrop(JoinHandle<io::Result<()>>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The end of the TLS accept task, or never without one.
async fn wait_tls(task: Option<AbortOnDrop>) -> Result<io::Result<()>, tokio::task::JoinError> {
    match task {
        Some(mut task) => (&mut task.0).await,
        None => std::future::pending().await,
    }
}

/// An accept task ended: its listener broke.
fn listener_ended(result: Result<io::Result<()>, tokio::task::JoinError>) -> Result<(), Error> {
    match result {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(e.into()),
        Err(e) => Err(io::Error::other(e).into()),
    }
}

/// A UDP socket and a TCP listener on the same address; with port 0, on
/// a port that is free for both.
async fn bind_pair(addr: SocketAddr) -> io::Result<(UdpSocket, std::net::TcpListener)> {
    let mut last = None;
    for _ in 0..BIND_TRIES {
        let udp = UdpSocket::bind(addr).await?;
        let bound = udp.local_addr()?;
        match std::net::TcpListener::bind(bound) {
            Ok(tcp) => {
                // Every UDP client shares this socket: room for bursts
                // while the server's task is busy. Best effort; the kernel
                // caps it (net.core.rmem_max, wmem_max).
                let socket = socket2::SockRef::from(&udp);
                let _ = socket.set_recv_buffer_size(LISTENER_BUFFER);
                let _ = socket.set_send_buffer_size(LISTENER_BUFFER);
                return Ok((udp, tcp));
            }
            Err(e) if addr.port() == 0 && e.kind() == io::ErrorKind::AddrInUse => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::from(io::ErrorKind::AddrInUse)))
}

/// The next client connection of `listener`: its socket, its 5-tuple
/// over `transport`, a serial number for the server's task, and the
/// listener's slot.
async fn next_client(
    listener: &Listener,
    local: SocketAddr,
    transport: Transport,
    serials: &AtomicU64,
) -> io::Result<(TcpStream, FiveTuple, u64, Permit)> {
    let (tcp, client, permit) = listener.accept().await?;
    let five_tuple = FiveTuple::new(transport, client, local);
    Ok((
        tcp,
        five_tuple,
        serials.fetch_add(1, Ordering::Relaxed),
        permit,
    ))
}

/// Accept TCP clients (RFC 8656 §3.1) until the listener breaks.
async fn accept_tcp(
    listener: Listener,
    inputs: mpsc::Sender<Input>,
    timeouts: Timeouts,
    serials: Arc<AtomicU64>,
) -> io::Result<()> {
    let local = listener.local_addr()?;
    loop {
        let (tcp, five_tuple, serial, permit) =
            next_client(&listener, local, Transport::Tcp, &serials).await?;
        tokio::spawn(stream::serve(
            tcp,
            five_tuple,
            serial,
            inputs.clone(),
            timeouts,
            permit,
        ));
    }
}

/// Accept TLS clients (RFC 8656 §3.1) until the listener breaks; each
/// handshake runs in the connection's task, within `handshake_timeout`.
async fn accept_tls(
    listener: Listener,
    acceptor: TlsAcceptor,
    handshake_timeout: std::time::Duration,
    inputs: mpsc::Sender<Input>,
    timeouts: Timeouts,
    serials: Arc<AtomicU64>,
) -> io::Result<()> {
    let local = listener.local_addr()?;
    loop {
        let (tcp, five_tuple, serial, permit) =
            next_client(&listener, local, Transport::Tls, &serials).await?;
        let acceptor = acceptor.clone();
        let inputs = inputs.clone();
        tokio::spawn(async move {
            let Ok(Ok(tls)) = tokio::time::timeout(handshake_timeout, acceptor.accept(tcp)).await
            else {
                return;
            };
            stream::serve(tls, five_tuple, serial, inputs, timeouts, permit).await;
        });
    }
}
