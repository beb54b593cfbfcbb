//! The demo page (`GET /`) and the JavaScript client (`GET /rtw.js`),
//! built into the binary.
//!
//! `assets/index.html` shows one column per transport, each receiving the
//! same topic with its own few lines of code: short polling, long polling,
//! HTTP streaming read with `fetch()`, a hidden iframe posting each message
//! to the page (WHATWG HTML, "Cross-document messaging", `event.origin`
//! checked), `EventSource` (WHATWG HTML, "Server-sent events"), WebSocket
//! (RFC 6455), a 30-line STOMP 1.2 client over WebSocket, and `rtw.js`;
//! beside them a box to publish and the M-JPEG `<img>`. Every URL is
//! relative to the page, so the service works mounted under a prefix. Its
//! state is `window.rtwDemo` (`received`, `data`, `ready`, `errors`,
//! `cuts`, `cutAll()`), and with `?report=URL&expect=N` (or `deadline=S`)
//! it POSTs that state as JSON for browser tests; `?cut_at=K` cuts every
//! connection once after K messages per column, each column then resuming
//! from the last id it saw. The comment at the top of its script lists the
//! query parameters.
//!
//! `assets/rtw.js` is `rtw.subscribe(topic, onMessage, options)`: WebSocket,
//! else Server-Sent Events, else long polling, resuming from the last id
//! and never delivering an id twice; and `rtw.publish(topic, text)`. Plain
//! ES2017 without dependencies; its header comment is its documentation.

/// The demo page, `text/html; charset=utf-8`.
pub(crate) const INDEX_HTML: &str = include_str!("assets/index.html");

/// The client, `text/javascript; charset=utf-8`.
pub(crate) const RTW_JS: &str = include_str!("assets/rtw.js");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assets_are_built_in() {
        assert!(INDEX_HTML.starts_with("<!doctype html>"));
        assert!(INDEX_HTML.contains(r#"<script src="rtw.js"></script>"#));
        assert!(RTW_JS.contains("root.rtw = { subscribe: subscribe, publish: publish"));
    }
}
