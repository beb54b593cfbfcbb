//! What a [`Server`](super::Server) is configured with: its realm and
//! users, the lifetimes of RFC 8656, the peer-address policy, quotas and
//! limits.

use std::net::IpAddr;
use std::time::Duration;

use rtw_stun::key::PasswordAlgorithm;

/// A TURN server's configuration. `realm` and at least one way to
/// authenticate (`users` or `auth_secret`) are required.
///
/// Every other field has a default that is safe to face the Internet
/// with; the setters are named like the fields.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServerConfig {
    /// The REALM of the long-term credentials (RFC 8489 §9.2).
    pub realm: String,
    /// The static users, as `(username, password)`.
    pub users: Vec<(String, String)>,
    /// The shared secret of the TURN REST API: a username is
    /// `expiry:user` with `expiry` in Unix seconds, and its password is
    /// `base64(HMAC-SHA1(secret, username))` (coturn's `use-auth-secret`).
    /// Expiry is checked on every authenticated request, so an allocation
    /// cannot be refreshed past it.
    pub auth_secret: Option<Vec<u8>>,
    /// The password algorithms offered in PASSWORD-ALGORITHMS, most
    /// preferred first (RFC 8489 §9.2.4). Default: MD5 then SHA-256.
    pub password_algorithms: Vec<PasswordAlgorithm>,
    /// SOFTWARE in responses (RFC 8489 §14.14); `None` sends none.
    pub software: Option<String>,
    /// The lifetime of an allocation when the client asks for none, and the
    /// shortest one granted (RFC 8656 §7.2): 600 s.
    pub default_lifetime: Duration,
    /// The longest allocation lifetime granted (RFC 8656 §7.2): 3600 s.
    pub max_lifetime: Duration,
    /// How long a permission lasts without refresh (RFC 8656 §9): 300 s.
    pub permission_lifetime: Duration,
    /// How long a channel binding lasts without refresh (RFC 8656 §12): 600 s.
    pub channel_lifetime: Duration,
    /// How long a nonce is accepted before 438 Stale Nonce (RFC 8489 §9.2):
    /// 600 s.
    pub nonce_lifetime: Duration,
    /// How long a port reserved by EVEN-PORT's R bit stays reserved
    /// (RFC 8656 §14.6): 30 s.
    pub reservation_lifetime: Duration,
    /// Which peer addresses may be relayed to and from.
    pub peers: PeerPolicy,
    /// Allocation quotas and the bandwidth cap.
    pub quotas: Quotas,
    /// Sizes and counts the server never exceeds.
    pub limits: Limits,
    /// Accept the channel numbers of RFC 5766 (0x4000-0x7FFF) in
    /// ChannelBind and ChannelData, as coturn does, for clients that still
    /// pick from the old range (coturn's `turnutils_uclient` among them).
    /// Default: no; RFC 8656 §12 allows 0x4000-0x4FFF only and a
    /// ChannelBind outside it gets 400.
    pub rfc5766_channels: bool,
}

impl ServerConfig {
    /// A configuration for `realm` with no users yet.
    pub fn new(realm: impl Into<String>) -> Self {
        ServerConfig {
            realm: realm.into(),
            users: Vec::new(),
            auth_secret: None,
            password_algorithms: vec![PasswordAlgorithm::Md5, PasswordAlgorithm::Sha256],
            software: Some(concat!("rtw-turn ", env!("CARGO_PKG_VERSION")).to_owned()),
            default_lifetime: Duration::from_secs(600),
            max_lifetime: Duration::from_secs(3600),
            permission_lifetime: Duration::from_secs(300),
            channel_lifetime: Duration::from_secs(600),
            nonce_lifetime: Duration::from_secs(600),
            reservation_lifetime: Duration::from_secs(30),
            peers: PeerPolicy::default(),
            quotas: Quotas::default(),
            limits: Limits::default(),
            rfc5766_channels: false,
        }
    }

    /// Adds a static user.
    #[must_use]
    pub fn user(mut self, username: impl Into<String>, password: impl Into<String>) -> Self {
        self.users.push((username.into(), password.into()));
        self
    }

    /// Sets the TURN REST API secret.
    #[must_use]
    pub fn auth_secret(mut self, secret: impl Into<Vec<u8>>) -> Self {
        self.auth_secret = Some(secret.into());
        self
    }

    /// Sets the password algorithms offered, most preferred first.
    #[must_use]
    pub fn password_algorithms(mut self, algorithms: Vec<PasswordAlgorithm>) -> Self {
        self.password_algorithms = algorithms;
        self
    }

    /// Sets SOFTWARE.
    #[must_use]
    pub fn software(mut self, software: Option<String>) -> Self {
        self.software = software;
        self
    }

    /// Sets the default allocation lifetime.
    #[must_use]
    pub fn default_lifetime(mut self, lifetime: Duration) -> Self {
        self.default_lifetime = lifetime;
        self
    }

    /// Sets the longest allocation lifetime.
    #[must_use]
    pub fn max_lifetime(mut self, lifetime: Duration) -> Self {
        self.max_lifetime = lifetime;
        self
    }

    /// Sets the permission lifetime.
    #[must_use]
    pub fn permission_lifetime(mut self, lifetime: Duration) -> Self {
        self.permission_lifetime = lifetime;
        self
    }

    /// Sets the channel binding lifetime.
    #[must_use]
    pub fn channel_lifetime(mut self, lifetime: Duration) -> Self {
        self.channel_lifetime = lifetime;
        self
    }

    /// Sets the nonce lifetime.
    #[must_use]
    pub fn nonce_lifetime(mut self, lifetime: Duration) -> Self {
        self.nonce_lifetime = lifetime;
        self
    }

    /// Sets the reservation lifetime of EVEN-PORT.
    #[must_use]
    pub fn reservation_lifetime(mut self, lifetime: Duration) -> Self {
        self.reservation_lifetime = lifetime;
        self
    }

    /// Sets the peer-address policy.
    #[must_use]
    pub fn peers(mut self, peers: PeerPolicy) -> Self {
        self.peers = peers;
        self
    }

    /// Sets the quotas.
    #[must_use]
    pub fn quotas(mut self, quotas: Quotas) -> Self {
        self.quotas = quotas;
        self
    }

    /// Sets the limits.
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Sets `rfc5766_channels`.
    #[must_use]
    pub fn rfc5766_channels(mut self, accept: bool) -> Self {
        self.rfc5766_channels = accept;
        self
    }
}

/// Which peer addresses the server relays to and from (RFC 8656 §21.1,
/// and coturn's CVE-2020-26262 and CVE-2026-27624, which were bypasses of
/// exactly these rules).
///
/// By default only global unicast addresses are allowed. A peer address is
/// refused with 403 Forbidden in CreatePermission and ChannelBind, and
/// packets to or from it are dropped, when it is (after unmapping an
/// IPv4-mapped or IPv4-compatible IPv6 address to its IPv4 address):
/// unspecified, loopback (unless `allow_loopback`), private or unique-local
/// (unless `allow_private`), link-local (unless `allow_link_local`),
/// multicast or broadcast (always), one of `server_addresses`, or listed in
/// `deny`. An address listed in `allow` is allowed whatever the rules
/// above say, except unspecified, multicast and broadcast.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct PeerPolicy {
    /// Allow 127.0.0.0/8 and ::1 (tests on one machine). Default: no.
    pub allow_loopback: bool,
    /// Allow 10/8, 172.16/12, 192.168/16, 100.64/10 and fc00::/7. Default: no.
    pub allow_private: bool,
    /// Allow 169.254/16 and fe80::/10. Default: no.
    pub allow_link_local: bool,
    /// The server's own addresses (listeners and relays), always refused.
    pub server_addresses: Vec<IpAddr>,
    /// Addresses always allowed (except unspecified and multicast).
    pub allow: Vec<IpAddr>,
    /// Addresses always refused.
    pub deny: Vec<IpAddr>,
}

impl PeerPolicy {
    /// Sets `allow_loopback`.
    #[must_use]
    pub fn allow_loopback(mut self, allow: bool) -> Self {
        self.allow_loopback = allow;
        self
    }

    /// Sets `allow_private`.
    #[must_use]
    pub fn allow_private(mut self, allow: bool) -> Self {
        self.allow_private = allow;
        self
    }

    /// Sets `allow_link_local`.
    #[must_use]
    pub fn allow_link_local(mut self, allow: bool) -> Self {
        self.allow_link_local = allow;
        self
    }

    /// Sets the server's own addresses.
    #[must_use]
    pub fn server_addresses(mut self, addresses: Vec<IpAddr>) -> Self {
        self.server_addresses = addresses;
        self
    }

    /// Sets the addresses always allowed.
    #[must_use]
    pub fn allow(mut self, addresses: Vec<IpAddr>) -> Self {
        self.allow = addresses;
        self
    }

    /// Sets the addresses always refused.
    #[must_use]
    pub fn deny(mut self, addresses: Vec<IpAddr>) -> Self {
        self.deny = addresses;
        self
    }
}

/// Allocation quotas (answered 486 and 508, RFC 8656 §7.2) and the
/// bandwidth cap of one allocation.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Quotas {
    /// Allocations one username may hold at once (486 Allocation Quota
    /// Reached beyond). Default: 10.
    pub allocations_per_user: usize,
    /// Allocations the server holds at once (508 Insufficient Capacity
    /// beyond). Default: 10,000.
    pub allocations: usize,
    /// Bytes per second one allocation may relay, both directions
    /// together; packets beyond are dropped. `None`: no cap. Default:
    /// 10 MB/s, with a burst of one second's worth.
    pub bandwidth: Option<u64>,
    /// UDP requests per second (a second's worth as the burst) that one
    /// source address may send from a 5-tuple holding no allocation:
    /// unauthenticated requests, Allocates, Bindings, bad integrity.
    /// Beyond, they are dropped unanswered, before any HMAC (RFC 8656
    /// §21, see `limiter.rs`). Requests from a 5-tuple with an allocation
    /// and ChannelData are not counted. 0: no limit. Default: 100.
    pub unauthenticated_rate: u64,
}

impl Default for Quotas {
    fn default() -> Self {
        Quotas {
            allocations_per_user: 10,
            allocations: 10_000,
            bandwidth: Some(10_000_000),
            unauthenticated_rate: 100,
        }
    }
}

impl Quotas {
    /// Sets `allocations_per_user`.
    #[must_use]
    pub fn allocations_per_user(mut self, n: usize) -> Self {
        self.allocations_per_user = n;
        self
    }

    /// Sets `allocations`.
    #[must_use]
    pub fn allocations(mut self, n: usize) -> Self {
        self.allocations = n;
        self
    }

    /// Sets `bandwidth`.
    #[must_use]
    pub fn bandwidth(mut self, bytes_per_second: Option<u64>) -> Self {
        self.bandwidth = bytes_per_second;
        self
    }

    /// Sets `unauthenticated_rate` (0: no limit).
    #[must_use]
    pub fn unauthenticated_rate(mut self, per_second: u64) -> Self {
        self.unauthenticated_rate = per_second;
        self
    }
}

/// Sizes and counts a [`Server`](super::Server) never exceeds, whatever
/// clients send.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Limits {
    /// The STUN parser's limits (message size, attribute count).
    pub stun: rtw_stun::Limits,
    /// Permissions one allocation may hold (RFC 8656 §9); a
    /// CreatePermission beyond gets 508. Default: 128.
    pub permissions_per_allocation: usize,
    /// Channels one allocation may bind (RFC 8656 §12); a ChannelBind
    /// beyond gets 508. Default: 256.
    pub channels_per_allocation: usize,
    /// TCP connections to peers one allocation may hold (RFC 6062 §5.2);
    /// a Connect beyond gets 508 and an incoming one is refused.
    /// Default: 32.
    pub peer_connections_per_allocation: usize,
    /// Client streams (TCP or TLS) the server tracks at once; bytes from
    /// a new one beyond are dropped and the driver told to close it.
    /// Default: 10,000.
    pub streams: usize,
    /// Source addresses whose request rate is remembered for
    /// [`Quotas::unauthenticated_rate`]; beyond, the longest idle are
    /// forgotten (and start again with a full bucket). Default: 10,000
    /// (under 1 MiB).
    pub rate_limited_sources: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            stun: rtw_stun::Limits::default(),
            permissions_per_allocation: 128,
            channels_per_allocation: 256,
            peer_connections_per_allocation: 32,
            streams: 10_000,
            rate_limited_sources: 10_000,
        }
    }
}

impl Limits {
    /// Sets the STUN parser's limits.
    #[must_use]
    pub fn stun(mut self, stun: rtw_stun::Limits) -> Self {
        self.stun = stun;
        self
    }

    /// Sets `permissions_per_allocation`.
    #[must_use]
    pub fn permissions_per_allocation(mut self, n: usize) -> Self {
        self.permissions_per_allocation = n;
        self
    }

    /// Sets `channels_per_allocation`.
    #[must_use]
    pub fn channels_per_allocation(mut self, n: usize) -> Self {
        self.channels_per_allocation = n;
        self
    }

    /// Sets `peer_connections_per_allocation`.
    #[must_use]
    pub fn peer_connections_per_allocation(mut self, n: usize) -> Self {
        self.peer_connections_per_allocation = n;
        self
    }

    /// Sets `streams`.
    #[must_use]
    pub fn streams(mut self, n: usize) -> Self {
        self.streams = n;
        self
    }

    /// Sets `rate_limited_sources`.
    #[must_use]
    pub fn rate_limited_sources(mut self, n: usize) -> Self {
        self.rate_limited_sources = n;
        self
    }
}
