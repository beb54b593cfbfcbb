//! What a [`Server`](super::Server) is built with: the sans-IO server's
//! configuration, its addresses, and the limits of the driver.

use std::net::{IpAddr, SocketAddr};
use std::ops::RangeInclusive;
use std::sync::Arc;
use std::time::Duration;

use rtw_turn::server::ServerConfig;

use crate::listener::ListenerConfig;

/// A TURN server's sockets and limits, around the sans-IO server's
/// [`ServerConfig`]. Build it with [`ServerOptions::new`] and the setters,
/// named like the fields; every default is in the table of the
/// [module](super) docs.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServerOptions {
    /// The sans-IO server's configuration: realm, users, REST secret,
    /// lifetimes, peer policy, quotas, limits.
    pub config: ServerConfig,
    /// Where UDP and TCP clients reach the server: one UDP socket and one
    /// TCP listener on the same address (RFC 8656 §3.1: 3478 by default;
    /// port 0 picks one that is free for both).
    pub listen: SocketAddr,
    /// Where TLS clients reach the server (RFC 8656 §3.1: 5349 by
    /// default), and the rustls configuration that holds its certificate
    /// ([`server_tls_config_from_pem`](super::server_tls_config_from_pem)).
    /// `None` (the default): no TLS listener.
    pub tls: Option<(SocketAddr, Arc<rustls::ServerConfig>)>,
    /// The addresses relayed addresses are bound on, at most one used per
    /// family. Empty (the default): the listening address, unless it is
    /// unspecified (`0.0.0.0`, `::`), in which case [`Server::bind`](super::Server::bind)
    /// fails: a relayed address must be one peers can send to.
    pub relay_ips: Vec<IpAddr>,
    /// The ports relayed addresses are bound on: 49152-65535 (RFC 8656
    /// §7.2 recommends the dynamic range). A port is picked at random in
    /// it, then the next free one is taken.
    pub relay_ports: RangeInclusive<u16>,
    /// The caps of the TCP and TLS listeners (each has its own), as for
    /// any rtw server; a connection over a cap is closed without a word.
    pub listener: ListenerConfig,
    /// Bytes queued for one TCP or TLS client at most: 1 MiB. The
    /// transmit that would pass it closes the connection.
    pub max_write_buffer: usize,
    /// How long a write to a TCP or TLS client may take: 30 s, then the
    /// connection is closed.
    pub write_timeout: Duration,
    /// How long a TCP or TLS connection that holds no allocation may send
    /// nothing: 60 s, then it is closed. A connection with an allocation
    /// stays open while the allocation lives (its refreshes are
    /// authenticated).
    pub idle_timeout: Duration,
    /// How long a STUN message or ChannelData frame may take to arrive
    /// whole on a TCP or TLS connection once it began: 10 s, then the
    /// connection is closed.
    pub frame_timeout: Duration,
    /// How long a TLS handshake may take: 10 s.
    pub tls_handshake_timeout: Duration,
    /// How long a Connect to a peer may take (RFC 6062 §5.2): 30 s, then
    /// the client gets 447 Connection Timeout or Failure.
    pub peer_connect_timeout: Duration,
    /// How often the server is told the wall-clock time (for the expiry
    /// of TURN REST API usernames): every 1 s.
    pub wall_clock_interval: Duration,
    /// Inputs from socket tasks (TCP bytes, datagrams on relayed addresses)
    /// waiting for the server's task at most: 4,096. A full channel makes
    /// those tasks wait, so the kernel's buffers fill and drop instead.
    pub channel_capacity: usize,
}

impl ServerOptions {
    /// Options for a server with `config`, listening on `listen`.
    pub fn new(config: ServerConfig, listen: SocketAddr) -> Self {
        ServerOptions {
            config,
            listen,
            tls: None,
            relay_ips: Vec::new(),
            relay_ports: 49152..=65535,
            listener: ListenerConfig::default().busy_response(bytes::Bytes::new()),
            max_write_buffer: 1 << 20,
            write_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            frame_timeout: Duration::from_secs(10),
            tls_handshake_timeout: Duration::from_secs(10),
            peer_connect_timeout: Duration::from_secs(30),
            wall_clock_interval: Duration::from_secs(1),
            channel_capacity: 4096,
        }
    }

    /// Sets [`config`](Self::config).
    #[must_use]
    pub fn config(mut self, config: ServerConfig) -> Self {
        self.config = config;
        self
    }

    /// Sets [`listen`](Self::listen).
    #[must_use]
    pub fn listen(mut self, listen: SocketAddr) -> Self {
        self.listen = listen;
        self
    }

    /// Sets [`tls`](Self::tls).
    #[must_use]
    pub fn tls(mut self, tls: Option<(SocketAddr, Arc<rustls::ServerConfig>)>) -> Self {
        self.tls = tls;
        self
    }

    /// Sets [`relay_ips`](Self::relay_ips).
    #[must_use]
    pub fn relay_ips(mut self, ips: Vec<IpAddr>) -> Self {
        self.relay_ips = ips;
        self
    }

    /// Sets [`relay_ports`](Self::relay_ports).
    #[must_use]
    pub fn relay_ports(mut self, ports: RangeInclusive<u16>) -> Self {
        self.relay_ports = ports;
        self
    }

    /// Sets [`listener`](Self::listener).
    #[must_use]
    pub fn listener(mut self, listener: ListenerConfig) -> Self {
        self.listener = listener;
        self
    }

    /// Sets [`max_write_buffer`](Self::max_write_buffer).
    #[must_use]
    pub fn max_write_buffer(mut self, bytes: usize) -> Self {
        self.max_write_buffer = bytes;
        self
    }

    /// Sets [`write_timeout`](Self::write_timeout).
    #[must_use]
    pub fn write_timeout(mut self, timeout: Duration) -> Self {
        self.write_timeout = timeout;
        self
    }

    /// Sets [`idle_timeout`](Self::idle_timeout).
    #[must_use]
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// Sets [`frame_timeout`](Self::frame_timeout).
    #[must_use]
    pub fn frame_timeout(mut self, timeout: Duration) -> Self {
        self.frame_timeout = timeout;
        self
    }

    /// Sets [`tls_handshake_timeout`](Self::tls_handshake_timeout).
    #[must_use]
    pub fn tls_handshake_timeout(mut self, timeout: Duration) -> Self {
        self.tls_handshake_timeout = timeout;
        self
    }

    /// Sets [`peer_connect_timeout`](Self::peer_connect_timeout).
    #[must_use]
    pub fn peer_connect_timeout(mut self, timeout: Duration) -> Self {
        self.peer_connect_timeout = timeout;
        self
    }

    /// Sets [`wall_clock_interval`](Self::wall_clock_interval).
    #[must_use]
    pub fn wall_clock_interval(mut self, interval: Duration) -> Self {
        self.wall_clock_interval = interval;
        self
    }

    /// Sets [`channel_capacity`](Self::channel_capacity).
    #[must_use]
    pub fn channel_capacity(mut self, capacity: usize) -> Self {
        self.channel_capacity = capacity;
        self
    }
}
