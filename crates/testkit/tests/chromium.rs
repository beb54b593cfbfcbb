//! The browser helpers together: headless Chromium, launched with our
//! flags, loads a page from `ReportPage` and POSTs its report back.
//! Fails (never skips) where Chromium is missing.

use std::time::Duration;

use rtw_testkit::{Chromium, ReportPage};

const PAGE: &str = r#"<!doctype html>
<script>
fetch('/report', {method: 'POST', body: JSON.stringify({query: location.search})});
</script>
"#;

#[test]
fn chromium_loads_the_page_and_reports() {
    let page = ReportPage::serve(PAGE);
    let browser = Chromium::launch(&page.url("?hello"));
    let Some(report) = page.report(Duration::from_secs(60)) else {
        panic!("no report within 60 s; chromium's log:\n{}", browser.log());
    };
    assert_eq!(String::from_utf8_lossy(&report), r#"{"query":"?hello"}"#);
    let profile = browser.profile().to_owned();
    assert!(profile.is_dir());
    drop(browser);
    assert!(!profile.exists(), "the profile outlived its Chromium");
}
