//! Arbitrary publish, ingest, subscribe, resume, poll, unsubscribe and
//! remove sequences against a simple model that copies every message into
//! each subscriber's own queue: what each subscriber gets is exactly its
//! model queue (no loss within the history bound, no duplicates, ids
//! increasing), eviction happens exactly when a bound is passed, a resume
//! from an evicted subscriber's id misses nothing while the history holds
//! it, and memory stays within the limits.

use std::collections::{HashMap, HashSet, VecDeque};

use bytes::Bytes;
use proptest::prelude::*;
use rtw_hub::{Config, Error, EvictReason, Hub, HubEvent, Limits, MessageId, Since, SubscriberId};

const TOPICS: [&str; 3] = ["a", "b", "c"];

#[derive(Debug, Clone)]
enum Op {
    Publish(usize, usize),
    Ingest(usize, u64, usize),
    Subscribe(usize, Option<u64>),
    Resume(usize),
    Poll(usize, usize),
    Unsubscribe(usize),
    Remove(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..3usize, 0..24usize).prop_map(|(t, n)| Op::Publish(t, n)),
        1 => (0..3usize, 0..3u64, 0..24usize).prop_map(|(t, d, n)| Op::Ingest(t, d, n)),
        2 => (0..3usize, proptest::option::of(0..12u64)).prop_map(|(t, s)| Op::Subscribe(t, s)),
        1 => (0..8usize).prop_map(Op::Resume),
        4 => (0..8usize, 1..6usize).prop_map(|(s, n)| Op::Poll(s, n)),
        1 => (0..8usize).prop_map(Op::Unsubscribe),
        1 => (0..3usize).prop_map(Op::Remove),
    ]
}

#[derive(Default)]
struct MTopic {
    /// Every message: id, length, global publish order.
    msgs: Vec<(u64, usize, u64)>,
    kept_from: usize,
    evicted_through: u64,
}

impl MTopic {
    fn last_id(&self) -> u64 {
        self.msgs.last().map_or(0, |m| m.0)
    }
    fn kept_bytes(&self) -> usize {
        self.msgs[self.kept_from..].iter().map(|m| m.1).sum()
    }
    fn drop_oldest(&mut self) {
        self.evicted_through = self.msgs[self.kept_from].0;
        self.kept_from += 1;
    }
}

struct MSub {
    topic: usize,
    /// Sequence numbers (indexes into the topic's `msgs`) still to get.
    queue: VecDeque<usize>,
    live_start: usize,
    last: u64,
    /// The id the next one must be above.
    floor: u64,
    woken: bool,
}

struct Model {
    limits: Limits,
    topics: HashMap<usize, MTopic>,
    subs: HashMap<SubscriberId, MSub>,
    order: u64,
}

impl Model {
    fn add(&mut self, t: usize, id: u64, len: usize) -> Vec<(SubscriberId, EvictReason)> {
        let l = self.limits.clone();
        let topic = self.topics.get_mut(&t).unwrap();
        topic.msgs.push((id, len, self.order));
        self.order += 1;
        let seq = topic.msgs.len() - 1;
        while topic.msgs.len() - topic.kept_from > 1
            && (topic.msgs.len() - topic.kept_from > l.history_messages
                || topic.kept_bytes() > l.history_bytes)
        {
            topic.drop_oldest();
        }
        while self.topics.values().map(MTopic::kept_bytes).sum::<usize>()
            > l.max_history_bytes_total
        {
            let oldest = self
                .topics
                .iter()
                .filter(|(_, t)| t.kept_from < t.msgs.len())
                .min_by_key(|(_, t)| t.msgs[t.kept_from].2)
                .map(|(k, _)| *k)
                .unwrap();
            self.topics.get_mut(&oldest).unwrap().drop_oldest();
        }
        for sub in self.subs.values_mut().filter(|s| s.topic == t) {
            sub.queue.push_back(seq);
        }
        let mut evicted = Vec::new();
        for (id, sub) in &self.subs {
            let topic = &self.topics[&sub.topic];
            if sub.queue.front().is_some_and(|&s| s < topic.kept_from) {
                evicted.push((*id, EvictReason::HistoryOverrun));
                continue;
            }
            let live: Vec<_> = sub.queue.iter().filter(|&&s| s >= sub.live_start).collect();
            let bytes: usize = live.iter().map(|&&s| topic.msgs[s].1).sum();
            if live.len() > l.queue_messages || bytes > l.queue_bytes {
                evicted.push((*id, EvictReason::QueueFull));
            }
        }
        for (id, _) in &evicted {
            self.subs.remove(id);
        }
        evicted
    }
}

fn limits() -> impl Strategy<Value = Limits> {
    (0..6usize, 0..60usize, 24..120usize, 0..5usize, 0..40usize).prop_map(
        |(hm, hb, total, qm, qb)| {
            Limits::default()
                .max_topics(2)
                .max_subscribers(6)
                .max_message_bytes(20)
                .history_messages(hm)
                .history_bytes(hb)
                .max_history_bytes_total(total)
                .queue_messages(qm)
                .queue_bytes(qb)
        },
    )
}

fn run(limits: Limits, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let mut hub = Hub::new(Config::default().limits(limits.clone()));
    let mut model = Model {
        limits: limits.clone(),
        topics: HashMap::new(),
        subs: HashMap::new(),
        order: 0,
    };
    let mut slots: Vec<SubscriberId> = Vec::new();
    let mut evicted: Vec<(usize, u64)> = Vec::new();
    for op in ops {
        let mut expect_evicted: Vec<(SubscriberId, EvictReason)> = Vec::new();
        match op {
            Op::Publish(t, n) | Op::Ingest(t, _, n) => {
                let last = model.topics.get(&t).map_or(0, MTopic::last_id);
                let (result, id) = match op {
                    Op::Ingest(_, d, _) => {
                        let id = last + d;
                        (
                            hub.ingest(TOPICS[t], MessageId(id), Bytes::from(vec![7; n]))
                                .map(|()| MessageId(id)),
                            id,
                        )
                    }
                    _ => (hub.publish(TOPICS[t], Bytes::from(vec![7; n])), last + 1),
                };
                if n > 20 {
                    prop_assert!(
                        matches!(result, Err(Error::MessageTooLarge { .. })),
                        "{:?}",
                        result
                    );
                } else if id <= last {
                    prop_assert_eq!(result, Err(Error::StaleId { id, last }));
                } else if !model.topics.contains_key(&t) && model.topics.len() >= 2 {
                    prop_assert_eq!(result, Err(Error::TooManyTopics));
                } else {
                    prop_assert_eq!(result, Ok(MessageId(id)));
                    model.topics.entry(t).or_default();
                    expect_evicted = model.add(t, id, n);
                }
            }
            Op::Subscribe(t, _) | Op::Resume(t) => {
                let (t, since) = match op {
                    Op::Subscribe(t, None) => (t, Since::Now),
                    Op::Subscribe(t, Some(k)) => {
                        let last = model.topics.get(&t).map_or(0, MTopic::last_id);
                        (t, Since::After(MessageId(last.saturating_sub(k))))
                    }
                    _ if evicted.is_empty() => continue,
                    _ => {
                        let (topic, last) = evicted[t % evicted.len()];
                        (topic, Since::After(MessageId(last)))
                    }
                };
                let result = hub.subscribe(TOPICS[t], since);
                if model.subs.len() >= 6 {
                    prop_assert_eq!(result, Err(Error::TooManySubscribers));
                } else if !model.topics.contains_key(&t) && model.topics.len() >= 2 {
                    prop_assert_eq!(result, Err(Error::TooManyTopics));
                } else {
                    let s = result.unwrap();
                    let topic = model.topics.entry(t).or_default();
                    let (queue, last, missed) = match since {
                        Since::Now => (VecDeque::new(), topic.last_id(), None),
                        Since::After(MessageId(n)) => {
                            let missed = (n < topic.evicted_through)
                                .then(|| (MessageId(n + 1), MessageId(topic.evicted_through)));
                            let queue = (topic.kept_from..topic.msgs.len())
                                .filter(|&i| topic.msgs[i].0 > n)
                                .collect();
                            (queue, n.max(topic.evicted_through), missed)
                        }
                    };
                    prop_assert_eq!(s.missed, missed);
                    prop_assert_eq!(s.backlog, queue.len());
                    prop_assert_eq!(s.last_id, MessageId(topic.last_id()));
                    model.subs.insert(
                        s.id,
                        MSub {
                            topic: t,
                            queue,
                            live_start: topic.msgs.len(),
                            floor: last.min(topic.last_id()),
                            last,
                            woken: false,
                        },
                    );
                    slots.push(s.id);
                }
            }
            Op::Poll(slot, n) => {
                let Some(&sub) = slots.get(slot % slots.len().max(1)) else {
                    continue;
                };
                for _ in 0..n {
                    let got = hub.poll_message(sub);
                    match model.subs.get_mut(&sub) {
                        None => prop_assert_eq!(got, None),
                        Some(m) => {
                            let want = m.queue.pop_front();
                            match (got, want) {
                                (None, None) => m.woken = false,
                                (Some(got), Some(seq)) => {
                                    let topic = &model.topics[&m.topic];
                                    prop_assert_eq!(got.id, MessageId(topic.msgs[seq].0));
                                    // Increasing; a resume from ahead of a remade
                                    // topic gets its live ids from 1.
                                    prop_assert!(
                                        got.id.get() > m.floor,
                                        "id {} after {}",
                                        got.id,
                                        m.floor
                                    );
                                    m.floor = got.id.get();
                                    prop_assert_eq!(got.data.len(), topic.msgs[seq].1);
                                    prop_assert_eq!(got.topic.as_str(), TOPICS[m.topic]);
                                    m.last = got.id.get();
                                }
                                (got, want) => {
                                    prop_assert!(false, "got {:?}, model {:?}", got, want)
                                }
                            }
                        }
                    }
                }
            }
            Op::Unsubscribe(slot) => {
                let Some(&sub) = slots.get(slot % slots.len().max(1)) else {
                    continue;
                };
                let result = hub.unsubscribe(sub);
                match model.subs.remove(&sub) {
                    None => prop_assert_eq!(result, Err(Error::UnknownSubscriber)),
                    Some(m) => {
                        prop_assert_eq!(result, Ok(MessageId(m.last)));
                        let topic = &model.topics[&m.topic];
                        if topic.msgs.is_empty() && !model.subs.values().any(|s| s.topic == m.topic)
                        {
                            model.topics.remove(&m.topic);
                        }
                    }
                }
            }
            Op::Remove(t) => {
                prop_assert_eq!(
                    hub.remove_topic(TOPICS[t]),
                    model.topics.remove(&t).is_some()
                );
                let gone: Vec<_> = model
                    .subs
                    .iter()
                    .filter(|(_, s)| s.topic == t)
                    .map(|(id, _)| *id)
                    .collect();
                for id in gone {
                    model.subs.remove(&id);
                    expect_evicted.push((id, EvictReason::TopicRemoved));
                }
            }
        }
        // Events: exactly the model's evictions; Ready only for live subscribers.
        let mut got_evicted = HashSet::new();
        while let Some(event) = hub.poll_event() {
            match event {
                HubEvent::Ready(sub) => {
                    if let Some(m) = model.subs.get_mut(&sub) {
                        m.woken = true;
                    }
                }
                HubEvent::Evicted {
                    subscriber,
                    topic,
                    last_delivered,
                    reason,
                } => {
                    let t = TOPICS.iter().position(|n| *n == topic.as_str()).unwrap();
                    got_evicted.insert((subscriber, reason));
                    evicted.push((t, last_delivered.get()));
                }
                other => prop_assert!(false, "unexpected {:?}", other),
            }
        }
        let want: HashSet<_> = expect_evicted.into_iter().collect();
        prop_assert_eq!(got_evicted, want);
        // Every subscriber with something waiting was woken.
        for (id, m) in &model.subs {
            prop_assert!(m.queue.is_empty() || m.woken, "subscriber {} not woken", id);
        }
        // Memory: within the limits, and as the model counts it.
        let stats = hub.stats();
        let kept_bytes: usize = model.topics.values().map(MTopic::kept_bytes).sum();
        let kept: usize = model
            .topics
            .values()
            .map(|t| t.msgs.len() - t.kept_from)
            .sum();
        prop_assert_eq!(stats.history_bytes, kept_bytes);
        prop_assert_eq!(stats.history_messages, kept);
        prop_assert!(
            stats.history_bytes <= limits.max_history_bytes_total,
            "total"
        );
        prop_assert!(stats.topics <= 2 && stats.subscribers <= 6, "counts");
        prop_assert_eq!(stats.topics, model.topics.len());
        prop_assert_eq!(stats.subscribers, model.subs.len());
        let queued: usize = model.subs.values().map(|s| s.queue.len()).sum();
        prop_assert_eq!(stats.queued_messages, queued);
        for t in model.topics.values() {
            prop_assert!(
                t.msgs.len() - t.kept_from <= limits.history_messages.max(1),
                "history"
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn hub_matches_the_model(limits in limits(), ops in proptest::collection::vec(op(), 1..120)) {
        run(limits, ops)?;
    }
}
