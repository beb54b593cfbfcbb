//! What a [`Broker`](super::Broker) hands its driver: bytes to send
//! ([`BrokerTransmit`]), what happened ([`BrokerEvent`]) and counters
//! ([`BrokerStats`]).

use bytes::Bytes;
pub use rtw_core::ConnectionId;

use crate::Version;

/// Bytes for the driver to write on one connection, in the order they
/// come (one or more whole frames, or a heart-beat EOL). Over WebSocket
/// each transmit is one message (STOMP over WebSocket sends frames in
/// text or binary messages).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BrokerTransmit {
    /// The connection to write on.
    pub connection: ConnectionId,
    /// The bytes.
    pub bytes: Bytes,
}

/// Why the broker asks for a connection to be closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CloseReason {
    /// It sent DISCONNECT (its RECEIPT, if it asked for one, was queued
    /// first; STOMP 1.2 "Connection Lingering").
    Disconnect,
    /// It broke the protocol or a limit; an ERROR frame was queued first
    /// (STOMP 1.2 "ERROR").
    Error,
    /// Bytes for it passed `max_unsent_bytes` (or the shared
    /// `max_total_unsent_bytes`); an ERROR frame was queued first.
    SlowConsumer,
    /// Nothing came from it for twice its negotiated heart-beat interval
    /// (STOMP 1.2 "Heart-beating"); an ERROR frame was queued first.
    HeartBeatTimeout,
    /// No CONNECT frame within `connect_timeout`; an ERROR frame was
    /// queued first.
    ConnectTimeout,
    /// The server shuts down ([`Broker::shutdown`](super::Broker::shutdown));
    /// an ERROR frame `server shutting down` was queued first.
    Shutdown,
}

/// What happened, for the driver to act on, log or count.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BrokerEvent {
    /// A connection completed CONNECT (CONNECTED was queued).
    Connected {
        /// The connection.
        connection: ConnectionId,
        /// The negotiated version.
        version: Version,
        /// Its `login` header, if any.
        login: Option<String>,
    },
    /// The driver writes what [`Broker::poll_transmit`](super::Broker::poll_transmit)
    /// gave for this connection (its last frame may be an ERROR or a
    /// RECEIPT), then closes it and calls
    /// [`Broker::handle_disconnect`](super::Broker::handle_disconnect).
    /// The broker already ignores its input, returned its unacknowledged
    /// queue messages and dropped its subscriptions and transactions.
    Close {
        /// The connection.
        connection: ConnectionId,
        /// Why.
        reason: CloseReason,
    },
}

/// Sizes and counters of a [`Broker`](super::Broker), from
/// [`Broker::stats`](super::Broker::stats).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BrokerStats {
    /// Connections held now (until `handle_disconnect`).
    pub connections: usize,
    /// Connections accepted (`handle_connect`) so far.
    pub connections_accepted: u64,
    /// Bytes read from connections and consumed by the decoder
    /// (`handle_input`; a partial frame counts once it is consumed).
    pub bytes_received: u64,
    /// Bytes the driver reported written (`handle_sent`).
    pub bytes_sent: u64,
    /// Connections that completed CONNECT and are not closing.
    pub sessions: usize,
    /// Subscriptions held now.
    pub subscriptions: usize,
    /// Topics with subscribers plus queues, now.
    pub destinations: usize,
    /// Messages waiting in queues now.
    pub queued_messages: usize,
    /// Messages delivered to `client` mode subscriptions and not yet
    /// acknowledged, now.
    pub unacked: usize,
    /// Open transactions now.
    pub transactions: usize,
    /// Bytes of messages held now (`BrokerLimits::max_stored_bytes`).
    pub stored_bytes: usize,
    /// Bytes queued for connections and not reported sent, now.
    pub unsent_bytes: usize,
    /// SEND frames accepted (committed, for those in a transaction).
    pub messages_received: u64,
    /// MESSAGE frames queued for subscribers.
    pub messages_delivered: u64,
    /// Queue messages returned by a NACK, an UNSUBSCRIBE or a dropped
    /// connection, to be delivered again.
    pub messages_requeued: u64,
    /// Messages that reached nobody: a topic without subscribers, or a
    /// subscription at `max_unacked`.
    pub messages_dropped: u64,
    /// ERROR frames sent.
    pub errors: u64,
    /// Connections closed as slow consumers.
    pub slow_consumers: u64,
    /// Connections closed for missing heart-beats.
    pub heart_beat_timeouts: u64,
}
