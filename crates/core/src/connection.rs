//! The id a server-side session gives each connection it serves, shared by
//! `rtw_stomp::broker::Broker` and `rtw_signal::Server`.

use std::fmt;

/// Names one connection of a server-side session that serves many
/// (`rtw_stomp::broker::Broker`, `rtw_signal::Server`), from the session's
/// `handle_connect` on. A session numbers its connections 1, 2, ... and
/// never reuses an id.
///
/// ```
/// use rtw_core::ConnectionId;
///
/// let id = ConnectionId::new(3);
/// assert_eq!(id.get(), 3);
/// assert_eq!(id.to_string(), "connection 3");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnectionId(u64);

impl ConnectionId {
    /// The id numbered `n`, for sessions that hand out ids, drivers and
    /// tests. A session's ids come from its `handle_connect`; an id built
    /// here names a connection only if that session gave the same number.
    pub const fn new(n: u64) -> Self {
        ConnectionId(n)
    }

    /// The number behind the id (1 for the first connection, then 2, ...).
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for ConnectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "connection {}", self.0)
    }
}
