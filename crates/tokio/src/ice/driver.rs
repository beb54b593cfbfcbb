//! The task that drives an [`IceAgent`]: datagrams from every socket,
//! timers, and the caller's commands in; transmits, events, status and
//! application data out.

use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use rtw_ice::{Candidate, ConnectionState, Credentials, IceAgent, IceEvent, TurnConfig};
use tokio::io::ReadBuf;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;

/// Largest datagram received: the largest UDP payload over IPv4.
const MAX_DATAGRAM: usize = 65_535;

/// How long the task goes on after the handle is dropped, so that the
/// deletion of TURN allocations (RFC 8656 §8.1) is answered or
/// retransmitted: at most this long, less when every deletion is done.
const CLOSE_LINGER: Duration = Duration::from_secs(5);

/// What the caller asks of the task.
#[derive(Debug)]
pub(super) enum Command {
    SetRemoteCredentials(Credentials),
    AddRemoteCandidate(Candidate),
    EndOfRemoteCandidates,
    GatherServerReflexive {
        base: SocketAddr,
        server: SocketAddr,
    },
    GatherRelayed {
        base: SocketAddr,
        server: SocketAddr,
        config: Box<TurnConfig>,
        reply: oneshot::Sender<Result<(), rtw_ice::Error>>,
    },
    /// Application data over the selected pair, through the agent (the
    /// pair starts at a relayed candidate).
    SendData(Bytes),
    /// ICE restart with new local credentials (RFC 8445 §9).
    Restart(Credentials),
}

/// What the caller can read at any time without asking the task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Status {
    pub(super) state: ConnectionState,
    pub(super) selected: Option<(SocketAddr, SocketAddr)>,
}

impl Status {
    pub(super) fn of(agent: &IceAgent) -> Self {
        Status {
            state: agent.state(),
            selected: agent.selected_pair(),
        }
    }
}

/// Why the task woke up.
enum Wake {
    Command(Option<Command>),
    Datagram {
        local: SocketAddr,
        received: io::Result<(SocketAddr, usize)>,
    },
    Timeout,
}

/// The agent, its sockets and its channels to the caller.
pub(super) struct Driver {
    agent: IceAgent,
    sockets: Arc<[(SocketAddr, Arc<UdpSocket>)]>,
    commands: mpsc::UnboundedReceiver<Command>,
    status: watch::Sender<Status>,
    data: mpsc::Sender<(SocketAddr, Bytes)>,
    events: mpsc::Sender<IceEvent>,
    /// The socket polled first next time, so that a busy socket cannot
    /// starve the others.
    next_socket: usize,
    /// When the last datagram arrived, on any socket, shared with the
    /// handle ([`IceConnection::last_received`](super::IceConnection::last_received)).
    last_received: Arc<Mutex<Option<Instant>>>,
}

impl Driver {
    pub(super) fn new(
        agent: IceAgent,
        sockets: Arc<[(SocketAddr, Arc<UdpSocket>)]>,
        commands: mpsc::UnboundedReceiver<Command>,
        status: watch::Sender<Status>,
        data: mpsc::Sender<(SocketAddr, Bytes)>,
        events: mpsc::Sender<IceEvent>,
        last_received: Arc<Mutex<Option<Instant>>>,
    ) -> Self {
        Driver {
            agent,
            sockets,
            commands,
            status,
            data,
            events,
            next_socket: 0,
            last_received,
        }
    }

    /// Run until the caller's handle is gone, then close the agent (its
    /// TURN allocations are deleted) and linger until that is done or
    /// [`CLOSE_LINGER`] has passed.
    pub(super) async fn run(mut self) {
        let mut buf = vec![0u8; MAX_DATAGRAM];
        // The agent schedules nothing before it is given a time.
        self.agent.handle_timeout(now());
        let mut closing: Option<Instant> = None;
        loop {
            self.flush().await;
            let mut deadline = self.agent.poll_timeout().map(Instant::from_std);
            if let Some(until) = closing {
                match deadline {
                    Some(d) if Instant::now() < until => deadline = Some(d.min(until)),
                    _ => return,
                }
            }
            let wake = {
                let sockets = &self.sockets;
                let start = self.next_socket;
                let buf = &mut buf;
                tokio::select! {
                    command = self.commands.recv(), if closing.is_none() => Wake::Command(command),
                    (index, received) = poll_fn(|cx| poll_recv_any(cx, sockets, start, buf)) => {
                        self.next_socket = (index + 1) % sockets.len();
                        Wake::Datagram { local: sockets[index].0, received }
                    }
                    () = sleep_until(deadline), if deadline.is_some() => Wake::Timeout,
                }
            };
            match wake {
                Wake::Command(None) => {
                    self.agent.close(now());
                    closing = Some(Instant::now() + CLOSE_LINGER);
                }
                Wake::Command(Some(command)) => self.apply(command),
                Wake::Datagram {
                    local,
                    received: Ok((source, len)),
                } => {
                    // A poisoned lock only means a panic elsewhere while it
                    // was held: the time in it is still a time.
                    *self.last_received.lock().unwrap_or_else(|e| e.into_inner()) =
                        Some(Instant::now());
                    let contents = &buf[..len];
                    if !self.agent.handle_receive(now(), source, local, contents) {
                        // Not STUN: the application's. Dropped when the
                        // caller does not keep up, as UDP would.
                        let _ = self
                            .data
                            .try_send((source, Bytes::copy_from_slice(contents)));
                    }
                    // What came through a TURN relay, from the peer that
                    // sent it to the relayed address.
                    while let Some(relayed) = self.agent.poll_relayed_data() {
                        let _ = self.data.try_send((relayed.peer, relayed.data));
                    }
                }
                // An error on one datagram (say, an ICMP error reported
                // on the socket) says nothing about the next one.
                Wake::Datagram {
                    received: Err(_), ..
                } => {}
                Wake::Timeout => self.agent.handle_timeout(now()),
            }
        }
    }

    fn apply(&mut self, command: Command) {
        match command {
            Command::SetRemoteCredentials(credentials) => {
                self.agent.set_remote_credentials(credentials);
            }
            Command::AddRemoteCandidate(candidate) => {
                // Beyond rtw_ice::Limits::max_remote_candidates the
                // candidate is dropped (IceConnection::add_remote_candidate
                // says so).
                let _ = self.agent.add_remote_candidate(now(), candidate);
            }
            Command::EndOfRemoteCandidates => self.agent.end_of_remote_candidates(),
            Command::GatherServerReflexive { base, server } => {
                // IceConnection::gather_server_reflexive checked the base.
                let _ = self.agent.gather_server_reflexive(now(), base, server);
            }
            Command::GatherRelayed {
                base,
                server,
                config,
                reply,
            } => {
                // A failed allocation comes later, as IceEvent::RelayFailed.
                let result = self.agent.gather_relayed(now(), base, server, *config);
                let _ = reply.send(result);
            }
            Command::SendData(data) => {
                // No pair selected (any more): dropped, as UDP would.
                let _ = self.agent.send_data(now(), &data);
            }
            Command::Restart(credentials) => self.agent.restart(now(), credentials),
        }
    }

    /// Send what the agent has to send, forward its events and publish its
    /// status.
    async fn flush(&mut self) {
        while let Some(transmit) = self.agent.poll_transmit() {
            let socket = self
                .sockets
                .iter()
                .find(|(addr, _)| Some(*addr) == transmit.source);
            // A transmit from an address with no socket of ours (a base the
            // caller never bound) cannot go out; a failed send is a lost
            // datagram, which the agent's retransmissions cover.
            if let Some((_, socket)) = socket {
                let _ = socket
                    .send_to(&transmit.contents, transmit.destination)
                    .await;
            }
        }
        while let Some(event) = self.agent.poll_event() {
            let _ = self.events.try_send(event);
        }
        let status = Status::of(&self.agent);
        self.status.send_if_modified(|current| {
            let changed = *current != status;
            *current = status;
            changed
        });
    }
}

/// The current time, as the agent takes it.
fn now() -> std::time::Instant {
    Instant::now().into_std()
}

/// Sleep until `deadline`, or forever without one.
async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// Receive one datagram into `buf` from whichever of `sockets` has one,
/// trying them from `start` on: the index of the socket, and the source
/// and length of the datagram.
fn poll_recv_any(
    cx: &mut Context<'_>,
    sockets: &[(SocketAddr, Arc<UdpSocket>)],
    start: usize,
    buf: &mut [u8],
) -> Poll<(usize, io::Result<(SocketAddr, usize)>)> {
    for k in 0..sockets.len() {
        let index = (start + k) % sockets.len();
        let mut read = ReadBuf::new(buf);
        if let Poll::Ready(result) = sockets[index].1.poll_recv_from(cx, &mut read) {
            return Poll::Ready((index, result.map(|source| (source, read.filled().len()))));
        }
    }
    Poll::Pending
}
