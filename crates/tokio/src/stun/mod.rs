//! STUN (RFC 8489) over tokio's [`UdpSocket`](tokio::net::UdpSocket): a
//! Binding client that returns the mapped address, request/response
//! transactions with the retransmissions of RFC 8489 §6.2.1, and a Binding
//! server task.
//!
//! The messages are [`rtw_stun`]'s: this module only moves datagrams and
//! keeps time.
//!
//! - [`binding`] / [`binding_with`]: one Binding transaction on a socket
//!   the caller bound; the server-reflexive ("mapped") address the server
//!   saw, from XOR-MAPPED-ADDRESS (or MAPPED-ADDRESS from an RFC 3489
//!   server). [`binding_to`] binds an ephemeral socket first.
//! - [`transaction`]: any request (an Allocate with credentials, say) and
//!   its response, success or error, as a [`Response`].
//! - [`Server`]: answers Binding requests on a socket until dropped or
//!   aborted; [`Server::spawn`] runs it as a task. Its answers are
//!   [`rtw_stun::BindingServer`]'s.
//!
//! Retransmissions and timeouts are [`rtw_stun::ClientTransaction`]'s,
//! configured by [`TransactionConfig`] and run in tokio's time (so
//! `tokio::time::pause` works in tests): with the defaults, requests go out
//! at 0, 0.5, 1.5, 3.5, 7.5, 15.5 and 31.5 s and the transaction fails at
//! 39.5 s.
//!
//! ```
//! # async fn demo() -> Result<(), rtw_tokio::stun::Error> {
//! use rtw_tokio::stun::{Server, binding};
//! use tokio::net::UdpSocket;
//!
//! let server = Server::bind("127.0.0.1:0").await?;
//! let server_addr = server.local_addr()?;
//! let task = server.spawn();
//!
//! let socket = UdpSocket::bind("127.0.0.1:0").await?;
//! let mapped = binding(&socket, server_addr).await?;
//! assert_eq!(mapped, socket.local_addr()?);
//! task.abort();
//! # Ok(())
//! # }
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(demo()).unwrap();
//! ```

mod client;
mod server;

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

pub use client::{Response, binding, binding_to, binding_with, random_transaction_id, transaction};
pub use rtw_stun::TransactionConfig;
pub use server::{Exchange, Server};

/// Largest datagram received: a STUN message is at most 20 + 65,535
/// bytes; anything longer is not one.
const MAX_DATAGRAM: usize = 20 + 65_535;

/// What a client transaction or the server can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Sending or receiving failed.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// No response came: `requests` requests went out and the wait after
    /// the last one ran out too (RFC 8489 §6.2.1).
    #[error("no response after {requests} requests in {elapsed:?} (RFC 8489 §6.2.1)")]
    Timeout {
        /// Requests sent, retransmissions included.
        requests: u32,
        /// Time from the first request to giving up.
        elapsed: Duration,
    },
    /// The server answered with an error response (RFC 8489 §6.3.4).
    #[error("error response {code}{}", if reason.is_empty() { String::new() } else { format!(" {reason:?}") })]
    ErrorResponse {
        /// The ERROR-CODE, e.g. 401 or 420 (0 if the response had none).
        code: u16,
        /// The reason phrase.
        reason: String,
    },
    /// A success response without XOR-MAPPED-ADDRESS or MAPPED-ADDRESS
    /// (RFC 8489 §14.1, §14.2).
    #[error("the success response has no XOR-MAPPED-ADDRESS (RFC 8489 §14.2)")]
    NoMappedAddress,
    /// The response breaks a rule of RFC 8489, e.g. it has unknown
    /// comprehension-required attributes (§7.3.3: the transaction
    /// fails) or an invalid address: a peer fault.
    #[error("invalid response: {0}")]
    InvalidResponse(rtw_stun::Error),
    /// The request given to [`transaction`] is not a valid STUN request:
    /// caller misuse.
    #[error("invalid request: {0}")]
    InvalidRequest(rtw_stun::Error),
}

impl Error {
    /// `true` if the server broke the protocol (a response with unknown
    /// comprehension-required attributes, a malformed or missing address).
    /// `false` for caller misuse ([`Error::InvalidRequest`]) and for what
    /// is nobody's fault under the protocol: I/O, no answer, an error
    /// response.
    pub fn is_peer_fault(&self) -> bool {
        matches!(self, Error::InvalidResponse(_) | Error::NoMappedAddress)
    }

    /// The ERROR-CODE of an error response (RFC 8489 §14.8), the server's
    /// answer; `None` for every other error.
    pub fn error_code(&self) -> Option<u16> {
        match self {
            Error::ErrorResponse { code, .. } => Some(*code),
            _ => None,
        }
    }
}

/// The unspecified address of `peer`'s family with port 0: where to bind a
/// socket that talks to `peer`.
pub fn unspecified_for(peer: SocketAddr) -> SocketAddr {
    match peer {
        SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    }
}
