//! Fuzz `rtw_hub::Hub`, driven as `rtw serve` would: it never panics, no
//! subscriber loses a message within the history bound or gets one twice,
//! ids increase, and what it holds stays within its limits.
//!
//! The first two input bytes pick the limits (history of 0 to 7 messages
//! and 0 to 127 bytes, a hub-wide cap of 32 to 543 bytes, queues of 0 to
//! 7 messages and 0 to 63 bytes; 3 topics, 8 subscribers, 32-byte
//! messages). Then come records (`rtw_fuzz::steps`): a control byte, a
//! parameter byte and a body. The control byte's bits 3 to 5 pick one of
//! eight slots (a topic is slot % 4, so one topic name is past the topic
//! limit), its low bits what happens:
//!
//! - 0: publish the body; 1: ingest it with the topic's last id plus
//!   `param % 3` (0 is a duplicate);
//! - 2: subscribe the slot from now; 3: from `param` ids before the
//!   topic's last; 4: resume from the `last_delivered` of the slot's last
//!   eviction;
//! - 5: poll up to `param % 8` messages of the slot's subscriber;
//! - 6: unsubscribe it; 7: remove the topic when `param` is 0, else poll.
//!
//! Each message a subscriber gets is the next one its topic took after the
//! one it got before (or after where it started, past a reported `missed`
//! range): nothing skipped, nothing twice. After every record the events
//! drain, `Ready` names a live subscriber, and the histories, topics and
//! subscribers are within the limits. At the end everything is removed and
//! the hub holds nothing.
#![no_main]

use std::collections::HashMap;

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use rtw_fuzz::steps;
use rtw_hub::{Config, Error, Hub, HubEvent, Limits, MessageId, Since, SubscriberId};

const TOPICS: [&str; 4] = ["a", "b", "c", "d"];
const MAX_TOPICS: usize = 3;
const MAX_SUBSCRIBERS: usize = 8;
const MAX_MESSAGE: usize = 32;
const MAX_DRAIN: usize = 10_000;

struct Sub {
    topic: usize,
    /// The id of the message it got last (or where it started): the next
    /// must be the first id of the topic after it.
    after: u64,
}

struct Harness {
    hub: Hub,
    limits: Limits,
    /// Every id each topic took, in order (reset when it is removed).
    ids: HashMap<usize, Vec<u64>>,
    subs: HashMap<SubscriberId, Sub>,
    slots: [Option<SubscriberId>; 8],
    /// Where each slot's last evicted subscriber may resume.
    resume: [Option<(usize, u64)>; 8],
}

impl Harness {
    fn next_after(&self, topic: usize, after: u64) -> Option<u64> {
        let ids = self.ids.get(&topic)?;
        ids.get(ids.partition_point(|&id| id <= after)).copied()
    }

    fn last_id(&self, topic: usize) -> u64 {
        self.ids
            .get(&topic)
            .and_then(|ids| ids.last().copied())
            .unwrap_or(0)
    }

    fn subscribe(&mut self, slot: usize, topic: usize, since: Since) {
        match self.hub.subscribe(TOPICS[topic], since) {
            Ok(s) => {
                assert_eq!(s.last_id, MessageId(self.last_id(topic)));
                let after = match (since, s.missed) {
                    (Since::Now, missed) => {
                        assert_eq!(missed, None);
                        self.last_id(topic)
                    }
                    (Since::After(n), None) => n.get(),
                    (Since::After(n), Some((first, last))) => {
                        assert!(first.get() == n.get() + 1 && first <= last);
                        last.get()
                    }
                };
                // A resume from ahead of the topic starts at its end.
                let after = after.min(self.last_id(topic));
                self.ids.entry(topic).or_default();
                self.subs.insert(s.id, Sub { topic, after });
                if let Some(old) = self.slots[slot].replace(s.id) {
                    self.unsubscribe(old);
                }
            }
            Err(Error::TooManySubscribers) => assert!(self.subs.len() >= MAX_SUBSCRIBERS),
            Err(Error::TooManyTopics) => assert!(topic == 3 || !self.ids.contains_key(&topic)),
            Err(e) => panic!("subscribe: {e}"),
        }
    }

    fn unsubscribe(&mut self, sub: SubscriberId) {
        let resume = self.hub.unsubscribe(sub).expect("a held subscriber");
        let s = self.subs.remove(&sub).unwrap();
        assert!(resume.get() >= s.after);
        if self.ids[&s.topic].is_empty() && !self.subs.values().any(|o| o.topic == s.topic) {
            self.ids.remove(&s.topic);
        }
    }

    fn poll(&mut self, slot: usize, n: usize) {
        let Some(sub) = self.slots[slot] else { return };
        for _ in 0..n {
            let Some(message) = self.hub.poll_message(sub) else {
                break;
            };
            let topic = self
                .subs
                .get(&sub)
                .expect("a message for a gone subscriber")
                .topic;
            assert_eq!(message.topic.as_str(), TOPICS[topic]);
            let want = self.next_after(topic, self.subs[&sub].after);
            assert_eq!(Some(message.id.get()), want, "lost or repeated a message");
            self.subs.get_mut(&sub).unwrap().after = message.id.get();
        }
    }

    fn drain(&mut self) {
        for _ in 0..MAX_DRAIN {
            match self.hub.poll_event() {
                None => return,
                Some(HubEvent::Ready(sub)) => assert!(self.subs.contains_key(&sub)),
                Some(HubEvent::Evicted {
                    subscriber,
                    topic,
                    last_delivered,
                    ..
                }) => {
                    let s = self.subs.remove(&subscriber).expect("evicted twice");
                    assert_eq!(topic.as_str(), TOPICS[s.topic]);
                    assert!(last_delivered.get() >= s.after);
                    for (slot, held) in self.slots.iter_mut().enumerate() {
                        if *held == Some(subscriber) {
                            *held = None;
                            self.resume[slot] = Some((s.topic, last_delivered.get()));
                        }
                    }
                }
                Some(other) => panic!("unknown event {other:?}"),
            }
        }
        panic!("more than {MAX_DRAIN} events");
    }

    fn check_bounds(&self) {
        let stats = self.hub.stats();
        let l = &self.limits;
        assert!(stats.topics <= MAX_TOPICS && stats.subscribers <= MAX_SUBSCRIBERS);
        assert!(stats.history_bytes <= l.max_history_bytes_total);
        assert!(stats.history_messages <= MAX_TOPICS * l.history_messages.max(1));
        assert_eq!(stats.subscribers, self.subs.len());
        assert!(stats.queued_messages <= stats.subscribers * stats.history_messages);
    }
}

fuzz_target!(|input: &[u8]| {
    let [a, b, rest @ ..] = input else { return };
    let limits = Limits::default()
        .max_topics(MAX_TOPICS)
        .max_subscribers(MAX_SUBSCRIBERS)
        .max_message_bytes(MAX_MESSAGE)
        .history_messages(usize::from(a & 7))
        .history_bytes(usize::from(a >> 3) * 4)
        .max_history_bytes_total(32 + usize::from(*b) * 2)
        .queue_messages(usize::from(b & 7))
        .queue_bytes(usize::from(b >> 2));
    let mut h = Harness {
        hub: Hub::new(Config::default().limits(limits.clone())),
        limits,
        ids: HashMap::new(),
        subs: HashMap::new(),
        slots: [None; 8],
        resume: [None; 8],
    };
    for (control, param, body) in steps(rest, 2_000) {
        let slot = usize::from(control >> 3 & 7);
        let topic = slot % 4;
        let data = Bytes::copy_from_slice(body);
        match control & 7 {
            op @ (0 | 1) => {
                let last = h.last_id(topic);
                let result = if op == 0 {
                    h.hub.publish(TOPICS[topic], data).map(|id| id.get())
                } else {
                    let id = last + u64::from(param % 3);
                    h.hub
                        .ingest(TOPICS[topic], MessageId(id), data)
                        .map(|()| id)
                };
                match result {
                    Ok(id) => {
                        assert!(id > last);
                        h.ids.entry(topic).or_default().push(id);
                    }
                    Err(Error::MessageTooLarge { .. }) => assert!(body.len() > MAX_MESSAGE),
                    Err(Error::StaleId { .. }) => assert!(op == 1 && param % 3 == 0),
                    Err(Error::TooManyTopics) => assert!(!h.ids.contains_key(&topic)),
                    Err(e) => panic!("publish: {e}"),
                }
            }
            2 => h.subscribe(slot, topic, Since::Now),
            3 => {
                let since = h.last_id(topic).saturating_sub(u64::from(param));
                h.subscribe(slot, topic, Since::After(MessageId(since)));
            }
            4 => {
                if let Some((topic, last)) = h.resume[slot] {
                    h.subscribe(slot, topic, Since::After(MessageId(last)));
                }
            }
            5 => h.poll(slot, usize::from(param % 8)),
            6 => {
                if let Some(sub) = h.slots[slot].take() {
                    h.unsubscribe(sub);
                }
            }
            _ if param == 0 => {
                if h.hub.remove_topic(TOPICS[topic]) {
                    h.ids.remove(&topic);
                }
            }
            _ => h.poll(slot, usize::from(param % 8)),
        }
        h.drain();
        h.check_bounds();
    }
    for slot in 0..8 {
        if let Some(sub) = h.slots[slot].take() {
            h.unsubscribe(sub);
        }
    }
    for name in TOPICS {
        h.hub.remove_topic(name);
    }
    assert_eq!(h.hub.poll_event(), None);
    let stats = h.hub.stats();
    assert_eq!(
        (stats.topics, stats.subscribers, stats.history_bytes),
        (0, 0, 0)
    );
});
