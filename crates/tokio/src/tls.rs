//! TLS for every rtw server and client: rustls with the ring provider
//! (TLS 1.2 and 1.3), configurations read from PEM files, and one stream
//! type for plain TCP or TLS.
//!
//! - Servers: [`server_config_from_pem`] reads a certificate chain (the
//!   server's certificate first) and a private key (PKCS#8, PKCS#1 or
//!   SEC1); pass [`ALPN_HTTP1`] for HTTP and WebSocket servers (a browser
//!   then knows it gets HTTP/1.1, the only version they serve), nothing
//!   for TURN or STOMP over TCP. [`accept`] runs the server handshake
//!   within a timeout (a peer that sends its ClientHello a byte at a time
//!   holds nothing for long).
//! - Clients: [`client_config`] trusts the platform's roots (the
//!   operating system's store, read by `rustls-native-certs`: what curl
//!   and the system trust, corporate CAs an administrator added
//!   included, with no bundled list of our own to go stale) and/or the
//!   CAs of PEM files ([`Trust`]); [`connect`] runs the client handshake
//!   with the server name (SNI and the name the certificate must be valid
//!   for) taken from the host.
//! - [`MaybeTlsStream`] is a TCP (or other) stream with or without TLS, on
//!   either side, so a server or client handles both with one type.
//!
//! Errors name the file and the reason ([`TlsError`]). A server
//! certificate that does not match the name, or is signed by no trusted
//! CA, fails the client's handshake with an [`io::Error`] whose message
//! is rustls' reason (`invalid peer certificate: ...`).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::path::Path;
//! use rtw_tokio::tls::{self, Trust};
//!
//! let server = tls::server_config_from_pem(
//!     Path::new("cert.pem"),
//!     Path::new("key.pem"),
//!     tls::ALPN_HTTP1,
//! )?;
//! let client = tls::client_config(&Trust::platform().ca_file("ca.pem"))?;
//! let tcp = tokio::net::TcpStream::connect("127.0.0.1:8443").await?;
//! let stream = tls::connect(client, "localhost", tcp).await?;
//! # let _ = (server, stream);
//! # Ok(())
//! # }
//! ```

use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

pub use rustls::{ClientConfig, ServerConfig};
pub use tokio_rustls::{TlsAcceptor, TlsConnector};

/// The ALPN protocol list of rtw's HTTP/1.1 and WebSocket servers.
pub const ALPN_HTTP1: &[&[u8]] = &[b"http/1.1"];

/// What setting up TLS fails with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// A certificate, key or CA file that cannot be read or used.
    #[error("{}: {reason}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The platform's certificate store could not be read, or holds no
    /// certificate rustls can use.
    #[error("the platform's root certificates: {0}")]
    PlatformRoots(String),
    /// rustls refused the configuration (a key that does not match the
    /// certificate, say).
    #[error("TLS: {0}")]
    Rustls(#[from] rustls::Error),
}

fn file_error(path: &Path, reason: impl ToString) -> TlsError {
    TlsError::File {
        path: path.to_owned(),
        reason: reason.to_string(),
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Every certificate of the PEM file at `path`, in order. Fails for a file
/// that cannot be read or parsed, or holds no `CERTIFICATE`.
pub fn read_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certificates = CertificateDer::pem_file_iter(path)
        .map_err(|e| file_error(path, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| file_error(path, e))?;
    if certificates.is_empty() {
        return Err(file_error(path, "no CERTIFICATE in the file"));
    }
    Ok(certificates)
}

/// The first private key (PKCS#8, PKCS#1 or SEC1) of the PEM file at
/// `path`.
pub fn read_private_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| file_error(path, e))
}

/// A server configuration with `certificates` (the server's first, then
/// its chain) and `key`, TLS 1.2 and 1.3, no client certificates, and
/// `alpn` as the protocols it agrees to (empty: no ALPN).
pub fn server_config(
    certificates: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    alpn: &[&[u8]],
) -> Result<Arc<ServerConfig>, TlsError> {
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certificates, key)?;
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok(Arc::new(config))
}

/// [`server_config`] with the certificate chain and the key read from PEM
/// files. A key that does not go with the certificate is refused here,
/// naming the key file.
pub fn server_config_from_pem(
    certificate: &Path,
    key: &Path,
    alpn: &[&[u8]],
) -> Result<Arc<ServerConfig>, TlsError> {
    let certificates = read_certificates(certificate)?;
    let private_key = read_private_key(key)?;
    server_config(certificates, private_key, alpn).map_err(|e| match e {
        TlsError::Rustls(e) => file_error(
            key,
            format!("does not go with {}: {e}", certificate.display()),
        ),
        other => other,
    })
}

/// Which certificate authorities a client trusts.
#[derive(Debug, Clone, Default)]
pub struct Trust {
    /// The platform's roots (the operating system's store).
    pub platform: bool,
    /// PEM files whose every certificate is a trusted root.
    pub ca_files: Vec<PathBuf>,
    /// Trusted roots given as DER.
    pub roots: Vec<CertificateDer<'static>>,
}

impl Trust {
    /// The platform's roots only.
    pub fn platform() -> Self {
        Trust {
            platform: true,
            ..Trust::default()
        }
    }

    /// The certificates of the PEM file `path` only (a test or private CA).
    pub fn ca_only(path: impl Into<PathBuf>) -> Self {
        Trust::default().ca_file(path)
    }

    /// Trust the certificates of the PEM file `path` too.
    #[must_use]
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_files.push(path.into());
        self
    }

    /// Trust `root` too.
    #[must_use]
    pub fn root(mut self, root: CertificateDer<'static>) -> Self {
        self.roots.push(root);
        self
    }
}

/// The platform's root certificates, read once per process.
pub fn platform_roots() -> Result<Vec<CertificateDer<'static>>, TlsError> {
    static ROOTS: OnceLock<Result<Vec<CertificateDer<'static>>, String>> = OnceLock::new();
    ROOTS
        .get_or_init(|| {
            let found = rustls_native_certs::load_native_certs();
            if found.certs.is_empty() {
                let why = found
                    .errors
                    .first()
                    .map_or_else(|| "none found".to_owned(), ToString::to_string);
                return Err(why);
            }
            Ok(found.certs)
        })
        .clone()
        .map_err(TlsError::PlatformRoots)
}

/// A client configuration (TLS 1.2 and 1.3, no client certificate, no
/// ALPN) that trusts what `trust` says.
pub fn client_config(trust: &Trust) -> Result<Arc<ClientConfig>, TlsError> {
    let mut store = rustls::RootCertStore::empty();
    if trust.platform {
        // Certificates of the store that rustls cannot parse are skipped,
        // as browsers do.
        let (_added, _ignored) = store.add_parsable_certificates(platform_roots()?);
    }
    for path in &trust.ca_files {
        for certificate in read_certificates(path)? {
            store
                .add(certificate)
                .map_err(|e| file_error(path, format!("not a usable CA certificate: {e}")))?;
        }
    }
    for root in &trust.roots {
        store.add(root.clone())?;
    }
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_root_certificates(store)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// [`client_config`] trusting the platform's roots, made once per
/// process.
pub fn platform_client_config() -> Result<Arc<ClientConfig>, TlsError> {
    static CONFIG: OnceLock<Result<Arc<ClientConfig>, String>> = OnceLock::new();
    CONFIG
        .get_or_init(|| client_config(&Trust::platform()).map_err(|e| e.to_string()))
        .clone()
        .map_err(TlsError::PlatformRoots)
}

/// The client's TLS handshake over `io` with `host` (a DNS name or an IP
/// address, IPv6 with or without brackets) as the server name: sent as
/// SNI (for a DNS name) and checked against the certificate. A
/// certificate that does not match fails with rustls' reason in the
/// [`io::Error`] (`invalid peer certificate: ...`).
pub async fn connect<S>(
    config: Arc<ClientConfig>,
    host: &str,
    io: S,
) -> io::Result<MaybeTlsStream<S>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let name = ServerName::try_from(bare.to_owned()).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{host:?} is not a TLS server name: {e}"),
        )
    })?;
    let stream = TlsConnector::from(config).connect(name, io).await?;
    Ok(MaybeTlsStream::Tls(Box::new(stream.into())))
}

/// The server's TLS handshake over `io`, which must end within `timeout`
/// (`None`: no limit).
pub async fn accept<S>(
    acceptor: &TlsAcceptor,
    io: S,
    timeout: Option<Duration>,
) -> io::Result<MaybeTlsStream<S>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let handshake = acceptor.accept(io);
    let stream = match timeout {
        Some(limit) => tokio::time::timeout(limit, handshake)
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "TLS handshake timed out"))??,
        None => handshake.await?,
    };
    Ok(MaybeTlsStream::Tls(Box::new(stream.into())))
}

/// A stream with TLS or without: what a server that may be configured
/// either way accepts, and what a client of `ws://` and `wss://` URLs
/// connects.
#[derive(Debug)]
pub enum MaybeTlsStream<S> {
    /// No TLS.
    Plain(S),
    /// TLS, client or server side.
    Tls(Box<tokio_rustls::TlsStream<S>>),
}

impl<S> MaybeTlsStream<S> {
    /// The transport under TLS.
    pub fn get_ref(&self) -> &S {
        match self {
            MaybeTlsStream::Plain(io) => io,
            MaybeTlsStream::Tls(tls) => tls.get_ref().0,
        }
    }

    /// The transport under TLS.
    pub fn get_mut(&mut self) -> &mut S {
        match self {
            MaybeTlsStream::Plain(io) => io,
            MaybeTlsStream::Tls(tls) => tls.get_mut().0,
        }
    }

    /// `true` with TLS.
    pub fn is_tls(&self) -> bool {
        matches!(self, MaybeTlsStream::Tls(_))
    }

    /// The ALPN protocol agreed, with TLS.
    pub fn alpn_protocol(&self) -> Option<&[u8]> {
        match self {
            MaybeTlsStream::Plain(_) => None,
            MaybeTlsStream::Tls(tls) => tls.get_ref().1.alpn_protocol(),
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for MaybeTlsStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            MaybeTlsStream::Plain(io) => Pin::new(io).poll_read(cx, buf),
            MaybeTlsStream::Tls(tls) => Pin::new(tls.as_mut()).poll_read(cx, buf),
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for MaybeTlsStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            MaybeTlsStream::Plain(io) => Pin::new(io).poll_write(cx, buf),
            MaybeTlsStream::Tls(tls) => Pin::new(tls.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            MaybeTlsStream::Plain(io) => Pin::new(io).poll_write_vectored(cx, bufs),
            MaybeTlsStream::Tls(tls) => Pin::new(tls.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            MaybeTlsStream::Plain(io) => io.is_write_vectored(),
            MaybeTlsStream::Tls(tls) => tls.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            MaybeTlsStream::Plain(io) => Pin::new(io).poll_flush(cx),
            MaybeTlsStream::Tls(tls) => Pin::new(tls.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            MaybeTlsStream::Plain(io) => Pin::new(io).poll_shutdown(cx),
            MaybeTlsStream::Tls(tls) => Pin::new(tls.as_mut()).poll_shutdown(cx),
        }
    }
}
