//! Sans-IO ICE (RFC 8445, RFC 8838, RFC 8839, RFC 7675): how two WebRTC
//! peers find a path through NATs.
//!
//! - [`Candidate`]: the `a=candidate` grammar of RFC 8839 §5.1, parsed and
//!   written back byte for byte, with [`priority`] (RFC 8445 §5.1.2),
//!   [`foundation`] (§5.1.1.3, stable across runs) and
//!   [`eliminate_redundant`] (§5.1.3).
//! - [`pair_priority`] and [`PairState`]: the check list of RFC 8445
//!   §6.1.2.
//! - [`IceAgent`]: a sans-IO agent. Addresses, candidates, datagrams and
//!   time go in through `add_*` / `handle_*`; datagrams, events and the
//!   next deadline come out of `poll_*`. It gathers server-reflexive
//!   candidates from STUN servers and relayed ones from TURN servers
//!   through `rtw-turn`'s client ([`IceAgent::gather_relayed`]), checking
//!   and sending through the relay. It never reads a clock, opens a
//!   socket or draws randomness of its own, so it runs the same in virtual
//!   time (below, and `tests/simulation.rs` through the NAT simulator of
//!   `rtw-netsim`) as over real sockets (`rtw_tokio::ice`).
//!
//! Two agents connect through an in-memory network in virtual time:
//!
//! ```
//! use std::net::SocketAddr;
//! use std::time::{Duration, Instant};
//! use rtw_ice::{ConnectionState, Credentials, IceAgent, IceConfig, Role, SeededRandom, Transmit};
//!
//! let credentials = |ufrag: &str| Credentials {
//!     ufrag: ufrag.into(),
//!     pwd: format!("{ufrag}-a-password-of-22-chars"),
//! };
//! // Randomness is the caller's: rtw_tokio::OsRandom for real, seeded here.
//! let mut a = IceAgent::new(IceConfig::default(), Role::Controlling, 1, credentials("alice"),
//!     Box::new(SeededRandom::new(1)));
//! let mut b = IceAgent::new(IceConfig::default(), Role::Controlled, 2, credentials("bobby"),
//!     Box::new(SeededRandom::new(2)));
//! let (a_addr, b_addr): (SocketAddr, SocketAddr) =
//!     ("192.0.2.1:5000".parse()?, "198.51.100.2:6000".parse()?);
//!
//! // Signalling (an SDP offer and answer in real life): credentials and candidates.
//! let t0 = Instant::now();
//! let a_host = a.add_host_candidate(a_addr, 1, 65535);
//! let b_host = b.add_host_candidate(b_addr, 1, 65535);
//! a.set_remote_credentials(b.local_credentials().clone());
//! b.set_remote_credentials(a.local_credentials().clone());
//! a.add_remote_candidate(t0, b_host)?;
//! b.add_remote_candidate(t0, a_host)?;
//!
//! // The network, in virtual time: every datagram arrives 10 ms after it left.
//! let mut now = t0;
//! let mut in_flight: Vec<(Instant, Transmit)> = Vec::new();
//! while a.state() != ConnectionState::Completed || b.state() != ConnectionState::Completed {
//!     for agent in [&mut a, &mut b] {
//!         while let Some(t) = agent.poll_transmit() {
//!             in_flight.push((now + Duration::from_millis(10), t));
//!         }
//!         while agent.poll_event().is_some() {}
//!     }
//!     let arrivals = in_flight.iter().map(|(at, _)| *at);
//!     now = arrivals.chain(a.poll_timeout()).chain(b.poll_timeout()).min().unwrap();
//!     let (due, later) = in_flight.into_iter().partition(|(at, _)| *at <= now);
//!     in_flight = later;
//!     for (_, t) in due {
//!         let to = if t.destination == a_addr { &mut a } else { &mut b };
//!         // The transmit names the base it leaves from: the source the peer sees.
//!         to.handle_receive(now, t.source.unwrap(), t.destination, &t.contents);
//!     }
//!     a.handle_timeout(now);
//!     b.handle_timeout(now);
//!     assert!(now - t0 < Duration::from_secs(5));
//! }
//! assert_eq!(a.selected_pair(), Some((a_addr, b_addr)));
//! assert_eq!(b.selected_pair(), Some((b_addr, a_addr)));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Candidates alone, as signalled in SDP:
//!
//! ```
//! use rtw_ice::{Candidate, CandidateKind};
//!
//! let c = Candidate::parse("candidate:1 1 udp 2130706431 192.0.2.1 54400 typ host")?;
//! assert_eq!(c.kind, CandidateKind::Host);
//! assert_eq!(c.priority, rtw_ice::priority(CandidateKind::Host, 65535, 1));
//! assert_eq!(c.to_string(), "1 1 udp 2130706431 192.0.2.1 54400 typ host");
//! # Ok::<(), rtw_ice::CandidateError>(())
//! ```
//!
//! The shapes are the workspace's (`docs/ARCHITECTURE.md`): `now` first
//! in every call that takes time, datagrams out as [`Transmit`] with
//! `source: Some(base)`, randomness through [`Random`], one [`Error`] with
//! [`Error::is_peer_fault`] ([`CandidateError`] under it), and [`Limits`]
//! in [`IceConfig::limits`] and [`Candidate::parse_with_limits`].
//! `examples/two_agents.rs` runs the exchange above and prints it.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod candidate;

pub use candidate::{Candidate, CandidateKind, CandidateTransport, ConnectionAddress, TcpType};
mod agent;

pub use agent::{
    CandidatePair, ConnectionState, Credentials, IceAgent, IceConfig, IceEvent, RelayedData, Role,
};
/// The TURN client's configuration for
/// [`IceAgent::gather_relayed`]: credentials, realm, lifetime
/// (`rtw_turn::client::ClientConfig`).
pub use rtw_turn::client::ClientConfig as TurnConfig;
mod error;
mod limits;

pub use error::Error;
pub use limits::Limits;
pub use rtw_core::{Random, SeededRandom, Transmit};
mod pair;

pub use pair::{PairState, pair_priority};
mod foundation;
mod priority;

pub use candidate::CandidateError;
pub use foundation::{eliminate_redundant, foundation};
pub use priority::{
    PriorityParts, SINGLE_HOMED_LOCAL_PREFERENCE, multihomed_local_preference, priority,
    priority_with, type_preference,
};
