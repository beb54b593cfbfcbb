//! The sans-IO Socket.IO server over many Engine.IO sessions.

mod events;
mod incoming;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;
use std::time::Instant;

use rtw_core::Random;
use serde_json::Value;

use crate::ack_ids::AckIds;
use crate::packet::{Args, Decoder, EngineMessage, Packet, RESERVED_EVENTS, encode};
use crate::{Config, Error};

pub use self::events::{DisconnectReason, EngineId, ServerEvent, ServerTransmit, SocketId};
use self::incoming::remove_member;

#[derive(Debug)]
struct EngineState {
    decoder: Decoder,
    sockets: BTreeMap<String, SocketId>,
    /// Until a namespace is accepted: when the connect timeout ends.
    deadline: Option<Instant>,
}

#[derive(Debug)]
struct SocketState {
    engine: EngineId,
    namespace: String,
    sid: String,
    connected: bool,
    acks: AckIds,
    rooms: BTreeSet<String>,
}

/// A Socket.IO v5 server over many Engine.IO sessions. It opens no
/// socket, reads no clock and draws no randomness of its own: the driver
/// feeds it each session's messages with [`Server::handle_message`],
/// sends what [`Server::poll_transmit`] gives, hands
/// [`Server::poll_event`] to the application, and calls
/// [`Server::handle_timeout`] at [`Server::poll_timeout`].
///
/// A client connects to `/` and sends an event asking for an ack; the
/// application answers it:
///
/// ```
/// use std::time::Instant;
/// use rtw_socketio::{Config, EngineId, EngineMessage, SeededRandom, Server, ServerEvent};
///
/// let now = Instant::now();
/// let mut server = Server::new(Config::default(), Box::new(SeededRandom::new(1)));
/// let engine = EngineId(1);
/// server.handle_open(now, engine);
/// server.handle_message(now, engine, EngineMessage::Text("0".into())).unwrap();
/// server.handle_message(now, engine, EngineMessage::Text(r#"27["hello",1]"#.into())).unwrap();
///
/// assert!(matches!(server.poll_event(), Some(ServerEvent::Connected { .. })));
/// let Some(ServerEvent::Event { socket, name, args, ack_id: Some(id), .. }) = server.poll_event() else {
///     panic!("an event")
/// };
/// assert_eq!(name, "hello");
/// server.ack(socket, id, args).unwrap();
///
/// let sent: Vec<_> = std::iter::from_fn(|| server.poll_transmit()).map(|t| t.message).collect();
/// let EngineMessage::Text(connected) = &sent[0] else { panic!() };
/// assert!(connected.starts_with(r#"0{"sid":""#));
/// assert_eq!(sent[1], EngineMessage::Text("37[1]".into()));
/// ```
pub struct Server {
    config: Config,
    random: Box<dyn Random + Send>,
    engines: BTreeMap<EngineId, EngineState>,
    /// The connect deadlines of the sessions that have one, in order
    /// (each engine's `deadline`, kept in step with it).
    deadlines: BTreeSet<(Instant, EngineId)>,
    sockets: BTreeMap<SocketId, SocketState>,
    /// (namespace, room) -> members.
    rooms: BTreeMap<(String, String), BTreeSet<SocketId>>,
    next_socket: u64,
    transmits: VecDeque<ServerTransmit>,
    events: VecDeque<ServerEvent>,
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("config", &self.config)
            .field("engines", &self.engines.len())
            .field("sockets", &self.sockets.len())
            .field("rooms", &self.rooms.len())
            .finish_non_exhaustive()
    }
}

impl Server {
    /// A server with `config`, drawing socket ids from `random`.
    pub fn new(config: Config, random: Box<dyn Random + Send>) -> Self {
        Server {
            config,
            random,
            engines: BTreeMap::new(),
            deadlines: BTreeSet::new(),
            sockets: BTreeMap::new(),
            rooms: BTreeMap::new(),
            next_socket: 0,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// A new Engine.IO session (after its handshake). Its connect timeout
    /// starts now. A session already known is closed first.
    pub fn handle_open(&mut self, now: Instant, engine: EngineId) {
        if self.engines.contains_key(&engine) {
            self.handle_close(engine);
        }
        let deadline = now + self.config.connect_timeout;
        self.deadlines.insert((deadline, engine));
        self.engines.insert(
            engine,
            EngineState {
                decoder: Decoder::new(self.config.limits.clone()),
                sockets: BTreeMap::new(),
                deadline: Some(deadline),
            },
        );
    }

    /// One Engine.IO message of `engine`.
    ///
    /// An error other than [`Error::Unknown`] is the peer's fault: the
    /// server has forgotten the session (its sockets are
    /// [`DisconnectReason::ProtocolError`]) and the driver should close it.
    pub fn handle_message(
        &mut self,
        _now: Instant,
        engine: EngineId,
        message: EngineMessage,
    ) -> Result<(), Error> {
        let state = self.engines.get_mut(&engine).ok_or(Error::Unknown)?;
        let result = match state.decoder.decode(message) {
            Ok(Some(packet)) => self.on_packet(engine, packet),
            Ok(None) => Ok(()),
            Err(error) => Err(error),
        };
        if result.is_err() {
            self.drop_engine(engine, DisconnectReason::ProtocolError);
        }
        result
    }

    /// The Engine.IO session ended: its sockets leave their namespaces
    /// ([`DisconnectReason::TransportClose`]).
    pub fn handle_close(&mut self, engine: EngineId) {
        self.drop_engine(engine, DisconnectReason::TransportClose);
    }

    /// Ends the connect timeout of sessions that joined no namespace in
    /// time ([`ServerEvent::CloseEngine`]).
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(&(at, engine)) = self.deadlines.first() {
            if at > now {
                break;
            }
            self.deadlines.pop_first();
            self.drop_engine(engine, DisconnectReason::ConnectTimeout);
            self.events.push_back(ServerEvent::CloseEngine { engine });
        }
    }

    /// When [`Server::handle_timeout`] should next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.deadlines.first().map(|&(at, _)| at)
    }

    /// The next message to send.
    pub fn poll_transmit(&mut self) -> Option<ServerTransmit> {
        self.transmits.pop_front()
    }

    /// The next event for the application.
    pub fn poll_event(&mut self) -> Option<ServerEvent> {
        self.events.pop_front()
    }

    /// Accepts a socket's pending connect request: the CONNECT answer
    /// `{"sid":...}` and [`ServerEvent::Connected`]. Accepting a connected
    /// socket does nothing.
    pub fn accept(&mut self, socket: SocketId) -> Result<(), Error> {
        let state = self.sockets.get_mut(&socket).ok_or(Error::Unknown)?;
        if state.connected {
            return Ok(());
        }
        state.connected = true;
        let (engine, namespace, sid) = (state.engine, state.namespace.clone(), state.sid.clone());
        if let Some(e) = self.engines.get_mut(&engine)
            && let Some(at) = e.deadline.take()
        {
            self.deadlines.remove(&(at, engine));
        }
        self.send(engine, &Packet::connect_ok(&namespace, &sid));
        self.events.push_back(ServerEvent::Connected {
            socket,
            engine,
            namespace,
            sid,
        });
        Ok(())
    }

    /// Refuses a socket's pending connect request with CONNECT_ERROR
    /// `{"message":message}` (and `"data"` if given); the socket is
    /// forgotten. [`Error::Unknown`] for a connected or unknown socket.
    pub fn refuse(
        &mut self,
        socket: SocketId,
        message: &str,
        data: Option<Value>,
    ) -> Result<(), Error> {
        match self.sockets.get(&socket) {
            Some(state) if !state.connected => {}
            _ => return Err(Error::Unknown),
        }
        let state = self.forget_socket(socket).ok_or(Error::Unknown)?;
        self.send(
            state.engine,
            &Packet::connect_error(&state.namespace, message, data),
        );
        Ok(())
    }

    /// Emits the event `name` with `args` to a connected socket.
    pub fn emit(&mut self, socket: SocketId, name: &str, args: Args) -> Result<(), Error> {
        self.emit_inner(socket, name, args, false).map(|_| ())
    }

    /// Emits the event `name` with `args` asking for an acknowledgement:
    /// returns its id, given back in [`ServerEvent::Ack`] when the client
    /// answers. Ids count from 0 per socket.
    pub fn emit_with_ack(
        &mut self,
        socket: SocketId,
        name: &str,
        args: Args,
    ) -> Result<u64, Error> {
        self.emit_inner(socket, name, args, true)
            .map(|id| id.unwrap_or_default())
    }

    fn emit_inner(
        &mut self,
        socket: SocketId,
        name: &str,
        args: Args,
        want_ack: bool,
    ) -> Result<Option<u64>, Error> {
        if RESERVED_EVENTS.contains(&name) {
            return Err(Error::ReservedEvent);
        }
        let state = self.connected_mut(socket)?;
        let ack_id = want_ack.then(|| state.acks.take());
        let (engine, packet) = (
            state.engine,
            Packet::event(&state.namespace, name, args, ack_id),
        );
        self.send(engine, &packet);
        Ok(ack_id)
    }

    /// Answers the event a client sent with `ack_id`
    /// ([`ServerEvent::Event`]).
    pub fn ack(&mut self, socket: SocketId, ack_id: u64, args: Args) -> Result<(), Error> {
        let state = self.connected_mut(socket)?;
        let (engine, packet) = (state.engine, Packet::ack(&state.namespace, ack_id, args));
        self.send(engine, &packet);
        Ok(())
    }

    /// Emits `name` with `args` to every connected socket of `namespace`,
    /// or only to those in `room` of it, except `except`; returns how many
    /// got it. The packet is encoded once.
    pub fn broadcast(
        &mut self,
        namespace: &str,
        room: Option<&str>,
        except: Option<SocketId>,
        name: &str,
        args: Args,
    ) -> Result<usize, Error> {
        if RESERVED_EVENTS.contains(&name) {
            return Err(Error::ReservedEvent);
        }
        let targets: Vec<EngineId> = match room {
            Some(room) => self
                .rooms
                .get(&(namespace.to_owned(), room.to_owned()))
                .into_iter()
                .flatten()
                .filter_map(|id| self.sockets.get(id).map(|s| (id, s)))
                .filter(|(id, s)| s.connected && Some(**id) != except)
                .map(|(_, s)| s.engine)
                .collect(),
            None => self
                .sockets
                .iter()
                .filter(|(id, s)| s.connected && s.namespace == namespace && Some(**id) != except)
                .map(|(_, s)| s.engine)
                .collect(),
        };
        let (text, attachments) = encode(&Packet::event(namespace, name, args, None));
        for &engine in &targets {
            self.push(engine, &text, &attachments);
        }
        Ok(targets.len())
    }

    /// Puts a socket (connected or asking) in `room` of its namespace.
    pub fn join(&mut self, socket: SocketId, room: &str) -> Result<(), Error> {
        let state = self.sockets.get_mut(&socket).ok_or(Error::Unknown)?;
        if state.rooms.insert(room.to_owned()) {
            self.rooms
                .entry((state.namespace.clone(), room.to_owned()))
                .or_default()
                .insert(socket);
        }
        Ok(())
    }

    /// Takes a socket out of `room`; `Ok` whether or not it was in it.
    pub fn leave(&mut self, socket: SocketId, room: &str) -> Result<(), Error> {
        let state = self.sockets.get_mut(&socket).ok_or(Error::Unknown)?;
        if state.rooms.remove(room) {
            let key = (state.namespace.clone(), room.to_owned());
            remove_member(&mut self.rooms, key, socket);
        }
        Ok(())
    }

    /// The rooms a socket is in, in order.
    pub fn rooms_of(&self, socket: SocketId) -> impl Iterator<Item = &str> {
        self.sockets
            .get(&socket)
            .into_iter()
            .flat_map(|s| s.rooms.iter().map(String::as_str))
    }

    /// The sockets in `room` of `namespace`, in order.
    pub fn members(&self, namespace: &str, room: &str) -> impl Iterator<Item = SocketId> + '_ {
        self.rooms
            .get(&(namespace.to_owned(), room.to_owned()))
            .into_iter()
            .flatten()
            .copied()
    }

    /// Sends DISCONNECT to a socket and forgets it
    /// ([`DisconnectReason::ServerDisconnect`]).
    pub fn disconnect(&mut self, socket: SocketId) -> Result<(), Error> {
        let state = self.forget_socket(socket).ok_or(Error::Unknown)?;
        self.send(state.engine, &Packet::disconnect(&state.namespace));
        self.events.push_back(ServerEvent::Disconnected {
            socket,
            namespace: state.namespace,
            reason: DisconnectReason::ServerDisconnect,
        });
        Ok(())
    }

    /// A socket's public Socket.IO id, the `sid` of its CONNECT answer.
    pub fn sid(&self, socket: SocketId) -> Option<&str> {
        self.sockets.get(&socket).map(|s| s.sid.as_str())
    }

    /// A socket's namespace.
    pub fn namespace(&self, socket: SocketId) -> Option<&str> {
        self.sockets.get(&socket).map(|s| s.namespace.as_str())
    }

    /// A socket's Engine.IO session.
    pub fn engine(&self, socket: SocketId) -> Option<EngineId> {
        self.sockets.get(&socket).map(|s| s.engine)
    }

    /// The socket of `engine` in `namespace`, connected or asking.
    pub fn socket(&self, engine: EngineId, namespace: &str) -> Option<SocketId> {
        self.engines.get(&engine)?.sockets.get(namespace).copied()
    }

    /// How many sockets the server holds, connected or asking.
    pub fn socket_count(&self) -> usize {
        self.sockets.len()
    }

    fn connected_mut(&mut self, socket: SocketId) -> Result<&mut SocketState, Error> {
        let state = self.sockets.get_mut(&socket).ok_or(Error::Unknown)?;
        if !state.connected {
            return Err(Error::NotConnected);
        }
        Ok(state)
    }
}
