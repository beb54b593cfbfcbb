//! The Engine.IO client session, sans-IO: the handshake, the polling
//! requests to make, the upgrade to WebSocket and the heartbeat answers.
//!
//! The layer under it makes HTTP requests and WebSocket connections to
//! the server's Engine.IO path: what [`Client::poll_request`] asks (at
//! most one GET and one POST at a time), answered through
//! [`Client::handle_response`]; a WebSocket when [`Client::ws_query`]
//! gives a query, fed through [`Client::handle_ws_open`],
//! [`Client::handle_ws_message`] and [`Client::handle_ws_close`], written
//! from [`Client::poll_ws_transmit`].

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::error::{Error, Result};
use crate::packet::{Data, Message, Packet, PacketType};
use crate::payload::{Limits, decode_payload, encode_payload};
use crate::server::{CloseReason, Handshake, Method};

/// The transport a client starts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientTransport {
    /// HTTP long polling, upgraded to WebSocket when
    /// [`ClientConfig::upgrade`] and the server offers it.
    Polling,
    /// WebSocket only.
    WebSocket,
}

/// The client's settings.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ClientConfig {
    /// The transport of the handshake (polling).
    pub transport: ClientTransport,
    /// Whether to upgrade a polling session to WebSocket when the open
    /// packet lists `websocket` (`true`).
    pub upgrade: bool,
    /// Bounds on the payloads read from the server.
    pub limits: Limits,
}

impl Default for ClientConfig {
    fn default() -> ClientConfig {
        ClientConfig {
            transport: ClientTransport::Polling,
            upgrade: true,
            limits: Limits::default(),
        }
    }
}

impl ClientConfig {
    /// Sets `transport`: the transport of the handshake.
    #[must_use]
    pub fn transport(mut self, transport: ClientTransport) -> Self {
        self.transport = transport;
        self
    }

    /// Sets `upgrade`: whether to upgrade polling to WebSocket.
    #[must_use]
    pub fn upgrade(mut self, upgrade: bool) -> Self {
        self.upgrade = upgrade;
        self
    }

    /// Sets `limits`: bounds on the payloads read from the server.
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }
}

/// An HTTP request the client wants made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// GET (the handshake or a long poll) or POST (packets).
    pub method: Method,
    /// The query string, `EIO=4&transport=polling[&sid=SID]`.
    pub query: String,
    /// The POST body (`Content-Type: text/plain; charset=UTF-8`); empty
    /// for a GET.
    pub body: Bytes,
}

/// What happened to the client session.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientEvent {
    /// The handshake is done.
    Opened(Handshake),
    /// A message from the server.
    Message(Data),
    /// The session moved to WebSocket.
    Upgraded,
    /// The session ended ([`CloseReason::ServerClose`]: the server sent
    /// `1`; [`CloseReason::ClientClose`]: [`Client::close`];
    /// [`CloseReason::PingTimeout`]: no ping within `pingInterval` +
    /// `pingTimeout`). The layer drops its connections.
    Closed(CloseReason),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Handshake,
    Open,
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ws {
    /// No WebSocket wanted or opened yet.
    None,
    /// Asked through `ws_query`, not open yet.
    Requested,
    /// Open, `2probe` sent.
    Probing,
    /// `3probe` came: polling pauses until no request is out.
    Paused,
    /// The session's transport.
    Active,
}

/// One Engine.IO client session.
#[derive(Debug)]
pub struct Client {
    config: ClientConfig,
    state: State,
    ws: Ws,
    handshake: Option<Handshake>,
    get_out: bool,
    post_out: bool,
    outbox: VecDeque<Packet>,
    ws_out: VecDeque<Message>,
    events: VecDeque<ClientEvent>,
    deadline: Option<Instant>,
}

impl Client {
    /// A client before its handshake.
    pub fn new(config: ClientConfig) -> Client {
        Client {
            config,
            state: State::Handshake,
            ws: Ws::None,
            handshake: None,
            get_out: false,
            post_out: false,
            outbox: VecDeque::new(),
            ws_out: VecDeque::new(),
            events: VecDeque::new(),
            deadline: None,
        }
    }

    /// The handshake data, once open.
    pub fn handshake(&self) -> Option<&Handshake> {
        self.handshake.as_ref()
    }

    /// `true` once the session is on WebSocket.
    pub fn is_websocket(&self) -> bool {
        self.ws == Ws::Active
    }

    /// The next HTTP request to make, if any: the handshake GET, a long
    /// poll GET when none is out, a POST of queued packets when none is
    /// out (at most `maxPayload` bytes unless one packet is longer).
    pub fn poll_request(&mut self) -> Option<Request> {
        if self.config.transport != ClientTransport::Polling || self.ws == Ws::Active {
            return None;
        }
        if self.state == State::Closed {
            // Only what `close` left is to post: the packets sent before
            // it, then the close packet, once no POST is out (a server
            // refuses overlapping POSTs).
            if self.outbox.is_empty() || self.post_out {
                return None;
            }
            self.post_out = true;
            let packets: Vec<Packet> = self.outbox.drain(..).collect();
            return Some(self.request(Method::Post, encode_payload(&packets)));
        }
        if self.ws == Ws::Paused {
            return None;
        }
        if self.state == State::Handshake {
            if self.get_out {
                return None;
            }
            self.get_out = true;
            return Some(self.request(Method::Get, Bytes::new()));
        }
        if !self.post_out && !self.outbox.is_empty() {
            let max = self
                .handshake
                .as_ref()
                .map_or(usize::MAX, |h| h.max_payload as usize);
            let mut batch = Vec::new();
            let mut size = 0;
            while let Some(p) = self.outbox.front() {
                let len = p.data.len() + 1;
                if !batch.is_empty() && size + len > max {
                    break;
                }
                size += len + 1;
                batch.extend(self.outbox.pop_front());
            }
            self.post_out = true;
            return Some(self.request(Method::Post, encode_payload(&batch)));
        }
        if !self.get_out {
            self.get_out = true;
            return Some(self.request(Method::Get, Bytes::new()));
        }
        None
    }

    fn request(&self, method: Method, body: Bytes) -> Request {
        Request {
            method,
            query: self.query("polling"),
            body,
        }
    }

    fn query(&self, transport: &str) -> String {
        match &self.handshake {
            Some(h) => format!("EIO=4&transport={transport}&sid={}", h.sid),
            None => format!("EIO=4&transport={transport}"),
        }
    }

    /// The answer to a request of [`Client::poll_request`]: its method,
    /// HTTP status and body. A status other than 200 or a payload that
    /// does not parse ends the session ([`CloseReason::TransportError`]).
    pub fn handle_response(&mut self, now: Instant, method: Method, status: u16, body: &[u8]) {
        match method {
            Method::Post => self.post_out = false,
            _ => self.get_out = false,
        }
        if self.state == State::Closed {
            return;
        }
        if status != 200 {
            self.fail(Error::BadRequest(
                "the server answered with an error status",
            ));
            return;
        }
        if method == Method::Get {
            match decode_payload(body, &self.config.limits) {
                Ok(packets) => {
                    for p in packets {
                        self.handle_packet(now, p);
                    }
                }
                Err(e) => self.fail(e),
            }
        }
        self.try_finish_upgrade();
    }

    /// A request of [`Client::poll_request`] failed without an answer
    /// (connection refused or reset): the session ends with
    /// [`CloseReason::TransportClose`].
    pub fn handle_request_failed(&mut self, _now: Instant, method: Method) {
        match method {
            Method::Post => self.post_out = false,
            _ => self.get_out = false,
        }
        if self.ws == Ws::Active {
            return;
        }
        self.end(CloseReason::TransportClose);
    }

    /// The query of the WebSocket the client wants opened now
    /// (`EIO=4&transport=websocket[&sid=SID]`), once: at the start of a
    /// WebSocket-only session, or after a polling handshake that offers
    /// `websocket` when [`ClientConfig::upgrade`] is set.
    pub fn ws_query(&mut self) -> Option<String> {
        if self.ws != Ws::None || self.state == State::Closed {
            return None;
        }
        let wanted = match self.config.transport {
            ClientTransport::WebSocket => self.state == State::Handshake,
            ClientTransport::Polling => {
                self.state == State::Open
                    && self.config.upgrade
                    && self
                        .handshake
                        .as_ref()
                        .is_some_and(|h| h.upgrades.iter().any(|u| u == "websocket"))
            }
        };
        if !wanted {
            return None;
        }
        self.ws = Ws::Requested;
        Some(self.query("websocket"))
    }

    /// The WebSocket of [`Client::ws_query`] is open: a WebSocket-only
    /// session waits for the open packet; an upgrade sends `2probe`.
    pub fn handle_ws_open(&mut self, _now: Instant) {
        if self.ws != Ws::Requested || self.state == State::Closed {
            return;
        }
        if self.state == State::Handshake {
            self.ws = Ws::Active;
        } else {
            self.ws = Ws::Probing;
            self.ws_out
                .push_back(Packet::new(PacketType::Ping, "probe").to_ws());
        }
    }

    /// A message on the WebSocket.
    pub fn handle_ws_message(&mut self, now: Instant, message: Message) {
        if self.state == State::Closed {
            return;
        }
        let packet = match Packet::from_ws(message) {
            Ok(p) => p,
            Err(e) => return self.fail(e),
        };
        match self.ws {
            Ws::Probing => {
                if packet.kind == PacketType::Pong && packet.data == Data::Text("probe".into()) {
                    self.ws = Ws::Paused;
                    self.try_finish_upgrade();
                } else {
                    // Not the probe's answer: give up the upgrade.
                    self.ws = Ws::None;
                    self.config.upgrade = false;
                }
            }
            Ws::Active => self.handle_packet(now, packet),
            _ => {}
        }
    }

    /// The WebSocket closed: the session ends if it was on it
    /// ([`CloseReason::TransportClose`]); a failed probe leaves the
    /// session on polling.
    pub fn handle_ws_close(&mut self, _now: Instant) {
        match self.ws {
            Ws::Active => self.end(CloseReason::TransportClose),
            Ws::None => {}
            _ => {
                self.ws = Ws::None;
                self.config.upgrade = false;
            }
        }
    }

    /// The next message to write on the WebSocket.
    pub fn poll_ws_transmit(&mut self) -> Option<Message> {
        self.ws_out.pop_front()
    }

    /// Sends a message (or any packet) to the server: over the WebSocket,
    /// or in the next POST. Packets sent before the handshake wait for it.
    pub fn send(&mut self, packet: Packet) -> Result<()> {
        if packet.has_separator() {
            return Err(Error::RecordSeparator);
        }
        if self.state == State::Closed {
            return Err(Error::Closed);
        }
        self.out(packet);
        Ok(())
    }

    /// Closes the session: the packets sent and not yet written, then a
    /// close packet `1`, to the server (the layer makes the POST
    /// [`Client::poll_request`] still gives once the POST out, if any, is
    /// answered, or writes the WebSocket messages, then drops its
    /// connections) and [`ClientEvent::Closed`] with
    /// [`CloseReason::ClientClose`].
    pub fn close(&mut self) {
        if self.state == State::Closed {
            return;
        }
        let open = self.state == State::Open;
        let queued = std::mem::take(&mut self.outbox);
        self.end(CloseReason::ClientClose);
        if open {
            // Like engine.io-client, what was sent before `close` still
            // goes (a Socket.IO DISCONNECT, say).
            self.outbox = queued;
            self.out(Packet::control(PacketType::Close));
        }
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    /// When [`Client::handle_timeout`] must be called: `pingInterval` +
    /// `pingTimeout` after the open or the last ping.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.deadline
    }

    /// Ends the session with [`CloseReason::PingTimeout`] when the server
    /// has been silent past [`Client::poll_timeout`].
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.deadline.is_some_and(|d| d <= now) {
            self.end(CloseReason::PingTimeout);
        }
    }

    fn out(&mut self, packet: Packet) {
        if self.ws == Ws::Active && self.state != State::Handshake {
            self.ws_out.push_back(packet.to_ws());
        } else {
            self.outbox.push_back(packet);
        }
    }

    fn arm(&mut self, now: Instant) {
        if let Some(h) = &self.handshake {
            self.deadline =
                Some(now + Duration::from_millis(h.ping_interval.saturating_add(h.ping_timeout)));
        }
    }

    fn handle_packet(&mut self, now: Instant, packet: Packet) {
        if self.state == State::Closed {
            return;
        }
        if self.state == State::Handshake {
            let handshake = match packet.kind {
                PacketType::Open => match &packet.data {
                    Data::Text(t) => serde_json::from_str::<Handshake>(t).map_err(|_| {
                        Error::BadHandshake("the open packet is not the handshake JSON")
                    }),
                    Data::Binary(_) => Err(Error::BadHandshake("a binary open packet")),
                },
                _ => Err(Error::BadHandshake("the first packet is not open")),
            };
            match handshake {
                Ok(h) => {
                    self.state = State::Open;
                    self.handshake = Some(h.clone());
                    self.arm(now);
                    self.events.push_back(ClientEvent::Opened(h));
                    if self.ws == Ws::Active {
                        let waiting: Vec<Packet> = self.outbox.drain(..).collect();
                        self.ws_out.extend(waiting.iter().map(Packet::to_ws));
                    }
                }
                Err(e) => self.fail(e),
            }
            return;
        }
        match packet.kind {
            PacketType::Ping => {
                self.arm(now);
                self.out(Packet {
                    kind: PacketType::Pong,
                    data: packet.data,
                });
            }
            PacketType::Message => self.events.push_back(ClientEvent::Message(packet.data)),
            PacketType::Close => self.end(CloseReason::ServerClose),
            PacketType::Noop | PacketType::Pong => {}
            PacketType::Open | PacketType::Upgrade => {
                self.fail(Error::BadPacket("open or upgrade after the handshake"))
            }
        }
    }

    fn try_finish_upgrade(&mut self) {
        if self.ws != Ws::Paused || self.get_out || self.post_out || self.state != State::Open {
            return;
        }
        self.ws = Ws::Active;
        self.ws_out
            .push_back(Packet::control(PacketType::Upgrade).to_ws());
        let waiting: Vec<Packet> = self.outbox.drain(..).collect();
        self.ws_out.extend(waiting.iter().map(Packet::to_ws));
        self.events.push_back(ClientEvent::Upgraded);
    }

    fn fail(&mut self, e: Error) {
        self.end(CloseReason::TransportError(e));
    }

    fn end(&mut self, reason: CloseReason) {
        if self.state == State::Closed {
            return;
        }
        self.state = State::Closed;
        self.deadline = None;
        self.outbox.clear();
        self.events.push_back(ClientEvent::Closed(reason));
    }
}
