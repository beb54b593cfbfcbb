//! Engine.IO's WebSocket transport: `GET
//! /socket.io/?EIO=4&transport=websocket[&sid=..]`, upgraded, its frames
//! shuttled between the connection and the Engine.IO server.

use std::sync::Arc;

use ::http::{Request, Response};
use futures_util::{SinkExt, StreamExt};
use rtw_engineio::{Message as EioMessage, Query, Response as EioResponse, WsId};
use tokio::sync::mpsc;

use super::driver::WsOut;
use super::{Shared, http::answer};
use crate::serve::reply::ServeBody;
use crate::serve::service::Inner;
use crate::serve::ws::{Ws, upgrade};
use crate::ws::Message;

/// Opens the Engine.IO WebSocket connection (its error answered as
/// polling's), then upgrades; a failed upgrade closes it again.
pub(crate) fn websocket<B>(
    inner: &Inner,
    shared: &Arc<Shared>,
    query: &Query,
    request: &mut Request<B>,
) -> Response<ServeBody> {
    let (tx, rx) = mpsc::unbounded_channel();
    let opened = shared.with(|s, now| {
        let opened = s.eio.handle_ws_open(now, query);
        if let Ok(conn) = opened {
            s.ws.insert(conn, tx);
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
    upgrade(inner, request, &[], move |ws, _| run(ws, guard, rx))
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

async fn run(mut ws: Ws, guard: Conn, mut rx: mpsc::UnboundedReceiver<WsOut>) {
    loop {
        tokio::select! {
            out = rx.recv() => match out {
                Some(WsOut::Message(EioMessage::Text(text))) => {
                    if ws.send(Message::text(text)).await.is_err() {
                        break;
                    }
                }
                Some(WsOut::Message(EioMessage::Binary(bytes))) => {
                    if ws.send(Message::binary(bytes)).await.is_err() {
                        break;
                    }
                }
                Some(WsOut::Close) | None => {
                    if ws.send(Message::Close(None)).await.is_ok() {
                        while let Some(Ok(_)) = ws.next().await {}
                    }
                    break;
                }
            },
            incoming = ws.next() => {
                let message = match incoming {
                    Some(Ok(Message::Text(text))) => EioMessage::Text(text.as_str().to_owned()),
                    Some(Ok(Message::Binary(bytes))) => EioMessage::Binary(bytes),
                    Some(Ok(_)) => continue,
                    Some(Err(_)) | None => break,
                };
                let conn = guard.conn;
                guard.shared.with(|s, now| s.eio.handle_ws_message(now, conn, message));
            }
        }
    }
    drop(guard);
}
