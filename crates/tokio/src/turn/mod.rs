//! TURN (RFC 8656, RFC 6062) over tokio: a relay [`Server`] on UDP, TCP
//! and TLS listeners, and a [`Client`] over UDP, TCP or TLS.
//!
//! The protocol is [`rtw_turn`]'s sans-IO [`Server`](rtw_turn::server::Server)
//! and [`Client`](rtw_turn::client::Client); this module only owns sockets,
//! moves bytes and keeps time.
//!
//! # The server
//!
//! [`Server::bind`] binds a UDP socket and a TCP listener on the same
//! address (port 0 picks one free for both), and a TLS listener if
//! [`ServerOptions::tls`] is set. [`Server::run`] drives everything:
//!
//! - one task owns the sans-IO server: it reads the UDP listener itself,
//!   takes everything else (bytes from TCP and TLS connections, datagrams
//!   that peers sent to relayed addresses, peer connections) from one
//!   bounded channel, sleeps once on
//!   [`poll_timeout`](rtw_turn::server::Server::poll_timeout), and tells the
//!   server the wall-clock time at start and every
//!   [`ServerOptions::wall_clock_interval`] (TURN REST API expiry);
//! - relayed addresses ([`ServerEvent::OpenRelay`])
//!   are sockets bound on [`ServerOptions::relay_ips`] in
//!   [`ServerOptions::relay_ports`], EVEN-PORT and its reservation of the
//!   next port honoured (RFC 8656 §14.6), DONT-FRAGMENT too on Linux
//!   (§14.8, `IP_MTU_DISCOVER`); each has a task that reads it;
//! - each TCP or TLS client connection has a task that passes its bytes on
//!   unframed (the sans-IO server frames them, RFC 8656 §12.5) and writes
//!   what the server sends it;
//! - TCP allocations (RFC 6062): a relayed TCP address listens for peers,
//!   Connect opens a connection from it, and ConnectionBind splices the
//!   client's data connection to the peer's with
//!   [`tokio::io::copy_bidirectional`].
//!
//! [`Server::stats`] gives the sans-IO server's counters and
//! [`Server::events`] a copy of its events, for logs and metrics.
//!
//! ## Facing untrusted clients
//!
//! | what | default | option |
//! |---|---|---|
//! | TCP and TLS connections, in total and per client address | 10,000 and 1,000, each listener; over them the connection is closed at once | [`ServerOptions::listener`] ([`ListenerConfig`](crate::listener::ListenerConfig)) |
//! | bytes queued for one TCP or TLS client | 1 MiB; a transmit beyond closes the connection | [`ServerOptions::max_write_buffer`] |
//! | a write that does not finish | 30 s, then the connection is closed | [`ServerOptions::write_timeout`] |
//! | a connection without an allocation that sends nothing | closed after 60 s | [`ServerOptions::idle_timeout`] |
//! | a STUN message or ChannelData frame sent in part | closed 10 s after it began | [`ServerOptions::frame_timeout`] |
//! | the TLS handshake | 10 s | [`ServerOptions::tls_handshake_timeout`] |
//! | a Connect to a peer (RFC 6062 §5.2) | 30 s, then 447 | [`ServerOptions::peer_connect_timeout`] |
//! | UDP requests from a source address whose 5-tuple has no allocation (unauthenticated, bad integrity) | 100 per second, a second's worth of burst; beyond, dropped unanswered before any HMAC | [`ServerOptions::config`] ([`Quotas::unauthenticated_rate`](rtw_turn::server::Quotas::unauthenticated_rate)) |
//! | allocations, permissions, channels, bandwidth, streams | see [`rtw_turn::server::ServerConfig`] | [`ServerOptions::config`] |
//!
//! A client that stops reading: bytes for it queue up to
//! [`ServerOptions::max_write_buffer`]; the transmit that would pass the
//! cap closes the connection, and with it its allocation (RFC 8656 §7),
//! and a write that makes no progress for
//! [`ServerOptions::write_timeout`] does the same. UDP has no such
//! state: a datagram that the kernel cannot take at once is waited for,
//! as the socket's send buffer drains at the link's speed whoever reads.
//! A spliced TCP allocation (RFC 6062) is copied with a fixed buffer each
//! way, so a slow reader on either side slows the other side's sender
//! (TCP flow control) and holds no more memory.
//!
//! ```
//! # async fn demo() -> Result<(), rtw_tokio::turn::Error> {
//! use rtw_tokio::turn::{Client, ClientConfig, PeerPolicy, Server, ServerConfig, ServerOptions};
//!
//! let config = ServerConfig::new("example.org")
//!     .user("alice", "secret")
//!     .peers(PeerPolicy::default().allow_loopback(true));
//! let server = Server::bind(ServerOptions::new(config, "127.0.0.1:0".parse().unwrap())).await?;
//! let address = server.local_addr();
//! let task = server.spawn();
//!
//! // A peer that echoes, and a client that relays to it.
//! let peer = tokio::net::UdpSocket::bind("127.0.0.1:0").await?;
//! let peer_addr = peer.local_addr()?;
//! let mut client = Client::allocate(address, ClientConfig::new("alice", "secret")).await?;
//! client.create_permission(peer_addr.ip()).await?;
//! client.send_to(peer_addr, &b"hello"[..]).await?;
//! let mut buf = [0; 64];
//! let (n, relayed) = peer.recv_from(&mut buf).await?;
//! assert_eq!((&buf[..n], relayed), (&b"hello"[..], client.relayed_address()));
//! peer.send_to(b"hi", relayed).await?;
//! assert_eq!(client.recv().await?, (peer_addr, bytes::Bytes::from_static(b"hi")));
//! client.deallocate().await?;
//! task.abort();
//! # Ok(())
//! # }
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(demo()).unwrap();
//! ```

mod client;
mod core;
mod options;
mod relay;
mod server;
mod stream;
mod tls;

use std::io;
use std::path::PathBuf;

pub use client::Client;
pub use options::ServerOptions;
pub use rtw_turn::client::{ClientConfig, ClientEvent};
pub use rtw_turn::server::{
    PeerPolicy, Quotas, ServerConfig, ServerEvent, ServerStats, rest_password,
};
pub use server::Server;
pub use tls::{client_tls_config, server_tls_config, server_tls_config_from_pem};

/// What the TURN server and client fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A socket failed, or could not be bound.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// The TURN exchange failed: an error response, a timeout, a
    /// configuration the sans-IO server or client refused.
    #[error(transparent)]
    Turn(#[from] rtw_turn::Error),
    /// A certificate or key file that cannot be read or used.
    #[error("{}: {reason}", path.display())]
    Certificate {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// TLS could not be set up (rustls refused the certificate or key).
    #[error("TLS: {0}")]
    Tls(#[from] rustls::Error),
    /// The client's task ended: the connection to the server closed, or
    /// the allocation was deleted.
    #[error("the TURN client's connection ended")]
    Closed,
}

impl Error {
    /// `true` when the other side broke the protocol or answered with an
    /// error ([`rtw_turn::Error::is_peer_fault`]); `false` for I/O,
    /// configuration and a closed client.
    pub fn is_peer_fault(&self) -> bool {
        match self {
            Error::Turn(e) => e.is_peer_fault(),
            _ => false,
        }
    }

    /// The ERROR-CODE of the server's error response (RFC 8489 §14.8),
    /// when there was one: 403 for a refused peer, 401 for bad
    /// credentials, and so on.
    pub fn error_code(&self) -> Option<u16> {
        match self {
            Error::Turn(e) => e.error_code(),
            _ => None,
        }
    }
}

/// The current time, as the sans-IO crates take it (tokio's clock, so
/// paused-time tests agree).
fn now() -> std::time::Instant {
    tokio::time::Instant::now().into_std()
}

/// Sleep until `deadline`, or forever without one.
async fn sleep_until(deadline: Option<std::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline.into()).await,
        None => std::future::pending().await,
    }
}

/// Receive errors that concern one datagram, not the socket: an ICMP error
/// for an earlier send, reported by the next receive.
fn is_transient(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
    )
}

/// Send one datagram: at once if the socket takes it, else when it can.
/// A datagram that fails is lost, as the network may lose it.
async fn send_datagram(socket: &tokio::net::UdpSocket, contents: &[u8], to: std::net::SocketAddr) {
    match socket.try_send_to(contents, to) {
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
            let _ = socket.send_to(contents, to).await;
        }
        Err(_) => {}
    }
}
