//! The [`Hub`]: topics, fan-out, resume and eviction.

use std::collections::{HashMap, VecDeque};

use bytes::Bytes;

use crate::topic::{Cursor, Topic};
use crate::types::check;
use crate::{
    Config, Error, EvictReason, HubEvent, HubStats, Message, MessageId, Since, SubscriberId,
    Subscription, TopicName,
};

/// A subscriber's slot: the id's low 32 bits are its index, the high 32
/// its generation, so that a stale id never finds the slot's next tenant
/// (until the slot has been reused 2^32 times).
#[derive(Debug, Default)]
struct Slot {
    generation: u32,
    cursor: Option<Cursor>,
}

/// An in-process publish/subscribe hub, sans-IO: no task, no clock, no
/// lock. One owner (a driver task, or a `Mutex`) calls it; the crate docs
/// describe the driver's loop, the slow-subscriber policy and how a
/// distributed backend feeds it.
#[derive(Debug)]
pub struct Hub {
    config: Config,
    /// Topic slots, found by name through `names`.
    topics: Vec<Option<Topic>>,
    names: HashMap<TopicName, u32>,
    free_topics: Vec<u32>,
    slots: Vec<Slot>,
    free_slots: Vec<u32>,
    subscribers: usize,
    events: VecDeque<HubEvent>,
    /// Every kept message in publish order over all topics (topic slot,
    /// topic generation, id), for `max_history_bytes_total`; entries of
    /// messages that left their history already are skipped, and dropped
    /// when they are more than half.
    order: VecDeque<(u32, u64, MessageId)>,
    history_messages: usize,
    history_bytes: usize,
    next_generation: u64,
    published: u64,
    evictions: u64,
}

impl Hub {
    /// A hub with nothing in it.
    pub fn new(config: Config) -> Hub {
        Hub {
            config,
            topics: Vec::new(),
            names: HashMap::new(),
            free_topics: Vec::new(),
            slots: Vec::new(),
            free_slots: Vec::new(),
            subscribers: 0,
            events: VecDeque::new(),
            order: VecDeque::new(),
            history_messages: 0,
            history_bytes: 0,
            next_generation: 0,
            published: 0,
            evictions: 0,
        }
    }

    /// Its configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Publishes `data` to `topic` (made if new, within
    /// `Limits::max_topics`) with the topic's next id, keeps it in the
    /// history and queues it for every subscriber of the topic. The id is
    /// what the publisher is answered (`{"id": N}`).
    pub fn publish(&mut self, topic: &str, data: Bytes) -> Result<MessageId, Error> {
        self.check_message(topic, &data)?;
        let t = self.topic_or_new(topic)?;
        let id = MessageId(self.topic(t).last_id.0 + 1);
        self.deliver(t, id, data);
        Ok(id)
    }

    /// Takes a message whose id a distributed backend assigned (crate
    /// docs, "Distributed backends"): like [`Hub::publish`], with `id`,
    /// which must be greater than the topic's last id (gaps are allowed),
    /// else [`Error::StaleId`] and nothing changes.
    pub fn ingest(&mut self, topic: &str, id: MessageId, data: Bytes) -> Result<(), Error> {
        self.check_message(topic, &data)?;
        let last = self.find(topic).map_or(MessageId::ZERO, |t| t.last_id);
        if id <= last {
            return Err(Error::StaleId {
                id: id.0,
                last: last.0,
            });
        }
        let t = self.topic_or_new(topic)?;
        self.deliver(t, id, data);
        Ok(())
    }

    /// Subscribes to `topic` (made if new, within `Limits::max_topics`)
    /// from `since`. The replay of `Since::After` is queued at once (a
    /// [`HubEvent::Ready`] follows if there is any); then every message
    /// published to the topic, until [`Hub::unsubscribe`] or eviction.
    pub fn subscribe(&mut self, topic: &str, since: Since) -> Result<Subscription, Error> {
        check(topic, self.config.limits.max_topic_len)?;
        if self.subscribers >= self.config.limits.max_subscribers {
            return Err(Error::TooManySubscribers);
        }
        let ti = self.topic_or_new(topic)?;
        let index = self.free_slots.pop().unwrap_or_else(|| {
            self.slots.push(Slot::default());
            (self.slots.len() - 1) as u32
        });
        let slot = &mut self.slots[index as usize];
        let id = SubscriberId(u64::from(slot.generation) << 32 | u64::from(index));
        let t = self.topics[ti as usize].as_mut().expect("made above");
        let live_start = t.next_seq();
        let (next_seq, missed, last_delivered) = match since {
            Since::Now => (live_start, None, t.last_id),
            Since::After(n) => {
                let missed = t.missed(n);
                let from = missed.map_or(n, |(_, through)| through);
                (t.seq_after(n), missed, from)
            }
        };
        let backlog = (live_start - next_seq) as usize;
        slot.cursor = Some(Cursor {
            topic: ti,
            pos: t.subs.len(),
            next_seq,
            live_start,
            last_delivered,
            ready_queued: backlog > 0,
        });
        t.subs.push(index);
        self.subscribers += 1;
        if backlog > 0 {
            self.events.push_back(HubEvent::Ready(id));
        }
        Ok(Subscription {
            id,
            topic: t.name.clone(),
            missed,
            last_id: t.last_id,
            backlog,
        })
    }

    /// The next message queued for `sub`, oldest first; `None` when none
    /// waits (or `sub` is gone). The driver calls it until `None` after
    /// each [`HubEvent::Ready`] for `sub`, or whenever the connection can
    /// take more.
    #[must_use]
    pub fn poll_message(&mut self, sub: SubscriberId) -> Option<Message> {
        let cursor = cursor_mut(&mut self.slots, sub)?;
        let topic = self.topics[cursor.topic as usize].as_ref()?;
        debug_assert!(cursor.next_seq >= topic.front_seq, "overrun not evicted");
        let entry = topic
            .history
            .get((cursor.next_seq - topic.front_seq) as usize)?;
        cursor.next_seq += 1;
        cursor.last_delivered = entry.msg.id;
        Some(entry.msg.clone())
    }

    /// Removes `sub` (its connection ended); the id to resume from. A
    /// topic that never had a message goes with its last subscriber.
    /// [`Error::UnknownSubscriber`] when it was removed or evicted already.
    pub fn unsubscribe(&mut self, sub: SubscriberId) -> Result<MessageId, Error> {
        cursor_mut(&mut self.slots, sub).ok_or(Error::UnknownSubscriber)?;
        let cursor = self.release(sub.0 as u32);
        let t = self.topic(cursor.topic);
        if t.subs.is_empty() && t.last_id == MessageId::ZERO {
            self.drop_topic(cursor.topic);
        }
        Ok(cursor.last_delivered)
    }

    /// The next thing the driver must act on; drain it after every call
    /// that changes the hub (`publish`, `ingest`, `subscribe`,
    /// `remove_topic`).
    #[must_use]
    pub fn poll_event(&mut self) -> Option<HubEvent> {
        let event = self.events.pop_front()?;
        if let HubEvent::Ready(sub) = &event
            && let Some(cursor) = cursor_mut(&mut self.slots, *sub)
        {
            cursor.ready_queued = false;
        }
        Some(event)
    }

    /// Up to `max` kept messages of `topic` after `since`, oldest first,
    /// for short and long polling. An unknown topic has none (and is not
    /// made). [`Hub::missed`] tells whether `since` is older than the
    /// history.
    pub fn history(
        &self,
        topic: &str,
        since: MessageId,
        max: usize,
    ) -> Result<Vec<Message>, Error> {
        check(topic, self.config.limits.max_topic_len)?;
        let Some(t) = self.find(topic) else {
            return Ok(Vec::new());
        };
        let from = (t.seq_after(since) - t.front_seq) as usize;
        Ok(t.history
            .range(from..)
            .take(max)
            .map(|e| e.msg.clone())
            .collect())
    }

    /// The first and last ids (inclusive) after `since` that have left
    /// `topic`'s history, if any: what a poll from `since` misses.
    pub fn missed(
        &self,
        topic: &str,
        since: MessageId,
    ) -> Result<Option<(MessageId, MessageId)>, Error> {
        check(topic, self.config.limits.max_topic_len)?;
        Ok(self.find(topic).and_then(|t| t.missed(since)))
    }

    /// The id of `topic`'s last message; `ZERO` for a topic with none or
    /// unknown.
    pub fn last_id(&self, topic: &str) -> Result<MessageId, Error> {
        check(topic, self.config.limits.max_topic_len)?;
        Ok(self.find(topic).map_or(MessageId::ZERO, |t| t.last_id))
    }

    /// Removes `topic` with its history; each of its subscribers is
    /// evicted with [`EvictReason::TopicRemoved`]. `false` when there was
    /// no such topic. A topic made again later starts from id 1.
    pub fn remove_topic(&mut self, topic: &str) -> bool {
        let Some(&ti) = self.names.get(topic) else {
            return false;
        };
        let mut subs = self.topic(ti).subs.clone();
        subs.sort_by_key(|&i| self.sub_id(i));
        for index in subs {
            self.evict(index, EvictReason::TopicRemoved);
        }
        self.drop_topic(ti);
        true
    }

    /// Counts of what the hub holds and did.
    pub fn stats(&self) -> HubStats {
        let (mut queued_messages, mut queued_bytes) = (0, 0);
        for cursor in self.slots.iter().filter_map(|s| s.cursor.as_ref()) {
            let (m, b) = self.topic(cursor.topic).pending(cursor);
            queued_messages += m;
            queued_bytes += b;
        }
        HubStats {
            topics: self.names.len(),
            subscribers: self.subscribers,
            published: self.published,
            evictions: self.evictions,
            history_messages: self.history_messages,
            history_bytes: self.history_bytes,
            queued_messages,
            queued_bytes,
        }
    }

    fn check_message(&self, topic: &str, data: &Bytes) -> Result<(), Error> {
        check(topic, self.config.limits.max_topic_len)?;
        let max = self.config.limits.max_message_bytes;
        if data.len() > max {
            return Err(Error::MessageTooLarge {
                size: data.len(),
                max,
            });
        }
        Ok(())
    }

    fn find(&self, name: &str) -> Option<&Topic> {
        self.names.get(name).map(|&t| self.topic(t))
    }

    fn topic(&self, t: u32) -> &Topic {
        self.topics[t as usize].as_ref().expect("a live topic slot")
    }

    fn sub_id(&self, index: u32) -> SubscriberId {
        SubscriberId(u64::from(self.slots[index as usize].generation) << 32 | u64::from(index))
    }

    /// The slot of the topic named `name` (checked), made if new.
    fn topic_or_new(&mut self, name: &str) -> Result<u32, Error> {
        if let Some(&t) = self.names.get(name) {
            return Ok(t);
        }
        if self.names.len() >= self.config.limits.max_topics {
            return Err(Error::TooManyTopics);
        }
        let name = TopicName::new(name)?;
        let topic = Topic::new(name.clone(), self.next_generation);
        self.next_generation += 1;
        let t = match self.free_topics.pop() {
            Some(t) => {
                self.topics[t as usize] = Some(topic);
                t
            }
            None => {
                self.topics.push(Some(topic));
                (self.topics.len() - 1) as u32
            }
        };
        self.names.insert(name, t);
        Ok(t)
    }

    fn drop_topic(&mut self, t: u32) {
        let topic = self.topics[t as usize].take().expect("a live topic slot");
        debug_assert!(topic.subs.is_empty());
        self.history_messages -= topic.history.len();
        self.history_bytes -= topic.history_bytes();
        self.names.remove(&topic.name);
        self.free_topics.push(t);
    }

    /// Frees subscriber slot `index`; its cursor.
    fn release(&mut self, index: u32) -> Cursor {
        let slot = &mut self.slots[index as usize];
        let cursor = slot.cursor.take().expect("a live subscriber slot");
        slot.generation = slot.generation.wrapping_add(1);
        self.free_slots.push(index);
        self.subscribers -= 1;
        let subs = &mut self.topics[cursor.topic as usize]
            .as_mut()
            .expect("a subscriber's topic")
            .subs;
        subs.swap_remove(cursor.pos);
        if let Some(&moved) = subs.get(cursor.pos) {
            self.slots[moved as usize]
                .cursor
                .as_mut()
                .expect("a topic's subscriber")
                .pos = cursor.pos;
        }
        cursor
    }

    fn evict(&mut self, index: u32, reason: EvictReason) {
        let subscriber = self.sub_id(index);
        let cursor = self.release(index);
        if reason != EvictReason::TopicRemoved {
            self.evictions += 1;
        }
        self.events.push_back(HubEvent::Evicted {
            subscriber,
            topic: self.topic(cursor.topic).name.clone(),
            last_delivered: cursor.last_delivered,
            reason,
        });
    }

    /// Keeps the message, trims the histories, evicts the subscribers
    /// that lost their next message or lag too far, and wakes those that
    /// had nothing waiting.
    fn deliver(&mut self, ti: u32, id: MessageId, data: Bytes) {
        let limits = &self.config.limits;
        let (history_messages, history_bytes) = (limits.history_messages, limits.history_bytes);
        let t = self.topics[ti as usize]
            .as_mut()
            .expect("made by the caller");
        let was_next = t.next_seq();
        let len = data.len();
        t.push(Message {
            topic: t.name.clone(),
            id,
            data,
        });
        self.order.push_back((ti, t.generation, id));
        self.published += 1;
        self.history_messages += 1;
        self.history_bytes += len;
        // The newest message always stays, so that the subscribers with
        // nothing waiting get it whatever its size.
        while t.history.len() > 1
            && (t.history.len() > history_messages || t.history_bytes() > history_bytes)
        {
            let n = t.pop_front().expect("not empty");
            self.history_messages -= 1;
            self.history_bytes -= n;
        }
        let mut touched = self.trim_total();
        touched.retain(|&t| t != ti);
        touched.push(ti);
        for &t in &touched {
            self.evict_lagging(t);
        }
        let t = self.topics[ti as usize].as_ref().expect("still there");
        let mut ready = Vec::new();
        for &index in &t.subs {
            let slot = &mut self.slots[index as usize];
            let cursor = slot.cursor.as_mut().expect("a topic's subscriber");
            if cursor.next_seq == was_next && !cursor.ready_queued {
                cursor.ready_queued = true;
                ready.push(SubscriberId(
                    u64::from(slot.generation) << 32 | u64::from(index),
                ));
            }
        }
        ready.sort();
        self.events.extend(ready.into_iter().map(HubEvent::Ready));
        self.compact_order();
    }

    /// Drops the messages published longest ago while the histories hold
    /// more than `max_history_bytes_total`; the topics it took from.
    fn trim_total(&mut self) -> Vec<u32> {
        let mut touched = Vec::new();
        while self.history_bytes > self.config.limits.max_history_bytes_total {
            let Some((ti, generation, id)) = self.order.pop_front() else {
                break;
            };
            let Some(t) = self.topics[ti as usize].as_mut() else {
                continue;
            };
            if t.generation != generation || t.history.front().is_none_or(|e| e.msg.id != id) {
                continue;
            }
            let n = t.pop_front().expect("not empty");
            self.history_messages -= 1;
            self.history_bytes -= n;
            if !touched.contains(&ti) {
                touched.push(ti);
            }
        }
        touched
    }

    /// Evicts topic `ti`'s subscribers whose next message left the history
    /// or that lag past the queue bounds.
    fn evict_lagging(&mut self, ti: u32) {
        let limits = &self.config.limits;
        let t = self.topic(ti);
        let mut evicted: Vec<_> = t
            .subs
            .iter()
            .filter_map(|&index| {
                let cursor = self.slots[index as usize].cursor.as_ref()?;
                match t.pending_live(cursor) {
                    None => Some((index, EvictReason::HistoryOverrun)),
                    Some((m, b)) if m > limits.queue_messages || b > limits.queue_bytes => {
                        Some((index, EvictReason::QueueFull))
                    }
                    Some(_) => None,
                }
            })
            .collect();
        if evicted.is_empty() {
            return;
        }
        evicted.sort_by_key(|&(index, _)| self.sub_id(index));
        for (index, reason) in evicted {
            self.evict(index, reason);
        }
    }

    /// Drops the entries of `order` whose message left its history, once
    /// they are more than half of it.
    fn compact_order(&mut self) {
        if self.order.len() <= 2 * self.history_messages + 1024 {
            return;
        }
        let topics = &self.topics;
        self.order.retain(|&(ti, generation, id)| {
            topics[ti as usize].as_ref().is_some_and(|t| {
                t.generation == generation && t.history.front().is_some_and(|e| e.msg.id <= id)
            })
        });
    }
}

/// The cursor of live subscriber `sub`.
fn cursor_mut(slots: &mut [Slot], sub: SubscriberId) -> Option<&mut Cursor> {
    let slot = slots.get_mut((sub.0 & u64::from(u32::MAX)) as usize)?;
    if u64::from(slot.generation) != sub.0 >> 32 {
        return None;
    }
    slot.cursor.as_mut()
}
