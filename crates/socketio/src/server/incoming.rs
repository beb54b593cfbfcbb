//! What the server does with each packet a client sends (the Socket.IO
//! protocol v5: CONNECT, EVENT, ACK, DISCONNECT and their binary forms),
//! and how a socket or a whole Engine.IO session ends.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;

use super::{
    DisconnectReason, EngineId, Server, ServerEvent, ServerTransmit, SocketId, SocketState,
};
use crate::ack_ids::AckIds;
use crate::packet::{EngineMessage, Packet, PacketKind, encode};
use crate::{ConnectPolicy, Error};

impl Server {
    pub(super) fn on_packet(&mut self, engine: EngineId, packet: Packet) -> Result<(), Error> {
        let socket = self.socket(engine, &packet.namespace);
        let connected = socket
            .and_then(|s| self.sockets.get(&s))
            .is_some_and(|s| s.connected);
        match packet.kind {
            PacketKind::Connect => self.on_connect(engine, packet),
            PacketKind::ConnectError => Err(Error::Unexpected("CONNECT_ERROR from a client")),
            PacketKind::Disconnect => {
                if let Some(socket) = socket
                    && let Some(state) = self.forget_socket(socket)
                {
                    self.events.push_back(ServerEvent::Disconnected {
                        socket,
                        namespace: state.namespace,
                        reason: DisconnectReason::ClientDisconnect,
                    });
                }
                Ok(())
            }
            PacketKind::Event | PacketKind::BinaryEvent => {
                if let (Some(socket), true) = (socket, connected) {
                    let namespace = packet.namespace.clone();
                    let ack_id = packet.ack_id;
                    let name = packet.event_name().unwrap_or_default().to_owned();
                    self.events.push_back(ServerEvent::Event {
                        socket,
                        namespace,
                        name,
                        args: packet.into_args(),
                        ack_id,
                    });
                }
                Ok(())
            }
            PacketKind::Ack | PacketKind::BinaryAck => {
                if let (Some(socket), true, Some(ack_id)) = (socket, connected, packet.ack_id)
                    && let Some(state) = self.sockets.get_mut(&socket)
                    && state.acks.settle(ack_id)
                {
                    self.events.push_back(ServerEvent::Ack {
                        socket,
                        ack_id,
                        args: packet.into_args(),
                    });
                }
                Ok(())
            }
        }
    }

    fn on_connect(&mut self, engine: EngineId, packet: Packet) -> Result<(), Error> {
        let namespace = packet.namespace;
        let sockets = &self.engines.get(&engine).ok_or(Error::Unknown)?.sockets;
        if sockets.contains_key(&namespace) {
            return Err(Error::Unexpected("a second CONNECT to the same namespace"));
        }
        if sockets.len() >= self.config.limits.max_namespaces {
            return Err(Error::TooManyNamespaces);
        }
        let Some(policy) = self.config.policy(&namespace) else {
            self.send(
                engine,
                &Packet::connect_error(&namespace, "Invalid namespace", None),
            );
            return Ok(());
        };
        let socket = SocketId(self.next_socket);
        self.next_socket += 1;
        let mut raw = [0u8; 15];
        self.random.fill_bytes(&mut raw);
        let sid = URL_SAFE_NO_PAD.encode(raw);
        if let Some(e) = self.engines.get_mut(&engine) {
            e.sockets.insert(namespace.clone(), socket);
        }
        self.sockets.insert(
            socket,
            SocketState {
                engine,
                namespace: namespace.clone(),
                sid,
                connected: false,
                acks: AckIds::default(),
                rooms: BTreeSet::new(),
            },
        );
        match policy {
            ConnectPolicy::Accept => self.accept(socket),
            ConnectPolicy::Ask => {
                self.events.push_back(ServerEvent::ConnectRequest {
                    socket,
                    engine,
                    namespace,
                    auth: packet.data,
                });
                Ok(())
            }
        }
    }

    /// Removes a socket from the server, its session and its rooms.
    pub(super) fn forget_socket(&mut self, socket: SocketId) -> Option<SocketState> {
        let state = self.sockets.remove(&socket)?;
        if let Some(e) = self.engines.get_mut(&state.engine) {
            e.sockets.remove(&state.namespace);
        }
        for room in &state.rooms {
            let key = (state.namespace.clone(), room.clone());
            remove_member(&mut self.rooms, key, socket);
        }
        Some(state)
    }

    pub(super) fn drop_engine(&mut self, engine: EngineId, reason: DisconnectReason) {
        let Some(state) = self.engines.remove(&engine) else {
            return;
        };
        if let Some(at) = state.deadline {
            self.deadlines.remove(&(at, engine));
        }
        for socket in state.sockets.into_values() {
            if let Some(s) = self.forget_socket(socket) {
                self.events.push_back(ServerEvent::Disconnected {
                    socket,
                    namespace: s.namespace,
                    reason,
                });
            }
        }
        self.transmits.retain(|t| t.engine != engine);
    }

    pub(super) fn send(&mut self, engine: EngineId, packet: &Packet) {
        let (text, attachments) = encode(packet);
        self.push(engine, &text, &attachments);
    }

    pub(super) fn push(&mut self, engine: EngineId, text: &str, attachments: &[Bytes]) {
        self.transmits.push_back(ServerTransmit {
            engine,
            message: EngineMessage::Text(text.to_owned()),
        });
        for a in attachments {
            self.transmits.push_back(ServerTransmit {
                engine,
                message: EngineMessage::Binary(a.clone()),
            });
        }
    }
}

pub(super) fn remove_member(
    rooms: &mut BTreeMap<(String, String), BTreeSet<SocketId>>,
    key: (String, String),
    socket: SocketId,
) {
    if let Some(members) = rooms.get_mut(&key) {
        members.remove(&socket);
        if members.is_empty() {
            rooms.remove(&key);
        }
    }
}
