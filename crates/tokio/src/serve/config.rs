//! [`ServeConfig`] and its [`Limits`].

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// What the service never exceeds (`docs/ARCHITECTURE.md` §2.6). The hub's
/// own bounds (topics, history, subscriber queues) are in
/// [`rtw_hub::Limits`], given to [`SharedHub::new`](super::SharedHub::new).
///
/// | field | default | past it |
/// |---|---|---|
/// | `max_body` | 64 KiB | 413 Payload Too Large; a WebSocket message twice that closes with 1009 |
/// | `body_timeout` | 10 s | 408 Request Timeout |
/// | `longpoll_default` | 30 s | a long poll without `timeout=` answers 204 after it |
/// | `longpoll_max` | 60 s | a larger `timeout=` is lowered to it |
/// | `max_longpolls` | 10,000 held at once | 503 with `Retry-After: 1` |
/// | `max_streams` | 10,000 streams, iframes, SSE, WebSocket and M-JPEG connections at once | 503 with `Retry-After: 1` (WebSocket: refused before the upgrade) |
/// | `sse_keep_alive` | 15 s | a comment line on an idle event stream |
/// | `poll_max` | 1,000 messages per poll answer | the rest in the next poll |
/// | `max_stream_age` | none (never) | the server ends the stream: see the field |
///
/// Setters are named like the fields:
/// `Limits::default().max_body(1024).longpoll_max(Duration::from_secs(20))`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// The largest request body (a published message): 64 KiB.
    pub max_body: usize,
    /// Time to receive a request body, from the end of its head: 10 s.
    pub body_timeout: Duration,
    /// The wait of a long poll that gives no `timeout=`: 30 s.
    pub longpoll_default: Duration,
    /// The longest wait a long poll may ask for: 60 s.
    pub longpoll_max: Duration,
    /// Long polls held at once: 10,000.
    pub max_longpolls: usize,
    /// Streaming connections (HTTP and iframe streams, SSE, WebSocket,
    /// STOMP, M-JPEG) open at once: 10,000.
    pub max_streams: usize,
    /// An idle event stream sends a comment after this: 15 s (the WHATWG
    /// HTML standard's authoring notes for server-sent events).
    pub sse_keep_alive: Duration,
    /// Messages in one poll or long-poll answer: 1,000.
    pub poll_max: usize,
    /// The age at which the server ends a long-lived response: an HTTP or
    /// iframe stream's body ends (HTTP/1.1: the last chunk; HTTP/1.0: the
    /// connection closes), an SSE body ends cleanly, and a WebSocket
    /// closes with 1001 Going Away (RFC 6455 §7.4.1, reason
    /// `max stream age: resume with since=N`). Each client resumes from
    /// the last id it saw: an EventSource reconnects by itself and sends
    /// `Last-Event-ID` (WHATWG HTML, "Server-sent events"), so while this
    /// is set every SSE response starts with `retry: 500` (reconnect after
    /// half a second, not the browser's default of seconds); the other
    /// transports reconnect with `?since=N`. `None` (the default): never.
    ///
    /// In production this rebalances long-lived connections across the
    /// nodes behind a load balancer (a connection opened before a node
    /// joined moves when it ends) and keeps connections under the idle or
    /// lifetime limits of proxies in between. STOMP and M-JPEG are not
    /// ended.
    pub max_stream_age: Option<Duration>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body: 64 * 1024,
            body_timeout: Duration::from_secs(10),
            longpoll_default: Duration::from_secs(30),
            longpoll_max: Duration::from_secs(60),
            max_longpolls: 10_000,
            max_streams: 10_000,
            sse_keep_alive: Duration::from_secs(15),
            poll_max: 1_000,
            max_stream_age: None,
        }
    }
}

macro_rules! setters {
    ($type:ident { $($field:ident: $ty:ty),* $(,)? }) => {
        impl $type {
            $(
                #[doc = concat!("Sets [`", stringify!($type), "::", stringify!($field), "`].")]
                #[must_use]
                pub fn $field(mut self, $field: $ty) -> Self {
                    self.$field = $field;
                    self
                }
            )*
        }
    };
}

setters!(Limits {
    max_body: usize,
    body_timeout: Duration,
    longpoll_default: Duration,
    longpoll_max: Duration,
    max_longpolls: usize,
    max_streams: usize,
    sse_keep_alive: Duration,
    poll_max: usize,
    max_stream_age: Option<Duration>,
});

/// How a [`ServeService`](super::ServeService) serves.
///
/// ```
/// use rtw_tokio::serve::{Limits, ServeConfig};
///
/// let config = ServeConfig::default()
///     .allowed_origins(vec!["https://app.example".into()])
///     .prefix("/rt")
///     .limits(Limits::default().max_body(4096));
/// assert_eq!(config.limits.max_body, 4096);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServeConfig {
    /// Its limits.
    pub limits: Limits,
    /// Origins (`scheme://host[:port]`, compared ASCII case-insensitively,
    /// RFC 6454 §6.2) whose pages may use the service across origins: CORS
    /// headers on every HTTP answer (Fetch, "CORS protocol"), the
    /// allow-list of WebSocket upgrades (RFC 6455 §10.2) and of the iframe
    /// stream's `?origin=`. Empty (the default): same-origin pages only.
    pub allowed_origins: Vec<String>,
    /// A path prefix the service is mounted under (`/rt`: the routes are
    /// `/rt/topics/...`); requests outside it get 404. Empty by default.
    pub prefix: String,
    /// The WebSocket options of `/topics/{topic}/ws` (and `/stomp`). The
    /// service lowers their largest message to twice `limits.max_body`
    /// (a larger one closes the connection with 1009, RFC 6455 §7.4.1).
    pub ws_options: crate::ws::Options,
    /// Transports the service refuses: their requests get 403 Forbidden
    /// with a one-line text body (preflights still pass, so a page on an
    /// allowed origin sees the 403), as a server or proxy that blocks them
    /// would answer. For trying clients' fallbacks (rtw.js goes from
    /// WebSocket to SSE to long polling). Empty by default.
    pub refused: BTreeSet<Transport>,
    /// Engine.IO's `pingInterval` at `/socket.io/`: the server pings each
    /// session this often (25 s, the protocol's default).
    pub ping_interval: Duration,
    /// Engine.IO's `pingTimeout` at `/socket.io/`: a session whose pong
    /// does not come within this of a ping is closed (20 s).
    pub ping_timeout: Duration,
    /// The server's [`Drain`](crate::drain::Drain): once it starts, every
    /// long-lived answer ends the way its transport offers (the
    /// [module](super) docs, "Draining"), and each WebSocket holds the drain
    /// until it is closed. A drain never started by default.
    pub drain: crate::drain::Drain,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            limits: Limits::default(),
            allowed_origins: Vec::new(),
            prefix: String::new(),
            ws_options: crate::ws::Options::default(),
            refused: BTreeSet::new(),
            ping_interval: Duration::from_secs(25),
            ping_timeout: Duration::from_secs(20),
            drain: crate::drain::Drain::new(),
        }
    }
}

impl ServeConfig {
    /// Sets [`ServeConfig::limits`].
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Sets [`ServeConfig::allowed_origins`].
    #[must_use]
    pub fn allowed_origins(mut self, allowed_origins: Vec<String>) -> Self {
        self.allowed_origins = allowed_origins;
        self
    }

    /// Sets [`ServeConfig::prefix`] (a trailing `/` is dropped).
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        let mut prefix = prefix.into();
        while prefix.ends_with('/') {
            prefix.pop();
        }
        self.prefix = prefix;
        self
    }

    /// Sets [`ServeConfig::ws_options`].
    #[must_use]
    pub fn ws_options(mut self, ws_options: crate::ws::Options) -> Self {
        self.ws_options = ws_options;
        self
    }

    /// Sets [`ServeConfig::refused`].
    #[must_use]
    pub fn refused(mut self, refused: impl IntoIterator<Item = Transport>) -> Self {
        self.refused = refused.into_iter().collect();
        self
    }

    /// Sets [`ServeConfig::ping_interval`].
    #[must_use]
    pub fn ping_interval(mut self, ping_interval: Duration) -> Self {
        self.ping_interval = ping_interval;
        self
    }

    /// Sets [`ServeConfig::ping_timeout`].
    #[must_use]
    pub fn ping_timeout(mut self, ping_timeout: Duration) -> Self {
        self.ping_timeout = ping_timeout;
        self
    }

    /// Sets [`ServeConfig::drain`].
    #[must_use]
    pub fn drain(mut self, drain: crate::drain::Drain) -> Self {
        self.drain = drain;
        self
    }
}

/// A transport of the service, by its route (for [`ServeConfig::refused`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Transport {
    /// Short polling, `GET /topics/{topic}/poll`: `poll`.
    Poll,
    /// Long polling, `GET /topics/{topic}/longpoll`: `longpoll`.
    Longpoll,
    /// HTTP streaming, `GET /topics/{topic}/stream`: `stream`.
    Stream,
    /// Iframe streaming, `GET /topics/{topic}/iframe`: `iframe`.
    Iframe,
    /// Server-Sent Events, `GET /topics/{topic}/events`: `sse`.
    Sse,
    /// WebSocket, `GET /topics/{topic}/ws`: `ws`.
    Ws,
    /// STOMP over WebSocket, `GET /stomp`: `stomp`.
    Stomp,
    /// Socket.IO (Engine.IO polling and WebSocket), `/socket.io/`:
    /// `socketio`.
    SocketIo,
}

impl Transport {
    /// Every transport.
    pub const ALL: [Transport; 8] = [
        Transport::Poll,
        Transport::Longpoll,
        Transport::Stream,
        Transport::Iframe,
        Transport::Sse,
        Transport::Ws,
        Transport::Stomp,
        Transport::SocketIo,
    ];

    /// Its short name: `poll`, `longpoll`, `stream`, `iframe`, `sse`, `ws`,
    /// `stomp`, `socketio` (what [`FromStr`] reads).
    pub fn name(self) -> &'static str {
        match self {
            Transport::Poll => "poll",
            Transport::Longpoll => "longpoll",
            Transport::Stream => "stream",
            Transport::Iframe => "iframe",
            Transport::Sse => "sse",
            Transport::Ws => "ws",
            Transport::Stomp => "stomp",
            Transport::SocketIo => "socketio",
        }
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Transport {
    type Err = String;

    /// A transport by its [`name`](Transport::name).
    fn from_str(name: &str) -> Result<Transport, String> {
        Transport::ALL
            .into_iter()
            .find(|t| t.name() == name)
            .ok_or_else(|| {
                let names: Vec<_> = Transport::ALL.iter().map(|t| t.name()).collect();
                format!("unknown transport {name:?} (one of {})", names.join(", "))
            })
    }
}
