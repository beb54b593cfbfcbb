//! What a [`Server`](crate::Server) is configured with: its namespaces
//! and how each answers a CONNECT, the connect timeout, and its
//! [`Limits`].

use std::collections::BTreeMap;
use std::time::Duration;

use crate::Limits;

/// How a namespace answers a client's CONNECT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectPolicy {
    /// Accepted at once: the CONNECT answer `{"sid":...}` is queued and
    /// [`ServerEvent::Connected`](crate::ServerEvent::Connected) given.
    Accept,
    /// The application decides: the server gives
    /// [`ServerEvent::ConnectRequest`](crate::ServerEvent::ConnectRequest)
    /// (with the client's `auth`) and waits for
    /// [`Server::accept`](crate::Server::accept) or
    /// [`Server::refuse`](crate::Server::refuse) (CONNECT_ERROR). Packets
    /// for the namespace are ignored meanwhile, as socket.io does for a
    /// namespace not joined yet.
    Ask,
}

/// A Socket.IO server's configuration. Every field has a default; the
/// setters are named like the fields:
///
/// ```
/// use std::time::Duration;
/// use rtw_socketio::{Config, ConnectPolicy, Limits};
///
/// let config = Config::default()
///     .namespace("/admin", ConnectPolicy::Ask)
///     .connect_timeout(Duration::from_secs(10))
///     .limits(Limits::default().max_attachments(4));
/// assert_eq!(config.namespaces["/"], ConnectPolicy::Accept);
/// assert_eq!(config.other_namespaces, None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// Sizes the server never exceeds.
    pub limits: Limits,
    /// The namespaces served and their connect policy: `/` accepted by
    /// default.
    pub namespaces: BTreeMap<String, ConnectPolicy>,
    /// The policy of every other namespace; `None` (the default) refuses
    /// them with CONNECT_ERROR `{"message":"Invalid namespace"}`, as the
    /// socket.io server does.
    pub other_namespaces: Option<ConnectPolicy>,
    /// How long an Engine.IO session may stay without any accepted
    /// namespace before the server gives
    /// [`ServerEvent::CloseEngine`](crate::ServerEvent::CloseEngine): 45 s,
    /// socket.io's `connectTimeout`.
    pub connect_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            limits: Limits::default(),
            namespaces: BTreeMap::from([("/".to_owned(), ConnectPolicy::Accept)]),
            other_namespaces: None,
            connect_timeout: Duration::from_secs(45),
        }
    }
}

impl Config {
    /// Sets [`Config::limits`].
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Serves `namespace` (starting with `/`) with `policy`, replacing its
    /// policy if it was served already.
    #[must_use]
    pub fn namespace(mut self, namespace: &str, policy: ConnectPolicy) -> Self {
        self.namespaces.insert(namespace.to_owned(), policy);
        self
    }

    /// Sets [`Config::other_namespaces`].
    #[must_use]
    pub fn other_namespaces(mut self, policy: Option<ConnectPolicy>) -> Self {
        self.other_namespaces = policy;
        self
    }

    /// Sets [`Config::connect_timeout`].
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    pub(crate) fn policy(&self, namespace: &str) -> Option<ConnectPolicy> {
        self.namespaces
            .get(namespace)
            .copied()
            .or(self.other_namespaces)
    }
}
