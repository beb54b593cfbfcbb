//! Engine.IO's WebSocket transport: `GET
//! /socket.io/?EIO=4&transport=websocket[&sid=..]`, upgraded, its frames
//! shuttled between the connection and the Engine.IO server.

use std::sync::Arc;

use ::http::{Request, Response};
use futures_util::{SinkExt, StreamExt};
use rtw_engineio::{Message as EioMessage, Query, Response as EioResponse, WsId};
use std::collections::VecDeque;

use super::driver::WsQueue;
use super::{Shared, http::answer};
use crate::serve::reply::ServeBody;
use crate::serve::service::Inner;
use crate::serve::ws::{Ws, upgrade};
use crate::ws::{CloseCode, CloseFrame, Message};

/// Opens the Engine.IO WebSocket connection (its error answered as
/// polling's), then upgrades; a failed upgrade closes it again.
pub(crate) fn websocket<B>(
    inner: &Inner,
    shared: &Arc<Shared>,
    query: &Query,
    request: &mut Request<B>,
) -> Response<ServeBody> {
    let queue = Arc::new(WsQueue::default());
    let opened = shared.with(|s, now| {
        let opened = s.eio.handle_ws_open(now, query);
        if let Ok(conn) = opened {
            s.ws.insert(conn, queue.clone());
        }
        opened
    });
    let conn = match opened {
        Ok(conn) => conn,
        Err(e) => return answer(EioResponse::Error(e)),
    };
    let guard = Conn {
        shared: shared.clone(),
        conn,
    };
    upgrade(inner, super::driver::LABEL, request, &[], move |ws, _| {
        run(Box::new(ws), guard, queue)
    })
}

/// An open Engine.IO WebSocket connection; dropped, it is closed.
struct Conn {
    shared: Arc<Shared>,
    conn: WsId,
}

impl Drop for Conn {
    fn drop(&mut self) {
        let conn = self.conn;
        self.shared.with(|s, now| {
            s.ws.remove(&conn);
            s.eio.handle_ws_close(now, conn);
        });
    }
}

/// Shuttles the connection's frames: what the client sends to the
/// Engine.IO server, one locked call each; what is queued for it written
/// all at once (one flush per wake-up). The stream is boxed: an async
/// fn's future holds its arguments and its locals apart, so a stream
/// taken by value would take twice its size there.
async fn run(mut ws: Box<Ws>, guard: Conn, queue: Arc<WsQueue>) {
    let mut out = VecDeque::new();
    loop {
        tokio::select! {
            biased;
            closing = std::future::poll_fn(|cx| queue.poll_take(cx, &mut out)) => {
                if write(&mut ws, &mut out).await.is_err() {
                    guard.shared.metrics.error(super::driver::LABEL);
                    break;
                }
                if closing {
                    // 1001 Going Away when the server drains (RFC 6455
                    // §7.4.1); no code otherwise, as Engine.IO closes.
                    let frame = guard.shared.draining().then(|| {
                        CloseFrame::new(CloseCode::GOING_AWAY, "server shutting down")
                    });
                    if ws.send(Message::Close(frame)).await.is_ok() {
                        while let Some(Ok(_)) = ws.next().await {}
                    }
                    break;
                }
            }
            incoming = ws.next() => {
                let message = match incoming {
                    Some(Ok(Message::Text(text))) => EioMessage::Text(text.as_str().to_owned()),
                    Some(Ok(Message::Binary(bytes))) => EioMessage::Binary(bytes),
                    Some(Ok(_)) => continue,
                    Some(Err(_)) => {
                        guard.shared.metrics.error(super::driver::LABEL);
                        break;
                    }
                    None => break,
                };
                let conn = guard.conn;
                queue.forget_waker();
                guard.shared.with(|s, now| s.eio.handle_ws_message(now, conn, message));
            }
        }
    }
    drop(guard);
}

/// Writes `out` (emptied) with one flush at the end.
async fn write(ws: &mut Ws, out: &mut VecDeque<EioMessage>) -> Result<(), crate::ws::WsError> {
    if out.is_empty() {
        return Ok(());
    }
    while let Some(message) = out.pop_front() {
        let message = match message {
            EioMessage::Text(text) => Message::text(text),
            EioMessage::Binary(bytes) => Message::binary(bytes),
        };
        ws.feed(message).await?;
    }
    ws.flush().await
}
