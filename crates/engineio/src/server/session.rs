//! A session's life inside the server: opened with its handshake, armed
//! for its next ping, fed packets, upgraded to WebSocket, closed.

use std::cmp::Reverse;
use std::collections::VecDeque;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::{Active, CloseReason, Server, ServerEvent, Session, Sid, WsId, WsTransmit};
use crate::error::{Error, Result};
use crate::packet::{Packet, PacketType};

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

impl Server {
    pub(super) fn open(&mut self, now: Instant, active: Active) -> Result<Sid> {
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
    pub(super) fn open_packet(&self, sid: Sid, upgradable: bool) -> Packet {
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

    pub(super) fn arm(&mut self, sid: Sid) {
        if let Some(at) = self.sessions.get(&sid).and_then(Session::deadline) {
            self.timers.push(Reverse((at, sid)));
        }
    }

    pub(super) fn handle_packet(&mut self, now: Instant, sid: Sid, packet: Packet) {
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

    pub(super) fn enqueue(&mut self, sid: Sid, packet: Packet) {
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

    pub(super) fn upgrade(&mut self, sid: Sid, conn: WsId) {
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

    pub(super) fn close_session(&mut self, now: Instant, sid: Sid, reason: CloseReason) {
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

    pub(super) fn remove(&mut self, sid: Sid) {
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
