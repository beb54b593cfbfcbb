//! Sans-IO ICE (RFC 8445, RFC 8838, RFC 8839, RFC 7675).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod candidate;

pub use candidate::{Candidate, CandidateKind, CandidateTransport, ConnectionAddress, TcpType};
mod agent;

pub use agent::{
    CandidatePair, ConnectionState, Credentials, IceAgent, IceConfig, IceEvent, RandomSource, Role,
    Transmit,
};
mod pair;

pub use pair::{PairState, pair_priority};
mod foundation;
mod priority;

pub use candidate::{CandidateError, CandidateLimits};
pub use foundation::{eliminate_redundant, foundation};
pub use priority::{
    PriorityParts, SINGLE_HOMED_LOCAL_PREFERENCE, multihomed_local_preference, priority,
    priority_with, type_preference,
};
