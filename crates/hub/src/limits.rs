//! What a [`Hub`](crate::Hub) is configured with: its [`Limits`].

/// Caps on what publishers and subscribers can make a
/// [`Hub`](crate::Hub) hold.
///
/// | field | default | what passing it gives |
/// |---|---|---|
/// | `max_topics` | 10,000 | [`Error::TooManyTopics`](crate::Error::TooManyTopics) (503) |
/// | `max_topic_len` | 128 bytes (at most [`TopicName::MAX_LEN`](crate::TopicName::MAX_LEN)) | [`Error::BadTopicName`](crate::Error::BadTopicName) (400) |
/// | `max_message_bytes` | 64 KiB | [`Error::MessageTooLarge`](crate::Error::MessageTooLarge) (413) |
/// | `history_messages` | 1,000 per topic | the oldest message leaves the history |
/// | `history_bytes` | 4 MiB per topic | the oldest messages leave the history |
/// | `max_history_bytes_total` | 256 MiB over all topics | the hub's oldest messages leave their histories |
/// | `max_subscribers` | 100,000 | [`Error::TooManySubscribers`](crate::Error::TooManySubscribers) (503) |
/// | `queue_messages` | 1,024 per subscriber | the subscriber is evicted |
/// | `queue_bytes` | 1 MiB per subscriber | the subscriber is evicted |
///
/// The setters are named like the fields:
/// `Limits::default().max_topics(100).queue_messages(64)`.
///
/// Memory: the histories hold at most `max_history_bytes_total` bytes of
/// data (and `max_topics` × `history_messages` entries); a subscriber's
/// queue is a cursor into its topic's history, so it holds no data of its
/// own, and a subscriber costs a fixed few dozen bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Topics held at once: 10,000. Publishing to or subscribing to a new
    /// topic past it gives `TooManyTopics`.
    pub max_topics: usize,
    /// The longest topic name in bytes: 128, which is also the most it may
    /// be set to ([`TopicName::MAX_LEN`](crate::TopicName::MAX_LEN)).
    pub max_topic_len: usize,
    /// The longest message in bytes: 64 KiB.
    pub max_message_bytes: usize,
    /// Messages kept per topic for subscribers to resume from: 1,000.
    /// Zero keeps none (only live delivery; a subscriber must take each
    /// message before the next is published).
    pub history_messages: usize,
    /// Bytes of message data kept per topic: 4 MiB. A message larger than
    /// this is delivered to subscribers that have nothing pending only
    /// (it leaves the history at once).
    pub history_bytes: usize,
    /// Bytes of message data kept over all topics together: 256 MiB
    /// (`docs/ARCHITECTURE.md` §2.9: `max_topics` × `history_bytes` is no
    /// bound). Past it the messages published longest ago, whatever their
    /// topic, leave the history first.
    pub max_history_bytes_total: usize,
    /// Subscribers held at once over all topics: 100,000.
    pub max_subscribers: usize,
    /// Messages a subscriber may have waiting, among those published
    /// since it subscribed: 1,024. The one that would make 1,025 evicts
    /// it (the crate docs, "Slow subscribers").
    pub queue_messages: usize,
    /// Bytes a subscriber may have waiting, among the messages published
    /// since it subscribed: 1 MiB. The message that would pass it evicts
    /// the subscriber.
    pub queue_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_topics: 10_000,
            max_topic_len: 128,
            max_message_bytes: 64 * 1024,
            history_messages: 1_000,
            history_bytes: 4 << 20,
            max_history_bytes_total: 256 << 20,
            max_subscribers: 100_000,
            queue_messages: 1_024,
            queue_bytes: 1 << 20,
        }
    }
}

macro_rules! setters {
    ($($field:ident),* $(,)?) => {
        impl Limits {
            $(
                #[doc = concat!("Sets [`Limits::", stringify!($field), "`].")]
                #[must_use]
                pub fn $field(mut self, $field: usize) -> Self {
                    self.$field = $field;
                    self
                }
            )*
        }
    };
}

setters!(
    max_topics,
    max_topic_len,
    max_message_bytes,
    history_messages,
    history_bytes,
    max_history_bytes_total,
    max_subscribers,
    queue_messages,
    queue_bytes,
);

/// A hub's configuration: its [`Limits`] (room is left for options).
///
/// ```
/// use rtw_hub::{Config, Hub, Limits};
///
/// let hub = Hub::new(Config::default().limits(Limits::default().history_messages(100)));
/// assert_eq!(hub.config().limits.history_messages, 100);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// What the hub never exceeds.
    pub limits: Limits,
}

impl Config {
    /// Sets [`Config::limits`].
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }
}
