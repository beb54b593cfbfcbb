//! What a [`Server`](crate::Server) hands its driver: text to send
//! ([`ServerTransmit`]), what happened ([`ServerEvent`]) and counters
//! ([`ServerStats`]).

use bytes::Bytes;
pub use rtw_core::ConnectionId;

/// One text message for the driver to send on a connection, as a
/// WebSocket text frame (RFC 6455 §5.6).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerTransmit {
    /// The connection to send it on.
    pub connection: ConnectionId,
    /// One JSON object, UTF-8.
    pub text: Bytes,
}

/// Why a peer left its room, the `reason` of `peer-left`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LeaveReason {
    /// It sent `leave`: `"left"`.
    Left,
    /// Its connection ended and the grace period passed without a resume:
    /// `"closed"`.
    Closed,
    /// A deadline of the driver's passed: `"timeout"` (the core itself
    /// never uses it).
    Timeout,
}

impl LeaveReason {
    /// The wire value: `left`, `closed` or `timeout`.
    pub fn as_str(self) -> &'static str {
        match self {
            LeaveReason::Left => "left",
            LeaveReason::Closed => "closed",
            LeaveReason::Timeout => "timeout",
        }
    }
}

/// What happened, for the driver to log, count or act on.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerEvent {
    /// A connection joined a room as a peer (`resumed`: it took back a
    /// peer whose connection had dropped).
    Joined {
        /// The connection.
        connection: ConnectionId,
        /// The room id.
        room: String,
        /// The peer id.
        peer: String,
        /// `true` for a resume within the grace period.
        resumed: bool,
    },
    /// A peer left its room; the others got `peer-left`.
    Left {
        /// The room id.
        room: String,
        /// The peer id.
        peer: String,
        /// Why.
        reason: LeaveReason,
    },
    /// The driver closes this connection with this WebSocket close code
    /// (RFC 6455 §7.4.1): 1008 after a connection kept flooding past
    /// `Limits::max_rate_limited`, 1000 when its peer was resumed on
    /// another connection. The server ignores what it sends from now on.
    Close {
        /// The connection.
        connection: ConnectionId,
        /// The close code.
        code: u16,
        /// The close reason (a few words, for the close frame).
        reason: &'static str,
    },
}

/// Counters of a [`Server`](crate::Server), from
/// [`Server::stats`](crate::Server::stats).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerStats {
    /// Connections open now.
    pub connections: usize,
    /// Rooms held now.
    pub rooms: usize,
    /// Peers held now, over all rooms (those waiting to resume included).
    pub peers: usize,
    /// Peers waiting to resume now.
    pub away: usize,
    /// Bytes kept for away peers now.
    pub queued_bytes: usize,
    /// Messages forwarded, counted once per recipient (queued for an away
    /// peer included).
    pub messages_relayed: u64,
    /// Messages queued for away peers dropped because the queue was full.
    pub messages_dropped: u64,
    /// Messages refused with an `error` (sent or, for rate limiting,
    /// silently dropped).
    pub errors: u64,
    /// Messages refused by the rate limit.
    pub rate_limited: u64,
}
