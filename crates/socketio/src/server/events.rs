//! What the server reports and hands the driver: ids, events, transmits.

use std::fmt;

use serde_json::Value;

use crate::packet::{Args, EngineMessage};

/// The driver's handle for one Engine.IO session (its `sid` mapped to a
/// number by the driver).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EngineId(pub u64);

/// The server's handle for one socket: one Engine.IO session connected
/// (or asking to connect) to one namespace. Its public Socket.IO id is
/// [`Server::sid`](crate::Server::sid).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SocketId(pub(super) u64);

impl fmt::Display for SocketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "socket#{}", self.0)
    }
}

/// Why a socket left its namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DisconnectReason {
    /// The client sent DISCONNECT.
    ClientDisconnect,
    /// The application called [`Server::disconnect`](crate::Server::disconnect).
    ServerDisconnect,
    /// The Engine.IO session ended ([`Server::handle_close`](crate::Server::handle_close)).
    TransportClose,
    /// The session sent a packet the server refused
    /// ([`Server::handle_message`](crate::Server::handle_message) returned the error).
    ProtocolError,
    /// The session joined no namespace within
    /// [`Config::connect_timeout`](crate::Config::connect_timeout).
    ConnectTimeout,
}

/// What happened, for the application; drain with [`Server::poll_event`](crate::Server::poll_event).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ServerEvent {
    /// A CONNECT to a namespace with [`ConnectPolicy::Ask`](crate::ConnectPolicy::Ask): answer with
    /// [`Server::accept`](crate::Server::accept) or [`Server::refuse`](crate::Server::refuse).
    ConnectRequest {
        /// The socket asking.
        socket: SocketId,
        /// Its Engine.IO session.
        engine: EngineId,
        /// The namespace asked for.
        namespace: String,
        /// The CONNECT's payload (the client's `auth`), if any.
        auth: Option<Value>,
    },
    /// A socket was accepted into its namespace; the CONNECT answer
    /// `{"sid":sid}` is queued.
    Connected {
        /// The socket.
        socket: SocketId,
        /// Its Engine.IO session.
        engine: EngineId,
        /// Its namespace.
        namespace: String,
        /// Its public Socket.IO id.
        sid: String,
    },
    /// An event from a client. When `ack_id` is given, the client waits
    /// for [`Server::ack`](crate::Server::ack) with it.
    Event {
        /// The socket it came on.
        socket: SocketId,
        /// Its namespace.
        namespace: String,
        /// The event name.
        name: String,
        /// The arguments after the name, with their attachments.
        args: Args,
        /// The acknowledgement id the client asked for.
        ack_id: Option<u64>,
    },
    /// A client acknowledged an event the server emitted with
    /// [`Server::emit_with_ack`](crate::Server::emit_with_ack).
    Ack {
        /// The socket.
        socket: SocketId,
        /// The id [`Server::emit_with_ack`](crate::Server::emit_with_ack) returned.
        ack_id: u64,
        /// The client's answer.
        args: Args,
    },
    /// A socket left its namespace (or its connect request ended); its
    /// rooms and awaited acks are gone.
    Disconnected {
        /// The socket.
        socket: SocketId,
        /// Its namespace.
        namespace: String,
        /// Why.
        reason: DisconnectReason,
    },
    /// The Engine.IO session joined no namespace within
    /// [`Config::connect_timeout`](crate::Config::connect_timeout): the driver should close it. The server
    /// has forgotten it already.
    CloseEngine {
        /// The session.
        engine: EngineId,
    },
}

/// One message for one Engine.IO session; drain with
/// [`Server::poll_transmit`](crate::Server::poll_transmit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerTransmit {
    /// The session to send it on.
    pub engine: EngineId,
    /// The message: a packet's text, or one of its attachments right after
    /// it.
    pub message: EngineMessage,
}
