//! The session's loop: reading frames, writing what they answer, heart-beats, deliveries and the drain.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use rtw_stomp::{Command, Frame, Item, Version};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::{
    CLOSE_TIMEOUT, CONNECT_TIMEOUT, LABEL, Next, Refusal, SHUTTING_DOWN, Sending, Session, Tagged,
    at,
};
use crate::serve::Delivery;
use crate::serve::gate::Entered;
use crate::serve::ws::Draining;
use crate::ws::Message;

impl<S: AsyncRead + AsyncWrite + Unpin + Send> Session<S> {
    pub(super) async fn serve(&mut self, mut deliveries: mpsc::Receiver<Tagged>, drain: Draining) {
        let connect_deadline = Instant::now() + CONNECT_TIMEOUT;
        let draining = drain.0.draining();
        tokio::pin!(draining);
        loop {
            let send_at = self.send_every.map(|d| self.last_sent + d);
            let dead_at = match self.version {
                None => Some(connect_deadline),
                Some(_) => self.expect_every.map(|d| self.last_received + d * 2),
            };
            let next = tokio::select! {
                message = self.ws.next() => match message {
                    Some(Ok(message)) => {
                        self.last_received = Instant::now();
                        match message {
                            Message::Text(text) => self.on_input(text.as_bytes()),
                            Message::Binary(bytes) => self.on_input(&bytes),
                            Message::Close(_) => Next::Close,
                            _ => Next::Continue,
                        }
                    }
                    Some(Err(_)) => return self.metrics.error(LABEL),
                    None => return,
                },
                Some((id, generation, delivery)) = deliveries.recv() => {
                    self.on_delivery(&id, generation, delivery)
                }
                () = at(send_at) => {
                    self.out.push(Bytes::from_static(b"\n"));
                    Next::Continue
                }
                () = at(dead_at) => return,
                () = &mut draining => self.on_drain(&mut deliveries, None).await,
            };
            let next = match self.settle(next).await {
                Next::Refused(receipt) => self.on_drain(&mut deliveries, receipt).await,
                next => next,
            };
            let end = match next {
                Next::Continue => false,
                Next::Close | Next::Refused(_) => true,
                Next::Fail(frame) => {
                    // An ERROR frame: counted, but for the drain's.
                    if !self.drain.0.is_draining() {
                        self.metrics.error(LABEL);
                    }
                    let version = self.version.unwrap_or(Version::V1_2);
                    self.out.push(frame.to_bytes(version));
                    true
                }
            };
            if !self.write_out().await {
                return self.metrics.error(LABEL);
            }
            if end {
                break;
            }
        }
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, self.ws.close()).await;
    }

    /// The server drains: the MESSAGEs of what the hub had queued for the
    /// subscriptions (their tasks hand it over, then end; within
    /// [`CLOSE_TIMEOUT`]), then ERROR (with `receipt`, the `receipt-id`
    /// of a frame refused because the server drains).
    async fn on_drain(
        &mut self,
        deliveries: &mut mpsc::Receiver<Tagged>,
        receipt: Option<String>,
    ) -> Next {
        let deadline = Instant::now() + CLOSE_TIMEOUT;
        loop {
            let flushed = self.subscriptions.values().all(|s| s.task.is_finished());
            let next = if flushed {
                deliveries.try_recv().ok()
            } else {
                let wait = tokio::time::timeout_at(deadline, deliveries.recv());
                match tokio::time::timeout(Duration::from_millis(10), wait).await {
                    Ok(Ok(next)) => next,
                    // Past the deadline: what came is what goes.
                    Ok(Err(_)) => deliveries.try_recv().ok(),
                    // Nothing for 10 ms: see whether the tasks are done.
                    Err(_) => continue,
                }
            };
            let Some((id, generation, delivery)) = next else {
                break;
            };
            match self.on_delivery(&id, generation, delivery) {
                Next::Continue => {}
                next => return next,
            }
        }
        Next::Fail(Frame::error(SHUTTING_DOWN, receipt.as_deref()))
    }

    /// Write the queued frames, each one WebSocket message; `false` when
    /// the connection failed.
    async fn write_out(&mut self) -> bool {
        if self.out.is_empty() {
            return true;
        }
        for bytes in std::mem::take(&mut self.out) {
            // A clone of `Bytes` shares the buffer: nothing is copied.
            let message = match rtw_ws::Utf8Bytes::try_from(bytes.clone()) {
                Ok(text) => Message::Text(text),
                Err(_) => Message::Binary(bytes),
            };
            if self.ws.feed(message).await.is_err() {
                return false;
            }
        }
        self.last_sent = Instant::now();
        self.ws.flush().await.is_ok()
    }

    /// Bytes from the client: every whole frame handled in order,
    /// heart-beat EOLs skipped.
    fn on_input(&mut self, bytes: &[u8]) -> Next {
        self.input.extend_from_slice(bytes);
        loop {
            match self.decoder.decode(&mut self.input) {
                Ok(None) => return Next::Continue,
                Ok(Some(Item::HeartBeat)) => {}
                Ok(Some(Item::Frame(frame))) => match self.on_frame(frame) {
                    // The rest waits for the SENDs on their way.
                    Next::Continue if !self.sending.0.is_empty() => return Next::Continue,
                    Next::Continue => {}
                    next => return next,
                },
                Err(e) => return Next::Fail(e.error_frame()),
            }
        }
    }

    /// One frame (STOMP 1.2 "Client Frames").
    fn on_frame(&mut self, frame: Frame) -> Next {
        let Some(version) = self.version else {
            if matches!(frame.command, Command::Connect | Command::Stomp) {
                return self.on_connect(&frame);
            }
            return Next::Fail(Frame::error("expected a CONNECT frame", None));
        };
        let receipt = frame.header("receipt").map(str::to_owned);
        if let Some(r) = &receipt
            && !version.can_carry_value(r)
        {
            return Next::Fail(Frame::error("receipt header not representable", None));
        }
        let result = match frame.command {
            Command::Connect | Command::Stomp => Err("already connected".to_owned()),
            Command::Send => self.on_send(&frame),
            Command::Subscribe => self.on_subscribe(&frame, version),
            Command::Unsubscribe => self.on_unsubscribe(&frame, version),
            // Auto-ack: nothing waits for an acknowledgement.
            Command::Ack | Command::Nack => Ok(()),
            Command::Begin => self.on_begin(&frame),
            Command::Commit => self.on_commit(&frame),
            Command::Abort => self.on_abort(&frame),
            Command::Disconnect => {
                if let Some(r) = &receipt {
                    self.receipt(version, r);
                }
                return Next::Close;
            }
            Command::Connected | Command::Message | Command::Receipt | Command::Error => {
                Err(format!("{} is a server frame", frame.command))
            }
        };
        match result {
            Ok(()) if !self.sending.0.is_empty() => {
                self.sending.1 = receipt;
                Next::Continue
            }
            Ok(()) => {
                if let Some(r) = &receipt {
                    self.receipt(version, r);
                }
                Next::Continue
            }
            Err(message) if message == SHUTTING_DOWN => Next::Refused(receipt),
            Err(message) => Next::Fail(Frame::error(&message, receipt.as_deref())),
        }
    }

    /// Publishes through the hub: at once with the in-process hub; through
    /// its backend the message is queued here, in order, and
    /// [`Session::settle`] waits for RabbitMQ's confirmation before the
    /// frame's RECEIPT and the next frame. `entered` (the service's
    /// [`PublishGate`](super::gate::PublishGate)) is held until the hub has
    /// the message.
    pub(super) fn publish(
        &mut self,
        entered: &Arc<Entered>,
        topic: &str,
        body: Bytes,
    ) -> Result<(), Refusal> {
        let entered = entered.clone();
        let sent = self.hub.send(topic, body);
        let mut sent: Sending = Box::pin(async move {
            let outcome = sent.await;
            drop(entered);
            outcome
        });
        match futures_util::FutureExt::now_or_never(&mut sent) {
            Some(outcome) => outcome.map(drop).map_err(|e| e.to_string()),
            None => {
                self.sending.0.push(sent);
                Ok(())
            }
        }
    }

    /// Waits for the SENDs on their way through the hub's backend: then
    /// the frame's RECEIPT (or ERROR, with its `receipt-id`, when one was
    /// not confirmed: 503's case), and the input left is handled.
    async fn settle(&mut self, mut next: Next) -> Next {
        while matches!(next, Next::Continue) && !self.sending.0.is_empty() {
            let (sending, receipt) = std::mem::take(&mut self.sending);
            for sent in sending {
                if let Err(e) = sent.await {
                    return Next::Fail(Frame::error(&e.to_string(), receipt.as_deref()));
                }
            }
            if let Some(r) = &receipt {
                self.receipt(self.version.unwrap_or(Version::V1_2), r);
            }
            next = self.on_input(&[]);
        }
        next
    }

    /// Enters the service's publish gate: refused with [`SHUTTING_DOWN`]
    /// once the server drains.
    pub(super) fn enter(&self) -> Result<Arc<Entered>, Refusal> {
        let entered = self.drain.1.enter(&self.drain.0);
        entered
            .map(Arc::new)
            .ok_or_else(|| SHUTTING_DOWN.to_owned())
    }

    /// RECEIPT for `receipt` (STOMP 1.2 "RECEIPT").
    pub(super) fn receipt(&mut self, version: Version, receipt: &str) {
        let frame = Frame::new(Command::Receipt).with_header("receipt-id", receipt);
        self.out.push(frame.to_bytes(version));
    }

    /// A hub delivery for subscription `id`: MESSAGE (STOMP 1.2
    /// "MESSAGE"), or ERROR for an eviction.
    fn on_delivery(&mut self, id: &Arc<str>, generation: u64, delivery: Delivery) -> Next {
        let Some(subscription) = self.subscriptions.get(id) else {
            return Next::Continue;
        };
        if subscription.generation != generation {
            return Next::Continue;
        }
        let version = self.version.unwrap_or(Version::V1_2);
        match delivery {
            Delivery::Message(message) => {
                let message_id = message.id.get().to_string();
                let mut frame = Frame::new(Command::Message)
                    .with_header("subscription", id.as_ref())
                    .with_header("message-id", message_id.clone())
                    .with_header("destination", subscription.destination.as_ref())
                    .with_header("content-type", "text/plain");
                if subscription.client_ack && version == Version::V1_2 {
                    frame = frame.with_header("ack", message_id);
                }
                let bytes = frame.with_body(message.data).to_bytes(version);
                self.metrics.delivered(LABEL, 1, bytes.len() as u64);
                self.out.push(bytes);
                Next::Continue
            }
            Delivery::Evicted { last_delivered, .. } => {
                self.metrics.evicted(LABEL);
                let text = format!(
                    "slow consumer: the hub dropped subscription {id}; subscribe again with since:{last_delivered}"
                );
                Next::Fail(
                    Frame::new(Command::Error)
                        .with_header("message", "slow consumer")
                        .with_header("content-type", "text/plain")
                        .with_body(text),
                )
            }
        }
    }
}
