//! The client: connect to a `ws://` URL (RFC 6455 §3, §4.1), a `ws://` or
//! `wss://` one (feature `tls`), or run the client handshake over a
//! transport of the caller's.

use bytes::BytesMut;
use http::Uri;
use rtw_ws::Role;
use rtw_ws::handshake::{ClientHandshake, ClientNegotiated, WsUri};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use super::error::WsError;
use super::head::{read_head, within};
use super::options::{ClientOptions, Options};
use super::stream::WebSocketStream;
use crate::OsRandom;
#[cfg(feature = "tls")]
use crate::tls::MaybeTlsStream;

/// Connect to `url` (`ws://host[:port]/path?query`, RFC 6455 §3) over TCP
/// with default options, returning the stream and what the server agreed
/// to. `wss://` fails with [`WsError::TlsUnsupported`]: `connect_any`
/// (feature `tls`) connects to both.
///
/// ```no_run
/// # async fn demo() -> Result<(), rtw_tokio::ws::WsError> {
/// use futures_util::{SinkExt, StreamExt};
/// use rtw_ws::Message;
///
/// let (mut ws, _) = rtw_tokio::ws::connect("ws://127.0.0.1:9002/").await?;
/// ws.send(Message::text("hello")).await?;
/// if let Some(reply) = ws.next().await.transpose()? {
///     println!("{reply:?}");
/// }
/// ws.close().await
/// # }
/// ```
pub async fn connect(url: &str) -> Result<(WebSocketStream<TcpStream>, ClientNegotiated), WsError> {
    connect_with(url, ClientOptions::new()).await
}

/// [`connect`] with subprotocols, extra header fields and stream options.
/// [`Options::handshake_timeout`] covers the TCP connection too.
pub async fn connect_with(
    url: &str,
    options: ClientOptions,
) -> Result<(WebSocketStream<TcpStream>, ClientNegotiated), WsError> {
    let uri: Uri = url
        .parse()
        .map_err(|e: http::uri::InvalidUri| WsError::InvalidUrl {
            url: url.to_owned(),
            reason: e.to_string(),
        })?;
    let target = WsUri::parse(&uri)?;
    if target.secure {
        return Err(WsError::TlsUnsupported {
            url: url.to_owned(),
        });
    }
    let handshake = options
        .apply(ClientHandshake::builder_from_uri(&uri))
        .build(&mut OsRandom::new()?)?;
    let stream_options = options.options.clone();
    within(stream_options.handshake_timeout, async {
        let tcp = TcpStream::connect((target.host.as_str(), target.port)).await?;
        tcp.set_nodelay(options.wants_nodelay())?;
        handshake_over(tcp, &handshake, stream_options.clone()).await
    })
    .await
}

/// Connect to a `ws://` or `wss://` URL (RFC 6455 §3) with `options`: for
/// `wss://`, TLS with the URL's host as the server name (SNI, and the
/// name the certificate must be valid for), trusting what
/// [`ClientOptions::tls`] says, else the platform's roots. A certificate
/// that does not match fails with [`WsError::Tls`], whose message gives
/// rustls' reason. [`Options::handshake_timeout`] covers TCP, TLS and the
/// opening handshake.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use rtw_tokio::tls::{Trust, client_config};
/// use rtw_tokio::ws::{ClientOptions, connect_any};
///
/// let tls = client_config(&Trust::ca_only("ca.pem"))?;
/// let (ws, _) = connect_any("wss://localhost:8443/chat", ClientOptions::new().tls(tls)).await?;
/// # let _ = ws;
/// # Ok(())
/// # }
/// ```
#[cfg(feature = "tls")]
pub async fn connect_any(
    url: &str,
    options: ClientOptions,
) -> Result<(WebSocketStream<MaybeTlsStream<TcpStream>>, ClientNegotiated), WsError> {
    let uri: Uri = url
        .parse()
        .map_err(|e: http::uri::InvalidUri| WsError::InvalidUrl {
            url: url.to_owned(),
            reason: e.to_string(),
        })?;
    let target = WsUri::parse(&uri)?;
    let tls = if target.secure {
        Some(match options.tls_config() {
            Some(config) => config.clone(),
            None => crate::tls::platform_client_config()?,
        })
    } else {
        None
    };
    let handshake = options
        .apply(ClientHandshake::builder_from_uri(&uri))
        .build(&mut OsRandom::new()?)?;
    let stream_options = options.options.clone();
    within(stream_options.handshake_timeout, async {
        let tcp = TcpStream::connect((target.host.as_str(), target.port)).await?;
        tcp.set_nodelay(options.wants_nodelay())?;
        let io = match tls {
            Some(config) => crate::tls::connect(config, &target.host, tcp)
                .await
                .map_err(|error| WsError::Tls {
                    host: target.host.clone(),
                    error,
                })?,
            None => MaybeTlsStream::Plain(tcp),
        };
        handshake_over(io, &handshake, stream_options.clone()).await
    })
    .await
}

/// Run the client's opening handshake (RFC 6455 §4.1) over `io` (a TLS
/// stream, a proxy tunnel, a Unix socket...): write
/// [`ClientHandshake::request_bytes`], read and check the response head,
/// and return the stream with what the server agreed to. Bytes the server
/// sent right behind its head are kept as its first frames.
pub async fn client_from_stream<S>(
    io: S,
    handshake: &ClientHandshake,
    options: Options,
) -> Result<(WebSocketStream<S>, ClientNegotiated), WsError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    within(
        options.handshake_timeout,
        handshake_over(io, handshake, options.clone()),
    )
    .await
}

async fn handshake_over<S>(
    mut io: S,
    handshake: &ClientHandshake,
    options: Options,
) -> Result<(WebSocketStream<S>, ClientNegotiated), WsError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    io.write_all(&handshake.request_bytes()).await?;
    io.flush().await?;
    let mut buf = BytesMut::new();
    let negotiated = read_head(&mut io, &mut buf, |b| handshake.read_response(b)).await?;
    #[cfg(feature = "deflate")]
    let options = {
        let mut options = options;
        // The handshake may have been built by the caller with its own
        // offer: check the response against the offer we would make.
        let config = options.deflate.clone().unwrap_or_default();
        options.negotiated = config.accept_response(&negotiated.extensions)?;
        options
    };
    let stream = WebSocketStream::from_raw_parts(io, Role::Client, options, buf)?;
    Ok((stream, negotiated))
}
