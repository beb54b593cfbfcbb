//! What the servers share to be observed: `--metrics IP:PORT` (their
//! counters at `GET /metrics` in the Prometheus text exposition format
//! 0.0.4, served over hyper on a listener of its own) and `--log-format
//! text|json` (`tracing` events on stderr, one line each).
//!
//! Each server counts into one [`ServerMetrics`] (atomics, no lock):
//! `rtw_NAME_connections_accepted_total`, `rtw_NAME_connections_open`,
//! `rtw_NAME_messages_in_total`, `rtw_NAME_messages_out_total`,
//! `rtw_NAME_bytes_in_total`, `rtw_NAME_bytes_out_total`,
//! `rtw_NAME_drops_total` (connections cut off as slow readers) and
//! `rtw_NAME_errors_total`, NAME naming the server (`ws_echo`, `sse`,
//! `signal`).
//! `rtw stomp broker` and `rtw turn server` show the counters their
//! servers keep (`BrokerStats`, `ServerStats`) as `rtw_stomp_broker_*` and
//! `rtw_turn_*` ([`stomp_broker`], [`turn_server`]). `rtw serve` answers
//! `GET /metrics` on its own listener instead
//! (`rtw_tokio::serve::ServeMetrics`).

use std::convert::Infallible;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

/// The `Content-Type` of the Prometheus text format 0.0.4.
const METRICS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// How the log lines on stderr are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum LogFormat {
    /// `TIME LEVEL target: message key=value`.
    Text,
    /// One JSON object per line (`timestamp`, `level`, `fields`, `target`).
    Json,
}

/// `--log-format`, for every server.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct LogArgs {
    /// Log lines on stderr as text or as JSON objects, one per line
    /// (connections opened and closed at debug, errors at warn). The level
    /// is RTW_LOG's (error, warn, info, debug, trace; info without it).
    #[arg(long, value_enum, value_name = "FORMAT", default_value = "text")]
    pub(crate) log_format: LogFormat,
}

/// `--log-format` and `--metrics`, for the servers besides `rtw serve`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct ObserveArgs {
    #[command(flatten)]
    pub(crate) log: LogArgs,
    /// Serve the server's counters at http://IP:PORT/metrics (Prometheus
    /// text format 0.0.4); prints `metrics on http://IP:PORT/metrics`
    /// after the `listening on` line (port 0 picks a free one).
    #[arg(long, value_name = "IP:PORT")]
    pub(crate) metrics: Option<SocketAddr>,
}

impl LogArgs {
    /// Sends `tracing`'s events to stderr in the chosen format, at the
    /// level of `RTW_LOG` (info by default). Once per process; a second
    /// call does nothing.
    pub(crate) fn init(&self) {
        let level = std::env::var("RTW_LOG")
            .ok()
            .and_then(|level| level.parse().ok())
            .unwrap_or(tracing_subscriber::filter::LevelFilter::INFO);
        let builder = tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_ansi(false)
            .with_max_level(level);
        let _ = match self.log_format {
            LogFormat::Text => builder.try_init(),
            LogFormat::Json => builder.json().try_init(),
        };
    }
}

/// One server's counters.
#[derive(Debug)]
pub(crate) struct ServerMetrics {
    name: &'static str,
    accepted: AtomicU64,
    open: AtomicI64,
    messages_in: AtomicU64,
    messages_out: AtomicU64,
    bytes_in: AtomicU64,
    bytes_out: AtomicU64,
    drops: AtomicU64,
    errors: AtomicU64,
}

/// An open connection of a [`ServerMetrics`], counted until dropped.
#[derive(Debug)]
pub(crate) struct Open(Arc<ServerMetrics>);

impl Open {
    /// The counters it belongs to.
    pub(crate) fn metrics(&self) -> &ServerMetrics {
        &self.0
    }

    /// The counters it belongs to, shared.
    pub(crate) fn shared(&self) -> Arc<ServerMetrics> {
        self.0.clone()
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::Relaxed);
    }
}

impl ServerMetrics {
    /// Counters named `rtw_{name}_...`.
    pub(crate) fn new(name: &'static str) -> Arc<ServerMetrics> {
        Arc::new(ServerMetrics {
            name,
            accepted: AtomicU64::new(0),
            open: AtomicI64::new(0),
            messages_in: AtomicU64::new(0),
            messages_out: AtomicU64::new(0),
            bytes_in: AtomicU64::new(0),
            bytes_out: AtomicU64::new(0),
            drops: AtomicU64::new(0),
            errors: AtomicU64::new(0),
        })
    }

    /// A connection accepted, open until the guard is dropped.
    pub(crate) fn accepted(self: &Arc<Self>) -> Open {
        self.accepted.fetch_add(1, Ordering::Relaxed);
        self.open.fetch_add(1, Ordering::Relaxed);
        Open(self.clone())
    }

    /// A message of `bytes` bytes received.
    pub(crate) fn received(&self, bytes: usize) {
        self.messages_in.fetch_add(1, Ordering::Relaxed);
        self.bytes_in.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    /// A message of `bytes` bytes sent.
    pub(crate) fn sent(&self, bytes: usize) {
        self.messages_out.fetch_add(1, Ordering::Relaxed);
        self.bytes_out.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    /// A connection cut off as a slow reader (what waited for it
    /// dropped).
    pub(crate) fn dropped(&self) {
        self.drops.fetch_add(1, Ordering::Relaxed);
    }

    /// A connection that ended on an error.
    pub(crate) fn error(&self) {
        self.errors.fetch_add(1, Ordering::Relaxed);
    }

    /// The text exposition (format 0.0.4).
    pub(crate) fn render(&self) -> String {
        let n = self.name;
        let mut out = String::with_capacity(1024);
        let open = self.open.load(Ordering::Relaxed).max(0);
        let families: [(&str, &str, &str, u64); 8] = [
            (
                "connections_accepted_total",
                "counter",
                "Connections accepted.",
                self.accepted.load(Ordering::Relaxed),
            ),
            (
                "connections_open",
                "gauge",
                "Connections open now.",
                open.unsigned_abs(),
            ),
            (
                "messages_in_total",
                "counter",
                "Messages received.",
                self.messages_in.load(Ordering::Relaxed),
            ),
            (
                "messages_out_total",
                "counter",
                "Messages sent.",
                self.messages_out.load(Ordering::Relaxed),
            ),
            (
                "bytes_in_total",
                "counter",
                "Bytes of the messages received.",
                self.bytes_in.load(Ordering::Relaxed),
            ),
            (
                "bytes_out_total",
                "counter",
                "Bytes of the messages sent.",
                self.bytes_out.load(Ordering::Relaxed),
            ),
            (
                "drops_total",
                "counter",
                "Connections cut off as slow readers.",
                self.drops.load(Ordering::Relaxed),
            ),
            (
                "errors_total",
                "counter",
                "Connections ended by an I/O or protocol error.",
                self.errors.load(Ordering::Relaxed),
            ),
        ];
        for (family, kind, help, value) in families {
            let name = format!("rtw_{n}_{family}");
            family_of(&mut out, &name, kind, help, &[("", value)]);
        }
        out
    }
}

/// Writes one family: HELP, TYPE, then a sample per `(labels, value)`
/// (`labels` as `key="value",...`, or empty for none).
fn family_of(out: &mut String, name: &str, kind: &str, help: &str, samples: &[(&str, u64)]) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
    for (labels, value) in samples {
        if labels.is_empty() {
            let _ = writeln!(out, "{name} {value}");
        } else {
            let _ = writeln!(out, "{name}{{{labels}}} {value}");
        }
    }
}

/// What `GET /metrics` answers, made at each request.
pub(crate) type Render = Arc<dyn Fn() -> String + Send + Sync>;

impl ServerMetrics {
    /// Its text, as a [`Render`].
    pub(crate) fn renderer(self: &Arc<Self>) -> Render {
        let metrics = self.clone();
        Arc::new(move || metrics.render())
    }
}

/// `rtw stomp broker`'s counters (`rtw_stomp_broker_*`) from the broker's
/// latest [`BrokerStats`](rtw_tokio::stomp::BrokerStats).
pub(crate) fn stomp_broker(
    stats: tokio::sync::watch::Receiver<rtw_tokio::stomp::BrokerStats>,
) -> Render {
    Arc::new(move || {
        let s = *stats.borrow();
        let mut out = String::with_capacity(2048);
        let gauges: [(&str, &str, usize); 8] = [
            ("connections", "Connections held now.", s.connections),
            ("sessions", "Connections past CONNECT now.", s.sessions),
            ("subscriptions", "Subscriptions held now.", s.subscriptions),
            (
                "destinations",
                "Topics with subscribers and queues now.",
                s.destinations,
            ),
            (
                "queued_messages",
                "Messages waiting in queues now.",
                s.queued_messages,
            ),
            (
                "unacked_messages",
                "Messages delivered and not acknowledged now.",
                s.unacked,
            ),
            (
                "stored_bytes",
                "Bytes of messages held now.",
                s.stored_bytes,
            ),
            (
                "unsent_bytes",
                "Bytes queued for connections and not sent now.",
                s.unsent_bytes,
            ),
        ];
        for (family, help, value) in gauges {
            let name = format!("rtw_stomp_broker_{family}");
            family_of(&mut out, &name, "gauge", help, &[("", value as u64)]);
        }
        let counters: [(&str, &str, u64); 10] = [
            (
                "connections_accepted_total",
                "Connections accepted.",
                s.connections_accepted,
            ),
            (
                "bytes_received_total",
                "Bytes read from connections (frames and heart-beats).",
                s.bytes_received,
            ),
            (
                "bytes_sent_total",
                "Bytes written to connections.",
                s.bytes_sent,
            ),
            (
                "messages_received_total",
                "SEND frames accepted.",
                s.messages_received,
            ),
            (
                "messages_delivered_total",
                "MESSAGE frames queued for subscribers.",
                s.messages_delivered,
            ),
            (
                "messages_requeued_total",
                "Queue messages returned to be delivered again.",
                s.messages_requeued,
            ),
            (
                "messages_dropped_total",
                "Messages that reached nobody.",
                s.messages_dropped,
            ),
            ("errors_total", "ERROR frames sent.", s.errors),
            (
                "slow_consumers_total",
                "Connections closed as slow consumers.",
                s.slow_consumers,
            ),
            (
                "heart_beat_timeouts_total",
                "Connections closed for missing heart-beats.",
                s.heart_beat_timeouts,
            ),
        ];
        for (family, help, value) in counters {
            let name = format!("rtw_stomp_broker_{family}");
            family_of(&mut out, &name, "counter", help, &[("", value)]);
        }
        out
    })
}

/// `rtw turn server`'s counters (`rtw_turn_*`) from the server's latest
/// [`ServerStats`](rtw_tokio::turn::ServerStats).
pub(crate) fn turn_server(
    stats: tokio::sync::watch::Receiver<rtw_tokio::turn::ServerStats>,
) -> Render {
    Arc::new(move || {
        let s = *stats.borrow();
        let mut out = String::with_capacity(2048);
        let gauges: [(&str, &str, usize); 3] = [
            ("allocations", "Allocations held now.", s.allocations),
            ("permissions", "Permissions held now.", s.permissions),
            ("channels", "Channels bound now.", s.channels),
        ];
        for (family, help, value) in gauges {
            let name = format!("rtw_turn_{family}");
            family_of(&mut out, &name, "gauge", help, &[("", value as u64)]);
        }
        family_of(
            &mut out,
            "rtw_turn_packets_relayed_total",
            "counter",
            "Packets relayed, by direction.",
            &[
                ("direction=\"to_peer\"", s.relayed_to_peers),
                ("direction=\"to_client\"", s.relayed_to_clients),
            ],
        );
        family_of(
            &mut out,
            "rtw_turn_bytes_relayed_total",
            "counter",
            "Bytes of application data relayed, by direction.",
            &[
                ("direction=\"to_peer\"", s.bytes_relayed_to_peers),
                ("direction=\"to_client\"", s.bytes_relayed_to_clients),
            ],
        );
        family_of(
            &mut out,
            "rtw_turn_allocations_created_total",
            "counter",
            "Allocations created.",
            &[("", s.allocations_created)],
        );
        family_of(
            &mut out,
            "rtw_turn_packets_dropped_total",
            "counter",
            "Packets dropped, by reason.",
            &[
                ("reason=\"no_permission\"", s.dropped_no_permission),
                ("reason=\"bandwidth\"", s.dropped_bandwidth),
                ("reason=\"forbidden_peer\"", s.dropped_forbidden_peer),
                ("reason=\"rate_limited\"", s.dropped_rate_limited),
            ],
        );
        family_of(
            &mut out,
            "rtw_turn_error_responses_total",
            "counter",
            "Requests answered with an error response.",
            &[("", s.error_responses)],
        );
        out
    })
}

/// Binds `addr`, prints `metrics on http://IP:PORT/metrics` on stdout, and
/// serves `GET /metrics` with `metrics`' text from a spawned task (404 for
/// another path, 405 for another method).
pub(crate) async fn serve(addr: SocketAddr, metrics: Render) -> std::io::Result<SocketAddr> {
    use std::io::Write as _;

    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "metrics on http://{bound}/metrics")?;
    stdout.flush()?;
    drop(stdout);
    tokio::spawn(async move {
        loop {
            let Ok((tcp, peer)) = listener.accept().await else {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            };
            let metrics = metrics.clone();
            let service = service_fn(move |request: Request<Incoming>| {
                let metrics = metrics.clone();
                async move { Ok::<_, Infallible>(answer(&request, &metrics)) }
            });
            tokio::spawn(async move {
                let connection = http1::Builder::new()
                    .serve_connection(TokioIo::new(tcp), service)
                    .await;
                if let Err(e) = connection {
                    tracing::debug!(%peer, error = %e, "metrics connection");
                }
            });
        }
    });
    Ok(bound)
}

fn answer(request: &Request<Incoming>, metrics: &Render) -> Response<Full<Bytes>> {
    let (status, content_type, body) = if request.uri().path() != "/metrics" {
        (
            StatusCode::NOT_FOUND,
            "text/plain; charset=utf-8",
            "not found: GET /metrics\n".to_owned(),
        )
    } else if request.method() != Method::GET && request.method() != Method::HEAD {
        (
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain; charset=utf-8",
            "method not allowed: GET\n".to_owned(),
        )
    } else {
        (StatusCode::OK, METRICS_CONTENT_TYPE, metrics())
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, http::HeaderValue::from_static(content_type));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_renders() {
        let metrics = ServerMetrics::new("test");
        let open = metrics.accepted();
        metrics.received(5);
        metrics.sent(5);
        metrics.sent(7);
        metrics.dropped();
        let text = metrics.render();
        assert!(text.contains("rtw_test_drops_total 1\n"));
        assert!(text.contains("rtw_test_connections_open 1\n"));
        assert!(text.contains("rtw_test_messages_out_total 2\n"));
        assert!(text.contains("rtw_test_bytes_out_total 12\n"));
        assert!(text.contains("# TYPE rtw_test_bytes_in_total counter\n"));
        drop(open);
        assert!(metrics.render().contains("rtw_test_connections_open 0\n"));
        assert!(
            metrics
                .render()
                .contains("rtw_test_connections_accepted_total 1\n")
        );
    }
}
