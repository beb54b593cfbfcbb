//! The client's configuration and the options of each frame it sends.

use std::time::Duration;

use super::TransactionId;
use crate::{HeartBeat, Limits, Version};

/// How the client connects (STOMP 1.2 "CONNECT or STOMP Frame").
///
/// | field | default |
/// |---|---|
/// | `host` | `"/"` (RabbitMQ's default virtual host) |
/// | `login`, `passcode` | none |
/// | `heart_beat` | send every 10 s, expect every 10 s |
/// | `versions` | 1.0, 1.1 and 1.2 |
/// | `limits` | [`Limits::default`] for the server's frames |
/// | `use_stomp_command` | `false`: `CONNECT` |
/// | `connect_timeout` | 30 s |
/// | `disconnect_timeout` | 10 s |
/// | `max_outstanding_receipts` | 1,024 |
///
/// ```
/// use std::time::Duration;
/// use rtw_stomp::client::ClientConfig;
/// use rtw_stomp::HeartBeat;
///
/// let config = ClientConfig::default()
///     .host("broker.example")
///     .login(Some("guest".into()))
///     .passcode(Some("guest".into()))
///     .heart_beat(HeartBeat { can_send: Duration::from_secs(5), want_receive: Duration::ZERO });
/// assert_eq!(config.host, "broker.example");
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ClientConfig {
    /// The `host` header: the virtual host to connect to (required by
    /// STOMP 1.2 "CONNECT or STOMP Frame").
    pub host: String,
    /// The `login` header, if any.
    pub login: Option<String>,
    /// The `passcode` header, if any.
    pub passcode: Option<String>,
    /// The `heart-beat` header (STOMP 1.2 "Heart-beating"): the shortest
    /// interval we can send at (`can_send`, zero: never) and the one we
    /// want to receive at (`want_receive`, zero: none).
    pub heart_beat: HeartBeat,
    /// The versions offered in `accept-version` (STOMP 1.2 "Protocol
    /// Negotiation"); an empty list offers all three.
    pub versions: Vec<Version>,
    /// Limits on the frames the server sends (STOMP 1.2 "Size Limits").
    pub limits: Limits,
    /// Open with the `STOMP` command instead of `CONNECT` (STOMP 1.2
    /// "CONNECT or STOMP Frame"; servers of 1.0 know only `CONNECT`).
    pub use_stomp_command: bool,
    /// How long to wait for CONNECTED before failing with
    /// [`ClientError::ConnectTimeout`](super::ClientError::ConnectTimeout).
    pub connect_timeout: Duration,
    /// How long to wait for the RECEIPT of DISCONNECT before failing with
    /// [`ClientError::DisconnectTimeout`](super::ClientError::DisconnectTimeout)
    /// (STOMP 1.2 "Connection Lingering").
    pub disconnect_timeout: Duration,
    /// How many receipts may be awaited at once; a frame asking for one
    /// more is refused with
    /// [`ClientError::TooManyReceipts`](super::ClientError::TooManyReceipts).
    pub max_outstanding_receipts: usize,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            host: "/".into(),
            login: None,
            passcode: None,
            heart_beat: HeartBeat {
                can_send: Duration::from_secs(10),
                want_receive: Duration::from_secs(10),
            },
            versions: vec![Version::V1_0, Version::V1_1, Version::V1_2],
            limits: Limits::default(),
            use_stomp_command: false,
            connect_timeout: Duration::from_secs(30),
            disconnect_timeout: Duration::from_secs(10),
            max_outstanding_receipts: 1024,
        }
    }
}

impl ClientConfig {
    /// Set [`ClientConfig::host`].
    #[must_use]
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = host.into();
        self
    }

    /// Set [`ClientConfig::login`].
    #[must_use]
    pub fn login(mut self, login: Option<String>) -> Self {
        self.login = login;
        self
    }

    /// Set [`ClientConfig::passcode`].
    #[must_use]
    pub fn passcode(mut self, passcode: Option<String>) -> Self {
        self.passcode = passcode;
        self
    }

    /// Set [`ClientConfig::heart_beat`].
    #[must_use]
    pub fn heart_beat(mut self, heart_beat: HeartBeat) -> Self {
        self.heart_beat = heart_beat;
        self
    }

    /// Set [`ClientConfig::versions`].
    #[must_use]
    pub fn versions(mut self, versions: Vec<Version>) -> Self {
        self.versions = versions;
        self
    }

    /// Set [`ClientConfig::limits`].
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Set [`ClientConfig::use_stomp_command`].
    #[must_use]
    pub fn use_stomp_command(mut self, use_stomp_command: bool) -> Self {
        self.use_stomp_command = use_stomp_command;
        self
    }

    /// Set [`ClientConfig::connect_timeout`].
    #[must_use]
    pub fn connect_timeout(mut self, connect_timeout: Duration) -> Self {
        self.connect_timeout = connect_timeout;
        self
    }

    /// Set [`ClientConfig::disconnect_timeout`].
    #[must_use]
    pub fn disconnect_timeout(mut self, disconnect_timeout: Duration) -> Self {
        self.disconnect_timeout = disconnect_timeout;
        self
    }

    /// Set [`ClientConfig::max_outstanding_receipts`].
    #[must_use]
    pub fn max_outstanding_receipts(mut self, max_outstanding_receipts: usize) -> Self {
        self.max_outstanding_receipts = max_outstanding_receipts;
        self
    }
}

/// How the server expects acknowledgements on a subscription (STOMP 1.2
/// "SUBSCRIBE ack Header").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum AckMode {
    /// No ACK: a message counts as acknowledged once sent.
    #[default]
    Auto,
    /// ACK and NACK are cumulative: they cover the message and every
    /// earlier one of the subscription.
    Client,
    /// ACK and NACK cover that one message (STOMP 1.1 and later).
    ClientIndividual,
}

impl AckMode {
    /// The `ack` header's value.
    pub fn as_str(self) -> &'static str {
        match self {
            AckMode::Auto => "auto",
            AckMode::Client => "client",
            AckMode::ClientIndividual => "client-individual",
        }
    }
}

/// What to add to one frame the client sends: a `receipt` request
/// (STOMP 1.2 "Header receipt"), a `transaction` (for SEND, ACK and NACK:
/// STOMP 1.2 "BEGIN") and headers of the caller's (for SEND and
/// SUBSCRIBE, say `content-type` or a broker's own headers).
///
/// ```
/// use rtw_stomp::client::FrameOptions;
///
/// let options = FrameOptions::default().receipt(true).header("content-type", "text/plain");
/// assert!(options.receipt);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FrameOptions {
    /// Ask the server for a RECEIPT; the call returns the receipt's id,
    /// and [`ClientEvent::Receipt`](super::ClientEvent::Receipt) reports it.
    pub receipt: bool,
    /// The transaction the frame belongs to (SEND, ACK, NACK).
    pub transaction: Option<TransactionId>,
    /// More headers, in order, after the client's own. A
    /// `content-length` here is dropped: the codec writes it.
    pub headers: Vec<(String, String)>,
}

impl FrameOptions {
    /// Set [`FrameOptions::receipt`].
    #[must_use]
    pub fn receipt(mut self, receipt: bool) -> Self {
        self.receipt = receipt;
        self
    }

    /// Set [`FrameOptions::transaction`].
    #[must_use]
    pub fn transaction(mut self, transaction: Option<TransactionId>) -> Self {
        self.transaction = transaction;
        self
    }

    /// Add a header to [`FrameOptions::headers`].
    #[must_use]
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}
