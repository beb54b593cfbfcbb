//! Attributes (RFC 8489 §14, RFC 8445 §16, RFC 8656 §18).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |         Type                  |            Length             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                         Value (variable)                ....
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

mod address;
mod error_code;
mod ice;
mod integrity;
mod password;
mod text;
mod turn;
mod types;
mod unknown;
mod userhash;
mod util;

pub use address::{
    AddressFamily, AlternateServer, MappedAddress, XorMappedAddress, XorPeerAddress,
    XorRelayedAddress,
};
pub use error_code::ErrorCode;
pub use ice::{IceControlled, IceControlling, Priority, UseCandidate};
pub use integrity::{Fingerprint, MessageIntegrity, MessageIntegritySha256};
pub use password::{PasswordAlgorithm, PasswordAlgorithms, PasswordAlgorithmsIter};
pub use text::{AlternateDomain, NONCE_COOKIE, Nonce, Realm, SecurityFeatures, Software, Username};
pub use turn::{
    AdditionalAddressFamily, AddressErrorCode, ChannelNumber, ConnectionId, Data, DontFragment,
    EvenPort, Icmp, Lifetime, RequestedAddressFamily, RequestedTransport, ReservationToken,
};
pub use types::AttributeType;
pub use unknown::UnknownAttributes;
pub use userhash::Userhash;

use bytes::BytesMut;

use crate::{Error, TransactionId};

/// A typed attribute: how its value is read and written.
///
/// Values borrow from the message where they can (`'a`), so reading is
/// zero-copy. Padding is not part of the value: the message reader strips
/// it and the builder adds it.
pub trait Attribute<'a>: Sized {
    /// The attribute's type code.
    const TYPE: AttributeType;

    /// Read the value. `tid` is the message's transaction ID, which the
    /// XOR'd address attributes need.
    fn decode(value: &'a [u8], tid: &TransactionId) -> Result<Self, Error>;

    /// Length of the value [`Attribute::encode`] writes, padding excluded.
    fn encoded_len(&self) -> usize;

    /// Write the value, padding excluded.
    fn encode(&self, tid: &TransactionId, dst: &mut BytesMut);
}

/// An attribute as found in a message: its type and raw value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawAttribute<'a> {
    /// The type code.
    pub typ: AttributeType,
    /// The value, padding excluded.
    pub value: &'a [u8],
    /// Offset of the attribute's header from the start of the message.
    pub offset: usize,
}

impl<'a> RawAttribute<'a> {
    /// Read the value as `A`.
    pub fn decode<A: Attribute<'a>>(&self, tid: &TransactionId) -> Result<A, Error> {
        A::decode(self.value, tid)
    }
}
