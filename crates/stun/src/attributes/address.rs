//! Transport addresses: MAPPED-ADDRESS (RFC 8489 §14.1), XOR-MAPPED-ADDRESS
//! (§14.2), ALTERNATE-SERVER (§14.15), and TURN's XOR-PEER-ADDRESS and
//! XOR-RELAYED-ADDRESS (RFC 8656 §18.3, §18.5).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |0 0 0 0 0 0 0 0|    Family     |         (X-)Port              |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |             (X-)Address (32 bits or 128 bits)                 |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! The first byte is written as 0 and ignored when read. The XOR'd forms
//! XOR the port with the top 16 bits of the magic cookie, an IPv4 address
//! with the cookie, and an IPv6 address with the cookie followed by the
//! transaction ID.
//!
//! Addresses are [`SocketAddr`]s. An IPv6 address is written as given
//! (an IPv4-mapped IPv6 address stays family 0x02); its flow info and scope
//! ID are not carried and read back as 0.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6};

use bytes::{BufMut, BytesMut};

use super::util::invalid;
use crate::{Attribute, AttributeType, Error, MAGIC_COOKIE, TransactionId};

/// An address family as STUN and TURN encode it: 0x01 for IPv4, 0x02 for
/// IPv6 (RFC 8489 §14.1, RFC 8656 §18.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AddressFamily {
    /// 0x01.
    V4,
    /// 0x02.
    V6,
}

impl AddressFamily {
    /// The family's code on the wire.
    pub const fn code(self) -> u8 {
        match self {
            AddressFamily::V4 => 0x01,
            AddressFamily::V6 => 0x02,
        }
    }

    /// The family with this code, `None` for codes other than 0x01 and 0x02.
    pub const fn from_code(code: u8) -> Option<Self> {
        match code {
            0x01 => Some(AddressFamily::V4),
            0x02 => Some(AddressFamily::V6),
            _ => None,
        }
    }

    /// The family of `ip`.
    pub const fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(_) => AddressFamily::V4,
            IpAddr::V6(_) => AddressFamily::V6,
        }
    }
}

/// The mask an address is XOR'd with: the cookie, then the transaction ID
/// (RFC 8489 §14.2).
fn xor_mask(tid: &TransactionId) -> [u8; 16] {
    let mut mask = [0u8; 16];
    mask[..4].copy_from_slice(&MAGIC_COOKIE.to_be_bytes());
    mask[4..].copy_from_slice(tid.as_bytes());
    mask
}

/// The port is XOR'd with the most significant 16 bits of the cookie.
const PORT_MASK: u16 = (MAGIC_COOKIE >> 16) as u16;

fn decode_address(
    typ: AttributeType,
    value: &[u8],
    xor: Option<&TransactionId>,
) -> Result<SocketAddr, Error> {
    if value.len() < 4 {
        return Err(invalid(typ, "address value shorter than 4 bytes"));
    }
    // value[0] must be sent as 0 and is ignored by receivers (§14.1).
    let family =
        AddressFamily::from_code(value[1]).ok_or_else(|| invalid(typ, "unknown address family"))?;
    let mut port = u16::from_be_bytes([value[2], value[3]]);
    let mask = xor.map(xor_mask);
    if mask.is_some() {
        port ^= PORT_MASK;
    }
    let address = &value[4..];
    let ip = match family {
        AddressFamily::V4 => {
            let mut octets: [u8; 4] = address
                .try_into()
                .map_err(|_| invalid(typ, "an IPv4 address value must be 8 bytes"))?;
            if let Some(mask) = mask {
                octets.iter_mut().zip(mask).for_each(|(b, m)| *b ^= m);
            }
            IpAddr::V4(Ipv4Addr::from(octets))
        }
        AddressFamily::V6 => {
            let mut octets: [u8; 16] = address
                .try_into()
                .map_err(|_| invalid(typ, "an IPv6 address value must be 20 bytes"))?;
            if let Some(mask) = mask {
                octets.iter_mut().zip(mask).for_each(|(b, m)| *b ^= m);
            }
            IpAddr::V6(Ipv6Addr::from(octets))
        }
    };
    Ok(match ip {
        IpAddr::V4(_) => SocketAddr::new(ip, port),
        IpAddr::V6(v6) => SocketAddr::V6(SocketAddrV6::new(v6, port, 0, 0)),
    })
}

fn address_len(addr: &SocketAddr) -> usize {
    match addr {
        SocketAddr::V4(_) => 8,
        SocketAddr::V6(_) => 20,
    }
}

fn encode_address(addr: &SocketAddr, xor: Option<&TransactionId>, dst: &mut BytesMut) {
    let mask = xor.map(xor_mask);
    let port = match mask {
        Some(_) => addr.port() ^ PORT_MASK,
        None => addr.port(),
    };
    dst.put_u8(0);
    dst.put_u8(AddressFamily::of(addr.ip()).code());
    dst.put_u16(port);
    let mask = mask.unwrap_or([0; 16]);
    match addr.ip() {
        IpAddr::V4(ip) => {
            for (b, m) in ip.octets().into_iter().zip(mask) {
                dst.put_u8(b ^ m);
            }
        }
        IpAddr::V6(ip) => {
            for (b, m) in ip.octets().into_iter().zip(mask) {
                dst.put_u8(b ^ m);
            }
        }
    }
}

macro_rules! address_attribute {
    ($(#[$doc:meta])* $name:ident, $typ:ident, xor: $xor:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $name(pub SocketAddr);

        impl<'a> Attribute<'a> for $name {
            const TYPE: AttributeType = AttributeType::$typ;

            fn decode(value: &'a [u8], tid: &TransactionId) -> Result<Self, Error> {
                decode_address(Self::TYPE, value, $xor.then_some(tid)).map($name)
            }

            fn encoded_len(&self) -> usize {
                address_len(&self.0)
            }

            fn encode(&self, tid: &TransactionId, dst: &mut BytesMut) {
                encode_address(&self.0, $xor.then_some(tid), dst)
            }
        }

        impl From<SocketAddr> for $name {
            fn from(addr: SocketAddr) -> Self {
                $name(addr)
            }
        }

        impl From<$name> for SocketAddr {
            fn from(attr: $name) -> Self {
                attr.0
            }
        }
    };
}

address_attribute! {
    /// MAPPED-ADDRESS (RFC 8489 §14.1): the client's reflexive transport
    /// address, in the clear. Servers send it only for RFC 3489 clients;
    /// everyone else uses [`XorMappedAddress`].
    MappedAddress, MAPPED_ADDRESS, xor: false
}

address_attribute! {
    /// XOR-MAPPED-ADDRESS (RFC 8489 §14.2): the client's reflexive transport
    /// address, XOR'd with the magic cookie (and, for IPv6, the transaction
    /// ID) so that NATs rewriting addresses in payloads leave it alone.
    XorMappedAddress, XOR_MAPPED_ADDRESS, xor: true
}

address_attribute! {
    /// ALTERNATE-SERVER (RFC 8489 §14.15): the server a 300 (Try Alternate)
    /// response redirects to, encoded like MAPPED-ADDRESS.
    AlternateServer, ALTERNATE_SERVER, xor: false
}

address_attribute! {
    /// XOR-PEER-ADDRESS (RFC 8656 §18.3): a peer's address as seen from the
    /// TURN server, encoded like XOR-MAPPED-ADDRESS.
    XorPeerAddress, XOR_PEER_ADDRESS, xor: true
}

address_attribute! {
    /// XOR-RELAYED-ADDRESS (RFC 8656 §18.5): the relayed transport address
    /// the TURN server allocated, encoded like XOR-MAPPED-ADDRESS.
    XorRelayedAddress, XOR_RELAYED_ADDRESS, xor: true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_byte_is_ignored() {
        let tid = TransactionId([0; 12]);
        let value = [0xFF, 0x01, 0x12, 0x34, 10, 0, 0, 1];
        let addr = MappedAddress::decode(&value, &tid).unwrap();
        assert_eq!(addr.0, "10.0.0.1:4660".parse().unwrap());
        let mut out = BytesMut::new();
        addr.encode(&tid, &mut out);
        assert_eq!(out[0], 0);
    }

    #[test]
    fn xor_differs_from_plain() {
        let tid = TransactionId([7; 12]);
        let addr: SocketAddr = "[2001:db8::1]:3478".parse().unwrap();
        let (mut plain, mut xor) = (BytesMut::new(), BytesMut::new());
        AlternateServer(addr).encode(&tid, &mut plain);
        XorRelayedAddress(addr).encode(&tid, &mut xor);
        assert_eq!(plain.len(), 20);
        assert_eq!(xor.len(), 20);
        assert_ne!(plain, xor);
        assert_eq!(XorRelayedAddress::decode(&xor, &tid).unwrap().0, addr);
        // Another transaction ID reads another IPv6 address.
        let other = XorRelayedAddress::decode(&xor, &TransactionId([8; 12])).unwrap();
        assert_ne!(other.0, addr);
        assert_eq!(other.0.port(), 3478);
    }
}
