//! One STOMP transport: a TCP byte stream (with TLS or without), or a
//! WebSocket (`ws://` or `wss://`) whose messages
//! carry the frames (each message one or more whole frames or a
//! heart-beat EOL, text when it is UTF-8 and binary otherwise; STOMP over
//! WebSocket sends its frames as message payloads).

use bytes::{Bytes, BytesMut};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::Error;
use crate::tls::MaybeTlsStream;
use crate::ws::{Message, WebSocketStream};

/// A connection STOMP frames travel on.
#[derive(Debug)]
pub(super) enum Transport {
    /// STOMP over TCP (the spec's own transport), or TLS over TCP.
    Tcp(MaybeTlsStream<TcpStream>),
    /// STOMP over WebSocket, subprotocol `v12.stomp`, `v11.stomp` or
    /// `v10.stomp`.
    Ws(Box<WebSocketStream<MaybeTlsStream<TcpStream>>>),
}

/// Bytes one TCP read asks for.
const READ_CHUNK: usize = 16 * 1024;

impl Transport {
    /// Read what comes next into `buf`: `Ok(false)` at the end of the
    /// stream (TCP EOF, a WebSocket close).
    pub(super) async fn read(&mut self, buf: &mut BytesMut) -> Result<bool, Error> {
        match self {
            Transport::Tcp(tcp) => {
                buf.reserve(READ_CHUNK);
                Ok(tcp.read_buf(buf).await? > 0)
            }
            Transport::Ws(ws) => loop {
                match ws.next().await {
                    Some(Ok(Message::Text(text))) => {
                        buf.extend_from_slice(text.as_bytes());
                        return Ok(true);
                    }
                    Some(Ok(Message::Binary(bytes))) => {
                        buf.extend_from_slice(&bytes);
                        return Ok(true);
                    }
                    Some(Ok(Message::Close(_))) | None => return Ok(false),
                    Some(Ok(_)) => {}
                    Some(Err(e)) => return Err(e.into()),
                }
            },
        }
    }

    /// Write `bytes` (whole frames or an EOL).
    pub(super) async fn write(&mut self, bytes: Bytes) -> Result<(), Error> {
        match self {
            Transport::Tcp(tcp) => {
                tcp.write_all(&bytes).await?;
                Ok(())
            }
            Transport::Ws(ws) => {
                // A clone of `Bytes` shares the buffer: nothing is copied.
                let message = match rtw_ws::Utf8Bytes::try_from(bytes.clone()) {
                    Ok(text) => Message::Text(text),
                    Err(_) => Message::Binary(bytes),
                };
                ws.send(message).await.map_err(Error::from)
            }
        }
    }

    /// End the connection: a WebSocket close handshake, or TCP's FIN.
    pub(super) async fn close(&mut self) {
        match self {
            Transport::Tcp(tcp) => {
                let _ = tcp.shutdown().await;
            }
            Transport::Ws(ws) => {
                let _ = ws.close().await;
            }
        }
    }
}
