//! Iframe streaming, `GET /topics/{topic}/iframe?since=N&origin=O`: an
//! HTML document that grows by one `<script>` per message, each calling
//! `parent.postMessage` (WHATWG HTML, "Cross-document messaging").

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use http::{HeaderMap, HeaderValue, Response};

use super::cors;
use super::query::Query;
use super::reply::{self, ServeBody};
use super::service::Inner;
use super::stream::{Item, body, items, open, until_age};

/// Bytes of padding after the head: browsers wait for about 1 KiB (some
/// sniff 512 bytes, older ones buffered more) before they render and run
/// the first script of a document that is still loading.
pub(crate) const PADDING: usize = 2048;

/// The document: a head, [`PADDING`] bytes of comment, then per message
/// `<script>parent.postMessage({"id":N,"data":"..."}, ORIGIN)</script>`
/// (`{"missed":[A,B]}` first for a resume older than the history). The
/// JSON has every `<` written `\u003c`, so no data ends the script. ORIGIN
/// is `?origin=` when that origin may use the service (the allow-list, or
/// the request's own host), else `"/"`: the iframe's own origin, so only a
/// same-origin parent receives the messages. The document ends at
/// `max_stream_age`.
pub(crate) fn iframe(
    inner: &Inner,
    topic: &str,
    query: &Query,
    headers: &HeaderMap,
) -> Response<ServeBody> {
    let target = query
        .origin
        .as_deref()
        .filter(|o| {
            inner
                .config
                .allowed_origins
                .iter()
                .any(|a| a.eq_ignore_ascii_case(o))
                || cors::is_same_origin(o, headers)
        })
        .unwrap_or("/");
    let target = escape(&serde_json::to_string(target).expect("a string serializes"));
    let (sub, permit) = match open(inner, topic, query.since) {
        Ok(opened) => opened,
        Err(response) => return *response,
    };
    let mut head = String::from(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>rtw iframe stream</title></head><body>\n<!--",
    );
    head.extend(std::iter::repeat_n(' ', PADDING));
    head.push_str("-->\n");
    let label = super::metrics::Label::Transport(super::Transport::Iframe);
    let items = items(sub, permit, inner, label);
    let scripts = until_age(items, inner.config.limits.max_stream_age).map(move |item| {
        let json = match item {
            Item::Missed(range) => reply::missed_json(range),
            Item::Message(message) => reply::message_json(&message),
        };
        Bytes::from(format!(
            "<script>parent.postMessage({}, {target});</script>\n",
            escape(&json)
        ))
    });
    let chunks = stream::iter([Bytes::from(head)]).chain(scripts);
    let mut response = Response::new(body(chunks));
    let h = response.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

/// JSON with `<` as `\u003c` (still the same JSON, and no `</script>` or
/// `<!--` inside a script element, WHATWG HTML "Restrictions for contents
/// of script elements").
fn escape(json: &str) -> String {
    json.replace('<', "\\u003c")
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_script_ends() {
        assert_eq!(
            super::escape(r#"{"data":"</script><!--"}"#),
            r#"{"data":"\u003c/script>\u003c!--"}"#
        );
    }
}
