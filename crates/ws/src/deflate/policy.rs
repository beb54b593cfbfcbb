//! A server policy that adds permessage-deflate to another (RFC 7692 §5).

use super::params::{DeflateConfig, EXTENSION_NAME};
use crate::handshake::{AcceptPolicy, ExtensionOffer};

/// Wraps an [`AcceptPolicy`] so that permessage-deflate is negotiated with
/// [`DeflateConfig::negotiate`] (RFC 7692 §5), unless the inner policy
/// answered it itself. Origins, subprotocols and other extensions are the
/// inner policy's.
///
/// ```
/// use rtw_ws::deflate::{DeflateConfig, WithDeflate};
/// use rtw_ws::handshake::{DefaultPolicy, ServerHandshake};
///
/// let server = ServerHandshake::with_policy(WithDeflate::new(DefaultPolicy, DeflateConfig::default()));
/// ```
#[derive(Debug, Clone, Default)]
pub struct WithDeflate<P> {
    inner: P,
    config: DeflateConfig,
}

impl<P> WithDeflate<P> {
    /// `inner`, plus permessage-deflate as `config` says.
    pub fn new(inner: P, config: DeflateConfig) -> Self {
        WithDeflate { inner, config }
    }

    /// The deflate configuration.
    pub fn config(&self) -> &DeflateConfig {
        &self.config
    }

    /// The inner policy.
    pub fn inner(&self) -> &P {
        &self.inner
    }
}

impl<P: AcceptPolicy> AcceptPolicy for WithDeflate<P> {
    fn allow_origin(&self, origin: Option<&str>) -> bool {
        self.inner.allow_origin(origin)
    }

    fn select_protocol(&self, offered: &[String]) -> Option<String> {
        self.inner.select_protocol(offered)
    }

    fn negotiate_extensions(&self, offered: &[ExtensionOffer]) -> Vec<ExtensionOffer> {
        let mut accepted = self.inner.negotiate_extensions(offered);
        if !accepted.iter().any(|e| e.is(EXTENSION_NAME)) {
            if let Some((response, _)) = self.config.negotiate(offered) {
                accepted.push(response);
            }
        }
        accepted
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SeededRandom;
    use crate::deflate::DeflateParams;
    use crate::handshake::{ClientHandshake, DefaultPolicy, ServerHandshake};

    #[test]
    fn handshake_round_trip() {
        let config = DeflateConfig::default();
        let client = ClientHandshake::builder("a", "/")
            .extensions(vec![config.offer()])
            .build(&mut SeededRandom::new(1))
            .unwrap();
        let server =
            ServerHandshake::with_policy(WithDeflate::new(DefaultPolicy, DeflateConfig::default()));
        let (accepted, _) = server
            .read_request(&client.request_bytes())
            .unwrap()
            .unwrap();
        let server_params = DeflateParams::from_extensions(&accepted.extensions)
            .unwrap()
            .unwrap();
        let (negotiated, _) = client
            .read_response(&accepted.response_bytes())
            .unwrap()
            .unwrap();
        let client_params = config
            .accept_response(&negotiated.extensions)
            .unwrap()
            .unwrap();
        assert_eq!(client_params, server_params);

        // A client that offers nothing gets nothing.
        let plain = ClientHandshake::new("a", "/", &mut SeededRandom::new(2)).unwrap();
        let (accepted, _) = server
            .read_request(&plain.request_bytes())
            .unwrap()
            .unwrap();
        assert!(accepted.extensions.is_empty());
    }
}
