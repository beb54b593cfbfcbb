//! What the client sends (STOMP 1.2 "Client Frames"): SUBSCRIBE and
//! UNSUBSCRIBE, SEND, ACK and NACK, BEGIN, COMMIT and ABORT, any frame,
//! and DISCONNECT with its receipt.

use bytes::Bytes;

use super::{
    AckMode, Client, ClientError, FrameOptions, Message, ReceiptId, State, Subscription,
    SubscriptionId, TransactionId,
};
use crate::{Command, Frame, Version};

impl Client {
    /// Subscribe to `destination` (STOMP 1.2 "SUBSCRIBE") with a fresh
    /// `id` and the `ack` mode given.
    pub fn subscribe(
        &mut self,
        destination: &str,
        ack: AckMode,
    ) -> Result<SubscriptionId, ClientError> {
        self.subscribe_with(destination, ack, FrameOptions::default())
            .map(|(id, _)| id)
    }

    /// [`Client::subscribe`](super::Client::subscribe) with `options` (a receipt, more headers).
    pub fn subscribe_with(
        &mut self,
        destination: &str,
        ack: AckMode,
        options: FrameOptions,
    ) -> Result<(SubscriptionId, Option<ReceiptId>), ClientError> {
        let version = self.ready()?;
        if ack == AckMode::ClientIndividual && version == Version::V1_0 {
            return Err(ClientError::NotInVersion("ack:client-individual"));
        }
        let id = SubscriptionId(self.next_subscription);
        let frame = Frame::new(Command::Subscribe)
            .with_header("id", id.to_string())
            .with_header("destination", destination)
            .with_header("ack", ack.as_str());
        let receipt = self.finish(frame, options.transaction(None))?;
        self.next_subscription += 1;
        self.subscriptions.insert(
            id.0,
            Subscription {
                destination: destination.to_owned(),
                ack,
            },
        );
        Ok((id, receipt))
    }

    /// End subscription `id` (STOMP 1.2 "UNSUBSCRIBE"). Messages already
    /// on their way may still arrive; they name a subscription no longer
    /// active, which [`Client::ack`](super::Client::ack) refuses.
    pub fn unsubscribe(&mut self, id: SubscriptionId) -> Result<(), ClientError> {
        self.unsubscribe_with(id, FrameOptions::default()).map(drop)
    }

    /// [`Client::unsubscribe`](super::Client::unsubscribe) with `options` (a receipt).
    pub fn unsubscribe_with(
        &mut self,
        id: SubscriptionId,
        options: FrameOptions,
    ) -> Result<Option<ReceiptId>, ClientError> {
        self.ready()?;
        if !self.subscriptions.contains_key(&id.0) {
            return Err(ClientError::UnknownSubscription(id.0));
        }
        let frame = Frame::new(Command::Unsubscribe).with_header("id", id.to_string());
        let receipt = self.finish(frame, options.transaction(None))?;
        self.subscriptions.remove(&id.0);
        Ok(receipt)
    }

    /// Send `body` to `destination` (STOMP 1.2 "SEND"), with the headers
    /// of `options` (say `content-type`), in its transaction if it names
    /// one. A body of 512 bytes or more is not copied: it comes out of
    /// [`Client::poll_transmit`](super::Client::poll_transmit) as the `Bytes` given.
    pub fn send(
        &mut self,
        destination: &str,
        body: impl Into<Bytes>,
        options: FrameOptions,
    ) -> Result<Option<ReceiptId>, ClientError> {
        self.ready()?;
        let frame = Frame::new(Command::Send)
            .with_header("destination", destination)
            .with_body(body.into());
        self.finish(frame, options)
    }

    /// Acknowledge `message` (STOMP 1.2 "ACK"): for [`AckMode::Client`]
    /// it and every earlier message of its subscription.
    pub fn ack(&mut self, message: &Message) -> Result<(), ClientError> {
        self.ack_with(message, FrameOptions::default()).map(drop)
    }

    /// [`Client::ack`](super::Client::ack) with `options` (a receipt, a transaction).
    pub fn ack_with(
        &mut self,
        message: &Message,
        options: FrameOptions,
    ) -> Result<Option<ReceiptId>, ClientError> {
        self.acknowledge(Command::Ack, message, options)
    }

    /// Refuse `message` (STOMP 1.2 "NACK", from STOMP 1.1 on): the server
    /// may redeliver it or drop it.
    pub fn nack(&mut self, message: &Message) -> Result<(), ClientError> {
        self.nack_with(message, FrameOptions::default()).map(drop)
    }

    /// [`Client::nack`](super::Client::nack) with `options` (a receipt, a transaction).
    pub fn nack_with(
        &mut self,
        message: &Message,
        options: FrameOptions,
    ) -> Result<Option<ReceiptId>, ClientError> {
        self.acknowledge(Command::Nack, message, options)
    }

    fn acknowledge(
        &mut self,
        command: Command,
        message: &Message,
        options: FrameOptions,
    ) -> Result<Option<ReceiptId>, ClientError> {
        let version = self.ready()?;
        if command == Command::Nack && version == Version::V1_0 {
            return Err(ClientError::NotInVersion("NACK"));
        }
        let sub = message.subscription;
        match self.subscriptions.get(&sub.0) {
            None => return Err(ClientError::UnknownSubscription(sub.0)),
            Some(s) if s.ack == AckMode::Auto => return Err(ClientError::AutoAck(sub.0)),
            Some(_) => {}
        }
        // STOMP 1.2 "ACK": `id` is the MESSAGE's `ack` header; 1.1 names
        // `subscription` and `message-id`, 1.0 `message-id` alone.
        let frame = match version {
            Version::V1_2 => Frame::new(command)
                .with_header("id", message.ack.as_deref().unwrap_or(&message.message_id)),
            Version::V1_1 => Frame::new(command)
                .with_header("subscription", sub.to_string())
                .with_header("message-id", message.message_id.as_str()),
            _ => Frame::new(command).with_header("message-id", message.message_id.as_str()),
        };
        self.finish(frame, options)
    }

    /// Open a transaction (STOMP 1.2 "BEGIN"); name it in the
    /// [`FrameOptions::transaction`] of SEND, ACK and NACK, then
    /// [`Client::commit`](super::Client::commit) or [`Client::abort`](super::Client::abort) it.
    pub fn begin(&mut self) -> Result<TransactionId, ClientError> {
        self.begin_with(FrameOptions::default()).map(|(id, _)| id)
    }

    /// [`Client::begin`](super::Client::begin) with `options` (a receipt).
    pub fn begin_with(
        &mut self,
        options: FrameOptions,
    ) -> Result<(TransactionId, Option<ReceiptId>), ClientError> {
        self.ready()?;
        let id = TransactionId(self.next_transaction);
        let frame = Frame::new(Command::Begin).with_header("transaction", id.to_string());
        let receipt = self.finish(frame, options.transaction(None))?;
        self.next_transaction += 1;
        self.transactions.insert(id.0);
        Ok((id, receipt))
    }

    /// Commit transaction `id` (STOMP 1.2 "COMMIT").
    pub fn commit(&mut self, id: TransactionId) -> Result<(), ClientError> {
        self.end_transaction(Command::Commit, id, FrameOptions::default())
            .map(drop)
    }

    /// [`Client::commit`](super::Client::commit) with `options` (a receipt).
    pub fn commit_with(
        &mut self,
        id: TransactionId,
        options: FrameOptions,
    ) -> Result<Option<ReceiptId>, ClientError> {
        self.end_transaction(Command::Commit, id, options)
    }

    /// Abort transaction `id` (STOMP 1.2 "ABORT").
    pub fn abort(&mut self, id: TransactionId) -> Result<(), ClientError> {
        self.end_transaction(Command::Abort, id, FrameOptions::default())
            .map(drop)
    }

    /// [`Client::abort`](super::Client::abort) with `options` (a receipt).
    pub fn abort_with(
        &mut self,
        id: TransactionId,
        options: FrameOptions,
    ) -> Result<Option<ReceiptId>, ClientError> {
        self.end_transaction(Command::Abort, id, options)
    }

    fn end_transaction(
        &mut self,
        command: Command,
        id: TransactionId,
        options: FrameOptions,
    ) -> Result<Option<ReceiptId>, ClientError> {
        self.ready()?;
        if !self.transactions.contains(&id.0) {
            return Err(ClientError::UnknownTransaction(id.0));
        }
        let frame = Frame::new(command).with_header("transaction", id.to_string());
        let receipt = self.finish(frame, options.transaction(None))?;
        self.transactions.remove(&id.0);
        Ok(receipt)
    }

    /// Queue `frame` as it is, for what the other calls do not cover (a
    /// broker's own frames or headers, or a deliberately wrong frame in a
    /// test). The session does not track it: a `receipt` header in it is
    /// not awaited (its RECEIPT is ignored), and SUBSCRIBE, BEGIN or
    /// DISCONNECT sent this way change nothing here. Refused before
    /// CONNECTED and after DISCONNECT, and when a header cannot be carried
    /// by the negotiated version.
    pub fn send_frame(&mut self, frame: Frame) -> Result<(), ClientError> {
        let version = self.ready()?;
        if let Some((name, _)) = (frame.headers.iter()).find(|(n, v)| !version.can_carry(n, v)) {
            return Err(ClientError::Unencodable(name.clone()));
        }
        self.queue(frame);
        Ok(())
    }

    /// End the session gracefully (STOMP 1.2 "DISCONNECT", "Connection
    /// Lingering"): send DISCONNECT with a receipt request and wait up to
    /// [`ClientConfig::disconnect_timeout`](super::ClientConfig::disconnect_timeout) for its RECEIPT, which gives
    /// [`ClientEvent::Receipt`](super::ClientEvent::Receipt) then [`ClientEvent::Disconnected`](super::ClientEvent::Disconnected).
    /// Messages arriving meanwhile are still reported; nothing more can be
    /// sent. Before CONNECTED came, the session just ends at once with
    /// [`ClientEvent::Disconnected`](super::ClientEvent::Disconnected) (the id returned is then never
    /// reported).
    pub fn disconnect(&mut self) -> Result<ReceiptId, ClientError> {
        match self.state {
            State::Connected => {}
            State::Connecting => {
                // Nothing to linger for: the server has not accepted us.
                let id = ReceiptId(self.next_receipt);
                self.next_receipt += 1;
                self.close(None);
                return Ok(id);
            }
            State::Disconnecting | State::Closed => return Err(ClientError::Closed),
        }
        // The DISCONNECT receipt is awaited even past the caller's limit.
        let id = ReceiptId(self.next_receipt);
        self.next_receipt += 1;
        self.receipts.insert(id.0, true);
        self.queue(Frame::new(Command::Disconnect).with_header("receipt", id.to_string()));
        self.state = State::Disconnecting;
        self.timers.deadline = Some(self.timers.now + self.config.disconnect_timeout);
        Ok(id)
    }
}
