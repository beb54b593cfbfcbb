//! Options of the EventSource.

use std::time::Duration;

use crate::Config;

/// EventSource options. The defaults behave as the standard describes;
/// the two reconnection options are the latitude "9.2.3 Processing model"
/// leaves to user agents, and are off by default.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// The event-stream parser's limits and options.
    pub parser: Config,
}

impl Default for EventSourceConfig {
    fn default() -> Self {
        EventSourceConfig {
            reconnection_time: Duration::from_millis(3000),
            max_backoff: None,
            max_retries: None,
            parser: Config::default(),
        }
    }
}
