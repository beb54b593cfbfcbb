//! The agent's role and state (RFC 8445 §6.1.3, §7.3.1.1, §8): the
//! selected pair, the connection state, and the random draws it needs.

use std::time::{Duration, Instant};

use super::{ConnectionState, Consent, IceAgent, IceEvent, Role};
use crate::pair::PairState;

impl IceAgent {
    pub(super) fn set_role(&mut self, role: Role) {
        if self.role != role {
            self.role = role;
            self.reprioritise();
            self.events.push_back(IceEvent::RoleChanged(role));
        }
    }

    pub(super) fn set_state(&mut self, state: ConnectionState) {
        if self.state != state {
            self.state = state;
            self.events.push_back(IceEvent::StateChanged(state));
        }
    }

    /// Select pair `p` for data (RFC 8445 §8.1.1, §8.2), and start consent
    /// freshness on it (RFC 7675 §5.1).
    pub(super) fn select(&mut self, p: usize, now: Instant) {
        self.pairs[p].nominated = true;
        if self.selected == Some(p) {
            return;
        }
        self.selected = Some(p);
        self.restarting = false;
        let pair = &self.pairs[p];
        self.events.push_back(IceEvent::SelectedPair {
            source: pair.source,
            destination: pair.destination,
        });
        self.consent = Some(Consent {
            next_check: now + self.consent_wait(),
            last_response: now,
        });
        self.last_sent_on_selected = Some(now);
        let (source, destination) = (self.pairs[p].source, self.pairs[p].destination);
        if let Some(i) = self.relay_at(source) {
            self.relay_bind_channel(now, i, destination);
        }
        // Nomination done (RFC 8445 §8.1.2): Frozen and Waiting pairs are
        // removed, and checks in progress of lower priority stop.
        let priority = self.pairs[p].priority;
        for i in 0..self.pairs.len() {
            let pair = &mut self.pairs[i];
            let stop = pair.state == PairState::InProgress && pair.priority < priority;
            if stop {
                if let Some(tid) = pair.transaction.take() {
                    self.transactions.cancel(tid);
                    self.purposes.remove(&tid);
                }
                pair.state = PairState::Failed;
            }
            if stop || matches!(pair.state, PairState::Frozen | PairState::Waiting) {
                self.removed[i] = true;
            }
        }
        self.triggered.clear();
        self.set_state(ConnectionState::Connected);
    }

    /// Move the agent's state on from what its pairs say.
    pub(super) fn update_state(&mut self) {
        match self.state {
            ConnectionState::Failed => {}
            ConnectionState::Connected => {
                let checking = (0..self.pairs.len())
                    .any(|i| !self.removed[i] && self.pairs[i].state == PairState::InProgress);
                if !checking && self.selected.is_some_and(|p| self.pairs[p].nominated) {
                    self.set_state(ConnectionState::Completed);
                }
            }
            ConnectionState::New | ConnectionState::Checking => {
                if self.selected.is_some() && !self.restarting {
                    return;
                }
                let started = self
                    .pairs
                    .iter()
                    .any(|p| p.state != PairState::Waiting && p.state != PairState::Frozen);
                if started || (self.remote_credentials.is_some() && !self.pairs.is_empty()) {
                    self.set_state(ConnectionState::Checking);
                }
                let all_failed = (0..self.pairs.len())
                    .all(|i| self.removed[i] || self.pairs[i].state == PairState::Failed);
                if self.remote_end_of_candidates
                    && self.gathering == 0
                    && all_failed
                    && self.state == ConnectionState::Checking
                {
                    self.fail();
                }
            }
            ConnectionState::Completed | ConnectionState::Disconnected => {}
        }
    }

    /// Give up: every check is stopped.
    pub(super) fn fail(&mut self) {
        for tid in std::mem::take(&mut self.purposes).into_keys() {
            self.transactions.cancel(tid);
        }
        self.consent = None;
        self.last_sent_on_selected = None;
        self.next_check = None;
        self.set_state(ConnectionState::Failed);
    }

    /// Random bytes from the caller's source.
    fn random_u64(&mut self) -> u64 {
        let mut bytes = [0; 8];
        self.random.fill_bytes(&mut bytes);
        u64::from_le_bytes(bytes)
    }

    /// The wait until the next consent check: the interval times a
    /// uniform factor in [0.8, 1.2) (RFC 7675 §5.1).
    pub(super) fn consent_wait(&mut self) -> Duration {
        let unit = (self.random_u64() >> 11) as f64 / (1u64 << 53) as f64;
        self.config.consent_interval.mul_f64(0.8 + 0.4 * unit)
    }
}
