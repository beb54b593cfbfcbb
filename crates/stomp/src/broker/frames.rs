//! What the broker does with each client frame (STOMP 1.2 "Client
//! Frames").

use std::sync::Arc;

use super::{
    AckMode, Broker, BrokerEvent, CloseReason, ConnectionId, Delivery, Message, Overflow, Pending,
    Phase, Subscription, Tails,
};
use crate::{Command, Frame, HeartBeat, Version, negotiate_version};

/// Headers of a SEND that are the broker's to set in MESSAGE, or only
/// meant for the broker (STOMP 1.2 "MESSAGE", "SEND").
const NOT_PASSED_ON: [&str; 7] = [
    "destination",
    "message-id",
    "subscription",
    "ack",
    "content-length",
    "transaction",
    "receipt",
];

/// Why a frame is refused: the ERROR frame's `message`.
type Refusal = String;

/// `/queue/NAME` is a queue, `/topic/NAME` a topic; `None` for anything
/// else.
fn is_queue(destination: &str) -> Option<bool> {
    let name = |prefix: &str| {
        destination
            .strip_prefix(prefix)
            .is_some_and(|n| !n.is_empty())
    };
    if name("/queue/") {
        Some(true)
    } else if name("/topic/") {
        Some(false)
    } else {
        None
    }
}

fn required<'a>(frame: &'a Frame, name: &str) -> Result<&'a str, Refusal> {
    frame
        .header(name)
        .ok_or_else(|| format!("missing {name} header"))
}

impl Broker {
    /// One whole frame from `id`, which is not closing.
    pub(super) fn on_frame(&mut self, id: ConnectionId, frame: Frame) {
        let Some(conn) = self.connections.get(&id) else {
            return;
        };
        let phase = conn.phase;
        let version = conn.version;
        if phase == Phase::Handshake {
            if matches!(frame.command, Command::Connect | Command::Stomp) {
                self.on_connect(id, &frame);
            } else {
                let frame = Frame::error("expected a CONNECT frame", None);
                self.fail(id, CloseReason::Error, frame);
            }
            return;
        }
        let receipt = frame.header("receipt").map(str::to_owned);
        if let Some(r) = &receipt
            && !version.can_carry_value(r)
        {
            let frame = Frame::error("receipt header not representable", None);
            self.fail(id, CloseReason::Error, frame);
            return;
        }
        let result = match frame.command {
            Command::Connect | Command::Stomp => Err("already connected".to_owned()),
            Command::Send => self.on_send(id, frame),
            Command::Subscribe => self.on_subscribe(id, &frame),
            Command::Unsubscribe => self.on_unsubscribe(id, &frame),
            Command::Ack => self.on_ack(id, &frame, false),
            Command::Nack => self.on_ack(id, &frame, true),
            Command::Begin => self.on_begin(id, &frame),
            Command::Commit => self.on_commit(id, &frame),
            Command::Abort => self.on_abort(id, &frame),
            Command::Disconnect => {
                if let Some(r) = &receipt {
                    self.receipt(id, r);
                }
                self.close(id, CloseReason::Disconnect);
                return;
            }
            Command::Connected | Command::Message | Command::Receipt | Command::Error => {
                Err(format!("{} is a server frame", frame.command))
            }
        };
        match result {
            Ok(()) => {
                if let Some(r) = &receipt {
                    self.receipt(id, r);
                }
            }
            Err(message) => {
                let frame = Frame::error(&message, receipt.as_deref());
                self.fail(id, CloseReason::Error, frame);
            }
        }
    }

    /// RECEIPT for `receipt` (STOMP 1.2 "RECEIPT").
    fn receipt(&mut self, id: ConnectionId, receipt: &str) {
        let Some(conn) = self.connections.get(&id) else {
            return;
        };
        let bytes = Frame::new(Command::Receipt)
            .with_header("receipt-id", receipt)
            .to_bytes(conn.version);
        self.push(id, bytes, Overflow::Close);
    }

    /// CONNECT or STOMP (STOMP 1.2 "CONNECT or STOMP Frame", "Protocol
    /// Negotiation", "Heart-beating").
    fn on_connect(&mut self, id: ConnectionId, frame: &Frame) {
        let config = &self.config;
        let Some(version) = negotiate_version(frame.header("accept-version"), &config.versions)
        else {
            let list: Vec<&str> = config.versions.iter().map(|v| v.as_str()).collect();
            let list = list.join(",");
            let message = format!("supported protocol versions are {list}");
            let error = Frame::error(&message, None).with_header("version", list);
            self.fail(id, CloseReason::Error, error);
            return;
        };
        let login = frame.header("login");
        if !config.users.is_empty()
            && !config.users.iter().any(|(l, p)| {
                Some(l.as_str()) == login && Some(p.as_str()) == frame.header("passcode")
            })
        {
            self.fail(id, CloseReason::Error, Frame::error("login refused", None));
            return;
        }
        let theirs = match frame.header("heart-beat") {
            None => HeartBeat::NONE,
            Some(value) => match HeartBeat::parse(value) {
                Ok(hb) => hb,
                Err(error) => {
                    self.fail(id, CloseReason::Error, error.error_frame());
                    return;
                }
            },
        };
        let ours = config.heart_beat;
        let (send_every, expect_every) = if version == Version::V1_0 {
            (None, None)
        } else {
            HeartBeat::negotiate(ours, theirs)
        };
        let mut connected = Frame::new(Command::Connected);
        if frame.header("accept-version").is_some() {
            connected = connected.with_header("version", version.as_str());
        }
        if version > Version::V1_0 {
            connected = connected.with_header("heart-beat", ours.header_value());
        }
        let connected = connected
            .with_header("session", id.get().to_string())
            .with_header("server", config.server.clone());
        let login = login.map(str::to_owned);
        let now = self.now;
        let Some(conn) = self.connections.get_mut(&id) else {
            return;
        };
        conn.phase = Phase::Open;
        self.counts.sessions += 1;
        conn.version = version;
        conn.decoder.set_version(version);
        conn.send_every = send_every;
        conn.expect_every = expect_every;
        if let Some(now) = now {
            conn.last_received = now;
        }
        if let Some(at) = conn.scheduled.take() {
            self.timers.remove(&(at, id));
        }
        self.events.push_back(BrokerEvent::Connected {
            connection: id,
            version,
            login,
        });
        self.push(id, connected.to_bytes(version), Overflow::Close);
        self.schedule(id);
    }

    fn transaction<'a>(
        &self,
        frame: &'a Frame,
        id: ConnectionId,
    ) -> Result<Option<&'a str>, Refusal> {
        let Some(tx) = frame.header("transaction") else {
            return Ok(None);
        };
        let known = self
            .connections
            .get(&id)
            .is_some_and(|c| c.transactions.contains_key(tx));
        if known {
            Ok(Some(tx))
        } else {
            Err("unknown transaction".to_owned())
        }
    }

    /// Holds `pending` in transaction `tx` of `id` until COMMIT.
    fn hold(&mut self, id: ConnectionId, tx: &str, pending: Pending) -> Result<(), Refusal> {
        let limits = &self.config.limits;
        let size = pending.size();
        let Some(conn) = self.connections.get_mut(&id) else {
            return Ok(());
        };
        if conn.transaction_frames >= limits.max_transaction_frames {
            return Err(format!(
                "too many frames in transactions (max_transaction_frames {})",
                limits.max_transaction_frames
            ));
        }
        if self.stored_bytes + size > limits.max_stored_bytes {
            return Err(format!(
                "broker storage full (max_stored_bytes {})",
                limits.max_stored_bytes
            ));
        }
        let Some(list) = conn.transactions.get_mut(tx) else {
            return Err("unknown transaction".to_owned());
        };
        list.push(pending);
        conn.transaction_frames += 1;
        self.stored_bytes += size;
        Ok(())
    }

    /// SEND (STOMP 1.2 "SEND").
    fn on_send(&mut self, id: ConnectionId, frame: Frame) -> Result<(), Refusal> {
        let destination = required(&frame, "destination")?;
        if is_queue(destination).is_none() {
            return Err("destination must start with /queue/ or /topic/".to_owned());
        }
        let destination: Arc<str> = Arc::from(destination);
        let tx = self.transaction(&frame, id)?.map(str::to_owned);
        let Frame { headers, body, .. } = frame;
        let headers = headers
            .into_iter()
            .filter(|(name, _)| !NOT_PASSED_ON.contains(&name.as_str()))
            .collect();
        let message = Message {
            destination,
            headers,
            body,
        };
        match tx {
            Some(tx) => self.hold(id, &tx, Pending::Send(message)),
            None => self.publish(message),
        }
    }

    /// Routes a message sent (or committed): to every subscriber of a
    /// topic, into a queue.
    fn publish(&mut self, message: Message) -> Result<(), Refusal> {
        let limits = &self.config.limits;
        let name = message.destination.clone();
        if is_queue(&name) == Some(true) {
            let size = message.size();
            if !self.queues.contains_key(&name)
                && self.topics.len() + self.queues.len() >= limits.max_destinations
            {
                return Err(format!(
                    "too many destinations (max_destinations {})",
                    limits.max_destinations
                ));
            }
            if self
                .queues
                .get(&name)
                .is_some_and(|q| q.messages.len() >= limits.max_queue_messages)
            {
                return Err(format!(
                    "queue full (max_queue_messages {})",
                    limits.max_queue_messages
                ));
            }
            if self.stored_bytes + size > limits.max_stored_bytes {
                return Err(format!(
                    "broker storage full (max_stored_bytes {})",
                    limits.max_stored_bytes
                ));
            }
            self.stored_bytes += size;
            self.queues
                .entry(name.clone())
                .or_default()
                .messages
                .push_back(message);
            self.counts.queued += 1;
            self.stats.messages_received += 1;
            self.to_dispatch.push(name);
            return Ok(());
        }
        self.stats.messages_received += 1;
        let Some(subscribers) = self.topics.get(&name) else {
            self.stats.messages_dropped += 1;
            return Ok(());
        };
        let subscribers = subscribers.clone();
        let mut tails = Tails::new(&message);
        for (cid, sid) in subscribers {
            self.deliver_topic(cid, &sid, &mut tails);
        }
        Ok(())
    }

    /// SUBSCRIBE (STOMP 1.2 "SUBSCRIBE").
    fn on_subscribe(&mut self, id: ConnectionId, frame: &Frame) -> Result<(), Refusal> {
        let limits = &self.config.limits;
        let Some(conn) = self.connections.get(&id) else {
            return Ok(());
        };
        let version = conn.version;
        let destination = required(frame, "destination")?;
        let queue = is_queue(destination)
            .ok_or_else(|| "destination must start with /queue/ or /topic/".to_owned())?;
        let sid = match frame.header("id") {
            Some(sid) => sid,
            None if version == Version::V1_0 => destination,
            None => return Err("missing id header".to_owned()),
        };
        let ack = match frame.header("ack") {
            None | Some("auto") => AckMode::Auto,
            Some("client") => AckMode::Client,
            Some("client-individual") => AckMode::ClientIndividual,
            Some(_) => return Err("invalid ack header".to_owned()),
        };
        if !version.can_carry_value(destination) || !version.can_carry_value(sid) {
            return Err("destination or id not representable".to_owned());
        }
        if conn.subscriptions.contains_key(sid) {
            return Err("subscription id already in use".to_owned());
        }
        if conn.subscriptions.len() >= limits.max_subscriptions {
            return Err(format!(
                "too many subscriptions (max_subscriptions {})",
                limits.max_subscriptions
            ));
        }
        let exists = if queue {
            self.queues.contains_key(destination)
        } else {
            self.topics.contains_key(destination)
        };
        if !exists && self.topics.len() + self.queues.len() >= limits.max_destinations {
            return Err(format!(
                "too many destinations (max_destinations {})",
                limits.max_destinations
            ));
        }
        let destination: Arc<str> = Arc::from(destination);
        let sid: Arc<str> = Arc::from(sid);
        if queue {
            self.queues
                .entry(destination.clone())
                .or_default()
                .consumers
                .push((id, sid.clone()));
            self.to_dispatch.push(destination.clone());
        } else {
            self.topics
                .entry(destination.clone())
                .or_default()
                .push((id, sid.clone()));
        }
        if let Some(conn) = self.connections.get_mut(&id) {
            self.counts.subscriptions += 1;
            conn.subscriptions.insert(
                sid,
                Subscription {
                    destination,
                    queue,
                    ack,
                },
            );
        }
        Ok(())
    }

    /// UNSUBSCRIBE (STOMP 1.2 "UNSUBSCRIBE"); an unknown id is ignored.
    /// Unacknowledged queue messages of the subscription go back to their
    /// queue.
    fn on_unsubscribe(&mut self, id: ConnectionId, frame: &Frame) -> Result<(), Refusal> {
        let Some(conn) = self.connections.get_mut(&id) else {
            return Ok(());
        };
        let sid: Arc<str> = match (frame.header("id"), frame.header("destination")) {
            (Some(sid), _) => Arc::from(sid),
            (None, Some(dest)) if conn.version == Version::V1_0 => {
                match conn
                    .subscriptions
                    .iter()
                    .find(|(_, s)| &*s.destination == dest)
                {
                    Some((sid, _)) => sid.clone(),
                    None => return Ok(()),
                }
            }
            _ => return Err("missing id header".to_owned()),
        };
        let Some(sub) = conn.subscriptions.remove(&sid) else {
            return Ok(());
        };
        self.counts.subscriptions -= 1;
        let keys: Vec<u64> = conn
            .unacked
            .iter()
            .filter(|(_, d)| d.subscription == sid)
            .map(|(k, _)| *k)
            .collect();
        let deliveries: Vec<Delivery> =
            keys.iter().filter_map(|k| conn.unacked.remove(k)).collect();
        self.counts.unacked -= deliveries.len();
        self.requeue(deliveries);
        self.unindex(id, &sid, &sub);
        self.unblock(id);
        Ok(())
    }

    /// ACK or NACK (STOMP 1.2 "ACK", "NACK").
    fn on_ack(&mut self, id: ConnectionId, frame: &Frame, nack: bool) -> Result<(), Refusal> {
        let Some(ack_id) = frame.header("id").or_else(|| frame.header("message-id")) else {
            return Err("missing id header".to_owned());
        };
        match self.transaction(frame, id)? {
            Some(tx) => {
                let pending = if nack {
                    Pending::Nack(ack_id.to_owned())
                } else {
                    Pending::Ack(ack_id.to_owned())
                };
                let tx = tx.to_owned();
                self.hold(id, &tx, pending)
            }
            None => {
                self.settle(id, ack_id, nack);
                Ok(())
            }
        }
    }

    /// Acknowledges (or, `nack`, returns) delivery `ack_id` of `id`, and
    /// in `client` mode the earlier ones of its subscription. An id that
    /// names no pending delivery is ignored (already settled, or an
    /// `auto` subscription's).
    fn settle(&mut self, id: ConnectionId, ack_id: &str, nack: bool) {
        let Ok(n) = ack_id.parse::<u64>() else {
            return;
        };
        let Some(conn) = self.connections.get_mut(&id) else {
            return;
        };
        let Some(delivery) = conn.unacked.get(&n) else {
            return;
        };
        let sid = delivery.subscription.clone();
        let cumulative = conn
            .subscriptions
            .get(&sid)
            .is_some_and(|s| s.ack == AckMode::Client);
        let keys: Vec<u64> = if cumulative {
            conn.unacked
                .range(..=n)
                .filter(|(_, d)| d.subscription == sid)
                .map(|(k, _)| *k)
                .collect()
        } else {
            vec![n]
        };
        let deliveries: Vec<Delivery> =
            keys.iter().filter_map(|k| conn.unacked.remove(k)).collect();
        self.counts.unacked -= deliveries.len();
        if nack {
            self.requeue(deliveries);
        } else {
            for delivery in deliveries {
                if let Some(message) = delivery.message {
                    self.stored_bytes -= message.size();
                }
            }
        }
        self.unblock(id);
    }

    /// BEGIN (STOMP 1.2 "BEGIN").
    fn on_begin(&mut self, id: ConnectionId, frame: &Frame) -> Result<(), Refusal> {
        let max = self.config.limits.max_transactions;
        let tx = required(frame, "transaction")?;
        let Some(conn) = self.connections.get_mut(&id) else {
            return Ok(());
        };
        if conn.transactions.contains_key(tx) {
            return Err("transaction already open".to_owned());
        }
        if conn.transactions.len() >= max {
            return Err(format!("too many transactions (max_transactions {max})"));
        }
        conn.transactions.insert(tx.to_owned(), Vec::new());
        self.counts.transactions += 1;
        Ok(())
    }

    fn end_transaction(
        &mut self,
        id: ConnectionId,
        frame: &Frame,
    ) -> Result<Vec<Pending>, Refusal> {
        let tx = required(frame, "transaction")?;
        let Some(conn) = self.connections.get_mut(&id) else {
            return Ok(Vec::new());
        };
        let Some(list) = conn.transactions.remove(tx) else {
            return Err("unknown transaction".to_owned());
        };
        self.counts.transactions -= 1;
        conn.transaction_frames -= list.len();
        self.stored_bytes -= list.iter().map(Pending::size).sum::<usize>();
        Ok(list)
    }

    /// COMMIT (STOMP 1.2 "COMMIT"): the held frames, in order.
    fn on_commit(&mut self, id: ConnectionId, frame: &Frame) -> Result<(), Refusal> {
        for pending in self.end_transaction(id, frame)? {
            match pending {
                Pending::Send(message) => self.publish(message)?,
                Pending::Ack(ack_id) => self.settle(id, &ack_id, false),
                Pending::Nack(ack_id) => self.settle(id, &ack_id, true),
            }
            if self
                .connections
                .get(&id)
                .is_none_or(|c| c.phase != Phase::Open)
            {
                break;
            }
        }
        Ok(())
    }

    /// ABORT (STOMP 1.2 "ABORT"): the held frames are dropped.
    fn on_abort(&mut self, id: ConnectionId, frame: &Frame) -> Result<(), Refusal> {
        self.end_transaction(id, frame).map(drop)
    }
}
