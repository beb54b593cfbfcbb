//! Channels (RFC 8656 §12): a number from 0x4000-0x4FFF bound to a peer
//! transport address, so data goes as 4-byte-header ChannelData instead of
//! Send and Data indications. A binding is refreshed 540 s after the
//! ChannelBind that made it was sent, one minute before the server's
//! 600 s run out; each ChannelBind also refreshes the peer's permission.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rtw_stun::CHANNEL_NUMBERS;
use rtw_stun::attributes::ChannelNumber;

use super::permissions::{MAX_PERMISSIONS, Permission};
use super::requests::Request;
use super::{Client, ClientEvent, State};
use crate::Error;

/// How long after a ChannelBind the binding is refreshed: 60 s before
/// the 600 s of RFC 8656 §12.
pub(super) const CHANNEL_REFRESH: Duration = Duration::from_secs(540);

/// One channel.
#[derive(Debug, Clone, Copy)]
pub(super) struct Channel {
    pub(super) number: u16,
    /// A ChannelBind for it succeeded: data goes as ChannelData.
    pub(super) bound: bool,
    /// When the next ChannelBind is due; `None` while one runs.
    pub(super) refresh_at: Option<Instant>,
}

/// Every channel, by peer and by number.
#[derive(Debug, Default)]
pub(super) struct Channels {
    by_peer: BTreeMap<SocketAddr, Channel>,
    by_number: BTreeMap<u16, SocketAddr>,
    /// Where the search for a free number starts: numbers are used in
    /// turn, so a number is not reused soon after its binding ended (the
    /// server keeps it 5 minutes more, RFC 8656 §12).
    next: u16,
}

impl Channels {
    pub(super) fn clear(&mut self) {
        self.by_peer.clear();
        self.by_number.clear();
    }

    pub(super) fn get(&self, peer: &SocketAddr) -> Option<&Channel> {
        self.by_peer.get(peer)
    }

    /// The peer a channel number is bound (or being bound) to.
    pub(super) fn peer(&self, number: u16) -> Option<SocketAddr> {
        self.by_number.get(&number).copied()
    }

    /// A free number, in turn.
    fn free_number(&mut self) -> Option<u16> {
        let (low, high) = (*CHANNEL_NUMBERS.start(), *CHANNEL_NUMBERS.end());
        let count = high - low + 1;
        for i in 0..count {
            let n = low + (self.next.wrapping_add(i) % count);
            if !self.by_number.contains_key(&n) {
                self.next = (n - low + 1) % count;
                return Some(n);
            }
        }
        None
    }

    fn remove(&mut self, peer: SocketAddr) {
        if let Some(c) = self.by_peer.remove(&peer) {
            self.by_number.remove(&c.number);
        }
    }
}

impl Client {
    /// [`Client::bind_channel`](super::Client::bind_channel).
    pub(super) fn channel(
        &mut self,
        now: Instant,
        peer: SocketAddr,
    ) -> Result<ChannelNumber, Error> {
        if self.state != State::Allocated {
            return Err(Error::InvalidState(
                "no allocation: bind channels after ClientEvent::Allocated",
            ));
        }
        if let Some(c) = self.channels.get(&peer) {
            return Ok(ChannelNumber(c.number));
        }
        let has_permission = self.permissions.contains_key(&peer.ip());
        if !has_permission && self.permissions.len() >= MAX_PERMISSIONS {
            return Err(Error::Limit("at most 4096 permissions per client"));
        }
        let number = self
            .channels
            .free_number()
            .ok_or(Error::ChannelsExhausted)?;
        self.start(
            now,
            Request::Channel {
                peer,
                channel: number,
            },
            false,
        )?;
        self.channels.by_peer.insert(
            peer,
            Channel {
                number,
                bound: false,
                refresh_at: None,
            },
        );
        self.channels.by_number.insert(number, peer);
        if !has_permission {
            self.permissions.insert(peer.ip(), Permission::default());
        }
        Ok(ChannelNumber(number))
    }

    /// A ChannelBind succeeded (RFC 8656 §12.3).
    pub(super) fn on_channel(
        &mut self,
        _now: Instant,
        peer: SocketAddr,
        number: u16,
        started: Instant,
    ) {
        let Some(c) = self.channels.by_peer.get_mut(&peer) else {
            return;
        };
        if c.number != number {
            return;
        }
        let first = !c.bound;
        c.bound = true;
        c.refresh_at = started.checked_add(CHANNEL_REFRESH);
        self.permission_refreshed_by_channel(peer.ip(), started);
        if first {
            self.events.push_back(ClientEvent::ChannelBound {
                peer,
                channel: ChannelNumber(number),
            });
        }
    }

    /// A ChannelBind failed: the channel is dropped, and so is a
    /// permission that was only being installed through it.
    pub(super) fn on_channel_failed(&mut self, peer: SocketAddr, number: u16, error: Error) {
        if self.channels.get(&peer).is_none_or(|c| c.number != number) {
            return;
        }
        self.channels.remove(peer);
        if let Some(p) = self.permissions.get(&peer.ip())
            && !p.explicit
            && !p.installed
        {
            self.permissions.remove(&peer.ip());
        }
        self.events
            .push_back(ClientEvent::ChannelBindFailed { peer, error });
    }

    /// Send the ChannelBinds that are due.
    pub(super) fn channel_timers(&mut self, now: Instant) {
        let due: Vec<(SocketAddr, u16)> = self
            .channels
            .by_peer
            .iter()
            .filter(|(_, c)| c.refresh_at.is_some_and(|t| t <= now))
            .map(|(peer, c)| (*peer, c.number))
            .collect();
        for (peer, channel) in due {
            if let Some(c) = self.channels.by_peer.get_mut(&peer) {
                c.refresh_at = None;
            }
            if let Err(e) = self.start(now, Request::Channel { peer, channel }, false) {
                self.on_channel_failed(peer, channel, e);
            }
        }
    }

    /// The channels' next timer.
    pub(super) fn channel_timeout(&self) -> Option<Instant> {
        self.channels
            .by_peer
            .values()
            .filter_map(|c| c.refresh_at)
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_used_in_turn_and_run_out() {
        let mut c = Channels::default();
        let peer = |i: u16| SocketAddr::from(([192, 0, 2, 1], i));
        let first = c.free_number().unwrap();
        assert_eq!(first, 0x4000);
        c.by_number.insert(first, peer(1));
        assert_eq!(c.free_number(), Some(0x4001));
        // 0x4001 was not taken: the search still moves on.
        assert_eq!(c.free_number(), Some(0x4002));
        for n in CHANNEL_NUMBERS {
            c.by_number.insert(n, peer(n));
        }
        assert_eq!(c.free_number(), None);
        c.by_number.remove(&0x4FFF);
        assert_eq!(c.free_number(), Some(0x4FFF));
        c.by_number.remove(&0x4000);
        assert_eq!(c.free_number(), Some(0x4000));
    }
}
