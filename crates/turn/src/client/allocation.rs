//! The allocation's life (RFC 8656 §7, §8): the Allocate success, the
//! Refreshes that keep it, and its end.
//!
//! Refresh schedule: a Refresh is sent half-way through the lifetime
//! granted, counted from when the request that got it was first sent
//! (the server's clock for it starts no earlier). That is
//! `min(lifetime / 2, lifetime - 60 s)` for every lifetime of 120 s or
//! more (300 s for the default 600 s), so a Refresh that goes unanswered
//! through all its retransmissions (39.5 s with the defaults of RFC 8489
//! §6.2.1) is reported as [`ClientEvent::Expired`] while the allocation
//! still stands.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rtw_stun::Message;
use rtw_stun::attributes::{Lifetime, XorMappedAddress, XorRelayedAddress};

use super::requests::Request;
use super::{Client, ClientEvent, State};
use crate::Error;

/// The allocation, once the Allocate succeeded.
#[derive(Debug, Clone, Copy)]
pub(super) struct Allocation {
    pub(super) relayed: SocketAddr,
    pub(super) mapped: SocketAddr,
    /// When the server deletes it, by the client's reckoning.
    pub(super) expires: Option<Instant>,
    /// When the next Refresh is due; `None` while one runs.
    pub(super) refresh_at: Option<Instant>,
}

/// When to refresh something granted for `lifetime` at `started`.
pub(super) fn refresh_at(started: Instant, lifetime: Duration) -> Option<Instant> {
    started.checked_add(lifetime / 2)
}

/// A required attribute of a success response.
fn required<'a, A: rtw_stun::Attribute<'a>>(
    msg: &Message<'a>,
    missing: &'static str,
) -> Result<A, Error> {
    match msg.get::<A>() {
        Some(Ok(a)) => Ok(a),
        Some(Err(e)) => Err(e.into()),
        None => Err(Error::InvalidResponse(missing)),
    }
}

impl Client {
    /// The Allocate succeeded (RFC 8656 §7.3).
    pub(super) fn on_allocated(&mut self, started: Instant, msg: &Message<'_>) {
        let parsed = (|| {
            let relayed: XorRelayedAddress = required(
                msg,
                "an Allocate success without XOR-RELAYED-ADDRESS (RFC 8656 §7.3)",
            )?;
            let mapped: XorMappedAddress = required(
                msg,
                "an Allocate success without XOR-MAPPED-ADDRESS (RFC 8656 §7.3)",
            )?;
            let lifetime: Lifetime =
                required(msg, "an Allocate success without LIFETIME (RFC 8656 §7.3)")?;
            if lifetime.0 == 0 {
                return Err(Error::InvalidResponse(
                    "an Allocate success with LIFETIME 0 (RFC 8656 §7.3)",
                ));
            }
            Ok((relayed.0, mapped.0, lifetime.as_duration()))
        })();
        let (relayed, mapped, lifetime) = match parsed {
            Ok(v) => v,
            Err(e) => {
                self.close();
                self.events.push_back(ClientEvent::AllocationFailed(e));
                return;
            }
        };
        self.allocation = Some(Allocation {
            relayed,
            mapped,
            expires: started.checked_add(lifetime),
            refresh_at: refresh_at(started, lifetime),
        });
        self.state = State::Allocated;
        self.events.push_back(ClientEvent::Allocated {
            relayed,
            mapped,
            lifetime,
        });
    }

    /// A Refresh succeeded (RFC 8656 §8.3).
    pub(super) fn on_refreshed(&mut self, started: Instant, msg: &Message<'_>) {
        let lifetime =
            match required::<Lifetime>(msg, "a Refresh success without LIFETIME (RFC 8656 §8.3)") {
                Ok(Lifetime(0)) => Err(Error::InvalidResponse(
                    "a Refresh for a non-zero lifetime granted 0 (RFC 8656 §8.3)",
                )),
                Ok(l) => Ok(l.as_duration()),
                Err(e) => Err(e),
            };
        let lifetime = match lifetime {
            Ok(l) => l,
            Err(e) => {
                self.close();
                self.events.push_back(ClientEvent::Expired(e));
                return;
            }
        };
        if let Some(a) = &mut self.allocation {
            a.expires = started.checked_add(lifetime);
            a.refresh_at = refresh_at(started, lifetime);
        }
        self.events.push_back(ClientEvent::Refreshed { lifetime });
    }

    /// The allocation's timers: expiry, then the Refresh if due.
    pub(super) fn allocation_timers(&mut self, now: Instant) {
        let Some(a) = self.allocation else {
            return;
        };
        if a.expires.is_some_and(|t| now >= t) {
            self.close();
            self.events
                .push_back(ClientEvent::Expired(Error::Timeout("Refresh")));
            return;
        }
        if a.refresh_at.is_some_and(|t| now >= t) {
            if let Some(a) = &mut self.allocation {
                a.refresh_at = None;
            }
            let request = Request::Refresh {
                lifetime: self.lifetime_secs(),
            };
            if let Err(e) = self.start(now, request, false) {
                self.close();
                self.events.push_back(ClientEvent::Expired(e));
            }
        }
    }

    /// The allocation's next timer.
    pub(super) fn allocation_timeout(&self) -> Option<Instant> {
        let a = self.allocation?;
        [a.expires, a.refresh_at].into_iter().flatten().min()
    }

    /// End everything: transactions, permissions, channels, the
    /// allocation, buffered stream bytes. No event.
    pub(super) fn close(&mut self) {
        for tid in std::mem::take(&mut self.pending).into_keys() {
            self.transactions.cancel(tid);
        }
        self.permissions.clear();
        self.channels.clear();
        self.allocation = None;
        self.stream.clear();
        self.state = State::Closed;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_is_half_way() {
        let t0 = Instant::now();
        let at = |secs| refresh_at(t0, Duration::from_secs(secs)).unwrap() - t0;
        assert_eq!(at(600), Duration::from_secs(300));
        assert_eq!(at(3600), Duration::from_secs(1800));
        // min(lifetime / 2, lifetime - 60 s) for lifetimes of 120 s or more.
        for secs in [120, 121, 600, 3600, 86_400] {
            let l = Duration::from_secs(secs);
            assert_eq!(at(secs), (l / 2).min(l - Duration::from_secs(60)));
        }
        assert_eq!(at(1), Duration::from_millis(500));
    }
}
