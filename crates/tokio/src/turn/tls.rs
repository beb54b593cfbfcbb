//! rustls configurations for TURN over TLS (RFC 8656 §3.1): thin wrappers
//! of [`crate::tls`] (ring provider, no ALPN) with TURN's [`Error`].

use std::path::Path;
use std::sync::Arc;

use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use super::Error;
use crate::tls::{self, TlsError, Trust};

impl From<TlsError> for Error {
    fn from(e: TlsError) -> Self {
        match e {
            TlsError::Rustls(e) => Error::Tls(e),
            TlsError::File { path, reason } => Error::Certificate { path, reason },
            other => Error::Certificate {
                path: Default::default(),
                reason: other.to_string(),
            },
        }
    }
}

/// A rustls server configuration with `certificates` (the server's first,
/// then its chain) and `key`, TLS 1.2 and 1.3, no client certificates.
pub fn server_tls_config(
    certificates: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<rustls::ServerConfig>, Error> {
    Ok(tls::server_config(certificates, key, &[])?)
}

/// [`server_tls_config`] with the certificate chain and the private key
/// (PKCS#8, PKCS#1 or SEC1) read from PEM files.
pub fn server_tls_config_from_pem(
    certificate: &Path,
    key: &Path,
) -> Result<Arc<rustls::ServerConfig>, Error> {
    Ok(tls::server_config_from_pem(certificate, key, &[])?)
}

/// A rustls client configuration that trusts `roots` only (a private CA,
/// or a server's self-signed certificate), for [`Client::allocate_tls`](super::Client::allocate_tls).
pub fn client_tls_config(
    roots: Vec<CertificateDer<'static>>,
) -> Result<Arc<rustls::ClientConfig>, Error> {
    let trust = roots.into_iter().fold(Trust::default(), Trust::root);
    Ok(tls::client_config(&trust)?)
}
