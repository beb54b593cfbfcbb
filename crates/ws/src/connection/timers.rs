//! The connection's clock: keep-alive pings (RFC 6455 §5.5.2) and the
//! deadline of a half-received message. Time only comes in as an argument.

use std::time::Instant;

use crate::Config;

/// What the connection knows of time.
#[derive(Debug, Default)]
pub(crate) struct Timers {
    /// The latest time we were given.
    now: Option<Instant>,
    /// When the peer last made the frame decoder advance.
    last_input: Option<Instant>,
    /// When our keep-alive ping went out, while no answer came.
    ping_sent: Option<Instant>,
    /// When the message being received must be complete.
    message_deadline: Option<Instant>,
}

/// What is due at a [`Timers::due`] call.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Due {
    /// Nothing.
    Nothing,
    /// The message being received took too long.
    MessageTimeout,
    /// Our ping went unanswered.
    PingTimeout,
    /// The peer was quiet for the ping interval: ping it.
    Ping,
}

impl Timers {
    /// The time is `now` (never earlier than a time given before). The
    /// keep-alive interval starts at the first time given.
    pub(crate) fn tick(&mut self, now: Instant) {
        let now = self.now.map_or(now, |t| t.max(now));
        self.now = Some(now);
        self.last_input.get_or_insert(now);
    }

    /// The latest time given.
    #[cfg_attr(not(feature = "deflate"), allow(dead_code))]
    pub(crate) fn now(&self) -> Option<Instant> {
        self.now
    }

    /// The peer's bytes made progress: it is alive.
    pub(crate) fn input(&mut self) {
        self.last_input = self.now;
        self.ping_sent = None;
    }

    /// A message began to arrive.
    pub(crate) fn message_started(&mut self, config: &Config) {
        self.message_deadline = self.now.zip(config.message_timeout).map(|(t, d)| t + d);
    }

    /// The message being received is complete.
    pub(crate) fn message_finished(&mut self) {
        self.message_deadline = None;
    }

    /// The next deadline, if any.
    pub(crate) fn next(&self, config: &Config) -> Option<Instant> {
        let keepalive = match (self.ping_sent, config.ping_interval, self.last_input) {
            (Some(sent), _, _) => Some(sent + config.ping_timeout),
            (None, Some(interval), Some(last)) => Some(last + interval),
            (None, _, _) => None,
        };
        [keepalive, self.message_deadline]
            .into_iter()
            .flatten()
            .min()
    }

    /// The deadline of the message being received, if one is.
    pub(crate) fn next_message_deadline(&self) -> Option<Instant> {
        self.message_deadline
    }

    /// What is due now; a ping is taken as sent.
    pub(crate) fn due(&mut self, config: &Config) -> Due {
        let Some(now) = self.now else {
            return Due::Nothing;
        };
        if self.message_deadline.is_some_and(|d| now >= d) {
            return Due::MessageTimeout;
        }
        match (self.ping_sent, config.ping_interval, self.last_input) {
            (Some(sent), _, _) if now >= sent + config.ping_timeout => Due::PingTimeout,
            (None, Some(interval), Some(last)) if now >= last + interval => {
                self.ping_sent = Some(now);
                Due::Ping
            }
            _ => Due::Nothing,
        }
    }
}
