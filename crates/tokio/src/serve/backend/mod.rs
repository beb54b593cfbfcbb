//! One hub across machines: [`RabbitHub`] puts a [`SharedHub`] on a
//! RabbitMQ stream through STOMP (`rtw serve --hub stomp://HOST:PORT`).
//!
//! RabbitMQ is the distributed engine; nothing is exchanged between nodes
//! but through it. Every node:
//!
//! - declares (idempotently) one stream queue, `rtw.hub` by default (the
//!   URL's path names another), with `x-queue-type: stream` and the
//!   retention `x-max-length-bytes` ([`RabbitConfig::max_bytes`]), by
//!   SUBSCRIBE to `/queue/NAME` (RabbitMQ's STOMP plugin, "Queue
//!   Properties" and "Stream Support");
//! - consumes it from the first message it retains (then, after a lost
//!   connection, from the offset after the last one it took:
//!   `x-stream-offset: offset=N`), `ack: client` with `prefetch-count`,
//!   and hands each message to its local hub with
//!   [`SharedHub::ingest`]`(topic, offset + 1, data)`: ids are stream
//!   offsets plus one, the same on every node, so a client resumes on any
//!   node with the last id it saw;
//! - publishes (every transport's publishing path goes through
//!   [`SharedHub::send`]) with SEND to `/amq/queue/NAME` carrying the
//!   headers `rtw-topic` and a unique `rtw-tag`, with a `receipt`
//!   (RabbitMQ sends it once the stream confirmed the message), and
//!   answers the publisher once both the RECEIPT came and its own consumer
//!   saw the tag, so the id it answers is the message's offset plus one
//!   and a read on the same node sees it.
//!
//! Ids of one topic increase but skip (the stream holds every topic). A
//! node that starts (or restarts) publishes a marker (a message without
//! `rtw-topic`) and [`RabbitHub::start`] returns once its consumer saw
//! it: by then the local hub holds what the stream retains, up to the
//! hub's own history bounds, so a resume on a fresh node works.
//!
//! A lost connection is retried with backoff (0.1 s doubling to 5 s);
//! publishes not confirmed yet fail with 503 (the message may still be in
//! the stream: the publisher may retry and get a duplicate), publishes
//! confirmed but not yet seen complete when the consumer sees them.
//! Subscribers are served from the local hub meanwhile and get what was
//! missed once the consumer resumes.

mod driver;
mod link;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use rtw_hub::MessageId;
use tokio::sync::{mpsc, oneshot, watch};

use super::SharedHub;

/// Why a publish failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PublishError {
    /// The hub refused it (a bad topic, a message too large, a full hub).
    #[error(transparent)]
    Hub(#[from] rtw_hub::Error),
    /// The distributed backend did not confirm it (RabbitMQ unreachable,
    /// too many publishes waiting, no confirmation in time). The message
    /// may still have been stored.
    #[error("hub backend unavailable: {0}")]
    Unavailable(String),
}

impl PublishError {
    /// The HTTP status to answer with: the hub error's, or 503.
    pub fn http_status(&self) -> u16 {
        match self {
            PublishError::Hub(e) => e.http_status(),
            PublishError::Unavailable(_) => 503,
        }
    }
}

/// What a publish resolves to.
pub(crate) type Outcome = Result<MessageId, PublishError>;

/// Where a backend-fed [`SharedHub`] sends its publishers' messages.
pub(crate) trait Backend: Send + Sync {
    /// What it is doing now.
    fn status(&self) -> BackendStatus;

    /// Queues `data` for `topic` (already checked) at once, in call order;
    /// the receiver gives the id the backend assigned.
    fn submit(&self, topic: &str, data: Bytes) -> Result<oneshot::Receiver<Outcome>, PublishError>;
}

/// `stomp://` or `stomps://`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    Stomp,
    Stomps,
}

/// A hub URL: `stomp://[USER:PASS@]HOST:PORT[/STREAM]` (`stomps://` for
/// TLS). Its `Debug` leaves the passcode out.
#[derive(Clone, PartialEq, Eq)]
pub struct HubUrl {
    scheme: Scheme,
    /// `HOST:PORT`.
    authority: String,
    host: String,
    login: Option<String>,
    passcode: Option<String>,
    stream: String,
}

impl std::fmt::Debug for HubUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubUrl")
            .field("scheme", &self.scheme)
            .field("authority", &self.authority)
            .field("login", &self.login)
            .field("passcode", &self.passcode.as_ref().map(|_| "<hidden>"))
            .field("stream", &self.stream)
            .finish()
    }
}

impl HubUrl {
    /// Reads `stomp://[USER:PASS@]HOST:PORT[/STREAM]` or `stomps://...`;
    /// the stream is `rtw.hub` when the path is empty.
    ///
    /// ```
    /// use rtw_tokio::serve::HubUrl;
    /// let url = HubUrl::parse("stomp://rtw:secret@127.0.0.1:61613/news").unwrap();
    /// assert_eq!(url.stream(), "news");
    /// assert!(!format!("{url:?}").contains("secret"));
    /// assert!(HubUrl::parse("http://x:1").is_err());
    /// ```
    ///
    /// # Errors
    ///
    /// Another scheme, no port, or a stream name outside
    /// `[A-Za-z0-9._-]`.
    pub fn parse(url: &str) -> Result<HubUrl, String> {
        let (scheme, rest) = if let Some(rest) = url.strip_prefix("stomp://") {
            (Scheme::Stomp, rest)
        } else if let Some(rest) = url.strip_prefix("stomps://") {
            (Scheme::Stomps, rest)
        } else {
            return Err(format!(
                "{url:?}: a hub URL is stomp://HOST:PORT or stomps://HOST:PORT"
            ));
        };
        let (authority, stream) = rest.split_once('/').unwrap_or((rest, ""));
        let (userinfo, authority) = match authority.rsplit_once('@') {
            Some((user, host)) => (Some(user), host),
            None => (None, authority),
        };
        let (login, passcode) = match userinfo.map(|u| u.split_once(':').unwrap_or((u, ""))) {
            Some((l, p)) => (Some(l.to_owned()), Some(p.to_owned())),
            None => (None, None),
        };
        let host = match authority.rsplit_once(':') {
            Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => host,
            _ => return Err(format!("{url:?}: HOST:PORT expected")),
        };
        let stream = if stream.is_empty() { "rtw.hub" } else { stream };
        if !stream
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        {
            return Err(format!("{url:?}: a stream name is [A-Za-z0-9._-]"));
        }
        Ok(HubUrl {
            scheme,
            authority: authority.to_owned(),
            host: host.to_owned(),
            login,
            passcode,
            stream: stream.to_owned(),
        })
    }

    /// Sets the login and passcode (`--hub-login USER:PASS`).
    #[must_use]
    pub fn login(mut self, login: &str, passcode: &str) -> HubUrl {
        self.login = Some(login.to_owned());
        self.passcode = Some(passcode.to_owned());
        self
    }

    /// The stream queue's name.
    pub fn stream(&self) -> &str {
        &self.stream
    }
}

/// How a [`RabbitHub`] uses RabbitMQ.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RabbitConfig {
    /// Where.
    pub url: HubUrl,
    /// The TLS configuration of `stomps://` (`None`: the platform's
    /// roots).
    pub tls: Option<Arc<crate::tls::ClientConfig>>,
    /// The stream's retention, `x-max-length-bytes`: 1 GiB. RabbitMQ
    /// drops whole segments ([`RabbitConfig::segment_bytes`]) from the
    /// front past it. Every node must declare the same values.
    pub max_bytes: u64,
    /// `x-stream-max-segment-size-bytes`: 64 MiB.
    pub segment_bytes: u64,
    /// `prefetch-count` of the consumer: 1,000 messages unacknowledged.
    pub prefetch: u32,
    /// A publish not confirmed and seen within this fails with 503: 10 s.
    pub publish_timeout: Duration,
    /// Publishes waiting to be sent at most; more fail with 503: 10,000.
    pub max_queued: usize,
    /// [`RabbitHub::start`] fails if the node is not connected and caught
    /// up within this: 60 s.
    pub start_timeout: Duration,
}

impl RabbitConfig {
    /// The defaults, on `url`.
    pub fn new(url: HubUrl) -> RabbitConfig {
        RabbitConfig {
            url,
            tls: None,
            max_bytes: 1 << 30,
            segment_bytes: 64 << 20,
            prefetch: 1_000,
            publish_timeout: Duration::from_secs(10),
            max_queued: 10_000,
            start_timeout: Duration::from_secs(60),
        }
    }
}

/// What a [`RabbitHub`] is doing, for logs and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BackendStatus {
    /// Connected and consuming.
    pub connected: bool,
    /// Connections made (1 after the first, more after reconnections).
    pub connections: u64,
    /// The offset after the last message taken from the stream.
    pub next_offset: u64,
    /// Publishes sent to RabbitMQ and not confirmed yet.
    pub unconfirmed: usize,
    /// Publishes failed with 503 (not connected, not confirmed in time).
    pub failed_publishes: u64,
}

impl BackendStatus {
    /// Appends its families to a `/metrics` page (Prometheus text format
    /// 0.0.4).
    pub(crate) fn render(&self, out: &mut String) {
        use std::fmt::Write;
        let families: [(&str, &str, &str, u64); 5] = [
            (
                "rtw_serve_hub_connected",
                "gauge",
                "1 while connected to RabbitMQ and consuming the stream.",
                u64::from(self.connected),
            ),
            (
                "rtw_serve_hub_connections_total",
                "counter",
                "Connections made to RabbitMQ (more than 1: reconnections).",
                self.connections,
            ),
            (
                "rtw_serve_hub_stream_offset",
                "gauge",
                "The stream offset after the last message taken (the last id).",
                self.next_offset,
            ),
            (
                "rtw_serve_hub_publishes_unconfirmed",
                "gauge",
                "Publishes sent to RabbitMQ and not confirmed yet.",
                self.unconfirmed as u64,
            ),
            (
                "rtw_serve_hub_publishes_failed_total",
                "counter",
                "Publishes answered 503: not connected, or not confirmed in time.",
                self.failed_publishes,
            ),
        ];
        for (name, kind, help, value) in families {
            let _ = write!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n"
            );
        }
    }
}

/// A [`SharedHub`] fed by a RabbitMQ stream (module docs). Dropping it
/// stops the backend; the hub then refuses publishes with 503.
#[derive(Debug)]
pub struct RabbitHub {
    task: tokio::task::JoinHandle<()>,
    status: watch::Receiver<BackendStatus>,
}

impl Drop for RabbitHub {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct Submitter {
    tx: mpsc::Sender<driver::Command>,
    status: watch::Receiver<BackendStatus>,
}

impl Backend for Submitter {
    fn status(&self) -> BackendStatus {
        *self.status.borrow()
    }

    fn submit(&self, topic: &str, data: Bytes) -> Result<oneshot::Receiver<Outcome>, PublishError> {
        let (done, rx) = oneshot::channel();
        let command = driver::Command {
            topic: topic.to_owned(),
            data,
            done,
        };
        self.tx.try_send(command).map_err(|e| {
            PublishError::Unavailable(match e {
                mpsc::error::TrySendError::Full(_) => "too many publishes waiting".to_owned(),
                mpsc::error::TrySendError::Closed(_) => "the backend stopped".to_owned(),
            })
        })?;
        Ok(rx)
    }
}

impl RabbitHub {
    /// Puts `hub` on RabbitMQ: connects, declares and consumes the stream,
    /// and returns once the node caught up with it (its marker seen). From
    /// then on [`SharedHub::send`] publishes through RabbitMQ.
    ///
    /// # Errors
    ///
    /// Why the node could not connect or catch up within
    /// [`RabbitConfig::start_timeout`] (the last connection error).
    pub async fn start(config: RabbitConfig, hub: SharedHub) -> Result<RabbitHub, String> {
        let (tx, rx) = mpsc::channel(config.max_queued.max(1));
        let (status_tx, status) = watch::channel(BackendStatus::default());
        let (last_error_tx, mut last_error) = watch::channel(String::new());
        let start_timeout = config.start_timeout;
        let submitter = Arc::new(Submitter {
            tx,
            status: status.clone(),
        });
        hub.set_backend(submitter.clone());
        let task = tokio::spawn(driver::run(config, hub, rx, status_tx, last_error_tx));
        let rabbit = RabbitHub { task, status };
        let marker = submitter
            .submit("", Bytes::new())
            .map_err(|e| e.to_string())?;
        let waited = tokio::time::timeout(start_timeout, async {
            // The marker is failed while there is no connection: try again.
            let mut marker = marker;
            loop {
                match marker.await {
                    Ok(Ok(_)) => return Ok(()),
                    Ok(Err(_)) => {
                        tokio::time::sleep(Duration::from_millis(200)).await;
                        marker = submitter
                            .submit("", Bytes::new())
                            .map_err(|e| e.to_string())?;
                    }
                    Err(_) => return Err("the backend stopped".to_owned()),
                }
            }
        })
        .await;
        match waited {
            Ok(Ok(())) => Ok(rabbit),
            Ok(Err(e)) => Err(e),
            Err(_) => {
                let why = last_error.borrow_and_update().clone();
                Err(format!(
                    "hub not ready within {start_timeout:?}: {}",
                    if why.is_empty() { "no answer" } else { &why }
                ))
            }
        }
    }

    /// What it is doing now.
    pub fn status(&self) -> BackendStatus {
        *self.status.borrow()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hub_urls() {
        let url = HubUrl::parse("stomp://127.0.0.1:61613").unwrap();
        assert_eq!(
            (url.scheme, url.authority.as_str(), url.stream()),
            (Scheme::Stomp, "127.0.0.1:61613", "rtw.hub")
        );
        assert_eq!((url.login, url.passcode), (None, None));
        let url = HubUrl::parse("stomps://rtw:p%40ss:w@mq.example:61614/").unwrap();
        assert_eq!(url.scheme, Scheme::Stomps);
        assert_eq!(url.host, "mq.example");
        assert_eq!(url.login.as_deref(), Some("rtw"));
        assert_eq!(url.passcode.as_deref(), Some("p%40ss:w"));
        assert_eq!(url.stream(), "rtw.hub");
        let url = HubUrl::parse("stomp://[::1]:61613/a.b-c_d")
            .unwrap()
            .login("u", "p");
        assert_eq!((url.host.as_str(), url.stream()), ("[::1]", "a.b-c_d"));
        assert_eq!(
            (url.login.as_deref(), url.passcode.as_deref()),
            (Some("u"), Some("p"))
        );
        for bad in [
            "tcp://127.0.0.1:61613",
            "stomp://127.0.0.1",
            "stomp://:61613",
            "stomp://h:port",
            "stomp://h:1/a/b",
            "stomp://h:1/a b",
        ] {
            assert!(HubUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn publish_errors_map_to_http() {
        let bad = PublishError::Hub(rtw_hub::Error::BadTopicName("x"));
        assert_eq!(bad.http_status(), 400);
        let down = PublishError::Unavailable("not connected".into());
        assert_eq!(down.http_status(), 503);
        assert_eq!(down.to_string(), "hub backend unavailable: not connected");
    }
}
