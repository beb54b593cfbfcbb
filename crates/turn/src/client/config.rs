//! What a [`Client`](super::Client) is configured with: its long-term
//! credentials (RFC 8489 §9.2), the allocation it asks for (RFC 8656 §7.1)
//! and the transport to the server.

use std::time::Duration;

use rtw_stun::attributes::AddressFamily;
use rtw_stun::{Limits, TransactionConfig, Transport};

/// A TURN client's configuration: the credentials are required, every
/// other field has a default.
///
/// | field | default | |
/// |---|---|---|
/// | [`realm`](ClientConfig::realm) | `None`: any | the REALM the server must announce |
/// | [`software`](ClientConfig::software) | `Some("rtw-turn VERSION")` | SOFTWARE in Allocate (RFC 8656 §7.1) |
/// | [`lifetime`](ClientConfig::lifetime) | `None`: the server's default | LIFETIME in Allocate and Refresh (RFC 8656 §7.1, §8.1) |
/// | [`transport`](ClientConfig::transport) | UDP | RFC 8656 §3.1 |
/// | [`family`](ClientConfig::family) | IPv4 | REQUESTED-ADDRESS-FAMILY for IPv6 (RFC 8656 §7.1) |
/// | [`transaction`](ClientConfig::transaction) | RFC 8489 §6.2 defaults | retransmissions over UDP, Ti over TCP |
/// | [`limits`](ClientConfig::limits) | rtw-stun's defaults | what is read from the server |
///
/// ```
/// use std::time::Duration;
/// use rtw_turn::Transport;
/// use rtw_turn::client::ClientConfig;
///
/// let config = ClientConfig::new("alice", "secret")
///     .realm(Some("example.org".to_owned()))
///     .lifetime(Some(Duration::from_secs(1200)))
///     .transport(Transport::Tcp);
/// assert_eq!(config.username, "alice");
/// assert_eq!(config.transport, Transport::Tcp);
/// assert!(!format!("{config:?}").contains("secret"));
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientConfig {
    /// The username of the long-term credentials (RFC 8489 §9.2); it goes
    /// through the OpaqueString profile before use (§9.2.2). A TURN REST
    /// API username is `expiry:user`.
    pub username: String,
    /// The password of the long-term credentials.
    pub password: String,
    /// The REALM the server must announce in its 401 (RFC 8489 §9.2.3);
    /// `None` accepts the server's. A different realm fails the
    /// allocation with [`Error::InvalidResponse`](crate::Error::InvalidResponse)
    /// rather than sending a key for it.
    pub realm: Option<String>,
    /// SOFTWARE in Allocate requests (RFC 8489 §14.14); `None` sends none.
    pub software: Option<String>,
    /// The allocation lifetime asked for in Allocate and Refresh
    /// (LIFETIME, RFC 8656 §7.1, §8.1); `None` lets the server choose
    /// (600 s by default). Whole seconds are sent.
    pub lifetime: Option<Duration>,
    /// The transport to the server (RFC 8656 §3.1): UDP and DTLS with
    /// retransmissions, TCP and TLS as a framed byte stream (§12.5).
    pub transport: Transport,
    /// The family of the relayed address: IPv6 sends
    /// REQUESTED-ADDRESS-FAMILY (RFC 8656 §7.1).
    pub family: AddressFamily,
    /// Retransmission and timeout of requests (RFC 8489 §6.2.1, §6.2.2).
    pub transaction: TransactionConfig,
    /// Bounds on what is read from the server: message size and attribute
    /// count, and the largest frame buffered from a stream.
    pub limits: Limits,
}

/// The password is not printed.
impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("realm", &self.realm)
            .field("software", &self.software)
            .field("lifetime", &self.lifetime)
            .field("transport", &self.transport)
            .field("family", &self.family)
            .field("transaction", &self.transaction)
            .field("limits", &self.limits)
            .finish()
    }
}

impl ClientConfig {
    /// A configuration with these long-term credentials and the defaults.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        ClientConfig {
            username: username.into(),
            password: password.into(),
            realm: None,
            software: Some(concat!("rtw-turn ", env!("CARGO_PKG_VERSION")).to_owned()),
            lifetime: None,
            transport: Transport::Udp,
            family: AddressFamily::V4,
            transaction: TransactionConfig::default(),
            limits: Limits::default(),
        }
    }

    /// Sets [`ClientConfig::username`].
    #[must_use]
    pub fn username(mut self, username: impl Into<String>) -> Self {
        self.username = username.into();
        self
    }

    /// Sets [`ClientConfig::password`].
    #[must_use]
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.password = password.into();
        self
    }

    /// Sets [`ClientConfig::realm`].
    #[must_use]
    pub fn realm(mut self, realm: Option<String>) -> Self {
        self.realm = realm;
        self
    }

    /// Sets [`ClientConfig::software`].
    #[must_use]
    pub fn software(mut self, software: Option<String>) -> Self {
        self.software = software;
        self
    }

    /// Sets [`ClientConfig::lifetime`].
    #[must_use]
    pub fn lifetime(mut self, lifetime: Option<Duration>) -> Self {
        self.lifetime = lifetime;
        self
    }

    /// Sets [`ClientConfig::transport`].
    #[must_use]
    pub fn transport(mut self, transport: Transport) -> Self {
        self.transport = transport;
        self
    }

    /// Sets [`ClientConfig::family`].
    #[must_use]
    pub fn family(mut self, family: AddressFamily) -> Self {
        self.family = family;
        self
    }

    /// Sets [`ClientConfig::transaction`].
    #[must_use]
    pub fn transaction(mut self, transaction: TransactionConfig) -> Self {
        self.transaction = transaction;
        self
    }

    /// Sets [`ClientConfig::limits`].
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }
}
