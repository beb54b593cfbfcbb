//! Engine.IO's long polling: `GET`/`POST
//! /socket.io/?EIO=4&transport=polling[&sid=..]`.

use std::sync::Arc;
use std::time::Duration;

use ::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use ::http::{HeaderValue, Request, Response, StatusCode};
use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use rtw_engineio::{Method, Query, Response as EioResponse, Sid};
use tokio::sync::oneshot;

use super::Shared;
use crate::serve::reply::{self, ServeBody};

/// Hands the request to the Engine.IO server; a GET it holds
/// ([`EioResponse::Wait`]) waits for its answer, and tells the server
/// when the client goes away first (hyper drops this future).
pub(crate) async fn polling<B>(
    shared: &Arc<Shared>,
    query: Query,
    request: Request<B>,
    body_timeout: Duration,
) -> Response<ServeBody>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
{
    let method = Method::from_name(request.method().as_str());
    let body = if method == Method::Post {
        // At most maxPayload + 1 bytes: the server refuses more with 413.
        let max = shared.max_payload + 1;
        let read = async {
            let mut body = std::pin::pin!(request.into_body());
            let mut buf = BytesMut::new();
            while buf.len() < max {
                match body.frame().await {
                    Some(Ok(frame)) => {
                        if let Some(data) = frame.data_ref() {
                            let take = data.len().min(max - buf.len());
                            buf.extend_from_slice(&data[..take]);
                        }
                    }
                    Some(Err(_)) => return None,
                    None => break,
                }
            }
            Some(buf.freeze())
        };
        match tokio::time::timeout(body_timeout, read).await {
            Ok(Some(body)) => body,
            Ok(None) => return reply::text(StatusCode::BAD_REQUEST, "request body: read error"),
            Err(_) => {
                return reply::text(
                    StatusCode::REQUEST_TIMEOUT,
                    "request body not received in time",
                );
            }
        }
    } else {
        Bytes::new()
    };
    let held = shared.with(
        |s, now| match s.eio.handle_request(now, method, &query, body) {
            EioResponse::Wait(sid) => {
                let (tx, rx) = oneshot::channel();
                s.held.insert(sid, tx);
                Err((sid, rx))
            }
            response => Ok(response),
        },
    );
    match held {
        Ok(response) => answer(response),
        Err((sid, rx)) => {
            let mut guard = Held {
                shared: shared.clone(),
                sid,
                done: false,
            };
            let response = rx.await;
            guard.done = true;
            match response {
                Ok(response) => answer(response),
                // The session ended without an answer for this GET.
                Err(_) => answer(EioResponse::Error(rtw_engineio::Error::UnknownSid)),
            }
        }
    }
}

/// A held GET; dropped before its answer, the client went away.
struct Held {
    shared: Arc<Shared>,
    sid: Sid,
    done: bool,
}

impl Drop for Held {
    fn drop(&mut self) {
        if !self.done {
            let sid = self.sid;
            self.shared.with(|s, now| {
                s.held.remove(&sid);
                s.eio.handle_poll_aborted(now, sid);
            });
        }
    }
}

/// The HTTP answer of an Engine.IO response (not `Wait`).
pub(crate) fn answer(response: EioResponse) -> Response<ServeBody> {
    let status = response
        .status()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let content_type = response.content_type();
    let mut http = Response::new(reply::full(response.body()));
    *http.status_mut() = status;
    let headers = http.headers_mut();
    if let Ok(value) = HeaderValue::from_str(content_type) {
        headers.insert(CONTENT_TYPE, value);
    }
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    http
}
