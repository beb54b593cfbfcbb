//! Options of a WebSocket stream and of a client's connection.

use std::time::Duration;

use rtw_ws::Config;
use rtw_ws::Limits;
#[cfg(feature = "deflate")]
use rtw_ws::deflate::{DeflateConfig, DeflateParams};
use rtw_ws::handshake::ClientBuilder;

/// How a [`WebSocketStream`](super::WebSocketStream) behaves: the
/// connection's [`Config`] (its timers included) and the opening
/// handshake's timeout.
///
/// | setting | default | what it bounds |
/// |---|---|---|
/// | `config.limits.max_write_buffer` | 16 MiB | bytes queued but not written; the sink waits above it |
/// | `config.ping_interval` | 30 s | quiet time before a keep-alive ping (RFC 6455 §5.5.2) |
/// | `config.ping_timeout` | 30 s | time for anything to come back after the ping; then the stream yields [`rtw_ws::Error::PingTimeout`] and closes |
/// | `config.message_timeout` | 60 s | a received message from its first frame to its last (1008 after) |
/// | `config.limits.max_inflated_message_size` | 16 MiB | a compressed message after inflation (1009 beyond) |
/// | `config.message_memory` | none | bytes of unfinished messages across the connections sharing one [`rtw_ws::MemoryBudget`] |
/// | `handshake_timeout` | 10 s | the opening handshake (RFC 6455 §4) |
/// | `config.close_timeout` | 5 s | waiting for the peer's close frame after ours (RFC 6455 §7.1.2) |
/// | `config.linger` | 1 s | once closed, waiting for the peer to close TCP (RFC 6455 §7.1.1), and writing what is left |
/// | `deflate` | on, `DeflateConfig::default()` | permessage-deflate (RFC 7692), feature `deflate`; zlib state made on first use |
/// | `max_inflate_rate` | 64 MiB/s ([`DEFAULT_MAX_INFLATE_RATE`]) | bytes a connection may inflate per second (a burst of one second); reading pauses until the budget refills |
///
/// The connection's timers run on one tokio sleep, polled by the stream
/// and the sink alike: a peer that vanished (half-open TCP) is found
/// whether the application is reading or blocked sending to it. A slow
/// reader makes the sink wait once `max_write_buffer` bytes are queued;
/// if it reads nothing at all, its pong does not come either, and the
/// ping timeout ends the connection. A server should also cap its
/// connections and set TCP keepalive: see
/// `rtw_tokio::listener::Listener` (feature `listener`).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Options {
    /// Limits and behaviour of the connection. The write buffer bound
    /// [`Limits::max_write_buffer`] covers both what the connection holds
    /// and what the adapter took from it but has not written yet.
    /// [`Config::deliver_fragments`] is ignored: the stream yields whole
    /// messages.
    pub config: Config,
    /// Longest the opening handshake may take, from the first byte written
    /// or read to the end of the peer's head. `None` waits forever.
    pub handshake_timeout: Option<Duration>,
    /// permessage-deflate (RFC 7692): a client offers it with these
    /// parameters ([`connect_with`](super::connect_with)), a server accepts
    /// it with them ([`accept`](super::accept)); either compresses at this
    /// level and threshold once agreed. `None` neither offers nor accepts.
    /// [`accept_with`](super::accept_with) leaves the choice to its policy
    /// (see [`rtw_ws::deflate::WithDeflate`]).
    #[cfg(feature = "deflate")]
    pub deflate: Option<DeflateConfig>,
    /// What the opening handshake agreed, set by the handshake functions
    /// (or [`Options::negotiated_deflate`] for a handshake done elsewhere).
    #[cfg(feature = "deflate")]
    pub(crate) negotiated: Option<DeflateParams>,
    /// The most bytes a connection may inflate per second from compressed
    /// messages (RFC 7692 §8.1 leaves the cost of decompression to the
    /// implementation): past one second's worth, the stream stops reading
    /// until the budget refills ([`rtw_ws::InflateRate`]), so a peer whose
    /// 1 MB of input inflates to 1 GB costs this much CPU, not a core, and
    /// other connections keep their latency. A pause is short: one message
    /// overdraws the budget by at most
    /// [`Limits::max_inflated_message_size`], a quarter second at the
    /// defaults. `None`: no budget.
    pub max_inflate_rate: Option<u64>,
}

/// The default [`Options::max_inflate_rate`]: 64 MiB of inflated bytes per
/// second and connection (with zlib, about 5 % of a core).
pub const DEFAULT_MAX_INFLATE_RATE: u64 = 64 << 20;

impl Default for Options {
    fn default() -> Self {
        Options {
            config: Config::default(),
            handshake_timeout: Some(Duration::from_secs(10)),
            #[cfg(feature = "deflate")]
            deflate: Some(DeflateConfig::default()),
            #[cfg(feature = "deflate")]
            negotiated: None,
            max_inflate_rate: Some(DEFAULT_MAX_INFLATE_RATE),
        }
    }
}

impl Options {
    /// Default options with `config`.
    pub fn with_config(config: Config) -> Self {
        Options {
            config,
            ..Options::default()
        }
    }

    /// Sets [`Options::config`]:
    /// `Options::default().config(Config::default().ping_interval(None))`.
    #[must_use]
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// Sets [`Options::handshake_timeout`].
    #[must_use]
    pub fn handshake_timeout(mut self, handshake_timeout: Option<Duration>) -> Self {
        self.handshake_timeout = handshake_timeout;
        self
    }

    /// Sets [`Options::max_inflate_rate`] (`None`: no budget).
    #[must_use]
    pub fn max_inflate_rate(mut self, bytes_per_second: Option<u64>) -> Self {
        self.max_inflate_rate = bytes_per_second;
        self
    }

    /// Sets [`Options::deflate`] (`None`: neither offer nor accept
    /// permessage-deflate).
    #[cfg(feature = "deflate")]
    #[must_use]
    pub fn deflate(mut self, deflate: Option<DeflateConfig>) -> Self {
        self.deflate = deflate;
        self
    }

    /// Use permessage-deflate with `params`, agreed in an opening handshake
    /// done elsewhere (a hyper upgrade, say: read them with
    /// [`DeflateParams::from_extensions`]), for
    /// [`WebSocketStream::from_upgraded`](super::WebSocketStream::from_upgraded).
    #[cfg(feature = "deflate")]
    #[must_use]
    pub fn negotiated_deflate(mut self, params: DeflateParams) -> Self {
        self.negotiated = Some(params);
        self
    }
}

impl Options {
    /// These options with what a server's handshake accepted: the
    /// permessage-deflate parameters, read from `extensions`. Fails for an
    /// extension the stream cannot run (any other, or deflate without the
    /// `deflate` feature) and for deflate parameters that break RFC 7692.
    pub(crate) fn agreed(
        self,
        extensions: &[rtw_ws::handshake::ExtensionOffer],
    ) -> Result<Self, super::WsError> {
        #[cfg(feature = "deflate")]
        let deflate = rtw_ws::deflate::EXTENSION_NAME;
        #[cfg(not(feature = "deflate"))]
        let deflate = "";
        if let Some(other) = extensions.iter().find(|e| !e.is(deflate)) {
            return Err(super::WsError::UnsupportedExtension {
                name: other.name.clone(),
            });
        }
        #[cfg(feature = "deflate")]
        let options = {
            let mut options = self;
            options.negotiated = DeflateParams::from_extensions(extensions)?;
            options
        };
        #[cfg(not(feature = "deflate"))]
        let options = self;
        Ok(options)
    }
}

/// What [`connect_with`](super::connect_with) sends in the opening
/// handshake (RFC 6455 §4.1), beside the [`Options`] of the stream.
///
/// ```
/// use rtw_tokio::ws::ClientOptions;
///
/// let options = ClientOptions::new()
///     .protocols(["chat"])
///     .header("Authorization", "Bearer abc")
///     .origin("http://localhost");
/// ```
#[derive(Debug, Clone, Default)]
pub struct ClientOptions {
    /// Options of the stream once connected.
    pub options: Options,
    protocols: Vec<String>,
    origin: Option<String>,
    headers: Vec<(String, String)>,
    limits: Option<Limits>,
    nodelay: Option<bool>,
    #[cfg(feature = "tls")]
    tls: Option<std::sync::Arc<crate::tls::ClientConfig>>,
}

impl ClientOptions {
    /// Default options: no subprotocol, no extra fields, `TCP_NODELAY` on.
    pub fn new() -> Self {
        ClientOptions::default()
    }

    /// Options of the stream once connected.
    #[must_use]
    pub fn stream_options(mut self, options: Options) -> Self {
        self.options = options;
        self
    }

    /// Subprotocols to offer, most preferred first (RFC 6455 §4.1 item 10).
    #[must_use]
    pub fn protocols<I, S>(mut self, protocols: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.protocols.extend(protocols.into_iter().map(Into::into));
        self
    }

    /// An `Origin` to send (RFC 6455 §4.1 item 8).
    #[must_use]
    pub fn origin(mut self, origin: impl Into<String>) -> Self {
        self.origin = Some(origin.into());
        self
    }

    /// An extra header field (RFC 6455 §4.1 item 12), such as
    /// `Authorization`; checked when connecting (fields the handshake
    /// writes itself are refused then).
    #[must_use]
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Bounds on the server's response head.
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = Some(limits);
        self
    }

    /// Whether to set `TCP_NODELAY` (default on: messages go out whole, so
    /// Nagle's algorithm only delays them).
    #[must_use]
    pub fn nodelay(mut self, nodelay: bool) -> Self {
        self.nodelay = Some(nodelay);
        self
    }

    /// The TLS configuration of a `wss://` connection
    /// ([`connect_any`](super::connect_any)): whom to trust, made with
    /// [`crate::tls::client_config`] (a private CA, say). Without it the
    /// platform's roots are trusted
    /// ([`crate::tls::platform_client_config`]).
    #[cfg(feature = "tls")]
    #[must_use]
    pub fn tls(mut self, config: std::sync::Arc<crate::tls::ClientConfig>) -> Self {
        self.tls = Some(config);
        self
    }

    #[cfg(feature = "tls")]
    pub(crate) fn tls_config(&self) -> Option<&std::sync::Arc<crate::tls::ClientConfig>> {
        self.tls.as_ref()
    }

    pub(crate) fn wants_nodelay(&self) -> bool {
        self.nodelay.unwrap_or(true)
    }

    /// Apply the handshake options to `builder`.
    pub(crate) fn apply(&self, mut builder: ClientBuilder) -> ClientBuilder {
        builder = builder.protocols(self.protocols.iter().cloned());
        if let Some(origin) = &self.origin {
            builder = builder.origin(origin.clone());
        }
        for (name, value) in &self.headers {
            builder = builder.header(name, value.as_str());
        }
        if let Some(limits) = &self.limits {
            builder = builder.limits(limits.clone());
        }
        #[cfg(feature = "deflate")]
        if let Some(deflate) = &self.options.deflate {
            builder = builder.extensions(vec![deflate.offer()]);
        }
        builder
    }
}
