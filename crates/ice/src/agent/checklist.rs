//! The check list (RFC 8445 §6.1.2): pairs formed from every local and
//! remote candidate, pruned, limited and ordered by priority.

use std::net::SocketAddr;

use super::{ConnectionState, IceAgent, Local, Purpose, Role};
use crate::pair::{Pair, PairState, pair_priority};
use crate::{Candidate, CandidateTransport};

impl IceAgent {
    /// Add a local candidate with its base and pair it with every remote.
    pub(super) fn add_local(&mut self, candidate: Candidate, base: SocketAddr) {
        self.locals.push(Local { candidate, base });
        let local = self.locals.len() - 1;
        for remote in 0..self.remotes.len() {
            self.add_pair(local, remote);
        }
    }

    /// Form the pair of `local`'s base and `remote` (RFC 8445 §6.1.2.2),
    /// unless it cannot be (another component, another address family, no
    /// address, TCP) or it duplicates a pair of higher priority
    /// (§6.1.2.4). Returns the pair's index.
    pub(super) fn add_pair(&mut self, local: usize, remote: usize) -> Option<usize> {
        let l = &self.locals[local];
        let r = &self.remotes[remote];
        let destination = r.addr?;
        let usable = |c: &Candidate| c.component == 1 && c.transport == CandidateTransport::Udp;
        if !usable(&l.candidate)
            || !usable(&r.candidate)
            || l.base.is_ipv4() != destination.is_ipv4()
        {
            return None;
        }
        let priority = self.priority_of(&l.candidate, &r.candidate);
        let source = l.base;
        if let Some(i) = (0..self.pairs.len()).find(|&i| {
            !self.removed[i]
                && self.pairs[i].source == source
                && self.pairs[i].destination == destination
        }) {
            if self.pairs[i].priority < priority && !self.pairs[i].valid {
                self.pairs[i].local = local;
                self.pairs[i].remote = remote;
                self.pairs[i].priority = priority;
            }
            return Some(i);
        }
        let foundation = format!("{}:{}", l.candidate.foundation, r.candidate.foundation);
        let busy = self.pairs.iter().enumerate().any(|(i, p)| {
            !self.removed[i]
                && p.foundation == foundation
                && matches!(p.state, PairState::Waiting | PairState::InProgress)
        });
        let checking_done = matches!(
            self.state,
            ConnectionState::Completed | ConnectionState::Failed
        );
        let slot = match self.reusable_slot() {
            Some(i) => i,
            None if self.pairs.len() < self.pair_capacity() => self.pairs.len(),
            // Full of pairs still referenced: this one is not formed.
            None => return None,
        };
        let pair = Pair {
            local,
            remote,
            source,
            destination,
            foundation,
            priority,
            state: if busy {
                PairState::Frozen
            } else {
                PairState::Waiting
            },
            transaction: None,
            nominating: false,
            valid: false,
            nominated: false,
            nominate_on_success: false,
            check_role: self.role,
            renominate: false,
        };
        if slot == self.pairs.len() {
            self.pairs.push(pair);
            self.removed.push(checking_done);
        } else {
            self.pairs[slot] = pair;
            self.removed[slot] = checking_done;
        }
        if let Some(i) = self.relay_at(source) {
            self.relay_permit(i, destination);
        }
        self.enforce_pair_limit();
        Some(slot)
    }

    /// The most entries the pair list holds, live and removed: twice
    /// [`Limits::max_pairs`](crate::Limits::max_pairs) (see [`Limits`](crate::Limits)).
    fn pair_capacity(&self) -> usize {
        self.config.limits.max_pairs.saturating_mul(2)
    }

    /// A removed pair that nothing refers to any more (not selected, no
    /// transaction, no late answer awaited, not queued, not valid), whose
    /// entry a new pair may take, so that removed pairs do not pile up
    /// (`docs/ARCHITECTURE.md` §2.8).
    fn reusable_slot(&self) -> Option<usize> {
        (0..self.pairs.len()).find(|&i| {
            let p = &self.pairs[i];
            self.removed[i]
                && self.selected != Some(i)
                && p.transaction.is_none()
                && !p.valid
                && !self.triggered.contains(&i)
                && !self.late.values().any(|(q, _, _)| *q == i)
                && !self.purposes.values().any(
                    |purpose| matches!(purpose, Purpose::Check(q) | Purpose::Consent(q) if *q == i),
                )
        })
    }

    /// Keep at most [`Limits::max_pairs`](crate::Limits::max_pairs) pairs in play, removing the
    /// lowest-priority ones that are not being checked or valid (RFC 8445
    /// §6.1.2.5).
    fn enforce_pair_limit(&mut self) {
        loop {
            let live = self.removed.iter().filter(|r| !**r).count();
            if live <= self.config.limits.max_pairs {
                return;
            }
            let lowest = (0..self.pairs.len())
                .filter(|&i| {
                    !self.removed[i]
                        && matches!(self.pairs[i].state, PairState::Frozen | PairState::Waiting)
                })
                .min_by_key(|&i| self.pairs[i].priority);
            match lowest {
                Some(i) => self.removed[i] = true,
                None => return,
            }
        }
    }

    /// The pair priority of `local` and `remote` for the current roles.
    fn priority_of(&self, local: &Candidate, remote: &Candidate) -> u64 {
        match self.role {
            Role::Controlling => pair_priority(local.priority, remote.priority),
            Role::Controlled => pair_priority(remote.priority, local.priority),
        }
    }

    /// Recompute the priority of every pair in play (after a role change
    /// or a candidate's priority changed). Removed pairs keep theirs: the
    /// pair kept across a restart refers to a remote candidate that is
    /// gone.
    pub(super) fn reprioritise(&mut self) {
        for i in 0..self.pairs.len() {
            if self.removed[i] {
                continue;
            }
            let p = &self.pairs[i];
            let priority = self.priority_of(
                &self.locals[p.local].candidate,
                &self.remotes[p.remote].candidate,
            );
            self.pairs[i].priority = priority;
        }
    }
}
