//! The TURN server (RFC 8656), sans-IO.
//!
//! The driver feeds it what arrives on its sockets and performs what it
//! asks:
//!
//! - [`Server::handle_client`]: a datagram from a client on a UDP listener,
//!   or bytes from a client's TCP or TLS connection;
//!   [`Server::handle_client_closed`] when such a connection ends.
//! - [`Server::handle_peer`]: a datagram that arrived on a relayed address.
//! - [`Server::handle_relay`]: the answer to [`ServerEvent::OpenRelay`].
//! - [`Server::handle_timeout`] when [`Server::poll_timeout`] is due.
//!
//! After each call the driver drains [`Server::poll_transmit`] (datagrams
//! and stream bytes to send) and [`Server::poll_event`] (sockets to open
//! and close).

mod config;
mod events;

pub use config::{Limits, PeerPolicy, Quotas, ServerConfig};
pub use events::{
    ConnectionId, DeleteReason, FiveTuple, RelayAddresses, RelayError, RelayId, RelayProtocol,
    RelayRequest, ServerEvent, ServerTransmit,
};

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rtw_core::Random;

use crate::Error;

/// Counters of a [`Server`], from [`Server::stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerStats {
    /// Allocations held now.
    pub allocations: usize,
    /// Permissions held now, over all allocations.
    pub permissions: usize,
    /// Channels bound now, over all allocations.
    pub channels: usize,
    /// Packets relayed from clients to peers.
    pub relayed_to_peers: u64,
    /// Packets relayed from peers to clients.
    pub relayed_to_clients: u64,
    /// Packets dropped for want of a permission (either direction).
    pub dropped_no_permission: u64,
    /// Packets dropped by the bandwidth cap.
    pub dropped_bandwidth: u64,
    /// Packets dropped because the peer address is refused by the policy.
    pub dropped_forbidden_peer: u64,
    /// Requests answered with an error response.
    pub error_responses: u64,
}

/// A TURN server: every allocation, permission and channel of every
/// client, in one state machine.
pub struct Server {
    _todo: (),
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server").finish_non_exhaustive()
    }
}

impl Server {
    /// A server with `config`; `random` makes nonces, the nonce key and
    /// reservation tokens (`rtw_tokio::OsRandom` in production).
    ///
    /// Fails with [`Error::Config`] when the realm is empty, there is
    /// neither a user nor an auth secret, no password algorithm is offered,
    /// or a lifetime is zero.
    pub fn new(config: ServerConfig, random: Box<dyn Random + Send>) -> Result<Self, Error> {
        let _ = (config, random);
        todo!()
    }

    /// Tells the server the wall-clock time: `unix` since the Unix epoch at
    /// `now`. The expiry of TURN REST API usernames is checked against it;
    /// until it is called, REST usernames are refused with 401.
    pub fn handle_wall_clock(&mut self, now: Instant, unix: Duration) {
        let _ = (now, unix);
        todo!()
    }

    /// Input from a client: one UDP datagram, or the next bytes of a TCP or
    /// TLS connection (any split; framing per RFC 8656 §12.5).
    pub fn handle_client(&mut self, now: Instant, five_tuple: FiveTuple, bytes: &[u8]) {
        let _ = (now, five_tuple, bytes);
        todo!()
    }

    /// A client's TCP or TLS connection closed: its allocation is deleted
    /// (RFC 8656 §7) and its buffered bytes dropped.
    pub fn handle_client_closed(&mut self, now: Instant, five_tuple: FiveTuple) {
        let _ = (now, five_tuple);
        todo!()
    }

    /// A UDP datagram from `peer` arrived on the relayed address `relayed`.
    /// Relayed to the client (ChannelData when a channel is bound, else a
    /// Data indication) if a permission for the peer's IP is installed;
    /// dropped otherwise (RFC 8656 §11.3).
    pub fn handle_peer(
        &mut self,
        now: Instant,
        relayed: SocketAddr,
        peer: SocketAddr,
        bytes: &[u8],
    ) {
        let _ = (now, relayed, peer, bytes);
        todo!()
    }

    /// The driver's answer to [`ServerEvent::OpenRelay`] `id`: the
    /// allocation is created and the Allocate answered.
    pub fn handle_relay(
        &mut self,
        now: Instant,
        id: RelayId,
        result: Result<RelayAddresses, RelayError>,
    ) {
        let _ = (now, id, result);
        todo!()
    }

    /// The driver's answer to [`ServerEvent::ConnectPeer`] (RFC 6062 §5.2):
    /// whether the TCP connection to the peer was established.
    pub fn handle_peer_connect(&mut self, now: Instant, connection: ConnectionId, connected: bool) {
        let _ = (now, connection, connected);
        todo!()
    }

    /// A peer connected to the TCP relayed address `relayed` (RFC 6062
    /// §5.3). `Some(id)`: keep the connection under this name (the client
    /// was sent a ConnectionAttempt); `None`: close it (no permission, or
    /// a limit).
    pub fn handle_peer_connection(
        &mut self,
        now: Instant,
        relayed: SocketAddr,
        peer: SocketAddr,
    ) -> Option<ConnectionId> {
        let _ = (now, relayed, peer);
        todo!()
    }

    /// A peer connection closed (RFC 6062 §5.5).
    pub fn handle_peer_connection_closed(&mut self, now: Instant, connection: ConnectionId) {
        let _ = (now, connection);
        todo!()
    }

    /// Expires allocations, permissions, channels, reservations and
    /// unbound peer connections whose time has come.
    pub fn handle_timeout(&mut self, now: Instant) {
        let _ = now;
        todo!()
    }

    /// The next datagram or stream bytes to send. Changes after every
    /// `handle_*` call.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<ServerTransmit> {
        todo!()
    }

    /// The next thing the driver must do. Changes after every `handle_*`
    /// call.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<ServerEvent> {
        todo!()
    }

    /// When [`Server::handle_timeout`] is next due: the earliest expiry of
    /// an allocation, permission, channel, reservation or unbound peer
    /// connection. Changes after every `handle_*` call.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        todo!()
    }

    /// The server's counters.
    pub fn stats(&self) -> ServerStats {
        todo!()
    }
}
