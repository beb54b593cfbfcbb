//! `GET /metrics`: the service's counters in the Prometheus text
//! exposition format 0.0.4 (the families are listed on [`ServeMetrics`]).

use std::convert::Infallible;
use std::fmt::Write as _;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};

use super::config::Transport;
use super::reply::ServeBody;

/// The `Content-Type` of the Prometheus text format 0.0.4.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A transport as the metrics label it: the service's transports, plus
/// M-JPEG and the plain `POST` of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Label {
    /// One of [`Transport::ALL`].
    Transport(Transport),
    /// `GET /mjpeg`.
    Mjpeg,
    /// `POST /topics/{topic}`.
    Http,
}

const LABELS: usize = Transport::ALL.len() + 2;

impl Label {
    fn index(self) -> usize {
        match self {
            Label::Transport(t) => Transport::ALL
                .iter()
                .position(|&u| u == t)
                .expect("every transport is in ALL"),
            Label::Mjpeg => Transport::ALL.len(),
            Label::Http => Transport::ALL.len() + 1,
        }
    }

    /// Its value of the label `transport`.
    pub(crate) fn name(self) -> &'static str {
        Label::name_at(self.index())
    }

    fn name_at(index: usize) -> &'static str {
        match Transport::ALL.get(index) {
            Some(t) => t.name(),
            None if index == Transport::ALL.len() => "mjpeg",
            None => "http",
        }
    }
}

impl From<Transport> for Label {
    fn from(transport: Transport) -> Label {
        Label::Transport(transport)
    }
}

/// The statuses counted one by one in `rtw_serve_requests_refused_total`;
/// any other 4xx or 5xx is counted under the last slot (label `other`).
const STATUSES: [u16; 11] = [400, 403, 404, 405, 408, 413, 415, 426, 429, 500, 503];

#[derive(Debug, Default)]
struct Counters {
    accepted: AtomicU64,
    open: AtomicI64,
    received: AtomicU64,
    bytes_received: AtomicU64,
    published: AtomicU64,
    delivered: AtomicU64,
    bytes: AtomicU64,
    evictions: AtomicU64,
    cut: AtomicU64,
    errors: AtomicU64,
    refused: [AtomicU64; STATUSES.len() + 1],
}

/// The counters of one service (shared by its clones and connections).
///
/// Every counter is an atomic that the connections of one
/// [`ServeService`](super::ServeService) share: counting takes no lock.
/// The families, each with the label `transport` (`poll`, `longpoll`,
/// `stream`, `iframe`, `sse`, `ws`, `stomp`, `socketio`, `mjpeg`, and
/// `http` for `POST /topics/{topic}`):
///
/// | family | type | what |
/// |---|---|---|
/// | `rtw_serve_connections_accepted_total` | counter | requests of the transport answered 2xx or 101 |
/// | `rtw_serve_connections_open` | gauge | requests being answered, streams whose body is being sent, upgraded WebSockets |
/// | `rtw_serve_messages_received_total` | counter | messages clients sent over the transport (see below) |
/// | `rtw_serve_bytes_received_total` | counter | bytes of those messages' payloads |
/// | `rtw_serve_messages_published_total` | counter | messages the hub took from the transport |
/// | `rtw_serve_messages_delivered_total` | counter | messages written to subscribers (M-JPEG: frames) |
/// | `rtw_serve_bytes_delivered_total` | counter | bytes of the bodies of those messages (HTTP bodies as sent; WebSocket: message payloads) |
/// | `rtw_serve_evictions_total` | counter | slow subscribers evicted by the hub |
/// | `rtw_serve_streams_cut_total` | counter | HTTP streams (`stream`, `iframe`, `sse`, `mjpeg`) whose body was dropped before its end: the client went away, or a write to it failed |
/// | `rtw_serve_requests_refused_total` | counter | answers 4xx and 5xx, by `status` too (only the pairs seen) |
/// | `rtw_serve_errors_total` | counter | connections that ended on an I/O or protocol error, STOMP ERROR frames, Socket.IO protocol errors |
///
/// and the gauges `rtw_serve_longpolls_held` and `rtw_serve_streams_open`
/// (the service's caps count these). `rtw_serve_connections_open` of
/// `ws`, `socketio` and `stomp` counts the upgraded connections; the
/// Engine.IO polling requests of `socketio` count while they are answered.
///
/// Messages received: `http` the bodies of `POST /topics/{topic}`, `ws`
/// the text messages of `/topics/{topic}/ws`, `stomp` the SEND frames
/// (their bodies' bytes), `socketio` the Socket.IO packets (Engine.IO
/// v4 message packets) from clients.
/// Messages delivered of `socketio` are the Socket.IO packets the server
/// hands to Engine.IO for its clients (events, acks, CONNECT answers);
/// its evictions are the hub's and the Engine.IO WebSockets closed for
/// reading too slowly (what waited for them dropped).
#[derive(Debug, Default)]
pub struct ServeMetrics {
    by_label: [Counters; LABELS],
}

/// One open connection of a transport: `rtw_serve_connections_open` goes
/// down when it is dropped.
#[derive(Debug)]
pub(crate) struct OpenGuard {
    metrics: Arc<ServeMetrics>,
    label: Label,
}

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.metrics
            .at(self.label)
            .open
            .fetch_sub(1, Ordering::Relaxed);
    }
}

impl ServeMetrics {
    fn at(&self, label: Label) -> &Counters {
        &self.by_label[label.index()]
    }

    /// An open connection of `label` until the guard is dropped.
    pub(crate) fn open(self: &Arc<Self>, label: Label) -> OpenGuard {
        self.at(label).open.fetch_add(1, Ordering::Relaxed);
        OpenGuard {
            metrics: self.clone(),
            label,
        }
    }

    /// A request of `label` answered with `status`: accepted (2xx, 101)
    /// or refused (4xx, 5xx).
    pub(crate) fn answered(&self, label: Label, status: u16) {
        let counters = self.at(label);
        if (200..300).contains(&status) || status == 101 {
            counters.accepted.fetch_add(1, Ordering::Relaxed);
        } else if status >= 400 {
            let slot = STATUSES
                .iter()
                .position(|&s| s == status)
                .unwrap_or(STATUSES.len());
            counters.refused[slot].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A message of `bytes` bytes that a client sent over `label`.
    pub(crate) fn received(&self, label: Label, bytes: u64) {
        let counters = self.at(label);
        counters.received.fetch_add(1, Ordering::Relaxed);
        counters.bytes_received.fetch_add(bytes, Ordering::Relaxed);
    }

    /// A message the hub took from `label`.
    pub(crate) fn published(&self, label: Label) {
        self.at(label).published.fetch_add(1, Ordering::Relaxed);
    }

    /// `messages` messages delivered over `label` in `bytes` bytes.
    pub(crate) fn delivered(&self, label: Label, messages: u64, bytes: u64) {
        let counters = self.at(label);
        if messages > 0 {
            counters.delivered.fetch_add(messages, Ordering::Relaxed);
        }
        if bytes > 0 {
            counters.bytes.fetch_add(bytes, Ordering::Relaxed);
        }
    }

    /// A subscriber of `label` evicted by the hub.
    pub(crate) fn evicted(&self, label: Label) {
        self.at(label).evictions.fetch_add(1, Ordering::Relaxed);
    }

    /// A streaming body of `label` dropped before its end.
    fn cut(&self, label: Label) {
        self.at(label).cut.fetch_add(1, Ordering::Relaxed);
    }

    /// A connection of `label` that ended on an error.
    pub(crate) fn error(&self, label: Label) {
        self.at(label).errors.fetch_add(1, Ordering::Relaxed);
    }

    /// Messages delivered over `transport` so far.
    pub fn messages_delivered(&self, transport: Transport) -> u64 {
        self.at(transport.into()).delivered.load(Ordering::Relaxed)
    }

    /// Connections of `transport` accepted so far.
    pub fn connections_accepted(&self, transport: Transport) -> u64 {
        self.at(transport.into()).accepted.load(Ordering::Relaxed)
    }

    /// The text exposition (format 0.0.4) of every family, with the two
    /// gauges of the service's caps.
    pub(crate) fn render(&self, longpolls: usize, streams: usize) -> String {
        let mut out = String::with_capacity(4096);
        type Get = fn(&Counters) -> u64;
        let families: [(&str, &str, &str, Get); 10] = [
            (
                "rtw_serve_connections_accepted_total",
                "counter",
                "Requests answered 2xx or 101, by transport.",
                |c| c.accepted.load(Ordering::Relaxed),
            ),
            (
                "rtw_serve_connections_open",
                "gauge",
                "Requests, streams and WebSockets open now, by transport.",
                |c| c.open.load(Ordering::Relaxed).max(0).unsigned_abs(),
            ),
            (
                "rtw_serve_messages_received_total",
                "counter",
                "Messages clients sent, by the transport they came over.",
                |c| c.received.load(Ordering::Relaxed),
            ),
            (
                "rtw_serve_bytes_received_total",
                "counter",
                "Bytes of the messages clients sent, by transport.",
                |c| c.bytes_received.load(Ordering::Relaxed),
            ),
            (
                "rtw_serve_messages_published_total",
                "counter",
                "Messages the hub took, by the transport they came over.",
                |c| c.published.load(Ordering::Relaxed),
            ),
            (
                "rtw_serve_messages_delivered_total",
                "counter",
                "Messages written to subscribers, by transport.",
                |c| c.delivered.load(Ordering::Relaxed),
            ),
            (
                "rtw_serve_bytes_delivered_total",
                "counter",
                "Bytes of the messages written to subscribers, by transport.",
                |c| c.bytes.load(Ordering::Relaxed),
            ),
            (
                "rtw_serve_evictions_total",
                "counter",
                "Slow subscribers evicted by the hub, by transport.",
                |c| c.evictions.load(Ordering::Relaxed),
            ),
            (
                "rtw_serve_streams_cut_total",
                "counter",
                "HTTP streams dropped before their end (client gone, write failed), by transport.",
                |c| c.cut.load(Ordering::Relaxed),
            ),
            (
                "rtw_serve_errors_total",
                "counter",
                "Connections ended by an I/O or protocol error (and STOMP ERRORs, Socket.IO protocol errors), by transport.",
                |c| c.errors.load(Ordering::Relaxed),
            ),
        ];
        for (name, kind, help, get) in families {
            header(&mut out, name, kind, help);
            for (i, counters) in self.by_label.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "{name}{{transport=\"{}\"}} {}",
                    Label::name_at(i),
                    get(counters)
                );
            }
        }
        let name = "rtw_serve_requests_refused_total";
        header(
            &mut out,
            name,
            "counter",
            "Requests answered 4xx or 5xx, by transport and status.",
        );
        for (i, counters) in self.by_label.iter().enumerate() {
            for (slot, count) in counters.refused.iter().enumerate() {
                let count = count.load(Ordering::Relaxed);
                if count == 0 {
                    continue;
                }
                let status = STATUSES
                    .get(slot)
                    .map_or_else(|| "other".to_owned(), u16::to_string);
                let _ = writeln!(
                    out,
                    "{name}{{transport=\"{}\",status=\"{status}\"}} {count}",
                    Label::name_at(i)
                );
            }
        }
        header(
            &mut out,
            "rtw_serve_longpolls_held",
            "gauge",
            "Long polls held now (capped by max_longpolls).",
        );
        let _ = writeln!(out, "rtw_serve_longpolls_held {longpolls}");
        header(
            &mut out,
            "rtw_serve_streams_open",
            "gauge",
            "Streams open now (capped by max_streams).",
        );
        let _ = writeln!(out, "rtw_serve_streams_open {streams}");
        out
    }
}

/// A streaming answer's body, counted: open (`rtw_serve_connections_open`)
/// until dropped, the bytes of its data frames delivered, and cut
/// (`rtw_serve_streams_cut_total`) when dropped before its end. HTTP/1.1
/// has no closing handshake for a response (RFC 9112 §9.6 closes the
/// connection), so a client that goes away and a write that fails look
/// the same from here: hyper drops the body.
pub(crate) struct Metered {
    body: ServeBody,
    metrics: Arc<ServeMetrics>,
    label: Label,
    _open: OpenGuard,
    ended: bool,
}

impl Metered {
    /// `body` of `label`, open from now on.
    pub(crate) fn new(body: ServeBody, metrics: &Arc<ServeMetrics>, label: Label) -> Metered {
        Metered {
            body,
            metrics: metrics.clone(),
            label,
            _open: metrics.open(label),
            ended: false,
        }
    }
}

impl Body for Metered {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = &mut *self;
        let polled = Pin::new(&mut this.body).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.metrics.delivered(this.label, 0, data.len() as u64);
                }
            }
            Poll::Ready(None) => this.ended = true,
            _ => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

impl Drop for Metered {
    fn drop(&mut self) {
        if !self.ended && !self.body.is_end_stream() {
            self.metrics.cut(self.label);
        }
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_renders() {
        let metrics = Arc::new(ServeMetrics::default());
        let guard = metrics.open(Transport::Sse.into());
        metrics.answered(Transport::Sse.into(), 200);
        metrics.answered(Transport::Ws.into(), 503);
        metrics.answered(Transport::Ws.into(), 418);
        metrics.delivered(Transport::Sse.into(), 2, 30);
        metrics.published(Label::Http);
        metrics.received(Label::Http, 7);
        metrics.received(Label::Http, 5);
        let text = metrics.render(1, 2);
        assert!(text.contains("rtw_serve_connections_open{transport=\"sse\"} 1\n"));
        assert!(text.contains("rtw_serve_connections_accepted_total{transport=\"sse\"} 1\n"));
        assert!(
            text.contains("rtw_serve_requests_refused_total{transport=\"ws\",status=\"503\"} 1\n")
        );
        assert!(
            text.contains(
                "rtw_serve_requests_refused_total{transport=\"ws\",status=\"other\"} 1\n"
            )
        );
        assert!(text.contains("rtw_serve_messages_delivered_total{transport=\"sse\"} 2\n"));
        assert!(text.contains("rtw_serve_bytes_delivered_total{transport=\"sse\"} 30\n"));
        assert!(text.contains("rtw_serve_messages_published_total{transport=\"http\"} 1\n"));
        assert!(text.contains("rtw_serve_messages_received_total{transport=\"http\"} 2\n"));
        assert!(text.contains("rtw_serve_bytes_received_total{transport=\"http\"} 12\n"));
        assert!(text.contains("rtw_serve_streams_open 2\n"));
        drop(guard);
        let text = metrics.render(0, 0);
        assert!(text.contains("rtw_serve_connections_open{transport=\"sse\"} 0\n"));
    }
}
