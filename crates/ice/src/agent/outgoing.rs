//! What the agent sends: connectivity checks paced by Ta, nomination,
//! consent checks and gathering requests, and the routing of what its
//! STUN transactions put out.

use std::time::Instant;

use bytes::BytesMut;
use rtw_stun::attributes::{
    IceControlled, IceControlling, Priority, Software, UseCandidate, Username,
};
use rtw_stun::{Class, MessageBuilder, MessageType, Method, TransactionId, Transport};

use rtw_core::Transmit;

use super::{ConnectionState, IceAgent, Purpose, Role};
use crate::CandidateKind;
use crate::pair::PairState;

impl IceAgent {
    /// A Binding request without authentication, for a STUN server.
    pub(super) fn binding_request(&mut self) -> (BytesMut, TransactionId) {
        let tid = TransactionId::random(&mut *self.random);
        let mut builder =
            MessageBuilder::new(MessageType::new(Method::BINDING, Class::Request), tid);
        if let Some(s) = self.config.software.as_deref() {
            if let Ok(s) = Software::new(s) {
                let _ = builder.add(&s);
            }
        }
        let _ = builder.add_fingerprint();
        (builder.finish(), tid)
    }

    /// A connectivity check of pair `p` (RFC 8445 §7.2.2): USERNAME
    /// `remote:local`, PRIORITY of a peer-reflexive candidate of the same
    /// local preference, the role and tie-breaker, USE-CANDIDATE when
    /// nominating, MESSAGE-INTEGRITY keyed with the peer's password, and
    /// FINGERPRINT.
    fn check_request(
        &mut self,
        p: usize,
        use_candidate: bool,
    ) -> Option<(BytesMut, TransactionId)> {
        let remote = self.remote_credentials.as_ref()?;
        let username = format!("{}:{}", remote.ufrag, self.local_credentials.ufrag);
        let local = &self.locals[self.pairs[p].local].candidate;
        let local_preference = ((local.priority >> 8) & 0xffff) as u16;
        let priority = crate::priority(
            CandidateKind::PeerReflexive,
            local_preference,
            local.component,
        );
        let tid = TransactionId::random(&mut *self.random);
        let mut b = MessageBuilder::new(MessageType::new(Method::BINDING, Class::Request), tid);
        b.add(&Username::new(&username).ok()?).ok()?;
        b.add(&Priority(priority)).ok()?;
        match self.role {
            Role::Controlling => b.add(&IceControlling(self.tie_breaker)).ok()?,
            Role::Controlled => b.add(&IceControlled(self.tie_breaker)).ok()?,
        };
        if use_candidate {
            b.add(&UseCandidate).ok()?;
        }
        if let Some(s) = self.config.software.as_deref() {
            if let Ok(s) = Software::new(s) {
                b.add(&s).ok()?;
            }
        }
        b.add_message_integrity(&self.remote_key).ok()?;
        b.add_fingerprint().ok()?;
        Some((b.finish(), tid))
    }

    /// Send a check of pair `p` now, as a new transaction.
    pub(super) fn start_check(&mut self, p: usize, use_candidate: bool, now: Instant) -> bool {
        let Some((request, tid)) = self.check_request(p, use_candidate) else {
            return false;
        };
        let config = self.config.check_transaction;
        let purpose = Purpose::Check(p);
        let destination = self.pairs[p].destination;
        if self
            .transactions
            .start_with(now, request, destination, Transport::Udp, config)
            .is_err()
        {
            return false;
        }
        if let Some(old) = self.pairs[p].transaction.replace(tid) {
            self.transactions.cancel(old);
            self.purposes.remove(&old);
        }
        self.purposes.insert(tid, purpose);
        let role = self.role;
        let pair = &mut self.pairs[p];
        pair.nominating = use_candidate;
        pair.renominate = false;
        pair.check_role = role;
        if pair.state != PairState::Succeeded {
            pair.state = PairState::InProgress;
        }
        true
    }

    /// Whether a paced check is waiting to go out.
    pub(super) fn has_check_to_send(&self) -> bool {
        if self.config.lite
            || self.remote_credentials.is_none()
            || matches!(
                self.state,
                ConnectionState::Completed | ConnectionState::Failed
            )
        {
            return false;
        }
        !self.triggered.is_empty()
            || (0..self.pairs.len()).any(|i| {
                !self.removed[i]
                    && matches!(self.pairs[i].state, PairState::Waiting | PairState::Frozen)
            })
    }

    /// Send the next check (RFC 8445 §6.1.4.2): a triggered one first, else
    /// the Waiting pair of highest priority, else unfreeze the Frozen pair
    /// of highest priority. `false` if there was none.
    pub(super) fn send_next_check(&mut self, now: Instant) -> bool {
        if !self.has_check_to_send() {
            return false;
        }
        while let Some(p) = self.triggered.pop_front() {
            if self.removed[p] {
                continue;
            }
            if self.pairs[p].renominate {
                return self.start_check(p, true, now);
            }
            if self.pairs[p].state == PairState::Waiting {
                return self.check_or_fail(p, now);
            }
        }
        let best = |agent: &IceAgent, state: PairState| {
            (0..agent.pairs.len())
                .filter(|&i| !agent.removed[i] && agent.pairs[i].state == state)
                .max_by_key(|&i| agent.pairs[i].priority)
        };
        if let Some(p) = best(self, PairState::Waiting) {
            return self.check_or_fail(p, now);
        }
        if let Some(p) = best(self, PairState::Frozen) {
            self.pairs[p].state = PairState::Waiting;
            return self.check_or_fail(p, now);
        }
        false
    }

    /// Check pair `p`; a check that cannot be built or started (no remote
    /// credentials, a transaction id already in use) fails the pair.
    fn check_or_fail(&mut self, p: usize, now: Instant) -> bool {
        if self.start_check(p, false, now) {
            return true;
        }
        self.pairs[p].state = PairState::Failed;
        false
    }

    /// When the controlling agent should nominate, if it has a valid pair
    /// and has not nominated yet.
    pub(super) fn nomination_due(&self) -> Option<Instant> {
        let selected = self.selected.is_some() && !self.restarting;
        if self.role != Role::Controlling || self.config.lite || selected {
            return None;
        }
        if self.pairs.iter().any(|p| p.nominating) {
            return None;
        }
        let first = self.first_valid?;
        let best = self.best_valid()?;
        let better_pending = (0..self.pairs.len()).any(|i| {
            !self.removed[i]
                && self.pairs[i].priority > self.pairs[best].priority
                && matches!(
                    self.pairs[i].state,
                    PairState::Frozen | PairState::Waiting | PairState::InProgress
                )
        });
        Some(if better_pending {
            first + self.config.nomination_delay
        } else {
            first
        })
    }

    /// The valid pair of highest priority.
    fn best_valid(&self) -> Option<usize> {
        (0..self.pairs.len())
            .filter(|&i| self.pairs[i].valid)
            .max_by_key(|&i| self.pairs[i].priority)
    }

    /// Regular nomination (RFC 8445 §8.1.1): a check with USE-CANDIDATE on
    /// the best valid pair.
    /// `true` if a check went out.
    pub(super) fn maybe_nominate(&mut self, now: Instant) -> bool {
        if self.nomination_due().is_some_and(|t| t <= now) {
            if let Some(p) = self.best_valid() {
                return self.start_check(p, true, now);
            }
        }
        false
    }

    /// Consent freshness of the selected pair (RFC 7675 §5.1): a check
    /// when due; Disconnected, then Failed, when answers stop.
    pub(super) fn check_consent(&mut self, now: Instant) {
        let (Some(consent), Some(p)) = (self.consent, self.selected) else {
            return;
        };
        if now >= consent.last_response + self.config.consent_timeout {
            self.fail();
            return;
        }
        if now >= consent.last_response + self.config.disconnected_timeout {
            self.set_state(ConnectionState::Disconnected);
        }
        if now >= consent.next_check && !self.config.lite {
            let wait = self.consent_wait();
            if let Some(c) = self.consent.as_mut() {
                c.next_check = now + wait;
            }
            if let Some((request, tid)) = self.check_request(p, false) {
                let config = self
                    .config
                    .check_transaction
                    .rto(std::time::Duration::from_millis(500))
                    .rc(4)
                    .rm(2);
                let purpose = Purpose::Consent(p);
                let destination = self.pairs[p].destination;
                if self
                    .transactions
                    .start_with(now, request, destination, Transport::Udp, config)
                    .is_ok()
                {
                    self.purposes.insert(tid, purpose);
                }
            }
        }
    }

    /// A Binding indication on the selected pair when nothing went out on
    /// it for Tr (RFC 8445 §11).
    pub(super) fn keepalive(&mut self, now: Instant) {
        let (Some(last), Some((source, destination))) =
            (self.last_sent_on_selected, self.selected_pair())
        else {
            return;
        };
        if now < last + self.config.keepalive_interval {
            return;
        }
        let tid = TransactionId::random(&mut *self.random);
        let typ = MessageType::new(Method::BINDING, Class::Indication);
        let mut b = MessageBuilder::new(typ, tid);
        let _ = b.add_fingerprint();
        self.push_transmit(Transmit::new(destination, b.finish().freeze()).with_source(source));
    }

    /// Queue a datagram (its `source` always set), noting traffic on the
    /// selected pair.
    /// A datagram from a relayed candidate goes through its TURN relay.
    pub(super) fn push_transmit(&mut self, transmit: Transmit) {
        let route = transmit.source.map(|s| (s, transmit.destination));
        if route.is_some() && self.selected_pair() == route {
            if let Some(now) = self.now {
                self.last_sent_on_selected = Some(now);
            }
        }
        if let Some(i) = transmit.source.and_then(|s| self.relay_at(s)) {
            self.relay_send(i, transmit);
            return;
        }
        self.transmits.push_back(transmit);
    }

    /// Move what the transactions put out into the agent's queues: their
    /// datagrams, routed by purpose, and their outcomes.
    pub(super) fn drain_transactions(&mut self, now: Instant) {
        while let Some(t) = self.transactions.poll_transmit() {
            // The transaction's purpose says which base sends it.
            let purpose = TransactionId::of_message(&t.contents)
                .and_then(|tid| self.purposes.get(&tid).copied());
            let source = match purpose {
                Some(Purpose::Check(p) | Purpose::Consent(p)) => self.pairs[p].source,
                Some(Purpose::Gather { base, .. }) => base,
                None => continue,
            };
            self.push_transmit(t.with_source(source));
        }
        while let Some(outcome) = self.transactions.poll_event() {
            if let Some(purpose) = self.purposes.remove(&outcome.transaction_id) {
                self.handle_outcome(now, purpose, outcome.event);
            }
        }
    }
}
