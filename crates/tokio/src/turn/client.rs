//! [`Client`]: the sans-IO [`rtw_turn::client::Client`] driven by a task
//! over UDP, TCP or TLS, behind an async API.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use rtw_stun::Transport;
use rtw_stun::attributes::ChannelNumber;
use rtw_turn::client::{Client as TurnClient, ClientConfig, ClientEvent};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::{Error, is_transient, now, sleep_until};
use crate::OsRandom;

/// Largest datagram received from the server.
const MAX_DATAGRAM: usize = 20 + 65_535;

/// Received data waiting for [`Client::recv`], at most; more is dropped
/// (as UDP would drop it).
const DATA_QUEUE: usize = 1024;

/// A TURN client with an allocation on a server (RFC 8656): permissions,
/// channels, and data to and from peers through the relayed address.
///
/// A task drives the sans-IO client: it retransmits requests over UDP,
/// refreshes the allocation, its permissions and its channels before they
/// expire, and queues what peers send until [`Client::recv`]. Dropping the
/// client stops the task; the allocation then expires on the server
/// ([`Client::deallocate`] releases it at once).
#[derive(Debug)]
pub struct Client {
    commands: mpsc::UnboundedSender<Command>,
    data: mpsc::Receiver<Result<(SocketAddr, Bytes), Error>>,
    relayed: SocketAddr,
    mapped: SocketAddr,
    local: SocketAddr,
    task: JoinHandle<()>,
}

impl Drop for Client {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What the caller asks of the task.
enum Command {
    CreatePermission(IpAddr, oneshot::Sender<Result<(), Error>>),
    BindChannel(SocketAddr, oneshot::Sender<Result<ChannelNumber, Error>>),
    Send(SocketAddr, Bytes, oneshot::Sender<Result<(), Error>>),
    Deallocate(oneshot::Sender<Result<(), Error>>),
}

/// The allocation's addresses, or why there is none.
type Allocated = Result<(SocketAddr, SocketAddr), Error>;

impl Client {
    /// Allocate a relayed address on `server` (RFC 8656 §7) over
    /// `config.transport`, UDP or TCP, and return once the server granted
    /// it.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the socket cannot be opened, [`Error::Turn`]
    /// when the allocation fails (an error response such as 401 for bad
    /// credentials, or no response in time).
    pub async fn allocate(server: SocketAddr, config: ClientConfig) -> Result<Client, Error> {
        let io = match config.transport {
            Transport::Udp => {
                let socket = UdpSocket::bind(crate::stun::unspecified_for(server)).await?;
                let local = socket.local_addr()?;
                (Io::Udp(socket), local)
            }
            Transport::Tcp => {
                let tcp = TcpStream::connect(server).await?;
                let _ = tcp.set_nodelay(true);
                let local = tcp.local_addr()?;
                (Io::stream(tcp), local)
            }
            other => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "Client::allocate runs over UDP or TCP, not {other:?}; use allocate_tls"
                    ),
                )
                .into());
            }
        };
        Client::start(server, config, io).await
    }

    /// Allocate over TLS (RFC 8656 §3.1): connect to `server`, check its
    /// certificate for `server_name` with `tls` ([`client_tls_config`](super::client_tls_config)
    /// makes one that trusts given roots), then allocate as
    /// [`Client::allocate`] does.
    ///
    /// # Errors
    ///
    /// As [`Client::allocate`], and [`Error::Io`] when the TLS handshake
    /// fails.
    pub async fn allocate_tls(
        server: SocketAddr,
        server_name: &str,
        tls: Arc<rustls::ClientConfig>,
        config: ClientConfig,
    ) -> Result<Client, Error> {
        let name = rustls_pki_types::ServerName::try_from(server_name.to_owned())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let tcp = TcpStream::connect(server).await?;
        let _ = tcp.set_nodelay(true);
        let local = tcp.local_addr()?;
        let stream = tokio_rustls::TlsConnector::from(tls)
            .connect(name, tcp)
            .await?;
        Client::start(
            server,
            config.transport(Transport::Tls),
            (Io::stream(stream), local),
        )
        .await
    }

    async fn start(
        server: SocketAddr,
        config: ClientConfig,
        (io, local): (Io, SocketAddr),
    ) -> Result<Client, Error> {
        let mut turn = TurnClient::new(server, config, Box::new(OsRandom::new()?))?;
        turn.allocate(now())?;
        let (commands, receiver) = mpsc::unbounded_channel();
        let (data_sender, data) = mpsc::channel(DATA_QUEUE);
        let (allocated_sender, allocated) = oneshot::channel();
        let driver = Driver {
            turn,
            server,
            io,
            commands: receiver,
            data: data_sender,
            allocated: Some(allocated_sender),
            permissions: HashMap::new(),
            channels: HashMap::new(),
            deallocated: None,
        };
        let task = tokio::spawn(driver.run());
        let (relayed, mapped) = match allocated.await {
            Ok(result) => result?,
            Err(_) => return Err(Error::Closed),
        };
        Ok(Client {
            commands,
            data,
            relayed,
            mapped,
            local,
            task,
        })
    }

    /// The relayed address peers send to (XOR-RELAYED-ADDRESS).
    pub fn relayed_address(&self) -> SocketAddr {
        self.relayed
    }

    /// Our address as the server saw it (XOR-MAPPED-ADDRESS).
    pub fn mapped_address(&self) -> SocketAddr {
        self.mapped
    }

    /// The local address of the socket to the server.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Install a permission for `peer` (RFC 8656 §9) and wait for the
    /// server's answer; it is refreshed until the allocation ends.
    ///
    /// # Errors
    ///
    /// [`Error::Turn`] with the server's error response (403 for a peer
    /// the server refuses) or a timeout; [`Error::Closed`] when the
    /// client's task has ended.
    pub async fn create_permission(&self, peer: IpAddr) -> Result<(), Error> {
        let (reply, answer) = oneshot::channel();
        self.ask(Command::CreatePermission(peer, reply))?;
        answer.await.unwrap_or(Err(Error::Closed))
    }

    /// Bind a channel to `peer` (RFC 8656 §12), which installs a
    /// permission for its IP too, and wait for the server's answer; data
    /// to and from `peer` then goes as ChannelData.
    ///
    /// # Errors
    ///
    /// As [`Client::create_permission`].
    pub async fn bind_channel(&self, peer: SocketAddr) -> Result<ChannelNumber, Error> {
        let (reply, answer) = oneshot::channel();
        self.ask(Command::BindChannel(peer, reply))?;
        answer.await.unwrap_or(Err(Error::Closed))
    }

    /// Send `data` to `peer` through the relay (RFC 8656 §10, §12):
    /// ChannelData if a channel is bound, else a Send indication. Returns
    /// once it is handed to the socket.
    ///
    /// # Errors
    ///
    /// [`Error::Turn`] with [`rtw_turn::Error::NoPermission`] if no
    /// permission was asked for the peer's IP; [`Error::Closed`] when the
    /// client's task has ended.
    pub async fn send_to(&self, peer: SocketAddr, data: impl Into<Bytes>) -> Result<(), Error> {
        let (reply, answer) = oneshot::channel();
        self.ask(Command::Send(peer, data.into(), reply))?;
        answer.await.unwrap_or(Err(Error::Closed))
    }

    /// The next data a peer sent through the relay, and the peer.
    ///
    /// # Errors
    ///
    /// Why the client ended: the allocation expired or could not be
    /// refreshed ([`Error::Turn`]), the connection to the server closed
    /// ([`Error::Io`], [`Error::Closed`]).
    pub async fn recv(&mut self) -> Result<(SocketAddr, Bytes), Error> {
        self.data.recv().await.unwrap_or(Err(Error::Closed))
    }

    /// Release the allocation (a Refresh with LIFETIME 0, RFC 8656 §8) and
    /// wait for the server's answer.
    ///
    /// # Errors
    ///
    /// As [`Client::create_permission`].
    pub async fn deallocate(self) -> Result<(), Error> {
        let (reply, answer) = oneshot::channel();
        self.ask(Command::Deallocate(reply))?;
        answer.await.unwrap_or(Err(Error::Closed))
    }

    fn ask(&self, command: Command) -> Result<(), Error> {
        self.commands.send(command).map_err(|_| Error::Closed)
    }
}

/// The connection to the server.
enum Io {
    Udp(UdpSocket),
    Stream {
        read: ReadHalf<Box<dyn Stream>>,
        write: WriteHalf<Box<dyn Stream>>,
        buf: BytesMut,
    },
}

/// A TCP or TLS connection.
trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

impl Io {
    fn stream(stream: impl Stream + 'static) -> Io {
        let (read, write) = tokio::io::split(Box::new(stream) as Box<dyn Stream>);
        Io::Stream {
            read,
            write,
            buf: BytesMut::new(),
        }
    }
}

/// The task's state.
struct Driver {
    turn: TurnClient,
    server: SocketAddr,
    io: Io,
    commands: mpsc::UnboundedReceiver<Command>,
    data: mpsc::Sender<Result<(SocketAddr, Bytes), Error>>,
    allocated: Option<oneshot::Sender<Allocated>>,
    permissions: HashMap<IpAddr, Vec<oneshot::Sender<Result<(), Error>>>>,
    channels: HashMap<SocketAddr, Vec<oneshot::Sender<Result<ChannelNumber, Error>>>>,
    deallocated: Option<oneshot::Sender<Result<(), Error>>>,
}

/// Why the task woke up.
enum Wake {
    Command(Option<Command>),
    Received(io::Result<usize>),
    Timeout,
}

impl Driver {
    async fn run(mut self) {
        let mut udp_buf = vec![0u8; MAX_DATAGRAM];
        let end = loop {
            if let Err(e) = self.flush().await {
                break Some(e);
            }
            let deadline = self.turn.poll_timeout();
            let wake = tokio::select! {
                command = self.commands.recv() => Wake::Command(command),
                received = receive(&mut self.io, self.server, &mut udp_buf) => Wake::Received(received),
                () = sleep_until(deadline), if deadline.is_some() => Wake::Timeout,
            };
            match wake {
                // The handle is gone: nobody is left to tell.
                Wake::Command(None) => return,
                Wake::Command(Some(command)) => self.apply(command),
                Wake::Received(Ok(n)) => {
                    let bytes: &[u8] = match &mut self.io {
                        Io::Udp(_) => &udp_buf[..n],
                        Io::Stream { buf, .. } => &buf.split().freeze(),
                    };
                    let _ = self.turn.handle_input(now(), self.server, bytes);
                }
                Wake::Received(Err(e)) => break Some(Error::Io(e)),
                Wake::Timeout => self.turn.handle_timeout(now()),
            }
        };
        let error = end.unwrap_or(Error::Closed);
        if let Some(waiter) = self.allocated.take() {
            let _ = waiter.send(Err(clone_error(&error)));
        }
        let _ = self.data.try_send(Err(error));
    }

    fn apply(&mut self, command: Command) {
        match command {
            Command::CreatePermission(peer, reply) => {
                match self.turn.create_permission(now(), peer) {
                    Ok(()) => self.permissions.entry(peer).or_default().push(reply),
                    Err(e) => {
                        let _ = reply.send(Err(e.into()));
                    }
                }
            }
            Command::BindChannel(peer, reply) => match self.turn.bind_channel(now(), peer) {
                Ok(_) => self.channels.entry(peer).or_default().push(reply),
                Err(e) => {
                    let _ = reply.send(Err(e.into()));
                }
            },
            Command::Send(peer, data, reply) => {
                let result = self.turn.send_to(now(), peer, &data);
                let _ = reply.send(result.map_err(Error::from));
            }
            Command::Deallocate(reply) => match self.turn.deallocate(now()) {
                Ok(()) => self.deallocated = Some(reply),
                Err(e) => {
                    let _ = reply.send(Err(e.into()));
                }
            },
        }
    }

    /// Send the client's transmits and dispatch its events.
    async fn flush(&mut self) -> Result<(), Error> {
        while let Some(transmit) = self.turn.poll_transmit() {
            match &mut self.io {
                Io::Udp(socket) => {
                    super::send_datagram(socket, &transmit.contents, transmit.destination).await;
                }
                Io::Stream { write, .. } => {
                    write.write_all(&transmit.contents).await?;
                }
            }
        }
        if let Io::Stream { write, .. } = &mut self.io {
            write.flush().await?;
        }
        while let Some(event) = self.turn.poll_event() {
            self.event(event)?;
        }
        Ok(())
    }

    fn event(&mut self, event: ClientEvent) -> Result<(), Error> {
        match event {
            ClientEvent::Allocated {
                relayed, mapped, ..
            } => {
                if let Some(waiter) = self.allocated.take() {
                    let _ = waiter.send(Ok((relayed, mapped)));
                }
            }
            ClientEvent::AllocationFailed(error) => return Err(error.into()),
            ClientEvent::PermissionCreated { peer } => {
                for waiter in self.permissions.remove(&peer).unwrap_or_default() {
                    let _ = waiter.send(Ok(()));
                }
            }
            ClientEvent::PermissionFailed { peer, error } => {
                for waiter in self.permissions.remove(&peer).unwrap_or_default() {
                    let _ = waiter.send(Err(error.clone().into()));
                }
            }
            ClientEvent::ChannelBound { peer, channel } => {
                for waiter in self.channels.remove(&peer).unwrap_or_default() {
                    let _ = waiter.send(Ok(channel));
                }
            }
            ClientEvent::ChannelBindFailed { peer, error } => {
                for waiter in self.channels.remove(&peer).unwrap_or_default() {
                    let _ = waiter.send(Err(error.clone().into()));
                }
            }
            ClientEvent::Data { peer, data } => {
                // Dropped when the caller does not keep up, as UDP would.
                let _ = self.data.try_send(Ok((peer, data)));
            }
            ClientEvent::Deallocated => {
                if let Some(waiter) = self.deallocated.take() {
                    let _ = waiter.send(Ok(()));
                }
                return Err(Error::Closed);
            }
            ClientEvent::Expired(error) => return Err(error.into()),
            // Refreshed, and events of later versions.
            _ => {}
        }
        Ok(())
    }
}

/// The next bytes from the server: a datagram from it into `udp_buf`, or
/// the next bytes of the stream into its buffer; 0 bytes never (a closed
/// stream is an error).
async fn receive(io: &mut Io, server: SocketAddr, udp_buf: &mut [u8]) -> io::Result<usize> {
    match io {
        Io::Udp(socket) => loop {
            match socket.recv_from(udp_buf).await {
                Ok((n, from)) if from == server => return Ok(n),
                Ok(_) => {}
                Err(e) if is_transient(&e) => {}
                Err(e) => return Err(e),
            }
        },
        Io::Stream { read, buf, .. } => {
            buf.reserve(16 * 1024);
            match read.read_buf(buf).await? {
                0 => Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the server closed the connection",
                )),
                n => Ok(n),
            }
        }
    }
}

/// A copy of `error` for a second receiver (io::Error is not Clone).
fn clone_error(error: &Error) -> Error {
    match error {
        Error::Turn(e) => Error::Turn(e.clone()),
        Error::Io(e) => Error::Io(io::Error::new(e.kind(), e.to_string())),
        _ => Error::Closed,
    }
}
