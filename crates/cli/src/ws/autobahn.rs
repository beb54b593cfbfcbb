//! `rtw ws autobahn-client`: drive an Autobahn TestSuite fuzzingserver
//! (`wstest -m fuzzingserver`), which tests us as a client. Its protocol:
//! `/getCaseCount` sends the number of cases as one text message;
//! `/runCase?case=N&agent=NAME` runs case N, during which we echo every
//! text and binary message; `/updateReports?agent=NAME` writes the reports.
//! A `wss://` URL works too, trusting `--ca FILE` or the platform's roots.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Instant;

use futures_util::{SinkExt, StreamExt};
use rtw_tokio::tls::ClientConfig;
use rtw_tokio::ws::{ClientOptions, Message, Options, WsError, connect_any};

use super::Failure;

/// Run every case (or the first `limit`), then update the reports.
pub(super) async fn run(
    url: &str,
    agent: &str,
    limit: Option<u32>,
    options: Options,
    tls: Option<Arc<ClientConfig>>,
) -> Result<(), Failure> {
    let options = client(&options, tls);
    let base = url.trim_end_matches('/');
    let name = agent;
    let agent = percent_encode(agent);
    let total = case_count(base, &options).await?;
    let count = limit.map_or(total, |n| n.min(total));
    println!("{total} cases, running {count}");
    for case in 1..=count {
        let started = Instant::now();
        let outcome = run_case(
            &format!("{base}/runCase?case={case}&agent={agent}"),
            &options,
        )
        .await?;
        println!(
            "case {case}/{count}: {outcome} in {} ms",
            started.elapsed().as_millis()
        );
    }
    let update = format!("{base}/updateReports?agent={agent}");
    let (mut ws, _) = connect_any(&update, options).await?;
    while ws.next().await.is_some() {}
    println!("reports updated for agent {name}");
    Ok(())
}

/// The fuzzingserver accepts permessage-deflate (cases 13.2 to 13.7) only
/// from a client that offers both `client_no_context_takeover` and
/// `client_max_window_bits` (RFC 7692 §7.1.1.2, §7.1.2.2): offer them.
/// `tls` for `wss://` URLs (`None`: the platform's roots).
fn client(options: &Options, tls: Option<Arc<ClientConfig>>) -> ClientOptions {
    let mut options = options.clone();
    if let Some(deflate) = &mut options.deflate {
        deflate.client_no_context_takeover = true;
    }
    let client = ClientOptions::new().stream_options(options);
    match tls {
        Some(tls) => client.tls(tls),
        None => client,
    }
}

/// `/getCaseCount`: one text message holding a number.
async fn case_count(base: &str, options: &ClientOptions) -> Result<u32, Failure> {
    let (mut ws, _) = connect_any(&format!("{base}/getCaseCount"), options.clone()).await?;
    let mut count = None;
    while let Some(item) = ws.next().await {
        if let Message::Text(text) = item? {
            count = Some(
                text.as_str()
                    .trim()
                    .parse::<u32>()
                    .map_err(|e| format!("case count {:?}: {e}", text.as_str()))?,
            );
        }
    }
    count.ok_or_else(|| "the server sent no case count".into())
}

/// One case: echo until the connection ends; describe how it ended.
async fn run_case(url: &str, options: &ClientOptions) -> Result<String, Failure> {
    let (mut ws, _) = connect_any(url, options.clone()).await?;
    let (mut echoed, mut ended) = (0usize, String::from("closed without a close frame"));
    while let Some(item) = ws.next().await {
        match item {
            Ok(message @ (Message::Text(_) | Message::Binary(_))) => {
                // A send fails only once the connection is closing; the
                // stream then tells how it ended.
                if ws.send(message).await.is_ok() {
                    echoed += 1;
                }
            }
            Ok(Message::Close(Some(frame))) => ended = format!("closed {}", frame.code),
            Ok(Message::Close(None)) => ended = "closed".into(),
            Ok(_) => {}
            Err(WsError::Ws(e)) => {
                ended = format!("failed {}: {e}", e.close_code().map_or(0, |c| c.0));
            }
            Err(e) => ended = format!("error: {e}"),
        }
    }
    Ok(format!("{echoed} echoed, {ended}"))
}

/// Percent-encode everything but RFC 3986 unreserved characters.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::percent_encode;

    #[test]
    fn agent_names_are_percent_encoded() {
        assert_eq!(percent_encode("rtw-0.1_x~y.z"), "rtw-0.1_x~y.z");
        assert_eq!(percent_encode("rtw tokio/1&a=b"), "rtw%20tokio%2F1%26a%3Db");
    }
}
