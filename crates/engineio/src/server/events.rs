//! What the server reports: WebSocket transmits, session events, counts.

use super::Sid;
use crate::error::Error;
use crate::packet::{Data, Message};

/// A WebSocket connection of the server, numbered in order of
/// [`Server::handle_ws_open`](crate::Server::handle_ws_open).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WsId(pub u64);

/// Something to do on a WebSocket connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WsTransmit {
    /// Send this message.
    Send {
        /// The connection.
        conn: WsId,
        /// The message.
        message: Message,
    },
    /// Close the connection (after what was sent before).
    Close {
        /// The connection.
        conn: WsId,
    },
}

/// Why a session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// No pong within `ping_timeout` of a ping.
    PingTimeout,
    /// The WebSocket of the session closed, or the HTTP layer reported a
    /// held GET gone ([`Server::handle_poll_aborted`](crate::Server::handle_poll_aborted)).
    TransportClose,
    /// The client broke the protocol (a bad payload, a second GET, an
    /// unexpected packet); the error says how.
    TransportError(Error),
    /// [`Server::close`](crate::Server::close).
    ServerClose,
    /// The client sent a close packet (`1`).
    ClientClose,
}

/// What happened to the server's sessions.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerEvent {
    /// A session was opened (handshake over polling or WebSocket).
    Opened(Sid),
    /// A message from the client.
    Message(Sid, Data),
    /// The session moved from polling to WebSocket.
    Upgraded(Sid),
    /// The GET held for this session can be answered now: call
    /// [`Server::take_poll`](crate::Server::take_poll).
    PollReady(Sid),
    /// The session ended; it is the last event for this sid.
    Closed(Sid, CloseReason),
}

/// Counts of the server's sessions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServerStats {
    /// Open sessions (closing ones included).
    pub sessions: usize,
    /// Sessions on WebSocket.
    pub websocket: usize,
}
