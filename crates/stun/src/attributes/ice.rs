//! The ICE attributes (RFC 8445 §16.1): PRIORITY, USE-CANDIDATE,
//! ICE-CONTROLLED and ICE-CONTROLLING.

use bytes::{BufMut, BytesMut};

use super::util::{fixed, invalid};
use crate::{Attribute, AttributeType, Error, TransactionId};

/// PRIORITY (RFC 8445 §16.1, §7.1.1): the priority the peer-reflexive
/// candidate learned from this check would get, a 32-bit integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Priority(pub u32);

impl<'a> Attribute<'a> for Priority {
    const TYPE: AttributeType = AttributeType::PRIORITY;

    fn decode(value: &'a [u8], _: &TransactionId) -> Result<Self, Error> {
        fixed(Self::TYPE, value, "must be 4 bytes (RFC 8445 §16.1)")
            .map(|b| Priority(u32::from_be_bytes(b)))
    }

    fn encoded_len(&self) -> usize {
        4
    }

    fn encode(&self, _: &TransactionId, dst: &mut BytesMut) {
        dst.put_u32(self.0);
    }
}

/// USE-CANDIDATE (RFC 8445 §16.1, §7.1.2): the controlling agent nominates
/// the pair this check is sent on. No value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct UseCandidate;

impl<'a> Attribute<'a> for UseCandidate {
    const TYPE: AttributeType = AttributeType::USE_CANDIDATE;

    fn decode(value: &'a [u8], _: &TransactionId) -> Result<Self, Error> {
        if value.is_empty() {
            Ok(UseCandidate)
        } else {
            Err(invalid(Self::TYPE, "must have no value (RFC 8445 §16.1)"))
        }
    }

    fn encoded_len(&self) -> usize {
        0
    }

    fn encode(&self, _: &TransactionId, _: &mut BytesMut) {}
}

macro_rules! tie_breaker {
    ($(#[$doc:meta])* $name:ident, $typ:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub u64);

        impl<'a> Attribute<'a> for $name {
            const TYPE: AttributeType = AttributeType::$typ;

            fn decode(value: &'a [u8], _: &TransactionId) -> Result<Self, Error> {
                fixed(Self::TYPE, value, "must be 8 bytes (RFC 8445 §16.1)")
                    .map(|b| $name(u64::from_be_bytes(b)))
            }

            fn encoded_len(&self) -> usize {
                8
            }

            fn encode(&self, _: &TransactionId, dst: &mut BytesMut) {
                dst.put_u64(self.0);
            }
        }
    };
}

tie_breaker! {
    /// ICE-CONTROLLED (RFC 8445 §16.1, §7.1.3): the sender thinks it is
    /// the controlled agent; the value is its 64-bit tie-breaker for role
    /// conflicts.
    IceControlled, ICE_CONTROLLED
}

tie_breaker! {
    /// ICE-CONTROLLING (RFC 8445 §16.1, §7.1.3): the sender thinks it is
    /// the controlling agent; the value is its 64-bit tie-breaker for role
    /// conflicts.
    IceControlling, ICE_CONTROLLING
}
