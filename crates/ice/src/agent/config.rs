//! The settings of an agent (RFC 8445 §14, RFC 7675 §5.1).

use std::time::Duration;

use rtw_stun::TransactionConfig;

use crate::Limits;

/// Settings of an agent. `Default` gives the values of RFC 8445 and RFC
/// 7675; each field has a setter of the same name.
///
/// ```
/// use std::time::Duration;
/// use rtw_ice::{IceConfig, Limits};
///
/// let config = IceConfig::default()
///     .ta(Duration::from_millis(20))
///     .software("example 1.0")
///     .limits(Limits::default().max_pairs(50));
/// assert_eq!(config.limits.max_pairs, 50);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct IceConfig {
    /// Ta, the pacing of checks: 50 ms (RFC 8445 §14.2).
    pub ta: Duration,
    /// What the agent keeps for a peer, and candidate parsing bounds: see
    /// [`Limits`] (100 pairs, 100 remote candidates, 100 local ones).
    pub limits: Limits,
    /// Retransmission of connectivity checks: RTO 500 ms, Rc 7, Rm 16, so
    /// an unanswered check fails after 39.5 s (RFC 8445 §14.3, RFC 8489
    /// §6.2.1).
    pub check_transaction: TransactionConfig,
    /// Retransmission of the Binding requests that gather
    /// server-reflexive candidates: the RFC 8489 §6.2.1 defaults (RTO 500
    /// ms, Rc 7, Rm 16), so that a lossy path still yields the candidate;
    /// a silent server is given up after 39.5 s.
    pub gather_transaction: TransactionConfig,
    /// How long the controlling agent waits after its first valid pair for
    /// a better one before it nominates: 200 ms. It nominates sooner when
    /// no pair of higher priority is left to check (RFC 8445 §8.1.1 leaves
    /// the choice to the agent).
    pub nomination_delay: Duration,
    /// The mean interval of consent checks: 5 s, each one randomised to
    /// between 0.8 and 1.2 times it (RFC 7675 §5.1). Each check is
    /// retransmitted within its interval (RTO 500 ms, up to 4 sends), so a
    /// single lost datagram does not miss a check.
    pub consent_interval: Duration,
    /// Consent is lost when no check was answered for this long: 30 s
    /// (RFC 7675 §5.1).
    pub consent_timeout: Duration,
    /// [`ConnectionState::Disconnected`](crate::ConnectionState::Disconnected) when no consent check was
    /// answered for this long: 11 s, two consent intervals and a margin,
    /// so that one check lost on a lossy path does not disconnect.
    pub disconnected_timeout: Duration,
    /// Tr: a Binding indication goes out on the selected pair when nothing
    /// else was sent on it for this long, to keep NAT bindings open: 15 s
    /// (RFC 8445 §11). Consent checks count, so a full agent rarely needs
    /// one; an ICE lite agent, which sends no checks, relies on them.
    pub keepalive_interval: Duration,
    /// The local agent is ICE lite (RFC 8445 §2.5): it only answers checks.
    pub lite: bool,
    /// SOFTWARE to put in checks and answers, if any.
    pub software: Option<String>,
}

impl Default for IceConfig {
    fn default() -> Self {
        IceConfig {
            ta: Duration::from_millis(50),
            limits: Limits::default(),
            check_transaction: TransactionConfig::default(),
            gather_transaction: TransactionConfig::default(),
            nomination_delay: Duration::from_millis(200),
            consent_interval: Duration::from_secs(5),
            consent_timeout: Duration::from_secs(30),
            disconnected_timeout: Duration::from_secs(11),
            keepalive_interval: Duration::from_secs(15),
            lite: false,
            software: None,
        }
    }
}

impl IceConfig {
    /// Set [`IceConfig::ta`].
    #[must_use]
    pub fn ta(mut self, ta: Duration) -> Self {
        self.ta = ta;
        self
    }

    /// Set [`IceConfig::limits`].
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Set [`IceConfig::check_transaction`].
    #[must_use]
    pub fn check_transaction(mut self, config: TransactionConfig) -> Self {
        self.check_transaction = config;
        self
    }

    /// Set [`IceConfig::gather_transaction`].
    #[must_use]
    pub fn gather_transaction(mut self, config: TransactionConfig) -> Self {
        self.gather_transaction = config;
        self
    }

    /// Set [`IceConfig::nomination_delay`].
    #[must_use]
    pub fn nomination_delay(mut self, delay: Duration) -> Self {
        self.nomination_delay = delay;
        self
    }

    /// Set [`IceConfig::consent_interval`].
    #[must_use]
    pub fn consent_interval(mut self, interval: Duration) -> Self {
        self.consent_interval = interval;
        self
    }

    /// Set [`IceConfig::consent_timeout`].
    #[must_use]
    pub fn consent_timeout(mut self, timeout: Duration) -> Self {
        self.consent_timeout = timeout;
        self
    }

    /// Set [`IceConfig::disconnected_timeout`].
    #[must_use]
    pub fn disconnected_timeout(mut self, timeout: Duration) -> Self {
        self.disconnected_timeout = timeout;
        self
    }

    /// Set [`IceConfig::keepalive_interval`].
    #[must_use]
    pub fn keepalive_interval(mut self, interval: Duration) -> Self {
        self.keepalive_interval = interval;
        self
    }

    /// Set [`IceConfig::lite`].
    #[must_use]
    pub fn lite(mut self, lite: bool) -> Self {
        self.lite = lite;
        self
    }

    /// Set [`IceConfig::software`].
    #[must_use]
    pub fn software(mut self, software: impl Into<String>) -> Self {
        self.software = Some(software.into());
        self
    }
}
