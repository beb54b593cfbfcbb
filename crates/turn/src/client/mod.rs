//! The TURN client (RFC 8656), sans-IO.
//!
//! A [`Client`] holds one allocation on one server, with its permissions
//! and channels. The driver owns the socket (or the TCP/TLS connection)
//! to the server and the clock:
//!
//! - [`Client::allocate`] starts the Allocate (RFC 8656 §7.1): first
//!   without credentials, then, after the server's 401 with REALM and
//!   NONCE, with the long-term credentials (RFC 8489 §9.2): USERNAME (or
//!   USERHASH when the nonce announces username anonymity), REALM, NONCE,
//!   and MESSAGE-INTEGRITY with the MD5 key, or, when the server offers
//!   PASSWORD-ALGORITHMS behind the nonce cookie (§9.2.4), SHA-256 and
//!   MESSAGE-INTEGRITY-SHA256. A 438 Stale Nonce is retried once with the
//!   new nonce, for every request. Every request carries FINGERPRINT;
//!   every success response must carry a MESSAGE-INTEGRITY that verifies.
//! - Once [`ClientEvent::Allocated`] came, the client refreshes the
//!   allocation half-way through its lifetime (§8), each permission 240 s
//!   after it was installed (§9: 300 s), each channel 540 s after it was
//!   bound (§12: 600 s).
//! - [`Client::create_permission`], [`Client::bind_channel`],
//!   [`Client::send_to`] (ChannelData once the channel is bound, padded on
//!   streams (§12.5), else a Send indication, §11.1), [`Client::deallocate`]
//!   (a Refresh with LIFETIME 0, §8.1).
//! - [`Client::handle_input`]: datagrams from the server, or bytes from
//!   the TCP or TLS connection to it, any split. Data from peers comes out
//!   as [`ClientEvent::Data`].
//! - [`Client::handle_timeout`] when [`Client::poll_timeout`] is due;
//!   requests are retransmitted over UDP by rtw-stun's transactions
//!   (RFC 8489 §6.2.1) and sent once over TCP and TLS (§6.2.2).
//!
//! After each call the driver drains [`Client::poll_transmit`] (every
//! datagram or message goes to the server) and [`Client::poll_event`].
//!
//! Scope: one client makes one UDP allocation (REQUESTED-TRANSPORT 17);
//! after it fails, expires or is deallocated, make a new client. Over TCP
//! and TLS the allocation lives as long as the connection (RFC 8656
//! §3.1): a driver whose connection closed drops the client. Not done:
//! following 300 Try Alternate (it fails the allocation),
//! EVEN-PORT/RESERVATION-TOKEN, dual-stack ADDITIONAL-ADDRESS-FAMILY,
//! DONT-FRAGMENT, and TCP allocations (RFC 6062).
//!
//! The whole exchange, with the server's answers built by hand:
//!
//! ```
//! use std::time::{Duration, Instant};
//! use rtw_stun::attributes::{ErrorCode, Lifetime, Nonce, Realm, XorMappedAddress, XorRelayedAddress};
//! use rtw_stun::key::{PasswordAlgorithm, long_term_key};
//! use rtw_stun::{Class, MessageBuilder, MessageType, Method, TransactionId};
//! use rtw_turn::SeededRandom;
//! use rtw_turn::client::{Client, ClientConfig, ClientEvent};
//!
//! let server = "192.0.2.1:3478".parse().unwrap();
//! let now = Instant::now();
//! let config = ClientConfig::new("alice", "secret");
//! let mut client = Client::new(server, config, Box::new(SeededRandom::new(1)))?;
//! client.allocate(now)?;
//!
//! // The first Allocate has no credentials: the server asks for them.
//! let request = client.poll_transmit().unwrap();
//! assert_eq!(request.destination, server);
//! let tid = TransactionId::of_message(&request.contents).unwrap();
//! let challenge = MessageBuilder::new(MessageType::new(Method::ALLOCATE, Class::ErrorResponse), tid)
//!     .with(&ErrorCode::UNAUTHENTICATED)?
//!     .with(&Realm::new("example.org")?)?
//!     .with(&Nonce::new("f00d")?)?
//!     .finish();
//! client.handle_input(now, server, &challenge);
//!
//! // The second carries them; the success is signed with the same key.
//! let request = client.poll_transmit().unwrap();
//! let tid = TransactionId::of_message(&request.contents).unwrap();
//! let key = long_term_key("alice", "example.org", "secret", PasswordAlgorithm::Md5)?;
//! let relayed = "192.0.2.1:50000".parse().unwrap();
//! let mapped = "198.51.100.7:40000".parse().unwrap();
//! let success = MessageBuilder::new(MessageType::new(Method::ALLOCATE, Class::SuccessResponse), tid)
//!     .with(&XorRelayedAddress(relayed))?
//!     .with(&XorMappedAddress(mapped))?
//!     .with(&Lifetime(600))?
//!     .with_message_integrity(&key)?
//!     .finish();
//! client.handle_input(now + Duration::from_millis(20), server, &success);
//! assert_eq!(
//!     client.poll_event(),
//!     Some(ClientEvent::Allocated { relayed, mapped, lifetime: Duration::from_secs(600) })
//! );
//! assert_eq!(client.relayed_address(), Some(relayed));
//! // The Refresh is due half-way through the lifetime.
//! assert_eq!(client.poll_timeout(), Some(now + Duration::from_secs(300)));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod allocation;
mod auth;
mod channels;
mod config;
mod events;
mod permissions;
mod receive;
mod requests;

pub use config::ClientConfig;
pub use events::ClientEvent;
pub use rtw_stun::attributes::{AddressFamily, ChannelNumber};

use std::collections::{BTreeMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use rtw_core::{Random, Transmit};
use rtw_stun::attributes::{Data, Software, XorPeerAddress};
use rtw_stun::{
    ChannelData, Class, MessageBuilder, MessageType, Method, TransactionId, Transactions,
};

use crate::Error;
use allocation::Allocation;
use auth::Auth;
use channels::Channels;
use permissions::Permissions;
use receive::Stream;
use requests::{Pending, Request};

/// Where the client is in its one allocation's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before [`Client::allocate`].
    Idle,
    /// The Allocate is running (with its 401 and 438 retries).
    Allocating,
    /// The allocation stands.
    Allocated,
    /// The Refresh with LIFETIME 0 is running.
    Deallocating,
    /// Failed, expired or deallocated: the client is done.
    Closed,
}

/// A TURN client: one allocation on one server (RFC 8656), its
/// permissions and channels. See the [module docs](self).
pub struct Client {
    server: SocketAddr,
    config: ClientConfig,
    random: Box<dyn Random + Send>,
    auth: Auth,
    state: State,
    allocation: Option<Allocation>,
    transactions: Transactions,
    pending: BTreeMap<TransactionId, Pending>,
    permissions: Permissions,
    channels: Channels,
    stream: Stream,
    transmits: VecDeque<Transmit>,
    events: VecDeque<ClientEvent>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("server", &self.server)
            .field("state", &self.state)
            .field("auth", &self.auth)
            .field("relayed", &self.relayed_address())
            .field("permissions", &self.permissions.len())
            .field("pending", &self.pending.len())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client for the TURN server at `server`; `random` draws the
    /// transaction IDs (`rtw_tokio::OsRandom` in production). Nothing is
    /// sent until [`Client::allocate`].
    ///
    /// Fails with [`Error::Config`] when the username or password is
    /// empty or has control characters (RFC 8489 §9.2.2), the username is
    /// longer than 508 bytes, SOFTWARE has 128 characters or more, or the
    /// lifetime is under a second or over `u32::MAX` seconds.
    pub fn new(
        server: SocketAddr,
        config: ClientConfig,
        random: Box<dyn Random + Send>,
    ) -> Result<Self, Error> {
        let auth = Auth::new(&config.username, &config.password, config.realm.as_deref())?;
        if let Some(software) = &config.software
            && Software::new(software).is_err()
        {
            return Err(Error::Config(
                "SOFTWARE must be fewer than 128 characters (RFC 8489 §14.14)",
            ));
        }
        if let Some(lifetime) = config.lifetime
            && (lifetime.as_secs() == 0 || lifetime.as_secs() > u64::from(u32::MAX))
        {
            return Err(Error::Config(
                "the lifetime must be 1 to 4294967295 seconds (RFC 8656 §18.2)",
            ));
        }
        Ok(Client {
            server,
            transactions: Transactions::with_config(config.transaction),
            stream: Stream::new(config.limits),
            config,
            random,
            auth,
            state: State::Idle,
            allocation: None,
            pending: BTreeMap::new(),
            permissions: Permissions::new(),
            channels: Channels::default(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        })
    }

    /// The server's address: every transmit goes there.
    pub fn server(&self) -> SocketAddr {
        self.server
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Start the allocation (RFC 8656 §7.1) at `now`: an Allocate with
    /// REQUESTED-TRANSPORT UDP, REQUESTED-ADDRESS-FAMILY for IPv6,
    /// LIFETIME when configured, SOFTWARE and FINGERPRINT. It ends with
    /// [`ClientEvent::Allocated`] or [`ClientEvent::AllocationFailed`].
    ///
    /// [`Error::InvalidState`] if called twice: a client makes one
    /// allocation (make a new client after it ended).
    pub fn allocate(&mut self, now: Instant) -> Result<(), Error> {
        if self.state != State::Idle {
            return Err(Error::InvalidState(
                "allocate is called once per client (RFC 8656 §7)",
            ));
        }
        self.start(now, Request::Allocate, false)?;
        self.state = State::Allocating;
        self.flush();
        Ok(())
    }

    /// Ask for a permission for `peer` (RFC 8656 §9.1), kept alive by
    /// CreatePermission every 240 s until the allocation ends. Reported by
    /// [`ClientEvent::PermissionCreated`] or
    /// [`ClientEvent::PermissionFailed`]; asking again for a peer that has
    /// one does nothing.
    ///
    /// [`Error::InvalidState`] before [`ClientEvent::Allocated`] or after
    /// the allocation ended; [`Error::Limit`] beyond 4096 permissions.
    pub fn create_permission(&mut self, now: Instant, peer: IpAddr) -> Result<(), Error> {
        let result = self.permission(now, peer);
        self.flush();
        result
    }

    /// Bind a channel to `peer` (RFC 8656 §12.1), which also installs the
    /// permission for its IP address; both are refreshed until the
    /// allocation ends (ChannelBind every 540 s, CreatePermission every
    /// 240 s). Returns the channel number, the same for a peer already
    /// bound. Reported by [`ClientEvent::ChannelBound`] or
    /// [`ClientEvent::ChannelBindFailed`]; until it is bound, data to the
    /// peer goes as Send indications.
    ///
    /// [`Error::InvalidState`] before [`ClientEvent::Allocated`] or after
    /// the allocation ended; [`Error::ChannelsExhausted`] when the 4096
    /// numbers are in use.
    pub fn bind_channel(&mut self, now: Instant, peer: SocketAddr) -> Result<ChannelNumber, Error> {
        let result = self.channel(now, peer);
        self.flush();
        result
    }

    /// Send `data` to `peer` through the relay: as ChannelData once a
    /// channel to the peer is bound (padded to 4 bytes on TCP and TLS,
    /// RFC 8656 §12.5), else as a Send indication with XOR-PEER-ADDRESS
    /// and DATA (§11.1; indications carry no integrity, §11). `now` is
    /// taken for symmetry; nothing is timed.
    ///
    /// [`Error::NoPermission`] if no permission was asked for the peer's
    /// IP (with [`Client::create_permission`] or [`Client::bind_channel`]);
    /// [`Error::InvalidState`] without an allocation; [`Error::Stun`] if
    /// `data` is too long for one message.
    pub fn send_to(&mut self, now: Instant, peer: SocketAddr, data: &[u8]) -> Result<(), Error> {
        let _ = now;
        if self.state != State::Allocated {
            return Err(Error::InvalidState(
                "no allocation: send after ClientEvent::Allocated",
            ));
        }
        let contents = match self.channels.get(&peer) {
            Some(c) if c.bound => {
                let cd = ChannelData::new(c.number, data)?;
                let mut buf = bytes::BytesMut::with_capacity(cd.encoded_len(self.config.transport));
                cd.encode(self.config.transport, &mut buf);
                buf
            }
            _ => {
                if !self.permissions.contains_key(&peer.ip()) {
                    return Err(Error::NoPermission(peer.ip()));
                }
                let tid = TransactionId::random(&mut *self.random);
                MessageBuilder::new(MessageType::new(Method::SEND, Class::Indication), tid)
                    .with(&XorPeerAddress(peer))?
                    .with(&Data(data))?
                    .finish()
            }
        };
        self.transmits
            .push_back(Transmit::new(self.server, contents.freeze()));
        Ok(())
    }

    /// Delete the allocation (RFC 8656 §8.1: a Refresh with LIFETIME 0).
    /// Permissions and channels are dropped at once and nothing can be sent
    /// any more; [`ClientEvent::Deallocated`] follows whatever the server
    /// answers (an allocation that is not refreshed expires anyway).
    ///
    /// [`Error::InvalidState`] unless the allocation stands.
    pub fn deallocate(&mut self, now: Instant) -> Result<(), Error> {
        if self.state != State::Allocated {
            return Err(Error::InvalidState("no allocation to delete"));
        }
        for tid in std::mem::take(&mut self.pending).into_keys() {
            self.transactions.cancel(tid);
        }
        self.permissions.clear();
        self.channels.clear();
        if let Some(a) = &mut self.allocation {
            a.refresh_at = None;
            a.expires = None;
        }
        self.state = State::Deallocating;
        let result = self.start(now, Request::Refresh { lifetime: Some(0) }, false);
        if let Err(e) = &result {
            self.close();
            self.events.push_back(ClientEvent::Deallocated);
            let _ = e;
        }
        self.flush();
        result.map(|_| ())
    }

    /// Input from the server at `now`: one UDP datagram, or the next bytes
    /// of the TCP or TLS connection (any split, RFC 8656 §12.5). Returns
    /// `false` when the input is not the client's: not from the server,
    /// or (over UDP) neither STUN nor ChannelData by its first byte
    /// (RFC 7983), so that a driver sharing the socket can hand it on.
    ///
    /// Anything malformed, unexpected or failing its integrity check is
    /// dropped; over a stream, broken framing ends the allocation
    /// ([`ClientEvent::Expired`] with [`Error::Stun`]).
    pub fn handle_input(&mut self, now: Instant, from: SocketAddr, bytes: &[u8]) -> bool {
        if from != self.server {
            return false;
        }
        let ours = if self.config.transport.is_reliable() {
            self.stream_input(now, bytes);
            true
        } else {
            self.datagram(now, bytes)
        };
        self.flush();
        ours
    }

    /// Advance to `now`: retransmissions and transaction timeouts, the
    /// allocation's expiry and Refresh, and the refreshes of permissions
    /// and channels that are due.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.transactions.handle_timeout(now);
        self.drain_outcomes(now);
        if self.state == State::Allocated {
            self.allocation_timers(now);
        }
        if self.state == State::Allocated {
            self.permission_timers(now);
            self.channel_timers(now);
        }
        self.flush();
    }

    /// When [`Client::handle_timeout`] is next due: the next
    /// retransmission or transaction timeout, Refresh, expiry, or refresh
    /// of a permission or channel; `None` when nothing is timed.
    ///
    /// Changes after every other call of the client.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let mut next = self.transactions.poll_timeout();
        if self.state == State::Allocated {
            for t in [
                self.allocation_timeout(),
                self.permission_timeout(),
                self.channel_timeout(),
            ]
            .into_iter()
            .flatten()
            {
                next = Some(next.map_or(t, |n| n.min(t)));
            }
        }
        next
    }

    /// The next datagram (or, over TCP and TLS, the next message to write
    /// on the connection), always to the server.
    ///
    /// Changes after [`Client::allocate`], [`Client::create_permission`],
    /// [`Client::bind_channel`], [`Client::send_to`],
    /// [`Client::deallocate`], [`Client::handle_input`] and
    /// [`Client::handle_timeout`].
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event.
    ///
    /// Changes after [`Client::handle_input`] and
    /// [`Client::handle_timeout`], and after [`Client::create_permission`]
    /// and [`Client::deallocate`] (which may report at once).
    #[must_use]
    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    /// The relayed address (XOR-RELAYED-ADDRESS), while the allocation
    /// stands.
    pub fn relayed_address(&self) -> Option<SocketAddr> {
        self.allocation.map(|a| a.relayed)
    }

    /// The client's address as the server sees it (XOR-MAPPED-ADDRESS),
    /// while the allocation stands.
    pub fn mapped_address(&self) -> Option<SocketAddr> {
        self.allocation.map(|a| a.mapped)
    }

    /// The configured lifetime in whole seconds.
    fn lifetime_secs(&self) -> Option<u32> {
        self.config
            .lifetime
            .map(|l| u32::try_from(l.as_secs()).unwrap_or(u32::MAX))
    }

    /// Move the transactions' requests to the transmit queue.
    fn flush(&mut self) {
        while let Some(t) = self.transactions.poll_transmit() {
            self.transmits.push_back(t);
        }
    }
}
