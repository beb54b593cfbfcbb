//! Unit tests of the hub: ids, fan-out, resume, eviction, limits.

use bytes::Bytes;

use crate::{Config, Error, EvictReason, Hub, HubEvent, Limits, MessageId, Since, SubscriberId};

fn hub(limits: Limits) -> Hub {
    Hub::new(Config::default().limits(limits))
}

fn drain(hub: &mut Hub, sub: SubscriberId) -> Vec<u64> {
    std::iter::from_fn(|| hub.poll_message(sub))
        .map(|m| m.id.get())
        .collect()
}

fn events(hub: &mut Hub) -> Vec<HubEvent> {
    std::iter::from_fn(|| hub.poll_event()).collect()
}

fn data(n: usize) -> Bytes {
    Bytes::from(vec![b'x'; n])
}

#[test]
fn ids_increase_per_topic() {
    let mut hub = hub(Limits::default());
    assert_eq!(hub.publish("a", data(1)), Ok(MessageId(1)));
    assert_eq!(hub.publish("a", data(1)), Ok(MessageId(2)));
    assert_eq!(hub.publish("b", data(1)), Ok(MessageId(1)));
    assert_eq!(hub.last_id("a"), Ok(MessageId(2)));
    assert_eq!(hub.last_id("none"), Ok(MessageId::ZERO));
    assert_eq!(hub.stats().topics, 2);
}

#[test]
fn fan_out_with_one_ready_per_wakeup() {
    let mut hub = hub(Limits::default());
    let a = hub.subscribe("t", Since::Now).unwrap().id;
    let b = hub.subscribe("t", Since::Now).unwrap().id;
    let other = hub.subscribe("u", Since::Now).unwrap().id;
    hub.publish("t", data(1)).unwrap();
    hub.publish("t", data(1)).unwrap();
    assert_eq!(events(&mut hub), [HubEvent::Ready(a), HubEvent::Ready(b)]);
    assert_eq!(drain(&mut hub, a), [1, 2]);
    assert_eq!(drain(&mut hub, other), Vec::<u64>::new());
    hub.publish("t", data(1)).unwrap();
    // a drained, so it is woken again; b still has two waiting.
    assert_eq!(events(&mut hub), [HubEvent::Ready(a)]);
    assert_eq!(drain(&mut hub, b), [1, 2, 3]);
    assert_eq!(drain(&mut hub, a), [3]);
}

#[test]
fn resume_replays_then_goes_live() {
    let mut hub = hub(Limits::default());
    for _ in 0..5 {
        hub.publish("t", data(1)).unwrap();
    }
    let s = hub.subscribe("t", Since::After(MessageId(3))).unwrap();
    assert_eq!((s.missed, s.last_id, s.backlog), (None, MessageId(5), 2));
    assert_eq!(events(&mut hub), [HubEvent::Ready(s.id)]);
    hub.publish("t", data(1)).unwrap();
    assert_eq!(drain(&mut hub, s.id), [4, 5, 6]);
    // A resume from ahead of the topic gets the live messages only.
    let ahead = hub.subscribe("t", Since::After(MessageId(99))).unwrap();
    assert_eq!(ahead.backlog, 0);
}

#[test]
fn resume_older_than_history_reports_the_gap() {
    let mut hub = hub(Limits::default().history_messages(3));
    for _ in 0..10 {
        hub.publish("t", data(1)).unwrap();
    }
    let s = hub.subscribe("t", Since::After(MessageId(2))).unwrap();
    assert_eq!(s.missed, Some((MessageId(3), MessageId(7))));
    assert_eq!(drain(&mut hub, s.id), [8, 9, 10]);
    assert_eq!(hub.missed("t", MessageId(7)), Ok(None));
    assert_eq!(
        hub.missed("t", MessageId(0)),
        Ok(Some((MessageId(1), MessageId(7))))
    );
    let ids: Vec<_> = hub.history("t", MessageId(8), 1).unwrap();
    assert_eq!(ids[0].id, MessageId(9));
    assert_eq!(ids.len(), 1);
}

#[test]
fn slow_subscriber_is_evicted_at_its_queue_bound() {
    let mut hub = hub(Limits::default().queue_messages(2));
    let slow = hub.subscribe("t", Since::Now).unwrap().id;
    let fast = hub.subscribe("t", Since::Now).unwrap().id;
    hub.publish("t", data(1)).unwrap();
    assert_eq!(drain(&mut hub, slow), [1]);
    hub.publish("t", data(1)).unwrap();
    assert_eq!(drain(&mut hub, fast), [1, 2]);
    hub.publish("t", data(1)).unwrap();
    assert_eq!(drain(&mut hub, fast), [3]);
    events(&mut hub);
    // The fourth makes three waiting for `slow`: evicted, resumes from 1.
    hub.publish("t", data(1)).unwrap();
    assert_eq!(
        events(&mut hub),
        [
            HubEvent::Evicted {
                subscriber: slow,
                topic: crate::TopicName::new("t").unwrap(),
                last_delivered: MessageId(1),
                reason: EvictReason::QueueFull,
            },
            HubEvent::Ready(fast),
        ]
    );
    assert_eq!(hub.poll_message(slow), None);
    assert_eq!(hub.unsubscribe(slow), Err(Error::UnknownSubscriber));
    assert_eq!(hub.stats().evictions, 1);
    let back = hub.subscribe("t", Since::After(MessageId(1))).unwrap();
    assert_eq!(drain(&mut hub, back.id), [2, 3, 4]);
}

#[test]
fn queue_bytes_bound() {
    let mut hub = hub(Limits::default().queue_bytes(10));
    let s = hub.subscribe("t", Since::Now).unwrap().id;
    hub.publish("t", data(10)).unwrap();
    assert!(hub.stats().subscribers == 1);
    hub.publish("t", data(1)).unwrap();
    assert!(matches!(
        events(&mut hub)[..],
        [HubEvent::Ready(_), HubEvent::Evicted { subscriber, reason: EvictReason::QueueFull, .. }] if subscriber == s
    ));
}

#[test]
fn replay_does_not_count_against_the_queue() {
    let mut hub = hub(Limits::default().queue_messages(2));
    for _ in 0..5 {
        hub.publish("t", data(1)).unwrap();
    }
    let s = hub
        .subscribe("t", Since::After(MessageId::ZERO))
        .unwrap()
        .id;
    hub.publish("t", data(1)).unwrap();
    hub.publish("t", data(1)).unwrap();
    assert_eq!(drain(&mut hub, s), [1, 2, 3, 4, 5, 6, 7]);
}

#[test]
fn history_overrun_evicts() {
    let mut hub = hub(Limits::default().history_messages(2));
    let s = hub.subscribe("t", Since::Now).unwrap().id;
    hub.publish("t", data(1)).unwrap();
    hub.publish("t", data(1)).unwrap();
    events(&mut hub);
    hub.publish("t", data(1)).unwrap();
    assert!(matches!(
        events(&mut hub)[..],
        [HubEvent::Evicted {
            last_delivered: MessageId(0),
            reason: EvictReason::HistoryOverrun,
            ..
        }]
    ));
    assert_eq!(hub.poll_message(s), None);
}

#[test]
fn hub_wide_history_cap_drops_the_oldest_first() {
    let mut hub = hub(Limits::default().max_history_bytes_total(25));
    hub.publish("a", data(10)).unwrap();
    hub.publish("b", data(10)).unwrap();
    hub.publish("a", data(10)).unwrap();
    let stats = hub.stats();
    assert_eq!((stats.history_messages, stats.history_bytes), (2, 20));
    assert_eq!(hub.history("b", MessageId::ZERO, 9).unwrap().len(), 1);
    assert_eq!(
        hub.missed("a", MessageId::ZERO),
        Ok(Some((MessageId(1), MessageId(1))))
    );
}

#[test]
fn newest_message_is_delivered_whatever_its_size() {
    let mut hub = hub(Limits::default().history_bytes(4).history_messages(0));
    let s = hub.subscribe("t", Since::Now).unwrap().id;
    hub.publish("t", data(100)).unwrap();
    assert_eq!(drain(&mut hub, s), [1]);
    assert_eq!(hub.stats().history_messages, 1);
}

#[test]
fn ingest_takes_assigned_ids() {
    let mut hub = hub(Limits::default());
    let s = hub.subscribe("t", Since::Now).unwrap().id;
    assert_eq!(
        hub.ingest("t", MessageId(0), data(1)),
        Err(Error::StaleId { id: 0, last: 0 })
    );
    hub.ingest("t", MessageId(10), data(1)).unwrap();
    hub.ingest("t", MessageId(12), data(1)).unwrap();
    assert_eq!(
        hub.ingest("t", MessageId(12), data(1)),
        Err(Error::StaleId { id: 12, last: 12 })
    );
    assert_eq!(drain(&mut hub, s), [10, 12]);
    assert_eq!(hub.publish("t", data(1)), Ok(MessageId(13)));
}

#[test]
fn limits_are_refused_with_their_status() {
    let mut hub = hub(Limits::default()
        .max_topics(1)
        .max_subscribers(1)
        .max_message_bytes(3));
    assert_eq!(hub.publish("a/b", data(1)).unwrap_err().http_status(), 400);
    assert_eq!(hub.publish("a", data(4)).unwrap_err().http_status(), 413);
    hub.publish("a", data(3)).unwrap();
    assert_eq!(hub.publish("b", data(1)), Err(Error::TooManyTopics));
    assert_eq!(
        hub.subscribe("b", Since::Now).unwrap_err(),
        Error::TooManyTopics
    );
    hub.subscribe("a", Since::Now).unwrap();
    assert_eq!(
        hub.subscribe("a", Since::Now).unwrap_err(),
        Error::TooManySubscribers
    );
    assert_eq!(hub.stats().topics, 1);
}

#[test]
fn topics_made_by_subscribe_go_with_their_last_subscriber() {
    let mut hub = hub(Limits::default());
    let s = hub.subscribe("t", Since::Now).unwrap().id;
    assert_eq!(hub.stats().topics, 1);
    assert_eq!(hub.unsubscribe(s), Ok(MessageId::ZERO));
    assert_eq!(hub.stats().topics, 0);
}

#[test]
fn remove_topic_evicts_and_restarts_ids() {
    let mut hub = hub(Limits::default());
    hub.publish("t", data(1)).unwrap();
    let s = hub.subscribe("t", Since::Now).unwrap().id;
    assert!(hub.remove_topic("t"));
    assert!(!hub.remove_topic("t"));
    assert!(matches!(
        events(&mut hub)[..],
        [HubEvent::Evicted { subscriber, reason: EvictReason::TopicRemoved, last_delivered: MessageId(1), .. }] if subscriber == s
    ));
    assert_eq!(hub.stats().history_bytes, 0);
    assert_eq!(hub.publish("t", data(1)), Ok(MessageId(1)));
}

#[test]
fn topic_names() {
    let mut hub = hub(Limits::default().max_topic_len(3));
    assert!(hub.publish("abc", data(1)).is_ok());
    assert_eq!(
        hub.publish("abcd", data(1)),
        Err(Error::BadTopicName("too long"))
    );
    for bad in ["", ".", "..", "a b", "é", "a?b", "a%20"] {
        assert!(crate::TopicName::new(bad).is_err(), "{bad:?}");
    }
    assert!(crate::TopicName::new(&"a".repeat(128)).is_ok());
    assert!(crate::TopicName::new(&"a".repeat(129)).is_err());
    assert!(crate::TopicName::new("...").is_ok());
}
