//! Options of the EventSource.

use std::time::Duration;

use crate::Config;

/// EventSource options. The defaults behave as the standard describes;
/// the two reconnection options are the latitude "9.2.3 Processing model"
/// leaves to user agents, and are off by default.
///
/// ```
/// use std::time::Duration;
/// use rtw_sse::{Config, EventSource, EventSourceConfig, Limits};
///
/// let config = EventSourceConfig::default()
///     .reconnection_time(Duration::from_secs(1))
///     .max_backoff(Some(Duration::from_secs(30)))
///     .max_retries(Some(10))
///     .decoder(Config::default().limits(Limits::default().max_event_size(1 << 20)));
/// let source = EventSource::new(config);
/// # let _ = source;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EventSourceConfig {
    /// The initial reconnection time: how long to wait before each
    /// reconnection until a `retry` field changes it. The standard leaves
    /// it implementation-defined ("probably in the region of a few
    /// seconds"). Default 3 seconds.
    pub reconnection_time: Duration,
    /// Exponential backoff ("reestablish the connection", "Optionally, wait
    /// some more. In particular, if the previous attempt failed, then user
    /// agents might introduce an exponential backoff delay"): when set,
    /// the wait before the n-th reconnection attempt in a row that follows
    /// failed ones is the reconnection time times 2<sup>n−1</sup>, at
    /// most this much (and never less than the reconnection time). A
    /// response that is accepted starts the count again. Default `None`:
    /// always the reconnection time.
    pub max_backoff: Option<Duration>,
    /// How many reconnection attempts in a row, with no response accepted
    /// in between, before reconnecting is judged futile and the connection
    /// fails ("reestablish the connection, unless the user agent knows
    /// that to be futile, in which case the user agent may fail the
    /// connection"). `Some(0)` never reconnects. Default `None`: reconnect
    /// for ever, as browsers do.
    pub max_retries: Option<u32>,
    /// The event-stream decoder's limits and options.
    pub decoder: Config,
}

impl Default for EventSourceConfig {
    fn default() -> Self {
        EventSourceConfig {
            reconnection_time: Duration::from_millis(3000),
            max_backoff: None,
            max_retries: None,
            decoder: Config::default(),
        }
    }
}

impl EventSourceConfig {
    /// Sets [`reconnection_time`](EventSourceConfig::reconnection_time).
    #[must_use]
    pub fn reconnection_time(mut self, time: Duration) -> Self {
        self.reconnection_time = time;
        self
    }

    /// Sets [`max_backoff`](EventSourceConfig::max_backoff).
    #[must_use]
    pub fn max_backoff(mut self, cap: Option<Duration>) -> Self {
        self.max_backoff = cap;
        self
    }

    /// Sets [`max_retries`](EventSourceConfig::max_retries).
    #[must_use]
    pub fn max_retries(mut self, retries: Option<u32>) -> Self {
        self.max_retries = retries;
        self
    }

    /// Sets [`decoder`](EventSourceConfig::decoder).
    #[must_use]
    pub fn decoder(mut self, config: Config) -> Self {
        self.decoder = config;
        self
    }
}
