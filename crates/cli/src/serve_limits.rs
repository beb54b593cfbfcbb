//! Limits every `rtw` server shares on the command line: connection caps
//! for [`rtw_tokio::listener::Listener`], the time a client gets to send
//! its request head, the time a peer that reads nothing gets before its
//! connection is closed, and the TCP timers that drop a peer that
//! vanished. Flatten [`ServerLimits`] into a server's arguments.

use std::time::Duration;

use rtw_tokio::listener::ListenerConfig;

/// `--max-connections`, `--max-connections-per-ip`, `--header-timeout`,
/// `--write-timeout`, and the [`TcpTimers`].
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct ServerLimits {
    /// Connections open at once; more get 503 Service Unavailable. Lowered
    /// to fit the file descriptor limit.
    #[arg(long, value_name = "N", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) max_connections: u64,
    /// Connections open at once from one client address (IPv6: one /64);
    /// more get 503 Service Unavailable. Lowered in proportion when
    /// --max-connections is lowered to fit the file descriptor limit.
    #[arg(long, value_name = "N", default_value_t = 1_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) max_connections_per_ip: u64,
    /// Seconds a client has to send a whole request head, counted from
    /// when the server starts waiting for it: on a new connection, and
    /// on a kept-alive one after each response. Fractions allowed
    /// (e.g. 0.5). A connection that has not sent its head in time is
    /// closed, whether it trickles bytes or sends nothing.
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = seconds)]
    pub(crate) header_timeout: Duration,
    /// Seconds a write may make no progress while the peer reads nothing
    /// (its socket's buffer and ours full); then the connection is closed,
    /// without a close frame or a last chunk, which could only follow what
    /// is stuck before it. Fractions allowed.
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = seconds)]
    pub(crate) write_timeout: Duration,
    #[command(flatten)]
    pub(crate) tcp: TcpTimers,
}

/// `--tcp-keepalive`, `--tcp-user-timeout`: the TCP timers that drop a
/// peer that vanished without a FIN or a reset (half-open TCP), on every
/// server (the STOMP broker and the TURN server flatten this alone).
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct TcpTimers {
    /// Seconds a connection may be idle before TCP keepalive probes start,
    /// one every 10 seconds (or every SECS, when shorter): a peer that
    /// vanished while nothing was in flight is dropped once
    /// --tcp-user-timeout has passed without an answer.
    #[arg(long, value_name = "SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) tcp_keepalive: u64,
    /// Seconds sent data, a keepalive probe, or data held back by the
    /// peer's zero window may stay unacknowledged before the kernel drops
    /// the connection (TCP_USER_TIMEOUT, Linux): a peer that vanished
    /// (half-open TCP) is dropped this long after the first thing it did
    /// not acknowledge. Fractions allowed.
    #[arg(long, value_name = "SECS", default_value = "120", value_parser = seconds)]
    pub(crate) tcp_user_timeout: Duration,
}

impl TcpTimers {
    /// `config` with these timers.
    pub(crate) fn apply(&self, config: ListenerConfig) -> ListenerConfig {
        config
            .tcp_keepalive(Some(Duration::from_secs(self.tcp_keepalive)))
            .tcp_user_timeout(Some(self.tcp_user_timeout))
    }
}

impl ServerLimits {
    /// The listener configuration with these caps and TCP timers.
    pub(crate) fn listener_config(&self) -> ListenerConfig {
        self.tcp.apply(
            ListenerConfig::default()
                .max_connections(usize::try_from(self.max_connections).unwrap_or(usize::MAX))
                .max_connections_per_ip(
                    usize::try_from(self.max_connections_per_ip).unwrap_or(usize::MAX),
                ),
        )
    }
}

/// A positive number of seconds, fractions allowed, as a [`Duration`].
pub(crate) fn seconds(arg: &str) -> Result<Duration, String> {
    let secs: f64 = arg
        .parse()
        .map_err(|_| format!("{arg:?} is not a number of seconds"))?;
    if secs.is_nan() || secs <= 0.0 {
        return Err(format!("{arg:?}: the time must be more than 0"));
    }
    Duration::try_from_secs_f64(secs).map_err(|e| format!("{arg:?}: {e}"))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::seconds;

    #[test]
    fn seconds_take_fractions_and_refuse_nothing_and_nonsense() {
        assert_eq!(seconds("10"), Ok(Duration::from_secs(10)));
        assert_eq!(seconds("0.5"), Ok(Duration::from_millis(500)));
        for bad in ["0", "-1", "NaN", "inf", "ten", ""] {
            assert!(seconds(bad).is_err(), "{bad}");
        }
    }
}
