//! The signaling server, sans-IO: every room of one service in one state
//! machine.
//!
//! The driver accepts WebSocket connections and feeds the server what
//! happens on them: [`Server::handle_connect`], [`Server::handle_text`]
//! for each text message, [`Server::handle_disconnect`] when one ends,
//! [`Server::handle_timeout`] when [`Server::poll_timeout`] is due, and
//! [`Server::handle_wall_clock`] for TURN REST credential expiry. After
//! each call it drains [`Server::poll_transmit`] (text to send on a
//! connection) and [`Server::poll_event`] (joins, leaves, connections to
//! close).

mod messages;
mod room;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::Instant;

use bytes::Bytes;
use rtw_core::{Random, TokenBucket};

use self::room::Room;
use crate::{Config, ConnectionId, Error, LeaveReason, ServerEvent, ServerStats, ServerTransmit};

/// One WebSocket connection.
#[derive(Debug)]
struct Connection {
    bucket: TokenBucket,
    /// The room and peer it joined as.
    peer: Option<(String, String)>,
    /// Refusals by the rate limit since the last second without one.
    refused: u32,
    last_refused: Option<Instant>,
    /// When the last `rate-limited` error was sent (one per second).
    last_rate_error: Option<Instant>,
    /// A `Close` was asked for: what it sends is ignored.
    closing: bool,
}

/// A signaling server: rooms, their peers and the connections they came
/// on, driven by the calls of its driver (module docs).
pub struct Server {
    config: Config,
    random: Box<dyn Random + Send>,
    unix_secs: u64,
    next_connection: u64,
    connections: HashMap<ConnectionId, Connection>,
    rooms: HashMap<String, Room>,
    /// Peers over all rooms.
    peers: usize,
    /// Away peers by deadline: `(deadline, sequence)` to `(room, peer)`.
    away: BTreeMap<(Instant, u64), (String, String)>,
    next_away: u64,
    /// Bytes in the queues of away peers (`Limits::max_queued_bytes`).
    queued_bytes: usize,
    transmits: VecDeque<ServerTransmit>,
    events: VecDeque<ServerEvent>,
    stats: ServerStats,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("connections", &self.connections.len())
            .field("rooms", &self.rooms.len())
            .field("peers", &self.peers)
            .field("away", &self.away.len())
            .finish_non_exhaustive()
    }
}

impl Server {
    /// A server with `config`; `random` makes the `resume` tokens
    /// (`rtw_tokio::OsRandom` in production: they must not be guessable).
    pub fn new(config: Config, random: Box<dyn Random + Send>) -> Self {
        Server {
            config,
            random,
            unix_secs: 0,
            next_connection: 0,
            connections: HashMap::new(),
            rooms: HashMap::new(),
            peers: 0,
            away: BTreeMap::new(),
            next_away: 0,
            queued_bytes: 0,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            stats: ServerStats::default(),
        }
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// A WebSocket connection was accepted; the id names it from now on.
    /// Its rate limit starts with a full burst at `now`.
    pub fn handle_connect(&mut self, now: Instant) -> ConnectionId {
        self.next_connection += 1;
        let id = ConnectionId::new(self.next_connection);
        let connection = Connection {
            bucket: TokenBucket::new(
                now,
                u64::from(self.config.limits.messages_per_second),
                u64::from(self.config.limits.burst),
            ),
            peer: None,
            refused: 0,
            last_refused: None,
            last_rate_error: None,
            closing: false,
        };
        self.connections.insert(id, connection);
        id
    }

    /// One text message from `connection` (crate docs, "Wire protocol").
    /// Anything the message asks for, or the `error` refusing it, comes
    /// out of [`Server::poll_transmit`] and [`Server::poll_event`]. Text
    /// from an unknown, disconnected or closing connection is ignored.
    pub fn handle_text(&mut self, now: Instant, connection: ConnectionId, text: &str) {
        let limits = &self.config.limits;
        let Some(conn) = self.connections.get_mut(&connection) else {
            return;
        };
        if conn.closing {
            return;
        }
        if !conn.bucket.take(now, 1) {
            self.rate_limited(now, connection);
            return;
        }
        if text.len() > limits.max_message_size {
            self.refuse(connection, &Error::MessageTooLarge, None, None);
            return;
        }
        self.message(connection, text);
    }

    /// `connection` ended (closed, failed or timed out). Its peer, if it
    /// joined one, waits [`Config::reconnect_grace`] for a resume before
    /// it leaves its room with reason `closed`; with no grace it leaves
    /// now.
    pub fn handle_disconnect(&mut self, now: Instant, connection: ConnectionId) {
        let Some(conn) = self.connections.remove(&connection) else {
            return;
        };
        let Some((room_id, peer_id)) = conn.peer else {
            return;
        };
        if self.config.reconnect_grace.is_zero() {
            self.remove_peer(&room_id, &peer_id, LeaveReason::Closed);
            return;
        }
        let deadline = now + self.config.reconnect_grace;
        let key = (deadline, self.next_away);
        let Some(peer) = self
            .rooms
            .get_mut(&room_id)
            .and_then(|room| room.peer_mut(&peer_id))
        else {
            return;
        };
        self.next_away += 1;
        peer.connection = None;
        peer.away = Some(key);
        self.away.insert(key, (room_id, peer_id));
    }

    /// The Unix time in seconds, from which TURN REST credentials expire
    /// ([`IceCredentials::TurnRest`](crate::IceCredentials::TurnRest)).
    /// Cheap: call it before each [`Server::handle_text`] or once a
    /// second. Until it is called the time is 0, so such credentials
    /// would be expired.
    pub fn handle_wall_clock(&mut self, unix_secs: u64) {
        self.unix_secs = unix_secs;
    }

    /// Peers whose grace period has passed by `now` leave their rooms
    /// (`peer-left` with reason `closed`).
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(entry) = self.away.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let (room_id, peer_id) = entry.remove();
            if let Some(peer) = self
                .rooms
                .get_mut(&room_id)
                .and_then(|room| room.peer_mut(&peer_id))
            {
                peer.away = None;
            }
            self.remove_peer(&room_id, &peer_id, LeaveReason::Closed);
        }
    }

    /// When to call [`Server::handle_timeout`]: the earliest end of a
    /// grace period. Changed by [`Server::handle_disconnect`] (a peer goes
    /// away), [`Server::handle_text`] (a resume, a leave) and
    /// [`Server::handle_timeout`].
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.away.first_key_value().map(|(key, _)| key.0)
    }

    /// The next text to send, in the order it was made. Filled by
    /// [`Server::handle_text`] (answers, forwarded messages, presence),
    /// [`Server::handle_disconnect`] with no grace and
    /// [`Server::handle_timeout`] (presence).
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<ServerTransmit> {
        self.transmits.pop_front()
    }

    /// The next event. Filled by [`Server::handle_text`] (joins, leaves,
    /// closes), [`Server::handle_disconnect`] with no grace and
    /// [`Server::handle_timeout`] (leaves).
    #[must_use]
    pub fn poll_event(&mut self) -> Option<ServerEvent> {
        self.events.pop_front()
    }

    /// Counters and sizes now.
    pub fn stats(&self) -> ServerStats {
        ServerStats {
            connections: self.connections.len(),
            rooms: self.rooms.len(),
            peers: self.peers,
            away: self.away.len(),
            queued_bytes: self.queued_bytes,
            ..self.stats
        }
    }

    /// The peers of `room` in join order (empty for no such room).
    pub fn room_peers(&self, room: &str) -> Vec<&str> {
        self.rooms.get(room).map_or_else(Vec::new, |room| {
            room.peers.iter().map(|p| p.id.as_str()).collect()
        })
    }

    fn send(&mut self, connection: ConnectionId, text: Bytes) {
        self.transmits
            .push_back(ServerTransmit { connection, text });
    }

    fn refuse(
        &mut self,
        connection: ConnectionId,
        error: &Error,
        refused: Option<&'static str>,
        to: Option<&str>,
    ) {
        self.stats.errors += 1;
        let text = crate::wire::error(error, refused, to);
        self.send(connection, text);
    }

    /// A message over the rate: one `rate-limited` error per second at
    /// most, and `Close` 1008 for a connection that keeps on.
    fn rate_limited(&mut self, now: Instant, connection: ConnectionId) {
        let max = self.config.limits.max_rate_limited;
        let Some(conn) = self.connections.get_mut(&connection) else {
            return;
        };
        self.stats.rate_limited += 1;
        self.stats.errors += 1;
        let second = std::time::Duration::from_secs(1);
        if conn
            .last_refused
            .is_none_or(|t| now.saturating_duration_since(t) >= second)
        {
            conn.refused = 0;
        }
        conn.refused = conn.refused.saturating_add(1);
        conn.last_refused = Some(now);
        if conn.refused > max {
            conn.closing = true;
            self.events.push_back(ServerEvent::Close {
                connection,
                code: 1008,
                reason: "message rate exceeded",
            });
            return;
        }
        if conn
            .last_rate_error
            .is_none_or(|t| now.saturating_duration_since(t) >= second)
        {
            conn.last_rate_error = Some(now);
            let text = crate::wire::error(&Error::RateLimited, None, None);
            self.send(connection, text);
        }
    }

    /// Removes a peer from its room, tells the others, and removes the
    /// room when it is empty.
    fn remove_peer(&mut self, room_id: &str, peer_id: &str, reason: LeaveReason) {
        let Some(room) = self.rooms.get_mut(room_id) else {
            return;
        };
        let Some(index) = room.position(peer_id) else {
            return;
        };
        let peer = room.peers.remove(index);
        self.queued_bytes -= peer.queue.iter().map(Bytes::len).sum::<usize>();
        if let Some(key) = peer.away {
            self.away.remove(&key);
        }
        self.peers -= 1;
        let text = crate::wire::peer_left(peer_id, reason.as_str());
        let others: Vec<ConnectionId> = room.peers.iter().filter_map(|p| p.connection).collect();
        if room.peers.is_empty() {
            self.rooms.remove(room_id);
        }
        for other in others {
            self.send(other, text.clone());
        }
        self.events.push_back(ServerEvent::Left {
            room: room_id.to_owned(),
            peer: peer_id.to_owned(),
            reason,
        });
    }
}
