//! The values the hub takes and hands out: topic names, message ids,
//! messages, subscribers, events and statistics.

use std::borrow::Borrow;
use std::fmt;
use std::sync::Arc;

use bytes::Bytes;

use crate::Error;

/// A validated topic name: 1 to [`TopicName::MAX_LEN`] bytes of RFC 3986
/// §2.3's unreserved set `[A-Za-z0-9._~-]`, and neither `.` nor `..`.
///
/// So a topic is one URL path segment that needs no percent-encoding
/// (`/topics/{topic}/events`), with no dot-segment a client or proxy
/// would remove (RFC 3986 §5.2.4), and it maps to a STOMP destination
/// `/topic/{topic}` and a RabbitMQ stream or routing key as it is. `/` is
/// not allowed: it would split the path segment.
///
/// Cheap to clone (an `Arc<str>`).
///
/// ```
/// use rtw_hub::TopicName;
///
/// assert_eq!(TopicName::new("news.sport-2").unwrap().as_str(), "news.sport-2");
/// assert!(TopicName::new("a/b").is_err());
/// assert!(TopicName::new("..").is_err());
/// assert!(TopicName::new("").is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TopicName(Arc<str>);

impl TopicName {
    /// The longest topic name, in bytes.
    pub const MAX_LEN: usize = 128;

    /// Checks `name` and makes it a topic name.
    pub fn new(name: &str) -> Result<TopicName, Error> {
        check(name, Self::MAX_LEN)?;
        Ok(TopicName(Arc::from(name)))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Checks a topic name against `max_len` (itself at most
/// [`TopicName::MAX_LEN`]).
pub(crate) fn check(name: &str, max_len: usize) -> Result<(), Error> {
    if name.is_empty() {
        return Err(Error::BadTopicName("empty"));
    }
    if name.len() > max_len.min(TopicName::MAX_LEN) {
        return Err(Error::BadTopicName("too long"));
    }
    if name == "." || name == ".." {
        return Err(Error::BadTopicName("a dot-segment"));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'~' | b'-'))
    {
        return Err(Error::BadTopicName("a character outside [A-Za-z0-9._~-]"));
    }
    Ok(())
}

impl Borrow<str> for TopicName {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for TopicName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TopicName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for TopicName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

/// A message id, increasing within a topic. The first message published
/// to a topic is 1; [`MessageId::ZERO`] means "before everything" (a
/// client that has seen nothing resumes with `since=0`). Ids given to
/// [`Hub::ingest`](crate::Hub::ingest) may skip values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct MessageId(pub u64);

impl MessageId {
    /// Before every message of a topic.
    pub const ZERO: MessageId = MessageId(0);

    /// The id as a number.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl From<u64> for MessageId {
    fn from(id: u64) -> Self {
        MessageId(id)
    }
}

/// One message of a topic. Cheap to clone: the topic is an `Arc<str>`
/// and the data [`Bytes`], shared with the history and every subscriber.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The topic it was published to.
    pub topic: TopicName,
    /// Its id in the topic.
    pub id: MessageId,
    /// What was published, unchanged.
    pub data: Bytes,
}

/// One subscriber of a [`Hub`](crate::Hub): a connection of a push
/// transport, or a held long poll. The id of a subscriber that is gone
/// never names another one (until its slot has been reused 2^32 times).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubscriberId(pub(crate) u64);

impl SubscriberId {
    /// The id as a number, for logs and for a driver's maps.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for SubscriberId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Where a new subscriber starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Since {
    /// Only messages published from now on.
    Now,
    /// The kept messages whose id is greater than this one, then the live
    /// ones: the resume of a client that saw this id last (`since=N`, SSE
    /// `Last-Event-ID`). `After(MessageId::ZERO)` replays the whole
    /// history.
    After(MessageId),
}

/// What [`Hub::subscribe`](crate::Hub::subscribe) answers.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Subscription {
    /// The new subscriber.
    pub id: SubscriberId,
    /// Its topic.
    pub topic: TopicName,
    /// For `Since::After(n)` older than the history: the first and last
    /// ids (inclusive) of the range that has left the history, which the
    /// subscriber will not get. The replay starts with the oldest message
    /// kept. With ids from [`Hub::ingest`](crate::Hub::ingest) some ids of
    /// the range may never have existed.
    pub missed: Option<(MessageId, MessageId)>,
    /// The topic's last id when it subscribed (`ZERO` for a topic with no
    /// message yet). A `Since::After(n)` with `n` above it asked for ids
    /// the topic has not reached: the topic was removed and made again,
    /// or the client's id is wrong; it gets the live messages.
    pub last_id: MessageId,
    /// Messages waiting for it already (the replay).
    pub backlog: usize,
}

/// Why a subscriber was evicted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EvictReason {
    /// It had more than `Limits::queue_messages` or `Limits::queue_bytes`
    /// waiting among the messages published since it subscribed: it reads
    /// too slowly (WebSocket close 1008 or 1013, RFC 6455 §7.4.1; end of
    /// an SSE stream).
    QueueFull,
    /// The next message it would get left the topic's history (the
    /// history bounds, or the hub-wide byte cap) before it took it.
    HistoryOverrun,
    /// [`Hub::remove_topic`](crate::Hub::remove_topic) removed its topic.
    TopicRemoved,
}

/// What the driver must act on, from [`Hub::poll_event`](crate::Hub::poll_event).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HubEvent {
    /// The subscriber had nothing waiting and now has: wake its task,
    /// which calls [`Hub::poll_message`](crate::Hub::poll_message) until
    /// `None`. Given once per such change (not once per message).
    Ready(SubscriberId),
    /// The subscriber is gone (crate docs, "Slow subscribers"): close its
    /// connection, telling the client to resume with
    /// `since=last_delivered`.
    Evicted {
        /// The subscriber; the hub no longer knows it.
        subscriber: SubscriberId,
        /// Its topic.
        topic: TopicName,
        /// The id of the last message `poll_message` handed out for it, or
        /// where it started (`since`, or the topic's last id for
        /// `Since::Now`) if none: what the client resumes from.
        last_delivered: MessageId,
        /// Why.
        reason: EvictReason,
    },
}

/// Counts from [`Hub::stats`](crate::Hub::stats).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct HubStats {
    /// Topics held.
    pub topics: usize,
    /// Subscribers held.
    pub subscribers: usize,
    /// Messages taken by `publish` and `ingest` since the hub was made.
    pub published: u64,
    /// Subscribers evicted since the hub was made (not counting
    /// `remove_topic`).
    pub evictions: u64,
    /// Messages kept in the histories.
    pub history_messages: usize,
    /// Bytes of data kept in the histories.
    pub history_bytes: usize,
    /// Messages waiting for subscribers, counted once per subscriber
    /// (they are shared with the history, not copies).
    pub queued_messages: usize,
    /// Bytes of the messages waiting for subscribers, counted once per
    /// subscriber (shared with the history, not copies).
    pub queued_bytes: usize,
}
