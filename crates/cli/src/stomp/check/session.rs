//! What the scenarios of `rtw stomp check` share: connections opened as
//! the arguments say, and waits for what must come (or must not) with
//! every failure put in words.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rtw_tokio::stomp::{
    Client, ClientConfig, ClientEvent, FrameOptions, HeartBeat, Message, NegotiatedHeartBeat,
    ReceiptId, StompClient, Version,
};

use super::CheckArgs;

/// What a step of a scenario returns: the reason it failed.
pub(super) type Step<T> = Result<T, String>;

/// The run's settings and the tag that makes its destinations its own.
#[derive(Debug)]
pub(super) struct Checker {
    pub(super) url: String,
    config: ClientConfig,
    tls: Option<std::sync::Arc<rtw_tokio::tls::ClientConfig>>,
    pub(super) heart_beat: Duration,
    pub(super) wait: Duration,
    pub(super) quiet: Duration,
    tag: String,
}

impl Checker {
    pub(super) fn new(args: &CheckArgs) -> Result<Self, rtw_tokio::tls::TlsError> {
        let config = args.login.config().heart_beat(HeartBeat::NONE);
        let millis = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        Ok(Checker {
            url: args.url.clone(),
            config,
            tls: args.login.tls()?,
            heart_beat: Duration::from_millis(args.heart_beat),
            wait: Duration::from_millis(args.wait),
            quiet: Duration::from_millis(args.quiet),
            tag: format!("{}-{millis}", std::process::id()),
        })
    }

    /// `/queue/rtw-check-TAG-NAME` (or `/topic/...` for `kind` "topic").
    pub(super) fn destination(&self, kind: &str, name: &str) -> String {
        format!("/{kind}/rtw-check-{}-{name}", self.tag)
    }

    /// A session without heart-beats.
    pub(super) async fn open(&self) -> Step<Session> {
        self.open_with(HeartBeat::NONE).await
    }

    /// A session offering `heart_beat`.
    pub(super) async fn open_with(&self, heart_beat: HeartBeat) -> Step<Session> {
        let config = self.config.clone().heart_beat(heart_beat);
        let connect = StompClient::connect_tls(&self.url, config, self.tls.clone());
        let mut stomp = tokio::time::timeout(self.wait, connect)
            .await
            .map_err(|_| format!("no CONNECTED within {} ms", self.wait.as_millis()))?
            .map_err(|e| format!("connect: {e}"))?;
        // `connect` returned on CONNECTED, kept as the first event.
        let connected = stomp.next_event().await.map_err(|e| e.to_string())?;
        let ClientEvent::Connected {
            version,
            server,
            heart_beat,
            ..
        } = connected
        else {
            return Err(format!("the first event is not CONNECTED: {connected:?}"));
        };
        Ok(Session {
            stomp,
            wait: self.wait,
            version,
            server,
            heart_beat,
        })
    }

    /// Send `bodies` to `destination` on a connection of their own, the
    /// last with a receipt (so all were handled), then disconnect.
    pub(super) async fn publish(&self, destination: &str, bodies: &[String]) -> Step<()> {
        let mut session = self.open().await?;
        for (i, body) in bodies.iter().enumerate() {
            let options = FrameOptions::default().receipt(i + 1 == bodies.len());
            let receipt = session.call(|s| s.send(destination, body.clone(), options))?;
            if let Some(receipt) = receipt {
                session.receipt(receipt).await?;
            }
        }
        session.close().await;
        Ok(())
    }
}

/// `count` bodies `NAME 1`, `NAME 2`, ...
pub(super) fn bodies(name: &str, count: usize) -> Vec<String> {
    (1..=count).map(|i| format!("{name} {i}")).collect()
}

/// One connection of a scenario.
#[derive(Debug)]
pub(super) struct Session {
    pub(super) stomp: StompClient,
    wait: Duration,
    /// The version CONNECTED named.
    pub(super) version: Version,
    /// CONNECTED's `server` header.
    pub(super) server: Option<String>,
    /// The heart-beat intervals agreed.
    pub(super) heart_beat: NegotiatedHeartBeat,
}

impl Session {
    /// Call the sans-IO session, the refusal put in words.
    pub(super) fn call<T, E: std::fmt::Display>(
        &mut self,
        f: impl FnOnce(&mut Client) -> Result<T, E>,
    ) -> Step<T> {
        f(self.stomp.session()).map_err(|e| format!("the client refused the call: {e}"))
    }

    /// The next event within `within`: `None` when none came.
    async fn event_within(&mut self, within: Duration) -> Step<Option<ClientEvent>> {
        match tokio::time::timeout(within, self.stomp.next_event()).await {
            Err(_) => Ok(None),
            Ok(Ok(event)) => Ok(Some(event)),
            Ok(Err(e)) => Err(format!("the connection failed: {e}")),
        }
    }

    /// The next event, or why none came within the wait.
    pub(super) async fn event(&mut self) -> Step<ClientEvent> {
        self.event_within(self.wait)
            .await?
            .ok_or_else(|| format!("nothing came within {} ms", self.wait.as_millis()))
    }

    /// Wait for the RECEIPT of `id`; a MESSAGE meanwhile is a failure.
    pub(super) async fn receipt(&mut self, id: ReceiptId) -> Step<()> {
        loop {
            match self
                .event()
                .await
                .map_err(|e| format!("RECEIPT {id}: {e}"))?
            {
                ClientEvent::Receipt(got) if got == id => return Ok(()),
                ClientEvent::Receipt(_) => {}
                other => return Err(format!("waiting for RECEIPT {id}: {}", describe(&other))),
            }
        }
    }

    /// The next MESSAGE (receipts meanwhile are passed over).
    pub(super) async fn message(&mut self) -> Step<Message> {
        loop {
            match self.event().await.map_err(|e| format!("MESSAGE: {e}"))? {
                ClientEvent::Message(message) => return Ok(message),
                ClientEvent::Receipt(_) => {}
                other => return Err(format!("waiting for a MESSAGE: {}", describe(&other))),
            }
        }
    }

    /// The next messages, whose bodies must be `want` in order.
    pub(super) async fn messages(&mut self, want: &[String]) -> Step<Vec<Message>> {
        let mut got = Vec::with_capacity(want.len());
        for body in want {
            let message = self
                .message()
                .await
                .map_err(|e| format!("after {} of {} messages, {e}", got.len(), want.len()))?;
            let text = String::from_utf8_lossy(message.body());
            if text != body.as_str() {
                return Err(format!("expected the body {body:?}, got {text:?}"));
            }
            got.push(message);
        }
        Ok(got)
    }

    /// No MESSAGE for `quiet` (receipts are passed over).
    pub(super) async fn silence(&mut self, quiet: Duration, what: &str) -> Step<()> {
        let until = tokio::time::Instant::now() + quiet;
        loop {
            let left = until.saturating_duration_since(tokio::time::Instant::now());
            match self.event_within(left).await? {
                None => return Ok(()),
                Some(ClientEvent::Receipt(_)) => {}
                Some(ClientEvent::Message(m)) => {
                    return Err(format!(
                        "{what}, yet a MESSAGE came: {:?}",
                        String::from_utf8_lossy(m.body())
                    ));
                }
                Some(other) => return Err(format!("{what}: {}", describe(&other))),
            }
        }
    }

    /// DISCONNECT, and the session's events to its end: whether the
    /// RECEIPT came, or what came instead.
    pub(super) async fn disconnect(&mut self) -> Step<()> {
        let id = self.call(|s| s.disconnect())?;
        let mut receipt = false;
        loop {
            match self.event().await? {
                ClientEvent::Receipt(got) if got == id => receipt = true,
                ClientEvent::Disconnected if receipt => return Ok(()),
                ClientEvent::Disconnected => return Err("closed without the RECEIPT".into()),
                ClientEvent::Receipt(_) | ClientEvent::Message(_) => {}
                other => return Err(describe(&other)),
            }
        }
    }

    /// End the session, gracefully if the broker lets it (what scenarios
    /// other than `disconnect` need is only that it is over).
    pub(super) async fn close(mut self) {
        let _ = self.disconnect().await;
    }
}

/// An event in words, for a failure.
pub(super) fn describe(event: &ClientEvent) -> String {
    match event {
        ClientEvent::Error(frame) => format!(
            "ERROR from the broker: {}",
            frame.header("message").unwrap_or("(no message header)")
        ),
        ClientEvent::Failed(e) => format!("the session failed: {e}"),
        ClientEvent::HeartBeatTimeout => "the broker went silent (heart-beat timeout)".into(),
        ClientEvent::Disconnected => "the session ended".into(),
        ClientEvent::Message(m) => {
            format!("a MESSAGE: {:?}", String::from_utf8_lossy(m.body()))
        }
        ClientEvent::Receipt(id) => format!("RECEIPT {id}"),
        other => format!("{other:?}"),
    }
}
