//! CreatePermission (RFC 8656 §9) and ChannelBind (RFC 8656 §11): what
//! a client may relay to, checked against the peer policy.

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use rtw_stun::attributes::{ChannelNumber, XorPeerAddress};
use rtw_stun::{AttributeType, Message};

use super::allocation::{Allocation, Channel};
use super::auth::Authenticated;
use super::policy::{Verdict, canonical};
use super::requests::Refusal;
use super::respond::Response;
use super::{FiveTuple, RelayProtocol, Server};

impl Server {
    /// CreatePermission (RFC 8656 §9.2): every XOR-PEER-ADDRESS or none.
    pub(super) fn create_permission(
        &mut self,
        now: Instant,
        five_tuple: FiveTuple,
        msg: &Message<'_>,
    ) {
        let Some(auth) = self.authenticate(now, five_tuple, msg) else {
            return;
        };
        match self.check_permissions(five_tuple, msg, &auth) {
            Ok((id, peers)) => {
                let expires = now + self.config.permission_lifetime;
                let allocation = self.allocations.get_mut(&id).expect("found");
                for (ip, server_own) in peers {
                    allocation.permissions.insert(ip, (expires, server_own));
                }
                self.schedule(id, expires);
                let response = Response::success(msg);
                self.answer(five_tuple, response, Some(&auth));
            }
            Err(refusal) => self.refuse(five_tuple, msg, refusal, &auth),
        }
    }

    fn check_permissions(
        &self,
        five_tuple: FiveTuple,
        msg: &Message<'_>,
        auth: &Authenticated,
    ) -> Result<(u64, Vec<(IpAddr, bool)>), Refusal> {
        let id = self.allocation_of(five_tuple, auth)?;
        let allocation = &self.allocations[&id];
        let tid = msg.transaction_id();
        let mut peers = Vec::new();
        for raw in msg
            .attributes()
            .filter(|a| a.typ == AttributeType::XOR_PEER_ADDRESS)
        {
            let peer = raw
                .decode::<XorPeerAddress>(&tid)
                .map_err(|_| (400, "malformed XOR-PEER-ADDRESS"))?
                .0;
            peers.push((canonical(peer.ip()), self.check_peer(allocation, peer)?));
        }
        if peers.is_empty() {
            return Err((400, "XOR-PEER-ADDRESS is required (RFC 8656 §9.2)"));
        }
        let new = peers
            .iter()
            .filter(|(ip, _)| !allocation.permissions.contains_key(ip))
            .count();
        if allocation.permissions.len() + new > self.config.limits.permissions_per_allocation {
            return Err((508, "too many permissions on this allocation"));
        }
        Ok((id, peers))
    }

    /// Whether `peer` may be relayed to from `allocation`: 403 when the
    /// policy refuses it (checked first, so that `::ffff:127.0.0.1` is
    /// refused as loopback and not as the wrong family), 443 for a family
    /// the allocation has no relayed address of. `true` when it is one of
    /// the server's own addresses.
    pub(super) fn check_peer(
        &self,
        allocation: &Allocation,
        peer: SocketAddr,
    ) -> Result<bool, Refusal> {
        let server_own = match self.config.peers.verdict(peer.ip()) {
            Verdict::Allowed => false,
            Verdict::ServerOwn => true,
            Verdict::Refused(reason) => return Err((403, reason)),
        };
        if allocation.relayed_for(peer.ip()).is_none() {
            return Err((443, ""));
        }
        Ok(server_own)
    }

    /// ChannelBind (RFC 8656 §11.2).
    pub(super) fn channel_bind(&mut self, now: Instant, five_tuple: FiveTuple, msg: &Message<'_>) {
        let Some(auth) = self.authenticate(now, five_tuple, msg) else {
            return;
        };
        match self.check_channel_bind(now, five_tuple, msg, &auth) {
            Ok((id, number, peer, server_own)) => {
                let channel_expires = now + self.config.channel_lifetime;
                let permission_expires = now + self.config.permission_lifetime;
                let allocation = self.allocations.get_mut(&id).expect("found");
                allocation.channels.insert(
                    number,
                    Channel {
                        peer,
                        expires: channel_expires,
                    },
                );
                allocation.channel_of.insert(peer, number);
                allocation
                    .permissions
                    .insert(canonical(peer.ip()), (permission_expires, server_own));
                self.schedule(id, permission_expires.min(channel_expires));
                let response = Response::success(msg);
                self.answer(five_tuple, response, Some(&auth));
            }
            Err(refusal) => self.refuse(five_tuple, msg, refusal, &auth),
        }
    }

    fn check_channel_bind(
        &self,
        now: Instant,
        five_tuple: FiveTuple,
        msg: &Message<'_>,
        auth: &Authenticated,
    ) -> Result<(u64, u16, SocketAddr, bool), Refusal> {
        let id = self.allocation_of(five_tuple, auth)?;
        let allocation = &self.allocations[&id];
        if allocation.protocol == RelayProtocol::Tcp {
            return Err((400, "channels are for UDP allocations (RFC 6062 §5.1)"));
        }
        let number = msg
            .get::<ChannelNumber>()
            .ok_or((400, "CHANNEL-NUMBER is required (RFC 8656 §11.2)"))?
            .map_err(|_| (400, "malformed CHANNEL-NUMBER"))?;
        if self.config.rfc5766_channels {
            if !rtw_stun::RFC5766_CHANNEL_NUMBERS.contains(&number.0) {
                return Err((
                    400,
                    "the channel number is not in 0x4000-0x7FFF (RFC 5766 §11)",
                ));
            }
        } else if !number.is_valid() {
            return Err((
                400,
                "the channel number is not in 0x4000-0x4FFF (RFC 8656 §11.2)",
            ));
        }
        let peer = msg
            .get::<XorPeerAddress>()
            .ok_or((400, "XOR-PEER-ADDRESS is required (RFC 8656 §11.2)"))?
            .map_err(|_| (400, "malformed XOR-PEER-ADDRESS"))?
            .0;
        if allocation
            .channels
            .get(&number.0)
            .is_some_and(|c| c.peer != peer)
        {
            return Err((400, "the channel is bound to another peer (RFC 8656 §11.2)"));
        }
        if allocation
            .channel_of
            .get(&peer)
            .is_some_and(|&n| n != number.0)
        {
            return Err((400, "the peer is bound to another channel (RFC 8656 §11.2)"));
        }
        let server_own = self.check_peer(allocation, peer)?;
        if !allocation.channels.contains_key(&number.0)
            && allocation.channels.len() >= self.config.limits.channels_per_allocation
        {
            return Err((508, "too many channels on this allocation"));
        }
        let new_permission = !allocation.permitted(now, peer.ip())
            && !allocation.permissions.contains_key(&canonical(peer.ip()));
        if new_permission
            && allocation.permissions.len() >= self.config.limits.permissions_per_allocation
        {
            return Err((508, "too many permissions on this allocation"));
        }
        Ok((id, number.0, peer, server_own))
    }
}
