//! The `iceServers` list of `joined`, with TURN REST credentials made
//! fresh for each peer (draft-uberti-behave-turn-rest-00 §2.2).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;

use crate::config::{IceCredentials, IceServer};
use crate::wire::IceServerJson;

/// The TURN REST credential of `username`: `base64(HMAC-SHA1(secret,
/// username))` (draft-uberti-behave-turn-rest-00 §2.2), what
/// `rtw_turn::server::rest_password` checks.
pub fn turn_rest_credential(secret: &[u8], username: &str) -> String {
    // HMAC (RFC 2104) takes a key of any length.
    let mut mac = match <Hmac<Sha1> as KeyInit>::new_from_slice(secret) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(username.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// The entries for `peer` at `unix_secs`.
pub(crate) fn for_peer<'a>(
    servers: &'a [IceServer],
    peer: &str,
    unix_secs: u64,
) -> Vec<IceServerJson<'a>> {
    servers
        .iter()
        .map(|server| {
            let (username, credential) = match &server.credentials {
                IceCredentials::None => (None, None),
                IceCredentials::Static {
                    username,
                    credential,
                } => (Some(username.clone()), Some(credential.clone())),
                IceCredentials::TurnRest { secret, ttl } => {
                    let expiry = unix_secs.saturating_add(ttl.as_secs());
                    let username = format!("{expiry}:{peer}");
                    let credential = turn_rest_credential(secret.as_bytes(), &username);
                    (Some(username), Some(credential))
                }
            };
            IceServerJson {
                urls: &server.urls,
                username,
                credential,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn turn_rest_username_and_credential() {
        let servers = [
            IceServer::new(["stun:127.0.0.1:3478"]),
            IceServer::new(["turn:127.0.0.1:3479?transport=udp"]).credentials(
                IceCredentials::TurnRest {
                    secret: "secret".into(),
                    ttl: Duration::from_secs(600),
                },
            ),
        ];
        let list = for_peer(&servers, "alice", 1_000);
        assert_eq!(list[0].username, None);
        assert_eq!(list[1].username.as_deref(), Some("1600:alice"));
        // 20 bytes of HMAC-SHA1 in base64.
        let credential = list[1].credential.as_deref().unwrap();
        assert_eq!(credential.len(), 28);
        assert_eq!(credential, turn_rest_credential(b"secret", "1600:alice"));
        assert_ne!(credential, turn_rest_credential(b"other", "1600:alice"));
    }
}
