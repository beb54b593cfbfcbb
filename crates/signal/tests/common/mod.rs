//! A server driven by hand in virtual time, with each connection's
//! received messages parsed as JSON.

#![allow(dead_code, unreachable_pub)]

use std::collections::HashMap;
use std::time::{Duration, Instant};

use rtw_signal::{Config, ConnectionId, SeededRandom, Server, ServerEvent};
use serde_json::{Value, json};

/// A server, the virtual clock, and what each connection received.
pub struct Harness {
    pub server: Server,
    pub now: Instant,
    pub inbox: HashMap<ConnectionId, Vec<Value>>,
    /// Received texts as sent, per connection.
    pub raw: HashMap<ConnectionId, Vec<String>>,
    pub events: Vec<ServerEvent>,
}

impl Harness {
    pub fn new(config: Config) -> Self {
        Harness {
            server: Server::new(config, Box::new(SeededRandom::new(15))),
            now: Instant::now(),
            inbox: HashMap::new(),
            raw: HashMap::new(),
            events: Vec::new(),
        }
    }

    pub fn connect(&mut self) -> ConnectionId {
        self.server.handle_connect(self.now)
    }

    /// Sends `text` from `connection` and collects the outcome.
    pub fn send(&mut self, connection: ConnectionId, text: &str) {
        self.server.handle_text(self.now, connection, text);
        self.drain();
    }

    pub fn send_json(&mut self, connection: ConnectionId, value: Value) {
        self.send(connection, &value.to_string());
    }

    /// A new connection that joined `room` as `peer`; its `joined` is
    /// taken out of its inbox and returned.
    pub fn join(&mut self, room: &str, peer: &str) -> (ConnectionId, Value) {
        let c = self.connect();
        self.send_json(c, json!({"type":"join","room":room,"peer":peer}));
        let joined = self.take(c).remove(0);
        assert_eq!(joined["type"], "joined", "{joined}");
        (c, joined)
    }

    pub fn disconnect(&mut self, connection: ConnectionId) {
        self.server.handle_disconnect(self.now, connection);
        self.drain();
    }

    /// Moves the clock forward, firing timers on the way.
    pub fn advance(&mut self, by: Duration) {
        let end = self.now + by;
        while let Some(at) = self.server.poll_timeout() {
            if at > end {
                break;
            }
            self.now = self.now.max(at);
            self.server.handle_timeout(self.now);
            self.drain();
        }
        self.now = end;
    }

    pub fn drain(&mut self) {
        while let Some(transmit) = self.server.poll_transmit() {
            let text = std::str::from_utf8(&transmit.text)
                .expect("UTF-8")
                .to_owned();
            let value: Value = serde_json::from_str(&text).expect("JSON");
            assert!(value.is_object() && value["type"].is_string(), "{text}");
            self.inbox
                .entry(transmit.connection)
                .or_default()
                .push(value);
            self.raw.entry(transmit.connection).or_default().push(text);
        }
        while let Some(event) = self.server.poll_event() {
            self.events.push(event);
        }
    }

    /// Everything `connection` received since the last take.
    pub fn take(&mut self, connection: ConnectionId) -> Vec<Value> {
        self.raw.remove(&connection);
        self.inbox.remove(&connection).unwrap_or_default()
    }

    /// The one message `connection` received since the last take.
    pub fn take_one(&mut self, connection: ConnectionId) -> Value {
        let mut got = self.take(connection);
        assert_eq!(got.len(), 1, "{got:?}");
        got.remove(0)
    }

    /// The code of the one error `connection` received.
    pub fn error_code(&mut self, connection: ConnectionId) -> String {
        let error = self.take_one(connection);
        assert_eq!(error["type"], "error", "{error}");
        assert!(error["message"].is_string());
        error["code"].as_str().unwrap().to_owned()
    }

    pub fn take_events(&mut self) -> Vec<ServerEvent> {
        std::mem::take(&mut self.events)
    }
}
