//! A deterministic network simulator for tests of datagram protocols
//! (ICE today; TURN and WebRTC next): virtual time, one kind of link with
//! latency, jitter (hence reordering) and loss, NATs with the mapping and
//! filtering behaviours of RFC 4787, a public STUN server and TURN servers
//! (RFC 8656).
//!
//! Nothing here reads a clock or draws from the operating system: time is
//! what the caller hands in, and every random choice comes from one
//! [`SeededRandom`](rtw_core::SeededRandom), so a seed names a run.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use rtw_core::SeededRandom;
//! use rtw_netsim::{Datagram, LinkConfig, NatConfig, NatKind, Network};
//!
//! let t0 = Instant::now();
//! let link = LinkConfig::default().latency(Duration::from_millis(20)).loss(0.0);
//! let mut net = Network::new(link, SeededRandom::new(1));
//! let stun = "192.0.2.10:3478".parse().unwrap();
//! net.add_stun_server(stun);
//! let nat = net.add_nat("198.51.100.1".parse().unwrap(), NatConfig::of(NatKind::PortRestricted));
//! let host = "10.0.0.2:5000".parse().unwrap();
//! net.add_host(host, Some(nat));
//!
//! // A Binding request from behind the NAT: the server answers the mapped address.
//! let tid = rtw_stun::TransactionId([1; 12]);
//! let typ = rtw_stun::MessageType::new(rtw_stun::Method::BINDING, rtw_stun::Class::Request);
//! let request = rtw_stun::MessageBuilder::new(typ, tid).finish().freeze();
//! net.send(t0, Datagram { source: host, destination: stun, contents: request });
//! let mut answered = None;
//! while let Some(at) = net.next_arrival() {
//!     while let Some(d) = net.poll_delivery(at) {
//!         answered = Some((d.destination, d.at - t0));
//!     }
//! }
//! assert_eq!(answered, Some((host, Duration::from_millis(40))));
//! ```
//!
//! - [`nat`]: one NAT's mappings and filters (RFC 4787 §4, §5);
//! - [`stun_server`]: the public Binding responder, `rtw_stun`'s
//!   [`BindingServer`](rtw_stun::BindingServer);
//! - [`turn_server`]: a TURN relay, `rtw_turn`'s sans-IO
//!   [`Server`](rtw_turn::server::Server) with relayed addresses on its
//!   own IP;
//! - [`net`]: hosts, NATs and the servers on one simulated Internet.
//!
//! This crate is `publish = false`: it exists for the workspace's tests.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod nat;
pub mod net;
pub mod stun_server;
pub mod turn_server;

pub use nat::{FilteringBehaviour, MappingBehaviour, Nat, NatConfig, NatKind};
pub use net::{Datagram, Delivery, LinkConfig, NatId, NetStats, Network};
pub use stun_server::StunServer;
pub use turn_server::TurnServer;
