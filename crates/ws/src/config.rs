//! Connection options, with the size [`Limits`] beside them.

use std::time::Duration;

use crate::setters::setters;
use crate::{Limits, MemoryBudget};

/// Limits and behaviour of a [`Connection`](crate::Connection): the size
/// [`Limits`] under `limits`, the options beside them.
///
/// Defaults, beside tungstenite's (the size limits' table is on
/// [`Limits`]):
///
/// | option | rtw default | tungstenite |
/// |---|---|---|
/// | `limits` | [`Limits::default`] | |
/// | `fragment_size` | 1 MiB | none (one frame per message) |
/// | `auto_pong` | on | on |
/// | `deliver_fragments` | off | off |
/// | `message_timeout` | 60 s | none |
/// | `ping_interval` / `ping_timeout` | 30 s / 30 s | none |
/// | `message_memory` | none (per-connection limits only) | none |
/// | `close_timeout` | 5 s | none |
/// | `linger` | 1 s | none |
///
/// The timers run only when the connection is told the time
/// ([`Connection::handle_timeout`](crate::Connection::handle_timeout));
/// see [`Connection::poll_timeout`](crate::Connection::poll_timeout).
///
/// ```
/// use std::time::Duration;
///
/// use rtw_ws::{Config, Limits};
///
/// let config = Config::default()
///     .limits(Limits::default().max_message_size(1 << 20))
///     .ping_interval(Some(Duration::from_secs(10)))
///     .close_timeout(Duration::from_secs(2));
/// assert_eq!(config.limits.max_message_size, 1 << 20);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// How much the peer can make the connection hold.
    pub limits: Limits,
    /// Outgoing messages larger than this are sent as several fragments of
    /// at most this size (RFC 6455 §5.4); `None` sends each message as one
    /// frame.
    pub fragment_size: Option<usize>,
    /// Answer each ping with a pong automatically (RFC 6455 §5.5.2). When
    /// several pings arrive before the pong is written, only the most recent
    /// is answered, as §5.5.3 permits.
    pub auto_pong: bool,
    /// Deliver text and binary data as
    /// [`Event::Fragment`](crate::Event::Fragment)s as frames arrive instead
    /// of whole messages, for messages too large to hold.
    pub deliver_fragments: bool,
    /// A received message must be complete this long after its first frame
    /// header arrived, or the connection fails with
    /// [`Error::MessageTimeout`](crate::Error::MessageTimeout) (close code
    /// 1008): a peer cannot hold a half-sent message (and the memory it
    /// takes) open forever. `None` waits forever.
    pub message_timeout: Option<Duration>,
    /// After this long without receiving anything, send a ping (RFC 6455
    /// §5.5.2: "a means to verify that the remote endpoint is still
    /// responsive"). `None` sends no pings and never times out.
    pub ping_interval: Option<Duration>,
    /// After our keep-alive ping, how long to wait for anything from the
    /// peer (its pong, or any other frame) before failing the connection
    /// with [`Error::PingTimeout`](crate::Error::PingTimeout) (close code
    /// 1011): the peer is gone (a half-open TCP connection) or stuck.
    pub ping_timeout: Duration,
    /// A budget shared with other connections for the bytes of incomplete
    /// received messages; see [`MemoryBudget`]. `None`: only this
    /// connection's own limits apply.
    pub message_memory: Option<MemoryBudget>,
    /// After our close frame, how long to wait for the peer's (RFC 6455
    /// §7.1.2) before giving up the closing handshake with
    /// [`Error::CloseTimeout`](crate::Error::CloseTimeout); the connection
    /// is then closed and the transport closed as
    /// [`Connection::transport`](crate::Connection::transport) says.
    pub close_timeout: Duration,
    /// Once the connection is closed, how long to wait for the peer to
    /// close the transport (RFC 6455 §7.1.1): a client waits this long for
    /// the server to close TCP first and then closes it itself; a server
    /// shuts its write side down at once and reads (discarding) until the
    /// client's end of file for at most this long. See
    /// [`Transport`](crate::Transport).
    pub linger: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            limits: Limits::default(),
            fragment_size: Some(1 << 20),
            auto_pong: true,
            deliver_fragments: false,
            message_timeout: Some(Duration::from_secs(60)),
            ping_interval: Some(Duration::from_secs(30)),
            ping_timeout: Duration::from_secs(30),
            message_memory: None,
            close_timeout: Duration::from_secs(5),
            linger: Duration::from_secs(1),
        }
    }
}

setters!(Config {
    limits: Limits,
    fragment_size: Option<usize>,
    auto_pong: bool,
    deliver_fragments: bool,
    message_timeout: Option<Duration>,
    ping_interval: Option<Duration>,
    ping_timeout: Duration,
    message_memory: Option<MemoryBudget>,
    close_timeout: Duration,
    linger: Duration,
});
