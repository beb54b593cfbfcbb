//! Relaying (RFC 8656 §11, §12): Send indications and ChannelData from
//! clients to peers, and peers' datagrams back as Data indications or
//! ChannelData. Every packet is checked against the allocation's
//! permissions, both ways, and its bandwidth budget.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Instant;

use bytes::BufMut;
use rtw_core::Transmit;
use rtw_stun::attributes::{Data, XorPeerAddress};
use rtw_stun::{Class, HEADER_LEN, Message, MessageBuilder, MessageType, Method};

use super::allocation::Allocation;
use super::requests::indication_id;
use super::{FiveTuple, RelayProtocol, Server, ServerStats, ServerTransmit};

impl Server {
    /// A Send indication (RFC 8656 §11.2): dropped unless it has an
    /// XOR-PEER-ADDRESS and a DATA and the peer is permitted.
    pub(super) fn handle_send_indication(
        &mut self,
        now: Instant,
        five_tuple: FiveTuple,
        msg: &Message<'_>,
    ) {
        let Some(&id) = self.by_five_tuple.get(&five_tuple) else {
            return;
        };
        let (Some(Ok(peer)), Some(Ok(data))) = (msg.get::<XorPeerAddress>(), msg.get::<Data>())
        else {
            return;
        };
        self.relay_to_peer(now, id, peer.0, data.0);
    }

    /// A ChannelData message from a client (RFC 8656 §12.6): dropped
    /// unless the channel is bound.
    pub(super) fn handle_channel_data(
        &mut self,
        now: Instant,
        five_tuple: FiveTuple,
        channel: u16,
        data: &[u8],
    ) {
        let Some(&id) = self.by_five_tuple.get(&five_tuple) else {
            return;
        };
        let Some(peer) = self
            .allocations
            .get(&id)
            .and_then(|a| a.channel_peer(now, channel))
        else {
            return;
        };
        self.relay_to_peer(now, id, peer, data);
    }

    /// Sends `data` from allocation `id`'s relayed address to `peer`.
    fn relay_to_peer(&mut self, now: Instant, id: u64, peer: SocketAddr, data: &[u8]) {
        let Some(allocation) = self.allocations.get_mut(&id) else {
            return;
        };
        if allocation.protocol == RelayProtocol::Tcp {
            return;
        }
        let Some(source) = allocation.relayed_for(peer.ip()) else {
            return;
        };
        if !admit(
            allocation,
            now,
            peer,
            data.len(),
            &self.by_relayed,
            &mut self.stats,
        ) {
            return;
        }
        self.scratch.reserve(data.len());
        self.scratch.put_slice(data);
        let contents = self.scratch.split().freeze();
        self.transmits.push_back(ServerTransmit::Peer(
            Transmit::new(peer, contents).with_source(source),
        ));
        self.stats.relayed_to_peers += 1;
        self.stats.bytes_relayed_to_peers += data.len() as u64;
    }

    /// A datagram from `peer` at `relayed`, to the allocation's client
    /// (RFC 8656 §11.3, §12.7).
    pub(super) fn relay_to_client(
        &mut self,
        now: Instant,
        relayed: SocketAddr,
        peer: SocketAddr,
        data: &[u8],
    ) {
        let Some(&id) = self.by_relayed.get(&relayed) else {
            return;
        };
        let Some(allocation) = self.allocations.get_mut(&id) else {
            return;
        };
        if !admit(
            allocation,
            now,
            peer,
            data.len(),
            &self.by_relayed,
            &mut self.stats,
        ) {
            return;
        }
        let five_tuple = allocation.five_tuple;
        let contents = match allocation.channel_to(now, peer) {
            Some(channel) => {
                let padded = five_tuple.transport.is_reliable();
                let pad = if padded { (4 - data.len() % 4) % 4 } else { 0 };
                self.scratch.reserve(4 + data.len() + pad);
                self.scratch.put_u16(channel);
                self.scratch.put_u16(data.len() as u16);
                self.scratch.put_slice(data);
                self.scratch.put_bytes(0, pad);
                self.scratch.split().freeze()
            }
            None => {
                // Built in the scratch buffer, so that a Data indication
                // costs no allocation of its own.
                let typ = MessageType::new(Method::DATA, Class::Indication);
                let tid = indication_id(&mut self.indication_ids);
                let mut buffer = std::mem::take(&mut self.scratch);
                buffer.reserve(HEADER_LEN + 24 + 4 + data.len() + 3);
                let mut builder = MessageBuilder::new_in(typ, tid, buffer);
                let built =
                    builder.add(&XorPeerAddress(peer)).is_ok() && builder.add(&Data(data)).is_ok();
                let mut buffer = builder.finish();
                let message = buffer.split().freeze();
                self.scratch = buffer;
                if !built {
                    return;
                }
                message
            }
        };
        self.send_to_client(five_tuple, contents);
        self.stats.relayed_to_clients += 1;
        self.stats.bytes_relayed_to_clients += data.len() as u64;
    }
}

/// The checks every relayed packet passes, both ways (RFC 8656 §9, §11):
/// a permission for the peer's IP, the server's own addresses only at
/// their relayed ports, and the allocation's bandwidth budget. A packet
/// that fails one is counted as dropped.
fn admit(
    allocation: &mut Allocation,
    now: Instant,
    peer: SocketAddr,
    len: usize,
    relays: &HashMap<SocketAddr, u64>,
    stats: &mut ServerStats,
) -> bool {
    let Some(server_own) = allocation.permission(now, peer.ip()) else {
        stats.dropped_no_permission += 1;
        return false;
    };
    if server_own && !relays.contains_key(&peer) {
        stats.dropped_forbidden_peer += 1;
        return false;
    }
    if !allocation.spend(now, len) {
        stats.dropped_bandwidth += 1;
        return false;
    }
    true
}
