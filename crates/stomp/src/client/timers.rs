//! The client's clock: heart-beats both ways (STOMP 1.2 "Heart-beating")
//! and the waits for CONNECTED and for the RECEIPT of DISCONNECT. Time only
//! comes in as an argument.

use std::time::{Duration, Instant};

/// How many of the server's intervals may pass without a byte before it is
/// declared dead: the tolerance STOMP 1.2 "Heart-beating" asks receivers to
/// allow for network delays.
pub(crate) const GRACE_FACTOR: u32 = 2;

/// What the client knows of time.
#[derive(Debug)]
pub(crate) struct Timers {
    /// The latest time given (never goes back).
    pub(crate) now: Instant,
    /// When the server's bytes last arrived.
    last_input: Instant,
    /// When the client last queued bytes.
    last_output: Instant,
    /// How often the client sends, once negotiated.
    send_every: Option<Duration>,
    /// How often the server sends, once negotiated.
    receive_every: Option<Duration>,
    /// When the wait for CONNECTED or for the RECEIPT of DISCONNECT ends.
    pub(crate) deadline: Option<Instant>,
}

/// What is due at a [`Timers::due`] call.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Due {
    Nothing,
    /// The wait of [`Timers::deadline`] is over.
    Deadline,
    /// The server was silent for [`GRACE_FACTOR`] intervals.
    ServerDead,
    /// The client was silent for its interval: send an EOL.
    HeartBeat,
}

impl Timers {
    pub(crate) fn new(now: Instant) -> Self {
        Timers {
            now,
            last_input: now,
            last_output: now,
            send_every: None,
            receive_every: None,
            deadline: None,
        }
    }

    /// The time is `now`.
    pub(crate) fn tick(&mut self, now: Instant) {
        self.now = self.now.max(now);
    }

    /// Bytes came from the server.
    pub(crate) fn input(&mut self) {
        self.last_input = self.now;
    }

    /// Bytes were queued for the server.
    pub(crate) fn output(&mut self) {
        self.last_output = self.now;
    }

    /// Heart-beats start now with these intervals.
    pub(crate) fn start_heart_beats(&mut self, send: Option<Duration>, receive: Option<Duration>) {
        self.send_every = send;
        self.receive_every = receive;
        self.last_input = self.now;
        self.last_output = self.now;
    }

    /// When the server is declared dead, if heart-beats come from it.
    fn server_dead_at(&self) -> Option<Instant> {
        self.receive_every
            .map(|every| self.last_input + every.saturating_mul(GRACE_FACTOR))
    }

    /// The next deadline, if any.
    pub(crate) fn next(&self) -> Option<Instant> {
        let beat = self.send_every.map(|every| self.last_output + every);
        [self.deadline, self.server_dead_at(), beat]
            .into_iter()
            .flatten()
            .min()
    }

    /// What is due now; a heart-beat is taken as sent.
    pub(crate) fn due(&mut self) -> Due {
        let now = self.now;
        if self.deadline.is_some_and(|d| now >= d) {
            return Due::Deadline;
        }
        if self.server_dead_at().is_some_and(|d| now >= d) {
            return Due::ServerDead;
        }
        if self
            .send_every
            .is_some_and(|every| now >= self.last_output + every)
        {
            self.last_output = now;
            return Due::HeartBeat;
        }
        Due::Nothing
    }
}
