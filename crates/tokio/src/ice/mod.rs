//! ICE (RFC 8445) over tokio's [`UdpSocket`]: an
//! [`rtw_ice::IceAgent`] driven by a task over one socket per host
//! candidate, with data over the selected pair.
//!
//! The agent is [`rtw_ice`]'s; this module only binds sockets, moves
//! datagrams and keeps time. [`IceConnection::bind`] binds a socket on
//! each local address, adds a host candidate for it and spawns the task
//! that drives the agent: it hands every datagram that arrives to
//! [`IceAgent::handle_receive`](rtw_ice::IceAgent::handle_receive), calls
//! [`IceAgent::handle_timeout`](rtw_ice::IceAgent::handle_timeout) when
//! [`IceAgent::poll_timeout`](rtw_ice::IceAgent::poll_timeout) says, sends
//! what [`IceAgent::poll_transmit`](rtw_ice::IceAgent::poll_transmit) gives
//! from the socket of the transmit's base, and forwards
//! [`IceAgent::poll_event`](rtw_ice::IceAgent::poll_event)'s events.
//!
//! Signalling is the caller's: send [`IceConnection::local_credentials`]
//! and [`IceConnection::local_candidates`] to the peer however the
//! application does (SDP offer and answer, trickled candidates, RFC 8838),
//! and hand the peer's to [`IceConnection::set_remote_credentials`],
//! [`IceConnection::add_remote_candidate`] and
//! [`IceConnection::end_of_remote_candidates`].
//! [`IceConnection::connected`] waits until a pair is selected; then
//! [`IceConnection::send`] and [`IceConnection::recv`] carry datagrams
//! over it. Datagrams that are not STUN (RFC 7983 demultiplexing: media,
//! DTLS, anything else) are the application's.
//!
//! With a TURN server, [`IceConnection::gather_relayed`] gives a relayed
//! candidate too (RFC 8445 §5.1.1.2): the agent's rtw-turn client
//! allocates over the host socket, checks from the relayed candidate go
//! through the relay, and when the selected pair starts at it
//! [`IceConnection::send`] and [`IceConnection::recv`] go through the
//! relay (ChannelData once the channel is bound). Dropping the connection
//! deletes the allocations. `tests/ice_turn.rs` runs two connections
//! through `rtw_tokio::turn::Server` on loopback.
//!
//! Time is tokio's ([`tokio::time::Instant`], turned into the
//! [`std::time::Instant`] the agent takes), so the agent and its timers
//! agree. Randomness (credentials, the tie-breaker, transaction ids and
//! consent jitter) comes from [`OsRandom`](crate::OsRandom), a CSPRNG
//! seeded from the operating system.
//!
//! ```
//! # async fn demo() -> Result<(), rtw_tokio::ice::Error> {
//! use std::time::Duration;
//! use rtw_tokio::ice::{IceConnection, Role};
//!
//! let local = "127.0.0.1:0".parse().unwrap();
//! let mut a = IceConnection::bind(&[local], Role::Controlling).await?;
//! let mut b = IceConnection::bind(&[local], Role::Controlled).await?;
//!
//! // Signalling, here in memory: credentials, then candidates (trickled
//! // as text, the way they travel in SDP), then end-of-candidates.
//! a.set_remote_credentials(b.local_credentials().clone())?;
//! b.set_remote_credentials(a.local_credentials().clone())?;
//! for c in a.local_candidates() {
//!     b.add_remote_candidate(rtw_tokio::ice::Candidate::parse(&c.to_json_candidate()).unwrap())?;
//! }
//! for c in b.local_candidates() {
//!     a.add_remote_candidate(rtw_tokio::ice::Candidate::parse(&c.to_json_candidate()).unwrap())?;
//! }
//! a.end_of_remote_candidates()?;
//! b.end_of_remote_candidates()?;
//!
//! let wait = Duration::from_secs(10);
//! let (a_local, a_remote) = tokio::time::timeout(wait, a.connected()).await.unwrap()?;
//! tokio::time::timeout(wait, b.connected()).await.unwrap()?;
//!
//! a.send(b"hello").await?;
//! let (from, data) = tokio::time::timeout(wait, b.recv()).await.unwrap().unwrap();
//! assert_eq!((from, &data[..]), (a_local, &b"hello"[..]));
//! assert_eq!(b.selected_pair(), Some((a_remote, a_local)));
//! # Ok(())
//! # }
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(demo()).unwrap();
//! ```

mod driver;

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use rtw_core::Random;
use rtw_ice::{IceAgent, multihomed_local_preference};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot, watch};

pub use rtw_ice::{Candidate, ConnectionState, Credentials, IceConfig, IceEvent, Role, TurnConfig};
pub use rtw_stun::TransactionConfig;

use driver::{Command, Driver, Status};

/// Unread events kept for the caller; newer ones are dropped while full.
const EVENT_CAPACITY: usize = 256;

/// Application datagrams kept for [`IceConnection::recv`] before newer
/// ones are dropped, as a full socket buffer would.
const DATA_CAPACITY: usize = 1024;

/// What an [`IceConnection`] can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Binding, sending or receiving failed, or the operating system had
    /// no randomness to give.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// [`IceConnection::bind`] was given no address: caller misuse.
    #[error("no local address to bind")]
    NoAddress,
    /// A local address to bind is unspecified (`0.0.0.0`, `::`): a host
    /// candidate needs the address the peer can reach (RFC 8445
    /// §5.1.1.1): caller misuse.
    #[error("{0} is unspecified: a host candidate needs a concrete address (RFC 8445 §5.1.1.1)")]
    UnspecifiedAddress(SocketAddr),
    /// ICE failed: every pair failed after the peer's end-of-candidates,
    /// or consent was lost (RFC 8445 §6.1.3, RFC 7675 §5.1).
    #[error("ICE failed (RFC 8445 §6.1.3)")]
    Failed,
    /// [`IceConnection::send`] before a pair was selected.
    #[error("no candidate pair is selected yet")]
    NotConnected,
    /// The task that drives the agent has ended.
    #[error("the ICE task has ended")]
    Closed,
    /// The agent refused a call, e.g. [`rtw_ice::Error::UnknownBase`]
    /// from [`IceConnection::gather_server_reflexive`].
    #[error(transparent)]
    Ice(#[from] rtw_ice::Error),
}

impl Error {
    /// `true` if the peer broke the protocol or its limits
    /// ([`Error::Ice`] with [`rtw_ice::Error::is_peer_fault`]); `false`
    /// for I/O, caller misuse and a failed connectivity check list
    /// ([`Error::Failed`] is no one's breach of RFC 8445).
    pub fn is_peer_fault(&self) -> bool {
        match self {
            Error::Ice(e) => e.is_peer_fault(),
            _ => false,
        }
    }
}

/// An ICE agent on UDP sockets of its own: see the [module](self) docs.
///
/// Dropping it stops the task and closes the sockets. With TURN
/// allocations ([`IceConnection::gather_relayed`]) the task first deletes
/// them (RFC 8656 §8.1) and ends once that is answered, 5 s at most.
#[derive(Debug)]
pub struct IceConnection {
    commands: mpsc::UnboundedSender<Command>,
    status: watch::Receiver<Status>,
    data: mpsc::Receiver<(SocketAddr, Bytes)>,
    events: Option<mpsc::Receiver<IceEvent>>,
    sockets: Arc<[(SocketAddr, Arc<UdpSocket>)]>,
    candidates: Vec<Candidate>,
    credentials: Credentials,
    last_received: Arc<Mutex<Option<tokio::time::Instant>>>,
}

impl IceConnection {
    /// Bind a UDP socket on each of `addrs` (port 0 picks one), add a host
    /// candidate for each, the first the most preferred (RFC 8445
    /// §5.1.2.1), and start an agent with `role`, the default
    /// [`IceConfig`] and [`random_credentials`].
    ///
    /// Must be called within a tokio runtime: the agent runs in a task.
    pub async fn bind(addrs: &[SocketAddr], role: Role) -> Result<Self, Error> {
        Self::bind_with(addrs, role, IceConfig::default(), random_credentials()?).await
    }

    /// [`IceConnection::bind`] with an explicit `config` and local
    /// `credentials`.
    pub async fn bind_with(
        addrs: &[SocketAddr],
        role: Role,
        config: IceConfig,
        credentials: Credentials,
    ) -> Result<Self, Error> {
        if addrs.is_empty() {
            return Err(Error::NoAddress);
        }
        if let Some(addr) = addrs.iter().find(|a| a.ip().is_unspecified()) {
            return Err(Error::UnspecifiedAddress(*addr));
        }
        let mut random = crate::OsRandom::new()?;
        let tie_breaker = random.u64();
        let mut agent = IceAgent::new(
            config,
            role,
            tie_breaker,
            credentials.clone(),
            Box::new(random),
        );
        let mut sockets = Vec::with_capacity(addrs.len());
        let mut candidates = Vec::with_capacity(addrs.len());
        for (rank, addr) in addrs.iter().enumerate() {
            let socket = UdpSocket::bind(addr).await?;
            let local = socket.local_addr()?;
            candidates.push(agent.add_host_candidate(local, 1, multihomed_local_preference(rank)));
            sockets.push((local, Arc::new(socket)));
        }
        let sockets: Arc<[(SocketAddr, Arc<UdpSocket>)]> = sockets.into();
        let (commands, commands_rx) = mpsc::unbounded_channel();
        let (status_tx, status) = watch::channel(Status::of(&agent));
        let (data_tx, data) = mpsc::channel(DATA_CAPACITY);
        let (events_tx, events) = mpsc::channel(EVENT_CAPACITY);
        let last_received = Arc::new(Mutex::new(None));
        let driver = Driver::new(
            agent,
            sockets.clone(),
            commands_rx,
            status_tx,
            data_tx,
            events_tx,
            last_received.clone(),
        );
        // The task ends on its own once this handle (the only sender of
        // commands) is dropped.
        tokio::spawn(driver.run());
        Ok(IceConnection {
            commands,
            status,
            data,
            events: Some(events),
            sockets,
            candidates,
            credentials,
            last_received,
        })
    }

    /// The host candidates, one per bound socket, in the order of the
    /// addresses given to [`IceConnection::bind`]: signal them to the peer.
    /// Server-reflexive candidates come later as
    /// [`IceEvent::LocalCandidate`].
    pub fn local_candidates(&self) -> &[Candidate] {
        &self.candidates
    }

    /// The addresses the sockets are bound to, in the order of the
    /// addresses given to [`IceConnection::bind`].
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.sockets.iter().map(|(addr, _)| *addr).collect()
    }

    /// The local `ice-ufrag` and `ice-pwd`: signal them to the peer.
    pub fn local_credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The peer's `ice-ufrag` and `ice-pwd`, from its description. Checks
    /// start once they and a remote candidate are known.
    pub fn set_remote_credentials(&self, credentials: Credentials) -> Result<(), Error> {
        self.command(Command::SetRemoteCredentials(credentials))
    }

    /// A remote candidate, at any time (trickle ICE, RFC 8838 §11).
    /// Beyond [`rtw_ice::Limits::max_remote_candidates`] (of
    /// [`IceConfig::limits`]) a candidate is dropped.
    pub fn add_remote_candidate(&self, candidate: Candidate) -> Result<(), Error> {
        self.command(Command::AddRemoteCandidate(candidate))
    }

    /// The peer signalled end-of-candidates (RFC 8838 §13): once every pair
    /// has failed, ICE fails.
    pub fn end_of_remote_candidates(&self) -> Result<(), Error> {
        self.command(Command::EndOfRemoteCandidates)
    }

    /// Gather a server-reflexive candidate for the socket bound at `base`
    /// from the STUN server `server` (RFC 8445 §5.1.1.2): it comes as
    /// [`IceEvent::LocalCandidate`], then [`IceEvent::GatheringComplete`].
    /// [`Error::Ice`] with [`rtw_ice::Error::UnknownBase`] if no socket is
    /// bound at `base`.
    pub fn gather_server_reflexive(
        &self,
        base: SocketAddr,
        server: SocketAddr,
    ) -> Result<(), Error> {
        if !self.sockets.iter().any(|(addr, _)| *addr == base) {
            return Err(rtw_ice::Error::UnknownBase(base).into());
        }
        self.command(Command::GatherServerReflexive { base, server })
    }

    /// Gather a relayed candidate for the socket bound at `base` from the
    /// TURN server `server` with `config` (its long-term credentials:
    /// `TurnConfig::new(user, pass)`), RFC 8445 §5.1.1.2: the agent's
    /// rtw-turn client allocates over that socket, the candidate comes as
    /// [`IceEvent::LocalCandidate`] (or [`IceEvent::RelayFailed`]), then
    /// [`IceEvent::GatheringComplete`]. Checks from it go through the
    /// relay; when the selected pair starts at it,
    /// [`IceConnection::send`] and [`IceConnection::recv`] go through the
    /// relay too. The allocation is refreshed while the connection lives
    /// and deleted when it is dropped.
    ///
    /// [`Error::Ice`] with [`rtw_ice::Error::UnknownBase`] if no socket is
    /// bound at `base`, or with [`rtw_ice::Error::Turn`] if `config` is
    /// invalid (an empty username, say).
    pub async fn gather_relayed(
        &self,
        base: SocketAddr,
        server: SocketAddr,
        config: TurnConfig,
    ) -> Result<(), Error> {
        if !self.sockets.iter().any(|(addr, _)| *addr == base) {
            return Err(rtw_ice::Error::UnknownBase(base).into());
        }
        let (reply, result) = oneshot::channel();
        self.command(Command::GatherRelayed {
            base,
            server,
            config: Box::new(config),
            reply,
        })?;
        result
            .await
            .map_err(|_| Error::Closed)?
            .map_err(Error::from)
    }

    /// ICE restart (RFC 8445 §9) with new local `credentials` (give it
    /// fresh ones from [`random_credentials`]; §9 wants both the ufrag
    /// and the password to change): the agent forgets the peer's
    /// credentials and candidates, its pairs and checks, and goes back to
    /// [`ConnectionState::Checking`]. The selected pair stays in use for
    /// data until the new checks select one, which comes as another
    /// [`IceEvent::SelectedPair`].
    ///
    /// Then signal as at the start: [`IceConnection::local_credentials`]
    /// (now `credentials`) and [`IceConnection::local_candidates`] (the
    /// same sockets, so the same host candidates) to the peer, and the
    /// peer's new credentials and candidates to
    /// [`IceConnection::set_remote_credentials`] and
    /// [`IceConnection::add_remote_candidate`]. Calls made after this one
    /// apply to the restarted agent.
    pub fn restart(&mut self, credentials: Credentials) -> Result<(), Error> {
        self.command(Command::Restart(credentials.clone()))?;
        self.credentials = credentials;
        Ok(())
    }

    /// When the last datagram arrived on any of the sockets (STUN or not,
    /// from anyone), as tokio's clock has it; `None` before the first.
    /// With one peer, how long it has been silent: a peer that went away
    /// is reported by consent freshness (RFC 7675 §5.1) only
    /// [`IceConfig::consent_timeout`] after this.
    pub fn last_received(&self) -> Option<tokio::time::Instant> {
        *self.last_received.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The agent's current state.
    pub fn state(&self) -> ConnectionState {
        self.status.borrow().state
    }

    /// The selected pair as (local base, remote address), once there is
    /// one.
    pub fn selected_pair(&self) -> Option<(SocketAddr, SocketAddr)> {
        self.status.borrow().selected
    }

    /// Wait until a pair is selected and return it as (local base, remote
    /// address); [`Error::Failed`] if ICE fails first. Returns at once if a
    /// pair is already selected. It waits as long as the checks go on
    /// (with the default [`IceConfig`], an unanswered check gives up after
    /// 39.5 s, and ICE fails only after the peer's end-of-candidates):
    /// wrap it in [`tokio::time::timeout`] for a deadline of your own.
    pub async fn connected(&self) -> Result<(SocketAddr, SocketAddr), Error> {
        let mut status = self.status.clone();
        let status = status
            .wait_for(|s| s.selected.is_some() || s.state == ConnectionState::Failed)
            .await
            .map_err(|_| Error::Closed)?;
        match (status.state, status.selected) {
            (ConnectionState::Failed, _) => Err(Error::Failed),
            (_, Some(pair)) => Ok(pair),
            (_, None) => Err(Error::Failed),
        }
    }

    /// Send `data` as one datagram over the selected pair, from its local
    /// base to its remote address (through the TURN relay when the pair
    /// starts at a relayed candidate: the task wraps it, a ChannelData
    /// message once the channel is bound); [`Error::NotConnected`] before
    /// a pair is selected, [`Error::Failed`] once ICE failed (consent
    /// lost, RFC 7675 §5.1: no more data may be sent).
    pub async fn send(&self, data: &[u8]) -> Result<(), Error> {
        let (state, selected) = {
            let status = self.status.borrow();
            (status.state, status.selected)
        };
        if state == ConnectionState::Failed {
            return Err(Error::Failed);
        }
        let (source, destination) = selected.ok_or(Error::NotConnected)?;
        match self.sockets.iter().find(|(addr, _)| *addr == source) {
            Some((_, socket)) => {
                socket.send_to(data, destination).await?;
                Ok(())
            }
            // A relayed candidate: the agent's TURN client wraps it.
            None => self.command(Command::SendData(Bytes::copy_from_slice(data))),
        }
    }

    /// The next application datagram (anything that is not STUN) and the
    /// address it came from, on any of the sockets and from any source
    /// (for data relayed by a TURN server of
    /// [`IceConnection::gather_relayed`], the peer that sent it to the
    /// relayed address): compare the source with
    /// [`IceConnection::selected_pair`] to accept only the peer's. `None` once the task has ended. Datagrams that
    /// arrive while 1,024 are waiting are dropped, as by a full socket
    /// buffer.
    pub async fn recv(&mut self) -> Option<(SocketAddr, Bytes)> {
        self.data.recv().await
    }

    /// The agent's events (state changes, the selected pair, gathered
    /// candidates, role changes), as a channel the caller can read from
    /// another task; `Some` on the first call only. Up to 256 unread events
    /// are kept; later ones are dropped while it is full, so read it, or
    /// use [`IceConnection::state`] and [`IceConnection::selected_pair`],
    /// which are always current.
    pub fn take_events(&mut self) -> Option<mpsc::Receiver<IceEvent>> {
        self.events.take()
    }

    fn command(&self, command: Command) -> Result<(), Error> {
        self.commands.send(command).map_err(|_| Error::Closed)
    }
}

/// Random local credentials (RFC 8445 §5.3): an 8-character `ice-ufrag`
/// (48 random bits, at least 24 required) and a 24-character `ice-pwd`
/// (144 random bits, at least 128 required), of ice-chars (RFC 8839
/// §5.4), from a CSPRNG seeded from the operating system.
pub fn random_credentials() -> Result<Credentials, Error> {
    const ICE_CHARS: &[u8; 64] =
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut rng = crate::OsRandom::new()?;
    let mut chars = |n: usize| -> String {
        let mut bytes = vec![0u8; n];
        rng.fill_bytes(&mut bytes);
        bytes
            .iter()
            .map(|b| char::from(ICE_CHARS[usize::from(b & 63)]))
            .collect()
    };
    Ok(Credentials {
        ufrag: chars(8),
        pwd: chars(24),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_ice_chars_of_the_right_length_and_differ() {
        let (a, b) = (random_credentials().unwrap(), random_credentials().unwrap());
        assert_eq!((a.ufrag.len(), a.pwd.len()), (8, 24));
        let ice_char = |c: char| c.is_ascii_alphanumeric() || c == '+' || c == '/';
        assert!(a.ufrag.chars().chain(a.pwd.chars()).all(ice_char));
        assert_ne!(a, b);
    }

    #[tokio::test]
    async fn bind_rejects_no_address_and_unspecified_ones() {
        assert!(matches!(
            IceConnection::bind(&[], Role::Controlling).await,
            Err(Error::NoAddress)
        ));
        let any: SocketAddr = "0.0.0.0:0".parse().unwrap();
        assert!(matches!(
            IceConnection::bind(&[any], Role::Controlling).await,
            Err(Error::UnspecifiedAddress(a)) if a == any
        ));
    }

    #[tokio::test]
    async fn send_before_a_pair_is_selected_is_refused() {
        let local: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let c = IceConnection::bind(&[local, local], Role::Controlled)
            .await
            .unwrap();
        assert_eq!(c.local_candidates().len(), 2);
        assert_eq!(c.local_addrs().len(), 2);
        assert_ne!(c.local_addrs()[0], c.local_addrs()[1]);
        assert!(c.local_candidates()[0].priority > c.local_candidates()[1].priority);
        assert!(matches!(c.send(b"x").await, Err(Error::NotConnected)));
        assert_eq!(c.selected_pair(), None);
    }
}
