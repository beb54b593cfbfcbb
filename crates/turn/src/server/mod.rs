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
//!
//! What a client can make the server hold is bounded: nothing is kept for
//! a client before it authenticates (nonces are stateless, see
//! `nonce.rs`), except the partial frame of a TCP or TLS stream
//! ([`Limits::streams`] of them, each at most one STUN message long);
//! allocations are capped per user and in total ([`Quotas`]), and
//! permissions, channels and peer connections per allocation
//! ([`Limits`]). UDP requests from 5-tuples without an allocation are
//! rate-limited per source address before any HMAC
//! ([`Quotas::unauthenticated_rate`]), in a table of at most
//! [`Limits::rate_limited_sources`] addresses (RFC 8656 §21).

mod allocation;
mod auth;
mod config;
mod events;
mod limiter;
mod nonce;
mod permissions;
mod policy;
mod relay;
mod requests;
mod respond;
mod tcp;

pub use auth::rest_password;
pub use config::{Limits, PeerPolicy, Quotas, ServerConfig};
pub use events::{
    ConnectionId, DeleteReason, FiveTuple, RelayAddresses, RelayError, RelayId, RelayProtocol,
    RelayRequest, ServerEvent, ServerTransmit,
};

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use rtw_core::Random;
use rtw_stun::attributes::SecurityFeatures;
use rtw_stun::{ChannelData, Decoder, Frame, Message, PacketKind, Transport, demux};

use self::allocation::Allocation;
use self::auth::Credentials;
use self::limiter::SourceLimiter;
use self::nonce::Nonces;
use self::requests::Pending;
use self::tcp::PeerConnection;
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
    /// Bytes of application data relayed from clients to peers.
    pub bytes_relayed_to_peers: u64,
    /// Bytes of application data relayed from peers to clients.
    pub bytes_relayed_to_clients: u64,
    /// Allocations created so far (RFC 8656 §7.2).
    pub allocations_created: u64,
    /// Packets dropped for want of a permission (either direction).
    pub dropped_no_permission: u64,
    /// Packets dropped by the bandwidth cap.
    pub dropped_bandwidth: u64,
    /// Packets dropped because the peer address is refused by the policy.
    pub dropped_forbidden_peer: u64,
    /// Requests answered with an error response.
    pub error_responses: u64,
    /// UDP requests from 5-tuples without an allocation dropped unanswered
    /// by [`Quotas::unauthenticated_rate`].
    pub dropped_rate_limited: u64,
}

/// What a timer entry is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Timer {
    /// Something in allocation `id` may expire.
    Allocation(u64),
    /// Reservation `id` expires.
    Reservation(u64),
    /// An unbound peer connection times out (RFC 6062 §5.3).
    PeerConnection(u32),
}

/// A port kept for a RESERVATION-TOKEN (RFC 8656 §14.9).
struct Reservation {
    token: [u8; 8],
    address: SocketAddr,
    expires: Instant,
}

/// A TURN server: every allocation, permission and channel of every
/// client, in one state machine.
pub struct Server {
    config: ServerConfig,
    random: Box<dyn Random + Send>,
    credentials: Credentials,
    nonces: Nonces,
    /// The instant of the first input: nonces count seconds from it.
    epoch: Option<Instant>,
    allocations: HashMap<u64, Allocation>,
    by_five_tuple: HashMap<FiveTuple, u64>,
    by_relayed: HashMap<SocketAddr, u64>,
    next_id: u64,
    /// Allocations (and pending ones) per username, for the quota.
    per_user: HashMap<String, usize>,
    pending: HashMap<RelayId, Pending>,
    reservations: HashMap<u64, Reservation>,
    streams: HashMap<FiveTuple, BytesMut>,
    /// The rate of UDP requests from 5-tuples without an allocation.
    limiter: SourceLimiter,
    decoder: Decoder,
    peer_connections: HashMap<u32, PeerConnection>,
    timers: BinaryHeap<Reverse<(Instant, Timer)>>,
    transmits: VecDeque<ServerTransmit>,
    events: VecDeque<ServerEvent>,
    /// Where relayed payloads are copied to, split off per packet.
    scratch: BytesMut,
    /// Transaction IDs of the indications the server sends (seeded from
    /// `random`; they need not be secret).
    indication_ids: rtw_core::SeededRandom,
    stats: ServerStats,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("realm", &self.config.realm)
            .field("allocations", &self.allocations.len())
            .field("pending", &self.pending.len())
            .field("streams", &self.streams.len())
            .finish_non_exhaustive()
    }
}

impl Server {
    /// A server with `config`; `random` makes the nonce key, connection
    /// IDs and reservation tokens (`rtw_tokio::OsRandom` in production).
    ///
    /// Fails with [`Error::Config`] when the realm is empty, there is
    /// neither a user nor an auth secret, no password algorithm is offered,
    /// or a lifetime is zero or the default is above the maximum.
    pub fn new(config: ServerConfig, mut random: Box<dyn Random + Send>) -> Result<Self, Error> {
        if config.realm.is_empty() {
            return Err(Error::Config("the realm is empty"));
        }
        if config.users.is_empty() && config.auth_secret.is_none() {
            return Err(Error::Config(
                "no user and no auth secret: nobody could allocate",
            ));
        }
        if config.password_algorithms.is_empty() {
            return Err(Error::Config("no password algorithm is offered"));
        }
        let lifetimes = [
            config.default_lifetime,
            config.max_lifetime,
            config.permission_lifetime,
            config.channel_lifetime,
            config.nonce_lifetime,
            config.reservation_lifetime,
        ];
        if lifetimes.iter().any(|l| l.as_secs() == 0) {
            return Err(Error::Config("lifetimes must be at least one second"));
        }
        if config.default_lifetime > config.max_lifetime {
            return Err(Error::Config("the default lifetime is above the maximum"));
        }
        let credentials = Credentials::new(
            &config.realm,
            &config.users,
            config.auth_secret.clone(),
            &config.password_algorithms,
        )?;
        let mut features = SecurityFeatures::default();
        if config.password_algorithms != [rtw_stun::key::PasswordAlgorithm::Md5] {
            features = features | SecurityFeatures::PASSWORD_ALGORITHMS;
        }
        if !config.users.is_empty() {
            features = features | SecurityFeatures::USERNAME_ANONYMITY;
        }
        let mut key = [0u8; 20];
        random.fill_bytes(&mut key);
        let mut seed = [0u8; 8];
        random.fill_bytes(&mut seed);
        let nonces = Nonces::new(key, features, config.nonce_lifetime);
        let decoder =
            Decoder::with_limits(config.limits.stun).rfc5766_channels(config.rfc5766_channels);
        let limiter = SourceLimiter::new(
            config.quotas.unauthenticated_rate,
            config.limits.rate_limited_sources,
        );
        Ok(Server {
            limiter,
            config,
            random,
            credentials,
            nonces,
            epoch: None,
            allocations: HashMap::new(),
            by_five_tuple: HashMap::new(),
            by_relayed: HashMap::new(),
            next_id: 0,
            per_user: HashMap::new(),
            pending: HashMap::new(),
            reservations: HashMap::new(),
            streams: HashMap::new(),
            decoder,
            peer_connections: HashMap::new(),
            timers: BinaryHeap::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            scratch: BytesMut::new(),
            indication_ids: rtw_core::SeededRandom::new(u64::from_le_bytes(seed)),
            stats: ServerStats::default(),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// Tells the server the wall-clock time: `unix` since the Unix epoch at
    /// `now`. The expiry of TURN REST API usernames is checked against it;
    /// until it is called, REST usernames are refused with 401. Call it at
    /// start and again whenever the wall clock may have been stepped.
    pub fn handle_wall_clock(&mut self, now: Instant, unix: Duration) {
        self.credentials.set_wall_clock(now, unix);
    }

    /// Input from a client: one UDP datagram, or the next bytes of a TCP or
    /// TLS connection (any split; framing per RFC 8656 §12.5).
    ///
    /// A datagram that is neither STUN nor ChannelData is dropped; a stream
    /// that breaks the framing is closed ([`ServerEvent::CloseClient`]).
    pub fn handle_client(&mut self, now: Instant, five_tuple: FiveTuple, bytes: &[u8]) {
        self.epoch.get_or_insert(now);
        if !five_tuple.transport.is_reliable() {
            self.handle_datagram(now, five_tuple, bytes);
            return;
        }
        let buffer = match self.streams.get_mut(&five_tuple) {
            Some(buffer) => buffer,
            None => {
                if self.streams.len() >= self.config.limits.streams {
                    self.events
                        .push_back(ServerEvent::CloseClient { five_tuple });
                    return;
                }
                self.streams.entry(five_tuple).or_default()
            }
        };
        buffer.extend_from_slice(bytes);
        loop {
            let Some(buffer) = self.streams.get_mut(&five_tuple) else {
                return;
            };
            match self.decoder.decode(buffer) {
                Ok(Some(Frame::Stun(message))) => self.handle_stun(now, five_tuple, &message),
                Ok(Some(Frame::ChannelData { channel, data })) => {
                    self.handle_channel_data(now, five_tuple, channel, &data);
                }
                Ok(Some(_)) => {}
                Ok(None) => {
                    if buffer.is_empty() {
                        // Keep no allocation for an idle connection.
                        *buffer = BytesMut::new();
                    }
                    return;
                }
                Err(_) => {
                    self.close_stream(now, five_tuple);
                    self.events
                        .push_back(ServerEvent::CloseClient { five_tuple });
                    return;
                }
            }
        }
    }

    /// One UDP datagram from a client.
    fn handle_datagram(&mut self, now: Instant, five_tuple: FiveTuple, bytes: &[u8]) {
        match demux(bytes) {
            PacketKind::Stun => {
                if !self.within_unauthenticated_rate(now, &five_tuple, bytes) {
                    self.stats.dropped_rate_limited += 1;
                    return;
                }
                self.handle_stun(now, five_tuple, bytes);
            }
            PacketKind::ChannelData => {
                if let Ok(Some((data, _))) = ChannelData::parse(bytes, Transport::Udp) {
                    self.handle_channel_data(now, five_tuple, data.channel(), data.data());
                }
            }
            _ if self.config.rfc5766_channels => {
                if let Ok(Some((data, _))) = ChannelData::parse_rfc5766(bytes, Transport::Udp) {
                    self.handle_channel_data(now, five_tuple, data.channel(), data.data());
                }
            }
            _ => {}
        }
    }

    /// Whether a STUN datagram may be handled: a request (RFC 8489 §5:
    /// class bits 0b00) from a 5-tuple that holds no allocation takes a
    /// token of its source address first, before any attribute is parsed
    /// or HMAC computed (see `limiter.rs`).
    fn within_unauthenticated_rate(
        &mut self,
        now: Instant,
        five_tuple: &FiveTuple,
        bytes: &[u8],
    ) -> bool {
        let is_request = bytes.len() >= 2 && bytes[0] & 0x01 == 0 && bytes[1] & 0x10 == 0;
        !is_request
            || self.by_five_tuple.contains_key(five_tuple)
            || self.limiter.allow(now, five_tuple.client.ip())
    }

    /// One STUN message from a client.
    fn handle_stun(&mut self, now: Instant, five_tuple: FiveTuple, bytes: &[u8]) {
        let Ok(message) = Message::parse_with_limits(bytes, &self.config.limits.stun) else {
            // Not even a header to answer: RFC 8489 §6.3 says drop it.
            return;
        };
        self.handle_message(now, five_tuple, &message);
    }

    /// A client's TCP or TLS connection closed: its allocation is deleted
    /// (RFC 8656 §7) and its buffered bytes dropped.
    pub fn handle_client_closed(&mut self, now: Instant, five_tuple: FiveTuple) {
        self.close_stream(now, five_tuple);
    }

    fn close_stream(&mut self, now: Instant, five_tuple: FiveTuple) {
        self.streams.remove(&five_tuple);
        if let Some(id) = self.by_five_tuple.get(&five_tuple).copied() {
            self.delete_allocation(now, id, DeleteReason::ConnectionClosed);
        }
        let abandoned: Vec<RelayId> = self
            .pending
            .iter()
            .filter(|(_, p)| p.five_tuple == five_tuple)
            .map(|(id, _)| *id)
            .collect();
        for id in abandoned {
            if let Some(pending) = self.pending.remove(&id) {
                self.release_user(pending.auth_username());
            }
        }
    }

    /// A UDP datagram from `peer` arrived on the relayed address `relayed`.
    /// Relayed to the client (ChannelData when a channel is bound, else a
    /// Data indication) if a permission for the peer's IP is installed;
    /// dropped otherwise (RFC 8656 §11.3, §12.6).
    pub fn handle_peer(
        &mut self,
        now: Instant,
        relayed: SocketAddr,
        peer: SocketAddr,
        bytes: &[u8],
    ) {
        self.epoch.get_or_insert(now);
        self.relay_to_client(now, relayed, peer, bytes);
    }

    /// The driver's answer to [`ServerEvent::OpenRelay`] `id`: the
    /// allocation is created and the Allocate answered (or answered 440 or
    /// 508). An answer to an unknown or abandoned request closes the
    /// addresses it names.
    pub fn handle_relay(
        &mut self,
        now: Instant,
        id: RelayId,
        result: Result<RelayAddresses, RelayError>,
    ) {
        self.epoch.get_or_insert(now);
        self.finish_allocate(now, id, result);
    }

    /// Expires allocations, permissions, channels, reservations and
    /// unbound peer connections whose time has come.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(&Reverse((at, timer))) = self.timers.peek() {
            if at > now {
                break;
            }
            self.timers.pop();
            match timer {
                Timer::Allocation(id) => self.expire_allocation(now, id),
                Timer::Reservation(id) => {
                    if self.reservations.get(&id).is_some_and(|r| r.expires <= now) {
                        let reservation = self.reservations.remove(&id).expect("present");
                        self.events.push_back(ServerEvent::CloseRelay {
                            relayed: reservation.address,
                        });
                    }
                }
                Timer::PeerConnection(id) => self.expire_peer_connection(now, id),
            }
        }
    }

    fn expire_allocation(&mut self, now: Instant, id: u64) {
        let Some(allocation) = self.allocations.get_mut(&id) else {
            return;
        };
        if allocation.expires <= now {
            self.delete_allocation(now, id, DeleteReason::Expired);
            return;
        }
        allocation.sweep(now);
        let next = allocation.next_expiry(now);
        if next != allocation.scheduled || allocation.scheduled <= now {
            allocation.scheduled = next;
            self.timers.push(Reverse((next, Timer::Allocation(id))));
        }
    }

    /// Removes allocation `id`, closing its relays and peer connections.
    fn delete_allocation(&mut self, _now: Instant, id: u64, reason: DeleteReason) {
        let Some(allocation) = self.allocations.remove(&id) else {
            return;
        };
        self.by_five_tuple.remove(&allocation.five_tuple);
        self.by_relayed.remove(&allocation.relayed);
        if let Some(additional) = allocation.additional {
            self.by_relayed.remove(&additional);
        }
        self.release_user(&allocation.username);
        self.close_peer_connections_of(id);
        self.events.push_back(ServerEvent::AllocationDeleted {
            five_tuple: allocation.five_tuple,
            relayed: allocation.relayed,
            reason,
        });
        for relayed in [Some(allocation.relayed), allocation.additional]
            .into_iter()
            .flatten()
        {
            self.events.push_back(ServerEvent::CloseRelay { relayed });
        }
    }

    fn release_user(&mut self, username: &str) {
        if let Some(count) = self.per_user.get_mut(username) {
            *count -= 1;
            if *count == 0 {
                self.per_user.remove(username);
            }
        }
    }

    /// Seconds since the server's epoch.
    fn elapsed(&self, now: Instant) -> Duration {
        self.epoch
            .map_or(Duration::ZERO, |e| now.saturating_duration_since(e))
    }

    /// The next datagram or stream bytes to send. Changes after every
    /// `handle_*` call.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<ServerTransmit> {
        self.transmits.pop_front()
    }

    /// The next thing the driver must do. Changes after every `handle_*`
    /// call.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<ServerEvent> {
        self.events.pop_front()
    }

    /// When [`Server::handle_timeout`] is next due: the earliest expiry of
    /// an allocation, permission, channel, reservation or unbound peer
    /// connection (possibly one already refreshed, which costs one early
    /// wake-up). Changes after every `handle_*` call.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.peek().map(|Reverse((at, _))| *at)
    }

    /// The server's counters.
    pub fn stats(&self) -> ServerStats {
        let mut stats = self.stats;
        stats.allocations = self.allocations.len();
        stats.permissions = self.allocations.values().map(|a| a.permissions.len()).sum();
        stats.channels = self.allocations.values().map(|a| a.channels.len()).sum();
        stats
    }

    /// Queues `contents` for the client of `five_tuple`.
    fn send_to_client(&mut self, five_tuple: FiveTuple, contents: Bytes) {
        self.transmits.push_back(ServerTransmit::Client {
            five_tuple,
            contents,
        });
    }

    /// A fresh allocation ID.
    fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }
}
