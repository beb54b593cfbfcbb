//! The backend's task: one [`Link`] at a time, reconnected with backoff;
//! publishes out, the stream in, ids matched to publishers by tag.

use std::collections::HashMap;
use std::time::Duration;

use bytes::Bytes;
use rtw_hub::MessageId;
use rtw_stomp::client::{AckMode, ClientEvent, FrameOptions, Message};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;

use super::link::Link;
use super::{BackendStatus, Outcome, PublishError, RabbitConfig};
use crate::serve::SharedHub;

/// The header naming a message's topic (absent: a node's marker).
const TOPIC: &str = "rtw-topic";
/// The header matching a message to the publish that sent it.
const TAG: &str = "rtw-tag";
/// The first wait before reconnecting, and the longest.
const BACKOFF: (Duration, Duration) = (Duration::from_millis(100), Duration::from_secs(5));

/// A publish, from [`super::Backend::submit`].
pub(super) struct Command {
    pub(super) topic: String,
    pub(super) data: Bytes,
    pub(super) done: oneshot::Sender<Outcome>,
}

/// A publish sent, waiting for its RECEIPT and for the consumer to see it.
struct Pending {
    done: oneshot::Sender<Outcome>,
    receipted: bool,
    seen: Option<Outcome>,
    deadline: Instant,
}

struct Driver {
    config: RabbitConfig,
    hub: SharedHub,
    rx: mpsc::Receiver<Command>,
    status: watch::Sender<BackendStatus>,
    last_error: watch::Sender<String>,
    /// This process's prefix of tags.
    node: String,
    seq: u64,
    /// By tag.
    pending: HashMap<String, Pending>,
    /// Receipt id to tag, for the current connection.
    receipts: HashMap<u64, String>,
    /// Where to resume: the offset after the last message taken.
    next_offset: Option<u64>,
    /// Publishes failed with 503 so far.
    failed: u64,
}

pub(super) async fn run(
    config: RabbitConfig,
    hub: SharedHub,
    rx: mpsc::Receiver<Command>,
    status: watch::Sender<BackendStatus>,
    last_error: watch::Sender<String>,
) {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut driver = Driver {
        config,
        hub,
        rx,
        status,
        last_error,
        node: format!("{:x}-{nanos:x}", std::process::id()),
        seq: 0,
        pending: HashMap::new(),
        receipts: HashMap::new(),
        next_offset: None,
        failed: 0,
    };
    let mut backoff = BACKOFF.0;
    loop {
        let timeout = driver.config.start_timeout.min(Duration::from_secs(10));
        match Link::connect(&driver.config.url, driver.config.tls.clone(), timeout).await {
            Ok(link) => {
                backoff = BACKOFF.0;
                driver.status.send_modify(|s| {
                    s.connected = true;
                    s.connections += 1;
                });
                let why = driver.serve(link).await;
                tracing::warn!(hub = %driver.config.url.authority, "hub connection lost: {why}");
                driver.lost(why);
            }
            Err(why) => {
                tracing::warn!(hub = %driver.config.url.authority, "hub connection failed: {why}");
                driver.lost(why);
            }
        }
        // Publishes that come while disconnected fail at once.
        let wake = Instant::now() + backoff;
        loop {
            tokio::select! {
                () = tokio::time::sleep_until(wake) => break,
                command = driver.rx.recv() => match command {
                    Some(c) => {
                        driver.failed += 1;
                        driver.sync_status();
                        let _ = c.done.send(Err(unavailable("not connected to RabbitMQ")));
                    }
                    None => return,
                },
            }
        }
        backoff = (backoff * 2).min(BACKOFF.1);
    }
}

fn unavailable(why: &str) -> PublishError {
    PublishError::Unavailable(why.to_owned())
}

impl Driver {
    /// After a connection ended: publishes without a RECEIPT fail (the
    /// consumer may still see the others).
    fn lost(&mut self, why: String) {
        self.status.send_modify(|s| s.connected = false);
        let _ = self.last_error.send(why.clone());
        self.receipts.clear();
        let gone: Vec<String> = self
            .pending
            .iter()
            .filter(|(_, p)| !p.receipted)
            .map(|(tag, _)| tag.clone())
            .collect();
        for tag in gone {
            if let Some(p) = self.pending.remove(&tag) {
                self.failed += 1;
                let _ = p.done.send(Err(PublishError::Unavailable(why.clone())));
            }
        }
        self.sync_status();
    }

    /// Subscribes and runs the connection until it fails: why.
    async fn serve(&mut self, mut link: Link) -> String {
        let c = &self.config;
        let offset = self
            .next_offset
            .map_or_else(|| "first".to_owned(), |n| format!("offset={n}"));
        let options = FrameOptions::default()
            .header("x-queue-type", "stream")
            .header("durable", "true")
            .header("auto-delete", "false")
            .header("x-max-length-bytes", c.max_bytes.to_string())
            .header(
                "x-stream-max-segment-size-bytes",
                c.segment_bytes.to_string(),
            )
            .header("prefetch-count", c.prefetch.to_string())
            .header("x-stream-offset", offset);
        let destination = format!("/queue/{}", c.url.stream);
        if let Err(e) = link
            .session()
            .subscribe_with(&destination, AckMode::Client, options)
        {
            return e.to_string();
        }
        let target = format!("/amq/queue/{}", c.url.stream);
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        loop {
            self.sync_status();
            if let Err(e) = link.flush().await {
                return e.to_string();
            }
            tokio::select! {
                pumped = link.pump() => {
                    if let Err(e) = pumped {
                        return e.to_string();
                    }
                    while let Some(event) = link.session().poll_event() {
                        if let Err(why) = self.on_event(&mut link, event) {
                            return why;
                        }
                    }
                }
                command = self.rx.recv() => {
                    let Some(command) = command else {
                        return "the hub was dropped".to_owned();
                    };
                    self.send(&mut link, &target, command);
                    // More that wait go in the same write.
                    while let Ok(command) = self.rx.try_recv() {
                        self.send(&mut link, &target, command);
                    }
                }
                _ = tick.tick() => self.expire(),
            }
        }
    }

    fn send(&mut self, link: &mut Link, target: &str, command: Command) {
        self.seq += 1;
        let tag = format!("{}-{}", self.node, self.seq);
        let mut options = FrameOptions::default()
            .receipt(true)
            .header(TAG, tag.clone())
            .header("content-type", "text/plain;charset=utf-8");
        if !command.topic.is_empty() {
            options = options.header(TOPIC, command.topic);
        }
        match link.session().send(target, command.data, options) {
            Ok(Some(receipt)) => {
                self.receipts.insert(receipt.0, tag.clone());
                self.pending.insert(
                    tag,
                    Pending {
                        done: command.done,
                        receipted: false,
                        seen: None,
                        deadline: Instant::now() + self.config.publish_timeout,
                    },
                );
            }
            Ok(None) => {
                self.failed += 1;
                let _ = command.done.send(Err(unavailable("no receipt asked")));
            }
            Err(e) => {
                self.failed += 1;
                let _ = command
                    .done
                    .send(Err(PublishError::Unavailable(e.to_string())));
            }
        }
    }

    fn on_event(&mut self, link: &mut Link, event: ClientEvent) -> Result<(), String> {
        match event {
            ClientEvent::Message(message) => {
                self.on_message(&message)?;
                link.session().ack(&message).map_err(|e| e.to_string())
            }
            ClientEvent::Receipt(receipt) => {
                if let Some(tag) = self.receipts.remove(&receipt.0)
                    && let Some(p) = self.pending.get_mut(&tag)
                {
                    p.receipted = true;
                    if p.seen.is_some() {
                        self.complete(&tag);
                    }
                }
                Ok(())
            }
            ClientEvent::Error(frame) => Err(format!(
                "ERROR from RabbitMQ: {}",
                frame.header("message").unwrap_or("no message")
            )),
            ClientEvent::Failed(e) => Err(e.to_string()),
            ClientEvent::HeartBeatTimeout => Err("heart-beat timeout".to_owned()),
            ClientEvent::Disconnected => Err("disconnected".to_owned()),
            _ => Ok(()),
        }
    }

    /// A message of the stream: into the hub at offset + 1.
    fn on_message(&mut self, message: &Message) -> Result<(), String> {
        let frame = &message.frame;
        let offset = frame
            .header("x-stream-offset")
            .and_then(|o| o.parse::<u64>().ok())
            .ok_or_else(|| {
                format!(
                    "a message without x-stream-offset: is {} a stream queue?",
                    self.config.url.stream
                )
            })?;
        if self.next_offset.is_some_and(|next| offset < next) {
            return Ok(()); // Seen already (a redelivery).
        }
        self.next_offset = Some(offset + 1);
        let id = MessageId(offset + 1);
        let outcome = match frame.header(TOPIC) {
            None => Ok(id),
            Some(topic) => match self.hub.ingest(topic, id, message.frame.body.clone()) {
                Ok(()) | Err(rtw_hub::Error::StaleId { .. }) => Ok(id),
                Err(e) => {
                    tracing::warn!(topic, id = id.get(), "message not taken by the hub: {e}");
                    Err(PublishError::Hub(e))
                }
            },
        };
        if let Some(tag) = frame.header(TAG)
            && let Some(p) = self.pending.get_mut(tag)
        {
            p.seen = Some(outcome);
            if p.receipted {
                let tag = tag.to_owned();
                self.complete(&tag);
            }
        }
        Ok(())
    }

    /// What [`super::RabbitHub::status`] and `/metrics` show.
    fn sync_status(&self) {
        let (next_offset, unconfirmed, failed) = (
            self.next_offset.unwrap_or(0),
            self.pending.len(),
            self.failed,
        );
        self.status.send_if_modified(|s| {
            let changed = (s.next_offset, s.unconfirmed, s.failed_publishes)
                != (next_offset, unconfirmed, failed);
            s.next_offset = next_offset;
            s.unconfirmed = unconfirmed;
            s.failed_publishes = failed;
            changed
        });
    }

    /// Answers the publish of `tag`. The status is brought up to date
    /// first, so that `/metrics` read after the answer already counts it.
    fn complete(&mut self, tag: &str) {
        if let Some(p) = self.pending.remove(tag) {
            self.sync_status();
            let outcome = p.seen.unwrap_or_else(|| Err(unavailable("not seen")));
            let _ = p.done.send(outcome);
        }
    }

    /// Publishes past their deadline fail.
    fn expire(&mut self) {
        let now = Instant::now();
        let late: Vec<String> = self
            .pending
            .iter()
            .filter(|(_, p)| p.deadline <= now)
            .map(|(tag, _)| tag.clone())
            .collect();
        for tag in late {
            if let Some(p) = self.pending.remove(&tag) {
                self.failed += 1;
                let why = format!("not confirmed within {:?}", self.config.publish_timeout);
                let _ = p.done.send(Err(PublishError::Unavailable(why)));
            }
        }
    }
}
