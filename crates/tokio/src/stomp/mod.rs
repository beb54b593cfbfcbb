//! STOMP ([`rtw_stomp`]) over TCP and over WebSocket: a client
//! ([`StompClient`]) and a broker server ([`BrokerServer`]).
//!
//! Both are thin: the STOMP sessions are rtw-stomp's sans-IO
//! [`Client`] and
//! [`Broker`](rtw_stomp::broker::Broker); this module moves their bytes
//! and drives their one timer. Over WebSocket the client offers, and the
//! broker accepts, the subprotocols `v12.stomp`, `v11.stomp` and
//! `v10.stomp` ([`SUBPROTOCOLS`]), and each WebSocket message carries
//! whole frames (or a heart-beat EOL).

mod broker;
mod client;
mod io;

pub use broker::{BUSY_FRAME, BrokerOptions, BrokerServer, CLOSE_LINGER, WRITE_TIMEOUT};
pub use client::{SUBPROTOCOLS, StompClient, StompUrl};
pub use rtw_stomp::broker::{BrokerConfig, BrokerLimits, BrokerStats};
pub use rtw_stomp::client::{
    AckMode, Client, ClientConfig, ClientError, ClientEvent, FrameOptions, Message,
    NegotiatedHeartBeat, ReceiptId,
};
pub use rtw_stomp::{Command, Frame, HeartBeat, Version};

/// What a STOMP connection can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The socket failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The WebSocket failed (handshake, protocol).
    #[error(transparent)]
    Ws(#[from] crate::ws::WsError),
    /// A URL or address that cannot be used: caller misuse.
    #[error("{0}")]
    Url(String),
    /// The server answered CONNECT with ERROR (STOMP 1.2 "ERROR"); the
    /// frame's `message` header says why.
    #[error("the server refused the connection: {}", .0.header("message").unwrap_or("no message"))]
    Refused(Box<Frame>),
    /// The session failed (bad frames from the server, a timeout).
    #[error(transparent)]
    Session(#[from] ClientError),
    /// The session is over, or the server closed before CONNECTED.
    #[error("the STOMP session is closed")]
    Closed,
}

impl Error {
    /// Whether the peer broke the protocol (as opposed to a local failure
    /// or misuse).
    pub fn is_peer_fault(&self) -> bool {
        match self {
            Error::Ws(e) => e.is_peer_fault(),
            Error::Session(e) => e.is_peer_fault(),
            Error::Refused(_) => true,
            Error::Io(_) | Error::Url(_) | Error::Closed => false,
        }
    }
}
