//! What a [`Server`](crate::Server) is configured with: its rooms, the
//! reconnection grace period, the ICE servers it hands out, and its
//! [`Limits`].

use std::time::Duration;

use crate::Limits;

/// A signaling server's configuration. Every field has a default; the
/// setters are named like the fields:
///
/// ```
/// use std::time::Duration;
/// use rtw_signal::{Config, IceCredentials, IceServer, Limits, Rooms};
///
/// let config = Config::default()
///     .rooms(Rooms::Only(vec!["lobby".into()]))
///     .reconnect_grace(Duration::from_secs(5))
///     .limits(Limits::default().max_room_size(3))
///     .ice_servers(vec![
///         IceServer::new(["stun:127.0.0.1:3478"]),
///         IceServer::new(["turn:127.0.0.1:3479?transport=udp"]).credentials(
///             IceCredentials::TurnRest { secret: "s3cret".into(), ttl: Duration::from_secs(3600) },
///         ),
///     ]);
/// assert_eq!(config.limits.max_room_size, 3);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// Sizes and rates the server never exceeds.
    pub limits: Limits,
    /// Which rooms exist: [`Rooms::Open`] by default.
    pub rooms: Rooms,
    /// How long a peer whose connection ended keeps its id, its place in
    /// the room and the messages sent to it, waiting for a `join` with its
    /// `resume` token: 10 s. Zero removes it at once.
    pub reconnect_grace: Duration,
    /// The `iceServers` every `joined` message carries (W3C WebRTC
    /// `RTCIceServer`): none by default.
    pub ice_servers: Vec<IceServer>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            limits: Limits::default(),
            rooms: Rooms::Open,
            reconnect_grace: Duration::from_secs(10),
            ice_servers: Vec::new(),
        }
    }
}

impl Config {
    /// Sets [`Config::limits`].
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Sets [`Config::rooms`].
    #[must_use]
    pub fn rooms(mut self, rooms: Rooms) -> Self {
        self.rooms = rooms;
        self
    }

    /// Sets [`Config::reconnect_grace`].
    #[must_use]
    pub fn reconnect_grace(mut self, reconnect_grace: Duration) -> Self {
        self.reconnect_grace = reconnect_grace;
        self
    }

    /// Sets [`Config::ice_servers`].
    #[must_use]
    pub fn ice_servers(mut self, ice_servers: Vec<IceServer>) -> Self {
        self.ice_servers = ice_servers;
        self
    }
}

/// Which rooms a client may join.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rooms {
    /// Any valid room id: a room is created by its first `join` and
    /// removed when its last peer is gone (up to `Limits::max_rooms`).
    #[default]
    Open,
    /// Only these room ids; a `join` of another gets `unknown-room`.
    Only(Vec<String>),
}

impl Rooms {
    /// `true` when a client may join `room`.
    pub fn allows(&self, room: &str) -> bool {
        match self {
            Rooms::Open => true,
            Rooms::Only(rooms) => rooms.iter().any(|r| r == room),
        }
    }
}

/// One entry of the `iceServers` list (the W3C WebRTC `RTCIceServer` dictionary).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct IceServer {
    /// `stun:`, `turn:` or `turns:` URLs (RFC 7064, RFC 7065).
    pub urls: Vec<String>,
    /// The `username` and `credential` handed out with them.
    pub credentials: IceCredentials,
}

impl IceServer {
    /// A server at `urls` without credentials (STUN).
    pub fn new<I, S>(urls: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        IceServer {
            urls: urls.into_iter().map(Into::into).collect(),
            credentials: IceCredentials::None,
        }
    }

    /// Sets [`IceServer::credentials`].
    #[must_use]
    pub fn credentials(mut self, credentials: IceCredentials) -> Self {
        self.credentials = credentials;
        self
    }
}

/// The credentials of an [`IceServer`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum IceCredentials {
    /// None (STUN servers).
    #[default]
    None,
    /// The same `username` and `credential` for every peer.
    Static {
        /// The TURN username (RFC 8489 §14.3).
        username: String,
        /// Its password.
        credential: String,
    },
    /// Fresh credentials per `joined` of the TURN REST API
    /// (draft-uberti-behave-turn-rest-00 §2.2, coturn's `use-auth-secret`):
    /// username `EXPIRY:PEER` with `EXPIRY` the Unix time (from
    /// [`Server::handle_wall_clock`](crate::Server::handle_wall_clock)) plus
    /// `ttl` in seconds, credential `base64(HMAC-SHA1(secret, username))`.
    /// `rtw turn server --auth-secret` checks them.
    TurnRest {
        /// The secret shared with the TURN server.
        secret: String,
        /// How long the credentials stay valid.
        ttl: Duration,
    },
}
