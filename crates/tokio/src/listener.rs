//! A TCP listener for servers that survives connection floods: it caps open
//! connections in total and per client address, answers connections over
//! a cap with a short "busy" response instead of serving them, sets TCP
//! keepalive and `TCP_NODELAY` on the connections it hands out, and backs
//! off instead of spinning when the process runs out of file descriptors.
//!
//! [`Listener::accept`] returns each connection with a [`Permit`]: keep the
//! permit as long as the connection lives (move it into the connection's
//! task) and drop it with the connection, which frees its slot.
//!
//! The caps only bound how many connections are open. A server must also
//! time out connections that send too slowly or not at all (for hyper:
//! `http1::Builder::timer` and `header_read_timeout`), or an attacker fills
//! the slots with idle connections and every other client gets the busy
//! response.
//!
//! Descriptors: call [`raise_nofile_limit`] before binding. A listener
//! lowers its caps to what the descriptor limit leaves room for (see
//! [`ListenerConfig::fit_to_descriptor_limit`]), so that it rejects
//! connections with the busy response rather than failing to accept them.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use rtw_tokio::listener::{Listener, ListenerConfig, raise_nofile_limit};
//! use tokio::io::AsyncWriteExt;
//!
//! let _ = raise_nofile_limit();
//! let config = ListenerConfig::default()
//!     .max_connections(5_000)
//!     .max_connections_per_ip(100);
//! let listener = Listener::bind("127.0.0.1:8080", config).await?;
//! loop {
//!     let (mut tcp, _peer, permit) = listener.accept().await?;
//!     tokio::spawn(async move {
//!         let _permit = permit; // the slot is taken until the task ends
//!         let _ = tcp.write_all(b"HTTP/1.1 204 No Content\r\n\r\n").await;
//!     });
//! }
//! # }
//! ```
//!
//! Client addresses: an IPv4-mapped IPv6 address counts as its IPv4
//! address, and IPv6 addresses count per /64 prefix, the block one host or
//! subscriber usually gets, so that an attacker cannot take a fresh slot
//! allowance with every address of its prefix.

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, ToSocketAddrs};

/// Descriptors [`ListenerConfig::fit_to_descriptor_limit`] leaves for what
/// is not a connection: standard streams, the listener, the runtime's
/// poller and wakers, files the server opens.
pub const DESCRIPTOR_RESERVE: u64 = 64;

/// How long a rejected connection may take to receive the busy response
/// and close its side before it is dropped.
pub const REJECT_LINGER: Duration = Duration::from_secs(1);

/// Interval between TCP keepalive probes once the idle time has passed.
pub const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(10);

/// Unanswered TCP keepalive probes after which the kernel drops the
/// connection: with the interval, a peer that vanished is dropped one
/// minute after the idle time. (Where [`ListenerConfig::tcp_user_timeout`]
/// is set, Linux drops it once that time has passed instead.)
pub const KEEPALIVE_RETRIES: u32 = 6;

/// The first pause after an accept fails for want of descriptors or
/// memory; it doubles with each failure in a row.
const BACKOFF_MIN: Duration = Duration::from_millis(10);

/// The longest pause after an accept fails for want of resources.
const BACKOFF_MAX: Duration = Duration::from_secs(1);

/// [`ListenerConfig::fit_to_descriptor_limit`] lowers no per-address cap
/// below this in proportion.
const PER_IP_FLOOR: usize = 16;

/// The busy response by default.
const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
Connection: close\r\n\
Retry-After: 1\r\n\
Content-Length: 0\r\n\
\r\n";

/// What a [`Listener`] allows. Build it from [`Default`] with the setters;
/// the fields can be read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListenerConfig {
    /// Connections open at once; over it a new connection gets the busy
    /// response. Default 10,000.
    pub max_connections: usize,
    /// Connections open at once from one client address (IPv6: one /64
    /// prefix). Default 1,000.
    pub max_connections_per_ip: usize,
    /// Idle time before TCP keepalive probes start, `None` for no
    /// keepalive. Probes follow every [`KEEPALIVE_INTERVAL`] (or the idle
    /// time, when shorter), and the kernel drops the connection after
    /// [`KEEPALIVE_RETRIES`] go unanswered. Default 60 s: a peer that
    /// vanished without a word while nothing was being sent is dropped
    /// after two minutes.
    pub tcp_keepalive: Option<Duration>,
    /// `TCP_USER_TIMEOUT` (RFC 5482; Linux and Android, ignored
    /// elsewhere): how long sent data, a keepalive probe, or data held
    /// back by the peer's zero window may stay unacknowledged before the
    /// kernel drops the connection (the server's next read or write then
    /// fails with `ETIMEDOUT`). `None` leaves the system's default.
    /// Default 120 s, the keepalive's own bound: keepalive covers only a
    /// connection with nothing in flight, and a peer that vanishes while
    /// data is on its way is otherwise retransmitted to for about 15
    /// minutes (Linux `tcp_retries2`). A server's own write timeout for a
    /// peer that reads nothing should be shorter.
    pub tcp_user_timeout: Option<Duration>,
    /// Set `TCP_NODELAY` on accepted connections. Default true.
    pub nodelay: bool,
    /// Written to a connection over a cap before it is closed, without
    /// reading its request. Default an HTTP/1.1 `503 Service
    /// Unavailable` with `Connection: close`, `Retry-After: 1` and
    /// `Content-Length: 0`.
    pub busy_response: Bytes,
    /// Rejected connections lingering at once (each up to
    /// [`REJECT_LINGER`], to let its busy response arrive before the close);
    /// over it a rejected connection is written to once without waiting
    /// and closed at once, so rejecting cannot exhaust descriptors.
    /// Default 64.
    pub max_rejecting: usize,
}

impl Default for ListenerConfig {
    fn default() -> Self {
        ListenerConfig {
            max_connections: 10_000,
            max_connections_per_ip: 1_000,
            tcp_keepalive: Some(Duration::from_secs(60)),
            tcp_user_timeout: Some(Duration::from_secs(120)),
            nodelay: true,
            busy_response: Bytes::from_static(BUSY),
            max_rejecting: 64,
        }
    }
}

impl ListenerConfig {
    /// Set [`max_connections`](Self::max_connections).
    #[must_use]
    pub fn max_connections(mut self, max: usize) -> Self {
        self.max_connections = max;
        self
    }

    /// Set [`max_connections_per_ip`](Self::max_connections_per_ip).
    #[must_use]
    pub fn max_connections_per_ip(mut self, max: usize) -> Self {
        self.max_connections_per_ip = max;
        self
    }

    /// Set [`tcp_keepalive`](Self::tcp_keepalive).
    #[must_use]
    pub fn tcp_keepalive(mut self, idle: Option<Duration>) -> Self {
        self.tcp_keepalive = idle;
        self
    }

    /// Set [`tcp_user_timeout`](Self::tcp_user_timeout).
    #[must_use]
    pub fn tcp_user_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.tcp_user_timeout = timeout;
        self
    }

    /// Set [`nodelay`](Self::nodelay).
    #[must_use]
    pub fn nodelay(mut self, nodelay: bool) -> Self {
        self.nodelay = nodelay;
        self
    }

    /// Set [`busy_response`](Self::busy_response).
    #[must_use]
    pub fn busy_response(mut self, response: impl Into<Bytes>) -> Self {
        self.busy_response = response.into();
        self
    }

    /// Set [`max_rejecting`](Self::max_rejecting).
    #[must_use]
    pub fn max_rejecting(mut self, max: usize) -> Self {
        self.max_rejecting = max;
        self
    }

    /// The caps lowered to what `limit` open descriptors leave room for:
    /// `max_connections` to at most `limit` less [`DESCRIPTOR_RESERVE`]
    /// and `max_rejecting` (at least 1), and `max_connections_per_ip` by
    /// the same ratio, so one address can take no larger share of the
    /// server than configured, but not below 16 (or the configured cap if
    /// it is lower) nor above `max_connections`. Caps that fit are kept.
    /// [`Listener`] does this with the process's soft `RLIMIT_NOFILE` when
    /// it is made: with 1,024 descriptors the defaults become 896
    /// connections, 89 per address.
    #[must_use]
    pub fn fit_to_descriptor_limit(mut self, limit: u64) -> Self {
        let reserve = DESCRIPTOR_RESERVE.saturating_add(self.max_rejecting as u64);
        let room = usize::try_from(limit.saturating_sub(reserve).max(1)).unwrap_or(usize::MAX);
        if room < self.max_connections {
            // per_ip * room / max, in u128 so that it cannot overflow.
            let scaled =
                self.max_connections_per_ip as u128 * room as u128 / self.max_connections as u128;
            let scaled = usize::try_from(scaled).unwrap_or(usize::MAX);
            self.max_connections_per_ip = self
                .max_connections_per_ip
                .min(scaled.max(PER_IP_FLOOR))
                .min(room);
            self.max_connections = room;
        }
        self
    }
}

/// Counters of a [`Listener`] since it was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ListenerStats {
    /// Connections handed out by [`Listener::accept`].
    pub accepted: u64,
    /// Connections over a cap, answered with the busy response.
    pub rejected: u64,
    /// Accepts that failed for want of descriptors, buffers or memory
    /// (`EMFILE`, `ENFILE`, `ENOBUFS`, `ENOMEM`), each followed by a pause.
    pub accept_errors: u64,
    /// Connections open now: permits not yet dropped.
    pub open: usize,
}

/// A TCP listener that caps connections; see the [module](self) docs.
pub struct Listener {
    inner: TcpListener,
    config: ListenerConfig,
    shared: Arc<Shared>,
}

/// What a listener shares with its permits and rejecting tasks.
#[derive(Debug, Default)]
struct Shared {
    slots: Mutex<Slots>,
    accepted: AtomicU64,
    rejected: AtomicU64,
    accept_errors: AtomicU64,
    rejecting: AtomicUsize,
}

/// Open connections, in total and per client address.
#[derive(Debug, Default)]
struct Slots {
    total: usize,
    /// Only addresses with connections open: entries go at zero.
    per_ip: HashMap<IpAddr, usize>,
}

impl Shared {
    fn slots(&self) -> MutexGuard<'_, Slots> {
        // The counts stay consistent even if a holder panicked: every
        // critical section is a few arithmetic steps.
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for Listener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Listener")
            .field("local_addr", &self.inner.local_addr().ok())
            .field("config", &self.config)
            .field("stats", &self.stats())
            .finish()
    }
}

impl Listener {
    /// Bind a listener to `addr` (port 0 picks a free port).
    ///
    /// # Errors
    ///
    /// When tokio's [`TcpListener::bind`] fails.
    pub async fn bind(addr: impl ToSocketAddrs, config: ListenerConfig) -> io::Result<Listener> {
        Ok(Listener::from_tokio(TcpListener::bind(addr).await?, config))
    }

    /// A listener on a bound std listener; must be called within a tokio
    /// runtime.
    ///
    /// # Errors
    ///
    /// When the listener cannot be made non-blocking or registered with
    /// the runtime.
    pub fn from_std(listener: std::net::TcpListener, config: ListenerConfig) -> io::Result<Self> {
        listener.set_nonblocking(true)?;
        Ok(Listener::from_tokio(
            TcpListener::from_std(listener)?,
            config,
        ))
    }

    /// A listener on a bound tokio listener. The caps are fitted to the
    /// process's descriptor limit now
    /// ([`ListenerConfig::fit_to_descriptor_limit`]).
    pub fn from_tokio(listener: TcpListener, config: ListenerConfig) -> Self {
        let config = match nofile_limit() {
            Some(limit) => config.fit_to_descriptor_limit(limit),
            None => config,
        };
        Listener {
            inner: listener,
            config,
            shared: Arc::default(),
        }
    }

    /// The address the listener is bound to.
    ///
    /// # Errors
    ///
    /// When the operating system cannot tell.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// The configuration in force, with the caps fitted to the descriptor
    /// limit.
    pub fn config(&self) -> &ListenerConfig {
        &self.config
    }

    /// The counters so far.
    pub fn stats(&self) -> ListenerStats {
        ListenerStats {
            accepted: self.shared.accepted.load(Ordering::Relaxed),
            rejected: self.shared.rejected.load(Ordering::Relaxed),
            accept_errors: self.shared.accept_errors.load(Ordering::Relaxed),
            open: self.shared.slots().total,
        }
    }

    /// The next connection within the caps, with its address and the
    /// permit that holds its slot.
    ///
    /// Connections over a cap get the busy response and are closed here,
    /// and the wait goes on. When the process is out of descriptors,
    /// buffers or memory, the wait goes on after a pause (10 ms, doubling
    /// up to 1 s while it lasts; counted in
    /// [`ListenerStats::accept_errors`]), and so it does for a connection
    /// that its peer aborted before it was accepted. Cancel-safe: no
    /// connection is lost when the future is dropped.
    ///
    /// # Errors
    ///
    /// Other failures of `accept(2)`, which mean the listener is broken.
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr, Permit)> {
        let mut backoff = BACKOFF_MIN;
        loop {
            let (tcp, peer) = match self.inner.accept().await {
                Ok(accepted) => accepted,
                Err(e) if is_exhaustion(&e) => {
                    self.shared.accept_errors.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(BACKOFF_MAX);
                    continue;
                }
                Err(e) if is_aborted(&e) => continue,
                Err(e) => return Err(e),
            };
            backoff = BACKOFF_MIN;
            match self.admit(peer.ip()) {
                Some(permit) => {
                    self.configure(&tcp);
                    self.shared.accepted.fetch_add(1, Ordering::Relaxed);
                    return Ok((tcp, peer, permit));
                }
                None => self.reject(tcp),
            }
        }
    }

    /// A permit for a connection from `ip`, or `None` over a cap.
    fn admit(&self, ip: IpAddr) -> Option<Permit> {
        let key = ip_key(ip);
        let mut slots = self.shared.slots();
        if slots.total >= self.config.max_connections {
            return None;
        }
        let count = slots.per_ip.entry(key).or_insert(0);
        if *count >= self.config.max_connections_per_ip {
            // An entry is only ever at zero if the cap is zero.
            if *count == 0 {
                slots.per_ip.remove(&key);
            }
            return None;
        }
        *count += 1;
        slots.total += 1;
        Some(Permit {
            shared: Arc::clone(&self.shared),
            key,
        })
    }

    /// Keepalive, user timeout and nodelay as configured; a socket that
    /// refuses keeps working without.
    fn configure(&self, tcp: &TcpStream) {
        if self.config.nodelay {
            let _ = tcp.set_nodelay(true);
        }
        #[cfg(any(target_os = "android", target_os = "linux"))]
        if let Some(timeout) = self.config.tcp_user_timeout {
            let _ = socket2::SockRef::from(tcp).set_tcp_user_timeout(Some(timeout));
        }
        if let Some(idle) = self.config.tcp_keepalive {
            let keepalive = socket2::TcpKeepalive::new().with_time(idle);
            #[cfg(any(
                target_os = "android",
                target_os = "freebsd",
                target_os = "linux",
                target_os = "macos",
                target_os = "netbsd",
                target_os = "windows",
            ))]
            let keepalive = keepalive
                .with_interval(KEEPALIVE_INTERVAL.min(idle).max(Duration::from_secs(1)))
                .with_retries(KEEPALIVE_RETRIES);
            let _ = socket2::SockRef::from(tcp).set_tcp_keepalive(&keepalive);
        }
    }

    /// Answer `tcp` with the busy response and close it, lingering in a
    /// task of its own if there is room for one.
    fn reject(&self, tcp: TcpStream) {
        self.shared.rejected.fetch_add(1, Ordering::Relaxed);
        let Some(guard) = Rejecting::enter(&self.shared, self.config.max_rejecting) else {
            // A fresh socket's send buffer takes a short response whole.
            let _ = tcp.try_write(&self.config.busy_response);
            return;
        };
        let response = self.config.busy_response.clone();
        tokio::spawn(async move {
            let _guard = guard;
            let mut tcp = tcp;
            let _ = tokio::time::timeout(REJECT_LINGER, async {
                tcp.write_all(&response).await?;
                tcp.shutdown().await?;
                // Read what the client sent until it closes: closing a
                // socket with unread input resets the connection, which
                // can destroy the response before the client reads it.
                let mut sink = [0; 1024];
                while tcp.read(&mut sink).await? != 0 {}
                Ok::<_, io::Error>(())
            })
            .await;
        });
    }
}

/// One place among [`ListenerConfig::max_rejecting`]; freed on drop.
struct Rejecting(Arc<Shared>);

impl Rejecting {
    fn enter(shared: &Arc<Shared>, max: usize) -> Option<Rejecting> {
        shared
            .rejecting
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()
            .map(|_| Rejecting(Arc::clone(shared)))
    }
}

impl Drop for Rejecting {
    fn drop(&mut self) {
        self.0.rejecting.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The slot of one accepted connection: keep it while the connection is
/// open, drop it to let another connection in.
pub struct Permit {
    shared: Arc<Shared>,
    key: IpAddr,
}

impl fmt::Debug for Permit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit").field("key", &self.key).finish()
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut slots = self.shared.slots();
        slots.total = slots.total.saturating_sub(1);
        if let Some(count) = slots.per_ip.get_mut(&self.key) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                slots.per_ip.remove(&self.key);
            }
        }
    }
}

/// What a client address counts as: IPv4 (also when mapped into IPv6) as
/// itself, IPv6 as its /64 prefix.
fn ip_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let prefix = v6.to_bits() & !u128::from(u64::MAX);
            IpAddr::V6(Ipv6Addr::from_bits(prefix))
        }
        v4 => v4,
    }
}

/// Whether `accept(2)` failed for want of descriptors, buffers or memory:
/// retrying at once would fail again.
fn is_exhaustion(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::OutOfMemory
        || e.raw_os_error().is_some_and(|code| {
            [libc::EMFILE, libc::ENFILE, libc::ENOBUFS, libc::ENOMEM].contains(&code)
        })
}

/// Whether `accept(2)` failed for one connection only (its peer aborted
/// it, or a protocol error on it), not for the listener.
fn is_aborted(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
    ) || e.raw_os_error() == Some(libc::EPROTO)
}

/// The soft `RLIMIT_NOFILE`, if there is one.
fn nofile_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        rlimit::getrlimit(rlimit::Resource::NOFILE)
            .ok()
            .map(|(soft, _hard)| soft)
            .filter(|&soft| soft != rlimit::INFINITY)
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// Raise the soft limit of open file descriptors (`RLIMIT_NOFILE`) to the
/// hard limit, and return the soft limit now in force. Call it before
/// binding a [`Listener`], whose caps are lowered to fit the limit. Where
/// there is no such limit it does nothing and returns `u64::MAX`.
///
/// # Errors
///
/// When the limit cannot be read or set.
pub fn raise_nofile_limit() -> io::Result<u64> {
    rlimit::increase_nofile_limit(u64::MAX)
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, Ipv6Addr};

    use super::*;

    #[test]
    fn caps_that_fit_are_kept() {
        let config = ListenerConfig::default();
        assert_eq!(config.clone().fit_to_descriptor_limit(1 << 20), config);
        assert_eq!(config.clone().fit_to_descriptor_limit(10_000 + 128), config);
    }

    #[test]
    fn caps_shrink_with_the_descriptor_limit_in_proportion() {
        let fitted = ListenerConfig::default().fit_to_descriptor_limit(1024);
        assert_eq!(fitted.max_connections, 1024 - 64 - 64);
        assert_eq!(fitted.max_connections_per_ip, 89);
        let small = ListenerConfig::default().fit_to_descriptor_limit(128 + 50);
        assert_eq!(small.max_connections, 50);
        assert_eq!(small.max_connections_per_ip, 16);
        let tiny = ListenerConfig::default().fit_to_descriptor_limit(10);
        assert_eq!(tiny.max_connections, 1);
        assert_eq!(tiny.max_connections_per_ip, 1);
        // A low per-address cap stays.
        let low = ListenerConfig::default()
            .max_connections_per_ip(5)
            .fit_to_descriptor_limit(1024);
        assert_eq!(low.max_connections_per_ip, 5);
        let high = ListenerConfig::default()
            .max_connections_per_ip(10_000)
            .fit_to_descriptor_limit(1024);
        assert_eq!(high.max_connections_per_ip, 896);
    }

    #[test]
    fn addresses_count_per_ipv4_address_and_ipv6_prefix() {
        let v4 = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7));
        assert_eq!(ip_key(v4), v4);
        let mapped = IpAddr::V6(Ipv4Addr::new(192, 0, 2, 7).to_ipv6_mapped());
        assert_eq!(ip_key(mapped), v4);
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(ip_key(a), ip_key(b));
        assert_ne!(ip_key(a), ip_key(c));
        assert_eq!(
            ip_key(a),
            IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 1, 2, 0, 0, 0, 0))
        );
    }

    #[test]
    fn exhaustion_is_told_from_other_errors() {
        for code in [libc::EMFILE, libc::ENFILE, libc::ENOBUFS, libc::ENOMEM] {
            assert!(is_exhaustion(&io::Error::from_raw_os_error(code)), "{code}");
        }
        assert!(!is_exhaustion(&io::Error::from_raw_os_error(libc::EINVAL)));
        assert!(is_aborted(&io::Error::from_raw_os_error(
            libc::ECONNABORTED
        )));
        assert!(!is_aborted(&io::Error::from_raw_os_error(libc::EBADF)));
    }

    #[test]
    fn permits_free_their_slots_and_map_entries() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let _enter = runtime.enter();
        let std = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let listener = Listener::from_std(
            std,
            ListenerConfig::default()
                .max_connections(3)
                .max_connections_per_ip(2),
        )
        .unwrap();
        let one: IpAddr = Ipv4Addr::new(10, 0, 0, 1).into();
        let two: IpAddr = Ipv4Addr::new(10, 0, 0, 2).into();
        let a = listener.admit(one).expect("first from one");
        let b = listener.admit(one).expect("second from one");
        assert!(listener.admit(one).is_none(), "per-address cap");
        let c = listener.admit(two).expect("first from two");
        assert!(listener.admit(two).is_none(), "total cap");
        assert_eq!(listener.stats().open, 3);
        drop(a);
        assert!(listener.admit(two).is_some(), "a slot came free");
        drop((b, c));
        assert_eq!(listener.stats().open, 0);
        assert!(listener.shared.slots().per_ip.is_empty());
    }
}
