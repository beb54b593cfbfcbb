//! What the agent receives: the peer's checks (RFC 8445 §7.3) and the
//! answers to its own transactions (§7.2.5, RFC 7675, RFC 8489).

use std::net::SocketAddr;
use std::time::Instant;

use rtw_core::Transmit;
use rtw_stun::attributes::{
    ErrorCode, IceControlled, IceControlling, Priority, Software, UnknownAttributes, UseCandidate,
    Username, XorMappedAddress,
};
use rtw_stun::{Class, Message, MessageBuilder, MessageType, Method, TransactionEvent};

use super::{IceAgent, IceEvent, Local, Purpose, Remote, Role};
use crate::pair::PairState;
use crate::{Candidate, CandidateKind};

impl IceAgent {
    /// Route a STUN message by class.
    pub(super) fn handle_stun(
        &mut self,
        now: Instant,
        source: SocketAddr,
        destination: SocketAddr,
        message: &Message<'_>,
    ) {
        // A wrong FINGERPRINT means it is not STUN for us (RFC 8489 §7.3);
        // a missing one is let through, as before.
        if !matches!(
            message.verify_fingerprint(),
            Ok(_) | Err(rtw_stun::Error::MissingFingerprint)
        ) {
            return;
        }
        if message.method() != Method::BINDING {
            return;
        }
        match message.class() {
            Class::Request => self.handle_request(now, source, destination, message),
            Class::SuccessResponse | Class::ErrorResponse => {
                self.handle_response(now, source, destination, message)
            }
            // Keepalives (RFC 8445 §11): nothing to do.
            Class::Indication => {}
        }
    }

    /// A peer's connectivity check (RFC 8445 §7.3).
    fn handle_request(
        &mut self,
        now: Instant,
        source: SocketAddr,
        destination: SocketAddr,
        request: &Message<'_>,
    ) {
        // Authentication (RFC 8445 §7.3, RFC 8489 §9.1.3): USERNAME and
        // MESSAGE-INTEGRITY must be there (400), USERNAME must start with
        // our ufrag and the integrity must verify with our password (401).
        let username = request.get::<Username>().and_then(Result::ok);
        let has_integrity = request
            .raw(rtw_stun::AttributeType::MESSAGE_INTEGRITY)
            .is_some()
            || request
                .raw(rtw_stun::AttributeType::MESSAGE_INTEGRITY_SHA256)
                .is_some();
        let Some(username) = username.filter(|_| has_integrity) else {
            return self.respond_error(request, source, destination, ErrorCode::BAD_REQUEST, false);
        };
        let ours = username.as_str().split(':').next() == Some(&self.local_credentials.ufrag);
        if !ours || request.verify_integrity(&self.local_key).is_err() {
            return self.respond_error(
                request,
                source,
                destination,
                ErrorCode::UNAUTHENTICATED,
                false,
            );
        }
        if request.check_unknown_attributes().is_err() {
            return self.respond_error(
                request,
                source,
                destination,
                ErrorCode::UNKNOWN_ATTRIBUTE,
                true,
            );
        }
        let Some(Ok(Priority(priority))) = request.get::<Priority>() else {
            return self.respond_error(request, source, destination, ErrorCode::BAD_REQUEST, true);
        };
        if !self.resolve_role_conflict(request, source, destination) {
            return;
        }
        self.respond_success(request, source, destination);

        // The base it arrived on (RFC 8445 §7.3.1.4); a datagram to an
        // address that is no base of ours is answered but not paired.
        let Some(local) = self.local_for_base(destination) else {
            return;
        };
        // Beyond Limits::max_remote_candidates the check is answered but
        // its source is not kept.
        let Some(remote) = self.remote_for(source, priority) else {
            return;
        };
        let Some(p) = self.add_pair(local, remote) else {
            return;
        };
        let use_candidate = request.get::<UseCandidate>().is_some();
        self.trigger(p, now);
        if use_candidate && self.role == Role::Controlled {
            // RFC 8445 §7.3.1.5: nominated now if the pair is valid, else
            // once its check succeeds.
            if self.pairs[p].valid {
                self.select(p, now);
            } else {
                self.pairs[p].nominate_on_success = true;
            }
        }
        if self.config.lite && use_candidate {
            // A lite agent has no checks of its own: the nomination
            // decides (RFC 8445 §7.3.1.5, §2.5).
            self.pairs[p].valid = true;
            self.pairs[p].state = PairState::Succeeded;
            self.select(p, now);
        }
    }

    /// Role conflicts (RFC 8445 §7.3.1.1): `false` if the request was
    /// answered with 487.
    fn resolve_role_conflict(
        &mut self,
        request: &Message<'_>,
        source: SocketAddr,
        destination: SocketAddr,
    ) -> bool {
        // Which role wins, if the peer claims ours: the larger
        // tie-breaker; the loser either switches or is told 487.
        let conflict = match self.role {
            Role::Controlling => request
                .get::<IceControlling>()
                .and_then(Result::ok)
                .map(|t| t.0),
            Role::Controlled => request
                .get::<IceControlled>()
                .and_then(Result::ok)
                .map(|t| t.0),
        };
        let Some(theirs) = conflict else {
            return true;
        };
        let we_win = self.tie_breaker >= theirs;
        // A controlling winner keeps its role and answers 487; a controlled
        // winner takes the controlling role itself.
        let answer_487 = match self.role {
            Role::Controlling => we_win,
            Role::Controlled => !we_win,
        };
        if answer_487 {
            self.respond_error(request, source, destination, ErrorCode::ROLE_CONFLICT, true);
            return false;
        }
        let other = match self.role {
            Role::Controlling => Role::Controlled,
            Role::Controlled => Role::Controlling,
        };
        self.set_role(other);
        true
    }

    /// The local candidate whose base is `base`, preferring the host one.
    fn local_for_base(&self, base: SocketAddr) -> Option<usize> {
        self.locals
            .iter()
            .enumerate()
            .filter(|(_, l)| l.base == base && l.candidate.component == 1)
            .max_by_key(|(_, l)| l.candidate.priority)
            .map(|(i, _)| i)
    }

    /// The remote candidate at `addr`, or a new peer-reflexive one with
    /// the PRIORITY of the request (RFC 8445 §7.3.1.3); `None` when
    /// [`Limits::max_remote_candidates`](crate::Limits::max_remote_candidates)
    /// are kept already.
    fn remote_for(&mut self, addr: SocketAddr, priority: u32) -> Option<usize> {
        if let Some(i) = self
            .remotes
            .iter()
            .position(|r| r.addr == Some(addr) && r.candidate.component == 1)
        {
            return Some(i);
        }
        if self.remotes.len() >= self.config.limits.max_remote_candidates {
            return None;
        }
        let candidate = Candidate::peer_reflexive(addr, addr, 1, priority);
        self.remotes.push(Remote {
            candidate,
            addr: Some(addr),
        });
        Some(self.remotes.len() - 1)
    }

    /// A triggered check of pair `p` (RFC 8445 §7.3.1.4). A check in
    /// flight is cancelled, its late answer still counting, and a new one
    /// is queued; a nomination in flight is queued again with
    /// USE-CANDIDATE. A pair that succeeded is left alone.
    fn trigger(&mut self, p: usize, now: Instant) {
        if self.config.lite || self.removed[p] {
            return;
        }
        let pair = &mut self.pairs[p];
        if let Some(tid) = pair.transaction {
            if pair.state == PairState::InProgress || pair.nominating {
                pair.transaction = None;
                pair.renominate = pair.nominating;
                let until = now + self.config.check_transaction.rto * 79;
                self.late.insert(tid, (p, pair.nominating, until));
                self.transactions.cancel(tid);
                self.purposes.remove(&tid);
            }
        }
        let pair = &mut self.pairs[p];
        match pair.state {
            PairState::Succeeded if !pair.renominate => return,
            PairState::Succeeded => {}
            _ => pair.state = PairState::Waiting,
        }
        if !self.triggered.contains(&p) {
            self.triggered.push_back(p);
        }
    }

    /// A success response (RFC 8445 §7.3.1.2): XOR-MAPPED-ADDRESS of the
    /// source, integrity with our password, FINGERPRINT.
    fn respond_success(
        &mut self,
        request: &Message<'_>,
        source: SocketAddr,
        destination: SocketAddr,
    ) {
        let software = self.config.software.clone();
        self.respond(
            request,
            source,
            destination,
            Class::SuccessResponse,
            true,
            |b| {
                b.add(&XorMappedAddress(source))?;
                if let Some(s) = software.as_deref() {
                    b.add(&Software::new(s)?)?;
                }
                Ok(())
            },
        );
    }

    /// An error response; with integrity only once the request was
    /// authenticated (RFC 8489 §9.1.3).
    fn respond_error(
        &mut self,
        request: &Message<'_>,
        source: SocketAddr,
        destination: SocketAddr,
        code: ErrorCode<'static>,
        authenticated: bool,
    ) {
        let unknown = request.unknown_attributes();
        let class = Class::ErrorResponse;
        self.respond(request, source, destination, class, authenticated, |b| {
            b.add(&code)?;
            if code == ErrorCode::UNKNOWN_ATTRIBUTE {
                b.add(&UnknownAttributes::new(&unknown)?)?;
            }
            Ok(())
        });
    }

    /// Answer `request` back to where it came from: `attributes`, then
    /// MESSAGE-INTEGRITY with our password if `authenticated`, then
    /// FINGERPRINT. Nothing is sent if an attribute cannot be built.
    fn respond(
        &mut self,
        request: &Message<'_>,
        source: SocketAddr,
        destination: SocketAddr,
        class: Class,
        authenticated: bool,
        attributes: impl FnOnce(&mut MessageBuilder) -> Result<(), rtw_stun::Error>,
    ) {
        let typ = MessageType::new(Method::BINDING, class);
        let mut b = MessageBuilder::new(typ, request.transaction_id());
        let built = attributes(&mut b).and_then(|()| {
            if authenticated {
                b.add_message_integrity(&self.local_key)?;
            }
            b.add_fingerprint()?;
            Ok(())
        });
        if built.is_ok() {
            self.push_transmit(Transmit::new(source, b.finish().freeze()).with_source(destination));
        }
    }

    /// An answer to one of our transactions: authenticated and symmetric
    /// before it may end a check (RFC 8445 §7.2.5.1, §7.2.5.2.1).
    fn handle_response(
        &mut self,
        now: Instant,
        source: SocketAddr,
        destination: SocketAddr,
        response: &Message<'_>,
    ) {
        let tid = response.transaction_id();
        if let Some(&(p, nominating, _)) = self.late.get(&tid) {
            return self.late_response(now, p, nominating, source, destination, response);
        }
        let Some(purpose) = self.purposes.get(&tid).copied() else {
            return;
        };
        match purpose {
            Purpose::Check(p) | Purpose::Consent(p) => {
                // Integrity keyed with the peer's password; a response that
                // fails it is dropped as never received (RFC 8489 §9.1.4).
                if response.verify_integrity(&self.remote_key).is_err() {
                    return;
                }
                let pair = &self.pairs[p];
                if pair.destination != source || pair.source != destination {
                    // Not symmetric: the check fails (RFC 8445 §7.2.5.2.1).
                    self.transactions.cancel(response.transaction_id());
                    self.purposes.remove(&response.transaction_id());
                    if matches!(purpose, Purpose::Check(_)) {
                        self.pair_failed(p);
                    }
                    return;
                }
            }
            Purpose::Gather { server, .. } => {
                if source != server {
                    return;
                }
            }
        }
        self.transactions.handle_response(now, response);
    }

    /// The answer to a check cancelled by a triggered check (RFC 8445
    /// §7.3.1.4): a success still makes the pair valid.
    fn late_response(
        &mut self,
        now: Instant,
        p: usize,
        nominating: bool,
        source: SocketAddr,
        destination: SocketAddr,
        response: &Message<'_>,
    ) {
        let pair = &self.pairs[p];
        if response.verify_integrity(&self.remote_key).is_err()
            || pair.destination != source
            || pair.source != destination
        {
            return;
        }
        self.late.remove(&response.transaction_id());
        if response.class() != Class::SuccessResponse {
            return;
        }
        let Some(Ok(XorMappedAddress(mapped))) = response.get::<XorMappedAddress>() else {
            return;
        };
        if nominating {
            self.pairs[p].nominating = true;
        }
        // The check that replaced it is no longer needed.
        if let Some(tid) = self.pairs[p].transaction.take() {
            self.transactions.cancel(tid);
            self.purposes.remove(&tid);
        }
        self.pairs[p].renominate = false;
        self.check_succeeded(p, mapped, now);
    }

    /// How one of our transactions ended.
    pub(super) fn handle_outcome(
        &mut self,
        now: Instant,
        purpose: Purpose,
        event: TransactionEvent,
    ) {
        match (purpose, event) {
            (Purpose::Check(p), TransactionEvent::Success { response }) => {
                let Ok(message) = Message::parse(&response) else {
                    return self.pair_failed(p);
                };
                match message.get::<XorMappedAddress>() {
                    Some(Ok(XorMappedAddress(mapped))) => self.check_succeeded(p, mapped, now),
                    _ => self.pair_failed(p),
                }
            }
            (Purpose::Check(p), TransactionEvent::ErrorResponse { code: 487, .. }) => {
                // RFC 8445 §7.2.5.1: take the role opposite to the one the
                // check was sent with, unless that was done already, and
                // check again.
                let role = match self.pairs[p].check_role {
                    Role::Controlling => Role::Controlled,
                    Role::Controlled => Role::Controlling,
                };
                self.set_role(role);
                self.pairs[p].transaction = None;
                self.pairs[p].state = PairState::Waiting;
                if !self.triggered.contains(&p) {
                    self.triggered.push_back(p);
                }
            }
            (Purpose::Check(p), _) => self.pair_failed(p),
            (Purpose::Consent(_), TransactionEvent::Success { .. }) => {
                if let Some(c) = self.consent.as_mut() {
                    c.last_response = now;
                }
                if self.state == super::ConnectionState::Disconnected {
                    self.set_state(super::ConnectionState::Connected);
                    self.update_state();
                }
            }
            (Purpose::Consent(_), _) => {}
            (Purpose::Gather { base, server }, event) => {
                if let TransactionEvent::Success { response } = event {
                    if let Ok(message) = Message::parse(&response) {
                        if let Some(Ok(XorMappedAddress(mapped))) =
                            message.get::<XorMappedAddress>()
                        {
                            self.gathered(base, server, mapped);
                        }
                    }
                }
                self.gathering_ended();
            }
        }
    }

    /// A server-reflexive address learnt for `base` (RFC 8445 §5.1.1.2):
    /// a new candidate unless it equals the base or one already known.
    fn gathered(&mut self, base: SocketAddr, server: SocketAddr, mapped: SocketAddr) {
        if mapped == base
            || self
                .locals
                .iter()
                .any(|l| l.candidate.socket_addr() == Some(mapped))
        {
            return;
        }
        let local_preference = self
            .local_for_base(base)
            .map(|i| ((self.locals[i].candidate.priority >> 8) & 0xffff) as u16)
            .unwrap_or(65535);
        let candidate = Candidate::server_reflexive(mapped, base, server, 1, local_preference);
        self.events
            .push_back(IceEvent::LocalCandidate(candidate.clone()));
        self.add_local(candidate, base);
    }

    /// A check of pair `p` succeeded with `mapped` as our address seen by
    /// the peer (RFC 8445 §7.2.5.3).
    fn check_succeeded(&mut self, p: usize, mapped: SocketAddr, now: Instant) {
        let base = self.pairs[p].source;
        // A mapped address no local candidate has is a new peer-reflexive
        // local candidate (RFC 8445 §7.2.5.3.1); it is not signalled, and
        // not kept beyond Limits::max_local_candidates.
        if self.locals.len() < self.config.limits.max_local_candidates
            && !self
                .locals
                .iter()
                .any(|l| l.candidate.socket_addr() == Some(mapped) && l.base == base)
        {
            let local = &self.locals[self.pairs[p].local].candidate;
            let local_preference = ((local.priority >> 8) & 0xffff) as u16;
            let priority = crate::priority(CandidateKind::PeerReflexive, local_preference, 1);
            self.locals.push(Local {
                candidate: Candidate::peer_reflexive(mapped, base, 1, priority),
                base,
            });
        }
        let pair = &mut self.pairs[p];
        pair.transaction = None;
        pair.state = PairState::Succeeded;
        pair.valid = true;
        let nominate = pair.nominating || pair.nominate_on_success;
        pair.nominating = false;
        if self.first_valid.is_none() {
            self.first_valid = Some(now);
        }
        // Unfreeze the pairs of the same foundation (RFC 8445 §7.2.5.3.3).
        let foundation = self.pairs[p].foundation.clone();
        for q in &mut self.pairs {
            if q.state == PairState::Frozen && q.foundation == foundation {
                q.state = PairState::Waiting;
            }
        }
        if nominate {
            self.select(p, now);
        }
    }

    /// Pair `p` failed (RFC 8445 §7.2.5.2, §7.2.5.4).
    fn pair_failed(&mut self, p: usize) {
        let pair = &mut self.pairs[p];
        pair.transaction = None;
        pair.nominating = false;
        if pair.state != PairState::Succeeded {
            pair.state = PairState::Failed;
        }
    }
}
