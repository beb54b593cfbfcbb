//! What a [`Server`](super::Server) tells its driver: datagrams and stream
//! bytes to send ([`ServerTransmit`]) and sockets to open or close
//! ([`ServerEvent`]).

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use rtw_core::Transmit;
use rtw_stun::Transport;
use rtw_stun::attributes::AddressFamily;

/// A client's 5-tuple as the server sees it (RFC 8656 §2): the transport,
/// the client's address, and the server's address the client talks to. An
/// allocation belongs to one 5-tuple.
///
/// For TCP and TLS the 5-tuple names one connection, and bytes for it go
/// out on that connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FiveTuple {
    /// UDP, TCP or TLS between the client and the server.
    pub transport: Transport,
    /// The client's address (after any NAT).
    pub client: SocketAddr,
    /// The server's address the client sent to.
    pub server: SocketAddr,
}

impl FiveTuple {
    /// The 5-tuple of `client` talking to `server` over `transport`.
    pub fn new(transport: Transport, client: SocketAddr, server: SocketAddr) -> Self {
        FiveTuple {
            transport,
            client,
            server,
        }
    }
}

/// Something to send, from [`Server::poll_transmit`](super::Server::poll_transmit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerTransmit {
    /// To a client: a UDP datagram from `five_tuple.server` to
    /// `five_tuple.client`, or bytes to write on the TCP or TLS connection
    /// the 5-tuple names.
    Client {
        /// The client's 5-tuple.
        five_tuple: FiveTuple,
        /// A STUN message or a ChannelData message (padded on streams).
        contents: Bytes,
    },
    /// To a peer: a UDP datagram from a relayed address
    /// (`Transmit::source`) to the peer.
    Peer(Transmit),
}

/// Names one [`ServerEvent::OpenRelay`] request until the driver answers
/// it with [`Server::handle_relay`](super::Server::handle_relay).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RelayId(pub u64);

/// Names one TCP connection between a relayed address and a peer
/// (RFC 6062 §2: the CONNECTION-ID).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectionId(pub u32);

/// The transport of a relayed address (REQUESTED-TRANSPORT, RFC 8656
/// §14.7, RFC 6062 §6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RelayProtocol {
    /// UDP (17): peers exchange datagrams with the relayed address.
    Udp,
    /// TCP (6): the relayed address listens, and connects to peers on
    /// Connect (RFC 6062).
    Tcp,
}

/// A relayed address the server needs, from [`ServerEvent::OpenRelay`].
///
/// The driver binds a socket (for [`RelayProtocol::Tcp`] a listening one)
/// on one of its relay IPs and answers with
/// [`Server::handle_relay`](super::Server::handle_relay).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RelayRequest {
    /// The request's name, for the answer.
    pub id: RelayId,
    /// The client the allocation is for.
    pub five_tuple: FiveTuple,
    /// UDP or TCP.
    pub protocol: RelayProtocol,
    /// The address family of the relayed address (REQUESTED-ADDRESS-FAMILY,
    /// RFC 8656 §14.8; IPv4 by default).
    pub family: AddressFamily,
    /// A second relayed address of the other family as well
    /// (ADDITIONAL-ADDRESS-FAMILY, RFC 8656 §14.9).
    pub additional_family: Option<AddressFamily>,
    /// EVEN-PORT (RFC 8656 §14.6): the relayed port must be even.
    pub even_port: bool,
    /// EVEN-PORT's R bit: keep the next port (relayed port + 1) reserved
    /// too, and answer it as [`RelayAddresses::reserved`].
    pub reserve_next: bool,
    /// RESERVATION-TOKEN (RFC 8656 §14.9): take this address, reserved
    /// earlier for this token, instead of a new one.
    pub reserved: Option<SocketAddr>,
    /// DONT-FRAGMENT (RFC 8656 §14.8): the client asks that datagrams to
    /// peers be sent with the DF bit set; a driver that can sets it on the
    /// relayed socket (`IP_MTU_DISCOVER` on Linux), one that cannot ignores
    /// it.
    pub dont_fragment: bool,
}

/// The driver's answer to a [`RelayRequest`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RelayAddresses {
    /// The relayed address of the requested family.
    pub relayed: SocketAddr,
    /// The relayed address of the additional family, if one was asked
    /// for and could be opened (else the response carries ADDRESS-ERROR-CODE
    /// 440 for it).
    pub additional: Option<SocketAddr>,
    /// The reserved next port, when `reserve_next` was asked.
    pub reserved: Option<SocketAddr>,
}

/// Why the driver could not open a relayed address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelayError {
    /// The server has no relay address of that family: 440 Address Family
    /// not Supported (RFC 8656 §7.2).
    FamilyNotSupported,
    /// No port is free (or the reserved one is gone): 508 Insufficient
    /// Capacity (RFC 8656 §7.2).
    InsufficientCapacity,
}

/// Why an allocation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteReason {
    /// A Refresh with LIFETIME 0 (RFC 8656 §8).
    Deallocated,
    /// Its lifetime passed without a refresh (RFC 8656 §7).
    Expired,
    /// The client's TCP or TLS connection closed (RFC 8656 §7).
    ConnectionClosed,
}

/// What the driver must do, from [`Server::poll_event`](super::Server::poll_event).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerEvent {
    /// Open a relayed address; answer with
    /// [`Server::handle_relay`](super::Server::handle_relay).
    OpenRelay(RelayRequest),
    /// Close the socket of a relayed (or reserved) address: its allocation
    /// or reservation ended.
    CloseRelay {
        /// The address.
        relayed: SocketAddr,
    },
    /// An allocation was created (for logs and metrics).
    AllocationCreated {
        /// The client.
        five_tuple: FiveTuple,
        /// Its relayed address.
        relayed: SocketAddr,
        /// The username that authenticated it.
        username: String,
        /// The lifetime granted.
        lifetime: Duration,
    },
    /// An allocation ended; its relays are closed by
    /// [`ServerEvent::CloseRelay`] events.
    AllocationDeleted {
        /// The client.
        five_tuple: FiveTuple,
        /// Its relayed address.
        relayed: SocketAddr,
        /// Why.
        reason: DeleteReason,
    },
    /// Close a client's TCP or TLS connection: it sent bytes that are not
    /// STUN or ChannelData framing, or the stream limit was reached.
    CloseClient {
        /// The connection.
        five_tuple: FiveTuple,
    },
    /// Connect from the TCP relayed address `relayed` to `peer`
    /// (RFC 6062 §5.2); answer with
    /// [`Server::handle_peer_connect`](super::Server::handle_peer_connect).
    ConnectPeer {
        /// The connection's name.
        connection: ConnectionId,
        /// The relayed address to connect from.
        relayed: SocketAddr,
        /// The peer.
        peer: SocketAddr,
    },
    /// Splice the client's data connection `client` and the peer
    /// connection `connection` (RFC 6062 §5.4): from now on the driver
    /// copies bytes between them and the server no longer sees either.
    Splice {
        /// The peer connection.
        connection: ConnectionId,
        /// The client's data connection (a TCP or TLS 5-tuple).
        client: FiveTuple,
        /// Bytes the client sent after its ConnectionBind request, already
        /// read by the server: write them to the peer first.
        buffered: Bytes,
    },
    /// Close a peer connection that was never bound in time (RFC 6062
    /// §5.3, 30 s) or whose allocation ended.
    ClosePeerConnection {
        /// The connection.
        connection: ConnectionId,
    },
}
