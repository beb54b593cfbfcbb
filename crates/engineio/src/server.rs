//! The Engine.IO server: every session of one endpoint, over HTTP long
//! polling and WebSocket, with the upgrade and the heartbeat. It opens no
//! socket and reads no clock; see the crate docs for the HTTP mapping.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::fmt;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rtw_core::Random;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::packet::{Data, Message, Packet, PacketType};
use crate::payload::{Limits, decode_payload, encode_payload};

/// The content type of a polling answer with packets.
pub const CONTENT_TYPE_PAYLOAD: &str = "text/plain; charset=UTF-8";
/// The content type of the `ok` answer to a POST (as the reference
/// server).
pub const CONTENT_TYPE_OK: &str = "text/html";
/// The content type of an error answer.
pub const CONTENT_TYPE_ERROR: &str = "application/json";

/// A session id: 20 characters of base64url (120 bits from the server's
/// [`Random`]).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sid([u8; 20]);

impl Sid {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// Reads a sid from text: exactly 20 characters of `[A-Za-z0-9_-]`.
    pub fn parse(text: &str) -> Option<Sid> {
        let bytes: [u8; 20] = text.as_bytes().try_into().ok()?;
        bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
            .then_some(Sid(bytes))
    }

    fn random(random: &mut dyn Random) -> Sid {
        use base64::Engine as _;
        let mut raw = [0u8; 15];
        random.fill_bytes(&mut raw);
        let mut out = [0u8; 20];
        let n = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode_slice(raw, &mut out)
            .unwrap_or_default();
        debug_assert_eq!(n, 20);
        Sid(out)
    }
}

impl fmt::Debug for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sid({})", self.as_str())
    }
}

impl fmt::Display for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The handshake data of the open packet (`0{...}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Handshake {
    /// The session id.
    pub sid: String,
    /// The transports the client may upgrade to (`["websocket"]` for a
    /// polling session when WebSocket is served, else `[]`).
    pub upgrades: Vec<String>,
    /// Milliseconds between the server's pings.
    pub ping_interval: u64,
    /// Milliseconds the server waits for a pong.
    pub ping_timeout: u64,
    /// The longest payload the server accepts, in bytes.
    pub max_payload: u64,
}

/// The server's settings.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// Time between pings (25 s by default, as the reference server).
    pub ping_interval: Duration,
    /// Time the client has to answer a ping with a pong (20 s).
    pub ping_timeout: Duration,
    /// Bounds on POST bodies: `max_payload` is the open packet's
    /// `maxPayload`.
    pub limits: Limits,
    /// Whether the polling transport is served (`true`).
    pub allow_polling: bool,
    /// Whether the WebSocket transport is served, both directly and as an
    /// upgrade (`true`).
    pub allow_websocket: bool,
    /// The most sessions at once (10,000); a handshake past it gets 403
    /// code 4.
    pub max_sessions: usize,
    /// The most bytes of data queued for a polling session that does not
    /// poll (1 MiB); [`Server::send`] then fails with [`Error::QueueFull`].
    pub max_queued_bytes: usize,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            ping_interval: Duration::from_millis(25_000),
            ping_timeout: Duration::from_millis(20_000),
            limits: Limits::default(),
            allow_polling: true,
            allow_websocket: true,
            max_sessions: 10_000,
            max_queued_bytes: 1 << 20,
        }
    }
}

impl Config {
    /// Sets `ping_interval`: time between pings.
    #[must_use]
    pub fn ping_interval(mut self, ping_interval: Duration) -> Self {
        self.ping_interval = ping_interval;
        self
    }

    /// Sets `ping_timeout`: time the client has to answer a ping.
    #[must_use]
    pub fn ping_timeout(mut self, ping_timeout: Duration) -> Self {
        self.ping_timeout = ping_timeout;
        self
    }

    /// Sets `limits`: bounds on POST bodies.
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Sets `allow_polling`: whether polling is served.
    #[must_use]
    pub fn allow_polling(mut self, allow_polling: bool) -> Self {
        self.allow_polling = allow_polling;
        self
    }

    /// Sets `allow_websocket`: whether WebSocket is served.
    #[must_use]
    pub fn allow_websocket(mut self, allow_websocket: bool) -> Self {
        self.allow_websocket = allow_websocket;
        self
    }

    /// Sets `max_sessions`: the most sessions at once.
    #[must_use]
    pub fn max_sessions(mut self, max_sessions: usize) -> Self {
        self.max_sessions = max_sessions;
        self
    }

    /// Sets `max_queued_bytes`: the most bytes queued for one polling session.
    #[must_use]
    pub fn max_queued_bytes(mut self, max_queued_bytes: usize) -> Self {
        self.max_queued_bytes = max_queued_bytes;
        self
    }
}

/// The HTTP method of a request, as far as Engine.IO tells them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET: the handshake or a long poll.
    Get,
    /// POST: packets from the client.
    Post,
    /// Any other method.
    Other,
}

impl Method {
    /// The method of its name (`"GET"`, `"POST"`, anything else).
    pub fn from_name(name: &str) -> Method {
        match name {
            "GET" => Method::Get,
            "POST" => Method::Post,
            _ => Method::Other,
        }
    }
}

/// The query parameters Engine.IO reads: `EIO`, `transport`, `sid`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// `EIO`, the protocol version (`"4"`).
    pub eio: Option<String>,
    /// `transport`: `"polling"` or `"websocket"`.
    pub transport: Option<String>,
    /// `sid`, absent on a handshake.
    pub sid: Option<String>,
}

impl Query {
    /// Reads the query string of a request URL (after `?`,
    /// `application/x-www-form-urlencoded`); other parameters (`t`, ...)
    /// are ignored and the first of a repeated one is kept.
    pub fn parse(query: &str) -> Query {
        let mut q = Query::default();
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            let slot = match &*k {
                "EIO" => &mut q.eio,
                "transport" => &mut q.transport,
                "sid" => &mut q.sid,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(v.into_owned());
            }
        }
        q
    }

    fn check(&self, config: &Config) -> Result<Transport> {
        if self.eio.as_deref() != Some("4") {
            return Err(Error::UnsupportedProtocolVersion);
        }
        match self.transport.as_deref() {
            Some("polling") if config.allow_polling => Ok(Transport::Polling),
            Some("websocket") if config.allow_websocket => Ok(Transport::WebSocket),
            _ => Err(Error::UnknownTransport),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transport {
    Polling,
    WebSocket,
}

/// The answer to an HTTP request, for the HTTP layer to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// 200 with a body: a payload of packets
    /// ([`CONTENT_TYPE_PAYLOAD`]), or `ok` to a POST ([`CONTENT_TYPE_OK`]).
    Ok {
        /// The body.
        body: Bytes,
        /// The `Content-Type`.
        content_type: &'static str,
    },
    /// A GET with nothing to send yet: hold it until
    /// [`ServerEvent::PollReady`] for this sid, then answer with
    /// [`Server::take_poll`].
    Wait(Sid),
    /// An error answer: [`Error::http_status`], [`Error::http_body`],
    /// [`CONTENT_TYPE_ERROR`].
    Error(Error),
}

impl Response {
    /// The HTTP status: 200, or the error's (400, 403, 413); `None` for
    /// [`Response::Wait`].
    pub fn status(&self) -> Option<u16> {
        match self {
            Response::Ok { .. } => Some(200),
            Response::Wait(_) => None,
            Response::Error(e) => Some(e.http_status()),
        }
    }

    /// The body; empty for [`Response::Wait`].
    pub fn body(&self) -> Bytes {
        match self {
            Response::Ok { body, .. } => body.clone(),
            Response::Wait(_) => Bytes::new(),
            Response::Error(e) => Bytes::from(e.http_body()),
        }
    }

    /// The `Content-Type`; empty for [`Response::Wait`].
    pub fn content_type(&self) -> &'static str {
        match self {
            Response::Ok { content_type, .. } => content_type,
            Response::Wait(_) => "",
            Response::Error(_) => CONTENT_TYPE_ERROR,
        }
    }

    fn payload(packets: &[Packet]) -> Response {
        Response::Ok {
            body: encode_payload(packets),
            content_type: CONTENT_TYPE_PAYLOAD,
        }
    }
}

/// A WebSocket connection of the server, numbered in order of
/// [`Server::handle_ws_open`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WsId(pub u64);

/// Something to do on a WebSocket connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WsTransmit {
    /// Send this message.
    Send {
        /// The connection.
        conn: WsId,
        /// The message.
        message: Message,
    },
    /// Close the connection (after what was sent before).
    Close {
        /// The connection.
        conn: WsId,
    },
}

/// Why a session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// No pong within `ping_timeout` of a ping.
    PingTimeout,
    /// The WebSocket of the session closed, or the HTTP layer reported a
    /// held GET gone ([`Server::handle_poll_aborted`]).
    TransportClose,
    /// The client broke the protocol (a bad payload, a second GET, an
    /// unexpected packet); the error says how.
    TransportError(Error),
    /// [`Server::close`].
    ServerClose,
    /// The client sent a close packet (`1`).
    ClientClose,
}

/// What happened to the server's sessions.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerEvent {
    /// A session was opened (handshake over polling or WebSocket).
    Opened(Sid),
    /// A message from the client.
    Message(Sid, Data),
    /// The session moved from polling to WebSocket.
    Upgraded(Sid),
    /// The GET held for this session can be answered now: call
    /// [`Server::take_poll`].
    PollReady(Sid),
    /// The session ended; it is the last event for this sid.
    Closed(Sid, CloseReason),
}

/// Counts of the server's sessions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServerStats {
    /// Open sessions (closing ones included).
    pub sessions: usize,
    /// Sessions on WebSocket.
    pub websocket: usize,
}

#[derive(Debug)]
enum Active {
    Polling { held: bool },
    WebSocket(WsId),
}

#[derive(Debug)]
struct Session {
    active: Active,
    /// A WebSocket being probed for the upgrade, and whether `2probe` came.
    probe: Option<(WsId, bool)>,
    /// Packets waiting for the next GET (polling only).
    queue: VecDeque<Packet>,
    queued_bytes: usize,
    next_ping: Option<Instant>,
    pong_deadline: Option<Instant>,
    /// Set once closed: the session only waits to deliver its close
    /// packet to a GET, until this instant.
    closing: Option<Instant>,
    /// A GET still held when the session moved to WebSocket: answered
    /// with a noop by [`Server::take_poll`].
    stale_get: bool,
}

impl Session {
    fn deadline(&self) -> Option<Instant> {
        if let Some(at) = self.closing {
            return Some(at);
        }
        match (self.next_ping, self.pong_deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// The Engine.IO server: all sessions of one endpoint.
pub struct Server {
    config: Config,
    random: Box<dyn Random + Send>,
    sessions: HashMap<Sid, Session>,
    ws: HashMap<WsId, Sid>,
    next_ws: u64,
    timers: BinaryHeap<Reverse<(Instant, Sid)>>,
    events: VecDeque<ServerEvent>,
    transmits: VecDeque<WsTransmit>,
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("config", &self.config)
            .field("sessions", &self.sessions.len())
            .finish_non_exhaustive()
    }
}

impl Server {
    /// A server with no session; session ids come from `random`.
    pub fn new(config: Config, random: Box<dyn Random + Send>) -> Server {
        Server {
            config,
            random,
            sessions: HashMap::new(),
            ws: HashMap::new(),
            next_ws: 0,
            timers: BinaryHeap::new(),
            events: VecDeque::new(),
            transmits: VecDeque::new(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Counts of sessions.
    pub fn stats(&self) -> ServerStats {
        ServerStats {
            sessions: self.sessions.len(),
            websocket: self
                .sessions
                .values()
                .filter(|s| matches!(s.active, Active::WebSocket(_)))
                .count(),
        }
    }

    /// Handles an HTTP request of the polling transport (not a WebSocket
    /// handshake: see [`Server::handle_ws_open`]). `body` is the POST
    /// body, already bounded by the HTTP layer to `max_payload` + 1 bytes
    /// at most.
    pub fn handle_request(
        &mut self,
        now: Instant,
        method: Method,
        query: &Query,
        body: Bytes,
    ) -> Response {
        match self.request(now, method, query, body) {
            Ok(r) => r,
            Err(e) => Response::Error(e),
        }
    }

    fn request(
        &mut self,
        now: Instant,
        method: Method,
        query: &Query,
        body: Bytes,
    ) -> Result<Response> {
        let transport = query.check(&self.config)?;
        let Some(sid) = &query.sid else {
            if method != Method::Get {
                return Err(Error::BadHandshakeMethod);
            }
            if transport != Transport::Polling {
                return Err(Error::BadRequest("a WebSocket handshake needs an upgrade"));
            }
            let sid = self.open(now, Active::Polling { held: false })?;
            let open = self.open_packet(sid, self.config.allow_websocket);
            return Ok(Response::payload(&[open]));
        };
        let sid = Sid::parse(sid).ok_or(Error::UnknownSid)?;
        let session = self.sessions.get_mut(&sid).ok_or(Error::UnknownSid)?;
        if transport != Transport::Polling {
            return Err(Error::BadRequest("a WebSocket request without an upgrade"));
        }
        let Active::Polling { held } = &mut session.active else {
            return Err(Error::BadRequest("the session is upgraded to WebSocket"));
        };
        match method {
            Method::Get => {
                if *held {
                    let e = Error::BadRequest("a second GET while one is held");
                    self.close_session(now, sid, CloseReason::TransportError(e.clone()));
                    return Err(e);
                }
                if session.queue.is_empty() {
                    // Probed (`3probe` sent): the client pauses polling as
                    // soon as `3probe` comes, and a GET it sent before
                    // that would otherwise be held until the next ping,
                    // stalling the upgrade; it gets a noop at once.
                    if matches!(session.probe, Some((_, true))) {
                        return Ok(Response::payload(&[Packet::control(PacketType::Noop)]));
                    }
                    *held = true;
                    return Ok(Response::Wait(sid));
                }
                Ok(self.drain(now, sid))
            }
            Method::Post => {
                if session.closing.is_some() {
                    return Err(Error::UnknownSid);
                }
                let packets = match decode_payload(&body, &self.config.limits) {
                    Ok(p) => p,
                    Err(e) => {
                        self.close_session(now, sid, CloseReason::TransportError(e.clone()));
                        return Err(e);
                    }
                };
                for p in packets {
                    if !self.sessions.contains_key(&sid) {
                        break;
                    }
                    self.handle_packet(now, sid, p);
                }
                Ok(Response::Ok {
                    body: Bytes::from_static(b"ok"),
                    content_type: CONTENT_TYPE_OK,
                })
            }
            Method::Other => Err(Error::BadRequest("a method other than GET or POST")),
        }
    }

    /// Answers the GET held for `sid` after [`ServerEvent::PollReady`]:
    /// the queued packets (a closing session's close packet, then the
    /// session is gone). `None` when no GET is held or nothing is queued.
    pub fn take_poll(&mut self, now: Instant, sid: Sid) -> Option<Response> {
        let session = self.sessions.get_mut(&sid)?;
        if session.stale_get {
            session.stale_get = false;
            return Some(Response::payload(&[Packet::control(PacketType::Noop)]));
        }
        match &mut session.active {
            Active::Polling { held } if *held && !session.queue.is_empty() => {
                *held = false;
                Some(self.drain(now, sid))
            }
            _ => None,
        }
    }

    /// The HTTP layer lost the GET it held for `sid` (the client went
    /// away): the session closes with [`CloseReason::TransportClose`], as
    /// the reference server does.
    pub fn handle_poll_aborted(&mut self, now: Instant, sid: Sid) {
        if let Some(s) = self.sessions.get_mut(&sid)
            && s.stale_get
        {
            s.stale_get = false;
            return;
        }
        if let Some(s) = self.sessions.get_mut(&sid)
            && let Active::Polling { held } = &mut s.active
            && *held
        {
            *held = false;
            if s.closing.is_some() {
                self.remove(sid);
            } else {
                self.close_session(now, sid, CloseReason::TransportClose);
            }
        }
    }

    fn drain(&mut self, _now: Instant, sid: Sid) -> Response {
        let Some(s) = self.sessions.get_mut(&sid) else {
            return Response::Error(Error::UnknownSid);
        };
        let packets: Vec<Packet> = s.queue.drain(..).collect();
        s.queued_bytes = 0;
        if s.closing.is_some() {
            self.remove(sid);
        }
        Response::payload(&packets)
    }

    /// A WebSocket request came (`GET ?EIO=4&transport=websocket`, with
    /// `sid` to upgrade a polling session): on `Ok` the HTTP layer
    /// completes the WebSocket handshake and feeds the connection's
    /// messages with this id; on `Err` it answers with the error instead.
    /// A new session sends its open packet at once ([`Server::poll_ws_transmit`]).
    pub fn handle_ws_open(&mut self, now: Instant, query: &Query) -> Result<WsId> {
        if query.check(&self.config)? != Transport::WebSocket {
            return Err(Error::BadRequest("not a WebSocket request"));
        }
        let conn = WsId(self.next_ws);
        match &query.sid {
            None => {
                let sid = self.open(now, Active::WebSocket(conn))?;
                // Already on WebSocket: no transport to upgrade to.
                let open = self.open_packet(sid, false);
                self.next_ws += 1;
                self.ws.insert(conn, sid);
                self.transmits.push_back(WsTransmit::Send {
                    conn,
                    message: open.to_ws(),
                });
            }
            Some(sid) => {
                let sid = Sid::parse(sid).ok_or(Error::UnknownSid)?;
                let s = self.sessions.get_mut(&sid).ok_or(Error::UnknownSid)?;
                if s.closing.is_some() {
                    return Err(Error::UnknownSid);
                }
                if !matches!(s.active, Active::Polling { .. }) || s.probe.is_some() {
                    return Err(Error::BadRequest("the session is upgrading or upgraded"));
                }
                s.probe = Some((conn, false));
                self.next_ws += 1;
                self.ws.insert(conn, sid);
            }
        }
        Ok(conn)
    }

    /// A message on a WebSocket connection.
    pub fn handle_ws_message(&mut self, now: Instant, conn: WsId, message: Message) {
        let Some(&sid) = self.ws.get(&conn) else {
            return;
        };
        let Some(s) = self.sessions.get_mut(&sid) else {
            self.ws.remove(&conn);
            return;
        };
        let packet = Packet::from_ws(message);
        if let Some((probe, probed)) = s.probe
            && probe == conn
        {
            match packet {
                Ok(p) if p.kind == PacketType::Ping && p.data == Data::Text("probe".into()) => {
                    s.probe = Some((conn, true));
                    self.transmits.push_back(WsTransmit::Send {
                        conn,
                        message: Packet::new(PacketType::Pong, "probe").to_ws(),
                    });
                    self.enqueue(sid, Packet::control(PacketType::Noop));
                }
                Ok(p) if p.kind == PacketType::Upgrade && probed => self.upgrade(sid, conn),
                _ => {
                    s.probe = None;
                    self.ws.remove(&conn);
                    self.transmits.push_back(WsTransmit::Close { conn });
                }
            }
            return;
        }
        match packet {
            Ok(p) => self.handle_packet(now, sid, p),
            Err(e) => self.close_session(now, sid, CloseReason::TransportError(e)),
        }
    }

    /// A WebSocket connection closed (either side). The session on it
    /// ends with [`CloseReason::TransportClose`]; a probe that did not
    /// finish leaves the session on polling.
    pub fn handle_ws_close(&mut self, now: Instant, conn: WsId) {
        let Some(sid) = self.ws.remove(&conn) else {
            return;
        };
        let Some(s) = self.sessions.get_mut(&sid) else {
            return;
        };
        if matches!(s.probe, Some((p, _)) if p == conn) {
            s.probe = None;
        } else if matches!(s.active, Active::WebSocket(c) if c == conn) {
            self.close_session(now, sid, CloseReason::TransportClose);
        }
    }

    /// The next message to send or connection to close on a WebSocket.
    pub fn poll_ws_transmit(&mut self) -> Option<WsTransmit> {
        self.transmits.pop_front()
    }

    /// Sends a message to a session (a [`Packet::message`] or
    /// [`Packet::binary`]; any packet type is accepted, for the layer
    /// above's own needs). Text with the record separator is refused
    /// ([`Error::RecordSeparator`]), as is a polling session with
    /// `max_queued_bytes` waiting.
    pub fn send(&mut self, sid: Sid, packet: Packet) -> Result<()> {
        if packet.has_separator() {
            return Err(Error::RecordSeparator);
        }
        let s = self.sessions.get(&sid).ok_or(Error::Closed)?;
        if s.closing.is_some() {
            return Err(Error::Closed);
        }
        if matches!(s.active, Active::Polling { .. })
            && s.queued_bytes + packet.data.len() > self.config.max_queued_bytes
        {
            return Err(Error::QueueFull);
        }
        self.enqueue(sid, packet);
        Ok(())
    }

    /// Closes a session: a close packet goes to the client (over
    /// WebSocket, then the connection closes; over polling, in the next
    /// GET, for at most `ping_timeout`), and [`ServerEvent::Closed`] with
    /// [`CloseReason::ServerClose`] comes at once.
    pub fn close(&mut self, now: Instant, sid: Sid) {
        self.close_session(now, sid, CloseReason::ServerClose);
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<ServerEvent> {
        self.events.pop_front()
    }

    /// When [`Server::handle_timeout`] must be called next: the earliest
    /// ping, ping timeout or end of a closing session.
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        while let Some(&Reverse((at, sid))) = self.timers.peek() {
            match self.sessions.get(&sid) {
                Some(s) if s.deadline() == Some(at) => return Some(at),
                _ => {
                    self.timers.pop();
                }
            }
        }
        None
    }

    /// Sends the pings that are due and closes the sessions whose pong is
    /// late ([`CloseReason::PingTimeout`]) or whose close packet was never
    /// fetched.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(&Reverse((at, sid))) = self.timers.peek() {
            if at > now {
                break;
            }
            self.timers.pop();
            let Some(s) = self.sessions.get_mut(&sid) else {
                continue;
            };
            if s.deadline() != Some(at) {
                continue;
            }
            if let Some(end) = s.closing {
                if end <= now {
                    self.remove(sid);
                }
                continue;
            }
            if s.pong_deadline.is_some_and(|d| d <= now) {
                self.close_session(now, sid, CloseReason::PingTimeout);
                continue;
            }
            if s.next_ping.is_some_and(|p| p <= now) {
                s.next_ping = None;
                s.pong_deadline = Some(now + self.config.ping_timeout);
                self.enqueue(sid, Packet::control(PacketType::Ping));
                self.arm(sid);
            }
        }
    }

    fn open(&mut self, now: Instant, active: Active) -> Result<Sid> {
        if self.sessions.len() >= self.config.max_sessions {
            return Err(Error::ServerFull);
        }
        let mut sid = Sid::random(&mut *self.random);
        while self.sessions.contains_key(&sid) {
            sid = Sid::random(&mut *self.random);
        }
        self.sessions.insert(
            sid,
            Session {
                active,
                probe: None,
                queue: VecDeque::new(),
                queued_bytes: 0,
                next_ping: Some(now + self.config.ping_interval),
                pong_deadline: None,
                closing: None,
                stale_get: false,
            },
        );
        self.arm(sid);
        self.events.push_back(ServerEvent::Opened(sid));
        Ok(sid)
    }

    /// The open packet of a new session; `upgradable`: whether it may
    /// upgrade to WebSocket (a polling session on a server that serves it).
    fn open_packet(&self, sid: Sid, upgradable: bool) -> Packet {
        let handshake = Handshake {
            sid: sid.to_string(),
            upgrades: if upgradable {
                vec!["websocket".into()]
            } else {
                Vec::new()
            },
            ping_interval: self.config.ping_interval.as_millis() as u64,
            ping_timeout: self.config.ping_timeout.as_millis() as u64,
            max_payload: self.config.limits.max_payload as u64,
        };
        Packet::new(
            PacketType::Open,
            serde_json::to_string(&handshake).unwrap_or_default(),
        )
    }

    fn arm(&mut self, sid: Sid) {
        if let Some(at) = self.sessions.get(&sid).and_then(Session::deadline) {
            self.timers.push(Reverse((at, sid)));
        }
    }

    fn handle_packet(&mut self, now: Instant, sid: Sid, packet: Packet) {
        let Some(s) = self.sessions.get_mut(&sid) else {
            return;
        };
        if s.closing.is_some() {
            return;
        }
        match packet.kind {
            PacketType::Pong => {
                if s.pong_deadline.take().is_some() {
                    s.next_ping = Some(now + self.config.ping_interval);
                    self.arm(sid);
                }
            }
            PacketType::Message => self
                .events
                .push_back(ServerEvent::Message(sid, packet.data)),
            PacketType::Close => self.close_session(now, sid, CloseReason::ClientClose),
            PacketType::Ping => {
                let pong = Packet {
                    kind: PacketType::Pong,
                    data: packet.data,
                };
                self.enqueue(sid, pong);
            }
            PacketType::Noop => {}
            PacketType::Open | PacketType::Upgrade => self.close_session(
                now,
                sid,
                CloseReason::TransportError(Error::BadPacket("open or upgrade from the client")),
            ),
        }
    }

    fn enqueue(&mut self, sid: Sid, packet: Packet) {
        let Some(s) = self.sessions.get_mut(&sid) else {
            return;
        };
        match s.active {
            Active::WebSocket(conn) => self.transmits.push_back(WsTransmit::Send {
                conn,
                message: packet.to_ws(),
            }),
            Active::Polling { held } => {
                let was_empty = s.queue.is_empty();
                s.queued_bytes += packet.data.len();
                s.queue.push_back(packet);
                if held && was_empty {
                    self.events.push_back(ServerEvent::PollReady(sid));
                }
            }
        }
    }

    fn upgrade(&mut self, sid: Sid, conn: WsId) {
        let Some(s) = self.sessions.get_mut(&sid) else {
            return;
        };
        s.probe = None;
        let Active::Polling { held } = s.active else {
            return;
        };
        s.active = Active::WebSocket(conn);
        let waiting: Vec<Packet> = s.queue.drain(..).collect();
        s.queued_bytes = 0;
        if held {
            // A GET still held (the layer had not taken the probe's noop
            // yet) is answered with a noop.
            s.stale_get = true;
            self.events.push_back(ServerEvent::PollReady(sid));
        }
        for p in waiting.into_iter().filter(|p| p.kind != PacketType::Noop) {
            self.transmits.push_back(WsTransmit::Send {
                conn,
                message: p.to_ws(),
            });
        }
        self.events.push_back(ServerEvent::Upgraded(sid));
    }

    fn close_session(&mut self, now: Instant, sid: Sid, reason: CloseReason) {
        let Some(s) = self.sessions.get_mut(&sid) else {
            return;
        };
        if s.closing.is_some() {
            return;
        }
        if let Some((probe, _)) = s.probe.take() {
            self.ws.remove(&probe);
            self.transmits.push_back(WsTransmit::Close { conn: probe });
        }
        match s.active {
            Active::WebSocket(conn) => {
                if reason == CloseReason::ServerClose {
                    self.transmits.push_back(WsTransmit::Send {
                        conn,
                        message: Packet::control(PacketType::Close).to_ws(),
                    });
                }
                if reason != CloseReason::TransportClose {
                    self.transmits.push_back(WsTransmit::Close { conn });
                }
                self.ws.remove(&conn);
                self.sessions.remove(&sid);
            }
            Active::Polling { held } => {
                s.queue.clear();
                s.queued_bytes = 0;
                s.queue.push_back(Packet::control(PacketType::Close));
                s.closing = Some(now + self.config.ping_timeout);
                if held {
                    self.events.push_back(ServerEvent::PollReady(sid));
                }
                self.arm(sid);
            }
        }
        self.events.push_back(ServerEvent::Closed(sid, reason));
    }

    fn remove(&mut self, sid: Sid) {
        if let Some(s) = self.sessions.remove(&sid) {
            if let Some((probe, _)) = s.probe {
                self.ws.remove(&probe);
            }
            if let Active::WebSocket(conn) = s.active {
                self.ws.remove(&conn);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sids_are_20_url_safe_characters() {
        let mut r = rtw_core::SeededRandom::new(1);
        let sid = Sid::random(&mut r);
        assert_eq!(sid.as_str().len(), 20);
        assert_eq!(Sid::parse(sid.as_str()), Some(sid));
        assert_eq!(Sid::parse("short"), None);
        assert_eq!(Sid::parse("aaaaaaaaaaaaaaaaaaa/"), None);
    }

    #[test]
    fn query_parsing() {
        let q = Query::parse("EIO=4&transport=polling&t=N8hyd6w&sid=abc%2Dd");
        assert_eq!(q.eio.as_deref(), Some("4"));
        assert_eq!(q.transport.as_deref(), Some("polling"));
        assert_eq!(q.sid.as_deref(), Some("abc-d"));
    }
}
