//! Relayed candidates (RFC 8445 §5.1.1.2): a TURN allocation (RFC 8656)
//! made by an [`rtw_turn::client::Client`] over a host candidate's base.
//!
//! The client shares the base's socket: what it sends leaves from the
//! base to the TURN server, what the server sends to the base is handed
//! to it. A relayed candidate is its own base (RFC 8445 §5.1.1.2), so its
//! pairs have the relayed address as their source; every datagram the
//! agent queues from that source (checks, answers, consent, keepalives,
//! application data) goes through the client as a Send indication or, once
//! the selected pair's channel is bound, as ChannelData, and what peers
//! send to the relayed address comes back as the client's
//! [`ClientEvent::Data`], handled as if it had arrived on the relayed
//! address.

use std::collections::BTreeSet;
use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use bytes::Bytes;
use rtw_core::Transmit;
use rtw_turn::client::{Client, ClientEvent};

use super::{IceAgent, IceEvent};
use crate::Candidate;

/// Application data queued for [`IceAgent::poll_relayed_data`] beyond
/// which newer datagrams are dropped, as a full socket buffer would.
pub(super) const RELAYED_DATA_CAPACITY: usize = 1024;

/// Application data that arrived through a relayed candidate's TURN
/// allocation, from [`IceAgent::poll_relayed_data`]: the payload of a Data
/// indication or ChannelData message (RFC 8656 §11.6, §12.6) that is not
/// STUN.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RelayedData {
    /// The relayed address it was sent to (the local relayed candidate).
    pub relayed: SocketAddr,
    /// The peer that sent it, as the TURN server saw it.
    pub peer: SocketAddr,
    /// The payload.
    pub data: Bytes,
}

/// Where one allocation is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// The Allocate is running (with its 401 exchange).
    Allocating,
    /// The allocation stands; its relayed candidate is a local candidate.
    Allocated,
    /// The Refresh with LIFETIME 0 of [`IceAgent::close`] is running.
    Releasing,
    /// Failed, expired or deallocated.
    Closed,
}

/// One TURN allocation of the agent.
pub(super) struct Relay {
    client: Client,
    /// The host candidate's base whose socket the client uses.
    pub(super) base: SocketAddr,
    /// The TURN server.
    pub(super) server: SocketAddr,
    phase: Phase,
    /// The relayed address once allocated.
    pub(super) relayed: Option<SocketAddr>,
    /// Peer IPs the server refused a permission for (403, RFC 8656 §9.2):
    /// nothing more is sent to them until an ICE restart.
    refused: BTreeSet<IpAddr>,
    /// The peer a channel was asked for (the selected pair's remote).
    channel: Option<SocketAddr>,
}

impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relay")
            .field("base", &self.base)
            .field("server", &self.server)
            .field("phase", &self.phase)
            .field("relayed", &self.relayed)
            .finish_non_exhaustive()
    }
}

impl Relay {
    pub(super) fn new(client: Client, base: SocketAddr, server: SocketAddr) -> Self {
        Relay {
            client,
            base,
            server,
            phase: Phase::Allocating,
            relayed: None,
            refused: BTreeSet::new(),
            channel: None,
        }
    }

    /// Forget the peers refused so far (after an ICE restart).
    pub(super) fn forget_refusals(&mut self) {
        self.refused.clear();
    }

    /// When the client's next timer is due; `None` once the relay is
    /// closed (an Allocate abandoned by [`IceAgent::close`] is not
    /// retransmitted).
    pub(super) fn poll_timeout(&self) -> Option<Instant> {
        if self.phase == Phase::Closed {
            return None;
        }
        self.client.poll_timeout()
    }
}

impl IceAgent {
    /// The relay whose relayed address is `addr`, while it stands.
    pub(super) fn relay_at(&self, addr: SocketAddr) -> Option<usize> {
        self.relays
            .iter()
            .position(|r| r.phase == Phase::Allocated && r.relayed == Some(addr))
    }

    /// A datagram from `source` at local `destination` that one of the
    /// relays' clients takes (its server, on its base): handed to it and
    /// its events handled. `false` if it is no relay's.
    pub(super) fn relay_input(
        &mut self,
        now: Instant,
        source: SocketAddr,
        destination: SocketAddr,
        contents: &[u8],
    ) -> bool {
        let Some(i) = self
            .relays
            .iter()
            .position(|r| r.server == source && r.base == destination && r.phase != Phase::Closed)
        else {
            return false;
        };
        // A STUN server on the TURN server's address answers the agent's
        // own Binding requests on the same 5-tuple: those are the agent's.
        if let Ok(message) = rtw_stun::Message::parse(contents) {
            let tid = message.transaction_id();
            if self.purposes.contains_key(&tid) || self.late.contains_key(&tid) {
                return false;
            }
        }
        if !self.relays[i].client.handle_input(now, source, contents) {
            return false;
        }
        self.relay_events(now, i);
        true
    }

    /// Run the clients' timers that are due at `now`.
    pub(super) fn relay_timeouts(&mut self, now: Instant) {
        for i in 0..self.relays.len() {
            let due = self.relays[i].poll_timeout().is_some_and(|t| t <= now);
            if due {
                self.relays[i].client.handle_timeout(now);
                self.relay_events(now, i);
            }
        }
    }

    /// The earliest of the clients' timers.
    pub(super) fn relay_timeout(&self) -> Option<Instant> {
        self.relays.iter().filter_map(Relay::poll_timeout).min()
    }

    /// Handle what relay `i`'s client reports, and queue what it sends
    /// from the base.
    pub(super) fn relay_events(&mut self, now: Instant, i: usize) {
        while let Some(event) = self.relays[i].client.poll_event() {
            match event {
                ClientEvent::Allocated {
                    relayed, mapped, ..
                } => self.relay_allocated(now, i, relayed, mapped),
                ClientEvent::AllocationFailed(error) => {
                    self.relays[i].phase = Phase::Closed;
                    let server = self.relays[i].server;
                    self.events
                        .push_back(IceEvent::RelayFailed { server, error });
                    self.gathering_ended();
                }
                ClientEvent::Expired(error) => {
                    let server = self.relays[i].server;
                    self.relay_closed(i);
                    self.events
                        .push_back(IceEvent::RelayFailed { server, error });
                }
                ClientEvent::Deallocated => self.relay_closed(i),
                // A refusal (403, RFC 8656 §9.2) stands; a request that
                // timed out on a lossy path is asked again by the next
                // datagram to the peer.
                ClientEvent::PermissionFailed { peer, error }
                    if error.error_code() == Some(403) =>
                {
                    self.relays[i].refused.insert(peer);
                }
                ClientEvent::ChannelBindFailed { peer, .. }
                    if self.relays[i].channel == Some(peer) =>
                {
                    self.relays[i].channel = None;
                }
                ClientEvent::Data { peer, data } => self.relayed_datagram(now, i, peer, data),
                // Refreshes, permissions and channels that stand: the
                // client keeps them.
                _ => {}
            }
        }
        self.flush_relay(i);
    }

    /// Queue what relay `i`'s client sends, from its base.
    fn flush_relay(&mut self, i: usize) {
        let base = self.relays[i].base;
        while let Some(t) = self.relays[i].client.poll_transmit() {
            self.transmits.push_back(t.with_source(base));
        }
    }

    /// The allocation of relay `i` stands: its relayed candidate (RFC 8445
    /// §5.1.1.2, priority with type preference 0, §5.1.2.2, and the local
    /// preference of its base's host candidate; related address the
    /// mapped one) is signalled and paired.
    fn relay_allocated(&mut self, now: Instant, i: usize, relayed: SocketAddr, mapped: SocketAddr) {
        let relay = &mut self.relays[i];
        relay.phase = Phase::Allocated;
        relay.relayed = Some(relayed);
        let (base, server) = (relay.base, relay.server);
        let local_preference = self
            .locals
            .iter()
            .find(|l| l.base == base && l.candidate.kind == crate::CandidateKind::Host)
            .map(|l| ((l.candidate.priority >> 8) & 0xffff) as u16)
            .unwrap_or(65535);
        let candidate = Candidate::relayed(relayed, mapped, server, 1, local_preference);
        self.events
            .push_back(IceEvent::LocalCandidate(candidate.clone()));
        self.now = Some(now);
        self.add_local(candidate, relayed);
        self.gathering_ended();
    }

    /// Relay `i`'s allocation is gone: its pairs fail, nothing more goes
    /// through it.
    fn relay_closed(&mut self, i: usize) {
        let relay = &mut self.relays[i];
        relay.phase = Phase::Closed;
        let Some(relayed) = relay.relayed else {
            return;
        };
        for pair in &mut self.pairs {
            if pair.source == relayed {
                if let Some(tid) = pair.transaction.take() {
                    self.transactions.cancel(tid);
                    self.purposes.remove(&tid);
                }
                pair.state = crate::PairState::Failed;
                pair.valid = false;
                pair.nominating = false;
            }
        }
    }

    /// One gathering (server-reflexive or relayed) ended: report
    /// GatheringComplete once none is left.
    pub(super) fn gathering_ended(&mut self) {
        self.gathering = self.gathering.saturating_sub(1);
        if self.gathering == 0 && !self.gathering_reported {
            self.gathering_reported = true;
            self.events.push_back(IceEvent::GatheringComplete);
        }
    }

    /// A datagram from `peer` relayed to relay `i`'s relayed address: STUN
    /// is the agent's (checks and their answers), anything else is
    /// application data for [`IceAgent::poll_relayed_data`].
    fn relayed_datagram(&mut self, now: Instant, i: usize, peer: SocketAddr, data: Bytes) {
        let Some(relayed) = self.relays[i].relayed else {
            return;
        };
        if rtw_stun::demux(&data) == rtw_stun::PacketKind::Stun {
            if let Ok(message) = rtw_stun::Message::parse(&data) {
                self.handle_stun(now, peer, relayed, &message);
                self.drain_transactions(now);
            }
            return;
        }
        if self.relayed_data.len() < RELAYED_DATA_CAPACITY {
            self.relayed_data.push_back(RelayedData {
                relayed,
                peer,
                data,
            });
        }
    }

    /// Send `transmit`, whose source is relay `i`'s relayed address,
    /// through the relay: a permission for the destination's IP is asked
    /// for first if there is none (RFC 8656 §9); a destination the server
    /// refused is not sent to.
    pub(super) fn relay_send(&mut self, i: usize, transmit: Transmit) {
        // No allocation stands before the agent is given a time.
        let Some(now) = self.now else { return };
        let peer = transmit.destination;
        let relay = &mut self.relays[i];
        if relay.refused.contains(&peer.ip()) {
            return;
        }
        // A send that fails (no allocation any more, data too long for
        // one message) is a lost datagram, which checks retransmit.
        let sent = relay.client.send_to(now, peer, &transmit.contents);
        if matches!(sent, Err(rtw_turn::Error::NoPermission(_)))
            && relay.client.create_permission(now, peer.ip()).is_ok()
        {
            let _ = relay.client.send_to(now, peer, &transmit.contents);
        }
        self.relay_events(now, i);
    }

    /// Ask relay `i` for a permission for `peer`'s IP (RFC 8656 §9), for a
    /// pair formed with its relayed candidate, so that the peer's checks
    /// get through before ours go out.
    pub(super) fn relay_permit(&mut self, i: usize, peer: SocketAddr) {
        let Some(now) = self.now else { return };
        let relay = &mut self.relays[i];
        if relay.refused.contains(&peer.ip()) || relay.phase != Phase::Allocated {
            return;
        }
        let _ = relay.client.create_permission(now, peer.ip());
        self.relay_events(now, i);
    }

    /// Bind a channel (RFC 8656 §12) for the selected pair when it starts
    /// at relay `i`'s relayed address, so that data goes as ChannelData
    /// (4 bytes of overhead instead of a Send indication's 36).
    pub(super) fn relay_bind_channel(&mut self, now: Instant, i: usize, peer: SocketAddr) {
        let relay = &mut self.relays[i];
        if relay.channel == Some(peer) || relay.refused.contains(&peer.ip()) {
            return;
        }
        if relay.client.bind_channel(now, peer).is_ok() {
            relay.channel = Some(peer);
        }
        self.relay_events(now, i);
    }

    /// Delete every allocation (RFC 8656 §8.1, a Refresh with LIFETIME 0).
    pub(super) fn release_relays(&mut self, now: Instant) {
        for i in 0..self.relays.len() {
            match self.relays[i].phase {
                Phase::Allocated => {
                    self.relays[i].phase = Phase::Releasing;
                    if self.relays[i].client.deallocate(now).is_err() {
                        self.relays[i].phase = Phase::Closed;
                    }
                }
                Phase::Allocating => {
                    // Nothing to delete yet; the Allocate is abandoned.
                    self.relays[i].phase = Phase::Closed;
                    self.gathering_ended();
                }
                Phase::Releasing | Phase::Closed => {}
            }
            self.relay_events(now, i);
        }
    }
}
