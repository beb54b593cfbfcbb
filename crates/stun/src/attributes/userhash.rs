//! USERHASH (RFC 8489 §14.4).

use bytes::{BufMut, BytesMut};
use sha2::{Digest, Sha256};

use super::util::fixed;
use crate::{Attribute, AttributeType, Error, TransactionId};

/// USERHASH (RFC 8489 §14.4): replaces USERNAME when the server offers
/// username anonymity: SHA-256(username ":" realm), 32 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Userhash(pub [u8; 32]);

impl Userhash {
    /// SHA-256(username ":" realm). Both must already have been processed
    /// with the OpaqueString profile (RFC 8265), as the RFC requires (see
    /// [`crate::key`]).
    pub fn compute(username: &str, realm: &str) -> Self {
        let mut hash = Sha256::new();
        hash.update(username.as_bytes());
        hash.update(b":");
        hash.update(realm.as_bytes());
        Userhash(hash.finalize().into())
    }
}

impl<'a> Attribute<'a> for Userhash {
    const TYPE: AttributeType = AttributeType::USERHASH;

    fn decode(value: &'a [u8], _: &TransactionId) -> Result<Self, Error> {
        fixed(Self::TYPE, value, "must be 32 bytes (RFC 8489 §14.4)").map(Userhash)
    }

    fn encoded_len(&self) -> usize {
        32
    }

    fn encode(&self, _: &TransactionId, dst: &mut BytesMut) {
        dst.put_slice(&self.0);
    }
}
