//! `rtw sse client`: an EventSource over hyper, its events as JSON lines.

use std::io::Write;
use std::time::Duration;

use rtw_sse::Error as SseError;
use rtw_tokio::sse::{ErrorReason, EventSourceConfig, SourceEvent, connect_with};

use super::{Failure, event_json};

/// What `rtw sse client` does.
#[derive(Debug, Clone)]
pub(super) struct Options {
    /// The initial reconnection time.
    pub(super) reconnection_time: Duration,
    /// Reconnection attempts in a row that may fail.
    pub(super) max_retries: Option<u32>,
    /// Stop after this many events.
    pub(super) count: Option<u64>,
}

/// Follow `url` until the server stops it (204), `count` events came, or
/// the EventSource fails. Events and reconnection-time changes go to
/// stdout as JSON lines, connection news to stderr.
pub(super) async fn run(url: &str, options: Options) -> Result<(), Failure> {
    let config = EventSourceConfig::default()
        .reconnection_time(options.reconnection_time)
        .max_retries(options.max_retries);
    let mut source = connect_with(url, config)?;
    let mut reconnection_time = source.reconnection_time();
    let mut events = 0u64;
    if options.count == Some(0) {
        return Ok(());
    }
    while let Some(event) = source.next().await {
        match event {
            SourceEvent::Open => eprintln!("open"),
            SourceEvent::Message(event) => {
                let mut stdout = std::io::stdout().lock();
                if source.reconnection_time() != reconnection_time {
                    reconnection_time = source.reconnection_time();
                    writeln!(stdout, "{{\"retry\":{}}}", reconnection_time.as_millis())?;
                }
                writeln!(stdout, "{}", event_json(&event))?;
                stdout.flush()?;
                events += 1;
                if options.count == Some(events) {
                    source.close();
                }
            }
            SourceEvent::Error {
                reconnect_in: Some(wait),
                ..
            } => match source.transport_error() {
                Some(e) => eprintln!("disconnected ({e}); reconnecting in {wait:?}"),
                None => eprintln!("disconnected; reconnecting in {wait:?}"),
            },
            SourceEvent::Error {
                reason: ErrorReason::Rejected(SseError::BadStatus(204)),
                reconnect_in: None,
            } => eprintln!("the server said 204 No Content: done"),
            SourceEvent::Error {
                reason: ErrorReason::Rejected(e),
                reconnect_in: None,
            } => return Err(e.into()),
            SourceEvent::Error { reason, .. } => {
                return Err(match source.transport_error() {
                    Some(e) => format!("{reason:?}, giving up: {e}").into(),
                    None => format!("{reason:?}, giving up").into(),
                });
            }
            // Comments (not asked for) and future kinds of event.
            _ => {}
        }
    }
    Ok(())
}
