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
//!   next deadline come out of `poll_*`. It never reads a clock, opens a
//!   socket or draws randomness of its own, so it runs the same in virtual
//!   time (see `tests/simulation.rs`, a NAT simulator) as over real sockets
//!   (`rtw_tokio::ice`).
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
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod candidate;

pub use candidate::{Candidate, CandidateKind, CandidateTransport, ConnectionAddress, TcpType};
mod agent;

pub use agent::{CandidatePair, ConnectionState, Credentials, IceAgent, IceConfig, IceEvent, Role};
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
