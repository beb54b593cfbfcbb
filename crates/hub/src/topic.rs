//! One topic: its bounded history, and the cursor of a subscriber into it.

use std::collections::VecDeque;

use crate::{Message, MessageId, TopicName};

/// A kept message and the bytes of the topic up to and including it.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) msg: Message,
    /// Bytes of every message of the topic up to and including this one.
    pub(crate) cum: u64,
}

/// A subscriber's place in its topic. Its queue is the topic's history
/// from `next_seq` on: nothing is copied.
#[derive(Debug)]
pub(crate) struct Cursor {
    /// Its topic's slot in the hub.
    pub(crate) topic: u32,
    /// Its place in the topic's `subs`.
    pub(crate) pos: usize,
    /// The sequence number (position among every message the topic ever
    /// took, from 0) of the next message to hand out.
    pub(crate) next_seq: u64,
    /// The topic's next sequence number when it subscribed: the queue
    /// bounds count the messages from here on (the replay is free).
    pub(crate) live_start: u64,
    /// What the client resumes from.
    pub(crate) last_delivered: MessageId,
    /// A `HubEvent::Ready` for it waits in the hub's event queue.
    pub(crate) ready_queued: bool,
}

#[derive(Debug)]
pub(crate) struct Topic {
    pub(crate) name: TopicName,
    /// Tells this topic from an earlier one of the same name in the hub's
    /// publish order.
    pub(crate) generation: u64,
    pub(crate) history: VecDeque<Entry>,
    /// The sequence number of `history[0]` (the next one when empty).
    pub(crate) front_seq: u64,
    /// Bytes of every message the topic ever took.
    pub(crate) total: u64,
    pub(crate) last_id: MessageId,
    /// The id of the last message that left the history.
    pub(crate) evicted_through: MessageId,
    /// Its subscribers' slots in the hub.
    pub(crate) subs: Vec<u32>,
}

impl Topic {
    pub(crate) fn new(name: TopicName, generation: u64) -> Topic {
        Topic {
            name,
            generation,
            history: VecDeque::new(),
            front_seq: 0,
            total: 0,
            last_id: MessageId::ZERO,
            evicted_through: MessageId::ZERO,
            subs: Vec::new(),
        }
    }

    pub(crate) fn next_seq(&self) -> u64 {
        self.front_seq + self.history.len() as u64
    }

    /// Bytes of the topic's messages before sequence number `seq`, which
    /// is kept or the next one.
    pub(crate) fn cum_before(&self, seq: u64) -> u64 {
        debug_assert!(seq >= self.front_seq);
        match self.history.get((seq - self.front_seq) as usize) {
            Some(entry) => entry.cum - entry.msg.data.len() as u64,
            None => self.total,
        }
    }

    pub(crate) fn history_bytes(&self) -> usize {
        (self.total - self.cum_before(self.front_seq)) as usize
    }

    pub(crate) fn push(&mut self, msg: Message) {
        self.total += msg.data.len() as u64;
        self.last_id = msg.id;
        self.history.push_back(Entry {
            msg,
            cum: self.total,
        });
    }

    /// Drops the oldest kept message; its size.
    pub(crate) fn pop_front(&mut self) -> Option<usize> {
        let entry = self.history.pop_front()?;
        self.front_seq += 1;
        self.evicted_through = entry.msg.id;
        Some(entry.msg.data.len())
    }

    /// The sequence number of the first kept message after `id`.
    pub(crate) fn seq_after(&self, id: MessageId) -> u64 {
        self.front_seq + self.history.partition_point(|e| e.msg.id <= id) as u64
    }

    /// The range of ids after `since` that left the history.
    pub(crate) fn missed(&self, since: MessageId) -> Option<(MessageId, MessageId)> {
        (since < self.evicted_through).then(|| (MessageId(since.0 + 1), self.evicted_through))
    }

    /// Messages and bytes waiting for `cursor` among those published since
    /// it subscribed; `None` when its next message left the history.
    pub(crate) fn pending_live(&self, cursor: &Cursor) -> Option<(usize, usize)> {
        if cursor.next_seq < self.front_seq {
            return None;
        }
        let start = cursor.next_seq.max(cursor.live_start);
        let messages = (self.next_seq() - start) as usize;
        let bytes = (self.total - self.cum_before(start)) as usize;
        Some((messages, bytes))
    }

    /// Messages and bytes waiting for `cursor`, replay included.
    pub(crate) fn pending(&self, cursor: &Cursor) -> (usize, usize) {
        let start = cursor.next_seq.max(self.front_seq);
        (
            (self.next_seq() - start) as usize,
            (self.total - self.cum_before(start)) as usize,
        )
    }
}
