//! Permissions (RFC 8656 §9): one per peer IP address, installed by
//! CreatePermission or as a side effect of ChannelBind (§12), and
//! refreshed 240 s after the request that installed them was sent, one
//! minute before the server's 300 s run out.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use super::requests::Request;
use super::{Client, ClientEvent, State};
use crate::Error;

/// How long after a CreatePermission or ChannelBind the permission is
/// refreshed: 60 s before the 300 s of RFC 8656 §9.
pub(super) const PERMISSION_REFRESH: Duration = Duration::from_secs(240);

/// The most permissions a client holds, a bound on its memory.
pub(super) const MAX_PERMISSIONS: usize = 4096;

/// One permission.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Permission {
    /// Asked for with `create_permission` (not only through a channel):
    /// its installation is reported.
    pub(super) explicit: bool,
    /// A CreatePermission or ChannelBind for it succeeded.
    pub(super) installed: bool,
    /// When the next CreatePermission is due; `None` while one runs, or
    /// while only a first ChannelBind is running for it.
    pub(super) refresh_at: Option<Instant>,
}

/// Every permission, by peer IP.
pub(super) type Permissions = BTreeMap<IpAddr, Permission>;

impl Client {
    /// [`Client::create_permission`](super::Client::create_permission).
    pub(super) fn permission(&mut self, now: Instant, peer: IpAddr) -> Result<(), Error> {
        if self.state != State::Allocated {
            return Err(Error::InvalidState(
                "no allocation: create permissions after ClientEvent::Allocated",
            ));
        }
        if let Some(p) = self.permissions.get_mut(&peer) {
            let announce = p.installed && !p.explicit;
            p.explicit = true;
            if announce {
                self.events
                    .push_back(ClientEvent::PermissionCreated { peer });
            }
            return Ok(());
        }
        if self.permissions.len() >= MAX_PERMISSIONS {
            return Err(Error::Limit("at most 4096 permissions per client"));
        }
        self.start(now, Request::Permission { peer }, false)?;
        self.permissions.insert(
            peer,
            Permission {
                explicit: true,
                ..Permission::default()
            },
        );
        Ok(())
    }

    /// A CreatePermission succeeded (RFC 8656 §9.3).
    pub(super) fn on_permission(&mut self, peer: IpAddr, started: Instant) {
        let Some(p) = self.permissions.get_mut(&peer) else {
            return;
        };
        let first = !p.installed;
        p.installed = true;
        p.refresh_at = started.checked_add(PERMISSION_REFRESH);
        if first && p.explicit {
            self.events
                .push_back(ClientEvent::PermissionCreated { peer });
        }
    }

    /// A CreatePermission failed: the permission is dropped.
    pub(super) fn on_permission_failed(&mut self, peer: IpAddr, error: Error) {
        if self.permissions.remove(&peer).is_some() {
            self.events
                .push_back(ClientEvent::PermissionFailed { peer, error });
        }
    }

    /// A ChannelBind for a peer at `peer` succeeded: it installed or
    /// refreshed the permission too (RFC 8656 §12.2).
    pub(super) fn permission_refreshed_by_channel(&mut self, peer: IpAddr, started: Instant) {
        if !self.permissions.contains_key(&peer) && self.permissions.len() >= MAX_PERMISSIONS {
            return;
        }
        let p = self.permissions.entry(peer).or_default();
        let first = !p.installed;
        p.installed = true;
        let next = started.checked_add(PERMISSION_REFRESH);
        // A CreatePermission running for it (refresh_at None, installed)
        // sets its own time when it ends.
        if first || p.refresh_at.is_some() {
            p.refresh_at = p.refresh_at.max(next);
        }
        if first && p.explicit {
            self.events
                .push_back(ClientEvent::PermissionCreated { peer });
        }
    }

    /// Send the CreatePermissions that are due.
    pub(super) fn permission_timers(&mut self, now: Instant) {
        let due: Vec<IpAddr> = self
            .permissions
            .iter()
            .filter(|(_, p)| p.refresh_at.is_some_and(|t| t <= now))
            .map(|(ip, _)| *ip)
            .collect();
        for peer in due {
            if let Some(p) = self.permissions.get_mut(&peer) {
                p.refresh_at = None;
            }
            if let Err(e) = self.start(now, Request::Permission { peer }, false) {
                self.on_permission_failed(peer, e);
            }
        }
    }

    /// The permissions' next timer.
    pub(super) fn permission_timeout(&self) -> Option<Instant> {
        self.permissions.values().filter_map(|p| p.refresh_at).min()
    }
}
