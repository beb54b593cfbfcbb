//! Reading an opening handshake head (RFC 6455 §4) off a transport, within
//! the head limits and a timeout.

use std::future::Future;
use std::time::Duration;

use bytes::{Buf, BytesMut};
use rtw_ws::handshake::HandshakeError;
use tokio::io::{AsyncRead, AsyncReadExt};

use super::error::WsError;

/// How much a read during the handshake asks for.
const HEAD_READ_SIZE: usize = 4096;

/// Read until `parse` finds a complete head at the start of `buf`. The
/// head is consumed from `buf`; what follows it (the peer's first frames)
/// stays. `parse` enforces the head limits
/// ([`Limits`](rtw_ws::Limits) `max_head_bytes`, `max_headers`): it fails
/// instead of asking for more once the limit is buffered.
pub(super) async fn read_head<S, T, P>(
    io: &mut S,
    buf: &mut BytesMut,
    parse: P,
) -> Result<T, WsError>
where
    S: AsyncRead + Unpin,
    P: Fn(&[u8]) -> Result<Option<(T, usize)>, HandshakeError>,
{
    loop {
        if !buf.is_empty() {
            if let Some((head, used)) = parse(buf)? {
                buf.advance(used);
                return Ok(head);
            }
        }
        buf.reserve(HEAD_READ_SIZE);
        if io.read_buf(buf).await? == 0 {
            return Err(WsError::HandshakeClosed);
        }
    }
}

/// Run `work` within `limit`, if there is one.
pub(super) async fn within<T, F>(limit: Option<Duration>, work: F) -> Result<T, WsError>
where
    F: Future<Output = Result<T, WsError>>,
{
    match limit {
        None => work.await,
        Some(limit) => tokio::time::timeout(limit, work)
            .await
            .map_err(|_| WsError::HandshakeTimeout)?,
    }
}
