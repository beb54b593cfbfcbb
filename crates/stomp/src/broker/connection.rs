//! A connection's outbox and timer, and its end: what it held goes back
//! to its queues (unacknowledged messages) or away (subscriptions,
//! transactions).

use std::sync::Arc;

use bytes::Bytes;

use super::{
    Broker, BrokerEvent, BrokerTransmit, CloseReason, ConnectionId, Counts, Delivery, Overflow,
    Phase, Subscription,
};
use crate::Frame;

impl Broker {
    /// The sizes of `counts`, summed over everything (debug checks).
    pub(super) fn recount(&self) -> Counts {
        let mut counts = Counts::default();
        for conn in self.connections.values() {
            if conn.phase == Phase::Open {
                counts.sessions += 1;
            }
            counts.subscriptions += conn.subscriptions.len();
            counts.unacked += conn.unacked.len();
            counts.transactions += conn.transactions.len();
        }
        counts.queued = self.queues.values().map(|q| q.messages.len()).sum();
        counts
    }

    /// Puts `id`'s timer entry at its next deadline when that is earlier
    /// than the entry it has (deadlines only move later otherwise, and a
    /// too-early entry is set again when it fires).
    pub(super) fn schedule(&mut self, id: ConnectionId) {
        let Some(conn) = self.connections.get_mut(&id) else {
            return;
        };
        let Some(at) = conn.deadline() else {
            return;
        };
        if conn.scheduled.is_some_and(|s| s <= at) {
            return;
        }
        if let Some(old) = conn.scheduled.replace(at) {
            self.timers.remove(&(old, id));
        }
        self.timers.insert((at, id));
    }

    /// Queues `bytes` for `id`. `false` when they were not queued: the
    /// connection is unknown or closing, or they would pass the unsent
    /// caps (then `overflow` says what happens).
    pub(super) fn push(&mut self, id: ConnectionId, bytes: Bytes, overflow: Overflow) -> bool {
        let limits = &self.config.limits;
        let Some(conn) = self.connections.get_mut(&id) else {
            return false;
        };
        if conn.phase == Phase::Closing && overflow != Overflow::Exempt {
            return false;
        }
        let len = bytes.len();
        if overflow != Overflow::Exempt
            && (conn.unsent + len > limits.max_unsent_bytes
                || self.unsent_bytes + len > limits.max_total_unsent_bytes)
        {
            if overflow == Overflow::Close {
                self.stats.slow_consumers += 1;
                let message = format!(
                    "slow consumer (max_unsent_bytes {})",
                    self.config.limits.max_unsent_bytes
                );
                self.fail(id, CloseReason::SlowConsumer, Frame::error(&message, None));
            }
            return false;
        }
        conn.unsent += len;
        self.unsent_bytes += len;
        if let Some(now) = self.now {
            conn.last_sent = conn.last_sent.max(now);
        }
        self.transmits.push_back(BrokerTransmit {
            connection: id,
            bytes,
        });
        true
    }

    /// Sends `frame` (an ERROR) to `id`, then closes it.
    pub(super) fn fail(&mut self, id: ConnectionId, reason: CloseReason, frame: Frame) {
        let Some(conn) = self.connections.get(&id) else {
            return;
        };
        if conn.phase == Phase::Closing {
            return;
        }
        self.stats.errors += 1;
        let bytes = frame.to_bytes(conn.version);
        self.push(id, bytes, Overflow::Exempt);
        self.close(id, reason);
    }

    /// Ends `id`'s session: [`Broker::release`], input ignored from now
    /// on, and [`BrokerEvent::Close`] for the driver.
    pub(super) fn close(&mut self, id: ConnectionId, reason: CloseReason) {
        let Some(conn) = self.connections.get_mut(&id) else {
            return;
        };
        if conn.phase == Phase::Closing {
            return;
        }
        if conn.phase == Phase::Open {
            self.counts.sessions -= 1;
        }
        conn.phase = Phase::Closing;
        if let Some(at) = conn.scheduled.take() {
            self.timers.remove(&(at, id));
        }
        self.release(id);
        self.events.push_back(BrokerEvent::Close {
            connection: id,
            reason,
        });
    }

    /// Drops `id`'s transactions and subscriptions, and puts its
    /// unacknowledged queue messages back at the head of their queues.
    pub(super) fn release(&mut self, id: ConnectionId) {
        let Some(conn) = self.connections.get_mut(&id) else {
            return;
        };
        let transactions = std::mem::take(&mut conn.transactions);
        conn.transaction_frames = 0;
        let unacked = std::mem::take(&mut conn.unacked);
        let subscriptions = std::mem::take(&mut conn.subscriptions);
        self.counts.transactions -= transactions.len();
        self.counts.unacked -= unacked.len();
        self.counts.subscriptions -= subscriptions.len();
        for pending in transactions.into_values().flatten() {
            self.stored_bytes -= pending.size();
        }
        self.requeue(unacked.into_values().collect());
        for (sid, sub) in subscriptions {
            self.unindex(id, &sid, &sub);
        }
    }

    /// Puts delivered queue messages (in delivery order) back at the head
    /// of their queues, in the same order; topic deliveries are dropped.
    pub(super) fn requeue(&mut self, deliveries: Vec<Delivery>) {
        for delivery in deliveries.into_iter().rev() {
            let Some(message) = delivery.message else {
                continue;
            };
            let name = message.destination.clone();
            self.queues
                .entry(name.clone())
                .or_default()
                .messages
                .push_front(message);
            self.counts.queued += 1;
            self.stats.messages_requeued += 1;
            self.to_dispatch.push(name);
        }
    }

    /// Removes subscription `sid` of `id` from its topic or queue; a
    /// topic without subscribers and an empty queue without consumers
    /// are dropped.
    pub(super) fn unindex(&mut self, id: ConnectionId, sid: &Arc<str>, sub: &Subscription) {
        let name = &sub.destination;
        if sub.queue {
            let Some(queue) = self.queues.get_mut(name) else {
                return;
            };
            if let Some(i) = queue
                .consumers
                .iter()
                .position(|(c, s)| *c == id && s == sid)
            {
                queue.consumers.remove(i);
                if queue.next > i {
                    queue.next -= 1;
                }
            }
            if queue.consumers.is_empty() && queue.messages.is_empty() {
                self.queues.remove(name);
            } else if !queue.messages.is_empty() {
                self.to_dispatch.push(name.clone());
            }
        } else if let Some(subscribers) = self.topics.get_mut(name) {
            subscribers.retain(|(c, s)| !(*c == id && s == sid));
            if subscribers.is_empty() {
                self.topics.remove(name);
            }
        }
    }

    /// After an ACK or written bytes: if a queue held messages back from
    /// `id`, offer them again.
    pub(super) fn unblock(&mut self, id: ConnectionId) {
        let Some(conn) = self.connections.get_mut(&id) else {
            return;
        };
        if !conn.blocked {
            return;
        }
        conn.blocked = false;
        for sub in conn.subscriptions.values() {
            if sub.queue {
                self.to_dispatch.push(sub.destination.clone());
            }
        }
    }
}
