//! What the server does with each client message: `join` (with or without
//! `resume`), `leave`, and the forwarded kinds.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use serde_json::{Map, Value};

use super::Server;
use super::room::{Peer, Room, same_token};
use crate::wire::{self, Forward, Incoming};
use crate::{ConnectionId, Error, LeaveReason, ServerEvent};

/// Random bytes in a resume token: 128 bits, 22 base64url characters.
const TOKEN_BYTES: usize = 16;

impl Server {
    /// A message that passed the rate and size limits.
    pub(super) fn message(&mut self, connection: ConnectionId, text: &str) {
        let map = match wire::parse_object(text) {
            Ok(map) => map,
            Err((error, refused)) => return self.refuse(connection, &error, refused, None),
        };
        match wire::interpret(&map) {
            Ok(Incoming::Join { room, peer, resume }) => {
                self.join(connection, room, peer, resume);
            }
            Ok(Incoming::Leave) => self.leave(connection),
            Ok(Incoming::Forward { kind, to }) => self.forward(connection, text, &map, kind, to),
            Err((error, refused)) => self.refuse(connection, &error, refused, None),
        }
    }

    fn joined_as(&self, connection: ConnectionId) -> Option<&(String, String)> {
        self.connections.get(&connection)?.peer.as_ref()
    }

    fn new_token(&mut self) -> String {
        let mut bytes = [0u8; TOKEN_BYTES];
        self.random.fill_bytes(&mut bytes);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    fn join(
        &mut self,
        connection: ConnectionId,
        room_id: &str,
        peer_id: &str,
        resume: Option<&str>,
    ) {
        let refused = Some("join");
        if self.joined_as(connection).is_some() {
            return self.refuse(connection, &Error::AlreadyJoined, refused, None);
        }
        if !self.config.rooms.allows(room_id) {
            return self.refuse(connection, &Error::UnknownRoom, refused, None);
        }
        if let Some(token) = resume {
            return self.resume(connection, room_id, peer_id, token);
        }
        let limits = &self.config.limits;
        let error = match self.rooms.get(room_id) {
            Some(room) if room.position(peer_id).is_some() => Some(Error::PeerIdTaken),
            Some(room) if room.peers.len() >= limits.max_room_size => Some(Error::RoomFull),
            Some(_) => None,
            None if self.rooms.len() >= limits.max_rooms => Some(Error::ServerFull),
            None if limits.max_room_size == 0 => Some(Error::RoomFull),
            None => None,
        };
        let error = error.or((self.peers >= limits.max_peers).then_some(Error::ServerFull));
        if let Some(error) = error {
            return self.refuse(connection, &error, refused, None);
        }
        let token = self.new_token();
        let room = self.rooms.entry(room_id.to_owned()).or_default();
        let others: Vec<ConnectionId> = room.peers.iter().filter_map(|p| p.connection).collect();
        room.peers.push(Peer {
            id: peer_id.to_owned(),
            connection: Some(connection),
            token,
            away: None,
            queue: Default::default(),
        });
        self.peers += 1;
        self.attach(connection, room_id, peer_id, false);
        let text = wire::peer_joined(peer_id);
        for other in others {
            self.send(other, text.clone());
        }
    }

    /// `join` with `resume`: takes back a peer that is away, or whose
    /// connection is still open (that one is closed: the client came back
    /// before the server saw the old connection end).
    fn resume(&mut self, connection: ConnectionId, room_id: &str, peer_id: &str, token: &str) {
        let token_ok = self
            .rooms
            .get(room_id)
            .and_then(|room| room.peers.iter().find(|p| p.id == peer_id))
            .is_some_and(|peer| same_token(&peer.token, token));
        if !token_ok {
            return self.refuse(connection, &Error::BadResume, Some("join"), None);
        }
        let fresh = self.new_token();
        let Some(peer) = self
            .rooms
            .get_mut(room_id)
            .and_then(|room| room.peer_mut(peer_id))
        else {
            return;
        };
        peer.token = fresh;
        let old = peer.connection.replace(connection);
        if let Some(key) = peer.away.take() {
            self.away.remove(&key);
        }
        if let Some(old) = old {
            if let Some(conn) = self.connections.get_mut(&old) {
                conn.peer = None;
                conn.closing = true;
            }
            self.events.push_back(ServerEvent::Close {
                connection: old,
                code: 1000,
                reason: "resumed on another connection",
            });
        }
        self.attach(connection, room_id, peer_id, true);
    }

    /// Binds `connection` to the peer, sends `joined` and what was queued
    /// for the peer, and reports the join.
    fn attach(&mut self, connection: ConnectionId, room_id: &str, peer_id: &str, resumed: bool) {
        if let Some(conn) = self.connections.get_mut(&connection) {
            conn.peer = Some((room_id.to_owned(), peer_id.to_owned()));
        }
        let Some(room) = self.rooms.get_mut(room_id) else {
            return;
        };
        let Some(index) = room.position(peer_id) else {
            return;
        };
        let queued = std::mem::take(&mut room.peers[index].queue);
        self.queued_bytes -= queued.iter().map(Bytes::len).sum::<usize>();
        let room: &Room = room;
        let others: Vec<&str> = room
            .peers
            .iter()
            .filter(|p| p.id != peer_id)
            .map(|p| p.id.as_str())
            .collect();
        let ice = crate::ice::for_peer(&self.config.ice_servers, peer_id, self.unix_secs);
        let token = &room.peers[index].token;
        let text = wire::joined(room_id, peer_id, &others, token, resumed, &ice);
        self.send(connection, text);
        for text in queued {
            self.send(connection, text);
        }
        self.events.push_back(ServerEvent::Joined {
            connection,
            room: room_id.to_owned(),
            peer: peer_id.to_owned(),
            resumed,
        });
    }

    fn leave(&mut self, connection: ConnectionId) {
        let Some(conn) = self.connections.get_mut(&connection) else {
            return;
        };
        let Some((room_id, peer_id)) = conn.peer.take() else {
            return self.refuse(connection, &Error::NotJoined, Some("leave"), None);
        };
        self.remove_peer(&room_id, &peer_id, LeaveReason::Left);
    }

    fn forward(
        &mut self,
        connection: ConnectionId,
        text: &str,
        map: &Map<String, Value>,
        kind: Forward,
        to: Option<&str>,
    ) {
        let refused = Some(kind.as_str());
        let Some((room_id, from)) = self.joined_as(connection).cloned() else {
            return self.refuse(connection, &Error::NotJoined, refused, None);
        };
        let max_queued = self.config.limits.max_queued_while_away;
        let max_bytes = self.config.limits.max_queued_bytes;
        let Some(room) = self.rooms.get_mut(&room_id) else {
            return;
        };
        let from = from.as_str();
        if let Some(to) = to {
            if to == from || room.position(to).is_none() {
                let to = to.to_owned();
                return self.refuse(connection, &Error::UnknownPeer, refused, Some(&to));
            }
        }
        let out = wire::forwarded(text, map, from);
        let mut sends = Vec::new();
        for peer in room.peers.iter_mut() {
            if peer.id == from || to.is_some_and(|to| to != peer.id) {
                continue;
            }
            self.stats.messages_relayed += 1;
            match peer.connection {
                Some(c) => sends.push(c),
                None => {
                    if peer.queue.len() >= max_queued {
                        if let Some(oldest) = peer.queue.pop_front() {
                            self.queued_bytes -= oldest.len();
                        }
                        self.stats.messages_dropped += 1;
                    }
                    if max_queued == 0 {
                        continue;
                    }
                    if self.queued_bytes + out.len() > max_bytes {
                        self.stats.messages_dropped += 1;
                        continue;
                    }
                    self.queued_bytes += out.len();
                    peer.queue.push_back(out.clone());
                }
            }
        }
        for c in sends {
            self.send(c, out.clone());
        }
    }
}
