//! The [`Hub`]: topics, fan-out, resume and eviction.

use std::collections::{HashMap, VecDeque};

use bytes::Bytes;

use crate::topic::{Cursor, Topic};
use crate::types::check;
use crate::{
    Config, Error, EvictReason, HubEvent, HubStats, Message, MessageId, Since, SubscriberId,
    Subscription, TopicName,
};

/// An in-process publish/subscribe hub, sans-IO: no task, no clock, no
/// lock. One owner (a driver task, or a `Mutex`) calls it; the crate docs
/// describe the driver's loop, the slow-subscriber policy and how a
/// distributed backend feeds it.
#[derive(Debug)]
pub struct Hub {
    config: Config,
    topics: HashMap<TopicName, Topic>,
    subscribers: HashMap<SubscriberId, TopicName>,
    events: VecDeque<HubEvent>,
    /// Every kept message in publish order over all topics, for
    /// `max_history_bytes_total`; entries of messages that left their
    /// history already are skipped, and dropped when they are half.
    order: VecDeque<(TopicName, u64, MessageId)>,
    history_messages: usize,
    history_bytes: usize,
    next_subscriber: u64,
    next_generation: u64,
    published: u64,
    evictions: u64,
}

impl Hub {
    /// A hub with nothing in it.
    pub fn new(config: Config) -> Hub {
        Hub {
            config,
            topics: HashMap::new(),
            subscribers: HashMap::new(),
            events: VecDeque::new(),
            order: VecDeque::new(),
            history_messages: 0,
            history_bytes: 0,
            next_subscriber: 0,
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
        let topic = self.topic_or_new(topic)?;
        let id = MessageId(self.topics[&topic].last_id.0 + 1);
        self.deliver(topic, id, data);
        Ok(id)
    }

    /// Takes a message whose id a distributed backend assigned (crate
    /// docs, "Distributed backends"): like [`Hub::publish`], with `id`,
    /// which must be greater than the topic's last id (gaps are allowed),
    /// else [`Error::StaleId`] and nothing changes.
    pub fn ingest(&mut self, topic: &str, id: MessageId, data: Bytes) -> Result<(), Error> {
        self.check_message(topic, &data)?;
        let last = self
            .topics
            .get(topic)
            .map_or(MessageId::ZERO, |t| t.last_id);
        if id <= last {
            return Err(Error::StaleId {
                id: id.0,
                last: last.0,
            });
        }
        let topic = self.topic_or_new(topic)?;
        self.deliver(topic, id, data);
        Ok(())
    }

    /// Subscribes to `topic` (made if new, within `Limits::max_topics`)
    /// from `since`. The replay of `Since::After` is queued at once (a
    /// [`HubEvent::Ready`] follows if there is any); then every message
    /// published to the topic, until [`Hub::unsubscribe`] or eviction.
    pub fn subscribe(&mut self, topic: &str, since: Since) -> Result<Subscription, Error> {
        check(topic, self.config.limits.max_topic_len)?;
        if self.subscribers.len() >= self.config.limits.max_subscribers {
            return Err(Error::TooManySubscribers);
        }
        let name = self.topic_or_new(topic)?;
        let id = SubscriberId(self.next_subscriber);
        self.next_subscriber += 1;
        let t = self.topics.get_mut(&name).expect("made above");
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
        t.subs.insert(
            id,
            Cursor {
                next_seq,
                live_start,
                last_delivered,
                ready_queued: backlog > 0,
            },
        );
        let last_id = t.last_id;
        if backlog > 0 {
            self.events.push_back(HubEvent::Ready(id));
        }
        self.subscribers.insert(id, name.clone());
        Ok(Subscription {
            id,
            topic: name,
            missed,
            last_id,
            backlog,
        })
    }

    /// The next message queued for `sub`, oldest first; `None` when none
    /// waits (or `sub` is gone). The driver calls it until `None` after
    /// each [`HubEvent::Ready`] for `sub`, or whenever the connection can
    /// take more.
    #[must_use]
    pub fn poll_message(&mut self, sub: SubscriberId) -> Option<Message> {
        let topic = self.topics.get_mut(self.subscribers.get(&sub)?)?;
        let cursor = topic.subs.get_mut(&sub)?;
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
        let name = self
            .subscribers
            .remove(&sub)
            .ok_or(Error::UnknownSubscriber)?;
        let topic = self.topics.get_mut(&name).expect("a subscriber's topic");
        let cursor = topic.subs.remove(&sub).expect("a subscriber's cursor");
        if topic.subs.is_empty() && topic.last_id == MessageId::ZERO {
            self.topics.remove(&name);
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
            && let Some(name) = self.subscribers.get(sub)
            && let Some(cursor) = self.topics.get_mut(name).and_then(|t| t.subs.get_mut(sub))
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
        let Some(t) = self.topics.get(topic) else {
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
        Ok(self.topics.get(topic).and_then(|t| t.missed(since)))
    }

    /// The id of `topic`'s last message; `ZERO` for a topic with none or
    /// unknown.
    pub fn last_id(&self, topic: &str) -> Result<MessageId, Error> {
        check(topic, self.config.limits.max_topic_len)?;
        Ok(self
            .topics
            .get(topic)
            .map_or(MessageId::ZERO, |t| t.last_id))
    }

    /// Removes `topic` with its history; each of its subscribers is
    /// evicted with [`EvictReason::TopicRemoved`]. `false` when there was
    /// no such topic. A topic made again later starts from id 1.
    pub fn remove_topic(&mut self, topic: &str) -> bool {
        let Some(t) = self.topics.remove(topic) else {
            return false;
        };
        self.history_messages -= t.history.len();
        self.history_bytes -= t.history_bytes();
        let mut subs: Vec<_> = t.subs.into_iter().collect();
        subs.sort_by_key(|(id, _)| *id);
        for (id, cursor) in subs {
            self.subscribers.remove(&id);
            self.events.push_back(HubEvent::Evicted {
                subscriber: id,
                topic: t.name.clone(),
                last_delivered: cursor.last_delivered,
                reason: EvictReason::TopicRemoved,
            });
        }
        true
    }

    /// Counts of what the hub holds and did.
    pub fn stats(&self) -> HubStats {
        let (mut queued_messages, mut queued_bytes) = (0, 0);
        for topic in self.topics.values() {
            for cursor in topic.subs.values() {
                let (m, b) = topic.pending(cursor);
                queued_messages += m;
                queued_bytes += b;
            }
        }
        HubStats {
            topics: self.topics.len(),
            subscribers: self.subscribers.len(),
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

    /// The topic named `name` (checked), made if new.
    fn topic_or_new(&mut self, name: &str) -> Result<TopicName, Error> {
        if let Some(t) = self.topics.get(name) {
            return Ok(t.name.clone());
        }
        if self.topics.len() >= self.config.limits.max_topics {
            return Err(Error::TooManyTopics);
        }
        let name = TopicName::new(name)?;
        self.topics
            .insert(name.clone(), Topic::new(name.clone(), self.next_generation));
        self.next_generation += 1;
        Ok(name)
    }

    /// Keeps the message, trims the histories, evicts the subscribers
    /// that lost their next message or lag too far, and wakes those that
    /// had nothing waiting.
    fn deliver(&mut self, name: TopicName, id: MessageId, data: Bytes) {
        let limits = &self.config.limits;
        let (history_messages, history_bytes) = (limits.history_messages, limits.history_bytes);
        let t = self.topics.get_mut(&name).expect("made by the caller");
        let was_next = t.next_seq();
        let len = data.len();
        t.push(Message {
            topic: name.clone(),
            id,
            data,
        });
        self.order.push_back((name.clone(), t.generation, id));
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
        touched.retain(|t| *t != name);
        touched.push(name.clone());
        for topic in &touched {
            self.evict_lagging(topic);
        }
        if let Some(t) = self.topics.get_mut(&name) {
            let mut ready: Vec<_> = t
                .subs
                .iter_mut()
                .filter(|(_, c)| c.next_seq == was_next && !c.ready_queued)
                .map(|(id, c)| {
                    c.ready_queued = true;
                    *id
                })
                .collect();
            ready.sort();
            self.events.extend(ready.into_iter().map(HubEvent::Ready));
        }
        self.compact_order();
    }

    /// Drops the messages published longest ago while the histories hold
    /// more than `max_history_bytes_total`; the topics it took from.
    fn trim_total(&mut self) -> Vec<TopicName> {
        let mut touched = Vec::new();
        while self.history_bytes > self.config.limits.max_history_bytes_total {
            let Some((name, generation, id)) = self.order.pop_front() else {
                break;
            };
            let Some(t) = self.topics.get_mut(&name) else {
                continue;
            };
            if t.generation != generation || t.history.front().is_none_or(|e| e.msg.id != id) {
                continue;
            }
            let n = t.pop_front().expect("not empty");
            self.history_messages -= 1;
            self.history_bytes -= n;
            if !touched.contains(&name) {
                touched.push(name);
            }
        }
        touched
    }

    /// Evicts `topic`'s subscribers whose next message left the history or
    /// that lag past the queue bounds.
    fn evict_lagging(&mut self, topic: &TopicName) {
        let Some(t) = self.topics.get_mut(topic) else {
            return;
        };
        let limits = &self.config.limits;
        let mut evicted: Vec<_> = t
            .subs
            .iter()
            .filter_map(|(id, c)| match t.pending_live(c) {
                None => Some((*id, EvictReason::HistoryOverrun)),
                Some((m, b)) if m > limits.queue_messages || b > limits.queue_bytes => {
                    Some((*id, EvictReason::QueueFull))
                }
                Some(_) => None,
            })
            .collect();
        evicted.sort_by_key(|(id, _)| *id);
        for (id, reason) in evicted {
            let cursor = t.subs.remove(&id).expect("listed above");
            self.subscribers.remove(&id);
            self.evictions += 1;
            self.events.push_back(HubEvent::Evicted {
                subscriber: id,
                topic: topic.clone(),
                last_delivered: cursor.last_delivered,
                reason,
            });
        }
    }

    /// Drops the entries of `order` whose message left its history, once
    /// they are more than half of it.
    fn compact_order(&mut self) {
        if self.order.len() <= 2 * self.history_messages + 1024 {
            return;
        }
        let topics = &self.topics;
        self.order.retain(|(name, generation, id)| {
            topics.get(name).is_some_and(|t| {
                t.generation == *generation && t.history.front().is_some_and(|e| e.msg.id <= *id)
            })
        });
    }
}
