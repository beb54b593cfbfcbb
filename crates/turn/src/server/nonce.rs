//! Nonces (RFC 8489 §9.2): minted without keeping any state, bound to the
//! client's 5-tuple and to the time they were issued.
//!
//! A nonce is the nonce cookie with the server's security features (§9.2)
//! followed by base64url of 12 bytes: the second it was issued (counted
//! from the server's first input) and 8 bytes of
//! HMAC-SHA1(key, issued second, 5-tuple). Nothing is stored per client
//! before it authenticates, and a nonce taken from one client does not
//! verify for another.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use rtw_stun::attributes::SecurityFeatures;
use sha1::Sha1;
use subtle::ConstantTimeEq;

use super::FiveTuple;

/// What a nonce check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NonceCheck {
    /// Issued by this server to this 5-tuple, within its lifetime.
    Fresh,
    /// Ours but too old, or not ours at all: 438 Stale Nonce with a new one
    /// (RFC 8489 §9.2.4).
    Stale,
}

/// Mints and checks nonces with one secret key.
pub(super) struct Nonces {
    key: [u8; 20],
    prefix: String,
    lifetime: Duration,
}

impl Nonces {
    /// Nonces announcing `features`, valid for `lifetime`.
    pub(super) fn new(key: [u8; 20], features: SecurityFeatures, lifetime: Duration) -> Self {
        Nonces {
            key,
            prefix: features.cookie(),
            lifetime,
        }
    }

    /// A nonce for `five_tuple`, issued at `elapsed` since the server's
    /// epoch.
    pub(super) fn mint(&self, elapsed: Duration, five_tuple: &FiveTuple) -> String {
        let issued = elapsed.as_secs() as u32;
        let mut raw = [0u8; 12];
        raw[..4].copy_from_slice(&issued.to_be_bytes());
        raw[4..].copy_from_slice(&self.mac(issued, five_tuple)[..8]);
        let mut nonce = self.prefix.clone();
        URL_SAFE_NO_PAD.encode_string(raw, &mut nonce);
        nonce
    }

    /// Whether `nonce` is a fresh one of ours for `five_tuple` at
    /// `elapsed`.
    pub(super) fn check(
        &self,
        elapsed: Duration,
        five_tuple: &FiveTuple,
        nonce: &str,
    ) -> NonceCheck {
        let Some(encoded) = nonce.strip_prefix(self.prefix.as_str()) else {
            return NonceCheck::Stale;
        };
        let mut raw = [0u8; 12];
        match URL_SAFE_NO_PAD.decode_slice(encoded, &mut raw) {
            Ok(12) => {}
            _ => return NonceCheck::Stale,
        }
        let issued = u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]);
        let mac = self.mac(issued, five_tuple);
        if !bool::from(mac[..8].ct_eq(&raw[4..])) {
            return NonceCheck::Stale;
        }
        let age = elapsed.as_secs().saturating_sub(u64::from(issued));
        if u64::from(issued) > elapsed.as_secs() || age >= self.lifetime.as_secs() {
            return NonceCheck::Stale;
        }
        NonceCheck::Fresh
    }

    fn mac(&self, issued: u32, five_tuple: &FiveTuple) -> [u8; 20] {
        let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(&self.key)
            .expect("HMAC takes keys of any length");
        mac.update(&issued.to_be_bytes());
        mac.update(&[transport_code(five_tuple.transport)]);
        put_addr(&mut mac, five_tuple.client);
        put_addr(&mut mac, five_tuple.server);
        mac.finalize().into_bytes().into()
    }
}

fn transport_code(transport: rtw_stun::Transport) -> u8 {
    match transport {
        rtw_stun::Transport::Udp => 1,
        rtw_stun::Transport::Dtls => 2,
        rtw_stun::Transport::Tcp => 3,
        rtw_stun::Transport::Tls => 4,
    }
}

fn put_addr(mac: &mut Hmac<Sha1>, addr: std::net::SocketAddr) {
    match addr.ip() {
        std::net::IpAddr::V4(ip) => mac.update(&ip.octets()),
        std::net::IpAddr::V6(ip) => mac.update(&ip.octets()),
    }
    mac.update(&addr.port().to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtw_stun::Transport;

    fn tuple(client: &str) -> FiveTuple {
        FiveTuple::new(
            Transport::Udp,
            client.parse().unwrap(),
            "192.0.2.1:3478".parse().unwrap(),
        )
    }

    #[test]
    fn a_nonce_is_fresh_for_its_client_and_lifetime_only() {
        let nonces = Nonces::new(
            [7; 20],
            SecurityFeatures::PASSWORD_ALGORITHMS,
            Duration::from_secs(600),
        );
        let a = tuple("203.0.113.5:4000");
        let nonce = nonces.mint(Duration::from_secs(10), &a);
        assert!(nonce.starts_with("obMatJos2AAAB"));
        assert_eq!(
            nonces.check(Duration::from_secs(10), &a, &nonce),
            NonceCheck::Fresh
        );
        assert_eq!(
            nonces.check(Duration::from_secs(609), &a, &nonce),
            NonceCheck::Fresh
        );
        assert_eq!(
            nonces.check(Duration::from_secs(610), &a, &nonce),
            NonceCheck::Stale
        );
        assert_eq!(
            nonces.check(Duration::from_secs(9), &a, &nonce),
            NonceCheck::Stale
        );
        let b = tuple("203.0.113.5:4001");
        assert_eq!(
            nonces.check(Duration::from_secs(10), &b, &nonce),
            NonceCheck::Stale
        );
        let other = Nonces::new(
            [8; 20],
            SecurityFeatures::PASSWORD_ALGORITHMS,
            Duration::from_secs(600),
        );
        assert_eq!(
            other.check(Duration::from_secs(10), &a, &nonce),
            NonceCheck::Stale
        );
        for bad in [
            "",
            "obMatJos2AAAB",
            "obMatJos2AAABxyz",
            "nonce",
            &nonce[..nonce.len() - 1],
        ] {
            assert_eq!(
                nonces.check(Duration::from_secs(10), &a, bad),
                NonceCheck::Stale
            );
        }
    }
}
