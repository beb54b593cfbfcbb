//! One allocation (RFC 8656 §2.2): its relayed addresses, lifetime,
//! credentials, permissions, channels and bandwidth budget.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use bytes::Bytes;
use rtw_core::TokenBucket;
use rtw_stun::TransactionId;

use super::policy::canonical;
use super::{FiveTuple, RelayProtocol};

/// How long a channel number stays tied to its peer after the binding
/// expires (RFC 8656 §12: 5 minutes).
pub(super) const CHANNEL_COOLDOWN: Duration = Duration::from_secs(300);

/// A channel binding (RFC 8656 §12).
#[derive(Debug, Clone, Copy)]
pub(super) struct Channel {
    pub(super) peer: SocketAddr,
    /// When the binding expires; after it, until `expires +
    /// CHANNEL_COOLDOWN`, the number may only be rebound to `peer`.
    pub(super) expires: Instant,
}

/// One allocation.
pub(super) struct Allocation {
    pub(super) five_tuple: FiveTuple,
    pub(super) protocol: RelayProtocol,
    pub(super) relayed: SocketAddr,
    /// The relayed address of the other family (ADDITIONAL-ADDRESS-FAMILY).
    pub(super) additional: Option<SocketAddr>,
    pub(super) username: String,
    pub(super) expires: Instant,
    /// The earliest timer set for this allocation.
    pub(super) scheduled: Instant,
    /// Permissions by canonical peer IP (RFC 8656 §9): when each expires,
    /// and whether the IP is one of the server's own (then only its
    /// relayed addresses may be reached there).
    pub(super) permissions: HashMap<IpAddr, (Instant, bool)>,
    /// Channels by number, and the number of each peer.
    pub(super) channels: HashMap<u16, Channel>,
    pub(super) channel_of: HashMap<SocketAddr, u16>,
    /// The Allocate's transaction and its success response, answered
    /// again to a retransmission (RFC 8656 §7.2).
    pub(super) allocate: (TransactionId, Bytes),
    pub(super) bucket: Option<TokenBucket>,
}

impl Allocation {
    /// The relayed address of `peer`'s family, if the allocation has one.
    pub(super) fn relayed_for(&self, peer: IpAddr) -> Option<SocketAddr> {
        [Some(self.relayed), self.additional]
            .into_iter()
            .flatten()
            .find(|r| r.is_ipv4() == peer.is_ipv4())
    }

    /// `true` if a permission for `peer`'s IP is installed at `now`.
    pub(super) fn permitted(&self, now: Instant, peer: IpAddr) -> bool {
        self.permission(now, peer).is_some()
    }

    /// The permission for `peer`'s IP at `now`: `Some(server_own)`.
    pub(super) fn permission(&self, now: Instant, peer: IpAddr) -> Option<bool> {
        self.permissions
            .get(&canonical(peer))
            .filter(|(expires, _)| *expires > now)
            .map(|(_, server_own)| *server_own)
    }

    /// The peer of a bound (unexpired) channel.
    pub(super) fn channel_peer(&self, now: Instant, number: u16) -> Option<SocketAddr> {
        self.channels
            .get(&number)
            .filter(|c| c.expires > now)
            .map(|c| c.peer)
    }

    /// The channel bound (unexpired) to `peer`.
    pub(super) fn channel_to(&self, now: Instant, peer: SocketAddr) -> Option<u16> {
        let number = *self.channel_of.get(&peer)?;
        (self.channels.get(&number)?.expires > now).then_some(number)
    }

    /// Drops expired permissions and channels past their cooldown.
    pub(super) fn sweep(&mut self, now: Instant) {
        self.permissions.retain(|_, (expires, _)| *expires > now);
        let channel_of = &mut self.channel_of;
        self.channels.retain(|_, c| {
            let keep = c.expires + CHANNEL_COOLDOWN > now;
            if !keep {
                channel_of.remove(&c.peer);
            }
            keep
        });
    }

    /// The earliest time after `now` something in the allocation expires:
    /// itself, a permission, a channel, or a channel's cooldown.
    pub(super) fn next_expiry(&self, now: Instant) -> Instant {
        let permissions = self.permissions.values().map(|(expires, _)| *expires);
        let channels = self
            .channels
            .values()
            .flat_map(|c| [c.expires, c.expires + CHANNEL_COOLDOWN]);
        permissions
            .chain(channels)
            .filter(|at| *at > now)
            .fold(self.expires, Instant::min)
    }

    /// Takes `len` bytes from the bandwidth budget; `false` if over it.
    pub(super) fn spend(&mut self, now: Instant, len: usize) -> bool {
        self.bucket
            .as_mut()
            .is_none_or(|b| b.take(now, u64::try_from(len).unwrap_or(u64::MAX)))
    }
}
