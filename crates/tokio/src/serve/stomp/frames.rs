//! What each client frame does (STOMP 1.2 "Client Frames").

use std::sync::Arc;
use std::sync::atomic::Ordering;

use rtw_hub::{MessageId, Since};
use rtw_stomp::{Command, Frame, HeartBeat, Version, negotiate_version};
use tokio::io::{AsyncRead, AsyncWrite};

use super::{
    HEART_BEAT, Held, LABEL, MAX_HELD_BYTES, MAX_HELD_FRAMES, MAX_SUBSCRIPTIONS, MAX_TRANSACTIONS,
    Next, Refusal, SESSIONS, Session, Subscription, required, topic_of,
};
use crate::serve::Delivery;

impl<S: AsyncRead + AsyncWrite + Unpin + Send> Session<S> {
    /// CONNECT or STOMP (STOMP 1.2 "CONNECT or STOMP Frame", "Protocol
    /// Negotiation", "Heart-beating"). `host`, `login` and `passcode` are
    /// not checked: the hub is open to every client the router lets in.
    pub(super) fn on_connect(&mut self, frame: &Frame) -> Next {
        let Some(version) = negotiate_version(frame.header("accept-version"), &Version::ALL) else {
            return Next::Fail(
                Frame::error("supported protocol versions are 1.0,1.1,1.2", None)
                    .with_header("version", "1.0,1.1,1.2"),
            );
        };
        let theirs = match frame.header("heart-beat") {
            None => HeartBeat::NONE,
            Some(value) => match HeartBeat::parse(value) {
                Ok(hb) => hb,
                Err(e) => return Next::Fail(e.error_frame()),
            },
        };
        let mut connected = Frame::new(Command::Connected);
        if frame.header("accept-version").is_some() {
            connected = connected.with_header("version", version.as_str());
        }
        if version > Version::V1_0 {
            (self.send_every, self.expect_every) = HeartBeat::negotiate(HEART_BEAT, theirs);
            connected = connected.with_header("heart-beat", HEART_BEAT.header_value());
        }
        let session = SESSIONS.fetch_add(1, Ordering::Relaxed);
        let connected = connected
            .with_header("session", session.to_string())
            .with_header("server", concat!("rtw-serve/", env!("CARGO_PKG_VERSION")));
        self.version = Some(version);
        self.decoder.set_version(version);
        self.out.push(connected.to_bytes(version));
        Next::Continue
    }

    /// SEND (STOMP 1.2 "SEND"): publish, or hold in its transaction.
    pub(super) fn on_send(&mut self, frame: &Frame) -> Result<(), Refusal> {
        self.metrics.received(LABEL, frame.body.len() as u64);
        let topic = topic_of(required(frame, "destination")?)?;
        let Some(tx) = frame.header("transaction") else {
            let entered = self.enter()?;
            self.publish(&entered, topic, frame.body.clone())?;
            self.metrics.published(LABEL);
            return Ok(());
        };
        let Some(held) = self.transactions.get_mut(tx) else {
            return Err("unknown transaction".to_owned());
        };
        if self.held_frames >= MAX_HELD_FRAMES {
            return Err(format!(
                "too many SENDs in transactions (at most {MAX_HELD_FRAMES})"
            ));
        }
        if self.held_bytes + frame.body.len() > MAX_HELD_BYTES {
            return Err(format!(
                "too many bytes in transactions (at most {MAX_HELD_BYTES})"
            ));
        }
        held.push((topic.to_owned(), frame.body.clone()));
        self.held_frames += 1;
        self.held_bytes += frame.body.len();
        Ok(())
    }

    /// SUBSCRIBE (STOMP 1.2 "SUBSCRIBE"): a hub subscription whose
    /// deliveries a task hands to the session.
    pub(super) fn on_subscribe(&mut self, frame: &Frame, version: Version) -> Result<(), Refusal> {
        let destination = required(frame, "destination")?;
        let topic = topic_of(destination)?;
        // STOMP 1.0 made `id` optional: the destination names it then.
        let id = match frame.header("id") {
            Some(id) => id,
            None if version == Version::V1_0 => destination,
            None => return Err("missing id header".to_owned()),
        };
        if self.subscriptions.contains_key(id) {
            return Err("a subscription with this id exists already".to_owned());
        }
        if self.subscriptions.len() >= MAX_SUBSCRIPTIONS {
            return Err(format!(
                "too many subscriptions (at most {MAX_SUBSCRIPTIONS})"
            ));
        }
        let since = match frame.header("since") {
            None => Since::Now,
            Some(n) => match n.trim().parse() {
                Ok(n) => Since::After(MessageId(n)),
                Err(_) => return Err("since must be a message id (a decimal integer)".to_owned()),
            },
        };
        let client_ack = matches!(frame.header("ack"), Some("client" | "client-individual"));
        let mut subscriber = self
            .hub
            .subscribe(topic, since)
            .map_err(|e| e.to_string())?;
        let id: Arc<str> = Arc::from(id);
        let generation = self.next_generation;
        self.next_generation += 1;
        let tx = self.deliveries_tx.clone();
        let draining = self.drain.0.draining();
        let publishing = self.drain.1.clone();
        let task = tokio::spawn({
            let id = id.clone();
            async move {
                tokio::pin!(draining);
                loop {
                    let delivery = tokio::select! {
                        // What the hub queued first, also once it drains.
                        biased;
                        delivery = subscriber.next() => delivery,
                        () = &mut draining => {
                            // Once every publish let in reached the hub,
                            // what is left is all there is.
                            publishing.settled().await;
                            while let Some(delivery) = subscriber.try_next() {
                                if tx.send((id.clone(), generation, delivery)).await.is_err() {
                                    break;
                                }
                            }
                            return;
                        }
                    };
                    let evicted = matches!(delivery, Delivery::Evicted { .. });
                    if tx.send((id.clone(), generation, delivery)).await.is_err() || evicted {
                        return;
                    }
                }
            }
        });
        let subscription = Subscription {
            generation,
            destination: Arc::from(destination),
            client_ack,
            task,
        };
        self.subscriptions.insert(id, subscription);
        Ok(())
    }

    /// UNSUBSCRIBE (STOMP 1.2 "UNSUBSCRIBE"); in 1.0 `destination` may
    /// name the subscription instead of `id`.
    pub(super) fn on_unsubscribe(
        &mut self,
        frame: &Frame,
        version: Version,
    ) -> Result<(), Refusal> {
        let id = match (frame.header("id"), version) {
            (Some(id), _) => id,
            (None, Version::V1_0) => required(frame, "destination")?,
            (None, _) => return Err("missing id header".to_owned()),
        };
        match self.subscriptions.remove(id) {
            Some(_) => Ok(()),
            None => Err("no subscription with this id".to_owned()),
        }
    }

    /// BEGIN (STOMP 1.2 "BEGIN").
    pub(super) fn on_begin(&mut self, frame: &Frame) -> Result<(), Refusal> {
        let tx = required(frame, "transaction")?;
        if self.transactions.contains_key(tx) {
            return Err("transaction already begun".to_owned());
        }
        if self.transactions.len() >= MAX_TRANSACTIONS {
            return Err(format!(
                "too many open transactions (at most {MAX_TRANSACTIONS})"
            ));
        }
        self.transactions.insert(tx.to_owned(), Vec::new());
        Ok(())
    }

    /// COMMIT (STOMP 1.2 "COMMIT"): publish the held SENDs in order.
    pub(super) fn on_commit(&mut self, frame: &Frame) -> Result<(), Refusal> {
        // Let in once, for all of them: none or all are published.
        let entered = self.enter()?;
        let held = self.end_transaction(frame)?;
        for (topic, body) in held {
            self.publish(&entered, &topic, body)?;
            self.metrics.published(LABEL);
        }
        Ok(())
    }

    /// ABORT (STOMP 1.2 "ABORT"): drop the held SENDs.
    pub(super) fn on_abort(&mut self, frame: &Frame) -> Result<(), Refusal> {
        self.end_transaction(frame).map(drop)
    }

    fn end_transaction(&mut self, frame: &Frame) -> Result<Vec<Held>, Refusal> {
        let tx = required(frame, "transaction")?;
        let held = self
            .transactions
            .remove(tx)
            .ok_or_else(|| "unknown transaction".to_owned())?;
        self.held_frames -= held.len();
        self.held_bytes -= held.iter().map(|(_, b)| b.len()).sum::<usize>();
        Ok(held)
    }
}
