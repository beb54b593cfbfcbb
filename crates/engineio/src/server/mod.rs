//! The Engine.IO server: every session of one endpoint, over HTTP long
//! polling and WebSocket, with the upgrade and the heartbeat. It opens no
//! socket and reads no clock; see the crate docs for the HTTP mapping.

mod config;
mod events;
mod http;
mod session;
mod sid;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::fmt;
use std::time::Instant;

use bytes::Bytes;
use rtw_core::Random;

use crate::error::{Error, Result};
use crate::packet::{Data, Message, Packet, PacketType};
use crate::payload::decode_payload;

pub use self::config::Config;
pub use self::events::{CloseReason, ServerEvent, ServerStats, WsId, WsTransmit};
use self::http::Transport;
pub use self::http::{
    CONTENT_TYPE_ERROR, CONTENT_TYPE_OK, CONTENT_TYPE_PAYLOAD, Method, Query, Response,
};
pub use self::session::Handshake;
pub use self::sid::Sid;

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
}
