//! Sans-IO publish/subscribe hub: the one source every push transport of
//! `rtw serve` reads from (short and long polling, HTTP and iframe
//! streaming, SSE, WebSocket, STOMP).
//!
//! A [`Hub`] holds topics. Each topic numbers its messages with
//! increasing [`MessageId`]s (the first is 1), keeps a bounded history
//! that a subscriber can resume from, and fans every message out to its
//! subscribers. The hub opens no socket, reads no clock and starts no task
//! (`docs/ARCHITECTURE.md`): a driver calls it and acts on
//! [`Hub::poll_event`].
//!
//! ```
//! use bytes::Bytes;
//! use rtw_hub::{Config, Hub, HubEvent, MessageId, Since};
//!
//! let mut hub = Hub::new(Config::default());
//! let live = hub.subscribe("news", Since::Now).unwrap().id;
//! assert_eq!(hub.publish("news", Bytes::from("one")).unwrap(), MessageId(1));
//! assert_eq!(hub.publish("news", Bytes::from("two")).unwrap(), MessageId(2));
//!
//! // The driver is told once that `live` has something, and drains it.
//! assert_eq!(hub.poll_event(), Some(HubEvent::Ready(live)));
//! assert_eq!(hub.poll_event(), None);
//! let got: Vec<_> = std::iter::from_fn(|| hub.poll_message(live)).collect();
//! assert_eq!(got.iter().map(|m| m.id.get()).collect::<Vec<_>>(), [1, 2]);
//!
//! // A client that saw id 1 comes back (`since=1`, `Last-Event-ID: 1`).
//! let resumed = hub.subscribe("news", Since::After(MessageId(1))).unwrap();
//! assert_eq!(resumed.missed, None);
//! assert_eq!(hub.poll_message(resumed.id).unwrap().data, "two");
//!
//! // Short polling reads the history without subscribing.
//! assert_eq!(hub.history("news", MessageId(0), 10).unwrap().len(), 2);
//! ```
//!
//! # The driver
//!
//! After every call that changes the hub (`publish`, `ingest`,
//! `subscribe`, `remove_topic`) the driver drains [`Hub::poll_event`]:
//!
//! - [`HubEvent::Ready`]`(sub)`: `sub` had nothing waiting and now has.
//!   Wake its connection's task, which calls [`Hub::poll_message`] until
//!   `None` and writes what it gets (it may stop early when its socket is
//!   full and come back later: the messages wait in the hub, within the
//!   queue bounds). Ready comes once per change from empty to non-empty,
//!   not per message.
//! - [`HubEvent::Evicted`]: close that connection (below).
//!
//! When a connection ends, the driver calls [`Hub::unsubscribe`]. A held
//! long poll is a subscriber too: subscribe with `Since::After(since)`,
//! answer with what `poll_message` gives on the first `Ready` (or 204 at
//! the timeout), then unsubscribe. Short polling only reads
//! [`Hub::history`].
//!
//! # Slow subscribers
//!
//! A subscriber's queue is a cursor into its topic's history: nothing is
//! copied per subscriber, and a subscriber costs a fixed few dozen bytes.
//! The queue is bounded by `Limits::queue_messages` (1,024) and
//! `Limits::queue_bytes` (1 MiB), counted over the messages published since
//! it subscribed (a replay from the history is free). When a message
//! would make a subscriber's queue pass either bound, or when the next
//! message it would get leaves the history before it took it (history
//! bounds, or the hub-wide `Limits::max_history_bytes_total`), the
//! subscriber is **evicted**: it gets nothing more, the hub forgets it,
//! and [`HubEvent::Evicted`] gives the driver the id it last handed out
//! (`last_delivered`). The driver closes the connection (WebSocket close
//! 1008 or 1013, RFC 6455 §7.4.1; the end of an SSE or HTTP stream) and
//! the client resumes with `since=last_delivered`: nothing is lost if it
//! comes back while those messages are still in the history. One slow
//! reader never slows the others or the publisher, and memory stays
//! within the limits.
//!
//! # Resuming
//!
//! `subscribe(topic, Since::After(n))` queues the kept messages after `n`,
//! then the live ones. If messages after `n` have left the history,
//! [`Subscription::missed`] gives their range and the replay starts with
//! the oldest kept message; polling clients ask [`Hub::missed`]. Each
//! topic keeps at most `Limits::history_messages` (1,000) messages and
//! `Limits::history_bytes` (4 MiB), its newest message always.
//!
//! # Distributed backends
//!
//! The hub is the in-process default. A distributed backend (a later
//! issue puts one on RabbitMQ streams) keeps one hub per node as the
//! local fan-out and history, and gives ids from the shared log:
//!
//! - A node's publishers do not call [`Hub::publish`]; the node appends
//!   the message to the shared log, which assigns its id (a stream offset
//!   plus one, since [`MessageId::ZERO`] means "before everything"), and
//!   answers the publisher with it.
//! - Every node consumes the log and calls [`Hub::ingest`] with each
//!   message and its assigned id, its own publishers' messages included.
//!   Ids must increase per topic; they may skip. A redelivered or older
//!   message gives [`Error::StaleId`] and changes nothing, so a consumer
//!   that restarts from an earlier offset ignores that error.
//! - A client resuming from an id older than the local history may be
//!   served from the log by the backend; the hub reports the range in
//!   `missed`.
//!
//! `publish` numbers messages itself (last id + 1): a topic is fed by
//! `publish` or by `ingest`, not both.
//!
//! # Topics
//!
//! A [`TopicName`] is 1 to 128 bytes of `[A-Za-z0-9._~-]` (RFC 3986
//! §2.3), neither `.` nor `..`: one URL path segment without escaping.
//! `publish`, `ingest` and `subscribe` make a topic on demand, up to
//! `Limits::max_topics`. A topic that never had a message goes with its
//! last subscriber; others stay (with their ids and history) until
//! [`Hub::remove_topic`].
//!
//! # Errors
//!
//! [`Error::http_status`] gives the HTTP answer: a bad topic name 400, a
//! message too large 413, too many topics or subscribers 503.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
mod hub;
mod limits;
mod topic;
mod types;

#[cfg(test)]
mod tests;

pub use error::Error;
pub use hub::Hub;
pub use limits::{Config, Limits};
pub use types::{
    EvictReason, HubEvent, HubStats, Message, MessageId, Since, SubscriberId, Subscription,
    TopicName,
};
