//! The sans-IO Socket.IO v5 client over one Engine.IO session.

use std::collections::{BTreeMap, VecDeque};

use serde_json::Value;

use crate::ack_ids::AckIds;
use crate::packet::{Args, Decoder, EngineMessage, Packet, PacketKind, RESERVED_EVENTS, encode};
use crate::{DisconnectReason, Error, Limits};

/// What happened, for the application; drain with [`Client::poll_event`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ClientEvent {
    /// The server accepted [`Client::connect`] with this `sid`.
    Connected {
        /// The namespace.
        namespace: String,
        /// The socket's id the server gave.
        sid: String,
    },
    /// The server refused [`Client::connect`] with CONNECT_ERROR.
    ConnectError {
        /// The namespace.
        namespace: String,
        /// Its `message` (or the whole payload when it is a string).
        message: Option<String>,
        /// Its `data`, if any.
        data: Option<Value>,
    },
    /// An event from the server. When `ack_id` is given, the server waits
    /// for [`Client::ack`] with it.
    Event {
        /// The namespace.
        namespace: String,
        /// The event name.
        name: String,
        /// The arguments after the name, with their attachments.
        args: Args,
        /// The acknowledgement id the server asked for.
        ack_id: Option<u64>,
    },
    /// The server acknowledged an event of [`Client::emit_with_ack`].
    Ack {
        /// The namespace.
        namespace: String,
        /// The id [`Client::emit_with_ack`] returned.
        ack_id: u64,
        /// The server's answer.
        args: Args,
    },
    /// The client left a namespace: [`DisconnectReason::ClientDisconnect`]
    /// after [`Client::disconnect`], `ServerDisconnect` when the server
    /// sent DISCONNECT, `TransportClose` after [`Client::handle_close`],
    /// `ProtocolError` when the server broke the protocol.
    Disconnected {
        /// The namespace.
        namespace: String,
        /// Why.
        reason: DisconnectReason,
    },
}

#[derive(Debug)]
struct Namespace {
    /// `None` while the CONNECT is unanswered.
    sid: Option<String>,
    acks: AckIds,
}

/// A Socket.IO v5 client on one Engine.IO session: the driver feeds it the
/// session's messages with [`Client::handle_message`] and sends what
/// [`Client::poll_transmit`] gives.
///
/// Unlike socket.io-client, it buffers nothing: emitting on a namespace
/// before its [`ClientEvent::Connected`] is [`Error::NotConnected`].
///
/// ```
/// use rtw_socketio::{Args, Client, ClientEvent, EngineMessage, Limits};
/// use serde_json::json;
///
/// let mut client = Client::new(Limits::default());
/// client.connect("/", Some(json!({"token": "abc"}))).unwrap();
/// assert_eq!(client.poll_transmit(), Some(EngineMessage::Text(r#"0{"token":"abc"}"#.into())));
/// client.handle_message(EngineMessage::Text(r#"0{"sid":"s1"}"#.into())).unwrap();
/// assert_eq!(client.poll_event(), Some(ClientEvent::Connected { namespace: "/".into(), sid: "s1".into() }));
/// assert_eq!(client.emit_with_ack("/", "hi", Args::new()), Ok(0));
/// assert_eq!(client.poll_transmit(), Some(EngineMessage::Text(r#"20["hi"]"#.into())));
/// ```
#[derive(Debug)]
pub struct Client {
    decoder: Decoder,
    limits: Limits,
    namespaces: BTreeMap<String, Namespace>,
    transmits: VecDeque<EngineMessage>,
    events: VecDeque<ClientEvent>,
}

impl Client {
    /// A client holding to `limits` for what the server sends.
    pub fn new(limits: Limits) -> Self {
        Client {
            decoder: Decoder::new(limits.clone()),
            limits,
            namespaces: BTreeMap::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// Sends CONNECT to `namespace` (starting with `/`) with `auth`; the
    /// answer is [`ClientEvent::Connected`] or [`ClientEvent::ConnectError`].
    /// Asking again for a namespace connected or asked for does nothing.
    pub fn connect(&mut self, namespace: &str, auth: Option<Value>) -> Result<(), Error> {
        if !namespace.starts_with('/') || namespace.contains(',') {
            return Err(Error::BadNamespace);
        }
        if self.namespaces.contains_key(namespace) {
            return Ok(());
        }
        if self.namespaces.len() >= self.limits.max_namespaces {
            return Err(Error::TooManyNamespaces);
        }
        if auth.as_ref().is_some_and(|a| !a.is_object()) {
            return Err(Error::BadPayload("auth must be an object"));
        }
        self.namespaces.insert(
            namespace.to_owned(),
            Namespace {
                sid: None,
                acks: AckIds::default(),
            },
        );
        self.send(&Packet::connect(namespace, auth));
        Ok(())
    }

    /// Sends DISCONNECT for `namespace` and forgets it.
    pub fn disconnect(&mut self, namespace: &str) -> Result<(), Error> {
        self.namespaces.remove(namespace).ok_or(Error::Unknown)?;
        self.send(&Packet::disconnect(namespace));
        self.events.push_back(ClientEvent::Disconnected {
            namespace: namespace.to_owned(),
            reason: DisconnectReason::ClientDisconnect,
        });
        Ok(())
    }

    /// Emits `name` with `args` on a connected namespace.
    pub fn emit(&mut self, namespace: &str, name: &str, args: Args) -> Result<(), Error> {
        self.emit_inner(namespace, name, args, false).map(|_| ())
    }

    /// Emits `name` with `args` asking for an acknowledgement: returns its
    /// id, given back in [`ClientEvent::Ack`]. Ids count from 0 per
    /// namespace.
    pub fn emit_with_ack(&mut self, namespace: &str, name: &str, args: Args) -> Result<u64, Error> {
        self.emit_inner(namespace, name, args, true)
            .map(|id| id.unwrap_or_default())
    }

    fn emit_inner(
        &mut self,
        namespace: &str,
        name: &str,
        args: Args,
        want_ack: bool,
    ) -> Result<Option<u64>, Error> {
        if RESERVED_EVENTS.contains(&name) {
            return Err(Error::ReservedEvent);
        }
        let ns = self.connected_mut(namespace)?;
        let ack_id = want_ack.then(|| ns.acks.take());
        self.send(&Packet::event(namespace, name, args, ack_id));
        Ok(ack_id)
    }

    /// Answers the server's event that asked with `ack_id`.
    pub fn ack(&mut self, namespace: &str, ack_id: u64, args: Args) -> Result<(), Error> {
        self.connected_mut(namespace)?;
        self.send(&Packet::ack(namespace, ack_id, args));
        Ok(())
    }

    /// The `sid` the server gave on `namespace`, once connected.
    pub fn sid(&self, namespace: &str) -> Option<&str> {
        self.namespaces.get(namespace)?.sid.as_deref()
    }

    /// One Engine.IO message from the server. An error is the server's
    /// fault: every namespace is left (`ProtocolError`) and the driver
    /// should close the session.
    pub fn handle_message(&mut self, message: EngineMessage) -> Result<(), Error> {
        let result = match self.decoder.decode(message) {
            Ok(Some(packet)) => self.on_packet(packet),
            Ok(None) => Ok(()),
            Err(error) => Err(error),
        };
        if result.is_err() {
            self.leave_all(DisconnectReason::ProtocolError);
        }
        result
    }

    /// The Engine.IO session ended: every namespace is left
    /// (`TransportClose`). [`Client::connect`] may be called again on a
    /// new session.
    pub fn handle_close(&mut self) {
        self.leave_all(DisconnectReason::TransportClose);
        self.decoder = Decoder::new(self.limits.clone());
    }

    /// The next message to send.
    pub fn poll_transmit(&mut self) -> Option<EngineMessage> {
        self.transmits.pop_front()
    }

    /// The next event for the application.
    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    fn connected_mut(&mut self, namespace: &str) -> Result<&mut Namespace, Error> {
        let ns = self.namespaces.get_mut(namespace).ok_or(Error::Unknown)?;
        if ns.sid.is_none() {
            return Err(Error::NotConnected);
        }
        Ok(ns)
    }

    fn on_packet(&mut self, packet: Packet) -> Result<(), Error> {
        let namespace = packet.namespace.clone();
        let Some(ns) = self.namespaces.get_mut(&namespace) else {
            // Nothing asked for on this namespace (or already left): ignored.
            return Ok(());
        };
        match packet.kind {
            PacketKind::Connect => {
                let sid = packet
                    .data
                    .as_ref()
                    .and_then(|d| d.get("sid"))
                    .and_then(Value::as_str)
                    .ok_or(Error::BadPayload("a CONNECT answer without a sid"))?;
                if ns.sid.is_none() {
                    ns.sid = Some(sid.to_owned());
                    self.events.push_back(ClientEvent::Connected {
                        namespace,
                        sid: sid.to_owned(),
                    });
                }
            }
            PacketKind::ConnectError => {
                if ns.sid.is_some() {
                    return Err(Error::Unexpected("CONNECT_ERROR on a connected namespace"));
                }
                self.namespaces.remove(&namespace);
                let (message, data) = match packet.data {
                    Some(Value::String(message)) => (Some(message), None),
                    Some(Value::Object(mut map)) => (
                        map.remove("message")
                            .and_then(|m| m.as_str().map(str::to_owned)),
                        map.remove("data"),
                    ),
                    _ => (None, None),
                };
                self.events.push_back(ClientEvent::ConnectError {
                    namespace,
                    message,
                    data,
                });
            }
            PacketKind::Disconnect => {
                self.namespaces.remove(&namespace);
                self.events.push_back(ClientEvent::Disconnected {
                    namespace,
                    reason: DisconnectReason::ServerDisconnect,
                });
            }
            PacketKind::Event | PacketKind::BinaryEvent => {
                if ns.sid.is_some() {
                    let name = packet.event_name().unwrap_or_default().to_owned();
                    let ack_id = packet.ack_id;
                    self.events.push_back(ClientEvent::Event {
                        namespace,
                        name,
                        args: packet.into_args(),
                        ack_id,
                    });
                }
            }
            PacketKind::Ack | PacketKind::BinaryAck => {
                if let Some(ack_id) = packet.ack_id
                    && ns.acks.settle(ack_id)
                {
                    self.events.push_back(ClientEvent::Ack {
                        namespace,
                        ack_id,
                        args: packet.into_args(),
                    });
                }
            }
        }
        Ok(())
    }

    fn leave_all(&mut self, reason: DisconnectReason) {
        for namespace in std::mem::take(&mut self.namespaces).into_keys() {
            self.events
                .push_back(ClientEvent::Disconnected { namespace, reason });
        }
        self.transmits.clear();
    }

    fn send(&mut self, packet: &Packet) {
        let (text, attachments) = encode(packet);
        self.transmits.push_back(EngineMessage::Text(text));
        self.transmits
            .extend(attachments.into_iter().map(EngineMessage::Binary));
    }
}
