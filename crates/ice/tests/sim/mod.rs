//! Two ICE agents run through the simulated Internet of `rtw-netsim`
//! (virtual time, links with latency, jitter, reordering and loss, NATs
//! with the behaviours of RFC 4787, a STUN server):
//!
//! - [`driver`]: two agents, signalling, and the run to an outcome.

pub(crate) mod driver;
