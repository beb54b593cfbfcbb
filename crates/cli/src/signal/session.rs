//! One signaling WebSocket: what it reads goes to the [`Hub`], what the
//! hub queues for it goes out.
//!
//! The reader and the writer run side by side, so a peer that sends while
//! it does not read is still heard until its outbox fills (then the hub
//! cuts it off, see [`super::hub`]: the writer gives up the write it waits
//! on, sends close 1008 within [`CLOSE_LINGER`], and the session ends
//! even if the peer goes on sending). rtw-ws's own timers bound the rest:
//! pings every 30 s with 30 s to answer (1011), 60 s to finish a message
//! (1008), a capped write buffer.

use std::sync::Arc;
use std::time::Duration;

use super::hub::{Hub, Outbox, Outgoing};
use crate::metrics_endpoint::ServerMetrics;
use futures_util::{SinkExt, StreamExt};
use rtw_tokio::drain::Drain;
use rtw_tokio::ws::{CloseCode, CloseFrame, Message, WebSocketStream};
use tokio::io::{AsyncRead, AsyncWrite};

/// How long a session that is being closed gets to send its close frame,
/// and then to read the peer's, before the connection is dropped.
pub(super) const CLOSE_LINGER: Duration = Duration::from_secs(2);

/// Run one session to its end, counting its messages in and out, its
/// errors and its cut-off as a slow reader in `counters`.
/// When `drain` starts, the peer is closed with 1001 Going Away (RFC 6455
/// §7.4.1, reason `server shutting down`).
pub(super) async fn run<S>(
    ws: WebSocketStream<S>,
    hub: Hub,
    drain: Drain,
    counters: Arc<ServerMetrics>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let Some((id, outbox)) = hub.connect().await else {
        return;
    };
    let (mut reader, writer) = ws.split();
    let mut writing = tokio::spawn(write(writer, outbox, drain, counters.clone()));
    let written = loop {
        tokio::select! {
            message = reader.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    counters.received(text.len());
                    hub.text(id, text.into_bytes()).await;
                }
                Some(Ok(Message::Binary(_))) => {
                    // The protocol is JSON text; binary is refused like any
                    // other unsupported data (RFC 6455 §7.4.1).
                    counters.error();
                    break false;
                }
                Some(Ok(_)) => {}
                Some(Err(_)) => {
                    counters.error();
                    break false;
                }
                None => break false,
            },
            // The writer ended (a close the hub asked for, or a cut-off):
            // what the peer still sends is not for the hub any more.
            _ = &mut writing => break true,
        }
    };
    hub.disconnect(id).await;
    if written {
        // The peer's close frame, if it answers ours in time.
        let _ = tokio::time::timeout(CLOSE_LINGER, async {
            while let Some(Ok(_)) = reader.next().await {}
        })
        .await;
    } else {
        let _ = writing.await;
    }
}

/// Send what the hub queues, until it closes the outbox or tells us to
/// close; then release what is left in it.
async fn write<W>(writer: W, mut outbox: Outbox, drain: Drain, counters: Arc<ServerMetrics>)
where
    W: futures_util::Sink<Message> + Unpin,
{
    send_all(writer, &mut outbox, drain, &counters).await;
    outbox.receiver.close();
    while let Ok(left) = outbox.receiver.try_recv() {
        if let Outgoing::Text(text) = left {
            outbox.queued.release(text.len());
        }
    }
}

async fn send_all<W>(mut writer: W, outbox: &mut Outbox, drain: Drain, counters: &ServerMetrics)
where
    W: futures_util::Sink<Message> + Unpin,
{
    let mut draining = std::pin::pin!(drain.draining());
    let close = loop {
        let next = tokio::select! {
            biased;
            () = &mut draining => Some(Outgoing::Close(1001, "server shutting down")),
            next = outbox.receiver.recv() => next,
        };
        match next {
            Some(Outgoing::Text(text)) => {
                let len = text.len();
                let sent = match rtw_ws::Utf8Bytes::try_from(text) {
                    Ok(text) => tokio::select! {
                        sent = writer.send(Message::Text(text)) => Some(sent.is_ok()),
                        // Cut off as a slow reader while this waits.
                        () = outbox.queued.cut.notified() => None,
                    },
                    Err(_) => Some(true),
                };
                outbox.queued.release(len);
                match sent {
                    Some(true) => counters.sent(len),
                    Some(false) => return counters.error(),
                    None => {
                        counters.dropped();
                        break (1008, "too slow reading");
                    }
                }
            }
            Some(Outgoing::Close(code, reason)) => break (code, reason),
            // The hub dropped us: our outbox was full (a slow reader: the
            // hub notified `cut`), or the reader ended and the hub forgot us.
            None => {
                if futures_util::FutureExt::now_or_never(outbox.queued.cut.notified()).is_some() {
                    counters.dropped();
                }
                break (1008, "too slow reading");
            }
        }
    };
    let frame = CloseFrame::new(CloseCode::from(close.0), close.1);
    // A peer that does not read cannot take it: bounded.
    let _ = tokio::time::timeout(CLOSE_LINGER, async {
        let _ = writer.send(Message::Close(Some(frame))).await;
        let _ = writer.close().await;
    })
    .await;
}
