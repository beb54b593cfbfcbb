//! The sizes and rates a [`Server`](crate::Server) never exceeds, whatever
//! its clients send.

/// Caps on what clients can make a [`Server`](crate::Server) hold and do.
///
/// | field | default | what passing it gives |
/// |---|---|---|
/// | `max_rooms` | 10,000 | `server-full` |
/// | `max_peers` | 10,000 (over all rooms, peers waiting to resume included) | `server-full` |
/// | `max_room_size` | 16 | `room-full` |
/// | `max_message_size` | 64 KiB | `message-too-large` |
/// | `messages_per_second` | 50 per connection | `rate-limited` |
/// | `burst` | 100 messages | `rate-limited` |
/// | `max_rate_limited` | 1,000 refusals (10 × `burst`) | `ServerEvent::Close` 1008 |
/// | `max_queued_while_away` | 64 messages per peer | the oldest is dropped |
/// | `max_queued_bytes` | 64 MiB over all away peers | the new message is dropped |
///
/// The setters are named like the fields:
/// `Limits::default().max_room_size(4).messages_per_second(10)`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Rooms held at once: 10,000. A `join` that would create one more
    /// gets `server-full`.
    pub max_rooms: usize,
    /// Peers held at once over all rooms, counting those waiting to
    /// resume: 10,000. A `join` past it gets `server-full`.
    pub max_peers: usize,
    /// Peers in one room, counting those waiting to resume: 16 (a mesh of
    /// 16 is already 120 peer connections). A `join` past it gets
    /// `room-full`.
    pub max_room_size: usize,
    /// The longest text message accepted, in bytes: 64 KiB (an SDP offer
    /// with many m= lines is a few KiB). Longer ones get
    /// `message-too-large`.
    pub max_message_size: usize,
    /// Messages per second a connection may send on average: 50.
    pub messages_per_second: u32,
    /// Messages a connection may send at once above the average (the
    /// token bucket's size): 100, enough for an offer with its trickled
    /// candidates to several peers.
    pub burst: u32,
    /// Refused messages after which a connection that keeps flooding is
    /// closed with 1008 (policy violation, RFC 6455 §7.4.1): 1,000, ten
    /// times the burst. The count starts again after a second without
    /// a refusal.
    pub max_rate_limited: u32,
    /// Messages kept for a peer whose connection dropped, delivered when it
    /// resumes: 64; past it the oldest is dropped.
    pub max_queued_while_away: usize,
    /// Bytes kept for all away peers together: 64 MiB. Per peer the queue
    /// holds at most `max_queued_while_away` messages of at most
    /// `max_message_size` bytes, which times `max_peers` is no bound
    /// (`docs/ARCHITECTURE.md` §2.9); past this shared cap a message for
    /// an away peer is dropped.
    pub max_queued_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_rooms: 10_000,
            max_peers: 10_000,
            max_room_size: 16,
            max_message_size: 64 * 1024,
            messages_per_second: 50,
            burst: 100,
            max_rate_limited: 1_000,
            max_queued_while_away: 64,
            max_queued_bytes: 64 << 20,
        }
    }
}

impl Limits {
    /// Sets [`Limits::max_rooms`].
    #[must_use]
    pub fn max_rooms(mut self, max_rooms: usize) -> Self {
        self.max_rooms = max_rooms;
        self
    }

    /// Sets [`Limits::max_peers`].
    #[must_use]
    pub fn max_peers(mut self, max_peers: usize) -> Self {
        self.max_peers = max_peers;
        self
    }

    /// Sets [`Limits::max_room_size`].
    #[must_use]
    pub fn max_room_size(mut self, max_room_size: usize) -> Self {
        self.max_room_size = max_room_size;
        self
    }

    /// Sets [`Limits::max_message_size`].
    #[must_use]
    pub fn max_message_size(mut self, max_message_size: usize) -> Self {
        self.max_message_size = max_message_size;
        self
    }

    /// Sets [`Limits::messages_per_second`].
    #[must_use]
    pub fn messages_per_second(mut self, messages_per_second: u32) -> Self {
        self.messages_per_second = messages_per_second;
        self
    }

    /// Sets [`Limits::burst`].
    #[must_use]
    pub fn burst(mut self, burst: u32) -> Self {
        self.burst = burst;
        self
    }

    /// Sets [`Limits::max_rate_limited`].
    #[must_use]
    pub fn max_rate_limited(mut self, max_rate_limited: u32) -> Self {
        self.max_rate_limited = max_rate_limited;
        self
    }

    /// Sets [`Limits::max_queued_while_away`].
    #[must_use]
    pub fn max_queued_while_away(mut self, max_queued_while_away: usize) -> Self {
        self.max_queued_while_away = max_queued_while_away;
        self
    }

    /// Sets [`Limits::max_queued_bytes`].
    #[must_use]
    pub fn max_queued_bytes(mut self, max_queued_bytes: usize) -> Self {
        self.max_queued_bytes = max_queued_bytes;
        self
    }
}
