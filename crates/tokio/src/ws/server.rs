//! The server: accept a WebSocket on a transport (RFC 6455 §4.2).

use bytes::BytesMut;
use rtw_ws::Role;
use rtw_ws::handshake::{AcceptPolicy, DefaultPolicy, ServerHandshake, ServerNegotiated};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

use super::error::WsError;
use super::head::{read_head, within};
use super::options::Options;
use super::stream::WebSocketStream;

/// Accept a WebSocket on `io` (an accepted `TcpStream`, say) with
/// [`ServerHandshake::new`] (every origin, no subprotocol) and default
/// options, which accept permessage-deflate (RFC 7692) when the client
/// offers it and the `deflate` feature is on.
///
/// A server open to untrusted clients takes its sockets from
/// `rtw_tokio::listener::Listener` (feature `listener`), which caps
/// connections in total and per address (503 before any upgrade) and sets
/// TCP keepalive, and shares one [`rtw_ws::MemoryBudget`] among its
/// connections through [`Options::config`]; see `rtw ws echo-server`.
///
/// ```no_run
/// # async fn demo() -> Result<(), rtw_tokio::ws::WsError> {
/// use futures_util::{SinkExt, StreamExt};
/// use rtw_ws::Message;
///
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:9002").await?;
/// let (tcp, _) = listener.accept().await?;
/// let (mut ws, _) = rtw_tokio::ws::accept(tcp).await?;
/// while let Some(message) = ws.next().await.transpose()? {
///     if let Message::Text(_) | Message::Binary(_) = message {
///         ws.send(message).await?;
///     }
/// }
/// # Ok(())
/// # }
/// ```
pub async fn accept<S>(io: S) -> Result<(WebSocketStream<S>, ServerNegotiated), WsError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    #[cfg(feature = "deflate")]
    {
        let options = Options::default();
        let policy = rtw_ws::deflate::WithDeflate::new(
            DefaultPolicy,
            options.deflate.clone().unwrap_or_default(),
        );
        accept_with(io, &ServerHandshake::with_policy(policy), options).await
    }
    #[cfg(not(feature = "deflate"))]
    accept_with::<S, DefaultPolicy>(io, &ServerHandshake::new(), Options::default()).await
}

/// Accept a WebSocket on `io`, deciding with `handshake` (its policy and
/// head limits): read the request head (RFC 6455 §4.2.1), answer 101
/// (§4.2.2), and return the stream with what was agreed. Bytes the client
/// sent right behind its head are kept as its first frames.
///
/// A request that fails the handshake is answered with
/// [`HandshakeError::rejection_bytes`](rtw_ws::handshake::HandshakeError::rejection_bytes)
/// (400, 403, 405, 426 or 431), the transport's write side is shut down,
/// and the error is returned. [`Options::handshake_timeout`] bounds the
/// whole exchange.
///
/// permessage-deflate (RFC 7692) is used when the policy accepted it (wrap
/// it in `rtw_ws::deflate::WithDeflate` for that), compressing as
/// `Options::deflate` says.
pub async fn accept_with<S, P>(
    mut io: S,
    handshake: &ServerHandshake<P>,
    options: Options,
) -> Result<(WebSocketStream<S>, ServerNegotiated), WsError>
where
    S: AsyncRead + AsyncWrite + Unpin,
    P: AcceptPolicy,
{
    let limit = options.handshake_timeout;
    within(limit, async {
        let mut buf = BytesMut::new();
        match read_head(&mut io, &mut buf, |b| handshake.read_request(b)).await {
            Ok(negotiated) => {
                // The policy wrote the response: it breaks no rule unless
                // the policy is broken, which fails here.
                let options = options.agreed(&negotiated.extensions)?;
                io.write_all(&negotiated.response_bytes()).await?;
                io.flush().await?;
                let stream = WebSocketStream::from_raw_parts(io, Role::Server, options, buf)?;
                Ok((stream, negotiated))
            }
            Err(WsError::Handshake(e)) => {
                // The error is what the caller needs; a failure to deliver
                // the rejection changes nothing for it.
                let _ = io.write_all(&e.rejection_bytes()).await;
                let _ = io.shutdown().await;
                Err(e.into())
            }
            Err(e) => Err(e),
        }
    })
    .await
}
