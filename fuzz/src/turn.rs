//! What the TURN targets share: a long-term-credential signer that learns
//! REALM, NONCE and PASSWORD-ALGORITHMS from a server's 401 or 438 (RFC
//! 8489 §9.2), written here and not taken from `rtw_turn::client`, so the
//! server target does not inherit the client's choices; and the checks of
//! what a TURN server may send.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use rtw_stun::attributes::{
    ErrorCode, Nonce, PasswordAlgorithm as AlgorithmAttribute, Realm, Userhash, Username,
};
use rtw_stun::key::{PasswordAlgorithm, long_term_key};
use rtw_stun::{AttributeType, Class, Message, MessageBuilder};

/// What a 401 or 438 told a client: enough to sign its next requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// REALM.
    pub realm: String,
    /// NONCE.
    pub nonce: String,
    /// The raw value of PASSWORD-ALGORITHMS, when the server offered it.
    pub algorithms: Option<Vec<u8>>,
    /// The nonce's security features announce username anonymity.
    pub userhash: bool,
}

impl Challenge {
    /// The challenge in `msg` when it is an error response 401 or 438 with
    /// REALM and NONCE.
    pub fn from_response(msg: &Message<'_>) -> Option<Challenge> {
        if msg.class() != Class::ErrorResponse {
            return None;
        }
        let code = msg.get::<ErrorCode<'_>>()?.ok()?.code();
        if code != 401 && code != 438 {
            return None;
        }
        let realm = msg.get::<Realm<'_>>()?.ok()?.as_str().to_owned();
        let nonce = msg.get::<Nonce<'_>>()?.ok()?;
        let features = nonce.security_features().unwrap_or_default();
        let algorithms = if features.password_algorithms() {
            msg.raw(AttributeType::PASSWORD_ALGORITHMS)
                .map(|raw| raw.value.to_vec())
        } else {
            None
        };
        Some(Challenge {
            realm,
            nonce: nonce.as_str().to_owned(),
            algorithms,
            userhash: features.username_anonymity(),
        })
    }
}

/// How a request is signed: who, with which password, which algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signer<'a> {
    /// The username (static, or a TURN REST `expiry:user`).
    pub username: &'a str,
    /// Its password.
    pub password: &'a str,
    /// SHA-256 with MESSAGE-INTEGRITY-SHA256 (and PASSWORD-ALGORITHM)
    /// rather than MD5 with MESSAGE-INTEGRITY.
    pub sha256: bool,
    /// USERHASH instead of USERNAME.
    pub userhash: bool,
}

impl Signer<'_> {
    /// Adds USERNAME (or USERHASH), REALM, NONCE, PASSWORD-ALGORITHMS and
    /// PASSWORD-ALGORITHM when the challenge offered them (the latter only
    /// there, or when SHA-256 is forced), and MESSAGE-INTEGRITY or
    /// MESSAGE-INTEGRITY-SHA256, in that order. Errors (a name too long
    /// for its attribute) leave the message as far as it got: the server
    /// must cope with that too.
    pub fn sign(&self, b: &mut MessageBuilder, challenge: &Challenge) {
        let _ = if self.userhash {
            b.add(&Userhash::compute(self.username, &challenge.realm))
        } else {
            match Username::new(self.username) {
                Ok(u) => b.add(&u),
                Err(_) => return,
            }
        };
        let (Ok(realm), Ok(nonce)) = (Realm::new(&challenge.realm), Nonce::new(&challenge.nonce))
        else {
            return;
        };
        let _ = b.add(&realm);
        let _ = b.add(&nonce);
        let algorithm = if self.sha256 {
            PasswordAlgorithm::Sha256
        } else {
            PasswordAlgorithm::Md5
        };
        if let Some(raw) = &challenge.algorithms {
            let _ = b.add_raw(AttributeType::PASSWORD_ALGORITHMS, raw);
        }
        if challenge.algorithms.is_some() || self.sha256 {
            let _ = b.add(&match algorithm {
                PasswordAlgorithm::Md5 => AlgorithmAttribute::MD5,
                PasswordAlgorithm::Sha256 => AlgorithmAttribute::SHA256,
            });
        }
        let Ok(key) = long_term_key(self.username, &challenge.realm, self.password, algorithm)
        else {
            return;
        };
        let _ = match algorithm {
            PasswordAlgorithm::Md5 => b.add_message_integrity(&key),
            PasswordAlgorithm::Sha256 => b.add_message_integrity_sha256(&key, 32),
        };
    }
}

/// Whether a TURN server that was not told to allow them may ever send a
/// datagram to `ip` from a relayed address: never to an unspecified
/// ("this network"), multicast, broadcast or reserved address, nor
/// (unless `allow_loopback`) to loopback, nor to private, shared or
/// link-local ones; IPv4 embedded in IPv6 (mapped `::ffff:0:0/96`,
/// compatible `::/96`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) is judged as
/// the IPv4 address it carries.
pub fn peer_allowed(ip: IpAddr, allow_loopback: bool) -> bool {
    let v4 = match ip {
        IpAddr::V4(v4) => Some(v4),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            let pair = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
            if let Some(v4) = v6.to_ipv4_mapped() {
                Some(v4)
            } else if (s[..6] == [0; 6] && !v6.is_loopback() && !v6.is_unspecified())
                || s[..6] == [0x64, 0xff9b, 0, 0, 0, 0]
            {
                // IPv4-compatible, or NAT64's well-known prefix.
                Some(pair(s[6], s[7]))
            } else if s[0] == 0x2002 {
                Some(pair(s[1], s[2]))
            } else {
                None
            }
        }
    };
    if let Some(v4) = v4 {
        let [a, b, ..] = v4.octets();
        if a == 0 || a >= 224 {
            return false; // this network, multicast, reserved, broadcast
        }
        if v4.is_private() || v4.is_link_local() || (a == 100 && (64..128).contains(&b)) {
            return false;
        }
        return allow_loopback || !v4.is_loopback();
    }
    let IpAddr::V6(v6) = ip else {
        unreachable!("IPv4 was judged above")
    };
    let s0 = v6.segments()[0];
    if v6.is_unspecified() || v6.is_multicast() {
        return false;
    }
    if s0 & 0xfe00 == 0xfc00 || s0 & 0xffc0 == 0xfe80 || s0 & 0xffc0 == 0xfec0 {
        return false;
    }
    allow_loopback || !v6.is_loopback()
}

/// A relayed address's peer for targets: `SocketAddr` parsing made short.
pub fn addr(s: &str) -> SocketAddr {
    s.parse().expect("a socket address")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtw_stun::attributes::SecurityFeatures;
    use rtw_stun::{MessageType, Method, TransactionId};

    #[test]
    fn a_401_gives_a_challenge_and_a_signed_request_verifies() {
        let tid = TransactionId([1; 12]);
        let mut b = MessageBuilder::new(
            MessageType::new(Method::ALLOCATE, Class::ErrorResponse),
            tid,
        );
        b.add(&ErrorCode::UNAUTHENTICATED).unwrap();
        b.add(&Realm::new("fuzz.example").unwrap()).unwrap();
        b.add(&Nonce::new("abcd").unwrap()).unwrap();
        let wire = b.finish();
        let challenge = Challenge::from_response(&Message::parse(&wire).unwrap()).unwrap();
        assert_eq!(challenge.realm, "fuzz.example");
        assert_eq!(challenge.nonce, "abcd");
        assert!(challenge.algorithms.is_none() && !challenge.userhash);

        let signer = Signer {
            username: "alice",
            password: "pw",
            sha256: false,
            userhash: false,
        };
        let mut b = MessageBuilder::new(MessageType::new(Method::ALLOCATE, Class::Request), tid);
        signer.sign(&mut b, &challenge);
        let wire = b.finish();
        let msg = Message::parse(&wire).unwrap();
        let key = long_term_key("alice", "fuzz.example", "pw", PasswordAlgorithm::Md5).unwrap();
        msg.verify_integrity(&key).unwrap();
        let wrong = long_term_key("alice", "fuzz.example", "px", PasswordAlgorithm::Md5).unwrap();
        assert!(msg.verify_integrity(&wrong).is_err());
    }

    #[test]
    fn a_success_is_no_challenge() {
        let tid = TransactionId([1; 12]);
        let wire = MessageBuilder::new(
            MessageType::new(Method::ALLOCATE, Class::SuccessResponse),
            tid,
        )
        .finish();
        assert!(Challenge::from_response(&Message::parse(&wire).unwrap()).is_none());
        let _ = SecurityFeatures::default();
    }

    #[test]
    fn peer_rules() {
        for bad in [
            "0.0.0.0",
            "127.0.0.1",
            "::1",
            "::ffff:127.0.0.1",
            "::127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "169.254.0.1",
            "fe80::1",
            "fc00::1",
            "224.0.0.1",
            "255.255.255.255",
            "::",
            "ff02::1",
            "64:ff9b::7f00:1",
            "2002:7f00:1::",
            "2002:a00:1::",
            "100.64.0.1",
            "240.0.0.1",
        ] {
            assert!(!peer_allowed(bad.parse().unwrap(), false), "{bad}");
        }
        for good in ["203.0.113.5", "2001:db8::5", "::ffff:203.0.113.5"] {
            assert!(peer_allowed(good.parse().unwrap(), false), "{good}");
        }
        assert!(peer_allowed("127.0.0.1".parse().unwrap(), true));
        assert!(peer_allowed("::1".parse().unwrap(), true));
    }
}
