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
//!
//! A client allocates on a server and reaches a peer through it, both
//! driven by hand in virtual time, with no sockets:
//!
//! ```
//! use std::net::SocketAddr;
//! use std::time::Instant;
//! use rtw_turn::client::{Client, ClientConfig, ClientEvent};
//! use rtw_turn::server::{FiveTuple, RelayAddresses, Server, ServerConfig, ServerEvent, ServerTransmit};
//! use rtw_turn::{SeededRandom, Transport};
//!
//! let now = Instant::now();
//! let server_addr: SocketAddr = "192.0.2.1:3478".parse().unwrap();
//! let relayed: SocketAddr = "192.0.2.1:50000".parse().unwrap();
//! let peer: SocketAddr = "203.0.113.5:7000".parse().unwrap();
//! let five_tuple = FiveTuple::new(Transport::Udp, "198.51.100.7:40000".parse().unwrap(), server_addr);
//!
//! let config = ServerConfig::new("example.org").user("alice", "secret");
//! let mut server = Server::new(config, Box::new(SeededRandom::new(1)))?;
//! let config = ClientConfig::new("alice", "secret");
//! let mut client = Client::new(server_addr, config, Box::new(SeededRandom::new(2)))?;
//!
//! // Carries the client's datagrams to the server and the server's
//! // answers back, opening the relayed address the server asks for;
//! // returns what the server sent to peers.
//! let mut exchange = |client: &mut Client, server: &mut Server| {
//!     let mut to_peers = Vec::new();
//!     while let Some(datagram) = client.poll_transmit() {
//!         server.handle_client(now, five_tuple, &datagram.contents);
//!         while let Some(ServerEvent::OpenRelay(request)) = server.poll_event() {
//!             let addresses = RelayAddresses { relayed, additional: None, reserved: None };
//!             server.handle_relay(now, request.id, Ok(addresses));
//!         }
//!         while let Some(transmit) = server.poll_transmit() {
//!             match transmit {
//!                 ServerTransmit::Client { contents, .. } => {
//!                     client.handle_input(now, server_addr, &contents);
//!                 }
//!                 ServerTransmit::Peer(datagram) => to_peers.push(datagram),
//!             }
//!         }
//!     }
//!     to_peers
//! };
//!
//! // Allocate: a 401 with REALM and NONCE, then the signed request.
//! client.allocate(now)?;
//! exchange(&mut client, &mut server);
//! assert!(matches!(client.poll_event(), Some(ClientEvent::Allocated { .. })));
//! assert_eq!(client.relayed_address(), Some(relayed));
//!
//! // A permission for the peer, then data to it through the relay.
//! client.create_permission(now, peer.ip())?;
//! exchange(&mut client, &mut server);
//! client.send_to(now, peer, b"hello")?;
//! let sent = exchange(&mut client, &mut server);
//! assert_eq!((sent[0].source, sent[0].destination), (Some(relayed), peer));
//! assert_eq!(&sent[0].contents[..], b"hello");
//!
//! // The peer answers the relayed address; the client gets it.
//! server.handle_peer(now, relayed, peer, b"hi back");
//! while let Some(ServerTransmit::Client { contents, .. }) = server.poll_transmit() {
//!     client.handle_input(now, server_addr, &contents);
//! }
//! let data = std::iter::from_fn(|| client.poll_event())
//!     .find_map(|e| match e {
//!         ClientEvent::Data { peer: from, data } => Some((from, data)),
//!         _ => None,
//!     });
//! assert_eq!(data, Some((peer, bytes::Bytes::from_static(b"hi back"))));
//! # Ok::<(), rtw_turn::Error>(())
//! ```
//!
//! The shapes are the workspace's (`docs/ARCHITECTURE.md`): `now` first,
//! datagrams as [`Transmit`], randomness through [`Random`], one [`Error`]
//! with [`Error::is_peer_fault`] and [`Error::error_code`], limits in
//! [`server::Limits`] held by [`server::ServerConfig`].
//! `examples/client_allocate.rs` runs a longer exchange, with refreshes
//! over 20 virtual minutes; `rtw_tokio::turn` runs both on real sockets.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod client;
mod error;
pub mod server;

pub use error::Error;
pub use rtw_core::{Random, SeededRandom, Transmit};
pub use rtw_stun::Transport;
