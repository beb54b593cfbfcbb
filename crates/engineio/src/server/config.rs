//! The server's settings.

use std::time::Duration;

use crate::payload::Limits;

/// The server's settings.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// Time between pings (25 s by default, as the reference server).
    pub ping_interval: Duration,
    /// Time the client has to answer a ping with a pong (20 s).
    pub ping_timeout: Duration,
    /// Bounds on POST bodies: `max_payload` is the open packet's
    /// `maxPayload`.
    pub limits: Limits,
    /// Whether the polling transport is served (`true`).
    pub allow_polling: bool,
    /// Whether the WebSocket transport is served, both directly and as an
    /// upgrade (`true`).
    pub allow_websocket: bool,
    /// The most sessions at once (10,000); a handshake past it gets 403
    /// code 4.
    pub max_sessions: usize,
    /// The most bytes of data queued for a polling session that does not
    /// poll (1 MiB); [`Server::send`](crate::Server::send) then fails with [`Error::QueueFull`](crate::Error::QueueFull).
    pub max_queued_bytes: usize,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            ping_interval: Duration::from_millis(25_000),
            ping_timeout: Duration::from_millis(20_000),
            limits: Limits::default(),
            allow_polling: true,
            allow_websocket: true,
            max_sessions: 10_000,
            max_queued_bytes: 1 << 20,
        }
    }
}

impl Config {
    /// Sets `ping_interval`: time between pings.
    #[must_use]
    pub fn ping_interval(mut self, ping_interval: Duration) -> Self {
        self.ping_interval = ping_interval;
        self
    }

    /// Sets `ping_timeout`: time the client has to answer a ping.
    #[must_use]
    pub fn ping_timeout(mut self, ping_timeout: Duration) -> Self {
        self.ping_timeout = ping_timeout;
        self
    }

    /// Sets `limits`: bounds on POST bodies.
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Sets `allow_polling`: whether polling is served.
    #[must_use]
    pub fn allow_polling(mut self, allow_polling: bool) -> Self {
        self.allow_polling = allow_polling;
        self
    }

    /// Sets `allow_websocket`: whether WebSocket is served.
    #[must_use]
    pub fn allow_websocket(mut self, allow_websocket: bool) -> Self {
        self.allow_websocket = allow_websocket;
        self
    }

    /// Sets `max_sessions`: the most sessions at once.
    #[must_use]
    pub fn max_sessions(mut self, max_sessions: usize) -> Self {
        self.max_sessions = max_sessions;
        self
    }

    /// Sets `max_queued_bytes`: the most bytes queued for one polling session.
    #[must_use]
    pub fn max_queued_bytes(mut self, max_queued_bytes: usize) -> Self {
        self.max_queued_bytes = max_queued_bytes;
        self
    }
}
