//! Long-term credentials on the client side (RFC 8489 §9.2): what the
//! server's 401 or 438 announced, the key made from it, and the attributes
//! every authenticated request carries.
//!
//! - 401 to the first Allocate (§9.2.3): REALM and NONCE are taken; when
//!   the NONCE starts with the nonce cookie (§9.2) and announces the
//!   "Password algorithms" feature and the response carries
//!   PASSWORD-ALGORITHMS, SHA-256 is picked when offered, else MD5, and
//!   both PASSWORD-ALGORITHMS (as received) and PASSWORD-ALGORITHM are sent
//!   from then on (§9.2.4). Without the feature, MD5 and no algorithm
//!   attributes (RFC 5389 servers such as coturn).
//! - "Username anonymity" in the nonce: USERHASH instead of USERNAME
//!   (§9.2.4, §14.4).
//! - 438 Stale Nonce (§9.2.5): the same, with the new NONCE.
//! - The key: MD5 or SHA-256 of `username:realm:password` (§9.2.2);
//!   MESSAGE-INTEGRITY-SHA256 (32 bytes) with SHA-256, MESSAGE-INTEGRITY
//!   with MD5.

use rtw_stun::attributes::{
    Nonce, PasswordAlgorithm as AlgorithmAttribute, PasswordAlgorithms, Realm, Userhash, Username,
};
use rtw_stun::key::{PasswordAlgorithm, long_term_key, opaque_string};
use rtw_stun::{AttributeType, IntegrityKey, Message, MessageBuilder};

use crate::Error;

/// The credentials, and the server's challenge once one came.
pub(super) struct Auth {
    /// The username after OpaqueString (RFC 8489 §9.2.2).
    username: String,
    password: String,
    expected_realm: Option<String>,
    session: Option<Session>,
}

/// What the latest 401 or 438 set up.
struct Session {
    realm: String,
    nonce: String,
    algorithm: PasswordAlgorithm,
    /// PASSWORD-ALGORITHMS as received, echoed in every request; `None`
    /// when the server did not negotiate (RFC 8489 §9.2.4).
    algorithms: Option<Vec<u8>>,
    userhash: Option<Userhash>,
    /// The long-term key, made ready once for every request it signs.
    key: IntegrityKey,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // No password or key in logs.
        f.debug_struct("Auth")
            .field("username", &self.username)
            .field("realm", &self.session.as_ref().map(|s| &s.realm))
            .field("algorithm", &self.session.as_ref().map(|s| s.algorithm))
            .finish_non_exhaustive()
    }
}

impl Auth {
    /// Credentials checked as RFC 8489 §9.2.2 prepares them:
    /// [`Error::Config`] for an empty username or an unusable password.
    pub(super) fn new(username: &str, password: &str, realm: Option<&str>) -> Result<Self, Error> {
        let username = opaque_string(username)
            .map_err(|_| Error::Config("the username is empty or has control characters"))?;
        if Username::new(&username).is_err() {
            return Err(Error::Config(
                "the username is longer than 508 bytes (RFC 8489 §14.3)",
            ));
        }
        opaque_string(password)
            .map_err(|_| Error::Config("the password is empty or has control characters"))?;
        let expected_realm = match realm {
            Some(r) => Some(
                opaque_string(r)
                    .map_err(|_| Error::Config("the realm is empty or has control characters"))?,
            ),
            None => None,
        };
        Ok(Auth {
            username,
            password: password.to_owned(),
            expected_realm,
            session: None,
        })
    }

    /// `true` once a challenge was taken.
    pub(super) fn ready(&self) -> bool {
        self.session.is_some()
    }

    /// The algorithm in use, once a challenge was taken.
    #[cfg(test)]
    pub(super) fn algorithm(&self) -> Option<PasswordAlgorithm> {
        self.session.as_ref().map(|s| s.algorithm)
    }

    /// Take the REALM, NONCE and algorithms of a 401 or 438 (RFC 8489
    /// §9.2.3, §9.2.5). The key is made anew each time, so a server that
    /// changes its algorithms in a 438 is followed.
    pub(super) fn challenge(&mut self, response: &Message<'_>) -> Result<(), Error> {
        // A 438 without REALM keeps the realm already known.
        let realm = match (response.get::<Realm>(), &self.session) {
            (Some(Ok(r)), _) => r.as_str().to_owned(),
            (Some(Err(e)), _) => return Err(e.into()),
            (None, Some(s)) => s.realm.clone(),
            (None, None) => {
                return Err(Error::InvalidResponse(
                    "a 401 without REALM (RFC 8489 §9.2.3)",
                ));
            }
        };
        let realm = realm.as_str();
        let nonce = match response.get::<Nonce>() {
            Some(Ok(n)) => n,
            Some(Err(e)) => return Err(e.into()),
            None => {
                return Err(Error::InvalidResponse(
                    "a 401 or 438 without NONCE (RFC 8489 §9.2.3)",
                ));
            }
        };
        // What is echoed must also be sendable (fewer than 128 characters).
        if Realm::new(realm).is_err() || Nonce::new(nonce.as_str()).is_err() {
            return Err(Error::InvalidResponse(
                "REALM or NONCE too long to send back (RFC 8489 §14.9, §14.10)",
            ));
        }
        let prepared = opaque_string(realm).map_err(|_| {
            Error::InvalidResponse("REALM is not an OpaqueString (RFC 8489 §9.2.2)")
        })?;
        if let Some(expected) = &self.expected_realm
            && *expected != prepared
        {
            return Err(Error::InvalidResponse(
                "the server's REALM is not the configured one",
            ));
        }
        let features = nonce.security_features().unwrap_or_default();
        let (algorithm, algorithms) = if features.password_algorithms()
            && let Some(raw) = response.raw(AttributeType::PASSWORD_ALGORITHMS)
        {
            let list: PasswordAlgorithms<'_> = raw.decode(&response.transaction_id())?;
            let offered = |a: AlgorithmAttribute<'_>| {
                list.iter()
                    .any(|o| o.algorithm == a.algorithm && o.params.is_empty())
            };
            let algorithm = if offered(AlgorithmAttribute::SHA256) {
                PasswordAlgorithm::Sha256
            } else if offered(AlgorithmAttribute::MD5) {
                PasswordAlgorithm::Md5
            } else {
                return Err(Error::InvalidResponse(
                    "PASSWORD-ALGORITHMS offers neither SHA-256 nor MD5 (RFC 8489 §9.2.4)",
                ));
            };
            (algorithm, Some(raw.value.to_vec()))
        } else {
            (PasswordAlgorithm::Md5, None)
        };
        let userhash = features
            .username_anonymity()
            .then(|| Userhash::compute(&self.username, &prepared));
        let key = IntegrityKey::new(&long_term_key(
            &self.username,
            realm,
            &self.password,
            algorithm,
        )?);
        self.session = Some(Session {
            realm: realm.to_owned(),
            nonce: nonce.as_str().to_owned(),
            algorithm,
            algorithms,
            userhash,
            key,
        });
        Ok(())
    }

    /// Add USERNAME (or USERHASH), REALM, NONCE and, when negotiated,
    /// PASSWORD-ALGORITHMS and PASSWORD-ALGORITHM (RFC 8489 §9.2.4).
    pub(super) fn add_attributes(&self, b: &mut MessageBuilder) -> Result<(), Error> {
        let Some(s) = &self.session else {
            return Ok(());
        };
        match &s.userhash {
            Some(hash) => b.add(hash)?,
            None => b.add(&Username::new(&self.username)?)?,
        };
        b.add(&Realm::new(&s.realm)?)?;
        b.add(&Nonce::new(&s.nonce)?)?;
        if let Some(raw) = &s.algorithms {
            b.add_raw(AttributeType::PASSWORD_ALGORITHMS, raw)?;
            b.add(&match s.algorithm {
                PasswordAlgorithm::Md5 => AlgorithmAttribute::MD5,
                PasswordAlgorithm::Sha256 => AlgorithmAttribute::SHA256,
            })?;
        }
        Ok(())
    }

    /// Add the message integrity: MESSAGE-INTEGRITY-SHA256 with a SHA-256
    /// key, MESSAGE-INTEGRITY with an MD5 key (RFC 8489 §14.5, §14.6).
    pub(super) fn sign(&self, b: &mut MessageBuilder) -> Result<(), Error> {
        let Some(s) = &self.session else {
            return Ok(());
        };
        match s.algorithm {
            PasswordAlgorithm::Sha256 => b.add_message_integrity_sha256(&s.key, 32)?,
            PasswordAlgorithm::Md5 => b.add_message_integrity(&s.key)?,
        };
        Ok(())
    }

    /// Check a response's integrity with the key (RFC 8489 §9.2.5): `true`
    /// when it verifies, or when it has none and `required` is false.
    pub(super) fn verify(&self, response: &Message<'_>, required: bool) -> bool {
        let Some(s) = &self.session else {
            return !required;
        };
        match response.verify_integrity(&s.key) {
            Ok(_) => true,
            Err(rtw_stun::Error::MissingIntegrity) => !required,
            Err(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtw_stun::attributes::{ErrorCode, SecurityFeatures};
    use rtw_stun::{Class, IntegrityAlgorithm, MessageType, Method, TransactionId};

    fn challenge(nonce: &str, algorithms: Option<&[AlgorithmAttribute<'_>]>) -> Vec<u8> {
        let tid = TransactionId([3; 12]);
        let mut b = MessageBuilder::new(
            MessageType::new(Method::ALLOCATE, Class::ErrorResponse),
            tid,
        );
        b.add(&ErrorCode::UNAUTHENTICATED).unwrap();
        b.add(&Realm::new("example.org").unwrap()).unwrap();
        b.add(&Nonce::new(nonce).unwrap()).unwrap();
        if let Some(list) = algorithms {
            b.add(&PasswordAlgorithms::new(list).unwrap()).unwrap();
        }
        b.finish().to_vec()
    }

    fn signed(auth: &Auth) -> Vec<u8> {
        let tid = TransactionId([4; 12]);
        let mut b = MessageBuilder::new(MessageType::new(Method::REFRESH, Class::Request), tid);
        auth.add_attributes(&mut b).unwrap();
        auth.sign(&mut b).unwrap();
        b.finish().to_vec()
    }

    #[test]
    fn plain_nonce_means_md5_and_username() {
        let mut auth = Auth::new("alice", "pw", None).unwrap();
        assert!(!auth.ready());
        auth.challenge(&Message::parse(&challenge("abc", None)).unwrap())
            .unwrap();
        assert_eq!(auth.algorithm(), Some(PasswordAlgorithm::Md5));
        let req = signed(&auth);
        let msg = Message::parse(&req).unwrap();
        assert_eq!(msg.get::<Username>().unwrap().unwrap().as_str(), "alice");
        assert!(msg.raw(AttributeType::PASSWORD_ALGORITHM).is_none());
        let key = long_term_key("alice", "example.org", "pw", PasswordAlgorithm::Md5).unwrap();
        assert_eq!(msg.verify_integrity(&key), Ok(IntegrityAlgorithm::HmacSha1));
        assert!(auth.verify(&msg, true));
    }

    #[test]
    fn sha256_is_picked_and_the_list_echoed() {
        let features = SecurityFeatures::PASSWORD_ALGORITHMS | SecurityFeatures::USERNAME_ANONYMITY;
        let nonce = format!("{}xyz", features.cookie());
        let list = [AlgorithmAttribute::MD5, AlgorithmAttribute::SHA256];
        let mut auth = Auth::new("alice", "pw", Some("example.org")).unwrap();
        let ch = challenge(&nonce, Some(&list));
        auth.challenge(&Message::parse(&ch).unwrap()).unwrap();
        assert_eq!(auth.algorithm(), Some(PasswordAlgorithm::Sha256));
        let req = signed(&auth);
        let msg = Message::parse(&req).unwrap();
        assert!(msg.get::<Username>().is_none());
        assert_eq!(
            msg.get::<Userhash>().unwrap().unwrap(),
            Userhash::compute("alice", "example.org")
        );
        assert_eq!(
            msg.get::<AlgorithmAttribute>().unwrap().unwrap(),
            AlgorithmAttribute::SHA256
        );
        let echoed = msg.get::<PasswordAlgorithms>().unwrap().unwrap();
        assert_eq!(echoed.iter().collect::<Vec<_>>(), list);
        let key = long_term_key("alice", "example.org", "pw", PasswordAlgorithm::Sha256).unwrap();
        assert_eq!(
            msg.verify_integrity(&key),
            Ok(IntegrityAlgorithm::HmacSha256)
        );
    }

    #[test]
    fn a_stale_nonce_without_realm_keeps_the_realm() {
        let mut auth = Auth::new("alice", "pw", None).unwrap();
        auth.challenge(&Message::parse(&challenge("n1", None)).unwrap())
            .unwrap();
        let tid = TransactionId([5; 12]);
        let stale =
            MessageBuilder::new(MessageType::new(Method::REFRESH, Class::ErrorResponse), tid)
                .with(&ErrorCode::STALE_NONCE)
                .unwrap()
                .with(&Nonce::new("n2").unwrap())
                .unwrap()
                .finish();
        auth.challenge(&Message::parse(&stale).unwrap()).unwrap();
        let req = signed(&auth);
        let msg = Message::parse(&req).unwrap();
        assert_eq!(msg.get::<Nonce>().unwrap().unwrap().as_str(), "n2");
        assert_eq!(msg.get::<Realm>().unwrap().unwrap().as_str(), "example.org");
        // Without a realm known, a challenge needs one.
        let mut fresh = Auth::new("alice", "pw", None).unwrap();
        assert!(fresh.challenge(&Message::parse(&stale).unwrap()).is_err());
    }

    #[test]
    fn algorithms_without_the_cookie_are_ignored() {
        let mut auth = Auth::new("alice", "pw", None).unwrap();
        let ch = challenge("plain", Some(&[AlgorithmAttribute::SHA256]));
        auth.challenge(&Message::parse(&ch).unwrap()).unwrap();
        assert_eq!(auth.algorithm(), Some(PasswordAlgorithm::Md5));
    }

    #[test]
    fn bad_challenges_are_refused() {
        let mut auth = Auth::new("alice", "pw", Some("other.org")).unwrap();
        let ch = challenge("n", None);
        assert!(matches!(
            auth.challenge(&Message::parse(&ch).unwrap()),
            Err(Error::InvalidResponse(_))
        ));
        let mut auth = Auth::new("alice", "pw", None).unwrap();
        let nonce = SecurityFeatures::PASSWORD_ALGORITHMS.cookie();
        let ch = challenge(
            &nonce,
            Some(&[AlgorithmAttribute {
                algorithm: 9,
                params: &[],
            }]),
        );
        assert!(auth.challenge(&Message::parse(&ch).unwrap()).is_err());
        assert!(!auth.ready());
        assert!(matches!(Auth::new("", "pw", None), Err(Error::Config(_))));
        assert!(matches!(
            Auth::new("a", "p\u{7}", None),
            Err(Error::Config(_))
        ));
    }
}
