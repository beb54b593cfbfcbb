//! [`SharedHub`]: one [`rtw_hub::Hub`] shared by every connection of the
//! service, with a wake-up per subscriber.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use bytes::Bytes;
use rtw_hub::{
    Config, Error, EvictReason, Hub, HubEvent, HubStats, Message, MessageId, Since, SubscriberId,
    TopicName,
};
use tokio::sync::Notify;

use super::backend::{Backend, PublishError};

/// The hub shared by every connection: an [`rtw_hub::Hub`] behind a
/// mutex, its events drained after each change, each subscriber's task
/// woken.
///
/// The sans-IO hub (its crate docs, "The driver") tells once per change
/// from empty to non-empty that a subscriber has something
/// ([`HubEvent::Ready`]) and when it evicts one ([`HubEvent::Evicted`]).
/// `SharedHub` drains those events inside the same lock as the call that
/// made them and wakes the subscriber's [`HubSubscriber::next`] through a
/// [`Notify`], which keeps a permit when nobody waits yet, so no wake-up is
/// lost. The lock is a `std::sync::Mutex` held only for one hub call,
/// never across an `.await`.
///
/// Cheap to clone (an `Arc`); every clone is the same hub.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use bytes::Bytes;
/// use rtw_hub::{Config, Since};
/// use rtw_tokio::serve::{Delivery, SharedHub};
///
/// let hub = SharedHub::new(Config::default());
/// let mut sub = hub.subscribe("news", Since::Now).unwrap();
/// let publisher = hub.clone();
/// tokio::spawn(async move { publisher.publish("news", Bytes::from("hello")).unwrap() });
/// let Delivery::Message(m) = sub.next().await else { panic!("evicted") };
/// assert_eq!((m.id.get(), &m.data[..]), (1, &b"hello"[..]));
/// # });
/// ```
#[derive(Clone)]
pub struct SharedHub {
    inner: Arc<Mutex<State>>,
}

struct State {
    hub: Hub,
    slots: HashMap<SubscriberId, Arc<Slot>>,
    /// Set by a distributed backend ([`super::RabbitHub`]): publishes go
    /// there, and the ids come back through [`SharedHub::ingest`].
    backend: Option<Arc<dyn Backend>>,
}

/// What a subscriber's task waits on.
#[derive(Default)]
struct Slot {
    notify: Notify,
    evicted: OnceLock<(MessageId, EvictReason)>,
}

impl State {
    /// Acts on every event the last hub call made.
    fn drain(&mut self) {
        while let Some(event) = self.hub.poll_event() {
            match event {
                HubEvent::Ready(sub) => {
                    if let Some(slot) = self.slots.get(&sub) {
                        slot.notify.notify_one();
                    }
                }
                HubEvent::Evicted {
                    subscriber,
                    last_delivered,
                    reason,
                    ..
                } => {
                    if let Some(slot) = self.slots.remove(&subscriber) {
                        let _ = slot.evicted.set((last_delivered, reason));
                        slot.notify.notify_one();
                    }
                }
                _ => {}
            }
        }
    }
}

impl std::fmt::Debug for SharedHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedHub")
            .field("stats", &self.stats())
            .finish()
    }
}

impl SharedHub {
    /// A new, empty hub.
    pub fn new(config: Config) -> SharedHub {
        SharedHub {
            inner: Arc::new(Mutex::new(State {
                hub: Hub::new(config),
                slots: HashMap::new(),
                backend: None,
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic inside a hub call is a bug of the hub; the state it left
        // is still the best there is, so a poisoned lock is taken as is.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on the hub, then wakes the subscribers its changes
    /// concern. For what the other methods do not cover
    /// ([`Hub::remove_topic`], [`Hub::config`]). `f` must not call back
    /// into this `SharedHub` (the lock is held).
    pub fn with_hub<R>(&self, f: impl FnOnce(&mut Hub) -> R) -> R {
        let mut state = self.lock();
        let r = f(&mut state.hub);
        state.drain();
        r
    }

    /// [`Hub::publish`]: the message's id, the publisher's answer
    /// (`{"id": N}`).
    pub fn publish(&self, topic: &str, data: Bytes) -> Result<MessageId, Error> {
        self.with_hub(|hub| hub.publish(topic, data))
    }

    /// Publishes `data` to `topic` through the hub's backend when it has
    /// one ([`super::RabbitHub`]), else at once with [`SharedHub::publish`]:
    /// the message's id. The message is queued when this is called, so
    /// calls made one after the other keep their order even when their
    /// futures are awaited later; the future resolves once the backend
    /// confirmed it and this node's hub took it.
    ///
    /// # Errors
    ///
    /// [`PublishError::Hub`] for a message the hub refuses (checked here
    /// first); [`PublishError::Unavailable`] (503) when the backend did not
    /// confirm it.
    pub fn send(
        &self,
        topic: &str,
        data: Bytes,
    ) -> impl Future<Output = Result<MessageId, PublishError>> + Send + 'static {
        let backend = self.lock().backend.clone();
        let submitted = match backend {
            None => Err(self.publish(topic, data).map_err(PublishError::Hub)),
            Some(backend) => {
                let max = self.with_hub(|hub| hub.config().limits.max_message_bytes);
                match TopicName::new(topic) {
                    Err(e) => Err(Err(PublishError::Hub(e))),
                    Ok(_) if data.len() > max => {
                        Err(Err(PublishError::Hub(Error::MessageTooLarge {
                            size: data.len(),
                            max,
                        })))
                    }
                    Ok(_) => backend.submit(topic, data).map_err(Err),
                }
            }
        };
        async move {
            match submitted {
                Err(done) => done,
                Ok(waiting) => waiting.await.unwrap_or_else(|_| {
                    Err(PublishError::Unavailable("the backend stopped".into()))
                }),
            }
        }
    }

    /// The distributed backend's status, if one feeds the hub.
    pub fn backend_status(&self) -> Option<super::BackendStatus> {
        let backend = self.lock().backend.clone();
        backend.map(|b| b.status())
    }

    /// Whether a distributed backend feeds the hub.
    pub fn is_distributed(&self) -> bool {
        self.lock().backend.is_some()
    }

    pub(crate) fn set_backend(&self, backend: Arc<dyn Backend>) {
        self.lock().backend = Some(backend);
    }

    /// [`Hub::ingest`], for a distributed backend that assigns the ids.
    pub fn ingest(&self, topic: &str, id: MessageId, data: Bytes) -> Result<(), Error> {
        self.with_hub(|hub| hub.ingest(topic, id, data))
    }

    /// [`Hub::subscribe`]: a subscriber that gets the replay from `since`,
    /// then the live messages, until it is dropped or evicted.
    pub fn subscribe(&self, topic: &str, since: Since) -> Result<HubSubscriber, Error> {
        let slot = Arc::new(Slot::default());
        let mut state = self.lock();
        let subscription = state.hub.subscribe(topic, since)?;
        state.slots.insert(subscription.id, slot.clone());
        state.drain();
        // A client that saw ids this node has not taken yet (it comes from
        // a node further along the stream) must not get them again.
        let skip_through = match since {
            Since::After(n) if state.backend.is_some() && n > subscription.last_id => n,
            _ => MessageId::ZERO,
        };
        drop(state);
        Ok(HubSubscriber {
            skip_through,
            hub: self.clone(),
            id: subscription.id,
            topic: subscription.topic,
            missed: subscription.missed,
            last_id: subscription.last_id,
            slot,
        })
    }

    /// [`Hub::history`]: up to `max` kept messages after `since`, for
    /// short polling.
    pub fn history(
        &self,
        topic: &str,
        since: MessageId,
        max: usize,
    ) -> Result<Vec<Message>, Error> {
        self.lock().hub.history(topic, since, max)
    }

    /// [`Hub::missed`]: the ids after `since` that left the history.
    pub fn missed(
        &self,
        topic: &str,
        since: MessageId,
    ) -> Result<Option<(MessageId, MessageId)>, Error> {
        self.lock().hub.missed(topic, since)
    }

    /// [`Hub::last_id`]: the topic's last id, `ZERO` if none.
    pub fn last_id(&self, topic: &str) -> Result<MessageId, Error> {
        self.lock().hub.last_id(topic)
    }

    /// [`Hub::stats`].
    pub fn stats(&self) -> HubStats {
        self.lock().hub.stats()
    }
}

/// One subscription of a [`SharedHub`]; dropping it unsubscribes.
pub struct HubSubscriber {
    hub: SharedHub,
    id: SubscriberId,
    topic: TopicName,
    missed: Option<(MessageId, MessageId)>,
    last_id: MessageId,
    slot: Arc<Slot>,
    /// Messages up to this id are dropped (see [`SharedHub::subscribe`]).
    skip_through: MessageId,
}

/// What [`HubSubscriber::next`] gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// The next message of the topic.
    Message(Message),
    /// The hub evicted the subscriber (rtw-hub's crate docs, "Slow
    /// subscribers"): nothing more comes; the client resumes with
    /// `since=last_delivered`. Given again by every later call.
    Evicted {
        /// The id of the last message handed out (or where it started):
        /// what the client resumes from.
        last_delivered: MessageId,
        /// Why.
        reason: EvictReason,
    },
}

impl std::fmt::Debug for HubSubscriber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubSubscriber")
            .field("id", &self.id)
            .field("topic", &self.topic)
            .field("missed", &self.missed)
            .finish()
    }
}

impl HubSubscriber {
    /// Its id in the hub.
    pub fn id(&self) -> SubscriberId {
        self.id
    }

    /// Its topic.
    pub fn topic(&self) -> &TopicName {
        &self.topic
    }

    /// From the subscription: the first and last ids (inclusive) after
    /// `since` that had left the history already, which it will not get.
    pub fn missed(&self) -> Option<(MessageId, MessageId)> {
        self.missed
    }

    /// The topic's last id when it subscribed.
    pub fn last_id(&self) -> MessageId {
        self.last_id
    }

    /// Waits for the next message (or the eviction). Cancel-safe: a
    /// dropped future loses nothing.
    pub async fn next(&mut self) -> Delivery {
        loop {
            if let Some(delivery) = self.try_next() {
                return delivery;
            }
            self.slot.notify.notified().await;
        }
    }

    /// The next message if one waits, or the eviction; `None` otherwise.
    pub fn try_next(&mut self) -> Option<Delivery> {
        loop {
            match self.hub.lock().hub.poll_message(self.id) {
                Some(message) if message.id <= self.skip_through => continue,
                Some(message) => return Some(Delivery::Message(message)),
                None => break,
            }
        }
        self.slot
            .evicted
            .get()
            .map(|&(last_delivered, reason)| Delivery::Evicted {
                last_delivered,
                reason,
            })
    }
}

impl Drop for HubSubscriber {
    fn drop(&mut self) {
        let mut state = self.hub.lock();
        state.slots.remove(&self.id);
        // Evicted already: the hub forgot it, which is fine.
        let _ = state.hub.unsubscribe(self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtw_hub::Limits;
    use std::time::Duration;

    fn text(m: &Delivery) -> (u64, &[u8]) {
        match m {
            Delivery::Message(m) => (m.id.get(), &m.data[..]),
            other => panic!("not a message: {other:?}"),
        }
    }

    #[tokio::test]
    async fn wakes_a_waiting_subscriber() {
        let hub = SharedHub::new(Config::default());
        let mut sub = hub.subscribe("t", Since::Now).unwrap();
        let waiter = tokio::spawn(async move {
            let a = sub.next().await;
            let b = sub.next().await;
            (a, b)
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        hub.publish("t", Bytes::from("a")).unwrap();
        hub.publish("t", Bytes::from("b")).unwrap();
        let (a, b) = tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(text(&a), (1, &b"a"[..]));
        assert_eq!(text(&b), (2, &b"b"[..]));
    }

    #[tokio::test]
    async fn replay_then_live_and_try_next() {
        let hub = SharedHub::new(Config::default());
        for d in ["1", "2", "3"] {
            hub.publish("t", Bytes::from(d)).unwrap();
        }
        let mut sub = hub.subscribe("t", Since::After(MessageId(1))).unwrap();
        assert_eq!(sub.last_id(), MessageId(3));
        assert_eq!(sub.missed(), None);
        assert_eq!(text(&sub.try_next().unwrap()).0, 2);
        assert_eq!(text(&sub.next().await).0, 3);
        assert_eq!(sub.try_next(), None);
        hub.publish("t", Bytes::from("4")).unwrap();
        assert_eq!(text(&sub.next().await).0, 4);
    }

    #[tokio::test]
    async fn eviction_is_delivered_and_sticky() {
        let limits = Limits::default().queue_messages(2);
        let hub = SharedHub::new(Config::default().limits(limits));
        let mut sub = hub.subscribe("t", Since::Now).unwrap();
        for _ in 0..3 {
            hub.publish("t", Bytes::from("x")).unwrap();
        }
        let expected = Delivery::Evicted {
            last_delivered: MessageId(0),
            reason: EvictReason::QueueFull,
        };
        assert_eq!(sub.next().await, expected);
        assert_eq!(sub.try_next(), Some(expected));
        assert_eq!(hub.stats().subscribers, 0);
        drop(sub);
        assert_eq!(hub.stats().evictions, 1);
    }

    #[tokio::test]
    async fn drop_unsubscribes() {
        let hub = SharedHub::new(Config::default());
        let sub = hub.subscribe("t", Since::Now).unwrap();
        assert_eq!(hub.stats().subscribers, 1);
        drop(sub);
        assert_eq!(hub.stats().subscribers, 0);
        assert_eq!(hub.with_hub(|h| h.config().limits.max_topics), 10_000);
    }

    #[test]
    fn errors_pass_through() {
        let hub = SharedHub::new(Config::default());
        assert_eq!(
            hub.publish("a/b", Bytes::new()).unwrap_err().http_status(),
            400
        );
        assert_eq!(
            hub.subscribe("", Since::Now).unwrap_err().http_status(),
            400
        );
        assert_eq!(hub.history("t", MessageId::ZERO, 10).unwrap(), vec![]);
        assert_eq!(hub.last_id("t").unwrap(), MessageId::ZERO);
        assert_eq!(hub.missed("t", MessageId::ZERO).unwrap(), None);
    }
}
