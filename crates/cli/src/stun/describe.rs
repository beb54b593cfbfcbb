//! Attribute values as text, read with [`rtw_stun::attributes`], for
//! `rtw stun decode`.

use std::fmt::Write as _;

use rtw_stun::attributes::{
    AdditionalAddressFamily, AddressErrorCode, AddressFamily, AlternateDomain, AlternateServer,
    ChannelNumber, Data, DontFragment, ErrorCode, EvenPort, IceControlled, IceControlling, Icmp,
    Lifetime, MappedAddress, Nonce, PasswordAlgorithm, PasswordAlgorithms, Priority, Realm,
    RequestedAddressFamily, RequestedTransport, ReservationToken, Software, UnknownAttributes,
    UseCandidate, Userhash, Username, XorMappedAddress, XorPeerAddress, XorRelayedAddress,
};
use rtw_stun::key;
use rtw_stun::{Attribute, AttributeType, Error, Message, RawAttribute, TransactionId};

/// `bytes` as lowercase hex without separators.
pub(super) fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// The key algorithm the message's PASSWORD-ALGORITHM names (RFC 8489
/// §14.12): `None` without the attribute, `Some(Err(why))` for one that is
/// malformed or neither MD5 (0x0001) nor SHA-256 (0x0002).
pub(super) fn password_algorithm(
    msg: &Message<'_>,
) -> Option<Result<key::PasswordAlgorithm, String>> {
    Some(match msg.get::<PasswordAlgorithm>()? {
        Ok(PasswordAlgorithm {
            algorithm: 0x0001, ..
        }) => Ok(key::PasswordAlgorithm::Md5),
        Ok(PasswordAlgorithm {
            algorithm: 0x0002, ..
        }) => Ok(key::PasswordAlgorithm::Sha256),
        Ok(other) => Err(format!(
            "PASSWORD-ALGORITHM 0x{:04x} is not one a key can be made for",
            other.algorithm
        )),
        Err(e) => Err(e.to_string()),
    })
}

fn family(f: AddressFamily) -> &'static str {
    match f {
        AddressFamily::V4 => "IPv4",
        AddressFamily::V6 => "IPv6",
    }
}

fn algorithm(a: &PasswordAlgorithm<'_>) -> String {
    let name = match a.algorithm {
        0x0001 => "MD5".to_owned(),
        0x0002 => "SHA-256".to_owned(),
        other => format!("0x{other:04x}"),
    };
    if a.params.is_empty() {
        name
    } else {
        format!("{name} (parameters {})", hex(a.params))
    }
}

/// Read `attr` as `A` and describe it with `f`.
fn typed<'a, A: Attribute<'a>>(
    attr: &RawAttribute<'a>,
    tid: &TransactionId,
    f: impl FnOnce(A) -> String,
) -> Result<String, Error> {
    attr.decode::<A>(tid).map(f)
}

/// The value of `attr` as text: addresses as `IP:PORT`, text quoted with
/// Rust's escapes, numbers in decimal, opaque bytes in hex.
pub(super) fn value(attr: &RawAttribute<'_>, tid: &TransactionId) -> Result<String, Error> {
    match attr.typ {
        AttributeType::MAPPED_ADDRESS => typed(attr, tid, |a: MappedAddress| a.0.to_string()),
        AttributeType::XOR_MAPPED_ADDRESS => {
            typed(attr, tid, |a: XorMappedAddress| a.0.to_string())
        }
        AttributeType::XOR_PEER_ADDRESS => typed(attr, tid, |a: XorPeerAddress| a.0.to_string()),
        AttributeType::XOR_RELAYED_ADDRESS => {
            typed(attr, tid, |a: XorRelayedAddress| a.0.to_string())
        }
        AttributeType::ALTERNATE_SERVER => typed(attr, tid, |a: AlternateServer| a.0.to_string()),
        AttributeType::USERNAME => typed(attr, tid, |a: Username| format!("{:?}", a.as_str())),
        AttributeType::REALM => typed(attr, tid, |a: Realm| format!("{:?}", a.as_str())),
        AttributeType::NONCE => typed(attr, tid, |a: Nonce| match a.security_features() {
            Some(f) => format!(
                "{:?} (security features: password algorithms {}, username anonymity {})",
                a.as_str(),
                f.password_algorithms(),
                f.username_anonymity()
            ),
            None => format!("{:?}", a.as_str()),
        }),
        AttributeType::SOFTWARE => typed(attr, tid, |a: Software| format!("{:?}", a.as_str())),
        AttributeType::ALTERNATE_DOMAIN => {
            typed(attr, tid, |a: AlternateDomain| format!("{:?}", a.as_str()))
        }
        AttributeType::ERROR_CODE => typed(attr, tid, |a: ErrorCode| {
            format!("{} {:?}", a.code(), a.reason())
        }),
        AttributeType::UNKNOWN_ATTRIBUTES => typed(attr, tid, |a: UnknownAttributes| {
            let types: Vec<String> = a.iter().map(|t| t.to_string()).collect();
            types.join(", ")
        }),
        AttributeType::USERHASH => typed(attr, tid, |a: Userhash| hex(&a.0)),
        AttributeType::PASSWORD_ALGORITHM => typed(attr, tid, |a: PasswordAlgorithm| algorithm(&a)),
        AttributeType::PASSWORD_ALGORITHMS => typed(attr, tid, |a: PasswordAlgorithms| {
            let names: Vec<String> = a.iter().map(|a| algorithm(&a)).collect();
            names.join(", ")
        }),
        AttributeType::PRIORITY => typed(attr, tid, |a: Priority| a.0.to_string()),
        AttributeType::USE_CANDIDATE => typed(attr, tid, |_: UseCandidate| "(empty)".to_owned()),
        AttributeType::ICE_CONTROLLED => typed(attr, tid, |a: IceControlled| {
            format!("tie-breaker 0x{:016x}", a.0)
        }),
        AttributeType::ICE_CONTROLLING => typed(attr, tid, |a: IceControlling| {
            format!("tie-breaker 0x{:016x}", a.0)
        }),
        AttributeType::CHANNEL_NUMBER => {
            typed(attr, tid, |a: ChannelNumber| format!("0x{:04x}", a.0))
        }
        AttributeType::LIFETIME => typed(attr, tid, |a: Lifetime| format!("{} s", a.0)),
        AttributeType::DATA => typed(attr, tid, |a: Data| hex(a.0)),
        AttributeType::REQUESTED_ADDRESS_FAMILY => typed(attr, tid, |a: RequestedAddressFamily| {
            family(a.0).to_owned()
        }),
        AttributeType::ADDITIONAL_ADDRESS_FAMILY => {
            typed(attr, tid, |a: AdditionalAddressFamily| {
                family(a.family()).to_owned()
            })
        }
        AttributeType::EVEN_PORT => typed(attr, tid, |a: EvenPort| {
            format!("reserve the next port: {}", a.reserve)
        }),
        AttributeType::REQUESTED_TRANSPORT => {
            typed(attr, tid, |a: RequestedTransport| match a.protocol {
                17 => "17 (UDP)".to_owned(),
                6 => "6 (TCP)".to_owned(),
                p => p.to_string(),
            })
        }
        AttributeType::DONT_FRAGMENT => typed(attr, tid, |_: DontFragment| "(empty)".to_owned()),
        AttributeType::RESERVATION_TOKEN => typed(attr, tid, |a: ReservationToken| hex(&a.0)),
        AttributeType::ADDRESS_ERROR_CODE => typed(attr, tid, |a: AddressErrorCode| {
            format!(
                "{} {} {:?}",
                family(a.family),
                a.error.code(),
                a.error.reason()
            )
        }),
        AttributeType::ICMP => typed(attr, tid, |a: Icmp| {
            format!(
                "type {} code {} data {}",
                a.icmp_type(),
                a.code(),
                a.error_data()
            )
        }),
        _ if attr.value.is_empty() => Ok("(empty)".to_owned()),
        _ => Ok(hex(attr.value)),
    }
}
