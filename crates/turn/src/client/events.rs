//! What a [`Client`](super::Client) tells its user.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use bytes::Bytes;
use rtw_stun::attributes::ChannelNumber;

use crate::Error;

/// Something that happened to the allocation, from
/// [`Client::poll_event`](super::Client::poll_event).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientEvent {
    /// The Allocate succeeded (RFC 8656 §7.3): the relayed address peers
    /// send to, the client's address as the server saw it
    /// (XOR-MAPPED-ADDRESS), and the lifetime granted. The client
    /// refreshes it from now on.
    Allocated {
        /// XOR-RELAYED-ADDRESS.
        relayed: SocketAddr,
        /// XOR-MAPPED-ADDRESS.
        mapped: SocketAddr,
        /// LIFETIME.
        lifetime: Duration,
    },
    /// The Allocate failed: an error response, a timeout, or a response
    /// that breaks RFC 8656 §7.3. The client is done.
    AllocationFailed(Error),
    /// A Refresh succeeded (RFC 8656 §8.3) with this lifetime.
    Refreshed {
        /// LIFETIME granted.
        lifetime: Duration,
    },
    /// A permission asked for with
    /// [`Client::create_permission`](super::Client::create_permission) is
    /// installed (RFC 8656 §9.3). Its refreshes are silent.
    PermissionCreated {
        /// The peer's IP address.
        peer: IpAddr,
    },
    /// A CreatePermission, first or refresh, failed: the permission is
    /// dropped and sending to the peer needs a new one.
    PermissionFailed {
        /// The peer's IP address.
        peer: IpAddr,
        /// Why.
        error: Error,
    },
    /// A channel is bound (RFC 8656 §12.3): data to the peer now goes as
    /// ChannelData. Its refreshes are silent.
    ChannelBound {
        /// The peer's transport address.
        peer: SocketAddr,
        /// The channel number.
        channel: ChannelNumber,
    },
    /// A ChannelBind, first or refresh, failed: data to the peer goes as
    /// Send indications again.
    ChannelBindFailed {
        /// The peer's transport address.
        peer: SocketAddr,
        /// Why.
        error: Error,
    },
    /// Data from a peer, relayed in a Data indication (RFC 8656 §11.6) or
    /// a ChannelData message (§12.6).
    Data {
        /// The peer's transport address.
        peer: SocketAddr,
        /// The application data.
        data: Bytes,
    },
    /// The allocation is deleted after
    /// [`Client::deallocate`](super::Client::deallocate). The client is
    /// done.
    Deallocated,
    /// The allocation is lost: a Refresh failed or timed out, or its
    /// lifetime passed. The client is done.
    Expired(Error),
}
