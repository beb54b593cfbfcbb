//! The demo page and rtw.js of `rtw serve` (rtw_tokio::serve's assets):
//! the page references every route of the service, rtw.js defines its
//! API. The files are read as the crate builds them in (`include_str!`);
//! the browser test of the page is elsewhere.

const INDEX_HTML: &str = include_str!("../src/serve/assets/index.html");
const RTW_JS: &str = include_str!("../src/serve/assets/rtw.js");

#[test]
fn page_references_every_route() {
    assert!(!INDEX_HTML.is_empty());
    for route in [
        "url('poll'",
        "url('longpoll'",
        "timeout: 25",
        "url('stream'",
        "url('iframe'",
        "url('events'",
        "url('ws'",
        "new URL('stomp', BASE)",
        "'v12.stomp'",
        "'topics/' + T + '/' + kind",
        "img.src = 'mjpeg?fps=5'",
        r#"src="rtw.js""#,
        "rtw.publish(",
        "rtw.subscribe(",
    ] {
        assert!(INDEX_HTML.contains(route), "index.html lacks {route}");
    }
    // Test hooks.
    for hook in [
        "window.rtwDemo = demo",
        "cutAll: cutAll",
        "params.get('report')",
        "params.has('expect')",
        "params.has('deadline')",
        "params.has('cut_at')",
        "e.origin !== SERVER_ORIGIN",
        "params.get('mjpeg')",
    ] {
        assert!(INDEX_HTML.contains(hook), "index.html lacks {hook}");
    }
    // One column per transport, each in window.rtwDemo.received.
    for column in [
        "poll", "longpoll", "stream", "iframe", "sse", "ws", "stomp", "rtwjs",
    ] {
        assert!(
            INDEX_HTML.contains(&format!("['{column}', ")),
            "no column {column}"
        );
    }
}

#[test]
fn rtw_js_defines_subscribe_and_publish() {
    assert!(!RTW_JS.is_empty());
    for needle in [
        "function subscribe(topic, onMessage, options)",
        "function publish(topic, text, options)",
        "root.rtw = { subscribe: subscribe, publish: publish",
        // The three transports, in order, and the resume rule.
        "var TRANSPORTS = ['websocket', 'sse', 'longpoll'];",
        "topicUrl(base, topic, 'ws', { since: last })",
        "new EventSource(topicUrl(base, topic, 'events', { since: last })",
        "topicUrl(base, topic, 'longpoll', { since: last, timeout: LONGPOLL_TIMEOUT })",
        "if (last !== null && id <= last) return;",
        "method: 'POST'",
    ] {
        assert!(RTW_JS.contains(needle), "rtw.js lacks {needle}");
    }
    // ES2017: no optional chaining or nullish coalescing (ES2020).
    assert!(!RTW_JS.contains("?.") && !RTW_JS.contains("??"));
}
