//! Headless Chromium's WebSocket, a real browser client, offers
//! permessage-deflate (RFC 7692) to `rtw ws echo-server`: the extension is
//! negotiated, and large compressible messages come back intact.
//! `rtw_testkit::ReportPage` serves the page and takes its report (a POST
//! of JSON). Loopback only, bounded in time. A missing Chromium fails the
//! test (`bash scripts/test` installs it).

use std::time::Duration;

use rtw_testkit::{Chromium, ReportPage};

/// How long Chromium gets to start, load the page, echo and report.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(60);

/// The page: opens the WebSocket given in its query, sends 5 messages of
/// 100 KiB of JSON (text and binary), checks every echo, POSTs a report.
const PAGE: &str = r#"<!doctype html>
<meta charset="utf-8">
<title>rtw ws deflate</title>
<script>
const report = (r) => fetch('/report', {method: 'POST', body: JSON.stringify(r)});
const url = new URLSearchParams(location.search).get('ws');
const make = (n) => {
  let s = '';
  for (let i = 0; s.length < 100 * 1024; i++) {
    s += JSON.stringify({id: i, message: n, name: 'item ' + i, tags: ['alpha', 'beta'], ok: true}) + ',';
  }
  return s.slice(0, 100 * 1024);
};
const sent = [0, 1, 2, 3, 4].map(make);
const results = [];
const ws = new WebSocket(url);
ws.binaryType = 'arraybuffer';
ws.onopen = () => {
  sent.forEach((s, i) => ws.send(i % 2 ? new TextEncoder().encode(s) : s));
};
ws.onmessage = (e) => {
  const i = results.length;
  const text = typeof e.data === 'string' ? e.data : new TextDecoder().decode(e.data);
  results.push({binary: typeof e.data !== 'string', intact: text === sent[i], length: text.length});
  if (results.length === sent.length) {
    ws.close(1000);
    report({extensions: ws.extensions, results});
  }
};
ws.onerror = () => report({error: 'websocket error', extensions: ws.extensions, results});
</script>
"#;

mod common;
use common::Running;

#[test]
fn chromium_negotiates_permessage_deflate_with_the_echo_server() {
    // A missing Chromium fails the test, naming how to install it.
    let server = Running::start(&["ws", "echo-server", "127.0.0.1:0"]);
    let page = ReportPage::serve(PAGE);
    let browser = Chromium::launch(&page.url(&format!("?ws=ws://{}/", server.addr)));
    let Some(report) = page.report(BROWSER_TIMEOUT) else {
        panic!(
            "no report from the page within {BROWSER_TIMEOUT:?}; chromium's log:\n{}",
            browser.log()
        );
    };
    let report: serde_json::Value = serde_json::from_slice(&report).expect("JSON report");
    assert!(report.get("error").is_none(), "{report:#}");
    let extensions = report["extensions"].as_str().unwrap_or_default();
    assert!(
        extensions.starts_with("permessage-deflate"),
        "negotiated extensions {extensions:?}"
    );
    let results = report["results"].as_array().expect("results");
    assert_eq!(results.len(), 5, "{report:#}");
    for (i, r) in results.iter().enumerate() {
        assert_eq!(r["intact"], true, "message {i}: {report:#}");
        assert_eq!(r["length"], 100 * 1024, "message {i}");
        assert_eq!(r["binary"], i % 2 == 1, "message {i}");
    }
}
