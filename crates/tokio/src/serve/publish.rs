//! `POST /topics/{topic}`: publish the request body.

use bytes::{Bytes, BytesMut};
use http::header::{CONNECTION, CONTENT_LENGTH, CONTENT_TYPE};
use http::{HeaderMap, HeaderValue, Response, StatusCode};
use http_body_util::BodyExt;

use super::reply::{self, ServeBody};
use super::service::Inner;

/// Reads the body (text: `text/*`, `application/json`,
/// `application/x-www-form-urlencoded` (what `curl -d` and HTML forms
/// send; kept as sent, not decoded) or no `Content-Type`; UTF-8; at most `max_body` bytes within `body_timeout`)
/// and publishes it: `{"id":N}`. 415 for another media type, 413 over the
/// size (with `Connection: close`, the rest unread), 400 for a body that
/// is not UTF-8 or a bad topic, 408 when the body is late; 503 with
/// `Retry-After: 1` and `Connection: close` once the server drains
/// ([`ServeConfig::drain`](super::ServeConfig::drain)): its subscribers'
/// streams are ending, so a message taken then might reach none of them
/// (the publisher retries on the server that comes back).
pub(crate) async fn publish<B>(
    inner: &Inner,
    topic: &str,
    headers: &HeaderMap,
    body: B,
) -> Response<ServeBody>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
{
    if let Some(media) = headers.get(CONTENT_TYPE) {
        let media = media.to_str().unwrap_or("");
        let essence = media.split(';').next().unwrap_or("").trim();
        let text = essence
            .get(..5)
            .is_some_and(|p| p.eq_ignore_ascii_case("text/"))
            || essence.eq_ignore_ascii_case("application/json")
            || essence.eq_ignore_ascii_case("application/x-www-form-urlencoded");
        if !text {
            return reply::text(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format_args!(
                    "unsupported media type {media:?}: messages are text (text/*, application/json, application/x-www-form-urlencoded)"
                ),
            );
        }
    }
    let max = inner.config.limits.max_body;
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return too_large(max);
    }
    let read = async {
        let mut body = std::pin::pin!(body);
        let mut buf = BytesMut::new();
        while let Some(frame) = body.frame().await {
            let Ok(frame) = frame else {
                return Err(reply::text(
                    StatusCode::BAD_REQUEST,
                    "request body: read error",
                ));
            };
            if let Some(data) = frame.data_ref() {
                if buf.len() + data.len() > max {
                    return Err(too_large(max));
                }
                buf.extend_from_slice(data);
            }
        }
        Ok(buf.freeze())
    };
    let data = match tokio::time::timeout(inner.config.limits.body_timeout, read).await {
        Ok(Ok(data)) => data,
        Ok(Err(response)) => return response,
        Err(_) => {
            let mut response = reply::text(
                StatusCode::REQUEST_TIMEOUT,
                "request body not received in time",
            );
            close(&mut response);
            return response;
        }
    };
    inner
        .metrics
        .received(super::metrics::Label::Http, data.len() as u64);
    if std::str::from_utf8(&data).is_err() {
        return reply::text(StatusCode::BAD_REQUEST, "the message is not UTF-8 text");
    }
    let Some(_entered) = inner.publishing.enter(&inner.config.drain) else {
        let mut response = reply::busy(super::gate::SHUTTING_DOWN);
        close(&mut response);
        return response;
    };
    match inner.hub.send(topic, data).await {
        Ok(id) => {
            inner.metrics.published(super::metrics::Label::Http);
            reply::json(format!("{{\"id\":{id}}}"))
        }
        Err(super::PublishError::Hub(e)) => reply::hub_error(&e),
        Err(e) => reply::busy(&e.to_string()),
    }
}

fn too_large(max: usize) -> Response<ServeBody> {
    let mut response = reply::text(
        StatusCode::PAYLOAD_TOO_LARGE,
        format_args!("the message is larger than {max} bytes"),
    );
    close(&mut response);
    response
}

fn close(response: &mut Response<ServeBody>) {
    response
        .headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
}
