//! Sans-IO TURN (RFC 8656): a relay [`Server`](server::Server) and a
//! [`Client`](client::Client), on `rtw-stun`'s messages and transactions.
//!
//! Both are state machines in the workspace's shape (`docs/ARCHITECTURE.md`):
//! bytes and `now` go in through `handle_*`, datagrams and events come out of
//! `poll_transmit` and `poll_event`, and `poll_timeout` says when to call
//! `handle_timeout`. Neither opens a socket, reads a clock or draws from an
//! implicit random source: the driver (`rtw_tokio::turn` on real sockets,
//! `rtw-netsim` in simulations) owns the sockets, including the relayed
//! ones the server asks for with [`ServerEvent::OpenRelay`](server::ServerEvent::OpenRelay).
//!
//! - [`server`]: Allocate (§7), Refresh (§8), CreatePermission (§9), Send
//!   and Data indications (§10), ChannelBind and ChannelData (§11, §12),
//!   long-term credentials with MD5 and SHA-256 and USERHASH (RFC 8489
//!   §9.2), TURN REST API credentials, TCP allocations (RFC 6062), and a
//!   peer-address policy that refuses loopback, private, link-local,
//!   multicast and the server's own addresses unless allowed.
//! - [`client`]: allocation with the 401/438 exchange, refreshes of the
//!   allocation, its permissions and channels before they expire, sending
//!   through ChannelData or Send indications, and received data as events.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod client;
mod error;
pub mod server;

pub use error::Error;
pub use rtw_core::{Random, SeededRandom, Transmit};
pub use rtw_stun::Transport;
