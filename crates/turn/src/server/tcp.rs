//! TCP allocations (RFC 6062): Connect, ConnectionAttempt and
//! ConnectionBind. The driver owns the TCP sockets; the server decides
//! which connections exist and when a client's data connection is spliced
//! to a peer connection.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rtw_stun::attributes::{ConnectionId as ConnectionIdAttr, XorPeerAddress};
use rtw_stun::{Class, Message, MessageBuilder, MessageType, Method};

use super::auth::Authenticated;
use super::policy::Verdict;
use super::requests::indication_id;
use super::respond::Response;
use super::{ConnectionId, FiveTuple, RelayProtocol, Server, ServerEvent, Timer};

/// How long a peer connection waits for its ConnectionBind, and a Connect
/// for the driver's answer (RFC 6062 §5.2, §5.3: 30 seconds).
const BIND_TIMEOUT: Duration = Duration::from_secs(30);

/// A TCP connection between a relayed address and a peer.
pub(super) struct PeerConnection {
    allocation: u64,
    peer: SocketAddr,
    state: PeerState,
    expires: Instant,
}

enum PeerState {
    /// Connect sent to the driver; the request is answered when it reports.
    Connecting {
        control: FiveTuple,
        request: Bytes,
        auth: Authenticated,
    },
    /// Established, waiting for the client's ConnectionBind.
    Waiting,
    /// Spliced to a data connection: the driver copies bytes.
    Bound,
}

impl Server {
    /// Connect (RFC 6062 §5.2).
    pub(super) fn connect(&mut self, now: Instant, five_tuple: FiveTuple, msg: &Message<'_>) {
        let Some(auth) = self.authenticate(now, five_tuple, msg) else {
            return;
        };
        let checked = self.check_connect(five_tuple, msg, &auth);
        let (id, relayed, peer) = match checked {
            Ok(found) => found,
            Err(refusal) => return self.refuse(five_tuple, msg, refusal, &auth),
        };
        let state = PeerState::Connecting {
            control: five_tuple,
            request: Bytes::copy_from_slice(msg.as_bytes()),
            auth,
        };
        let connection = self.add_peer_connection(now, id, peer, state);
        self.events.push_back(ServerEvent::ConnectPeer {
            connection,
            relayed,
            peer,
        });
    }

    fn check_connect(
        &self,
        five_tuple: FiveTuple,
        msg: &Message<'_>,
        auth: &Authenticated,
    ) -> Result<(u64, SocketAddr, SocketAddr), (u16, &'static str)> {
        let id = *self
            .by_five_tuple
            .get(&five_tuple)
            .ok_or((437, "no allocation for this 5-tuple"))?;
        let allocation = &self.allocations[&id];
        if allocation.username != auth.username {
            return Err((441, "the allocation belongs to another username"));
        }
        if allocation.protocol != RelayProtocol::Tcp {
            return Err((400, "Connect needs a TCP allocation (RFC 6062 §5.2)"));
        }
        let peer = msg
            .get::<XorPeerAddress>()
            .ok_or((400, "XOR-PEER-ADDRESS is required (RFC 6062 §5.2)"))?
            .map_err(|_| (400, "malformed XOR-PEER-ADDRESS"))?
            .0;
        match self.config.peers.verdict(peer.ip()) {
            Verdict::Refused(reason) => return Err((403, reason)),
            Verdict::ServerOwn if !self.by_relayed.contains_key(&peer) => {
                return Err((403, "the server's own address"));
            }
            _ => {}
        }
        let relayed = allocation.relayed_for(peer.ip()).ok_or((443, ""))?;
        let mut held = 0;
        for c in self
            .peer_connections
            .values()
            .filter(|c| c.allocation == id)
        {
            held += 1;
            if c.peer == peer {
                return Err((446, "Connection Already Exists"));
            }
        }
        if held >= self.config.limits.peer_connections_per_allocation {
            return Err((508, "too many peer connections on this allocation"));
        }
        Ok((id, relayed, peer))
    }

    /// The driver's answer to [`ServerEvent::ConnectPeer`] (RFC 6062
    /// §5.2): on success the Connect is answered with CONNECTION-ID and the
    /// connection waits 30 s for its ConnectionBind; on failure it is
    /// answered 447.
    pub fn handle_peer_connect(&mut self, now: Instant, connection: ConnectionId, connected: bool) {
        let Some(conn) = self.peer_connections.get_mut(&connection.0) else {
            return;
        };
        let PeerState::Connecting { .. } = conn.state else {
            return;
        };
        let state = if connected {
            PeerState::Waiting
        } else {
            PeerState::Bound
        };
        let PeerState::Connecting {
            control,
            request,
            auth,
        } = std::mem::replace(&mut conn.state, state)
        else {
            unreachable!("checked above")
        };
        let Ok(msg) = Message::parse(&request) else {
            return;
        };
        if connected {
            conn.expires = now + BIND_TIMEOUT;
            let expires = conn.expires;
            self.timers.push(std::cmp::Reverse((
                expires,
                Timer::PeerConnection(connection.0),
            )));
            let mut response = Response::success(&msg);
            response.add(&ConnectionIdAttr(connection.0));
            self.answer(control, response, Some(&auth));
        } else {
            self.peer_connections.remove(&connection.0);
            self.refuse(control, &msg, (447, "Connection Timeout or Failure"), &auth);
        }
    }

    /// A peer connected to the TCP relayed address `relayed` (RFC 6062
    /// §5.3). `Some(id)`: keep the connection under this name (the client
    /// was sent a ConnectionAttempt indication); `None`: close it (no
    /// allocation, no permission for the peer, or the limit reached).
    pub fn handle_peer_connection(
        &mut self,
        now: Instant,
        relayed: SocketAddr,
        peer: SocketAddr,
    ) -> Option<ConnectionId> {
        self.epoch.get_or_insert(now);
        let &id = self.by_relayed.get(&relayed)?;
        let allocation = self.allocations.get(&id)?;
        if allocation.protocol != RelayProtocol::Tcp || !allocation.permitted(now, peer.ip()) {
            return None;
        }
        let control = allocation.five_tuple;
        let held = self
            .peer_connections
            .values()
            .filter(|c| c.allocation == id)
            .count();
        if held >= self.config.limits.peer_connections_per_allocation {
            return None;
        }
        let connection = self.add_peer_connection(now, id, peer, PeerState::Waiting);
        let typ = MessageType::new(Method::CONNECTION_ATTEMPT, Class::Indication);
        let mut builder = MessageBuilder::new(typ, indication_id(&mut self.indication_ids));
        if builder.add(&XorPeerAddress(peer)).is_ok()
            && builder.add(&ConnectionIdAttr(connection.0)).is_ok()
        {
            self.send_to_client(control, builder.finish().freeze());
        }
        Some(connection)
    }

    /// A peer connection closed (RFC 6062 §5.5); a Connect still waiting
    /// for it is answered 447.
    pub fn handle_peer_connection_closed(&mut self, now: Instant, connection: ConnectionId) {
        let _ = now;
        if let Some(conn) = self.peer_connections.remove(&connection.0) {
            self.answer_abandoned_connect(conn);
        }
    }

    /// ConnectionBind (RFC 6062 §5.4), on a new TCP or TLS connection: on
    /// success the connection is spliced to the peer connection.
    pub(super) fn connection_bind(
        &mut self,
        now: Instant,
        five_tuple: FiveTuple,
        msg: &Message<'_>,
    ) {
        if !five_tuple.transport.is_reliable() || self.by_five_tuple.contains_key(&five_tuple) {
            let response = Response::error(
                msg,
                400,
                "ConnectionBind goes on a new TCP connection (RFC 6062 §5.4)",
            );
            self.answer(five_tuple, response, None);
            return;
        }
        let Some(auth) = self.authenticate(now, five_tuple, msg) else {
            return;
        };
        let connection = match msg.get::<ConnectionIdAttr>() {
            Some(Ok(c)) => c.0,
            _ => {
                return self.refuse(
                    five_tuple,
                    msg,
                    (400, "CONNECTION-ID is required (RFC 6062 §5.4)"),
                    &auth,
                );
            }
        };
        let Some(conn) = self.peer_connections.get(&connection) else {
            return self.refuse(
                five_tuple,
                msg,
                (400, "unknown CONNECTION-ID (RFC 6062 §5.4)"),
                &auth,
            );
        };
        if !matches!(conn.state, PeerState::Waiting) {
            return self.refuse(
                five_tuple,
                msg,
                (
                    400,
                    "the connection is not waiting for a bind (RFC 6062 §5.4)",
                ),
                &auth,
            );
        }
        let owner = self
            .allocations
            .get(&conn.allocation)
            .map(|a| a.username.as_str());
        if owner != Some(auth.username.as_str()) {
            return self.refuse(
                five_tuple,
                msg,
                (441, "the allocation belongs to another username"),
                &auth,
            );
        }
        if let Some(conn) = self.peer_connections.get_mut(&connection) {
            conn.state = PeerState::Bound;
        }
        let response = Response::success(msg);
        self.answer(five_tuple, response, Some(&auth));
        let buffered = self
            .streams
            .remove(&five_tuple)
            .map(|b| b.freeze())
            .unwrap_or_default();
        self.events.push_back(ServerEvent::Splice {
            connection: ConnectionId(connection),
            client: five_tuple,
            buffered,
        });
    }

    /// A peer connection's 30 s passed (RFC 6062 §5.2, §5.3).
    pub(super) fn expire_peer_connection(&mut self, now: Instant, id: u32) {
        let Some(conn) = self.peer_connections.get(&id) else {
            return;
        };
        if matches!(conn.state, PeerState::Bound) || conn.expires > now {
            return;
        }
        let conn = self.peer_connections.remove(&id).expect("present");
        self.events.push_back(ServerEvent::ClosePeerConnection {
            connection: ConnectionId(id),
        });
        self.answer_abandoned_connect(conn);
    }

    /// Closes every peer connection of allocation `id`.
    pub(super) fn close_peer_connections_of(&mut self, id: u64) {
        let ids: Vec<u32> = self
            .peer_connections
            .iter()
            .filter(|(_, c)| c.allocation == id)
            .map(|(k, _)| *k)
            .collect();
        for key in ids {
            if let Some(conn) = self.peer_connections.remove(&key) {
                self.events.push_back(ServerEvent::ClosePeerConnection {
                    connection: ConnectionId(key),
                });
                self.answer_abandoned_connect(conn);
            }
        }
    }

    fn answer_abandoned_connect(&mut self, conn: PeerConnection) {
        if let PeerState::Connecting {
            control,
            request,
            auth,
        } = conn.state
        {
            if let Ok(msg) = Message::parse(&request) {
                self.refuse(control, &msg, (447, "Connection Timeout or Failure"), &auth);
            }
        }
    }

    /// Keeps a new peer connection of allocation `id` for 30 s (RFC 6062
    /// §5.2, §5.3), under a fresh CONNECTION-ID.
    fn add_peer_connection(
        &mut self,
        now: Instant,
        id: u64,
        peer: SocketAddr,
        state: PeerState,
    ) -> ConnectionId {
        let connection = self.new_connection_id();
        let expires = now + BIND_TIMEOUT;
        let conn = PeerConnection {
            allocation: id,
            peer,
            state,
            expires,
        };
        self.peer_connections.insert(connection.0, conn);
        let timer = Timer::PeerConnection(connection.0);
        self.timers.push(std::cmp::Reverse((expires, timer)));
        connection
    }

    /// A CONNECTION-ID not in use.
    fn new_connection_id(&mut self) -> ConnectionId {
        loop {
            let mut bytes = [0u8; 4];
            self.random.fill_bytes(&mut bytes);
            let id = u32::from_be_bytes(bytes);
            if !self.peer_connections.contains_key(&id) {
                return ConnectionId(id);
            }
        }
    }
}
