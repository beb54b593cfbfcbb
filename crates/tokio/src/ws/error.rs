//! The error of the WebSocket adapter.

use std::io;

use rtw_ws::handshake::HandshakeError;

/// Everything that can go wrong on a WebSocket over tokio: the transport,
/// the opening handshake (RFC 6455 §4) or the connection (RFC 6455 §5-§7).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WsError {
    /// Reading or writing the transport failed.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// The peer broke RFC 6455 (the connection was failed with
    /// [`rtw_ws::Error::close_code`], RFC 6455 §7.1.7), or the caller
    /// misused the connection (sending after close, say).
    #[error(transparent)]
    Ws(#[from] rtw_ws::Error),
    /// The opening handshake failed (RFC 6455 §4). A server has answered
    /// with [`HandshakeError::rejection_bytes`] and closed the connection.
    #[error(transparent)]
    Handshake(#[from] HandshakeError),
    /// The server's permessage-deflate response breaks RFC 7692 (§5: the
    /// client fails the connection).
    #[cfg(feature = "deflate")]
    #[error(transparent)]
    Deflate(#[from] rtw_ws::deflate::DeflateError),
    /// The opening handshake accepted an extension this stream cannot run
    /// ([`WebSocketStream::from_negotiated`](super::WebSocketStream::from_negotiated)):
    /// any but permessage-deflate, or that one without the `deflate`
    /// feature. Frames with its reserved bits would fail the connection.
    #[error("the handshake accepted extension {name:?}, which this stream cannot run")]
    UnsupportedExtension {
        /// The extension's name as accepted.
        name: String,
    },
    /// The URL to connect to is not a valid URI.
    #[error("invalid WebSocket URL {url:?}: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// Why it was refused.
        reason: String,
    },
    /// A `wss://` URL (RFC 6455 §3) given to
    /// [`connect`](super::connect) or [`connect_with`](super::connect_with),
    /// whose stream is plain TCP: `connect_any` (feature `tls`) connects
    /// to both `ws://` and `wss://`; or wrap a TLS stream yourself and use
    /// [`client_from_stream`](super::client_from_stream).
    #[error(
        "wss:// needs TLS, which connect and connect_with do not speak (use connect_any): {url}"
    )]
    TlsUnsupported {
        /// The URL as given.
        url: String,
    },
    /// The TLS handshake of a `wss://` connection failed: the reason is
    /// rustls' (`invalid peer certificate: ...` for a certificate that
    /// is not valid for the host or not signed by a trusted CA).
    #[cfg(feature = "tls")]
    #[error("TLS with {host}: {error}")]
    Tls {
        /// The host of the URL (the name the certificate must be valid for).
        host: String,
        /// What the handshake failed with.
        #[source]
        error: io::Error,
    },
    /// The client's TLS configuration could not be made (the platform's
    /// roots could not be read, say).
    #[cfg(feature = "tls")]
    #[error(transparent)]
    TlsSetup(#[from] crate::tls::TlsError),
    /// The peer closed the transport before the opening handshake was
    /// complete.
    #[error("connection closed during the opening handshake")]
    HandshakeClosed,
    /// The opening handshake took longer than
    /// [`Options::handshake_timeout`](super::Options::handshake_timeout).
    #[error("opening handshake timed out")]
    HandshakeTimeout,
}

impl WsError {
    /// The rtw-ws connection error, if that is what this is. The end of
    /// the transport without a closing handshake is
    /// [`rtw_ws::Error::AbnormalClosure`] (1006, RFC 6455 §7.1.5), a peer
    /// that did not answer our close frame in time
    /// [`rtw_ws::Error::CloseTimeout`].
    pub fn as_ws(&self) -> Option<&rtw_ws::Error> {
        match self {
            WsError::Ws(e) => Some(e),
            _ => None,
        }
    }

    /// `true` when the peer broke the protocol (RFC 6455 or its opening
    /// handshake, §4) or vanished; `false` when we were misused (sending
    /// after the close, a `wss://` URL) or the transport failed.
    pub fn is_peer_fault(&self) -> bool {
        match self {
            WsError::Ws(e) => e.is_peer_fault(),
            WsError::Handshake(e) => e.is_peer_fault(),
            #[cfg(feature = "deflate")]
            WsError::Deflate(_) => true,
            WsError::HandshakeClosed | WsError::HandshakeTimeout => true,
            // A certificate we do not trust, or a server that broke TLS.
            #[cfg(feature = "tls")]
            WsError::Tls { .. } => true,
            #[cfg(feature = "tls")]
            WsError::TlsSetup(_) => false,
            WsError::Io(_)
            | WsError::UnsupportedExtension { .. }
            | WsError::InvalidUrl { .. }
            | WsError::TlsUnsupported { .. } => false,
        }
    }

    /// The close code the connection was failed with (RFC 6455 §7.1.7,
    /// §7.4), when it was.
    pub fn close_code(&self) -> Option<rtw_ws::CloseCode> {
        self.as_ws().and_then(rtw_ws::Error::close_code)
    }
}
