//! The one response body type and the small answers every route shares.

use std::convert::Infallible;

use bytes::Bytes;
use http::header::{ALLOW, CACHE_CONTROL, CONTENT_TYPE, RETRY_AFTER};
use http::{HeaderValue, Response, StatusCode};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use rtw_hub::Message;

/// The body of every response of a [`ServeService`](super::ServeService):
/// boxed, so that whole answers, streams, event streams and the M-JPEG
/// stream are one type. `Send` (a hyper connection task can own it), not
/// `Sync`.
pub type ServeBody = UnsyncBoxBody<Bytes, Infallible>;

/// A whole body.
pub(crate) fn full(data: impl Into<Bytes>) -> ServeBody {
    Full::new(data.into()).boxed_unsync()
}

/// A response with `status` and a one-line `text/plain` body (the line
/// ends with `\n`).
pub(crate) fn text(status: StatusCode, line: impl std::fmt::Display) -> Response<ServeBody> {
    let mut response = Response::new(full(format!("{line}\n")));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// 204 No Content.
pub(crate) fn no_content() -> Response<ServeBody> {
    let mut response = Response::new(full(""));
    *response.status_mut() = StatusCode::NO_CONTENT;
    response
}

/// 405 with `Allow` (RFC 9110 §15.5.6).
pub(crate) fn method_not_allowed(allow: &'static str) -> Response<ServeBody> {
    let mut response = text(
        StatusCode::METHOD_NOT_ALLOWED,
        format_args!("method not allowed: {allow}"),
    );
    response
        .headers_mut()
        .insert(ALLOW, HeaderValue::from_static(allow));
    response
}

/// 503 with `Retry-After: 1` (RFC 9110 §10.2.3): a limit of the service.
pub(crate) fn busy(what: &str) -> Response<ServeBody> {
    let mut response = text(StatusCode::SERVICE_UNAVAILABLE, what);
    response
        .headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

/// The answer to a hub error: its status (`rtw_hub::Error::http_status`)
/// and its message.
pub(crate) fn hub_error(e: &rtw_hub::Error) -> Response<ServeBody> {
    let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    text(status, e)
}

/// A `200 OK` JSON response that no cache keeps.
pub(crate) fn json(body: String) -> Response<ServeBody> {
    let mut response = Response::new(full(body));
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A message's data as text: published messages are UTF-8 (the HTTP and
/// WebSocket transports check it); anything else is shown with U+FFFD.
pub(crate) fn data_text(message: &Message) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(&message.data)
}

/// `{"id":N,"data":"..."}`, the JSON object of one message in every
/// transport but SSE.
pub(crate) fn message_json(message: &Message) -> String {
    let data = serde_json::to_string(&*data_text(message)).expect("a string serializes");
    format!("{{\"id\":{},\"data\":{data}}}", message.id)
}

/// `{"missed":[FROM,TO]}`: the first item of a resumed stream whose `since`
/// is older than the history (the module docs, "Resuming").
pub(crate) fn missed_json((from, to): (rtw_hub::MessageId, rtw_hub::MessageId)) -> String {
    format!("{{\"missed\":[{from},{to}]}}")
}

/// The `Rtw-Missed: FROM-TO` header value of a poll answer that missed
/// messages.
pub(crate) fn missed_header((from, to): (rtw_hub::MessageId, rtw_hub::MessageId)) -> HeaderValue {
    HeaderValue::from_str(&format!("{from}-{to}")).expect("digits and a dash")
}

/// The name of the header [`missed_header`] fills.
pub(crate) const MISSED_HEADER: &str = "rtw-missed";
