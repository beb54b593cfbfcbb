//! A deterministic network simulator for ICE: virtual time, links with
//! latency, jitter, reordering and loss, NATs with the behaviours of
//! RFC 4787, a STUN server, and a driver that runs two agents through it.
//!
//! - [`rng`]: the seeded random source everything draws from;
//! - [`nat`]: one NAT's mappings and filters;
//! - [`stun_server`]: the public Binding responder;
//! - [`net`]: hosts, NATs and the server on one simulated Internet;
//! - [`driver`]: two agents, signalling, and the run to an outcome.

pub(crate) mod driver;
pub(crate) mod nat;
pub(crate) mod net;
pub(crate) mod rng;
pub(crate) mod stun_server;
