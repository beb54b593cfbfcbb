//! Long-term credentials on the server side (RFC 8489 §9.2.4): who the
//! users are, their keys, and the check of a request's credentials.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use rtw_stun::attributes::{Nonce, PasswordAlgorithm as AlgorithmAttr, Realm, Userhash, Username};
use rtw_stun::key::{PasswordAlgorithm, long_term_key};
use rtw_stun::{AttributeType, IntegrityAlgorithm, IntegrityKey, Message};
use sha1::Sha1;

use super::FiveTuple;
use super::nonce::{NonceCheck, Nonces};
use crate::Error;

/// A request whose credentials checked out.
#[derive(Debug, Clone)]
pub(super) struct Authenticated {
    /// The username (looked up from USERHASH when that was sent).
    pub(super) username: String,
    /// The long-term key, for the response's integrity and later requests;
    /// shared, so that its HMAC pads are hashed once per user.
    pub(super) key: Arc<IntegrityKey>,
    /// The integrity attribute the request used; the response uses it too.
    pub(super) integrity: IntegrityAlgorithm,
}

/// Why a request's credentials were refused, with the answer it gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Rejection {
    /// 400 Bad Request: a rule of RFC 8489 §9.2.4 broken.
    BadRequest(&'static str),
    /// 401 Unauthorized with REALM and NONCE: no credentials, or wrong
    /// ones.
    Unauthorized(&'static str),
    /// 438 Stale Nonce with a new NONCE.
    StaleNonce,
}

/// The users of a realm and how to check them.
pub(super) struct Credentials {
    realm: String,
    /// Static users: keys per algorithm, made once.
    users: HashMap<String, Keys>,
    /// USERHASH (RFC 8489 §14.4) of each static user.
    userhashes: HashMap<[u8; 32], String>,
    secret: Option<Vec<u8>>,
    algorithms: Vec<PasswordAlgorithm>,
    /// PASSWORD-ALGORITHMS as the server sends it, to compare the echo.
    algorithms_value: Vec<u8>,
    /// The wall clock: Unix time at an instant.
    unix: Option<(Instant, Duration)>,
}

#[derive(Debug, Clone)]
struct Keys {
    md5: Arc<IntegrityKey>,
    sha256: Arc<IntegrityKey>,
}

impl Credentials {
    pub(super) fn new(
        realm: &str,
        users: &[(String, String)],
        secret: Option<Vec<u8>>,
        algorithms: &[PasswordAlgorithm],
    ) -> Result<Self, Error> {
        let mut keys = HashMap::new();
        let mut userhashes = HashMap::new();
        for (username, password) in users {
            keys.insert(
                username.clone(),
                Keys {
                    md5: prepared(long_term_key(
                        username,
                        realm,
                        password,
                        PasswordAlgorithm::Md5,
                    )?),
                    sha256: prepared(long_term_key(
                        username,
                        realm,
                        password,
                        PasswordAlgorithm::Sha256,
                    )?),
                },
            );
            userhashes.insert(Userhash::compute(username, realm).0, username.clone());
        }
        let mut algorithms_value = Vec::new();
        for algorithm in algorithms {
            algorithms_value.extend_from_slice(&code(*algorithm).to_be_bytes());
            algorithms_value.extend_from_slice(&[0, 0]);
        }
        Ok(Credentials {
            realm: realm.to_owned(),
            users: keys,
            userhashes,
            secret,
            algorithms: algorithms.to_vec(),
            algorithms_value,
            unix: None,
        })
    }

    pub(super) fn realm(&self) -> &str {
        &self.realm
    }

    pub(super) fn algorithms(&self) -> &[PasswordAlgorithm] {
        &self.algorithms
    }

    pub(super) fn set_wall_clock(&mut self, now: Instant, unix: Duration) {
        self.unix = Some((now, unix));
    }

    fn unix_now(&self, now: Instant) -> Option<u64> {
        let (at, unix) = self.unix?;
        Some((unix + now.saturating_duration_since(at)).as_secs())
    }

    /// Checks the credentials of `msg` from `five_tuple` (RFC 8489 §9.2.4,
    /// in its order: attributes present, password algorithms, nonce,
    /// username, integrity).
    pub(super) fn authenticate(
        &self,
        now: Instant,
        elapsed: Duration,
        nonces: &Nonces,
        five_tuple: &FiveTuple,
        msg: &Message<'_>,
    ) -> Result<Authenticated, Rejection> {
        let has_integrity = msg.raw(AttributeType::MESSAGE_INTEGRITY).is_some()
            || msg.raw(AttributeType::MESSAGE_INTEGRITY_SHA256).is_some();
        if !has_integrity {
            return Err(Rejection::Unauthorized("credentials required"));
        }
        let username = msg.get::<Username>();
        let userhash = msg.get::<Userhash>();
        let (Some(realm), Some(nonce)) = (msg.get::<Realm>(), msg.get::<Nonce>()) else {
            return Err(Rejection::BadRequest(
                "REALM and NONCE are required (RFC 8489 §9.2.4)",
            ));
        };
        if username.is_none() && userhash.is_none() {
            return Err(Rejection::BadRequest(
                "USERNAME or USERHASH is required (RFC 8489 §9.2.4)",
            ));
        }
        let bad = |_| Rejection::BadRequest("malformed credential attribute");
        let realm = realm.map_err(bad)?;
        let nonce = nonce.map_err(bad)?;
        let algorithm = self.password_algorithm(msg)?;
        if nonces.check(elapsed, five_tuple, nonce.as_str()) == NonceCheck::Stale {
            return Err(Rejection::StaleNonce);
        }
        if realm.as_str() != self.realm {
            return Err(Rejection::Unauthorized("wrong realm"));
        }
        let username = match (username, userhash) {
            (Some(username), _) => username.map_err(bad)?.as_str().to_owned(),
            (None, Some(hash)) => self
                .userhashes
                .get(&hash.map_err(bad)?.0)
                .cloned()
                .ok_or(Rejection::Unauthorized("unknown USERHASH"))?,
            (None, None) => unreachable!("checked above"),
        };
        let key = self.key(now, &username, algorithm)?;
        match msg.verify_integrity(&*key) {
            Ok(integrity) => Ok(Authenticated {
                username,
                key,
                integrity,
            }),
            Err(_) => Err(Rejection::Unauthorized("integrity check failed")),
        }
    }

    /// The algorithm of the key (RFC 8489 §9.2.4): MD5 when the request
    /// has neither PASSWORD-ALGORITHM nor PASSWORD-ALGORITHMS; else both,
    /// the list equal to the one the server sent, and the choice in it.
    fn password_algorithm(&self, msg: &Message<'_>) -> Result<PasswordAlgorithm, Rejection> {
        let chosen = msg.get::<AlgorithmAttr>();
        let list = msg.raw(AttributeType::PASSWORD_ALGORITHMS);
        let algorithm = match (chosen, list) {
            (None, None) => PasswordAlgorithm::Md5,
            (Some(chosen), Some(list)) => {
                if list.value != self.algorithms_value.as_slice() {
                    return Err(Rejection::BadRequest(
                        "PASSWORD-ALGORITHMS differs from the server's (RFC 8489 §9.2.4)",
                    ));
                }
                let chosen =
                    chosen.map_err(|_| Rejection::BadRequest("malformed PASSWORD-ALGORITHM"))?;
                match chosen.algorithm {
                    0x0001 => PasswordAlgorithm::Md5,
                    0x0002 => PasswordAlgorithm::Sha256,
                    _ => {
                        return Err(Rejection::BadRequest(
                            "PASSWORD-ALGORITHM is not one the server offered (RFC 8489 §9.2.4)",
                        ));
                    }
                }
            }
            _ => {
                return Err(Rejection::BadRequest(
                    "PASSWORD-ALGORITHM and PASSWORD-ALGORITHMS go together (RFC 8489 §9.2.4)",
                ));
            }
        };
        if !self.algorithms.contains(&algorithm) {
            return Err(Rejection::BadRequest(
                "PASSWORD-ALGORITHM is not one the server offered (RFC 8489 §9.2.4)",
            ));
        }
        Ok(algorithm)
    }

    fn key(
        &self,
        now: Instant,
        username: &str,
        algorithm: PasswordAlgorithm,
    ) -> Result<Arc<IntegrityKey>, Rejection> {
        if let Some(keys) = self.users.get(username) {
            return Ok(match algorithm {
                PasswordAlgorithm::Md5 => Arc::clone(&keys.md5),
                PasswordAlgorithm::Sha256 => Arc::clone(&keys.sha256),
            });
        }
        let secret = self
            .secret
            .as_ref()
            .ok_or(Rejection::Unauthorized("unknown user"))?;
        let expiry = self
            .rest_expiry(username)
            .ok_or(Rejection::Unauthorized("unknown user"))?;
        let unix = self.unix_now(now).ok_or(Rejection::Unauthorized(
            "the server's wall clock is not set",
        ))?;
        if expiry <= unix {
            return Err(Rejection::Unauthorized("the REST username has expired"));
        }
        let password = rest_password(secret, username);
        long_term_key(username, &self.realm, &password, algorithm)
            .map(prepared)
            .map_err(|_| Rejection::Unauthorized("unusable credentials"))
    }

    /// The expiry of a TURN REST API username `expiry:user` (or `expiry`
    /// alone), in Unix seconds.
    fn rest_expiry(&self, username: &str) -> Option<u64> {
        self.secret.as_ref()?;
        let expiry = username.split(':').next()?;
        if expiry.is_empty() || !expiry.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        expiry.parse().ok()
    }
}

/// The password of a TURN REST API username:
/// `base64(HMAC-SHA1(secret, username))`.
pub fn rest_password(secret: &[u8], username: &str) -> String {
    let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(secret).expect("HMAC takes any key");
    mac.update(username.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// The wire code of an algorithm (RFC 8489 §18.5).
pub(super) fn code(algorithm: PasswordAlgorithm) -> u16 {
    match algorithm {
        PasswordAlgorithm::Md5 => 0x0001,
        PasswordAlgorithm::Sha256 => 0x0002,
    }
}

/// A long-term key made ready for the requests of its user.
fn prepared(key: Vec<u8>) -> Arc<IntegrityKey> {
    Arc::new(IntegrityKey::new(&key))
}
