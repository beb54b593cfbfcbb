//! Delivery: queue messages offered to their consumers round robin, topic
//! messages to every subscriber, and the MESSAGE frames built once per
//! message and version (STOMP 1.2 "MESSAGE", "SUBSCRIBE" ack modes).

use std::sync::Arc;

use bytes::Bytes;

use super::{AckMode, Broker, ConnectionId, Delivery, Message, Overflow, Phase};
use crate::Version;
use crate::headers::{escape_into, escapes, needs_escape};

impl Broker {
    pub(super) fn run_dispatch(&mut self) {
        while let Some(name) = self.to_dispatch.pop() {
            self.dispatch(&name);
        }
    }

    /// Offers the messages of queue `name`, head first, to its consumers
    /// round robin, until it is empty or no consumer can take one.
    fn dispatch(&mut self, name: &Arc<str>) {
        loop {
            let Some(queue) = self.queues.get_mut(name) else {
                return;
            };
            let n = queue.consumers.len();
            if n == 0 {
                return;
            }
            let Some(message) = queue.messages.pop_front() else {
                return;
            };
            self.counts.queued -= 1;
            let start = queue.next % n;
            let mut message = Some(message);
            for k in 0..n {
                let i = (start + k) % n;
                let Some((cid, sid)) = self.queues.get(name).map(|q| q.consumers[i].clone()) else {
                    break;
                };
                let Some(m) = message.take() else {
                    break;
                };
                match self.offer(cid, &sid, m) {
                    Ok(()) => {
                        if let Some(queue) = self.queues.get_mut(name) {
                            queue.next = (i + 1) % n;
                        }
                        break;
                    }
                    Err(m) => message = Some(m),
                }
            }
            if let Some(m) = message {
                self.queues
                    .entry(name.clone())
                    .or_default()
                    .messages
                    .push_front(m);
                self.counts.queued += 1;
                return;
            }
            if self
                .queues
                .get(name)
                .is_some_and(|q| q.messages.is_empty() && q.consumers.is_empty())
            {
                self.queues.remove(name);
            }
        }
    }

    /// Delivers queue message `message` to subscription `sid` of `cid`
    /// when it can take it now (open, under `max_unacked` in a `client`
    /// mode, the MESSAGE within the unsent caps); gives it back otherwise.
    /// Never closes a connection.
    fn offer(
        &mut self,
        cid: ConnectionId,
        sid: &Arc<str>,
        message: Message,
    ) -> Result<(), Message> {
        let limits = &self.config.limits;
        let Some(conn) = self.connections.get_mut(&cid) else {
            return Err(message);
        };
        if conn.phase != Phase::Open {
            return Err(message);
        }
        let Some(sub) = conn.subscriptions.get(sid) else {
            return Err(message);
        };
        let mode = sub.ack;
        if mode != AckMode::Auto && conn.unacked.len() >= limits.max_unacked {
            conn.blocked = true;
            return Err(message);
        }
        let message_id = self.next_message + 1;
        let tail = message_tail(conn.version, &message);
        let bytes = message_bytes(
            conn.version,
            sid,
            message_id,
            mode,
            &message.destination,
            &tail,
        );
        if conn.unsent + bytes.len() > limits.max_unsent_bytes {
            conn.blocked = true;
            return Err(message);
        }
        if self.unsent_bytes + bytes.len() > limits.max_total_unsent_bytes {
            self.total_blocked = true;
            return Err(message);
        }
        self.next_message = message_id;
        let size = message.size();
        let queued = self.push(cid, bytes, Overflow::Skip);
        debug_assert!(queued, "a MESSAGE within its size bound was refused");
        if !queued {
            return Err(message);
        }
        self.stats.messages_delivered += 1;
        let Some(conn) = self.connections.get_mut(&cid) else {
            return Ok(());
        };
        if mode == AckMode::Auto {
            self.stored_bytes -= size;
        } else {
            self.counts.unacked += 1;
            conn.unacked.insert(
                message_id,
                Delivery {
                    subscription: sid.clone(),
                    message: Some(message),
                },
            );
        }
        Ok(())
    }

    /// Delivers topic message `message` to subscription `sid` of `cid`:
    /// dropped at `max_unacked`, the connection closed as a slow consumer
    /// past the unsent caps.
    pub(super) fn deliver_topic(
        &mut self,
        cid: ConnectionId,
        sid: &Arc<str>,
        tails: &mut Tails<'_>,
    ) {
        let max_unacked = self.config.limits.max_unacked;
        let Some(conn) = self.connections.get(&cid) else {
            return;
        };
        if conn.phase != Phase::Open {
            return;
        }
        let Some(sub) = conn.subscriptions.get(sid) else {
            return;
        };
        let mode = sub.ack;
        if mode != AckMode::Auto && conn.unacked.len() >= max_unacked {
            self.stats.messages_dropped += 1;
            return;
        }
        self.next_message += 1;
        let message_id = self.next_message;
        let tail = tails.get(conn.version);
        let destination = &tails.message.destination;
        let bytes = message_bytes(conn.version, sid, message_id, mode, destination, &tail);
        if !self.push(cid, bytes, Overflow::Close) {
            return;
        }
        self.stats.messages_delivered += 1;
        if mode != AckMode::Auto
            && let Some(conn) = self.connections.get_mut(&cid)
        {
            self.counts.unacked += 1;
            conn.unacked.insert(
                message_id,
                Delivery {
                    subscription: sid.clone(),
                    message: None,
                },
            );
        }
    }
}

/// The end of the MESSAGE frames of `message` in `version`, the same for
/// every subscription: the sender's headers the version can carry
/// (escaped, STOMP 1.2 "Value Encoding"), `content-length` for a body,
/// the blank line, the body and the NUL (STOMP 1.2 "MESSAGE").
fn message_tail(version: Version, message: &Message) -> Bytes {
    let mut dst = Vec::with_capacity(message.size());
    for (name, value) in &message.headers {
        if version.can_carry(name, value) {
            put_text(&mut dst, version, name);
            dst.push(b':');
            put_text(&mut dst, version, value);
            dst.push(b'\n');
        }
    }
    if !message.body.is_empty() {
        dst.extend_from_slice(format!("content-length:{}\n", message.body.len()).as_bytes());
    }
    dst.push(b'\n');
    dst.extend_from_slice(&message.body);
    dst.push(0);
    Bytes::from(dst)
}

/// The MESSAGE frame for subscription `sid`: `subscription`,
/// `message-id`, `destination`, `ack` (1.2, `client` modes), then `tail`
/// ([`message_tail`]).
fn message_bytes(
    version: Version,
    sid: &str,
    message_id: u64,
    mode: AckMode,
    destination: &str,
    tail: &[u8],
) -> Bytes {
    let id = message_id.to_string();
    let mut dst =
        Vec::with_capacity(tail.len() + 2 * (sid.len() + id.len()) + destination.len() + 64);
    dst.extend_from_slice(b"MESSAGE\nsubscription:");
    put_text(&mut dst, version, sid);
    dst.extend_from_slice(b"\nmessage-id:");
    dst.extend_from_slice(id.as_bytes());
    dst.extend_from_slice(b"\ndestination:");
    put_text(&mut dst, version, destination);
    dst.push(b'\n');
    if version >= Version::V1_2 && mode != AckMode::Auto {
        dst.extend_from_slice(b"ack:");
        dst.extend_from_slice(id.as_bytes());
        dst.push(b'\n');
    }
    dst.extend_from_slice(tail);
    Bytes::from(dst)
}

/// Appends header text `text`, escaped as `version` says.
fn put_text(dst: &mut Vec<u8>, version: Version, text: &str) {
    if escapes(version) && needs_escape(text.as_bytes(), version) {
        escape_into(text, version, dst);
    } else {
        dst.extend_from_slice(text.as_bytes());
    }
}

/// The tails of one message, made once per version it goes out in.
pub(super) struct Tails<'a> {
    message: &'a Message,
    by_version: [Option<Bytes>; 3],
}

impl<'a> Tails<'a> {
    pub(super) fn new(message: &'a Message) -> Self {
        Tails {
            message,
            by_version: [None, None, None],
        }
    }

    pub(super) fn get(&mut self, version: Version) -> Bytes {
        let i = match version {
            Version::V1_0 => 0,
            Version::V1_1 => 1,
            Version::V1_2 => 2,
        };
        self.by_version[i]
            .get_or_insert_with(|| message_tail(version, self.message))
            .clone()
    }
}
