//! rustls configurations for TURN over TLS (RFC 8656 §3.1), with the ring
//! provider.

use std::path::Path;
use std::sync::Arc;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use super::Error;

/// A rustls server configuration with `certificates` (the server's first,
/// then its chain) and `key`, TLS 1.2 and 1.3, no client certificates.
pub fn server_tls_config(
    certificates: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<rustls::ServerConfig>, Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certificates, key)?;
    Ok(Arc::new(config))
}

/// [`server_tls_config`] with the certificate chain and the private key
/// (PKCS#8, PKCS#1 or SEC1) read from PEM files.
pub fn server_tls_config_from_pem(
    certificate: &Path,
    key: &Path,
) -> Result<Arc<rustls::ServerConfig>, Error> {
    let fail = |path: &Path, reason: String| Error::Certificate {
        path: path.to_owned(),
        reason,
    };
    let certificates = CertificateDer::pem_file_iter(certificate)
        .map_err(|e| fail(certificate, e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| fail(certificate, e.to_string()))?;
    if certificates.is_empty() {
        return Err(fail(certificate, "no CERTIFICATE in the file".into()));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| fail(key, e.to_string()))?;
    server_tls_config(certificates, key)
}

/// A rustls client configuration that trusts `roots` only (a private CA,
/// or a server's self-signed certificate), for [`Client::allocate_tls`](super::Client::allocate_tls).
pub fn client_tls_config(
    roots: Vec<CertificateDer<'static>>,
) -> Result<Arc<rustls::ClientConfig>, Error> {
    let mut store = rustls::RootCertStore::empty();
    for root in roots {
        store.add(root)?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(store)
        .with_no_client_auth();
    Ok(Arc::new(config))
}
