//! What the client receives (STOMP 1.2 "Server Frames"): CONNECTED,
//! MESSAGE, RECEIPT and ERROR.

use super::{
    Client, ClientError, ClientEvent, Message, NegotiatedHeartBeat, ReceiptId, State,
    SubscriptionId,
};
use crate::{Command, Frame, HeartBeat, Version};

impl Client {
    pub(super) fn handle_frame(&mut self, frame: Frame) -> Result<(), ClientError> {
        match (frame.command, self.state) {
            (Command::Connected, State::Connecting) => self.connected(&frame),
            (Command::Message, State::Connected | State::Disconnecting) => self.message(frame),
            (Command::Receipt, State::Connected | State::Disconnecting) => {
                self.receipt(&frame);
                Ok(())
            }
            // STOMP 1.2 "ERROR": the server closes the connection after it.
            (Command::Error, _) => {
                if let Some(id) = frame
                    .header("receipt-id")
                    .and_then(|v| v.parse::<u64>().ok())
                {
                    self.receipts.remove(&id);
                }
                self.close(Some(ClientEvent::Error(frame)));
                Ok(())
            }
            (command, _) => Err(ClientError::UnexpectedFrame(command)),
        }
    }

    /// CONNECTED (STOMP 1.2 "Connecting", "Protocol Negotiation",
    /// "Heart-beating").
    fn connected(&mut self, frame: &Frame) -> Result<(), ClientError> {
        // STOMP 1.2 "Protocol Negotiation": no `version` header means 1.0.
        let version = match frame.header("version") {
            None => Version::V1_0,
            Some(v) => Version::parse(v).ok_or_else(|| ClientError::BadHeader {
                header: "version",
                value: v.to_owned(),
            })?,
        };
        if !self.config.versions.contains(&version) {
            return Err(ClientError::VersionNotOffered(version.as_str().to_owned()));
        }
        let theirs = match frame.header("heart-beat") {
            Some(v) if version != Version::V1_0 => {
                HeartBeat::parse(v).map_err(|_| ClientError::BadHeader {
                    header: "heart-beat",
                    value: v.to_owned(),
                })?
            }
            _ => HeartBeat {
                can_send: std::time::Duration::ZERO,
                want_receive: std::time::Duration::ZERO,
            },
        };
        let (send, receive) = HeartBeat::negotiate(self.config.heart_beat, theirs);
        self.version = version;
        self.decoder.set_version(version);
        self.state = State::Connected;
        self.timers.deadline = None;
        self.timers.start_heart_beats(send, receive);
        self.events.push_back(ClientEvent::Connected {
            version,
            server: frame.header("server").map(str::to_owned),
            session: frame.header("session").map(str::to_owned),
            heart_beat: NegotiatedHeartBeat { send, receive },
        });
        Ok(())
    }

    /// MESSAGE (STOMP 1.2 "MESSAGE").
    fn message(&mut self, frame: Frame) -> Result<(), ClientError> {
        let missing = |header| ClientError::MissingHeader {
            command: Command::Message,
            header,
        };
        let destination = frame.header("destination").ok_or(missing("destination"))?;
        let message_id = frame.header("message-id").ok_or(missing("message-id"))?;
        let subscription = match frame.header("subscription") {
            Some(v) => SubscriptionId(v.parse().map_err(|_| ClientError::BadHeader {
                header: "subscription",
                value: v.to_owned(),
            })?),
            // A 1.0 server may leave it out: the subscription to that
            // destination, if one alone matches.
            None if self.version == Version::V1_0 => {
                let mut matching = self
                    .subscriptions
                    .iter()
                    .filter(|(_, s)| s.destination == destination);
                match (matching.next(), matching.next()) {
                    (Some((id, _)), None) => SubscriptionId(*id),
                    _ => return Err(missing("subscription")),
                }
            }
            None => return Err(missing("subscription")),
        };
        let message = Message {
            subscription,
            message_id: message_id.to_owned(),
            ack: frame.header("ack").map(str::to_owned),
            destination: destination.to_owned(),
            frame,
        };
        self.events.push_back(ClientEvent::Message(message));
        Ok(())
    }

    /// RECEIPT (STOMP 1.2 "RECEIPT"). One that names no awaited receipt
    /// is ignored.
    fn receipt(&mut self, frame: &Frame) {
        let Some(id) = frame
            .header("receipt-id")
            .and_then(|v| v.parse::<u64>().ok())
        else {
            return;
        };
        let Some(disconnect) = self.receipts.remove(&id) else {
            return;
        };
        self.events.push_back(ClientEvent::Receipt(ReceiptId(id)));
        if disconnect {
            self.close(None);
        }
    }
}
