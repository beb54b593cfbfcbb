//! What a [`Broker`](super::Broker) is built with: [`BrokerConfig`] and
//! the caps of [`BrokerLimits`].

use std::time::Duration;

use crate::{HeartBeat, Limits, Version};

/// How a [`Broker`](super::Broker) runs.
///
/// | field | default |
/// |---|---|
/// | `limits` | [`BrokerLimits::default()`] |
/// | `heart_beat` | `10000,10000`: it can send every 10 s and wants to hear from a client every 10 s |
/// | `users` | empty: any `login` (or none) is accepted |
/// | `versions` | 1.0, 1.1 and 1.2 |
/// | `server` | `rtw-stomp/` and the crate version |
/// | `connect_timeout` | 10 s from the connection to its CONNECT frame |
///
/// ```
/// use std::time::Duration;
/// use rtw_stomp::HeartBeat;
/// use rtw_stomp::broker::{BrokerConfig, BrokerLimits};
///
/// let config = BrokerConfig::default()
///     .limits(BrokerLimits::default().max_subscriptions(8))
///     .heart_beat(HeartBeat { can_send: Duration::from_secs(5), want_receive: Duration::ZERO })
///     .users(vec![("guest".into(), "guest".into())]);
/// # let _ = config;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BrokerConfig {
    /// Caps on what clients can make the broker hold.
    pub limits: BrokerLimits,
    /// The broker's side of the `heart-beat` header (STOMP 1.2
    /// "Heart-beating"): how often it can send heart-beats and how often
    /// it wants to receive them. Each connection's intervals come from
    /// this and the client's CONNECT ([`HeartBeat::negotiate`]); a client
    /// silent for twice its interval is closed.
    pub heart_beat: HeartBeat,
    /// The `login` and `passcode` pairs accepted in CONNECT (STOMP 1.2
    /// "CONNECT or STOMP Frame"). Empty: no login is required and any is
    /// accepted.
    pub users: Vec<(String, String)>,
    /// The versions offered in negotiation (STOMP 1.2 "Protocol
    /// Negotiation"). A CONNECT without `accept-version` is a 1.0 client.
    pub versions: Vec<Version>,
    /// The `server` header of CONNECTED.
    pub server: String,
    /// How long a connection may take to send its CONNECT frame before it
    /// gets an ERROR and is closed.
    pub connect_timeout: Duration,
}

impl Default for BrokerConfig {
    fn default() -> Self {
        BrokerConfig {
            limits: BrokerLimits::default(),
            heart_beat: HeartBeat {
                can_send: Duration::from_secs(10),
                want_receive: Duration::from_secs(10),
            },
            users: Vec::new(),
            versions: Version::ALL.to_vec(),
            server: concat!("rtw-stomp/", env!("CARGO_PKG_VERSION")).to_owned(),
            connect_timeout: Duration::from_secs(10),
        }
    }
}

impl BrokerConfig {
    /// Sets [`BrokerConfig::limits`].
    #[must_use]
    pub fn limits(mut self, limits: BrokerLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Sets [`BrokerConfig::heart_beat`].
    #[must_use]
    pub fn heart_beat(mut self, heart_beat: HeartBeat) -> Self {
        self.heart_beat = heart_beat;
        self
    }

    /// Sets [`BrokerConfig::users`].
    #[must_use]
    pub fn users(mut self, users: Vec<(String, String)>) -> Self {
        self.users = users;
        self
    }

    /// Sets [`BrokerConfig::versions`].
    #[must_use]
    pub fn versions(mut self, versions: Vec<Version>) -> Self {
        self.versions = versions;
        self
    }

    /// Sets [`BrokerConfig::server`].
    #[must_use]
    pub fn server(mut self, server: impl Into<String>) -> Self {
        self.server = server.into();
        self
    }

    /// Sets [`BrokerConfig::connect_timeout`].
    #[must_use]
    pub fn connect_timeout(mut self, connect_timeout: Duration) -> Self {
        self.connect_timeout = connect_timeout;
        self
    }
}

/// Caps on what clients can make a [`Broker`](super::Broker) hold
/// (`docs/ARCHITECTURE.md` §2.8, §2.9). Passing one gets the client an
/// ERROR frame whose `message` names the limit, then a close (STOMP 1.2
/// "ERROR"), except where the table says otherwise.
///
/// | field | default | scope | past it |
/// |---|---|---|---|
/// | `frame` | [`Limits::default()`] | each frame | ERROR naming the limit |
/// | `max_subscriptions` | 64 | connection | ERROR |
/// | `max_unacked` | 1,024 messages | connection, `client` and `client-individual` subscriptions | a queue holds its messages back; a topic message is dropped for that subscription |
/// | `max_transactions` | 16 | connection | ERROR |
/// | `max_transaction_frames` | 1,024 | connection, over its open transactions | ERROR |
/// | `max_unsent_bytes` | 4 MiB | connection, bytes not yet reported sent | a queue holds its messages back; anything else: ERROR "slow consumer" |
/// | `max_total_unsent_bytes` | 256 MiB | all connections | as `max_unsent_bytes` |
/// | `max_destinations` | 10,000 | broker, topics with subscribers and queues | ERROR |
/// | `max_queue_messages` | 10,000 | each queue, waiting for a consumer | ERROR "queue full" to the sender |
/// | `max_stored_bytes` | 256 MiB | broker: messages waiting in queues, delivered and not acknowledged, or held in transactions | ERROR to the sender |
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BrokerLimits {
    /// The frame decoder's limits (STOMP 1.2 "Size Limits").
    pub frame: Limits,
    /// Subscriptions one connection may hold: 64.
    pub max_subscriptions: usize,
    /// Messages delivered to one connection's `client` and
    /// `client-individual` subscriptions and not yet acknowledged: 1,024.
    pub max_unacked: usize,
    /// Transactions one connection may have open: 16.
    pub max_transactions: usize,
    /// Frames (SEND, ACK, NACK) one connection may hold in its open
    /// transactions together: 1,024.
    pub max_transaction_frames: usize,
    /// Bytes queued for one connection that its driver has not reported
    /// sent ([`Broker::handle_sent`](super::Broker::handle_sent)): 4 MiB.
    pub max_unsent_bytes: usize,
    /// Bytes queued for all connections that their drivers have not
    /// reported sent: 256 MiB.
    pub max_total_unsent_bytes: usize,
    /// Topics with subscribers plus queues, held at once: 10,000.
    pub max_destinations: usize,
    /// Messages one queue holds for its consumers: 10,000 (a NACK or a
    /// dropped consumer returns its messages even past it).
    pub max_queue_messages: usize,
    /// Bytes of the messages the broker holds (queued, in flight to a
    /// `client` mode consumer, or in open transactions): 256 MiB.
    pub max_stored_bytes: usize,
}

impl Default for BrokerLimits {
    fn default() -> Self {
        BrokerLimits {
            frame: Limits::default(),
            max_subscriptions: 64,
            max_unacked: 1024,
            max_transactions: 16,
            max_transaction_frames: 1024,
            max_unsent_bytes: 4 << 20,
            max_total_unsent_bytes: 256 << 20,
            max_destinations: 10_000,
            max_queue_messages: 10_000,
            max_stored_bytes: 256 << 20,
        }
    }
}

impl BrokerLimits {
    /// Sets [`BrokerLimits::frame`].
    #[must_use]
    pub fn frame(mut self, frame: Limits) -> Self {
        self.frame = frame;
        self
    }

    /// Sets [`BrokerLimits::max_subscriptions`].
    #[must_use]
    pub fn max_subscriptions(mut self, max_subscriptions: usize) -> Self {
        self.max_subscriptions = max_subscriptions;
        self
    }

    /// Sets [`BrokerLimits::max_unacked`].
    #[must_use]
    pub fn max_unacked(mut self, max_unacked: usize) -> Self {
        self.max_unacked = max_unacked;
        self
    }

    /// Sets [`BrokerLimits::max_transactions`].
    #[must_use]
    pub fn max_transactions(mut self, max_transactions: usize) -> Self {
        self.max_transactions = max_transactions;
        self
    }

    /// Sets [`BrokerLimits::max_transaction_frames`].
    #[must_use]
    pub fn max_transaction_frames(mut self, max_transaction_frames: usize) -> Self {
        self.max_transaction_frames = max_transaction_frames;
        self
    }

    /// Sets [`BrokerLimits::max_unsent_bytes`].
    #[must_use]
    pub fn max_unsent_bytes(mut self, max_unsent_bytes: usize) -> Self {
        self.max_unsent_bytes = max_unsent_bytes;
        self
    }

    /// Sets [`BrokerLimits::max_total_unsent_bytes`].
    #[must_use]
    pub fn max_total_unsent_bytes(mut self, max_total_unsent_bytes: usize) -> Self {
        self.max_total_unsent_bytes = max_total_unsent_bytes;
        self
    }

    /// Sets [`BrokerLimits::max_destinations`].
    #[must_use]
    pub fn max_destinations(mut self, max_destinations: usize) -> Self {
        self.max_destinations = max_destinations;
        self
    }

    /// Sets [`BrokerLimits::max_queue_messages`].
    #[must_use]
    pub fn max_queue_messages(mut self, max_queue_messages: usize) -> Self {
        self.max_queue_messages = max_queue_messages;
        self
    }

    /// Sets [`BrokerLimits::max_stored_bytes`].
    #[must_use]
    pub fn max_stored_bytes(mut self, max_stored_bytes: usize) -> Self {
        self.max_stored_bytes = max_stored_bytes;
        self
    }
}
